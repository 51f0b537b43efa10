//! The Make flows that chain the binaries: deploy and reset.

use std::path::Path;

use crate::both;
use crate::util::*;

const INIT: &str = env!("CARGO_BIN_EXE_db-init");
const BACKUP: &str = env!("CARGO_BIN_EXE_db-backup");

/// `make TARGET` from the project's Makefile, run in the fixture's directory with the test binaries.
fn make(fx: &Fixture, target: &str) -> Run {
    let makefile = Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile");
    let mut c = program_in("make", fx.path());
    c.env("DATABASE_URL", &fx.url)
        .env("BACKUP_DIR", fx.path().join("backups"))
        .env("DB_WAIT", "5")
        .args(["-s", "-f"])
        .arg(&makefile)
        .arg(target)
        .arg(format!("DB_MIGRATE={BIN}"))
        .arg(format!("DB_INIT={INIT}"))
        .arg(format!("DB_BACKUP={BACKUP}"));
    Run::from(c.output().expect("make runs"))
}

fn backups(fx: &Fixture) -> Vec<String> {
    let dir = fx.path().join("backups");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// r1 and r2 applied with rows in t1; r3 adds t3 (`r3_options` on its marker), r4 fails, r5 would follow.
fn deployed_then_broken(fx: &Fixture, r3_options: &str) {
    fx.chain(2);
    fx.ok(&["upgrade", "head"]);
    fx.connect()
        .batch("INSERT INTO t1 (id) VALUES (1), (2)")
        .unwrap();
    std::fs::write(
        fx.versions().join("r3.sql"),
        format!("-- r3\n-- Revision ID: r3\n-- Revises: r2\n\n-- migrate:up {r3_options}\nCREATE TABLE t3 (id INTEGER);\n\n-- migrate:down {r3_options}\nDROP TABLE t3;\n"),
    )
    .unwrap();
    fx.revision(
        "r4",
        &["r3"],
        "INSERT INTO t1 (id) VALUES (3);\nINSERT INTO no_such_table VALUES (1);",
        Some(""),
    );
    fx.revision(
        "r5",
        &["r4"],
        "CREATE TABLE t5 (id INTEGER);",
        Some("DROP TABLE t5;"),
    );
}

fn assert_back_where_it_started(fx: &Fixture, r: &Run) {
    assert_ne!(r.code, 0, "deploy must fail:\n{}", r.stderr);
    assert!(r.stderr.contains("deploy FAILED"), "{}", r.stderr);
    assert!(
        r.stderr.contains("what failed: db-migrate upgrade head"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("backup: "), "{}", r.stderr);
    assert!(
        r.stderr.contains("no_such_table"),
        "the migration's own error is shown:\n{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["r2"]);
    assert!(!fx.table_exists("t3"), "t3 must be gone:\n{}", r.stderr);
    assert_eq!(
        fx.query("SELECT id FROM t1 ORDER BY id"),
        vec![vec!["1".to_string()], vec!["2".to_string()]]
    );
    let files = backups(fx);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].contains("pre-deploy"), "{files:?}");
}

both!(
    a_deploy_whose_upgrade_fails_midway_ends_where_it_started,
    |fx| {
        deployed_then_broken(fx, "");
        let r = make(fx, "deploy");
        assert_back_where_it_started(fx, &r);
        assert!(
            r.stderr.contains("nothing was left to undo"),
            "{}",
            r.stderr
        );
    }
);

both!(
    a_deploy_that_cannot_be_one_transaction_restores_the_backup,
    |fx| {
        deployed_then_broken(fx, "transaction:false");
        let r = make(fx, "deploy");
        assert_back_where_it_started(fx, &r);
        assert!(
            r.stderr.contains("restored: the pre-deploy backup"),
            "{}",
            r.stderr
        );
    }
);

both!(a_deploy_that_succeeds_ends_at_head_with_a_backup, |fx| {
    fx.chain(3);
    let r = make(fx, "deploy");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fx.heads(), vec!["r3"]);
    assert_eq!(backups(fx).len(), 1);
    assert!(r.stderr.contains("deployed; backup: "), "{}", r.stderr);
});

both!(db_reset_backs_up_first_and_ends_at_head, |fx| {
    fx.chain(3);
    fx.ok(&["upgrade", "r1"]);
    fx.connect()
        .batch("INSERT INTO t1 (id) VALUES (7)")
        .unwrap();
    let r = make(fx, "db-reset");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fx.heads(), vec!["r3"]);
    assert!(
        fx.query("SELECT id FROM t1").is_empty(),
        "the reset rebuilt t1"
    );
    let files = backups(fx);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].contains("pre-reset"), "{files:?}");
});

/// scripts/docker-entrypoint.sh with the test binaries and `sh -c CMD` as the application.
fn entrypoint(fx: &Fixture, app: &str) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/docker-entrypoint.sh");
    let mut c = program_in("sh", fx.path());
    c.env("DATABASE_URL", &fx.url)
        .env("DB_INIT", INIT)
        .env("DB_MIGRATE", BIN)
        .env("DB_WAIT", "5")
        .arg(script)
        .args(["sh", "-c", app]);
    Run::from(c.output().expect("the entrypoint runs"))
}

both!(
    the_container_entrypoint_migrates_then_runs_the_application,
    |fx| {
        fx.chain(2);
        let r = entrypoint(fx, "echo application started; exit 7");
        assert_eq!(r.code, 7, "the application's own status: {}", r.stderr);
        assert!(r.stdout.contains("application started"), "{}", r.stdout);
        assert_eq!(fx.heads(), vec!["r2"]);

        fx.revision(
            "r3",
            &["r2"],
            "INSERT INTO no_such_table VALUES (1);",
            Some(""),
        );
        let r = entrypoint(fx, "echo application started");
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(!r.stdout.contains("application started"), "{}", r.stdout);
        assert!(
            r.stderr
                .contains("migration failed; not starting the application"),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["r2"]);
    }
);
