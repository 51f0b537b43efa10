//! `db-init` on SQLite: the directory and the file, the journal mode (WAL unless told otherwise) and
//! `PRAGMA quick_check`. The file is set up under the migration lock, so replicas starting together take turns.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

use super::{
    guard_recreate, revision, DatabaseReport, InitError, JournalReport, Options, Report, State,
};
use crate::config::Settings;
use crate::dburl::{DatabaseUrl, SqliteTarget};
use crate::dialect::{self, Connection};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::progress::Event;
use crate::version::VersionTable;

/// SQLite's journal modes. Only WAL is a property of the file; the others are each connection's choice, so
/// asking for one of them only matters when it takes the file out of WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalMode {
    Delete,
    Truncate,
    Persist,
    Memory,
    Wal,
    Off,
}

impl JournalMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JournalMode::Delete => "delete",
            JournalMode::Truncate => "truncate",
            JournalMode::Persist => "persist",
            JournalMode::Memory => "memory",
            JournalMode::Wal => "wal",
            JournalMode::Off => "off",
        }
    }
}

impl fmt::Display for JournalMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JournalMode {
    type Err = InitError;

    fn from_str(s: &str) -> std::result::Result<JournalMode, InitError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "delete" => JournalMode::Delete,
            "truncate" => JournalMode::Truncate,
            "persist" => JournalMode::Persist,
            "memory" => JournalMode::Memory,
            "wal" => JournalMode::Wal,
            "off" => JournalMode::Off,
            _ => return Err(InitError::UnknownJournalMode(s.to_string())),
        })
    }
}

pub(super) fn init(
    url: &DatabaseUrl,
    target: &SqliteTarget,
    version: &VersionTable,
    settings: &Settings,
    opts: &Options,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Report> {
    let mut notes = Vec::new();
    for (flag, given) in [
        ("--owner", opts.owner.is_some()),
        ("--template", opts.template.is_some()),
        ("--encoding", opts.encoding.is_some()),
        ("--locale", opts.locale.is_some()),
    ] {
        if given {
            notes.push(format!("{flag} does not apply to SQLite; ignored"));
        }
    }
    let path = match target {
        SqliteTarget::File(path) => Some(path.as_path()),
        SqliteTarget::Memory => None,
    };
    let mut state = State::Created;
    let mut created_directory = None;
    // Replicas that start together take turns under the migration lock: switching to WAL needs the file to
    // itself, and SQLite refuses it at once rather than wait when other connections are switching too. It is
    // taken before the file is looked at, so `--recreate` never removes a database a migration is writing.
    let mut _held = None;
    if let Some(path) = path {
        let what = format!("'{}'", path.display());
        if opts.recreate {
            guard_recreate(opts, &what)?;
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                events(Event::Note(&format!(
                    "creating directory '{}'",
                    dir.display()
                )));
                std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
                created_directory = Some(dir.display().to_string());
            }
        }
        _held = Some(dialect::sqlite::lock::acquire_file(
            path,
            settings.lock_timeout,
            &mut |m| events(Event::Waiting(m)),
        )?);
        if path.exists() {
            state = State::Existing;
            if opts.recreate {
                events(Event::Note(&format!(
                    "removing {what} and its -wal and -shm files"
                )));
                remove_sqlite_files(path)?;
                state = State::Recreated;
            }
        }
        if state != State::Existing {
            events(Event::Note(&format!("creating {}", url.masked())));
        } else {
            events(Event::Note(&format!("opening {}", url.masked())));
        }
    } else {
        notes.push("an in-memory database lasts only as long as this process".into());
    }
    let mut conn = dialect::connect(url, settings.busy_timeout)?;
    let conn = conn.as_mut();
    let name = path.map_or_else(|| "in memory".to_string(), |p| p.display().to_string());

    let journal_mode = match path {
        Some(_) => Some(journal(
            conn,
            &name,
            opts.journal_mode.unwrap_or(JournalMode::Wal),
            events,
        )?),
        None => None,
    };

    let rows = conn
        .query("PRAGMA quick_check")
        .map_err(Error::db(format!("could not check '{name}'")))?;
    let results: Vec<String> = rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    if results != ["ok"] {
        let mut problems = results
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if results.len() > 5 {
            problems.push_str(&format!("; and {} more", results.len() - 5));
        }
        return Err(InitError::QuickCheck {
            path: name,
            problems,
        }
        .into());
    }

    let server = conn
        .server_version()
        .map_err(Error::db("could not read the SQLite version"))?;
    let revision = revision(conn, version)?;
    let changed = state != State::Existing
        || created_directory.is_some()
        || journal_mode.as_ref().is_some_and(|j| j.changed);
    Ok(Report {
        dialect: Engine::Sqlite.name(),
        url: url.masked(),
        server,
        database: DatabaseReport {
            name,
            state,
            owner: None,
            encoding: None,
            collation: None,
            created_directory,
        },
        extensions: Vec::new(),
        skipped_extensions: opts.extensions.clone(),
        journal_mode,
        quick_check: Some("ok".into()),
        version_table: version.qualified(),
        revision,
        notes,
        changed,
    })
}

/// Sets the journal mode unless the file already has it. Only leaving or entering WAL changes the file.
fn journal(
    conn: &mut dyn Connection,
    name: &str,
    wanted: JournalMode,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<JournalReport> {
    let mut pragma = |sql: &str| -> Result<String> {
        let mode = conn.value(sql).map_err(Error::db(format!(
            "could not set the journal mode of '{name}'"
        )))?;
        Ok(mode.unwrap_or_default().to_ascii_lowercase())
    };
    let before = pragma("PRAGMA journal_mode")?;
    if before == wanted.as_str() {
        return Ok(JournalReport {
            mode: before,
            changed: false,
        });
    }
    let changes_the_file = (before == "wal") != (wanted == JournalMode::Wal);
    if changes_the_file {
        events(Event::Note(&format!("setting journal mode {wanted}")));
    }
    let after = pragma(&format!("PRAGMA journal_mode = {wanted}"))?;
    if after != wanted.as_str() {
        return Err(InitError::JournalModeKept {
            path: name.to_string(),
            wanted,
            actual: after,
        }
        .into());
    }
    Ok(JournalReport {
        changed: changes_the_file,
        mode: after,
    })
}

/// Removes the database file and the files SQLite keeps beside it; a stale -wal beside a new file would be
/// read as part of it.
fn remove_sqlite_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = OsString::from(path.as_os_str());
        name.push(suffix);
        let file = PathBuf::from(name);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(file)(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_modes_parse_in_any_case() {
        assert_eq!("WAL".parse::<JournalMode>().unwrap(), JournalMode::Wal);
        assert_eq!(
            "nope".parse::<JournalMode>().unwrap_err().to_string(),
            "unknown journal mode 'nope'; expected one of delete, truncate, persist, memory, wal, off"
        );
    }
}
