//! Integration tests: the real `db-migrate` binary on real migration folders, against real SQLite files and a
//! real PostgreSQL server (TEST_DATABASE_URL; under CI=true an unreachable server fails the tests).

mod util;

// Where settings come from: flags, the environment, .env and the ini file.
mod config;
// The command line: global options anywhere, usage errors, help.
mod command_line;

// The example schema shipped in alembic/: up, down, up again, on both dialects.
mod example;
// What a revision file may hold: markers, statements as written, COPY data, and what is an error.
mod revision_files;
// stamp, --sql, --dry-run and the version-table rules.
mod workflow;
// Failures: one clear error, the right exit code, nothing changed.
mod failures;
// Checksums, validate and the history table.
mod checksums;
// Eight processes upgrading at once.
mod concurrency;
// SQLite's foreign keys while migrating: unenforced like the sqlite3 shell, checked before each commit.
mod sqlite_foreign_keys;
// Handing one database back and forth with Python Alembic, and the revision grammar compared with it.
mod alembic_compat;
// import-alembic: an Alembic history converted, verified and continued.
mod import;
// new revisions: revision, create, merge, init, and the Make targets.
mod authoring;
// The declared schema: check, schema diff, and revisions written from the schema file.
mod schema;
// The declared schema on PostgreSQL, with scratch databases on the test server.
mod schema_postgres;
// ensure: every case of a database at start-up, and replicas at once.
mod ensure;
// The embedding example: an application migrating at start-up with its revisions compiled in.
mod embedding;
// drift: the live database against the schema its recorded revisions give.
mod drift;
// lint: each rule, allow comments, the ini file's lint_disable, and the warnings before upgrade.
mod lint;
// verify: every revision applied, reverted and applied again on a scratch database.
mod verify;
// db-init: creating the database and its extensions, --wait, --recreate, privilege messages.
mod init;
// db-backup: create, list, verify, restore and prune on both dialects.
mod backup;
// Post-write hooks run on every revision file written.
mod hooks;
// SQLite's PRAGMA user_version kept in step with the revision.
mod user_version;
// The Make flows that chain the binaries: deploy (restoring on failure) and reset.
mod deploy;
