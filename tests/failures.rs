use crate::both;
use crate::util::*;

/// Five revisions where the third fails at its second statement.
fn five_with_a_bad_third(fx: &Fixture) {
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE t1 (id INTEGER);",
        Some("DROP TABLE t1;"),
    );
    fx.revision(
        "r2",
        &["r1"],
        "CREATE TABLE t2 (id INTEGER);",
        Some("DROP TABLE t2;"),
    );
    fx.revision(
        "r3",
        &["r2"],
        "CREATE TABLE t3 (id INTEGER);\nINSERT INTO no_such_table VALUES (1);",
        Some("DROP TABLE t3;"),
    );
    fx.revision(
        "r4",
        &["r3"],
        "CREATE TABLE t4 (id INTEGER);",
        Some("DROP TABLE t4;"),
    );
    fx.revision(
        "r5",
        &["r4"],
        "CREATE TABLE t5 (id INTEGER);",
        Some("DROP TABLE t5;"),
    );
}

both!(
    a_failing_statement_leaves_the_database_at_the_last_good_revision,
    |fx| {
        five_with_a_bad_third(fx);
        let r = fx.fails(&["upgrade", "head"]);
        assert_eq!(r.code, 1);
        // The file, the line of the statement, the statement, and the server's reason.
        assert!(r.stderr.contains("r3.sql:9: upgrade of revision 'r3' failed at `INSERT INTO no_such_table VALUES (1)`"), "{}", r.stderr);
        assert!(r.stderr.contains("no_such_table"), "{}", r.stderr);
        if fx.kind == Kind::Postgres {
            assert!(r.stderr.contains("SQLSTATE 42P01"), "{}", r.stderr);
        }
        assert_eq!(fx.heads(), vec!["r2"]);
        assert!(fx.table_exists("t2"));
        assert!(
            !fx.table_exists("t3"),
            "the failed revision's first statement was rolled back"
        );
        let rows = fx
            .query("SELECT revision, direction, success FROM alembic_version_history ORDER BY id");
        let ok = if fx.kind == Kind::Sqlite { "1" } else { "t" };
        let bad = if fx.kind == Kind::Sqlite { "0" } else { "f" };
        assert_eq!(
            rows,
            vec![
                vec!["r1".to_string(), "upgrade".into(), ok.into()],
                vec!["r2".into(), "upgrade".into(), ok.into()],
                vec!["r3".into(), "upgrade".into(), bad.into()],
            ]
        );
        let err = fx.query("SELECT error FROM alembic_version_history WHERE revision = 'r3'");
        assert!(err[0][0].contains("no_such_table"), "{:?}", err);
    }
);

both!(single_transaction_is_all_or_nothing, |fx| {
    five_with_a_bad_third(fx);
    fx.fails(&["upgrade", "head", "--single-transaction"]);
    assert_eq!(fx.heads(), Vec::<String>::new());
    assert!(!fx.table_exists("t1"));
});

both!(
    a_downgrade_through_a_revision_without_a_down_section_changes_nothing,
    |fx| {
        fx.revision(
            "r1",
            &[],
            "CREATE TABLE t1 (id INTEGER);",
            Some("DROP TABLE t1;"),
        );
        fx.revision("r2", &["r1"], "CREATE TABLE t2 (id INTEGER);", None);
        fx.revision(
            "r3",
            &["r2"],
            "CREATE TABLE t3 (id INTEGER);",
            Some("DROP TABLE t3;"),
        );
        fx.ok(&["upgrade", "head"]);
        let r = fx.fails(&["downgrade", "base"]);
        assert!(
            r.stderr.contains("revision 'r2'")
                && r.stderr.contains("r2.sql")
                && r.stderr.contains("no '-- migrate:down' section"),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["r3"], "not even r3 was downgraded");
        assert!(fx.table_exists("t3"));
    }
);

both!(an_unknown_target_is_one_clear_error, |fx| {
    fx.chain(2);
    let r = fx.fails(&["upgrade", "nope1234"]);
    assert!(
        r.stderr
            .contains("Can't locate revision identified by 'nope1234'"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), Vec::<String>::new());
});

both!(the_multiple_heads_error_uses_the_familiar_wording, |fx| {
    fx.revision("base1", &[], "", Some(""));
    fx.revision("left", &["base1"], "", Some(""));
    fx.revision("right", &["base1"], "", Some(""));
    let r = fx.fails(&["upgrade", "head"]);
    assert!(r.stderr.contains("Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads"), "{}", r.stderr);
    assert_eq!(fx.heads(), Vec::<String>::new());
    fx.ok(&["upgrade", "heads"]);
    assert_eq!(fx.heads(), vec!["left", "right"]);
});

fn assert_structural_error(fx: &Fixture, needles: &[&str]) {
    for args in [&["upgrade", "head"][..], &["heads"][..], &["history"][..]] {
        let r = fx.fails(args);
        for n in needles {
            assert!(
                r.stderr.contains(n),
                "{args:?}: expected {n:?} in:\n{}",
                r.stderr
            );
        }
    }
    assert!(!fx.table_exists("alembic_version"), "nothing was created");
}

both!(a_malformed_file_names_the_file_and_line, |fx| {
    fx.chain(1);
    std::fs::write(
        fx.versions().join("broken.sql"),
        "-- oops\n-- Revision ID: br0k\n-- Revises: r1\nCREATE TABLE x (id int);\n-- migrate:up\n",
    )
    .unwrap();
    assert_structural_error(
        fx,
        &["broken.sql:4:", "before the first '-- migrate:up' marker"],
    );
});

