//! The text of `import-alembic`: the files written, then what was not converted and how each dialect's
//! verification went, last, where they are seen.

use super::Render;
use crate::import::Imported;

impl Render for Imported {
    fn text(&self) -> String {
        let mut out = String::new();
        for r in &self.revisions {
            let verb = if r.replaced {
                "Replacing"
            } else {
                "Generating"
            };
            out.push_str(&format!("{verb} {} ...  done\n", r.path.display()));
        }
        let dialects: Vec<&str> = self.dialects.iter().map(|d| d.name()).collect();
        if !self.revisions.is_empty() {
            out.push_str(&format!(
                "Imported {} revision(s) for {}\n",
                self.revisions.len(),
                dialects.join(", ")
            ));
        }
        for id in &self.mixed_transactions {
            out.push_str(&format!(
                "note: {id}: Alembic ran part of it outside a transaction (autocommit_block); its section is transaction:false as a whole\n"
            ));
        }
        for v in &self.verification {
            match &v.difference {
                None => out.push_str(&format!(
                    "Verified on {}: the same schema as Alembic's after each of the {} revision(s)\n",
                    v.dialect, v.total
                )),
                Some(d) => out.push_str(&format!(
                    "NOT VERIFIED on {} beyond {} of {} revision(s): at {}: {}\n",
                    v.dialect, v.compared, v.total, d.revision, d.detail
                )),
            }
        }
        if !self.unconverted.is_empty() {
            out.push_str(&format!(
                "NOT CONVERTED ({}): written with the Python as comments and an '-- Unconverted:' line; write their SQL by hand:\n",
                self.unconverted.len()
            ));
            for u in &self.unconverted {
                let dialects: Vec<&str> = u.dialects.iter().map(|d| d.name()).collect();
                out.push_str(&format!(
                    "  {} {} on {} ({}): {}\n",
                    u.id,
                    u.direction,
                    dialects.join(", "),
                    u.path.display(),
                    u.reason.split_whitespace().collect::<Vec<_>>().join(" ")
                ));
            }
        }
        out
    }
}
