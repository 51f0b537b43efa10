use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use dbkit::dialect::{self, Connection};

use crate::both;
use crate::util::{admin_url, program_in, Fixture, Kind, Run};

const INIT: &str = env!("CARGO_BIN_EXE_db-init");
const BACKUP: &str = env!("CARGO_BIN_EXE_db-backup");

both!(
    eight_concurrent_upgrades_apply_every_revision_exactly_once,
    |fx| {
        fx.counting_chain(12);
        all_succeed(8, "upgrade", || {
            let mut c = fx.cmd();
            c.args(["upgrade", "head"]);
            c
        });
        assert_eq!(fx.heads(), vec!["r12"]);
        let counts = fx.query("SELECT rev, COUNT(*) FROM applied GROUP BY rev ORDER BY rev");
        assert_eq!(counts.len(), 12, "{counts:?}");
        assert!(
            counts.iter().all(|r| r[1] == "1"),
            "a revision ran twice: {counts:?}"
        );
        let runs = fx.query("SELECT COUNT(*) FROM alembic_version_history WHERE direction = 'upgrade' AND success = (1 = 1)");
        assert_eq!(runs, vec![vec!["13".to_string()]]);
    }
);

/// Starts `n` processes at once and asserts that every one exits 0.
fn all_succeed(n: usize, what: &str, mut start: impl FnMut() -> std::process::Command) {
    let children: Vec<_> = (0..n)
        .map(|_| {
            start()
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent {what} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const TRIALS: usize = 10;

// A transaction:false section commits statement by statement, so no database lock spans it: only the run lock
// keeps a second run from executing it too.
both!(
    concurrent_upgrades_run_a_transaction_false_section_exactly_once,
    |fx| {
        for _ in 0..TRIALS {
            let fx = Fixture::new(fx.kind).unwrap();
            fx.revision(
                "r1",
                &[],
                "CREATE TABLE applied (rev TEXT NOT NULL);\nCREATE TABLE big (n INTEGER);",
                None,
            );
            std::fs::write(
                fx.versions().join("r2.sql"),
                "-- Revision ID: r2\n-- Revises: r1\n-- Create Date: 2026-11-21 10:00:00.000000\n\n\
                 -- migrate:up transaction:false\n\
                 INSERT INTO applied (rev) VALUES ('r2');\n\
                 INSERT INTO big (n) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 200000) SELECT n FROM s;\n",
            )
            .unwrap();
            fx.revision(
                "r3",
                &["r2"],
                "INSERT INTO applied (rev) VALUES ('r3');",
                None,
            );
            all_succeed(8, "upgrade", || {
                let mut c = fx.cmd();
                c.args(["upgrade", "head"]);
                c
            });
            assert_eq!(fx.heads(), vec!["r3"]);
            assert_eq!(
                fx.query("SELECT rev, COUNT(*) FROM applied GROUP BY rev ORDER BY rev"),
                vec![
                    vec!["r2".to_string(), "1".into()],
                    vec!["r3".into(), "1".into()]
                ],
                "a revision ran twice"
            );
            assert_eq!(
                fx.query("SELECT COUNT(*) FROM big"),
                vec![vec!["200000".to_string()]]
            );
        }
    }
);

both!(concurrent_ensure_version_runs_all_succeed, |fx| {
    for _ in 0..TRIALS {
        let fx = Fixture::new(fx.kind).unwrap();
        all_succeed(8, "ensure_version", || {
            let mut c = fx.cmd();
            c.arg("ensure_version");
            c
        });
        assert!(fx.table_exists("alembic_version"));
        assert!(fx.table_exists("alembic_version_history"));
        assert_eq!(fx.heads(), Vec::<String>::new());
    }
});

#[test]
fn every_sqlite_writer_waits_for_the_lock_file_and_gives_up_naming_its_holder() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(1);
    fx.ok(&["ensure_version"]);
    let lock = fx.path().join("app.db-migrate.lock");
    let mode = std::fs::metadata(&lock).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o022,
        0,
        "the lock file is writable by others: {mode:o}"
    );
    assert!(std::fs::read_to_string(&lock)
        .unwrap()
        .starts_with("held by pid "));

    let held = std::fs::File::open(&lock).unwrap();
    held.lock().unwrap();
    std::fs::write(&lock, "held by pid 4242 (ops@build)\n").unwrap();
    for args in [
        &["upgrade", "head", "--lock-timeout", "1"][..],
        &["stamp", "r1", "--lock-timeout", "1"],
        &["ensure_version", "--lock-timeout", "1"],
        &["validate", "--accept", "r1", "--lock-timeout", "1"],
    ] {
        let r = fx.fails(args);
        assert!(
            r.stderr.contains(&format!(
                "waiting for the migration lock on {} (held by pid 4242 (ops@build)), up to 1s",
                lock.display()
            )),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!(
                "timed out after 1s waiting for the migration lock on {}",
                lock.display()
            )),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_eq!(fx.heads(), Vec::<String>::new());
    assert!(!fx.table_exists("t1"));
    assert!(fx
        .query("SELECT revision FROM alembic_version_history")
        .is_empty());

    drop(held);
    fx.ok(&["upgrade", "head", "--lock-timeout", "1"]);
    assert_eq!(fx.heads(), vec!["r1"]);
    assert!(lock.exists(), "the lock file stays beside the database");
}

#[test]
fn an_in_memory_sqlite_database_needs_no_lock_file() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(2);
    let r = fx
        .cmd()
        .env("DATABASE_URL", "sqlite://")
        .args(["upgrade", "head"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let files: Vec<_> = std::fs::read_dir(fx.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().all(|f| !f.ends_with("-migrate.lock")),
        "{files:?}"
    );
}

/// A database name on the test server that does not exist yet, dropped again when this goes out of scope.
struct MissingDatabase {
    name: String,
}

impl MissingDatabase {
    fn new(trial: usize) -> MissingDatabase {
        let db = MissingDatabase {
            name: format!("dbkit_init_race_{}_{trial}", std::process::id()),
        };
        db.drop_it();
        db
    }

    fn admin() -> Box<dyn Connection> {
        let url: dbkit::DatabaseUrl = admin_url().parse().unwrap();
        dialect::connect(&url, Duration::from_secs(5)).unwrap()
    }

    fn drop_it(&self) {
        Self::admin()
            .batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .unwrap();
    }

    fn url(&self) -> String {
        let base = admin_url();
        let slash = base
            .rfind('/')
            .expect("TEST_DATABASE_URL has a database part");
        format!("{}/{}", &base[..slash], self.name)
    }
}

impl Drop for MissingDatabase {
    fn drop(&mut self) {
        self.drop_it();
    }
}

both!(concurrent_db_init_on_a_missing_database_all_succeed, |fx| {
    for trial in 0..TRIALS {
        let (url, pg) = match fx.kind {
            Kind::Sqlite => (
                format!("sqlite:///{}/data{trial}/app.db", fx.path().display()),
                None,
            ),
            Kind::Postgres => {
                let db = MissingDatabase::new(trial);
                (db.url(), Some(db))
            }
        };
        all_succeed(8, "db-init", || {
            let mut c = program_in(INIT, fx.path());
            c.env("DATABASE_URL", &url);
            c
        });
        let url: dbkit::DatabaseUrl = url.parse().unwrap();
        let mut conn = dialect::connect(&url, Duration::from_secs(5)).unwrap();
        match pg {
            None => assert_eq!(
                conn.value("PRAGMA journal_mode").unwrap().as_deref(),
                Some("wal")
            ),
            Some(db) => {
                let exts = conn
                    .query("SELECT extname::text FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")
                    .unwrap();
                assert_eq!(
                    exts,
                    vec![
                        vec![Some("pgcrypto".to_string())],
                        vec![Some("uuid-ossp".into())]
                    ]
                );
                drop(conn);
                drop(db);
            }
        }
    }
});

both!(a_restore_waits_for_the_migration_lock, |fx| {
    fx.chain(1);
    fx.ok(&["upgrade", "head"]);
    let ini = fx.path().join("alembic.ini");
    let mut text = std::fs::read_to_string(&ini).unwrap();
    text.push_str("lock_timeout = 1\n");
    std::fs::write(&ini, text).unwrap();
    let backup = || {
        let mut c = program_in(BACKUP, fx.path());
        c.env("DATABASE_URL", &fx.url);
        c
    };
    Run::from(backup().arg("create").output().unwrap()).succeeded("db-backup create");

    // What a migration running in another process holds.
    let (mut conn, held) = match fx.kind {
        Kind::Sqlite => {
            let file = std::fs::File::open(fx.path().join("app.db-migrate.lock")).unwrap();
            file.lock().unwrap();
            (None, Some(file))
        }
        Kind::Postgres => {
            let mut conn = fx.connect();
            let key = dbkit::dialect::postgres::lock::key("alembic_version");
            conn.batch(&format!("SELECT pg_advisory_lock({key})"))
                .unwrap();
            (Some(conn), None)
        }
    };
    let restore = || {
        backup()
            .args(["restore", "latest", "--yes"])
            .output()
            .unwrap()
    };
    let r = Run::from(restore()).failed_once("db-backup restore");
    assert!(
        r.stderr
            .contains("timed out after 1s waiting for the migration lock"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("pre-restore"),
        "no safety backup: {}",
        r.stderr
    );
    if fx.kind == Kind::Sqlite {
        // db-init --recreate removes the file: never while a migration holds it.
        let out = program_in(INIT, fx.path())
            .env("DATABASE_URL", &fx.url)
            .args(["--recreate", "--yes"])
            .output()
            .unwrap();
        let r = Run::from(out).failed_once("db-init --recreate");
        assert!(
            r.stderr.contains("waiting for the migration lock"),
            "{}",
            r.stderr
        );
        assert!(fx.table_exists("t1"));
    }

    drop(held);
    drop(conn.take());
    Run::from(restore()).succeeded("db-backup restore");
    assert_eq!(fx.heads(), vec!["r1"]);
});
