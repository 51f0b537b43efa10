//! `db-init`: makes the database a deploy is about to migrate exist, and says what it found. On PostgreSQL it
//! creates the database through a maintenance database, then the extensions the schema relies on; on SQLite it
//! creates the file in WAL mode and checks it. Every step looks before it acts, so a second run changes nothing,
//! and a failure caused by a missing privilege says which one, and what to ask an administrator to run.
//!
//! Progress goes to a callback and the result comes back as a [`Report`], so the binary decides where each is
//! printed (stdout, or stderr when the report is JSON).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::Settings;
use crate::dburl::{ConnectError, DatabaseUrl, PgTarget, SqliteTarget};
use crate::dialect::{self, pg_db_error, quote_literal, Connection};
use crate::error::{Error, Result};
use crate::lock;
use crate::project::Project;
use crate::version::VersionTable;

/// Extensions created when neither `--extension` nor `DB_EXTENSIONS` names any.
pub const DEFAULT_EXTENSIONS: &[&str] = &["uuid-ossp", "pgcrypto"];

/// How long `--wait` waits when given without a number.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// The variables that name the environment, checked in this order before `--recreate`.
pub const ENVIRONMENT_VARIABLES: &[&str] = &["DBKIT_ENV", "APP_ENV", "ENVIRONMENT"];

/// Databases to try, in order, for creating the target: every cluster has them and any role may usually
/// connect to them.
const MAINTENANCE_DATABASES: &[&str] = &["postgres", "template1"];

/// PostgreSQL truncates longer identifiers, so a longer name would never be found again after creation.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// What to do, beyond the database URL and version table that come from the settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// PostgreSQL: the new database's owner (default: the connecting role).
    pub owner: Option<String>,
    /// PostgreSQL: the database to copy (default: the server's, `template1`).
    pub template: Option<String>,
    pub encoding: Option<String>,
    pub locale: Option<String>,
    /// PostgreSQL: extensions to create, in order (see [`extensions`]).
    pub extensions: Vec<String>,
    /// SQLite: the journal mode; `None` is WAL.
    pub journal_mode: Option<JournalMode>,
    /// Retry a connection the server refuses while starting, for up to this long.
    pub wait: Option<Duration>,
    /// Drop the database (the file, on SQLite) and create it again.
    pub recreate: bool,
    /// Confirms `recreate`.
    pub yes: bool,
    /// Allows `recreate` where [`production`] found a production environment.
    pub force_production: bool,
    /// What [`production`] found.
    pub production: Option<Production>,
}

/// The variable that says this is a production environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Production {
    pub variable: &'static str,
    pub value: String,
}

/// The first of `DBKIT_ENV`, `APP_ENV`, `ENVIRONMENT` that says `production` (or `prod`), in any case.
pub fn production(env: &dyn Fn(&str) -> Option<String>) -> Option<Production> {
    ENVIRONMENT_VARIABLES.iter().find_map(|&variable| {
        let value = env(variable)?;
        let v = value.trim().to_ascii_lowercase();
        (v == "production" || v == "prod").then_some(Production { variable, value })
    })
}

