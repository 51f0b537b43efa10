//! The test fixture: a temporary project with its own versions/ folder, run through the real `db-migrate`
//! binary against a real SQLite file or a fresh database on a real PostgreSQL server.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use dbkit::dialect::{self, Connection};

pub const BIN: &str = env!("CARGO_BIN_EXE_db-migrate");

/// The server the PostgreSQL tests use; CI points this at a role that may create databases.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".into())
}

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A project directory plus the database it migrates. Dropping it drops the PostgreSQL database.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub kind: Kind,
    pub url: String,
    pg_name: Option<String>,
}

/// db-migrate in `dir` with none of the configuration variables of the environment the tests run in.
pub fn bare_cmd(dir: &Path) -> Command {
    program_in(BIN, dir)
}

/// A program in `dir` with none of the configuration variables of the environment the tests run in.
pub fn program_in(program: &str, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir);
    for var in [
        "DATABASE_URL",
        "DATABASE__URL",
        "DATABASE_HOST",
        "DATABASE_NAME",
        "DATABASE_USER",
        "DATABASE_PASSWORD",
        "DATABASE_PORT",
        "ALEMBIC_CONFIG",
        "BACKUP_DIR",
        "PG_DUMP",
        "PG_RESTORE",
        "PSQL",
        "DB_EXTENSIONS",
        "DBKIT_ENV",
        "APP_ENV",
        "ENVIRONMENT",
    ] {
        c.env_remove(var);
    }
    c
}

/// Runs db-migrate in `dir` (see [`bare_cmd`]).
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::from(bare_cmd(dir).args(args).output().expect("db-migrate runs"))
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn admin() -> Option<Box<dyn Connection>> {
    let url: dbkit::DatabaseUrl = admin_url().parse().expect("TEST_DATABASE_URL parses");
    match dialect::connect(&url, std::time::Duration::from_secs(5)) {
        Ok(c) => Some(c),
        Err(e) => {
            if under_ci() {
                panic!(
                    "PostgreSQL is required under CI but unreachable at {}: {e}",
                    url.masked()
                );
            }
            eprintln!("skipping a PostgreSQL test: {e}");
            None
        }
    }
}

