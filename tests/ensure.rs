//! `db-migrate ensure`: each case it tells apart (no database, an empty one, a pre-migration one, a migrated
//! one), each run twice, and eight replicas starting at once.

use dbkit::dialect;
use serde_json::Value;

use crate::both;
use crate::util::{admin_url, Fixture, Kind, Run};

/// `ensure --json` (with `args`), asserted to succeed, and its report.
fn ensure(fx: &Fixture, args: &[&str]) -> (Value, Run) {
    let mut all = vec!["ensure", "--json"];
    all.extend_from_slice(args);
    let run = fx.ok(&all);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}", run.stdout));
    (report, run)
}

/// Removes the fixture's database: the file on SQLite (none was made yet), the database on PostgreSQL.
fn remove_database(fx: &Fixture) {
    if fx.kind == Kind::Sqlite {
        assert!(!fx.path().join("app.db").exists());
        return;
    }
    let name = fx.url.rsplit('/').next().unwrap();
    let url: dbkit::DatabaseUrl = admin_url().parse().unwrap();
    let mut admin = dialect::connect(&url, std::time::Duration::from_secs(5)).unwrap();
    admin
        .batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
}

/// A second run finds the database migrated with nothing pending, and says so.
fn second_run_has_nothing_to_do(fx: &Fixture, head: &str) {
    let (again, run) = ensure(fx, &[]);
    assert_eq!(again["case"], "migrated");
    assert_eq!(again["upgraded"], 0);
    assert_eq!(again["stamped"], serde_json::json!([]));
    assert_eq!(again["revisions"], serde_json::json!([head]));
    assert!(
        run.stderr.contains(&format!("Already at head: {head}")),
        "{}",
        run.stderr
    );
}

/// The history table's actions, oldest first, as `action revision`.
fn history(fx: &Fixture) -> Vec<String> {
    fx.query("SELECT direction, revision FROM alembic_version_history ORDER BY id")
        .into_iter()
        .map(|r| format!("{} {}", r[0], r[1]))
        .collect()
}

both!(a_missing_database_is_created_and_upgraded, |fx| {
    fx.chain(3);
    remove_database(fx);
    let (report, _) = ensure(fx, &[]);
    assert_eq!(report["case"], "created");
    assert_eq!(report["upgraded"], 3);
    assert_eq!(report["revisions"], serde_json::json!(["r3"]));
    assert_eq!(fx.heads(), vec!["r3"]);
    assert_eq!(fx.tables().iter().filter(|t| t.starts_with('t')).count(), 3);
    second_run_has_nothing_to_do(fx, "r3");
});

both!(an_empty_database_is_upgraded, |fx| {
    fx.chain(2);
    // An empty file on SQLite; the fixture's new database on PostgreSQL.
    fx.connect();
    let (report, run) = ensure(fx, &[]);
    assert_eq!(report["case"], "empty");
    assert_eq!(report["upgraded"], 2);
    assert!(
        run.stderr.contains("Running upgrade r1 -> r2"),
        "{}",
        run.stderr
    );
    assert_eq!(fx.heads(), vec!["r2"]);
    second_run_has_nothing_to_do(fx, "r2");
    // The text form says the same in one line.
    let text = fx.ok(&["ensure"]);
    assert_eq!(
        text.stdout,
        "migrated database; 0 revision(s) applied; at r2\n"
    );
});

both!(a_migrated_database_gets_what_is_pending, |fx| {
    fx.chain(2);
    fx.ok(&["upgrade", "r1"]);
    let (report, _) = ensure(fx, &[]);
    assert_eq!(report["case"], "migrated");
    assert_eq!(report["upgraded"], 1);
    assert_eq!(fx.heads(), vec!["r2"]);
    second_run_has_nothing_to_do(fx, "r2");
});