/// The extensions to create: none with `none`; else those named by the flags; else `DB_EXTENSIONS`
/// (comma-separated; `none` for none; unset or blank means the default); else [`DEFAULT_EXTENSIONS`]. Each
/// name is kept once, in the order first given.
pub fn extensions(
    flags: &[String],
    none: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<String> {
    if none {
        return Vec::new();
    }
    let listed: Vec<String> = if !flags.is_empty() {
        flags.to_vec()
    } else {
        match env("DB_EXTENSIONS").filter(|v| !v.trim().is_empty()) {
            Some(v) if v.trim().eq_ignore_ascii_case("none") => return Vec::new(),
            Some(v) => vec![v],
            None => DEFAULT_EXTENSIONS.iter().map(|s| s.to_string()).collect(),
        }
    };
    let mut out: Vec<String> = Vec::new();
    for name in listed.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

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
    pub fn as_str(self) -> &'static str {
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

/// Why `db-init` stopped. Names are quoted as given; passwords never appear.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("--recreate drops {what} and everything in it; add --yes to confirm")]
    NotConfirmed { what: String },
    #[error(
        "refusing to recreate {what}: {variable} is '{value}'; add --force-production to recreate it anyway"
    )]
    Production {
        what: String,
        variable: &'static str,
        value: String,
    },
    #[error("refusing to recreate '{0}': it is one of the server's own databases")]
    SystemDatabase(String),
    #[error(
        "{0}; if the server is starting, --wait retries until it is up ({default}s by default)",
        default = DEFAULT_WAIT.as_secs()
    )]
    ServerDown(ConnectError),
    #[error("gave up after {seconds}s waiting for PostgreSQL at {server}: {last}")]
    GaveUp {
        seconds: u64,
        server: String,
        last: String,
    },
    #[error("database name '{name}' is {bytes} bytes long; PostgreSQL allows at most 63")]
    NameTooLong { name: String, bytes: usize },
    /// A statement failed for want of a privilege; `advice` says what an administrator can run.
    #[error("{context}: {cause}; {advice}")]
    Privilege {
        context: String,
        cause: String,
        advice: String,
    },
    #[error("could not create {} in database '{database}': {}{}",
        if failures.len() == 1 { "an extension".to_string() } else { format!("{} extensions", failures.len()) },
        failures.join("; "),
        advice.as_ref().map(|a| format!("; {a}")).unwrap_or_default())]
    Extensions {
        database: String,
        failures: Vec<String>,
        advice: Option<String>,
    },
    #[error("could not connect to a maintenance database to create '{database}' ({tried}), nor to '{database}' itself: {target}")]
    NoMaintenance {
        database: String,
        tried: String,
        target: String,
    },
    #[error("'{path}' failed PRAGMA quick_check: {problems}")]
    QuickCheck { path: String, problems: String },
    #[error("SQLite kept journal mode '{actual}' for '{path}' instead of '{wanted}'")]
    JournalModeKept {
        path: String,
        wanted: JournalMode,
        actual: String,
    },
    #[error(
        "unknown journal mode '{0}'; expected one of delete, truncate, persist, memory, wal, off"
    )]
    UnknownJournalMode(String),
}

/// What happened to the database or an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Created,
    Recreated,
    Existing,
}

impl State {
    fn describe(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Recreated => "recreated",
            State::Existing => "already there",
        }
    }
}

/// The database as found at the end.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseReport {
    /// The database name on PostgreSQL, the file path on SQLite.
    pub name: String,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// SQLite: the directory created for the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_directory: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExtensionReport {
    pub name: String,
    pub version: String,
    pub state: State,
}

/// SQLite's journal mode and whether this run changed it.
#[derive(Debug, Clone, Serialize)]
pub struct JournalReport {
    pub mode: String,
    pub changed: bool,
}

/// What `db-init` verified once it was done.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `sqlite` or `postgresql`.
    pub dialect: &'static str,
    /// The URL with its password masked.
    pub url: String,
    /// e.g. `PostgreSQL 15.20` or `SQLite 3.50.2`.
    pub server: String,
    pub database: DatabaseReport,
    pub extensions: Vec<ExtensionReport>,
    /// Extensions asked for where they do not apply (SQLite).
    pub skipped_extensions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_mode: Option<JournalReport>,
    /// SQLite: `ok`, the result of `PRAGMA quick_check`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick_check: Option<String>,
    /// The configured version table, qualified.
    pub version_table: String,
    /// The current revisions; empty for a version table with no rows, `null` when there is no version table.
    pub revision: Option<Vec<String>>,
    /// Things worth knowing that are not errors (an option that does not apply, an existing database whose
    /// owner differs from `--owner`).
    pub notes: Vec<String>,
    /// Whether this run created or changed anything.
    pub changed: bool,
}

