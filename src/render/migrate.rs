//! The text of the `db-migrate` verbs that are not listings: what `upgrade`, `downgrade` and `stamp` print on
//! stdout (the offline script, the dry run), what `validate` found, and the files `revision`, `merge` and
//! `init` wrote, in Alembic's `Generating … done` form.

use super::Render;
use crate::command::{
    Accepted, Ensured, Findings, Found, Generated, Migration, Ready, ScriptsFolder, StampedBy,
};

impl Render for Migration {
    fn text(&self) -> String {
        match self {
            Migration::Offline { sql, .. } => sql.clone(),
            Migration::DryRun { steps, .. } if steps.is_empty() => {
                "-- dry run: nothing to do\n".into()
            }
            Migration::DryRun { steps, sql } => {
                let mut text = format!(
                    "-- dry run: {} step(s) would run; nothing was changed\n",
                    steps.len()
                );
                for line in steps {
                    text.push_str(&format!("--   {line}\n"));
                }
                text.push('\n');
                text.push_str(sql);
                text
            }
            // Each step was reported on stderr as it finished; stdout stays empty.
            Migration::Online { .. } => String::new(),
        }
    }
}

impl Render for Ensured {
    fn text(&self) -> String {
        String::new()
    }
}

/// One line: what the database was, what was done to it, where it is now. Each revision that ran was
/// reported on stderr as it finished.
impl Render for Ready {
    fn text(&self) -> String {
        let found = match self.case {
            Found::Created => "created the database",
            Found::Empty => "empty database",
            Found::PreMigration => "pre-migration database",
            Found::Migrated => "migrated database",
        };
        let mut text = found.to_string();
        if let Some(by) = self.stamped_by {
            let how = match by {
                StampedBy::SchemaMatch => "its schema is the one at",
                StampedBy::Baseline => "the baseline is",
                StampedBy::SchemaFile => "applied the schema file, which is the schema at",
            };
            let stamped = self.stamped.join(", ");
            text.push_str(&format!("; {how} {stamped}: stamped {stamped}"));
        }
        text.push_str(&format!(
            "; {} revision(s) applied; at {}\n",
            self.upgraded,
            if self.revisions.is_empty() {
                "base".to_string()
            } else {
                self.revisions.join(", ")
            }
        ));
        text
    }
}

impl Render for Accepted {
    fn text(&self) -> String {
        format!(
            "accepted {} for revision {} ({})\n",
            self.checksum, self.revision, self.path
        )
    }
}

impl Render for Findings {
    fn text(&self) -> String {
        let mut text = String::new();
        for f in &self.findings {
            text.push_str(&format!(
                "{}: {}{}: {}\n",
                f.kind,
                f.revision,
                f.file
                    .as_ref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default(),
                f.detail
            ));
        }
        if self.findings.is_empty() {
            text.push_str(&format!(
                "ok: {} applied revision(s) match their files\n",
                self.applied
            ));
        }
        text
    }
}

impl Render for Generated {
    fn text(&self) -> String {
        format!("Generating {} ...  done\n", self.path.display())
    }
}

impl Render for ScriptsFolder {
    fn text(&self) -> String {
        let mut text = format!("Creating directory {} ...  done\n", self.versions.display());
        match &self.config_written {
            None => text.push_str(&format!(
                "{} already exists; leaving it as it is\n",
                self.config.display()
            )),
            Some(written) => text.push_str(&format!(
                "Generating {} ...  done\n\
                 Please edit the database URL in {} (or set DATABASE_URL) before proceeding.\n",
                written.display(),
                self.config.display()
            )),
        }
        text
    }
}
