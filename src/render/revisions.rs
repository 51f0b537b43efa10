//! How revisions are printed, in the formats existing scripts parse: the one-line form
//! (`<down> -> <rev> (labels) (head) (branchpoint), message`) and the verbose entry (`Rev: … Parent: … Path: …`),
//! and with them the text of `current`, `history`, `heads`, `branches` and `show`.

use super::Render;
use crate::command::{Branches, Current, ListingKind, RevisionView, Revisions};

/// Which parts of the one-line form to show; the defaults are those of `current`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineParts {
    pub(crate) branches: bool,
    pub(crate) doc: bool,
    pub(crate) parents: bool,
    pub(crate) tree: bool,
    pub(crate) head: bool,
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

fn down_text(r: &RevisionView) -> String {
    if r.down_revisions.is_empty() {
        "<base>".into()
    } else {
        r.down_revisions.join(", ")
    }
}

/// The one-line form.
pub(crate) fn line(r: &RevisionView, parts: LineParts, current: bool) -> String {
    let mut text = r.revision.clone();
    if parts.parents {
        // Dependencies print as written (a label stays a label), as Alembic prints them.
        text = if r.depends_on_as_written.is_empty() {
            format!("{} -> {text}", down_text(r))
        } else {
            format!(
                "{} ({}) -> {text}",
                down_text(r),
                r.depends_on_as_written.join(", ")
            )
        };
    }
    if parts.branches && !r.branch_labels.is_empty() {
        text.push_str(&format!(" ({})", r.branch_labels.join(", ")));
    }
    if parts.head || parts.tree {
        if r.is_head {
            text.push_str(" (head)");
        }
        if r.is_effective_head && !r.is_head {
            text.push_str(" (effective head)");
        }
        if current {
            text.push_str(" (current)");
        }
    }
    if parts.tree {
        if r.is_branch_point {
            text.push_str(" (branchpoint)");
        }
        if r.is_merge_point {
            text.push_str(" (mergepoint)");
        }
    }
    if parts.doc {
        text.push_str(", ");
        text.push_str(&r.message);
    }
    text
}

/// The verbose entry, ending with a blank line after the indented message.
pub(crate) fn entry(r: &RevisionView, current: bool) -> String {
    // The verbose entry marks every revision nothing revises, an effective head too, as Alembic's does.
    let head = r.is_head || r.is_effective_head;
    let mut out = format!(
        "Rev: {}{}{}{}{}\n",
        r.revision,
        if head { " (head)" } else { "" },
        if r.is_branch_point {
            " (branchpoint)"
        } else {
            ""
        },
        if r.is_merge_point {
            " (mergepoint)"
        } else {
            ""
        },
        if current { " (current)" } else { "" },
    );
    if r.is_merge_point {
        out.push_str(&format!("Merges: {}\n", down_text(r)));
    } else {
        out.push_str(&format!("Parent: {}\n", down_text(r)));
    }
    if !r.depends_on_as_written.is_empty() {
        out.push_str(&format!(
            "Also depends on: {}\n",
            r.depends_on_as_written.join(", ")
        ));
    }
    if r.is_branch_point {
        out.push_str(&format!("Branches into: {}\n", r.children.join(", ")));
    }
    if !r.branch_labels.is_empty() {
        out.push_str(&format!("Branch names: {}\n", r.branch_labels.join(", ")));
    }
    out.push_str(&format!("Path: {}\n\n", r.path));
    for line in &r.doc {
        out.push_str(&format!("    {line}\n"));
    }
    if let Some(date) = &r.create_date {
        if !r.doc.is_empty() {
            out.push_str("    \n");
        }
        out.push_str(&format!(
            "    Revision ID: {}\n    Revises: {}\n    Create Date: {date}\n",
            r.revision,
            r.down_revisions.join(", ")
        ));
    }
    out
}

impl Render for Current {
    fn text(&self) -> String {
        let mut text = String::new();
        if self.verbose {
            text.push_str(&format!("Current revision(s) for {}:\n", self.url));
        }
        // Every revision here is current; the mark would say nothing, so `current` leaves it out.
        for r in &self.revisions {
            if self.verbose {
                text.push_str(&entry(r, false));
            } else {
                text.push_str(&line(r, LineParts::default(), false));
                text.push('\n');
            }
        }
        text
    }
}

impl Render for Revisions {
    fn text(&self) -> String {
        let parts = match self.kind {
            ListingKind::History => LineParts {
                branches: true,
                doc: true,
                parents: true,
                ..LineParts::default()
            },
            ListingKind::Heads => LineParts {
                branches: true,
                tree: false,
                ..LineParts::default()
            },
            ListingKind::Show => LineParts::default(),
        };
        let mut text = String::new();
        for r in &self.revisions {
            if self.verbose {
                text.push_str(&entry(r, r.marked_current()));
            } else {
                text.push_str(&line(r, parts, r.marked_current()));
                text.push('\n');
            }
        }
        text
    }
}

impl Render for Branches {
    fn text(&self) -> String {
        let mut text = String::new();
        for point in &self.branch_points {
            let r = &point.revision;
            let head = if self.verbose {
                entry(r, false)
            } else {
                let parts = LineParts {
                    branches: true,
                    ..LineParts::default()
                };
                line(r, parts, false)
            };
            text.push_str(&head);
            text.push('\n');
            for child in &point.branches {
                let parts = LineParts {
                    branches: true,
                    doc: self.verbose,
                    ..LineParts::default()
                };
                text.push_str(&format!(
                    "{} -> {}\n",
                    " ".repeat(r.revision.len()),
                    line(child, parts, false)
                ));
            }
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::RevisionMap;
    use crate::script::Script;
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
        let info = RevisionView::new(&map.info("dddd05").unwrap(), &app, None);
        assert_eq!(
            line(&info, parts, false),
            "<base> (lib) -> dddd05 (head), add dddd05"
        );
        assert!(entry(&info, false).contains("Also depends on: lib\n"));
        let info = RevisionView::new(&map.info("ffff07").unwrap(), &lib, None);
        assert!(entry(&info, false).starts_with("Rev: ffff07 (head)\n"));
        assert_eq!(
            line(&info, parts, false),
            "<base> -> ffff07 (effective head), add ffff07"
        );
    }
}
