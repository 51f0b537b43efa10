//! The text of `db-backup`'s verbs. Scripts read stdout, so it stays terse: `create` prints the backup's path,
//! `restore` the revision the database is now at, `prune` what it deleted, `verify` what it checked, `list` a
//! table. The sizes, ages and revision phrases here are shared with the progress lines on stderr.

use std::fmt;
use std::path::Path;

use super::Render;
use crate::backup::{Backup, BackupList, InUse, Kept, Pruned, Restored, Verification};

impl Render for Backup {
    fn text(&self) -> String {
        format!("{}\n", self.path.display())
    }
}

impl Render for BackupList {
    fn text(&self) -> String {
        if self.entries.is_empty() {
            return String::new();
        }
        let mut rows = vec![[
            "CREATED (UTC)".to_string(),
            "AGE".into(),
            "SIZE".into(),
            "REVISION".into(),
            "LABEL".into(),
            "FORMAT".into(),
            "FILE".into(),
        ]];
        for e in &self.entries {
            let m = &e.manifest;
            rows.push([
                e.created.format("%Y-%m-%d %H:%M:%S").to_string(),
                human_age(e.age_seconds),
                if e.exists {
                    human_size(m.size)
                } else {
                    "missing".into()
                },
                if m.revisions.is_empty() {
                    "-".into()
                } else {
                    m.revisions.join(",")
                },
                m.label.clone().unwrap_or_else(|| "-".into()),
                m.kind().to_string(),
                e.path.clone(),
            ]);
        }
        let mut widths = [0usize; 7];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// What `list` says on stderr when the directory holds no backup at all.
pub fn no_backups(dir: &Path) -> String {
    format!("no backups in '{}'", dir.display())
}

impl Render for Verification {
    fn text(&self) -> String {
        let mut text = format!("ok: {}\n", self.backup.path.display());
        for check in &self.checks {
            text.push_str(&format!("  {check}\n"));
        }
        if !self.deep {
            text.push_str(&format!(
                "  manifest: {}\n",
                revisions_text(&self.revisions)
            ));
        }
        text
    }
}

impl Render for Restored {
    fn text(&self) -> String {
        self.revisions.iter().map(|r| format!("{r}\n")).collect()
    }
}

impl Render for Pruned {
    fn text(&self) -> String {
        let verb = if self.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        let mut text = String::new();
        for b in &self.backups {
            text.push_str(&format!("{verb} {}\n", b.path.display()));
        }
        for path in &self.unfinished {
            text.push_str(&format!(
                "{verb} {} (an unfinished backup)\n",
                path.display()
            ));
        }
        for path in &self.unfinished_restores {
            text.push_str(&format!(
                "{verb} {} (an unfinished restore)\n",
                path.display()
            ));
        }
        text
    }
}

/// What `prune` says on stderr once it is done: how many backups went, or would go.
pub fn prune_summary(pruned: &Pruned) -> String {
    format!(
        "{} {} backup(s) in '{}'",
        if pruned.dry_run {
            "Would delete"
        } else {
            "Deleted"
        },
        pruned.backups.len(),
        pruned.dir.display()
    )
}

impl fmt::Display for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kept {}: ", self.path.display())?;
        match self.why {
            InUse::Held => write!(f, "a running restore holds it"),
            InUse::Written(idle) => write!(
                f,
                "written to {} ago; {}",
                human_age(idle.as_secs() as i64),
                if self.restore {
                    "a restore's leftover goes once unheld and a minute idle"
                } else {
                    "a backup's leftover goes after a day idle"
                }
            ),
        }
    }
}

/// `revision 3f2a9c1b7d4e`, `revisions a, b`, or `no revision` for an empty version table.
pub(crate) fn revisions_text(revisions: &[String]) -> String {
    match revisions {
        [] => "no revision (empty version table)".into(),
        [one] => format!("revision {one}"),
        many => format!("revisions {}", many.join(", ")),
    }
}

pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

pub(crate) fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_at_a_glance() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(human_age(42), "42s");
        assert_eq!(human_age(3 * 3600 + 5), "3h");
        assert_eq!(human_age(3 * 86400), "3d");
    }
}
