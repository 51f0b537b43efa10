//! dbkit: the revision workflow of Alembic (revisions, heads, branches, merges, stamp, offline SQL) over plain SQL
//! revision files, for SQLite and PostgreSQL, and backups of the database to go with it. The binaries in `bins/`
//! only parse arguments and print; every behaviour lives here.
//!
//! An application that migrates its own database at start-up needs one call: [`embed::Migrations`] opens the
//! project from a directory or from revisions compiled into the program ([`embed_revisions!`]), and its
//! `ensure`, `upgrade` and `current` behave as the verbs do, under the same lock (docs/embedding.md).
//!
//! Beyond that, an application that embeds dbkit uses the same calls as the binaries:
//!
//! - **Open a project.** [`config::load`] reads the settings (flags, environment, `.env` through
//!   [`config::load_env_file`], the ini file) into a [`config::Settings`]; [`Project::new`] wraps them, and reads
//!   the revision files once, when a verb first needs them; [`Project::with_revisions`] takes revisions
//!   compiled into the program instead.
//! - **Move the database.** [`command::migrate`] upgrades or downgrades to a target in a [`Direction`] (online, as
//!   a dry run, or offline as SQL, per [`command::RunOptions`]) and returns a [`command::Migration`];
//!   [`command::stamp`] moves the version table without running SQL; [`command::ensure_version`] creates the
//!   tables; [`command::ensure`] makes the database ready whatever it is (created, empty, made before
//!   migrations, or migrated). Each reports what it does as it goes through an [`Event`] callback.
//! - **Read where it is.** [`command::current`], [`command::heads`], [`command::history`], [`command::show`],
//!   [`command::branches`] and [`command::validate`] return reports.
//! - **Write revisions.** [`command::revision`], [`command::merge`], [`command::init`];
//!   [`command::autogenerate`] writes one from the schema file; [`import::import_alembic`] converts an Alembic
//!   history.
//! - **Compare with the declared schema.** [`command::check`] and [`command::schema_diff`]; [`command::verify`]
//!   runs every revision's round trip.
//! - **Lint the revisions.** [`command::lint`] flags what would lock, rewrite or lose data on a live database;
//!   [`command::migrate`] reports the same findings for what an upgrade applies, as [`Event::Lint`] warnings.
//! - **Create and back up the database.** [`init::run`] creates and verifies it; [`backup`] creates, lists,
//!   verifies, restores and prunes backups.
//! - **Print.** Every report serialises (the binaries' `--json`), and [`render::Render`] gives its text.
//! - **Errors.** Everything returns [`Result`], whose [`Error`] says what failed with the file, line, revision
//!   or server message needed to act on it.
//!
//! [`dialect`] connects to a [`DatabaseUrl`] for applications (and tests) that look at the database directly,
//! and [`script`] reads one revision file. Everything else is internal to the crate.

pub mod backup;
pub mod command;
pub mod config;
mod dburl;
pub mod dialect;
mod direction;
pub mod embed;
mod engine;
mod error;
mod graph;
mod history;
mod hooks;
pub mod import;
mod ini;
pub mod init;
mod lint;
mod lock;
mod progress;
mod project;
pub mod render;
mod runner;
mod schema;
pub mod script;
mod scripts;
mod sql;
mod templates;
mod version;

pub use dburl::{DatabaseUrl, PgHost, PgTarget, SqliteTarget, SslMode};
pub use direction::Direction;
pub use engine::Engine;
pub use error::{CommandError, Error, Result};
pub use progress::Event;
pub use project::{Project, Revisions};

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
/// Exit status of `check` when the revisions do not give the declared schema.
pub const EXIT_SCHEMA_DIFFERS: i32 = 5;
/// Exit status of `drift` when the database's schema is not the one its recorded revisions give.
pub const EXIT_DRIFT: i32 = 6;
/// Exit status of `verify` when a revision's round trip (up, down, up again) fails.
pub const EXIT_VERIFY: i32 = 7;
/// Exit status of `lint` when a finding is an error.
pub const EXIT_LINT: i32 = 8;
/// Exit status of `import-alembic` when it wrote every revision but some part could not be converted or a
/// dialect's verification found a difference.
pub const EXIT_IMPORT_INCOMPLETE: i32 = 9;
