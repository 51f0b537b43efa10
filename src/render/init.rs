//! The text of `db-init`'s report: one `label: value` line per thing verified, then whether anything changed.

use super::Render;
use crate::init::{Report, State};

fn describe(state: State) -> &'static str {
    match state {
        State::Created => "created",
        State::Recreated => "recreated",
        State::Existing => "already there",
    }
}

impl Render for Report {
    fn text(&self) -> String {
        let mut lines: Vec<(&str, String)> = vec![("server", self.server.clone())];
        let d = &self.database;
        let mut details = Vec::new();
        if let Some(owner) = &d.owner {
            details.push(format!("owner {owner}"));
        }
        if let Some(encoding) = &d.encoding {
            details.push(format!("encoding {encoding}"));
        }
        if let Some(collation) = &d.collation {
            details.push(format!("collation {collation}"));
        }
        let details = if details.is_empty() {
            String::new()
        } else {
            format!(" ({})", details.join(", "))
        };
        if let Some(dir) = &d.created_directory {
            lines.push(("directory", format!("{dir}, created")));
        }
        lines.push((
            "database",
            format!("{}, {}{details}", d.name, describe(d.state)),
        ));
        for e in &self.extensions {
            lines.push((
                "extension",
                format!("{} {}, {}", e.name, e.version, describe(e.state)),
            ));
        }
        if !self.skipped_extensions.is_empty() {
            lines.push((
                "extensions",
                format!(
                    "do not apply to SQLite; skipped {}",
                    self.skipped_extensions.join(", ")
                ),
            ));
        }
        if let Some(j) = &self.journal_mode {
            let how = if j.changed { "set" } else { "already" };
            lines.push(("journal", format!("{} ({how})", j.mode)));
        }
        if let Some(check) = &self.quick_check {
            lines.push(("check", format!("quick_check {check}")));
        }
        let revision = match &self.revision {
            None => format!("none (no {} table yet)", self.version_table),
            Some(heads) if heads.is_empty() => format!("none ({} is empty)", self.version_table),
            Some(heads) => heads.join(", "),
        };
        lines.push(("revision", revision));
        for note in &self.notes {
            lines.push(("note", note.clone()));
        }
        let mut text = String::new();
        for (label, value) in lines {
            text.push_str(&format!("{:<12}{value}\n", format!("{label}:")));
        }
        text.push_str(if self.changed {
            "done\n"
        } else {
            "nothing to do: everything was already in place\n"
        });
        text
    }
}