both!(
    a_pre_migration_database_is_matched_to_its_revision_stamped_and_upgraded,
    |fx| {
        fx.chain(4);
        // What r1 and r2 make, made by hand, with a row that must survive.
        fx.connect()
            .batch("CREATE TABLE t1 (id INTEGER); CREATE TABLE t2 (id INTEGER); INSERT INTO t1 VALUES (7);")
            .unwrap();
        let (report, run) = ensure(fx, &[]);
        assert_eq!(report["case"], "pre-migration");
        assert_eq!(report["stamped"], serde_json::json!(["r2"]));
        assert_eq!(report["stamped_by"], "schema-match");
        assert_eq!(report["upgraded"], 2);
        assert!(
            run.stderr.contains("Running stamp_revision  -> r2"),
            "{}",
            run.stderr
        );
        assert_eq!(fx.heads(), vec!["r4"]);
        assert_eq!(fx.query("SELECT id FROM t1"), vec![vec!["7".to_string()]]);
        assert!(fx.table_exists("t4"));
        assert_eq!(
            history(fx),
            vec!["stamp r2", "upgrade r3", "upgrade r4"],
            "the stamp and each upgrade are recorded"
        );
        second_run_has_nothing_to_do(fx, "r4");
    }
);

both!(
    a_pre_migration_database_of_both_branches_is_stamped_at_both_then_merged,
    |fx| {
        fx.revision("root", &[], "CREATE TABLE base_t (id INTEGER);", None);
        fx.revision("a1", &["root"], "CREATE TABLE a_t (id INTEGER);", None);
        fx.revision("b1", &["root"], "CREATE TABLE b_t (id INTEGER);", None);
        fx.revision("m", &["a1", "b1"], "", None);
        fx.revision("after", &["m"], "CREATE TABLE after_t (id INTEGER);", None);
        fx.connect()
            .batch("CREATE TABLE base_t (id INTEGER); CREATE TABLE a_t (id INTEGER); CREATE TABLE b_t (id INTEGER);")
            .unwrap();
        let (report, _) = ensure(fx, &[]);
        assert_eq!(report["case"], "pre-migration");
        assert_eq!(report["stamped"], serde_json::json!(["a1", "b1"]));
        // The merge, which changes no schema, runs, then what follows it.
        assert_eq!(report["upgraded"], 2);
        assert_eq!(fx.heads(), vec!["after"]);
        second_run_has_nothing_to_do(fx, "after");
    }
);

