use crate::both;
use crate::util::*;

both!(stamp_moves_the_version_table_without_running_sql, |fx| {
    fx.chain(3);
    let r = fx.ok(&["stamp", "r2"]);
    assert!(
        r.stderr.contains("Running stamp_revision  -> r2"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["r2"]);
    assert!(!fx.table_exists("t1"), "stamp runs no migration SQL");
    fx.ok(&["upgrade", "head"]);
    assert!(fx.table_exists("t3") && !fx.table_exists("t2"));
    fx.ok(&["stamp", "base"]);
    assert_eq!(fx.heads(), Vec::<String>::new());
    let rows = fx.query("SELECT direction FROM alembic_version_history WHERE direction = 'stamp'");
    assert_eq!(rows.len(), 2);
});

both!(stamp_purge_replaces_rows_the_graph_does_not_know, |fx| {
    fx.chain(2);
    fx.ok(&["ensure_version"]);
    fx.connect()
        .batch("INSERT INTO alembic_version (version_num) VALUES ('deadbeef0000')")
        .unwrap();
    let r = fx.fails(&["stamp", "r2"]);
    assert!(r.stderr.contains("deadbeef0000"), "{}", r.stderr);
    // A purge whose stamp fails rolls back with it: the rows are still there.
    let r = fx.fails(&["stamp", "--purge", "nope9999"]);
    assert!(
        r.stderr
            .contains("Can't locate revision identified by 'nope9999'"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["deadbeef0000"]);
    fx.ok(&["stamp", "--purge", "r2"]);
    assert_eq!(fx.heads(), vec!["r2"]);
    let stamped =
        fx.query("SELECT revision FROM alembic_version_history WHERE direction = 'stamp'");
    assert_eq!(stamped, vec![vec!["r2".to_string()]]);
});

both!(dry_run_prints_the_plan_and_changes_nothing, |fx| {
    fx.chain(2);
    let r = fx.ok(&["upgrade", "head", "--dry-run"]);
    assert!(r.stdout.contains("2 step(s) would run"), "{}", r.stdout);
    assert!(
        r.stdout.contains("CREATE TABLE t1 (id INTEGER);"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("INSERT INTO alembic_version (version_num) VALUES ('r1');"),
        "{}",
        r.stdout
    );
    if fx.kind == Kind::Sqlite {
        assert!(
            !fx.path().join("app.db").exists(),
            "a dry run created the database file"
        );
    }
    assert!(fx.tables().is_empty(), "dry run created {:?}", fx.tables());
    fx.ok(&["upgrade", "r1"]);
    let r = fx.ok(&["upgrade", "head", "--dry-run"]);
    assert!(
        r.stdout.contains("1 step(s)") && r.stdout.contains("Running upgrade r1 -> r2"),
        "{}",
        r.stdout
    );
    let r = fx.ok(&["downgrade", "base", "--dry-run"]);
    assert!(
        r.stdout.contains("DROP TABLE t1;") && r.stdout.contains("DELETE FROM alembic_version"),
        "{}",
        r.stdout
    );
    assert_eq!(fx.heads(), vec!["r1"]);
    assert!(fx.table_exists("t1") && !fx.table_exists("t2"));
});

/// Offline SQL for a range, compared with a stored text.
fn offline(fx: &Fixture, args: &[&str], expected: &str) {
    fx.chain(3);
    let r = fx.ok(args);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(expected);
    if std::env::var("UPDATE_EXPECTED").is_ok() {
        std::fs::write(&path, &r.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        r.stdout,
        want,
        "offline SQL differs from {}",
        path.display()
    );
    assert!(fx.tables().is_empty(), "--sql does not touch the database");
}

/// The printed SQL is a script a DBA can run as it is.
fn apply(fx: &Fixture, sql: &str) {
    fx.connect()
        .batch(sql)
        .unwrap_or_else(|e| panic!("offline SQL does not run: {e}\n{sql}"));
}

both!(offline_sql_for_a_range_matches_the_stored_text, |fx| {
    let name = match fx.kind {
        Kind::Sqlite => "upgrade_r1_head.sqlite.sql",
        Kind::Postgres => "upgrade_r1_head.postgresql.sql",
    };
    offline(fx, &["upgrade", "r1:head", "--sql"], name);
    fx.ok(&["upgrade", "r1"]);
    apply(fx, &fx.ok(&["upgrade", "r1:head", "--sql"]).stdout);
    assert_eq!(fx.heads(), vec!["r3"]);
    assert!(fx.table_exists("t3"));
    apply(fx, &fx.ok(&["downgrade", "r3:base", "--sql"]).stdout);
    assert_eq!(fx.heads(), Vec::<String>::new());
    assert!(!fx.table_exists("t1"));
});

#[test]
fn offline_sql_from_base_creates_the_version_table_and_downgrade_needs_a_range() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    offline(
        &fx,
        &["upgrade", "head", "--sql"],
        "upgrade_head.sqlite.sql",
    );
    apply(&fx, &fx.ok(&["upgrade", "head", "--sql"]).stdout);
    assert_eq!(fx.ok(&["current"]).stdout, "r3 (head)\n");
    let r = fx.fails(&["downgrade", "base", "--sql"]);
    assert!(
        r.stderr
            .contains("downgrade with --sql requires <fromrev>:<torev>"),
        "{}",
        r.stderr
    );
    let r = fx.ok(&["downgrade", "r3:r1", "--sql"]);
    assert!(
        r.stdout.contains("-- Running downgrade r3 -> r2\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "UPDATE alembic_version SET version_num='r1' WHERE alembic_version.version_num = 'r2';"
        ),
        "{}",
        r.stdout
    );
    let r = fx.fails(&["upgrade", "r1:head"]);
    assert!(
        r.stderr.contains("Range revision not allowed"),
        "{}",
        r.stderr
    );
}

both!(
    current_history_heads_and_show_print_the_familiar_formats,
    |fx| {
        fx.chain(3);
        fx.ok(&["upgrade", "r2"]);
        assert_eq!(fx.ok(&["current"]).stdout, "r2\n");
        let r = fx.run(&["current", "--check-heads"]);
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.contains("Database is not on all head revisions"));
        assert_eq!(fx.ok(&["heads"]).stdout, "r3 (head)\n");
        assert_eq!(
            fx.ok(&["history"]).stdout,
            "r2 -> r3 (head), revision r3\nr1 -> r2, revision r2\n<base> -> r1, revision r1\n"
        );
        assert_eq!(
        fx.ok(&["history", "-i"]).stdout,
        "r2 -> r3 (head), revision r3\nr1 -> r2 (current), revision r2\n<base> -> r1, revision r1\n"
    );
        assert_eq!(
            fx.ok(&["history", "-r", "r1:r2"]).stdout,
            "r1 -> r2, revision r2\n<base> -> r1, revision r1\n"
        );
        let show = fx.ok(&["show", "r2"]).stdout;
        assert!(show.starts_with("Rev: r2\nParent: r1\nPath: "), "{show}");
        let json: serde_json::Value =
            serde_json::from_str(&fx.ok(&["current", "--json"]).stdout).unwrap();
        assert_eq!(json["heads"], serde_json::json!(["r2"]));
        assert_eq!(json["at_head"], serde_json::json!(false));
        fx.ok(&["upgrade"]);
        fx.ok(&["current", "--check-heads"]);
    }
);

#[test]
fn create_index_concurrently_runs_in_a_transaction_false_section() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE big (id INTEGER, v TEXT);",
        Some("DROP TABLE big;"),
    );
    let path = fx.versions().join("r2.sql");
    std::fs::write(
        &path,
        "-- index concurrently\n-- Revision ID: r2\n-- Revises: r1\n\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY ix_big_v ON big (v);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY ix_big_v;\n",
    )
    .unwrap();
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["r2"]);
    assert_eq!(
        fx.query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_big_v'")
            .len(),
        1
    );
    let r = fx.fails(&["downgrade", "base", "--single-transaction"]);
    assert!(
        r.stderr.contains("transaction:false") && r.stderr.contains("nothing was run"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["r2"]);
    fx.ok(&["downgrade", "base"]);
    assert!(fx
        .query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_big_v'")
        .is_empty());
}

