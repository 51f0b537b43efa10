//! Backups of the database, each beside a JSON manifest that says what it holds: the verbs of `db-backup`
//! (`create`, `list`, `verify`, `restore`, `prune`) as functions that return reports (their text form is in
//! [`crate::render::backup`]), so the binary only parses and prints.
//!
//! The rules every verb keeps: a backup is written under a temporary name and only renamed into place once it
//! is complete and synced; files are readable by their owner only; a backup is checked against its manifest
//! before anything trusts it; and a restore refuses a bad file before it touches the live database.

pub(crate) mod manifest;
mod postgres;
pub mod prune;
mod sqlite;
pub(crate) mod store;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use manifest::Manifest;
pub use prune::PruneOptions;
pub use store::{Backup, InUse, Listing, Store};

use store::Leftover;

use crate::dburl::{DatabaseUrl, SqliteTarget};
use crate::dialect::{self, postgres::pgtool};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lock;
use crate::progress::Event;
use crate::project::Project;
use crate::render::backup::{human_size, revisions_text};

/// Why a backup could not be made, checked or restored. Paths are quoted; no message carries a password.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("cannot back up or restore an in-memory SQLite database")]
    InMemory,
    #[error("SQLite database '{}' does not exist; 'db-init' or 'db-migrate upgrade' creates it", .0.display())]
    NoDatabase(PathBuf),
    #[error("invalid label '{0}': use letters, digits, '.', '_' and '-', at most 64 characters, not starting with '.' or '-'")]
    Label(String),
    #[error("--compress zstd is for SQLite backups; a PostgreSQL custom-format dump is already compressed")]
    CompressPostgres,
    #[error("--format {0} is for PostgreSQL backups; a SQLite backup is a copy of the database file, which any sqlite3 opens (and 'sqlite3 FILE .dump' turns into SQL)")]
    FormatSqlite(&'static str),
    #[error("no backups in '{}'", .0.display())]
    NoBackups(PathBuf),
    #[error("cannot tell which backup in '{}' is the latest: {error}; repair or remove that manifest, or name a backup by its file", dir.display())]
    LatestUnknown {
        dir: PathBuf,
        /// Why the manifest could not be read; it names the manifest.
        error: Box<Error>,
    },
    #[error("no backup of {dialect} database '{name}' in '{}' ({others} of other databases; name one by its file)", dir.display())]
    NoBackupOf {
        dir: PathBuf,
        dialect: Engine,
        name: String,
        others: usize,
    },
    /// `list` showed the backups it could read; these manifests it could not (each error names one).
    #[error(
        "{}: the list above leaves their backups out; repair or remove them",
        unreadable(dir, errors)
    )]
    ListIncomplete { dir: PathBuf, errors: Vec<Error> },
    /// Which backups `prune` keeps depends on every manifest (an unreadable one may be a database's newest), so
    /// it deletes nothing rather than guess.
    #[error("{}: prune deleted nothing, since which backups to keep depends on them; repair or remove them", unreadable(dir, errors))]
    PruneUnreadable { dir: PathBuf, errors: Vec<Error> },
    #[error("backup '{}' does not exist", .0.display())]
    NotFound(PathBuf),
    #[error("backup '{}' has no manifest '{}', so it cannot be checked", backup.display(), manifest.display())]
    NoManifest { backup: PathBuf, manifest: PathBuf },
    #[error("'{}' is not a usable backup manifest: {reason}", path.display())]
    BadManifest { path: PathBuf, reason: String },
    #[error("backup '{}' is corrupt: it is {actual} bytes but its manifest records {expected}", path.display())]
    Size {
        path: PathBuf,
        actual: u64,
        expected: u64,
    },
    #[error("backup '{}' is corrupt: its SHA-256 is {actual} but its manifest records {expected}", path.display())]
    Checksum {
        path: PathBuf,
        actual: String,
        expected: String,
    },
    #[error("backup '{}' is corrupt: {detail}", path.display())]
    Integrity { path: PathBuf, detail: String },
    #[error("backup '{}' restored to revision(s) '{found}' but its manifest records '{recorded}'", path.display())]
    RevisionMismatch {
        path: PathBuf,
        found: String,
        recorded: String,
    },
    #[error("backup '{}' is of a {backup} database; the configured database is {database}", path.display())]
    DialectMismatch {
        path: PathBuf,
        backup: Engine,
        database: String,
    },
    #[error("timed out after {seconds}s waiting for a lock on SQLite database '{}'", path.display())]
    Busy { path: PathBuf, seconds: u64 },
    #[error("SQLite database '{}': {message}", path.display())]
    Sqlite { path: PathBuf, message: String },
    #[error(transparent)]
    Tool(#[from] pgtool::ToolError),
    #[error(
        "invalid duration '{0}': write a number and a unit (s, m, h, d, w), e.g. 30d, 12h or 1d12h"
    )]
    Duration(String),
    #[error("--keep must be at least 1: the newest backup is never deleted")]
    KeepZero,
    #[error("restore replaces the contents of {database}; pass --yes to confirm (stdin is not a terminal)")]
    NeedsYes { database: String },
    #[error("restore cancelled; nothing was changed")]
    Cancelled,
}