impl Report {
    /// The report as the lines a person reads.
    pub fn text(&self) -> String {
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
            format!("{}, {}{details}", d.name, d.state.describe()),
        ));
        for e in &self.extensions {
            lines.push((
                "extension",
                format!("{} {}, {}", e.name, e.version, e.state.describe()),
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

/// Creates the database the settings point at (and its extensions, on PostgreSQL) unless it is already there,
/// then verifies it. `say` receives progress lines.
pub fn run(project: &Project, opts: &Options, say: &mut dyn FnMut(&str)) -> Result<Report> {
    let url = project.settings.database_url()?;
    let version = project.version_table();
    match &url {
        DatabaseUrl::Sqlite(target) => sqlite(&url, target, &version, &project.settings, opts, say),
        DatabaseUrl::Postgres(target) => postgres(target, &version, opts, say),
    }
}

/// Refuses `--recreate` without `--yes`, and in production without `--force-production`.
fn guard_recreate(opts: &Options, what: &str) -> Result<()> {
    if let Some(p) = opts.production.as_ref().filter(|_| !opts.force_production) {
        return Err(InitError::Production {
            what: what.to_string(),
            variable: p.variable,
            value: p.value.clone(),
        }
        .into());
    }
    if !opts.yes {
        return Err(InitError::NotConfirmed {
            what: what.to_string(),
        }
        .into());
    }
    Ok(())
}

/// The revisions in the version table; `None` when there is no version table.
fn revision(conn: &mut dyn Connection, version: &VersionTable) -> Result<Option<Vec<String>>> {
    if !version.exists(conn)? {
        return Ok(None);
    }
    version.read(conn).map(Some)
}

// ---- SQLite ----

fn sqlite(
    url: &DatabaseUrl,
    target: &SqliteTarget,
    version: &VersionTable,
    settings: &Settings,
    opts: &Options,
    say: &mut dyn FnMut(&str),
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
                say(&format!("creating directory '{}'", dir.display()));
                std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
                created_directory = Some(dir.display().to_string());
            }
        }
        _held = Some(lock::acquire_file(path, settings.lock_timeout, say)?);
        if path.exists() {
            state = State::Existing;
            if opts.recreate {
                say(&format!("removing {what} and its -wal and -shm files"));
                remove_sqlite_files(path)?;
                state = State::Recreated;
            }
        }
        if state != State::Existing {
            say(&format!("creating {}", url.masked()));
        } else {
            say(&format!("opening {}", url.masked()));
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
            say,
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
        dialect: "sqlite",
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
    say: &mut dyn FnMut(&str),
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
        say(&format!("setting journal mode {wanted}"));
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

// ---- PostgreSQL ----

/// An identifier in double quotes, always: in the statements shown to an administrator it reads the same
/// whatever the name.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Who is connected, and whether that role may create databases.
struct Role {
    name: String,
    createdb: bool,
    superuser: bool,
}

/// An existing database's settings.
struct Existing {
    owner: String,
    encoding: String,
    collation: String,
}

fn postgres(
    target: &PgTarget,
    version: &VersionTable,
    opts: &Options,
    say: &mut dyn FnMut(&str),
) -> Result<Report> {
    let name = target.dbname().to_string();
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err(InitError::NameTooLong {
            bytes: name.len(),
            name,
        }
        .into());
    }
    let mut notes = Vec::new();
    if opts.journal_mode.is_some() {
        notes.push("--journal-mode applies only to SQLite; ignored".to_string());
    }
    if opts.recreate {
        if MAINTENANCE_DATABASES.contains(&name.as_str()) || name == "template0" {
            return Err(InitError::SystemDatabase(name).into());
        }
        guard_recreate(opts, &format!("database '{name}'"))?;
    }
    let deadline = opts.wait.map(|w| (Instant::now() + w, w));

    let first = target.with_dbname(MAINTENANCE_DATABASES[0]);
    say(&format!("connecting to {}", first.masked()));
    let state = match maintenance(target, deadline, say)? {
        Ok(mut admin) => create_database(&mut admin, target, opts, &mut notes, say)?,
        Err(tried) => {
            // No maintenance database is open to this role. The target itself may be, in which case it
            // exists and there is nothing to create.
            if opts.recreate {
                return Err(Error::Connect(format!(
                    "--recreate needs a maintenance database to drop '{name}' from, and none could be opened ({tried})"
                )));
            }
            match target.connect() {
                Ok(_) => {
                    notes.push(format!(
                        "no maintenance database could be opened ({tried}); the database exists, so none was needed"
                    ));
                    State::Existing
                }
                Err(e) => {
                    return Err(InitError::NoMaintenance {
                        database: name,
                        tried,
                        target: e.detail().to_string(),
                    }
                    .into())
                }
            }
        }
    };

    say(&format!("connecting to {}", target.masked()));
    let mut conn = match dialect::connect(&DatabaseUrl::Postgres(target.clone()), Duration::ZERO) {
        Ok(conn) => conn,
        Err(Error::PgConnect(e)) if e.code() == Some("42501") => {
            return Err(InitError::Privilege {
                context: format!("could not connect to database '{name}'"),
                cause: e.detail().to_string(),
                advice: format!(
                    "role '{user}' lacks CONNECT on it; ask an administrator to run GRANT CONNECT ON DATABASE {} TO {};",
                    ident(&name),
                    ident(target.user()),
                    user = target.user()
                ),
            }
            .into())
        }
        Err(e) => return Err(e),
    };
    let conn = conn.as_mut();
    let (extensions, created) = create_extensions(conn, &name, &opts.extensions, say)?;

    let server = conn
        .server_version()
        .map_err(Error::db("could not read the server version"))?;
    let info = conn
        .query(
            "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, datcollate::text \
             FROM pg_database WHERE datname = current_database()",
        )
        .map_err(Error::db(format!("could not read the settings of '{name}'")))?;
    let field = |i: usize| info.first().and_then(|r| r.get(i).cloned().flatten());
    let revision = revision(conn, version)?;
    Ok(Report {
        dialect: "postgresql",
        url: target.masked(),
        server,
        database: DatabaseReport {
            name,
            state,
            owner: field(0),
            encoding: field(1),
            collation: field(2),
            created_directory: None,
        },
        extensions,
        skipped_extensions: Vec::new(),
        journal_mode: None,
        quick_check: None,
        version_table: version.qualified(),
        revision,
        notes,
        changed: state != State::Existing || created,
    })
}

/// One connection attempt's failure.
enum Failure {
    Refused(ConnectError),
    /// The attempt did not finish within the time left to wait.
    NoAnswer(Duration),
}

/// One attempt, bounded by `limit`: the URL's `connect_timeout` bounds only the TCP connect, and a
/// server that accepts and then says nothing would otherwise hold the wait past its deadline.
fn attempt(target: &PgTarget, limit: Duration) -> std::result::Result<postgres::Client, Failure> {
    let (tx, rx) = mpsc::channel();
    let target = target.clone();
    std::thread::spawn(move || {
        // The receiver is gone once the wait gave up; the late connection is then simply closed.
        let _ = tx.send(target.connect());
    });
    match rx.recv_timeout(limit) {
        Ok(result) => result.map_err(Failure::Refused),
        Err(_) => Err(Failure::NoAnswer(limit)),
    }
}

/// Connects as `target` describes, retrying what may pass (refused, starting up) until `deadline`.
fn connect_waiting(
    target: &PgTarget,
    deadline: Option<(Instant, Duration)>,
    say: &mut dyn FnMut(&str),
) -> Result<std::result::Result<postgres::Client, ConnectError>> {
    let Some((deadline, total)) = deadline else {
        return match target.connect() {
            Ok(client) => Ok(Ok(client)),
            Err(e) if e.is_retryable() => Err(InitError::ServerDown(e).into()),
            Err(e) => Ok(Err(e)),
        };
    };
    let started = Instant::now();
    let server = target.host_display();
    let mut backoff = Duration::from_millis(200);
    let mut last_reason = String::new();
    let mut last_said = started;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let reason = match attempt(target, left.max(Duration::from_secs(1))) {
            Ok(client) => {
                if !last_reason.is_empty() {
                    say(&format!(
                        "PostgreSQL at {server} is up after {:.1}s",
                        started.elapsed().as_secs_f64()
                    ));
                }
                return Ok(Ok(client));
            }
            Err(Failure::Refused(e)) if !e.is_retryable() => return Ok(Err(e)),
            Err(Failure::Refused(e)) => e.detail().to_string(),
            Err(Failure::NoAnswer(limit)) => {
                format!("no answer within {}s", limit.as_secs_f64().ceil())
            }
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(InitError::GaveUp {
                seconds: total.as_secs(),
                server,
                last: reason,
            }
            .into());
        }
        if reason != last_reason || last_said.elapsed() >= Duration::from_secs(10) {
            say(&format!(
                "waiting for PostgreSQL at {server} ({reason}); giving up in {}s",
                left.as_secs_f64().ceil()
            ));
            last_said = Instant::now();
        }
        last_reason = reason;
        std::thread::sleep(backoff.min(left));
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// Opens the first maintenance database this role may use. Waits for the server on the first; the rest are
/// tried only when the server turned away that one database (missing, or closed to this role). `Err` lists
/// what was tried, when none could be opened for such reasons.
fn maintenance(
    target: &PgTarget,
    deadline: Option<(Instant, Duration)>,
    say: &mut dyn FnMut(&str),
) -> Result<std::result::Result<postgres::Client, String>> {
    let mut tried = Vec::new();
    for (i, db) in MAINTENANCE_DATABASES.iter().enumerate() {
        let t = target.with_dbname(db);
        let result = if i == 0 {
            connect_waiting(&t, deadline, say)?
        } else {
            say(&format!("connecting to {}", t.masked()));
            t.connect()
        };
        match result {
            Ok(client) => return Ok(Ok(client)),
            // 3D000: no such database; 42501: no CONNECT; 28000: the server's access rules turn this
            // database away.
            Err(e) if matches!(e.code(), Some("3D000" | "42501" | "28000")) => {
                tried.push(format!("{db}: {}", e.detail()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Err(tried.join("; ")))
}

fn current_role(admin: &mut postgres::Client) -> Result<Role> {
    let row = admin
        .query_one(
            "SELECT current_user::text, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map_err(|e| Error::db("could not read the current role")(pg_db_error(&e)))?;
    Ok(Role {
        name: row.get(0),
        createdb: row.get(1),
        superuser: row.get(2),
    })
}

fn find_database(admin: &mut postgres::Client, name: &str) -> Result<Option<Existing>> {
    let row = admin
        .query_opt(
            "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, datcollate::text \
             FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .map_err(|e| Error::db(format!("could not look for database '{name}'"))(pg_db_error(&e)))?;
    Ok(row.map(|r| Existing {
        owner: r.get(0),
        encoding: r.get(1),
        collation: r.get(2),
    }))
}

/// Encoding names as the server compares them: `utf-8`, `UTF8` and `utf_8` are one encoding.
fn same_encoding(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// Creates (or drops and creates) the database through the maintenance connection.
fn create_database(
    admin: &mut postgres::Client,
    target: &PgTarget,
    opts: &Options,
    notes: &mut Vec<String>,
    say: &mut dyn FnMut(&str),
) -> Result<State> {
    let name = target.dbname();
    let mut existing = find_database(admin, name)?;
    let mut state = State::Created;
    if existing.is_some() && opts.recreate {
        drop_database(admin, name, say)?;
        existing = None;
        state = State::Recreated;
    }
    if let Some(found) = existing {
        if let Some(owner) = opts.owner.as_ref().filter(|o| **o != found.owner) {
            notes.push(format!(
                "database '{name}' exists with owner '{}', not '{owner}'; left as it is",
                found.owner
            ));
        }
        if let Some(enc) = opts
            .encoding
            .as_ref()
            .filter(|e| !same_encoding(e, &found.encoding))
        {
            notes.push(format!(
                "database '{name}' exists with encoding '{}', not '{enc}'; left as it is",
                found.encoding
            ));
        }
        if let Some(locale) = opts.locale.as_ref().filter(|l| **l != found.collation) {
            notes.push(format!(
                "database '{name}' exists with collation '{}', not '{locale}'; left as it is",
                found.collation
            ));
        }
        return Ok(State::Existing);
    }
    let mut sql = format!("CREATE DATABASE {}", ident(name));
    if let Some(owner) = &opts.owner {
        sql.push_str(&format!(" OWNER {}", ident(owner)));
    }
    if let Some(template) = &opts.template {
        sql.push_str(&format!(" TEMPLATE {}", ident(template)));
    }
    if let Some(encoding) = &opts.encoding {
        sql.push_str(&format!(" ENCODING {}", quote_literal(encoding)));
    }
    if let Some(locale) = &opts.locale {
        sql.push_str(&format!(" LOCALE {}", quote_literal(locale)));
    }
    say(&format!("creating database '{name}'"));
    match admin.batch_execute(&sql) {
        Ok(()) => Ok(state),
        Err(e) => {
            let cause = pg_db_error(&e);
            let context = format!("could not create database '{name}'");
            match cause.code.as_deref() {
                // Another run created it between the look and the create: it is there, which is all this run
                // wanted. A run that commits first makes the others fail with 23505 on the catalog's unique
                // index rather than 42P04, so the database is looked for again rather than assumed.
                Some("42P04" | "23505") if find_database(admin, name)?.is_some() => {
                    Ok(State::Existing)
                }
                Some("42501") => {
                    let role = current_role(admin)?;
                    Err(InitError::Privilege {
                        context,
                        cause: cause.to_string(),
                        advice: create_advice(&role, name, opts),
                    }
                    .into())
                }
                Some("22023") if cause.message.contains("template database") => {
                    Err(Error::Config(format!(
                        "{context}: {cause}; an encoding or locale other than the template's needs --template template0"
                    )))
                }
                Some("22023") if cause.message.contains("does not match locale") => {
                    Err(Error::Config(format!(
                        "{context}: {cause}; give a --locale that suits the encoding (C suits any), with --template template0"
                    )))
                }
                _ => Err(Error::db(context)(cause)),
            }
        }
    }
}

/// What an administrator can run when CREATE DATABASE was refused.
fn create_advice(role: &Role, name: &str, opts: &Options) -> String {
    let owner = opts.owner.as_deref().unwrap_or(&role.name);
    if !role.createdb && !role.superuser {
        format!(
            "role '{}' lacks CREATEDB; ask an administrator to run ALTER ROLE {} CREATEDB; or CREATE DATABASE {} OWNER {};",
            role.name,
            ident(&role.name),
            ident(name),
            ident(owner)
        )
    } else if let Some(owner) = &opts.owner {
        format!(
            "role '{}' may create databases but not give them to '{owner}'; ask an administrator to run GRANT {} TO {}; or CREATE DATABASE {} OWNER {};",
            role.name,
            ident(owner),
            ident(&role.name),
            ident(name),
            ident(owner)
        )
    } else {
        format!(
            "ask an administrator to run CREATE DATABASE {} OWNER {};",
            ident(name),
            ident(owner)
        )
    }
}

fn drop_database(
    admin: &mut postgres::Client,
    name: &str,
    say: &mut dyn FnMut(&str),
) -> Result<()> {
    let version: i64 = admin
        .query_one("SELECT current_setting('server_version_num')::bigint", &[])
        .map_err(|e| Error::db("could not read the server version")(pg_db_error(&e)))?
        .get(0);
    // Before 13 there is no FORCE, and the drop fails while anyone is connected; the error says so.
    let force = if version >= 130000 {
        " WITH (FORCE)"
    } else {
        ""
    };
    say(&format!("dropping database '{name}'"));
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}{force}", ident(name)))
        .map_err(|e| {
            let cause = pg_db_error(&e);
            let context = format!("could not drop database '{name}'");
            if cause.code.as_deref() == Some("42501") {
                InitError::Privilege {
                    context,
                    cause: cause.to_string(),
                    advice: format!(
                        "only its owner or a superuser may drop it; ask one to run DROP DATABASE {}{force};",
                        ident(name)
                    ),
                }
                .into()
            } else {
                Error::db(context)(cause)
            }
        })
}

/// Creates each missing extension. Tries them all, so that one error can list every statement an
/// administrator needs to run; returns the extensions and whether any was created.
fn create_extensions(
    conn: &mut dyn Connection,
    database: &str,
    names: &[String],
    say: &mut dyn FnMut(&str),
) -> Result<(Vec<ExtensionReport>, bool)> {
    let installed = |conn: &mut dyn Connection, ext: &str| {
        conn.value(&format!(
            "SELECT extversion FROM pg_extension WHERE extname = {}",
            quote_literal(ext)
        ))
        .map_err(Error::db(format!("could not look for extension '{ext}'")))
    };
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    let mut for_admin = Vec::new();
    let mut created = false;
    for ext in names {
        if let Some(version) = installed(conn, ext)? {
            reports.push(ExtensionReport {
                name: ext.clone(),
                version,
                state: State::Existing,
            });
            continue;
        }
        let available = conn
            .value(&format!(
                "SELECT default_version FROM pg_available_extensions WHERE name = {}",
                quote_literal(ext)
            ))
            .map_err(Error::db(format!("could not look for extension '{ext}'")))?;
        if available.is_none() {
            failures.push(format!(
                "extension '{ext}' is not available on the server (install the package that provides it there)"
            ));
            continue;
        }
        say(&format!("creating extension '{ext}'"));
        // Without IF NOT EXISTS, so that a run which lost the race to another is told so by an error
        // and reports the extension as already there rather than created. An administrator gets the
        // statement that is safe to run in any case.
        let statement = format!("CREATE EXTENSION IF NOT EXISTS {};", ident(ext));
        let state = match conn.batch(&format!("CREATE EXTENSION {}", ident(ext))) {
            Ok(()) => {
                created = true;
                State::Created
            }
            // Another run created it at the same moment (unique_violation or duplicate_object, depending on
            // which of the extension's objects collided first).
            Err(e) if matches!(e.code.as_deref(), Some("23505" | "42710")) => State::Existing,
            Err(e) if e.code.as_deref() == Some("42501") => {
                // Only to word the advice: a failure here must not hide the real error.
                let user = conn
                    .value("SELECT current_user::text")
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let trusted = conn.value(&format!(
                        "SELECT v.trusted::text FROM pg_available_extension_versions v \
                         JOIN pg_available_extensions a ON a.name = v.name AND a.default_version = v.version \
                         WHERE v.name = {}",
                        quote_literal(ext)
                    )).ok()
                .flatten();
                let why = match trusted.as_deref() {
                    Some("false") => "it needs a superuser".to_string(),
                    Some("true") => format!(
                        "it needs CREATE on the database, which GRANT CREATE ON DATABASE {} TO {}; would give",
                        ident(database),
                        ident(&user)
                    ),
                    _ => "it needs a superuser, or CREATE on the database if it is trusted".to_string(),
                };
                failures.push(format!("extension '{ext}': {e}; {why}"));
                for_admin.push(statement);
                continue;
            }
            Err(e) => {
                failures.push(format!("extension '{ext}': {e}"));
                continue;
            }
        };
        let version = installed(conn, ext)?.unwrap_or_default();
        reports.push(ExtensionReport {
            name: ext.clone(),
            version,
            state,
        });
    }
    if !failures.is_empty() {
        let advice = (!for_admin.is_empty()).then(|| {
            format!(
                "ask an administrator to run, connected to database '{database}': {}",
                for_admin.join(" ")
            )
        });
        return Err(InitError::Extensions {
            database: database.to_string(),
            failures,
            advice,
        }
        .into());
    }
    Ok((reports, created))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env_of;

    #[test]
    fn flags_win_over_db_extensions_which_wins_over_the_default() {
        let env = env_of(&[("DB_EXTENSIONS", "citext, hstore,citext")]);
        assert_eq!(extensions(&[], false, &env), vec!["citext", "hstore"]);
        assert_eq!(
            extensions(&["pg_trgm,citext".into(), "pg_trgm".into()], false, &env),
            vec!["pg_trgm", "citext"]
        );
        assert!(extensions(&["x".into()], true, &env).is_empty());
        assert_eq!(
            extensions(&[], false, &env_of(&[("DB_EXTENSIONS", "  ")])),
            DEFAULT_EXTENSIONS
        );
        assert!(extensions(&[], false, &env_of(&[("DB_EXTENSIONS", "None")])).is_empty());
    }

    #[test]
    fn production_is_any_of_the_three_variables() {
        assert_eq!(production(&env_of(&[])), None);
        assert_eq!(production(&env_of(&[("APP_ENV", "staging")])), None);
        assert_eq!(
            production(&env_of(&[("ENVIRONMENT", "Production")])),
            Some(Production {
                variable: "ENVIRONMENT",
                value: "Production".into()
            })
        );
        assert_eq!(
            production(&env_of(&[("APP_ENV", "dev"), ("DBKIT_ENV", "prod")])).map(|p| p.variable),
            Some("DBKIT_ENV")
        );
    }

    #[test]
    fn recreate_needs_yes_and_force_in_production() {
        let mut opts = Options {
            recreate: true,
            ..Options::default()
        };
        let e = guard_recreate(&opts, "database 'x'")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "--recreate drops database 'x' and everything in it; add --yes to confirm"
        );
        opts.yes = true;
        assert!(guard_recreate(&opts, "database 'x'").is_ok());
        opts.production = Some(Production {
            variable: "APP_ENV",
            value: "production".into(),
        });
        let e = guard_recreate(&opts, "database 'x'")
            .unwrap_err()
            .to_string();
        assert!(e.contains("APP_ENV is 'production'") && e.contains("--force-production"));
        opts.force_production = true;
        assert!(guard_recreate(&opts, "database 'x'").is_ok());
    }

    #[test]
    fn identifiers_are_always_quoted_and_quotes_doubled() {
        assert_eq!(ident("app"), "\"app\"");
        assert_eq!(ident("Dbkit \"Odd\" Name"), "\"Dbkit \"\"Odd\"\" Name\"");
    }

    #[test]
    fn journal_modes_parse_in_any_case() {
        assert_eq!("WAL".parse::<JournalMode>().unwrap(), JournalMode::Wal);
        assert_eq!(
            "nope".parse::<JournalMode>().unwrap_err().to_string(),
            "unknown journal mode 'nope'; expected one of delete, truncate, persist, memory, wal, off"
        );
    }

    #[test]
    fn advice_names_the_missing_privilege_and_the_statement() {
        let role = Role {
            name: "app".into(),
            createdb: false,
            superuser: false,
        };
        assert_eq!(
            create_advice(&role, "x", &Options::default()),
            "role 'app' lacks CREATEDB; ask an administrator to run ALTER ROLE \"app\" CREATEDB; or CREATE DATABASE \"x\" OWNER \"app\";"
        );
        assert!(same_encoding("utf-8", "UTF8"));
    }
}