#[test]
fn a_held_migration_lock_makes_upgrade_wait_then_give_up_naming_the_holder() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.chain(1);
    let mut holder = fx.connect();
    let key = dbkit::dialect::postgres::lock::key("alembic_version");
    holder
        .batch(&format!("SELECT pg_advisory_lock({key})"))
        .unwrap();
    let r = fx.fails(&["upgrade", "head", "--lock-timeout", "1"]);
    assert!(
        r.stderr
            .contains("waiting for the migration lock on alembic_version (held by pid "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("timed out after 1s waiting for the migration lock"),
        "{}",
        r.stderr
    );
    assert!(!fx.table_exists("t1"));
    holder
        .batch(&format!("SELECT pg_advisory_unlock({key})"))
        .unwrap();
    fx.ok(&["upgrade", "head", "--lock-timeout", "1"]);
    assert_eq!(fx.heads(), vec!["r1"]);
}

#[test]
fn version_table_schema_puts_both_tables_in_that_schema() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.connect().batch("CREATE SCHEMA ops").unwrap();
    std::fs::write(
        fx.path().join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/alembic\nversion_table_schema = ops\nversion_table = schema_version\n",
    )
    .unwrap();
    fx.chain(2);
    fx.ok(&["upgrade", "head"]);
    assert_eq!(
        fx.query("SELECT version_num FROM ops.schema_version"),
        vec![vec!["r2".to_string()]]
    );
    assert_eq!(
        fx.query("SELECT count(*) FROM ops.schema_version_history"),
        vec![vec!["2".to_string()]]
    );
    assert!(!fx.table_exists("alembic_version"));
    assert_eq!(fx.ok(&["current"]).stdout, "r2 (head)\n");
    fx.ok(&["downgrade", "base"]);
    assert!(fx
        .query("SELECT version_num FROM ops.schema_version")
        .is_empty());
}