/// A client tool that fails during a backup verb fails the verb, reported like any backup error.
impl From<pgtool::ToolError> for Error {
    fn from(e: pgtool::ToolError) -> Error {
        BackupError::Tool(e).into()
    }
}

/// `could not read 2 manifests in 'backups': <first error>; <second error>`.
fn unreadable(dir: &Path, errors: &[Error]) -> String {
    let what = match errors.len() {
        1 => "1 manifest".to_string(),
        n => format!("{n} manifests"),
    };
    let each: Vec<String> = errors.iter().map(Error::to_string).collect();
    format!(
        "could not read {what} in '{}': {}",
        dir.display(),
        each.join("; ")
    )
}

/// How a SQLite backup is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Zstd,
}

/// How a PostgreSQL backup is written by `pg_dump`, named in the manifest as `custom` or `plain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DumpFormat {
    /// `--format=custom`: compressed, read by `pg_restore`.
    #[default]
    Custom,
    /// `--format=plain`: SQL text that `psql -f` runs, written with `--clean --if-exists --no-owner` so that
    /// it replaces what it holds in an existing database, as a restore of the custom format does.
    Plain,
}

impl DumpFormat {
    /// The name the manifest and `list` use.
    pub fn name(self) -> &'static str {
        match self {
            DumpFormat::Custom => "custom",
            DumpFormat::Plain => "plain",
        }
    }
}

/// How `create` runs.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub label: Option<String>,
    pub compression: Option<Compression>,
    /// PostgreSQL's dump format; `None` is custom. Refused for SQLite.
    pub format: Option<DumpFormat>,
    /// Draw a progress bar on stderr when it is a terminal.
    pub progress: bool,
}

/// How `restore` runs.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Back up the live database before replacing it.
    pub safety_backup: bool,
    pub progress: bool,
}

/// What `verify` checked: the backup's path and manifest, then the checks that passed.
#[derive(Debug, Serialize)]
pub struct Verification {
    #[serde(flatten)]
    pub backup: Backup,
    /// One line per check that passed.
    pub checks: Vec<String>,
    /// The version table of the restored copy (`--deep`), else the manifest's.
    pub revisions: Vec<String>,
    /// `--deep`: restored into a scratch database.
    pub deep: bool,
}

/// What `restore` did.
#[derive(Debug, Serialize)]
pub struct Restored {
    /// The version table after the restore.
    pub revisions: Vec<String>,
    /// The backup of the live database taken first.
    pub safety: Option<Backup>,
    /// Tables the database has that the backup does not, left in place (PostgreSQL).
    pub left_in_place: Vec<String>,
}

/// The label of the backup `restore` takes of the live database.
pub(crate) const SAFETY_LABEL: &str = "pre-restore";

/// The directory of a SQLite database file, where a restore prepares its replacement.
fn beside(live: &Path) -> &Path {
    match live.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The database's short name, the first part of backup file names and the key `latest` matches on.
fn short_name(url: &DatabaseUrl) -> Result<String> {
    match url {
        DatabaseUrl::Sqlite(SqliteTarget::Memory) => Err(BackupError::InMemory.into()),
        DatabaseUrl::Sqlite(SqliteTarget::File(path)) => Ok(store::file_safe(
            &path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )),
        DatabaseUrl::Postgres(target) => Ok(store::file_safe(target.dbname())),
    }
}

/// The URL the manifest records: masked, and for SQLite with an absolute path, so it says which file.
fn recorded_url(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(SqliteTarget::File(path)) => {
            SqliteTarget::File(std::path::absolute(path).unwrap_or_else(|_| path.clone())).url()
        }
        other => other.masked(),
    }
}

