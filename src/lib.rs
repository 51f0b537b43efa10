//! dbkit: the revision workflow of Alembic (revisions, heads, branches, merges, stamp, offline SQL) over plain SQL
//! revision files, for SQLite and PostgreSQL, and backups of the database to go with it. The binaries in `bins/`
//! only parse arguments and print; every behaviour lives here.

pub mod backup;
pub mod command;
pub mod config;
pub mod dburl;
pub mod dialect;
pub mod display;
pub mod engine;
pub mod error;
pub mod graph;
pub mod history;
pub mod ini;
pub mod init;
pub mod lock;
pub mod project;
pub mod runner;
pub mod schema;
pub mod script;
pub mod scripts;
pub mod sql;
pub mod templates;
pub mod version;

pub use error::{Error, Result};

/// dbkit's version, recorded in the history table.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Exit status for any error.
pub const EXIT_ERROR: i32 = 1;
/// Exit status for a usage error (wrong arguments).
pub const EXIT_USAGE: i32 = 2;
/// Exit status of `current --check-heads` when the database is not at every head.
pub const EXIT_NOT_AT_HEAD: i32 = 3;
/// Exit status of `validate` when it finds a problem.
pub const EXIT_VALIDATION: i32 = 4;
