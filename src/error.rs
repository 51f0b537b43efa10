//! The library's one error type. Each variant carries what the user needs to act: the file, the line, the
//! revision, the server's message. None carries a password.

use std::path::PathBuf;

use crate::dialect::{DanglingReference, DbError};
use crate::direction::Direction;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database URL does not parse. `origin` is named because the URL may come from the environment or
    /// the ini file rather than the command line. Boxed: URL errors quote the URL, which would otherwise grow
    /// every `Result`.
    #[error("{source} (the URL came from {origin})")]
    Url {
        source: Box<crate::dburl::UrlError>,
        origin: crate::config::UrlSource,
    },
    #[error("{0}")]
    Connect(String),
    /// A command that only reads found no SQLite file where the URL points.
    #[error(
        "no SQLite database at '{}'{}; 'db-migrate upgrade' or 'db-init' creates it",
        .path.display(),
        absolute_if_relative(.path)
    )]
    NoDatabase { path: PathBuf },
    #[error(transparent)]
    PgConnect(#[from] crate::dialect::postgres::ConnectError),
    #[error(transparent)]
    Ini(#[from] crate::ini::IniError),
    #[error(transparent)]
    Settings(#[from] crate::config::SettingsError),
    #[error(transparent)]
    EnvFile(#[from] crate::config::EnvFileError),
    #[error(transparent)]
    TableName(#[from] crate::version::TableNameError),
    #[error(transparent)]
    RowCount(#[from] crate::version::RowCountError),
    #[error(transparent)]
    Init(#[from] crate::init::InitError),
    #[error(transparent)]
    Script(#[from] crate::script::ScriptError),
    /// A post-write hook could not run or failed; the message says whether the revision file was written.
    #[error(transparent)]
    Hook(#[from] crate::hooks::HookError),
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// The revision files do not make a usable set (the graph's errors with the files they name among them).
    /// Boxed: a graph error and its files would otherwise grow every `Result`.
    #[error(transparent)]
    Scripts(Box<crate::scripts::ScriptsError>),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A statement of a revision failed; the revision was rolled back.
    #[error(transparent)]
    Statement(Box<FailedStatement>),
    /// A revision left rows whose foreign keys match no parent row (SQLite runs migrations with foreign keys
    /// unenforced and checks them before each revision commits).
    #[error(transparent)]
    DanglingReferences(Box<DanglingReferences>),
    #[error(transparent)]
    Run(#[from] crate::runner::RunError),
    /// Bookkeeping or inspection on the database failed.
    #[error("{context}: {cause}")]
    Database { context: String, cause: DbError },
    /// An applied revision's file no longer says what ran on this database; the message says what changed and
    /// the way out.
    #[error("{0}")]
    Modified(Box<crate::history::Changed>),
    /// `validate --accept` would count SQL that never ran as applied.
    #[error("refusing to accept: {0}")]
    AcceptRefused(Box<crate::history::Changed>),
    /// `lock` is the version table on PostgreSQL, the lock file on SQLite.
    #[error("timed out after {seconds}s waiting for the migration lock on {lock}; another migration is running ({holder})")]
    LockTimeout {
        seconds: u64,
        lock: String,
        holder: String,
    },
    #[error("Database is not on all head revisions")]
    NotAtHead,
    #[error("{0}")]
    Validation(String),
    /// Boxed: backup errors carry several paths and messages, and would otherwise grow every `Result`.
    #[error(transparent)]
    Backup(Box<crate::backup::BackupError>),
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Boxed: schema errors carry paths and the residual SQL of a failed proof.
    #[error(transparent)]
    Schema(Box<crate::command::SchemaError>),
    /// Boxed: `ensure`'s no-match error carries the SQL of the differences.
    #[error(transparent)]
    Ensure(Box<crate::command::EnsureError>),
    #[error("lint found {errors} error(s) in the revisions' up sections")]
    Lint { errors: usize },
    #[error(transparent)]
    Verify(#[from] crate::command::VerifyError),
    /// Boxed: import errors carry what Python printed.
    #[error(transparent)]
    Import(Box<crate::import::ImportError>),
}

/// ` (/abs/path)` for a relative path, so a run in the wrong directory shows where it looked.
fn absolute_if_relative(path: &std::path::Path) -> String {
    match std::path::absolute(path) {
        Ok(absolute) if path.is_relative() => format!(" ({})", absolute.display()),
        _ => String::new(),
    }
}

impl From<crate::scripts::ScriptsError> for Error {
    fn from(e: crate::scripts::ScriptsError) -> Error {
        Error::Scripts(Box::new(e))
    }
}

impl From<crate::backup::BackupError> for Error {
    fn from(e: crate::backup::BackupError) -> Error {
        Error::Backup(Box::new(e))
    }
}

/// Where and why a revision's statement failed.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {} of revision '{revision}' failed at `{statement}`: {cause}", direction.verb())]
pub struct FailedStatement {
    pub(crate) revision: String,
    pub(crate) direction: Direction,
    pub(crate) file: String,
    pub(crate) line: usize,
    /// The statement's first line.
    pub(crate) statement: String,
    pub(crate) cause: DbError,
}

/// Which revision left which rows pointing nowhere; `references` holds at most [`DanglingReferences::SHOWN`]
/// of them, and `more` says whether there were others.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {} of revision '{revision}' failed PRAGMA foreign_key_check: {}{}",
    direction.verb(),
    references.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    if *more { "; and more" } else { "" })]
pub struct DanglingReferences {
    pub(crate) revision: String,
    pub(crate) direction: Direction,
    pub(crate) file: String,
    pub(crate) references: Vec<DanglingReference>,
    pub(crate) more: bool,
}

impl DanglingReferences {
    pub(crate) const SHOWN: usize = 5;
}

impl Error {
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(DbError) -> Error {
        let context = context.into();
        move |cause| Error::Database { context, cause }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// The process exit status a command line should use for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotAtHead => crate::EXIT_NOT_AT_HEAD,
            Error::Validation(_) => crate::EXIT_VALIDATION,
            Error::Schema(e) if matches!(**e, crate::command::SchemaError::Differs { .. }) => {
                crate::EXIT_SCHEMA_DIFFERS
            }
            Error::Schema(e) if matches!(**e, crate::command::SchemaError::Drifted { .. }) => {
                crate::EXIT_DRIFT
            }
            Error::Lint { .. } => crate::EXIT_LINT,
            Error::Verify(_) => crate::EXIT_VERIFY,
            Error::Import(e) if matches!(**e, crate::import::ImportError::Incomplete { .. }) => {
                crate::EXIT_IMPORT_INCOMPLETE
            }
            _ => crate::EXIT_ERROR,
        }
    }
}

/// What a `db-migrate` verb refuses to do with the arguments it was given, before it changes anything. One
/// variant per refusal, so a caller tells them apart by type; the messages are Alembic's where Alembic has one.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("downgrade with --sql requires <fromrev>:<torev>")]
    OfflineDowngradeWithoutRange,
    /// A `from:to` range outside `--sql`, where the start is the database's state.
    #[error("Range revision not allowed")]
    RangeNotAllowed,
    #[error("Can't use --purge with --sql mode")]
    PurgeWithSql,
    #[error("Stamp operation with --sql only supports one starting revision at a time")]
    SeveralStampStarts,
    /// `validate --accept` records one revision's file; `revision` named `count` of them.
    #[error("'{revision}' names {count} revisions; accept one at a time")]
    AcceptOneAtATime { revision: String, count: usize },
    #[error("No revision files indicated by symbol '{symbol}'")]
    NothingToShow { symbol: String },
    /// A new revision needs one place to go, and `head` names several.
    #[error("Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.")]
    AmbiguousHead,
    /// A revision given to `merge` names several heads.
    #[error("Multiple heads are present")]
    MultipleHeads,
    #[error("Duplicate head revisions specified")]
    DuplicateHeads,
    /// `revisions` is what the command line said, `count` how many revisions it named.
    #[error("a merge needs at least two revisions; '{revisions}' names {count}")]
    MergeOfOne { revisions: String, count: usize },
    #[error("Revision {revision} is not a head revision; please specify --splice to create a new branch from this revision")]
    NotAHead { revision: String },
    /// `--rev-id` is not a usable id; the message says why.
    #[error("{0}")]
    InvalidId(String),
    #[error("revision '{id}' already exists")]
    RevisionExists { id: String },
    /// A new revision's message would not read back as the one given; the message says why.
    #[error("{0}")]
    InvalidMessage(String),
    /// The ini file's `file_template` cannot name the new file; the message says why.
    #[error("{0}")]
    FileTemplate(String),
    #[error("Multiple version locations present, please specify --version-path")]
    NoVersionPath,
    #[error("Directory {} already exists and is not empty", .directory.display())]
    DirectoryNotEmpty { directory: PathBuf },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