both!(stamp_sql_prints_the_version_table_changes, |fx| {
    fx.chain(3);
    let r = fx.ok(&["stamp", "r1:r3", "--sql"]);
    assert!(
        r.stdout.contains("-- Running stamp_revision r1 -> r3\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "UPDATE alembic_version SET version_num='r3' WHERE alembic_version.version_num = 'r1';"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("CREATE TABLE t"), "{}", r.stdout);
    let r = fx.fails(&["stamp", "--purge", "--sql", "head"]);
    assert!(
        r.stderr.contains("Can't use --purge with --sql mode"),
        "{}",
        r.stderr
    );
});

both!(
    a_revision_that_is_only_a_dependency_is_not_a_missing_head,
    |fx| {
        fx.revision("base1", &[], "", Some(""));
        fx.revision(
            "lib1",
            &[],
            "CREATE TABLE lib (id INTEGER);",
            Some("DROP TABLE lib;"),
        );
        fx.revision_with(
            "app1",
            &["base1"],
            "-- Depends On: lib1\n",
            "CREATE TABLE app (id INTEGER);",
            Some("DROP TABLE app;"),
        );
        fx.ok(&["upgrade", "heads"]);
        assert_eq!(
            fx.heads(),
            vec!["app1"],
            "the dependency is not kept as a row"
        );
        assert!(fx.table_exists("lib") && fx.table_exists("app"));
        fx.ok(&["current", "--check-heads"]);
    }
);

both!(
    reports_say_what_is_known_no_table_or_base_nothing_to_upgrade,
    |fx| {
        fx.chain(1);
        let current = |fx: &Fixture| -> serde_json::Value {
            serde_json::from_str(&fx.ok(&["current", "--json"]).stdout).unwrap()
        };
        if fx.kind == Kind::Sqlite {
            // An empty file: a database with no version table (a missing file is an error of its own).
            std::fs::File::create(fx.dir.path().join("app.db")).unwrap();
        }
        let fresh = current(fx);
        assert_eq!(fresh["version_table_exists"], false, "{fresh}");
        assert_eq!(fresh["heads"], serde_json::json!([]));

        let r = fx.ok(&["upgrade", "head"]);
        assert!(!r.stderr.contains("Already at head"), "{}", r.stderr);
        let r = fx.ok(&["upgrade", "head"]);
        assert_eq!(r.stderr, "Already at head: r1\n");
        assert_eq!(fx.ok(&["-q", "upgrade", "head"]).stderr, "");

        fx.ok(&["downgrade", "base"]);
        let at_base = current(fx);
        assert_eq!(at_base["version_table_exists"], true, "{at_base}");
        assert_eq!(at_base["heads"], serde_json::json!([]));

        // `heads` does not read the database, so it does not claim to know what is current.
        fx.ok(&["upgrade", "head"]);
        let heads: serde_json::Value =
            serde_json::from_str(&fx.ok(&["heads", "--json"]).stdout).unwrap();
        assert_eq!(heads[0]["is_current"], serde_json::Value::Null, "{heads}");
        let history: serde_json::Value =
            serde_json::from_str(&fx.ok(&["history", "-i", "--json"]).stdout).unwrap();
        assert_eq!(history[0]["is_current"], true, "{history}");
    }
);

#[test]
fn branches_json_lists_each_branch_point_with_the_revisions_it_branches_into() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision("aaaa01", &[], "SELECT 1;", None);
    fx.revision("bbbb02", &["aaaa01"], "SELECT 1;", None);
    fx.revision_with(
        "cccc03",
        &["aaaa01"],
        "-- Branch Labels: feature\n",
        "SELECT 1;",
        None,
    );
    let text = fx.ok(&["branches"]).stdout;
    let r = fx.ok(&["branches", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let points = json.as_array().expect("an array of branch points");
    assert_eq!(points.len(), 1, "{}", r.stdout);
    let point = &points[0];
    assert_eq!(point["revision"], "aaaa01");
    assert_eq!(point["is_branch_point"], true);
    assert_eq!(point["down_revisions"], serde_json::json!([]));
    assert_eq!(point["is_current"], serde_json::Value::Null);
    let branches: Vec<&str> = point["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["revision"].as_str().unwrap())
        .collect();
    assert_eq!(branches, ["bbbb02", "cccc03"]);
    let labelled = &point["branches"][1];
    assert_eq!(labelled["branch_labels"], serde_json::json!(["feature"]));
    assert_eq!(labelled["down_revisions"], serde_json::json!(["aaaa01"]));
    assert_eq!(labelled["is_head"], true);
    assert!(r.stdout.ends_with("}\n]\n"), "{}", r.stdout);
    // The text form lists the same branch point, and no revision file is read differently for JSON.
    assert!(text.starts_with("aaaa01 (branchpoint)\n"), "{text}");
    assert!(fx.ok(&["branches", "-v", "--json"]).stdout == r.stdout);
}