both!(a_file_without_markers_is_not_skipped, |fx| {
    fx.chain(1);
    std::fs::write(
        fx.versions().join("notes.sql"),
        "-- just some notes\nSELECT 1;\n",
    )
    .unwrap();
    assert_structural_error(fx, &["notes.sql"]);
    std::fs::write(
        fx.versions().join("notes.sql"),
        "-- m\n-- Revision ID: abcd1\n-- Revises: r1\n",
    )
    .unwrap();
    assert_structural_error(fx, &["notes.sql", "no '-- migrate:up' section"]);
});

both!(a_cycle_is_an_error, |fx| {
    fx.revision("aaaa", &["cccc"], "", Some(""));
    fx.revision("bbbb", &["aaaa"], "", Some(""));
    fx.revision("cccc", &["bbbb"], "", Some(""));
    fx.revision("root", &[], "", Some(""));
    assert_structural_error(fx, &["Cycle is detected in revisions"]);
});

both!(a_duplicate_id_names_both_files, |fx| {
    fx.chain(2);
    std::fs::copy(
        fx.versions().join("r2.sql"),
        fx.versions().join("r2_copy.sql"),
    )
    .unwrap();
    assert_structural_error(
        fx,
        &["'r2' is declared more than once", "r2.sql", "r2_copy.sql"],
    );
});

both!(a_missing_parent_is_an_error_naming_the_revision, |fx| {
    fx.chain(1);
    fx.revision("orphan", &["gone"], "", Some(""));
    assert_structural_error(fx, &["orphan", "gone", "orphan.sql"]);
});

#[test]
fn a_bad_url_is_one_clear_error() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(1);
    for url in [
        "mysql://u:secretpw@h/db",
        "garbage",
        "postgresql+asyncpg://u:secretpw@[::1/db",
    ] {
        let r = Run::from(
            fx.cmd()
                .env("DATABASE_URL", url)
                .args(["upgrade", "head"])
                .output()
                .unwrap(),
        );
        assert!(r.code != 0);
        assert_eq!(r.stderr.matches("FAILED: ").count(), 1, "{}", r.stderr);
        assert!(!r.stderr.contains("secretpw"), "{}", r.stderr);
        assert!(
            r.stderr.contains("DATABASE_URL"),
            "says where the URL came from: {}",
            r.stderr
        );
    }
    // Commands that only read files do not need a URL at all.
    let r = Run::from(
        fx.cmd()
            .env("DATABASE_URL", "garbage")
            .args(["heads"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_wrong_password_is_one_clear_error_without_the_password() {
    let Some(url) = std::env::var("TEST_DATABASE_PASSWORD_URL").ok() else {
        assert!(
            !under_ci(),
            "CI sets TEST_DATABASE_PASSWORD_URL (scripts/test-postgres.sh)"
        );
        return;
    };
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.chain(1);
    // The password-only role works in the fixture's own database.
    fx.connect()
        .batch("GRANT CREATE ON SCHEMA public TO dbkit_pw")
        .unwrap();
    let dbname = fx.url.rsplit('/').next().unwrap();
    let url = format!("{}/{dbname}", &url[..url.rfind('/').unwrap()]);
    let wrong = url.replace("right-password", "wr0ng-s3cret");
    let r = Run::from(
        fx.cmd()
            .env("DATABASE_URL", &wrong)
            .args(["upgrade", "head"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr.matches("FAILED: ").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("password authentication failed"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("wr0ng-s3cret") && !r.stdout.contains("wr0ng-s3cret"),
        "{}",
        r.stderr
    );
    // The right password works, and verbose output masks it.
    let r = Run::from(
        fx.cmd()
            .env("DATABASE_URL", &url)
            .args(["current", "-v"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("dbkit_pw:***@"), "{}", r.stdout);
    assert!(!r.stdout.contains("right-password") && !r.stderr.contains("right-password"));
}

both!(
    a_commit_inside_a_transactional_section_is_refused_before_anything_runs,
    |fx| {
        fx.chain(1);
        fx.revision(
            "r2",
            &["r1"],
            "CREATE TABLE t2 (id INTEGER);\nCOMMIT;",
            Some("DROP TABLE t2;"),
        );
        let r = fx.fails(&["upgrade", "head"]);
        assert!(
            r.stderr
                .contains("r2.sql:9: `COMMIT` would end the transaction"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("transaction:false"), "{}", r.stderr);
        assert_eq!(fx.heads(), Vec::<String>::new(), "not even r1 ran");
    }
);

both!(statements_that_end_in_comments_run_as_one_batch, |fx| {
    // On PostgreSQL the statements go to the server together: a trailing line comment must not swallow
    // the separator that follows it.
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE t1 (id INTEGER) -- the table\n;\nINSERT INTO t1 VALUES (1); -- one\n/* two */ INSERT INTO t1 VALUES (2) -- last, no semicolon",
        Some("DROP TABLE t1;"),
    );
    fx.ok(&["upgrade", "head"]);
    assert_eq!(
        fx.query("SELECT count(*) FROM t1"),
        vec![vec!["2".to_string()]]
    );
    assert_eq!(fx.heads(), vec!["r1"]);
});