/// `create`: backs the configured database up into the store and returns the new backup.
pub fn create(
    p: &Project,
    store: &Store,
    o: &CreateOptions,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Backup> {
    if let Some(label) = &o.label {
        store::check_label(label)?;
    }
    let url = p.settings.database_url()?;
    let name = short_name(&url)?;
    let table = p.version_table();
    let created = Utc::now();
    let (tmp, snapshot, ext, dump_format) = match &url {
        DatabaseUrl::Sqlite(SqliteTarget::Memory) => return Err(BackupError::InMemory.into()),
        DatabaseUrl::Sqlite(SqliteTarget::File(path)) => {
            if let Some(format) = o.format {
                return Err(BackupError::FormatSqlite(format.name()).into());
            }
            if !path.is_file() {
                return Err(BackupError::NoDatabase(path.clone()).into());
            }
            let tmp = store.temp_file("backup")?;
            let snapshot = sqlite::backup(path, &tmp, p.settings.busy_timeout, &table, o.progress)?;
            match o.compression {
                None => (tmp, snapshot, "sqlite", None),
                Some(Compression::Zstd) => {
                    let packed = store.temp_file("backup")?;
                    sqlite::compress(&tmp, &packed)?;
                    (packed, snapshot, "sqlite.zst", None)
                }
            }
        }
        DatabaseUrl::Postgres(target) => {
            if o.compression.is_some() {
                return Err(BackupError::CompressPostgres.into());
            }
            let format = o.format.unwrap_or_default();
            let (tmp, snapshot) = postgres::dump(target, store, &table, format, events)?;
            let ext = match format {
                DumpFormat::Custom => "dump",
                DumpFormat::Plain => "sql",
            };
            (tmp, snapshot, ext, Some(format))
        }
    };
    let m = Manifest {
        format: manifest::FORMAT,
        file: String::new(),
        dialect: url.engine(),
        name: name.clone(),
        database: recorded_url(&url),
        server_version: snapshot.server_version,
        version_table: table.qualified(),
        revisions: snapshot.revisions,
        size: 0,
        sha256: String::new(),
        created_at: manifest::format_time(created),
        dbkit_version: crate::VERSION.to_string(),
        label: o.label.clone(),
        compression: o.compression.map(|_| "zstd".to_string()),
        dump_format,
    };
    let base = store::base_name(&name, created, o.label.as_deref());
    let backup = store.publish(tmp, &base, ext, m)?;
    events(Event::Note(&format!(
        "Backed up {} at {} to {} ({}, sha256 {})",
        backup.manifest.database,
        revisions_text(&backup.manifest.revisions),
        backup.path.display(),
        human_size(backup.manifest.size),
        &backup.manifest.sha256[..12],
    )));
    Ok(backup)
}

/// A backup named on the command line, or `latest`: the newest backup of the configured database.
pub fn find(p: &Project, store: &Store, spec: &str) -> Result<Backup> {
    if spec == "latest" {
        let url = p.settings.database_url()?;
        return store.latest(url.engine(), &short_name(&url)?);
    }
    store.open(spec)
}

/// `verify`: the checksum matches the manifest and the contents are readable (SQLite: `integrity_check`;
/// PostgreSQL: `pg_restore --list`). `deep` restores it into a scratch database and reads its version table.
pub fn verify(
    p: &Project,
    backup: Backup,
    deep: bool,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Verification> {
    let m = &backup.manifest;
    let checksum = format!(
        "size and SHA-256 match the manifest ({}, {})",
        human_size(m.size),
        &m.sha256[..12]
    );
    let mut checks = Vec::new();
    let table = p.version_table();
    let mut revisions = m.revisions.clone();
    match m.dialect {
        Engine::Sqlite => {
            manifest::check_file(&backup.path, m)?;
            checks.push(checksum);
            let compressed = m.compression.is_some();
            if deep || compressed {
                // Beside the backup keeps a large copy on the same disk; a read-only backup volume falls
                // back to the system's temporary directory.
                let dir = backup.path.parent().unwrap_or(Path::new("."));
                let tmp = store::temp_file_in(dir, "verify")
                    .or_else(|_| store::temp_file_in(&std::env::temp_dir(), "verify"))?;
                sqlite::materialize(&backup.path, compressed, &tmp)?;
                sqlite::check(&tmp, &backup.path)?;
                checks.push("PRAGMA integrity_check: ok".into());
                if deep {
                    revisions = sqlite::heads(&tmp, &table)?;
                    checks.push(format!(
                        "restored into a scratch file; its {} reads {}",
                        table.qualified(),
                        revisions_text(&revisions)
                    ));
                }
            } else {
                sqlite::check(&backup.path, &backup.path)?;
                checks.push("PRAGMA integrity_check: ok".into());
            }
        }
        Engine::Postgresql => {
            let toc = postgres::read_toc(&backup.path, m)?;
            checks.push(checksum);
            checks.push(if m.is_plain() {
                format!(
                    "a complete pg_dump SQL script of {} entries (its last line says the dump is complete)",
                    toc.entries
                )
            } else {
                format!("pg_restore --list reads {} entries", toc.entries)
            });
            if deep {
                let target = match p.settings.database_url()? {
                    DatabaseUrl::Postgres(target) => target,
                    other => {
                        return Err(BackupError::DialectMismatch {
                            path: backup.path.clone(),
                            backup: m.dialect,
                            database: format!("{} ({})", other.engine(), other.masked()),
                        }
                        .into())
                    }
                };
                revisions =
                    postgres::scratch_restore(&target, &backup.path, m.is_plain(), &table, events)?;
                checks.push(format!(
                    "restored into a scratch database (dropped again); its {} reads {}",
                    table.qualified(),
                    revisions_text(&revisions)
                ));
            }
        }
    }
    // Another project's configuration may name another version table; only the same table can disagree.
    if deep && table.qualified() == m.version_table && revisions != m.revisions {
        return Err(BackupError::RevisionMismatch {
            path: backup.path.clone(),
            found: revisions.join(", "),
            recorded: m.revisions.join(", "),
        }
        .into());
    }
    Ok(Verification {
        backup,
        checks,
        revisions,
        deep,
    })
}

/// `restore`: checks the backup, asks `confirm`, backs the live database up, then replaces it.
pub fn restore(
    p: &Project,
    store: &Store,
    backup: &Backup,
    o: &RestoreOptions,
    confirm: &mut dyn FnMut(&str) -> Result<()>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Restored> {
    let url = p.settings.database_url()?;
    let m = &backup.manifest;
    if url.engine() != m.dialect {
        return Err(BackupError::DialectMismatch {
            path: backup.path.clone(),
            backup: m.dialect,
            database: format!("{} ({})", url.engine(), url.masked()),
        }
        .into());
    }
    let question = format!(
        "Replace the contents of {} with backup {} ({}, taken {})?",
        url.masked(),
        backup.path.display(),
        revisions_text(&m.revisions),
        m.created_at
    );
    let safety_options = CreateOptions {
        label: Some(SAFETY_LABEL.into()),
        compression: None,
        format: None,
        progress: o.progress,
    };
    let mut safety = None;
    let mut left_in_place = Vec::new();
    match &url {
        DatabaseUrl::Sqlite(SqliteTarget::Memory) => return Err(BackupError::InMemory.into()),
        DatabaseUrl::Sqlite(SqliteTarget::File(live)) => {
            manifest::check_file(&backup.path, m)?;
            let dir = beside(live);
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
            // A killed restore left its copy here, as large as the database: make room before making another.
            let stale = store::restore_leftovers(dir)?
                .into_iter()
                .filter(|(_, judged)| *judged == Leftover::Stale);
            for (path, _) in stale {
                std::fs::remove_file(&path).map_err(Error::io(&path))?;
                events(Event::Note(&format!(
                    "Removed {}, left by a restore that never finished",
                    path.display()
                )));
            }
            // The new file is prepared and checked beside the database before anything else happens, and held
            // until it has replaced the database.
            let tmp = store::temp_file_in(dir, store::RESTORE_PURPOSE)?;
            let _partial = store::hold(&tmp)?;
            sqlite::materialize(&backup.path, m.compression.is_some(), &tmp)?;
            sqlite::check(&tmp, &backup.path)?;
            confirm(&question)?;
            // No migration may run between the safety backup and the replacement, nor be writing the file
            // that is replaced.
            let _migrations =
                dialect::sqlite::lock::acquire_file(live, p.settings.lock_timeout, &mut |m| {
                    events(Event::Waiting(m))
                })?;
            if o.safety_backup && live.exists() {
                safety = Some(create(p, store, &safety_options, events)?);
            }
            sqlite::install(live, tmp, p.settings.busy_timeout)?;
        }
        DatabaseUrl::Postgres(target) => {
            let toc = postgres::read_toc(&backup.path, m)?;
            confirm(&question)?;
            let mut conn = p.connect()?;
            let held = lock::acquire(
                conn.as_mut(),
                &p.version_table().qualified(),
                p.settings.lock_timeout,
                &mut |m| events(Event::Waiting(m)),
            )?;
            if o.safety_backup {
                safety = Some(create(p, store, &safety_options, events)?);
            }
            postgres::restore(target, &backup.path, m.is_plain(), events)?;
            left_in_place = postgres::tables_not_in(target, &toc)?;
            held.release(conn.as_mut())?;
        }
    }
    let mut conn = p.connect()?;
    let revisions = p.db_heads(conn.as_mut())?;
    for table in &left_in_place {
        events(Event::Note(&format!(
            "warning: table {table} is not in the backup and was left in place"
        )));
    }
    events(Event::Note(&format!(
        "Restored {} from {}; it is now at {}",
        url.masked(),
        backup.path.display(),
        revisions_text(&revisions)
    )));
    if let Some(safety) = &safety {
        events(Event::Note(&format!(
            "The database as it was before is in {}",
            safety.path.display()
        )));
    }
    Ok(Restored {
        revisions,
        safety,
        left_in_place,
    })
}

/// Asks before a restore: `--yes` answers for the user; otherwise the question needs a terminal to be
/// answered on, and anything but y or yes cancels.
pub fn confirm(
    question: &str,
    database: &str,
    yes: bool,
    interactive: bool,
    input: &mut dyn BufRead,
    prompt: &mut dyn Write,
) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !interactive {
        return Err(BackupError::NeedsYes {
            database: database.to_string(),
        }
        .into());
    }
    let stderr = |e| Error::io("<stderr>")(e);
    write!(prompt, "{question} [y/N] ").map_err(stderr)?;
    prompt.flush().map_err(stderr)?;
    let mut answer = String::new();
    input
        .read_line(&mut answer)
        .map_err(|e| Error::io("<stdin>")(e))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(BackupError::Cancelled.into()),
    }
}

/// What `prune` deleted, or would delete.
#[derive(Debug, Default, Serialize)]
pub struct Pruned {
    /// `--dry-run`: nothing was deleted.
    pub dry_run: bool,
    /// The backups directory.
    #[serde(serialize_with = "store::path_text")]
    pub dir: PathBuf,
    pub backups: Vec<Backup>,
    /// Temporary files of backups that never finished.
    pub unfinished: Vec<PathBuf>,
    /// Temporary files of restores that never finished, beside the configured SQLite database.
    pub unfinished_restores: Vec<PathBuf>,
    /// Temporary files seen but kept, since they may belong to a backup or restore still running; each was
    /// reported as a progress line.
    #[serde(skip)]
    pub kept: Vec<Kept>,
}

/// A temporary file `prune` saw and kept; it displays as `kept <path>: <why>` (see [`crate::render::backup`]).
#[derive(Debug)]
pub struct Kept {
    pub path: PathBuf,
    /// Of a restore (beside the database) rather than of a backup.
    pub restore: bool,
    pub why: InUse,
}

/// `prune`: deletes (or with `dry_run` only names) the backups [`prune::select`] picks, with their manifests,
/// the temporary files of backups killed a day or more ago, and those of killed restores beside the configured
/// SQLite database (see [`store::restore_leftovers`]). With a manifest it cannot read it deletes nothing. Each
/// temporary file it keeps is reported to `events` as it is found.
pub fn prune(
    p: &Project,
    store: &Store,
    o: &PruneOptions,
    now: DateTime<Utc>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Pruned> {
    // Everything that can fail before a file is deleted is done first, so a bad option deletes nothing.
    let restore_dir = match p.settings.database_url()? {
        DatabaseUrl::Sqlite(SqliteTarget::File(live)) => Some(beside(&live).to_path_buf()),
        _ => None,
    };
    let listing = store.list()?;
    if !listing.skipped.is_empty() {
        return Err(BackupError::PruneUnreadable {
            dir: store.dir().to_path_buf(),
            errors: listing.skipped.into_iter().map(|(_, e)| e).collect(),
        }
        .into());
    }
    let chosen = prune::select(&listing.backups, o, now)?;
    let mut pruned = Pruned {
        dry_run: o.dry_run,
        dir: store.dir().to_path_buf(),
        ..Pruned::default()
    };
    for i in chosen {
        let backup = listing.backups[i].clone();
        if !o.dry_run {
            store.remove(&backup)?;
        }
        pruned.backups.push(backup);
    }
    let remove = |path: &PathBuf| -> Result<()> {
        if !o.dry_run {
            std::fs::remove_file(path).map_err(Error::io(path))?;
        }
        Ok(())
    };
    let restores = match restore_dir {
        Some(dir) => store::restore_leftovers(&dir)?,
        None => Vec::new(),
    };
    let found = store
        .unfinished(prune::UNFINISHED_AGE)?
        .into_iter()
        .map(|found| (found, false))
        .chain(restores.into_iter().map(|found| (found, true)));
    for ((path, why), restore) in found {
        if let Leftover::Live(why) = why {
            let kept = Kept { path, restore, why };
            events(Event::Note(&kept.to_string()));
            pruned.kept.push(kept);
            continue;
        }
        remove(&path)?;
        if restore {
            pruned.unfinished_restores.push(path);
        } else {
            pruned.unfinished.push(path);
        }
    }
    Ok(pruned)
}

/// One backup as `list` shows it: where it is, then its manifest's fields.
#[derive(Debug, Serialize)]
pub struct ListEntry {
    pub path: String,
    pub exists: bool,
    pub age_seconds: i64,
    #[serde(flatten)]
    pub manifest: Manifest,
    #[serde(skip)]
    pub created: DateTime<Utc>,
}

/// What `list` found: newest first, a bare array of entries in JSON. The manifests it could not read are kept
/// apart, for [`BackupList::check_complete`] once the list is out.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct BackupList {
    pub entries: Vec<ListEntry>,
    /// The store's listing with its backups moved into `entries`: what is left is the unreadable manifests.
    #[serde(skip)]
    pub listing: Listing,
    /// The backups directory, which the unreadable manifests' error names.
    #[serde(skip)]
    pub dir: PathBuf,
}

impl BackupList {
    /// Nothing to show and nothing unreadable.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.listing.skipped.is_empty()
    }

    /// Fails naming every manifest that could not be read.
    pub fn check_complete(self) -> Result<()> {
        self.listing.check_complete(&self.dir)
    }
}

