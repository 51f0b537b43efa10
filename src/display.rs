//! How revisions are printed, in the formats existing scripts parse: the one-line form
//! (`<down> -> <rev> (labels) (head) (branchpoint), message`) and the verbose entry (`Rev: … Parent: … Path: …`),
//! plus the JSON shape for `--json`.

use serde::Serialize;

use crate::graph::RevInfo;
use crate::script::Script;

/// Which parts of the one-line form to show; the defaults are those of `current`.
#[derive(Debug, Clone, Copy)]
pub struct LineParts {
    pub branches: bool,
    pub doc: bool,
    pub parents: bool,
    pub tree: bool,
    pub head: bool,
}

impl Default for LineParts {
    fn default() -> Self {
        LineParts {
            branches: false,
            doc: false,
            parents: false,
            tree: true,
            head: true,
        }
    }
}

fn down_text(info: &RevInfo<'_>) -> String {
    if info.down.is_empty() {
        "<base>".into()
    } else {
        info.down.join(", ")
    }
}

/// The one-line form.
pub fn line(info: &RevInfo<'_>, script: &Script, parts: LineParts, current: bool) -> String {
    let mut text = info.id.to_string();
    if parts.parents {
        // Dependencies print as written (a label stays a label), as Alembic prints them.
        text = if info.depends_on.is_empty() {
            format!("{} -> {text}", down_text(info))
        } else {
            format!(
                "{} ({}) -> {text}",
                down_text(info),
                info.depends_on.join(", ")
            )
        };
    }
    if parts.branches && !info.branch_labels.is_empty() {
        text.push_str(&format!(" ({})", info.branch_labels.join(", ")));
    }
    if parts.head || parts.tree {
        if info.is_head {
            text.push_str(" (head)");
        }
        if info.is_effective_head && !info.is_head {
            text.push_str(" (effective head)");
        }
        if current {
            text.push_str(" (current)");
        }
    }
    if parts.tree {
        if info.is_branch_point {
            text.push_str(" (branchpoint)");
        }
        if info.is_merge_point {
            text.push_str(" (mergepoint)");
        }
    }
    if parts.doc {
        text.push_str(", ");
        text.push_str(script.message());
    }
    text
}

/// The verbose entry, ending with a blank line after the indented message.
pub fn entry(info: &RevInfo<'_>, script: &Script, current: bool) -> String {
    // The verbose entry marks every revision nothing revises, an effective head too, as Alembic's does.
    let head = info.is_head || info.is_effective_head;
    let mut out = format!(
        "Rev: {}{}{}{}{}\n",
        info.id,
        if head { " (head)" } else { "" },
        if info.is_branch_point {
            " (branchpoint)"
        } else {
            ""
        },
        if info.is_merge_point {
            " (mergepoint)"
        } else {
            ""
        },
        if current { " (current)" } else { "" },
    );
    if info.is_merge_point {
        out.push_str(&format!("Merges: {}\n", down_text(info)));
    } else {
        out.push_str(&format!("Parent: {}\n", down_text(info)));
    }
    if !info.depends_on.is_empty() {
        out.push_str(&format!(
            "Also depends on: {}\n",
            info.depends_on.join(", ")
        ));
    }
    if info.is_branch_point {
        out.push_str(&format!("Branches into: {}\n", info.children.join(", ")));
    }
    if !info.branch_labels.is_empty() {
        out.push_str(&format!(
            "Branch names: {}\n",
            info.branch_labels.join(", ")
        ));
    }
    out.push_str(&format!("Path: {}\n\n", script.path.display()));
    for line in &script.doc {
        out.push_str(&format!("    {line}\n"));
    }
    if let Some(date) = &script.create_date {
        if !script.doc.is_empty() {
            out.push_str("    \n");
        }
        out.push_str(&format!(
            "    Revision ID: {}\n    Revises: {}\n    Create Date: {date}\n",
            info.id,
            info.down.join(", ")
        ));
    }
    out
}

/// A revision for `--json` output.
#[derive(Debug, Serialize)]
pub struct RevisionJson {
    pub revision: String,
    pub down_revisions: Vec<String>,
    pub depends_on: Vec<String>,
    pub branch_labels: Vec<String>,
    pub message: String,
    pub path: String,
    pub create_date: Option<String>,
    pub is_head: bool,
    pub is_branch_point: bool,
    pub is_merge_point: bool,
    /// Whether the version table holds it; `None` (JSON `null`) when the command did not read the database.
    pub is_current: Option<bool>,
}

impl RevisionJson {
    pub fn new(info: &RevInfo<'_>, script: &Script, current: Option<bool>) -> RevisionJson {
        RevisionJson {
            revision: info.id.to_string(),
            down_revisions: info.down.iter().map(|s| s.to_string()).collect(),
            depends_on: info.dependencies.iter().map(|s| s.to_string()).collect(),
            branch_labels: info.branch_labels.iter().map(|s| s.to_string()).collect(),
            message: script.message().to_string(),
            path: script.path.display().to_string(),
            create_date: script.create_date.clone(),
            is_head: info.is_head,
            is_branch_point: info.is_branch_point,
            is_merge_point: info.is_merge_point,
            is_current: current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::RevisionMap;
    use std::path::Path;

    fn script(id: &str, header: &str) -> Script {
        let text =
            format!("-- add {id}\n--\n-- Revision ID: {id}\n{header}\n-- migrate:up\nSELECT 1;\n");
        Script::parse(Path::new("v.sql"), &text).unwrap()
    }

    #[test]
    fn a_dependency_prints_as_written_and_an_effective_head_is_a_head_in_the_entry() {
        let lib = script("ffff07", "-- Revises:\n-- Branch Labels: lib\n");
        let app = script("dddd05", "-- Revises:\n-- Depends On: lib\n");
        let map = RevisionMap::new(vec![lib.revision(), app.revision()]).unwrap();
        let parts = LineParts {
            parents: true,
            doc: true,
            ..LineParts::default()
        };
        let info = map.info("dddd05").unwrap();
        assert_eq!(
            line(&info, &app, parts, false),
            "<base> (lib) -> dddd05 (head), add dddd05"
        );
        assert!(entry(&info, &app, false).contains("Also depends on: lib\n"));
        let info = map.info("ffff07").unwrap();
        assert!(entry(&info, &lib, false).starts_with("Rev: ffff07 (head)\n"));
        assert_eq!(
            line(&info, &lib, parts, false),
            "<base> -> ffff07 (effective head), add ffff07"
        );
    }
}