both!(
    a_pre_migration_database_no_revision_matches_is_left_alone_with_the_closest,
    |fx| {
        fx.chain(3);
        fx.connect()
            .batch("CREATE TABLE t1 (id INTEGER); CREATE TABLE legacy (code TEXT);")
            .unwrap();
        let run = fx.fails(&["ensure"]);
        assert_eq!(run.code, 1);
        assert!(
            run.stderr
                .contains("the closest is 'r1' with 1 difference(s)"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .to_lowercase()
                .contains("legacy (\n    code text"),
            "the difference as SQL: {}",
            run.stderr
        );
        assert!(run.stderr.contains("--baseline REV"), "{}", run.stderr);
        assert!(!fx.table_exists("alembic_version"), "nothing was changed");
        assert!(!fx.table_exists("t2"));

        // The user knows better: r1 it is.
        let (report, _) = ensure(fx, &["--baseline", "r1"]);
        assert_eq!(report["case"], "pre-migration");
        assert_eq!(report["stamped"], serde_json::json!(["r1"]));
        assert_eq!(report["stamped_by"], "baseline");
        assert_eq!(report["upgraded"], 2);
        assert_eq!(fx.heads(), vec!["r3"]);
        assert!(fx.table_exists("legacy"));
        // Replicas keep passing --baseline: on a migrated database it changes nothing.
        let (again, _) = ensure(fx, &["--baseline", "r1"]);
        assert_eq!(again["case"], "migrated");
        assert_eq!(fx.heads(), vec!["r3"]);
    }
);

both!(
    from_schema_applies_the_schema_file_and_stamps_the_head_when_check_agrees,
    |fx| {
        fx.chain(2);
        let schema = fx.path().join("alembic/schema.sql");
        std::fs::write(
            &schema,
            "CREATE TABLE t1 (id INTEGER);\nCREATE TABLE t2 (id INTEGER);\n",
        )
        .unwrap();
        remove_database(fx);
        let (report, run) = ensure(fx, &["--from-schema"]);
        assert_eq!(report["case"], "created");
        assert_eq!(report["stamped"], serde_json::json!(["r2"]));
        assert_eq!(report["stamped_by"], "schema-file");
        assert_eq!(report["upgraded"], 0);
        assert!(!run.stderr.contains("Running upgrade"), "{}", run.stderr);
        assert_eq!(fx.heads(), vec!["r2"]);
        assert!(fx.table_exists("t1") && fx.table_exists("t2"));
        assert_eq!(history(fx), vec!["stamp r2"]);
        second_run_has_nothing_to_do(fx, "r2");
        fx.ok(&["drift"]);
    }
);

both!(
    from_schema_is_refused_when_the_schema_file_is_not_what_the_revisions_give,
    |fx| {
        fx.chain(2);
        std::fs::write(
            fx.path().join("alembic/schema.sql"),
            "CREATE TABLE t1 (id INTEGER);\nCREATE TABLE t2 (id INTEGER);\nCREATE TABLE t3 (id INTEGER);\n",
        )
        .unwrap();
        fx.connect();
        let run = fx.fails(&["ensure", "--from-schema"]);
        assert!(
            run.stderr
                .contains("--from-schema applies the schema file only when the revisions give its schema; 'db-migrate check' finds 1 change(s)"),
            "{}",
            run.stderr
        );
        assert!(fx.tables().is_empty(), "nothing was applied");
        // Without it, every revision runs.
        let (report, _) = ensure(fx, &[]);
        assert_eq!(report["case"], "empty");
        assert_eq!(fx.heads(), vec!["r2"]);
    }
);

both!(
    from_schema_refuses_a_schema_file_that_ends_its_transaction,
    |fx| {
        fx.chain(2);
        std::fs::write(
            fx.path().join("alembic/schema.sql"),
            "CREATE TABLE t1 (id INTEGER);\nBEGIN;\nCREATE TABLE t2 (id INTEGER);\nCOMMIT;\n",
        )
        .unwrap();
        // The revisions give this schema, so check agrees; applying it with the stamp in one transaction
        // cannot.
        fx.ok(&["check"]);
        fx.connect();
        let run = fx.fails(&["ensure", "--from-schema"]);
        assert!(
            run.stderr.contains("schema.sql:2: `BEGIN`: --from-schema applies the schema file and the stamp in one transaction"),
            "{}",
            run.stderr
        );
        assert!(
            !fx.table_exists("t1") && !fx.table_exists("t2"),
            "nothing was applied"
        );
        assert!(fx.heads().is_empty(), "nothing was stamped");
    }
);

// Replicas starting at once: one does the work under the migration lock, the others find it done.
both!(eight_replicas_at_once_apply_every_revision_once, |fx| {
    for missing in [true, false] {
        let fx = Fixture::new(fx.kind).unwrap();
        fx.counting_chain(6);
        if missing {
            remove_database(&fx);
        } else {
            fx.connect();
        }
        let children: Vec<_> = (0..8)
            .map(|_| {
                fx.cmd()
                    .args(["ensure", "--json"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut cases = Vec::new();
        let mut upgraded = 0;
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "a replica failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            cases.push(report["case"].as_str().unwrap().to_string());
            upgraded += report["upgraded"].as_u64().unwrap();
            assert_eq!(report["revisions"], serde_json::json!(["r6"]));
        }
        cases.sort();
        let first = cases.remove(0);
        assert!(first == "created" || first == "empty", "{first}");
        assert!(cases.iter().all(|c| c == "migrated"), "{cases:?}");
        assert_eq!(upgraded, 7, "every revision ran once");
        assert_eq!(fx.heads(), vec!["r6"]);
        let counts = fx.query("SELECT rev, COUNT(*) FROM applied GROUP BY rev ORDER BY rev");
        assert_eq!(counts.len(), 6, "{counts:?}");
        assert!(counts.iter().all(|r| r[1] == "1"), "ran twice: {counts:?}");
    }
});

// db-init installs extensions in a new database; a revision that never created them still matches.
#[test]
fn extensions_installed_outside_the_revisions_do_not_prevent_a_match() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.chain(2);
    fx.connect()
        .batch("CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TABLE t1 (id INTEGER);")
        .unwrap();
    let (report, _) = ensure(&fx, &[]);
    assert_eq!(report["case"], "pre-migration");
    assert_eq!(report["stamped"], serde_json::json!(["r1"]));
    assert_eq!(fx.heads(), vec!["r2"]);
}