/// `list`: the backups in the store, newest first, with their age at `now`.
pub fn list(store: &Store, now: DateTime<Utc>) -> Result<BackupList> {
    let mut listing = store.list()?;
    let entries = std::mem::take(&mut listing.backups)
        .into_iter()
        .map(|b| ListEntry {
            path: b.path.display().to_string(),
            exists: b.path.is_file(),
            age_seconds: now.signed_duration_since(b.created()).num_seconds().max(0),
            created: b.created(),
            manifest: b.manifest,
        })
        .collect();
    Ok(BackupList {
        entries,
        listing,
        dir: store.dir().to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_needs_yes_or_an_answer_on_a_terminal() {
        let ask = |yes, interactive, answer: &str| {
            let mut input = std::io::Cursor::new(answer.as_bytes().to_vec());
            let mut prompt = Vec::new();
            confirm("Replace?", "db", yes, interactive, &mut input, &mut prompt)
                .map_err(|e| e.to_string())
        };
        assert!(ask(true, false, "").is_ok());
        let e = ask(false, false, "y\n").unwrap_err();
        assert!(e.contains("pass --yes"), "{e}");
        assert!(ask(false, true, "y\n").is_ok());
        assert!(ask(false, true, "YES\n").is_ok());
        assert!(ask(false, true, "\n")
            .unwrap_err()
            .contains("restore cancelled"));
    }
}
