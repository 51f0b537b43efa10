//! Scratch databases on a PostgreSQL server: throwaway databases that a schema is built in so that the
//! server itself says what the schema is, as the SQLite side does in memory
//! ([`sqlite::scratch`](crate::dialect::sqlite::scratch)). The desired schema is the schema file applied to
//! one; the current schema is every revision's up section replayed into another, so no live database is
//! needed, only a server that lets the role create databases. Both are read back with [`inspect`].
//!
//! A [`ScratchDb`] is created from `template0` (so nothing a site added to `template1` leaks in) and dropped
//! when it goes out of scope. A process that is killed cannot drop its own, so [`ScratchDb::create`] first
//! drops the scratch databases on the server that are more than an hour old.
//!
//! [`verify`] is the last check on generated SQL: the upgrade applied to the current schema must give the
//! desired one, and the downgrade must give the current one back, or nothing is written.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::inspect::inspect;
use super::PgConnection;
use crate::dburl::PgTarget;
use crate::dialect::scratch::{first_line, same, ScratchError};
use crate::dialect::{quote_literal, Connection, DbError, POSTGRESQL};
use crate::direction::Direction;
use crate::engine::Engine;
use crate::runner::{self, BatchFailure};
#[cfg(test)]
use crate::schema::render::Plan;
use crate::schema::render::Step;
use crate::schema::Schema;
use crate::scripts::Scripts;

/// What every scratch database's name starts with.
const PREFIX: &str = "dbkit_scratch_";

/// How old a scratch database must be before another process may take it for one a killed process left.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// A database of its own on a PostgreSQL server, dropped (`DROP DATABASE … WITH (FORCE)`) when this value
/// is. It is named `dbkit_scratch_<unixtime>_<pid>_<random>`, the time being when it was created.
pub struct ScratchDb {
    /// Connected to the scratch database; `None` only while it is being dropped.
    conn: Option<PgConnection>,
    /// Connected to the server's maintenance database (the URL's own), which creates and drops it.
    admin: PgConnection,
    name: String,
}