impl Fixture {
    pub fn new(kind: Kind) -> Option<Fixture> {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("alembic/versions")).unwrap();
        std::fs::write(
            dir.path().join("alembic.ini"),
            "[alembic]\nscript_location = %(here)s/alembic\n",
        )
        .unwrap();
        match kind {
            Kind::Sqlite => {
                let url = format!("sqlite:///{}", dir.path().join("app.db").display());
                Some(Fixture {
                    dir,
                    kind,
                    url,
                    pg_name: None,
                })
            }
            Kind::Postgres => {
                let mut conn = admin()?;
                let name = format!(
                    "dbkit_t_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                );
                conn.batch(&format!("DROP DATABASE IF EXISTS {name}"))
                    .unwrap();
                conn.batch(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin_url();
                let url = match base.rfind('/') {
                    Some(i) => format!("{}/{name}", &base[..i]),
                    None => panic!("TEST_DATABASE_URL has no database part"),
                };
                Some(Fixture {
                    dir,
                    kind,
                    url,
                    pg_name: Some(name),
                })
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn versions(&self) -> PathBuf {
        self.path().join("alembic/versions")
    }

    /// Makes the project's revisions target both engines (the ini file's `dialects`).
    pub fn target_both_engines(&self) {
        std::fs::write(
            self.path().join("alembic.ini"),
            "[alembic]\nscript_location = %(here)s/alembic\ndialects = sqlite, postgresql\n",
        )
        .unwrap();
    }

    /// Writes a revision file; `up`/`down` are whole section bodies (None leaves the section out).
    pub fn revision(&self, id: &str, revises: &[&str], up: &str, down: Option<&str>) -> PathBuf {
        self.revision_with(id, revises, "", up, down)
    }

    /// A chain r0..=r`n` in which every revision after r0 records itself in the table `applied` and creates a
    /// table `c<i>`: what the tests of concurrent runs count to see that each revision ran exactly once.
    pub fn counting_chain(&self, n: usize) {
        self.revision(
            "r0",
            &[],
            "CREATE TABLE applied (rev TEXT NOT NULL);",
            Some("DROP TABLE applied;"),
        );
        for i in 1..=n {
            let (id, prev) = (format!("r{i}"), format!("r{}", i - 1));
            self.revision(
                &id,
                &[prev.as_str()],
                &format!(
                    "INSERT INTO applied (rev) VALUES ('{id}');\nCREATE TABLE c{i} (id INTEGER);"
                ),
                Some(&format!("DROP TABLE c{i};")),
            );
        }
    }

    /// Like `revision`, with extra header lines (e.g. "-- Branch Labels: x\n").
    pub fn revision_with(
        &self,
        id: &str,
        revises: &[&str],
        extra: &str,
        up: &str,
        down: Option<&str>,
    ) -> PathBuf {
        let mut text = format!(
            "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {}\n-- Create Date: 2026-11-21 10:00:00.000000\n{extra}\n-- migrate:up\n{up}\n",
            revises.join(", ")
        );
        if let Some(down) = down {
            text.push_str(&format!("\n-- migrate:down\n{down}\n"));
        }
        let path = self.versions().join(format!("{id}.sql"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A linear chain r1..rN, each creating table tN.
    pub fn chain(&self, n: usize) -> Vec<String> {
        let ids: Vec<String> = (1..=n).map(|i| format!("r{i}")).collect();
        for (i, id) in ids.iter().enumerate() {
            let prev: Vec<&str> = if i == 0 {
                vec![]
            } else {
                vec![ids[i - 1].as_str()]
            };
            let n = i + 1;
            self.revision(
                id,
                &prev,
                &format!("CREATE TABLE t{n} (id INTEGER);"),
                Some(&format!("DROP TABLE t{n};")),
            );
        }
        ids
    }

    pub fn cmd(&self) -> Command {
        let mut c = bare_cmd(self.path());
        c.env("DATABASE_URL", &self.url);
        c
    }

    /// Runs db-migrate with arguments.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd().args(args).output().expect("db-migrate runs");
        Run::from(out)
    }

    /// Runs and asserts success.
    pub fn ok(&self, args: &[&str]) -> Run {
        self.run(args).succeeded(&format!("db-migrate {args:?}"))
    }

    /// Runs and asserts failure with exactly one FAILED line.
    pub fn fails(&self, args: &[&str]) -> Run {
        self.run(args).failed_once(&format!("db-migrate {args:?}"))
    }

    pub fn connect(&self) -> Box<dyn Connection> {
        let url: dbkit::DatabaseUrl = self.url.parse().unwrap();
        dialect::connect(&url, std::time::Duration::from_secs(5)).unwrap()
    }

    /// Rows of a query, as text.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        self.connect()
            .query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect()
    }

    pub fn heads(&self) -> Vec<String> {
        let mut conn = self.connect();
        if !conn.table_exists(None, "alembic_version").unwrap() {
            return vec![];
        }
        let mut v: Vec<String> = self
            .query("SELECT version_num FROM alembic_version")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        v.sort();
        v
    }

    pub fn table_exists(&self, name: &str) -> bool {
        self.connect().table_exists(None, name).unwrap()
    }

    /// Table names in the database (user tables only), sorted.
    pub fn tables(&self) -> Vec<String> {
        let sql = match self.kind {
            Kind::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            Kind::Postgres => "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        };
        self.query(sql).into_iter().map(|r| r[0].clone()).collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Some(mut conn) = admin() {
                let _ = conn.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success; `what` names the command in the failure message.
    pub fn succeeded(self, what: &str) -> Run {
        assert!(
            self.code == 0,
            "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts one clear failure: a non-zero status, exactly one FAILED line, no panic.
    pub fn failed_once(self, what: &str) -> Run {
        assert!(
            self.code != 0,
            "{what} should fail:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert_eq!(
            self.stderr.matches("FAILED: ").count(),
            1,
            "one error expected:\n{}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Defines a test on SQLite and the same test on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, |$fx:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($fx: &$crate::util::Fixture) $body
            #[test]
            fn sqlite() {
                body(&$crate::util::Fixture::new($crate::util::Kind::Sqlite).unwrap());
            }
            #[test]
            fn postgresql() {
                if let Some(fx) = $crate::util::Fixture::new($crate::util::Kind::Postgres) {
                    body(&fx);
                }
            }
        }
    };
}
