//! `db-init`: makes the database a deploy is about to migrate exist, and says what it found. On PostgreSQL it
//! creates the database through a maintenance database, then the extensions the schema relies on; on SQLite it
//! creates the file in WAL mode and checks it. Every step looks before it acts, so a second run changes nothing,
//! and a failure caused by a missing privilege says which one, and what to ask an administrator to run.
//!
//! Progress goes to a callback as [`Event`]s and the result comes back as a [`Report`] (its text form is in
//! [`crate::render::init`]), so the binary decides where each is printed. The flow and the report are here; what is done on each
//! engine is in `sqlite` and `postgres`.

mod postgres;
mod sqlite;

pub use sqlite::JournalMode;

use std::time::Duration;

use serde::Serialize;

use crate::dburl::DatabaseUrl;
use crate::dialect::postgres::ConnectError;
use crate::dialect::Connection;
use crate::error::Result;
use crate::progress::Event;
use crate::project::Project;
use crate::version::VersionTable;

/// Extensions created when neither `--extension` nor `DB_EXTENSIONS` names any.
pub(crate) const DEFAULT_EXTENSIONS: &[&str] = &["uuid-ossp", "pgcrypto"];

/// How long `--wait` waits when given without a number.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// The variables that name the environment, checked in this order before `--recreate`.
pub(crate) const ENVIRONMENT_VARIABLES: &[&str] = &["DBKIT_ENV", "APP_ENV", "ENVIRONMENT"];

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
    /// The encoding or locale asked for differs from the template database's.
    #[error("{context}: {cause}; an encoding or locale other than the template's needs --template template0")]
    TemplateMismatch { context: String, cause: String },
    #[error("{context}: {cause}; give a --locale that suits the encoding (C suits any), with --template template0")]
    LocaleMismatch { context: String, cause: String },
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

/// Creates the database the settings point at (and its extensions, on PostgreSQL) unless it is already there,
/// then verifies it. `events` receives progress lines as [`Event::Note`]s.
pub fn run(project: &Project, opts: &Options, events: &mut dyn FnMut(Event<'_>)) -> Result<Report> {
    let url = project.settings.database_url()?;
    let version = project.version_table();
    match &url {
        DatabaseUrl::Sqlite(target) => {
            sqlite::init(&url, target, &version, &project.settings, opts, events)
        }
        DatabaseUrl::Postgres(target) => postgres::init(target, &version, opts, events),
    }
}

/// Refuses `--recreate` without `--yes`, and in production without `--force-production`.
pub(crate) fn guard_recreate(opts: &Options, what: &str) -> Result<()> {
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
pub(crate) fn revision(
    conn: &mut dyn Connection,
    version: &VersionTable,
) -> Result<Option<Vec<String>>> {
    if !version.exists(conn)? {
        return Ok(None);
    }
    version.read(conn).map(Some)
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
}
