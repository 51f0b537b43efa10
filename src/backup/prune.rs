//! Which backups `prune` deletes. Backups are grouped by database, so one database's many backups never push
//! out another's; in each group the newest `keep` stay, and `--older-than` narrows the rest to the old ones.
//! The newest backup of a database is never deleted.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::store::Backup;
use super::BackupError;
use crate::engine::Engine;
use crate::error::Result;

/// How long a temporary file must have been left alone before `prune` takes it for the remains of a killed
/// backup: far longer than any pause in a running one.
pub(crate) const UNFINISHED_AGE: Duration = Duration::from_secs(24 * 3600);

/// How `prune` chooses.
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// How many of each database's newest backups to keep; at least 1.
    pub keep: usize,
    /// Only delete backups older than this.
    pub older_than: Option<Duration>,
    pub dry_run: bool,
}

/// Parses `90s`, `15m`, `12h`, `30d`, `2w`, or a sum such as `1d12h`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || BackupError::Duration(text.to_string());
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 7 * 86400,
            _ => return Err(bad().into()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any {
        return Err(bad().into());
    }
    Ok(Duration::from_secs(total))
}

/// The indexes, in `backups` (newest first), of the backups to delete.
pub(crate) fn select(
    backups: &[Backup],
    o: &PruneOptions,
    now: DateTime<Utc>,
) -> Result<Vec<usize>> {
    if o.keep == 0 {
        return Err(BackupError::KeepZero.into());
    }
    let mut seen: Vec<(Engine, &str, usize)> = Vec::new();
    let mut chosen = Vec::new();
    for (i, backup) in backups.iter().enumerate() {
        let key = (backup.manifest.dialect, backup.manifest.name.as_str());
        let rank = match seen.iter_mut().find(|(d, n, _)| (*d, *n) == key) {
            Some(entry) => {
                entry.2 += 1;
                entry.2
            }
            None => {
                seen.push((key.0, key.1, 1));
                1
            }
        };
        if rank <= o.keep {
            continue;
        }
        let old_enough = match o.older_than {
            None => true,
            Some(limit) => {
                let age = now.signed_duration_since(backup.created());
                age.to_std().is_ok_and(|age| age > limit)
            }
        };
        if old_enough {
            chosen.push(i);
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::Manifest;
    use chrono::TimeZone;

    fn backup(name: &str, hours_ago: i64, now: DateTime<Utc>) -> Backup {
        let created = now - chrono::Duration::hours(hours_ago);
        Backup {
            path: format!("{name}-{hours_ago}").into(),
            manifest: Manifest {
                format: 1,
                file: format!("{name}-{hours_ago}"),
                dialect: Engine::Sqlite,
                name: name.into(),
                database: String::new(),
                server_version: String::new(),
                version_table: String::new(),
                revisions: vec![],
                size: 0,
                sha256: String::new(),
                created_at: crate::backup::manifest::format_time(created),
                dbkit_version: String::new(),
                label: None,
                compression: None,
                dump_format: None,
            },
        }
    }

    #[test]
    fn durations_take_units_and_sums() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            Duration::from_secs(36 * 3600)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86400)
        );
        for bad in ["", "30", "d", "3x", "1.5h", "-1d", "99999999999999999999w"] {
            let e = parse_duration(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_newest_of_each_database_stay_and_older_than_narrows_the_rest() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let backups = vec![
            backup("app", 1, now),
            backup("other", 2, now),
            backup("app", 5, now),
            backup("app", 30, now),
            backup("app", 80, now),
        ];
        let o = |keep, older_than: Option<&str>| PruneOptions {
            keep,
            older_than: older_than.map(|d| parse_duration(d).unwrap()),
            dry_run: false,
        };
        assert_eq!(select(&backups, &o(1, None), now).unwrap(), [2, 3, 4]);
        assert_eq!(select(&backups, &o(2, None), now).unwrap(), [3, 4]);
        assert_eq!(select(&backups, &o(1, Some("1d")), now).unwrap(), [3, 4]);
        assert_eq!(select(&backups, &o(1, Some("3d")), now).unwrap(), [4]);
        assert_eq!(
            select(&backups, &o(9, None), now).unwrap(),
            Vec::<usize>::new()
        );
        let e = select(&backups, &o(0, None), now).unwrap_err().to_string();
        assert!(e.contains("at least 1"), "{e}");
    }
}