impl ScratchDb {
    /// Creates an empty database on the server of `server` (same host, port, user and password; `server`'s
    /// own database is the one connected to in order to create it) and connects to it.
    ///
    /// Scratch databases left by a killed process are swept first: every `dbkit_scratch_*` database on the
    /// server whose time is more than an hour ago is dropped (one in use by a live process is younger, as no
    /// proof takes an hour).
    pub fn create(server: &PgTarget) -> Result<ScratchDb, ScratchError> {
        let failed = |cause: crate::Error| ScratchError::Create {
            server: server.masked(),
            cause: Box::new(cause),
        };
        let mut admin = PgConnection::open(server).map_err(failed)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        sweep(&mut admin, now);
        let name = format!(
            "{PREFIX}{}_{}_{:08x}",
            now.as_secs(),
            std::process::id(),
            random()
        );
        admin
            .batch(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .map_err(|e| failed(crate::Error::db("CREATE DATABASE")(e)))?;
        // From here on the database exists, so a failure drops it with the value.
        let mut db = ScratchDb {
            conn: None,
            admin,
            name,
        };
        let mut conn = PgConnection::open(&server.with_dbname(&db.name)).map_err(failed)?;
        // Nothing in a scratch database has to survive a crash, so its commits need not wait for the
        // server to flush its log to disk: on a busy disk that wait is most of a commit's time.
        conn.batch("SET synchronous_commit = off")
            .map_err(|e| failed(crate::Error::db("SET synchronous_commit")(e)))?;
        db.conn = Some(conn);
        Ok(db)
    }

    /// The session on the scratch database.
    pub fn conn(&mut self) -> &mut PgConnection {
        self.conn.as_mut().expect("connected until dropped")
    }

    /// The scratch database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        // Disconnect first; FORCE ends any session still open on it (one a failed statement left, say).
        self.conn = None;
        let _ = self.admin.batch(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A random number for a scratch database's name, so that two processes of one pid (in two containers
/// sharing a server) within one second do not collide.
fn random() -> u32 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish() as u32
}

/// Drops the scratch databases created more than [`STALE_AFTER`] before `now`. Errors are ignored: another
/// process may be sweeping the same ones, and a database that cannot be dropped now will be next time.
fn sweep(admin: &mut PgConnection, now: Duration) {
    let Ok(rows) = admin.query(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE {}",
        quote_literal(&format!("{}%", PREFIX.replace('_', "\\_")))
    )) else {
        return;
    };
    for name in rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
    {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|t| t.parse::<u64>().ok());
        if created.is_some_and(|t| now.as_secs().saturating_sub(t) > STALE_AFTER.as_secs()) {
            let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs the SQL of a schema file (`path` names it in errors). It is sent in one transaction, in as few
/// round trips as the server allows (one, for most files), unless a statement of the file begins, ends or
/// scopes a transaction itself. When that fails, or is not done, the file runs statement by statement, each
/// in its own transaction: that names the statement that failed, and runs what cannot run in a transaction
/// (`CREATE INDEX CONCURRENTLY`).
pub fn apply_schema(db: &mut ScratchDb, path: &Path, text: &str) -> Result<(), ScratchError> {
    let statements =
        crate::sql::split(text, Engine::Postgresql).map_err(|source| ScratchError::Split {
            path: path.to_path_buf(),
            source,
        })?;
    let conn = db.conn();
    let whole = !statements
        .iter()
        .any(|st| runner::controls_transaction(st.sql) || scoped_to_a_transaction(st.sql));
    if whole && in_one_transaction(conn, &statements) {
        return Ok(());
    }
    for st in &statements {
        let ran = match st.copy_data {
            Some(data) => conn.copy_in(st.sql, data).map(drop),
            None => conn.batch(st.sql),
        };
        ran.map_err(|cause| ScratchError::Statement {
            path: path.to_path_buf(),
            line: st.line,
            statement: first_line(st.sql),
            cause,
        })?;
    }
    Ok(())
}

/// Runs statements in one transaction through [`runner::send_batched`]; whether they all ran and were
/// committed. When not, nothing they did is left.
fn in_one_transaction(conn: &mut PgConnection, statements: &[crate::sql::Statement<'_>]) -> bool {
    let statements: Vec<runner::Statement> = statements
        .iter()
        .map(|st| runner::Statement {
            sql: st.sql.to_string(),
            line: st.line,
            copy_data: st.copy_data.map(str::to_string),
            ends_batch: st.changes_string_syntax,
        })
        .collect();
    let begin = format!("{};\n", POSTGRESQL.begin);
    let ran = runner::send_batched(conn, &begin, &statements, "COMMIT").is_ok();
    if !ran {
        let _ = conn.batch("ROLLBACK");
    }
    ran
}

/// Whether a statement sets something for the rest of its transaction only (`SET LOCAL`, `SET
/// CONSTRAINTS`, `SET TRANSACTION`): run alone, in a transaction of its own, it changes nothing that
/// follows, so a file holding one does not run in one transaction, where it would.
fn scoped_to_a_transaction(sql: &str) -> bool {
    let mut words = sql.split_whitespace().map(str::to_ascii_uppercase);
    words.next().as_deref() == Some("SET")
        && words
            .next()
            .is_some_and(|w| matches!(w.as_str(), "LOCAL" | "CONSTRAINTS" | "TRANSACTION"))
}

/// Replays the up section of every revision, from base to the heads, as an upgrade would run them: each
/// revision's PostgreSQL section in one transaction, or statement by statement when it is marked
/// `transaction:false`. A transaction goes in as few round trips as the server allows (one, for most
/// revisions, its `BEGIN` and `COMMIT` included); when it fails, the revision runs again statement by
/// statement, which names the one that failed.
pub(crate) fn replay(
    db: &mut ScratchDb,
    scripts: &Scripts,
    steps: Vec<crate::graph::Step>,
) -> Result<(), ScratchError> {
    let conn = db.conn();
    let begin = format!("{};\n", POSTGRESQL.begin);
    for p in runner::prepare(scripts, &POSTGRESQL, steps)? {
        if p.statements.is_empty() {
            continue;
        }
        let begun = p.transactional;
        if begun {
            match runner::send_batched(conn, &begin, &p.statements, "COMMIT") {
                Ok(_) => continue,
                Err(BatchFailure::Statement(i, cause)) => {
                    let _ = conn.batch("ROLLBACK");
                    return Err(runner::failed_statement(&p, &p.statements[i], cause).into());
                }
                Err(BatchFailure::Unlocated(_)) => {
                    let _ = conn.batch("ROLLBACK");
                    conn.batch(POSTGRESQL.begin)
                        .map_err(crate::Error::db("could not begin a transaction"))?;
                }
            }
        }
        let ran = p.statements.iter().try_for_each(|st| {
            let ran = match &st.copy_data {
                Some(data) => conn.copy_in(&st.sql, data).map(drop),
                None => conn.batch(&st.sql),
            };
            ran.map_err(|cause| runner::failed_statement(&p, st, cause))
        });
        if let Err(e) = ran {
            if begun {
                let _ = conn.batch("ROLLBACK");
            }
            return Err(e.into());
        }
        if begun {
            conn.batch("COMMIT")
                .map_err(crate::Error::db("could not commit"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
/// The desired schema: a schema file's text applied to a new scratch database on `server`, with that
/// database. A schema directory is applied file by file through [`apply_schema`] instead.
pub fn declared(
    server: &PgTarget,
    path: &Path,
    text: &str,
) -> Result<(ScratchDb, Schema), ScratchError> {
    let mut db = ScratchDb::create(server)?;
    apply_schema(&mut db, path, text)?;
    let schema = inspect(db.conn())?;
    Ok((db, schema))
}

/// The current schema: every revision replayed into a new scratch database on `server`, with that
/// database.
#[cfg(test)]
pub(crate) fn current(
    server: &PgTarget,
    scripts: &Scripts,
) -> Result<(ScratchDb, Schema), ScratchError> {
    let mut db = ScratchDb::create(server)?;
    replay(
        &mut db,
        scripts,
        crate::dialect::scratch::upgrade_steps(scripts, None)?,
    )?;
    let schema = inspect(db.conn())?;
    Ok((db, schema))
}

/// Proves a migration planned from `current`, the schema `db` holds, to `desired`: its upgrade must turn
/// `db` into exactly `desired`, and its downgrade must turn it back into exactly `current`. `db` is left
/// at the current schema when the proof holds.
#[cfg(test)]
pub fn verify(
    db: &mut ScratchDb,
    current: &Schema,
    desired: &Schema,
    migration: &Plan,
) -> Result<(), ScratchError> {
    prove_steps(db, &migration.up, Direction::Up, desired)?;
    prove_steps(db, &migration.down, Direction::Down, current)
}

/// Proves one direction of a migration: `steps` run on `db` must give exactly `wanted`.
pub fn prove_steps(
    db: &mut ScratchDb,
    steps: &[Step],
    direction: Direction,
    wanted: &Schema,
) -> Result<(), ScratchError> {
    apply(db.conn(), steps, direction)?;
    same(&inspect(db.conn())?, wanted, direction)
}

/// Runs generated steps as a revision runs them: the transactional ones in a transaction, each autocommit
/// step statement by statement outside it (committing what came before), in order.
fn apply(
    conn: &mut PgConnection,
    steps: &[Step],
    direction: Direction,
) -> Result<(), ScratchError> {
    let failed = |statement: &str| {
        let statement = first_line(statement);
        move |cause: DbError| ScratchError::Generated {
            direction,
            statement,
            cause,
        }
    };
    let mut open = false;
    let ran = (|| {
        for step in steps {
            if step.autocommit == open {
                let sql = if open { "COMMIT" } else { POSTGRESQL.begin };
                conn.batch(sql).map_err(failed(sql))?;
                open = !open;
            }
            for sql in &step.statements {
                conn.batch(sql).map_err(failed(sql))?;
            }
        }
        if open {
            conn.batch("COMMIT").map_err(failed("COMMIT"))?;
            open = false;
        }
        Ok(())
    })();
    if ran.is_err() && open {
        let _ = conn.batch("ROLLBACK");
    }
    ran
}

/// The server the tests make scratch databases on (`TEST_DATABASE_URL`); `None` (the test skips) when it is
/// unreachable, which under `CI=true` fails the test instead.
#[cfg(test)]
pub(crate) fn test_server() -> Option<PgTarget> {
    let url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into());
    let crate::DatabaseUrl::Postgres(target) = url.parse().expect("TEST_DATABASE_URL parses")
    else {
        panic!("TEST_DATABASE_URL is not a PostgreSQL URL");
    };
    match PgConnection::open(&target) {
        Ok(_) => Some(target),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!(
                "PostgreSQL is required under CI but unreachable at {}: {e}",
                target.masked()
            )
        }
        Err(e) => {
            eprintln!("skipping a PostgreSQL test: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ObjectName;

    fn exists(server: &PgTarget, name: &str) -> bool {
        let mut admin = PgConnection::open(server).unwrap();
        admin
            .value(&format!(
                "SELECT 1 FROM pg_database WHERE datname = {}",
                quote_literal(name)
            ))
            .unwrap()
            .is_some()
    }

    fn step(sql: &str, autocommit: bool) -> Step {
        Step {
            statements: vec![sql.into()],
            hazards: vec![],
            autocommit,
        }
    }

    #[test]
    fn a_scratch_database_is_dropped_with_its_value() {
        let Some(server) = test_server() else {
            return;
        };
        let mut db = ScratchDb::create(&server).unwrap();
        let name = db.name().to_string();
        assert!(name.starts_with(PREFIX), "{name}");
        assert!(exists(&server, &name));
        // Even with a transaction left open on it.
        db.conn().batch("BEGIN; CREATE TABLE t (id int)").unwrap();
        drop(db);
        assert!(!exists(&server, &name));
    }

    #[test]
    fn a_stale_scratch_database_is_swept_and_a_recent_one_kept() {
        let Some(server) = test_server() else {
            return;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let pid = std::process::id();
        let stale = format!("{PREFIX}{}_{pid}_stale", now - 2 * 3600);
        let recent = format!("{PREFIX}{}_{pid}_recent", now - 60);
        let mut admin = PgConnection::open(&server).unwrap();
        for name in [&stale, &recent] {
            admin.batch(&format!("CREATE DATABASE {name}")).unwrap();
        }
        let db = ScratchDb::create(&server).unwrap();
        let (stale_left, recent_left) = (exists(&server, &stale), exists(&server, &recent));
        admin
            .batch(&format!("DROP DATABASE IF EXISTS {recent}"))
            .unwrap();
        drop(db);
        assert!(!stale_left);
        assert!(recent_left);
    }

    #[test]
    fn a_failing_schema_statement_names_the_file_and_line() {
        let Some(server) = test_server() else {
            return;
        };
        let mut db = ScratchDb::create(&server).unwrap();
        let e = apply_schema(
            &mut db,
            Path::new("schema.sql"),
            "CREATE TABLE a (id int);\n\nCREATE TABLE a (id int);",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "schema.sql:3: `CREATE TABLE a (id int)` failed: relation \"a\" already exists (SQLSTATE 42P07)"
        );
        let e = apply_schema(&mut db, Path::new("schema.sql"), "SELECT 'x").unwrap_err();
        assert_eq!(e.to_string(), "schema.sql:1: unterminated quoted string");
    }

    #[test]
    fn a_schema_file_runs_in_one_transaction_unless_it_cannot() {
        let Some(server) = test_server() else {
            return;
        };
        let public = |name: &str| ObjectName {
            schema: Some("public".into()),
            name: name.into(),
        };
        // A statement that cannot run in a transaction: the file runs statement by statement.
        let (_db, schema) = declared(
            &server,
            Path::new("schema.sql"),
            "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);",
        )
        .unwrap();
        assert!(schema
            .table(&public("t"))
            .is_some_and(|t| t.indexes.contains_key("t_id")));
        // SET LOCAL alone in its transaction changes nothing for the statements after it, as ever.
        let (_db, schema) = declared(
            &server,
            Path::new("schema.sql"),
            "CREATE SCHEMA other;\nSET LOCAL search_path = other;\nCREATE TABLE u (id int);",
        )
        .unwrap();
        assert!(schema.table(&public("u")).is_some());
        // A COPY and a change of how strings are read, each in a round trip of its own, in one transaction.
        let mut db = ScratchDb::create(&server).unwrap();
        apply_schema(
            &mut db,
            Path::new("schema.sql"),
            "CREATE TABLE v (s text);\nCOPY v FROM stdin;\na\\\\b\n\\.\n\
             SET standard_conforming_strings = on;\nINSERT INTO v VALUES ('c\\d');",
        )
        .unwrap();
        assert_eq!(
            db.conn().query("SELECT s FROM v ORDER BY s").unwrap(),
            [[Some("a\\b".to_string())], [Some("c\\d".to_string())]]
        );
    }

    fn revision(dir: &Path, id: &str, revises: &str, up: &str, down: &str) {
        std::fs::write(
            dir.join(format!("{id}.sql")),
            format!(
                "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- migrate:up{up}\n\n-- migrate:down\n{down}\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn revisions_replay_into_the_schema_they_build() {
        let Some(server) = test_server() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        revision(
            dir.path(),
            "a",
            "",
            "\nCREATE TABLE t (id int PRIMARY KEY, name text);\nCREATE TYPE mood AS ENUM ('sad');",
            "DROP TABLE t; DROP TYPE mood;",
        );
        revision(
            dir.path(),
            "b",
            "a",
            " transaction:false\nALTER TYPE mood ADD VALUE 'ok';\nCREATE INDEX CONCURRENTLY t_name ON t (name);",
            "DROP INDEX t_name;",
        );
        let scripts = Scripts::load(&[dir.path().to_path_buf()]).unwrap();
        let (_db, replayed) = current(&server, &scripts).unwrap();
        let (_db, wanted) = declared(
            &server,
            Path::new("schema.sql"),
            "CREATE TABLE t (id int PRIMARY KEY, name text);
             CREATE TYPE mood AS ENUM ('sad', 'ok');
             CREATE INDEX t_name ON t (name);",
        )
        .unwrap();
        assert_eq!(replayed, wanted);

        revision(
            dir.path(),
            "c",
            "b",
            "\nCREATE TABLE u (id int);\nCREATE TABLE u (id int);",
            "DROP TABLE u;",
        );
        let scripts = Scripts::load(&[dir.path().to_path_buf()]).unwrap();
        let e = current(&server, &scripts).err().unwrap().to_string();
        assert!(
            e.contains("c.sql:8: upgrade of revision 'c' failed at `CREATE TABLE u (id int)`"),
            "{e}"
        );
    }

    #[test]
    fn a_plan_is_proven_both_ways_and_a_wrong_one_is_refused() {
        let Some(server) = test_server() else {
            return;
        };
        let path = Path::new("schema.sql");
        let before = "CREATE TABLE t (id int, name text);";
        let after = "CREATE TABLE t (id int, name text); CREATE INDEX t_name ON t (name);
                     COMMENT ON INDEX t_name IS 'by name';";
        let (mut db, current) = declared(&server, path, before).unwrap();
        let (_other, desired) = declared(&server, path, after).unwrap();
        assert!(desired
            .table(&ObjectName {
                schema: Some("public".into()),
                name: "t".into()
            })
            .is_some_and(|t| t.indexes.contains_key("t_name")));
        // The index is built outside a transaction, the comment inside one after it.
        let good = Plan {
            up: vec![
                step("CREATE INDEX CONCURRENTLY t_name ON t (name)", true),
                step("COMMENT ON INDEX t_name IS 'by name'", false),
            ],
            down: vec![step("DROP INDEX t_name", false)],
        };
        verify(&mut db, &current, &desired, &good).unwrap();
        assert_eq!(inspect(db.conn()).unwrap(), current);

        let no_down = Plan {
            up: good.up.clone(),
            down: vec![],
        };
        let e = verify(&mut db, &current, &desired, &no_down).unwrap_err();
        assert!(
            matches!(
                e,
                ScratchError::NotProven {
                    direction: Direction::Down,
                    ..
                }
            ),
            "{e}"
        );

        let (mut db, current) = declared(&server, path, before).unwrap();
        let inside = Plan {
            up: vec![step("CREATE INDEX CONCURRENTLY t_name ON t (name)", false)],
            down: vec![],
        };
        let e = verify(&mut db, &current, &desired, &inside).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "the generated upgrade failed at `CREATE INDEX CONCURRENTLY t_name ON t (name)`: \
                 CREATE INDEX CONCURRENTLY cannot run inside a transaction block"
            ),
            "{e}"
        );
        // The failed transaction was rolled back: the database still holds the current schema.
        assert_eq!(inspect(db.conn()).unwrap(), current);
    }
}
