//! SQLite's `PRAGMA user_version` kept in step with the revision (the ini file's `sqlite_user_version`), through
//! the real binary: upgrade, downgrade and stamp, in each mode, and never touched when the key is not set.

use crate::util::*;

fn user_version(fx: &Fixture) -> i64 {
    let conn = rusqlite::Connection::open(fx.path().join("app.db")).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn with_mode(fx: &Fixture, mode: &str) {
    std::fs::write(
        fx.path().join("alembic.ini"),
        format!("[alembic]\nscript_location = %(here)s/alembic\nsqlite_user_version = {mode}\n"),
    )
    .unwrap();
}

#[test]
fn depth_follows_upgrade_downgrade_stamp_and_a_merge() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    with_mode(&fx, "depth");
    fx.chain(3);
    // A side branch from r1, merged with r3: the merge is as deep as the longest line to it.
    fx.revision(
        "s1",
        &["r1"],
        "CREATE TABLE s1 (id INTEGER);",
        Some("DROP TABLE s1;"),
    );
    fx.revision("m", &["r3", "s1"], "", Some(""));
    // Offline SQL sets it as an online run does, after each step's version-table change.
    let sql = fx.ok(&["upgrade", "head", "--sql"]).stdout;
    let set: Vec<&str> = sql
        .lines()
        .filter(|l| l.starts_with("PRAGMA user_version"))
        .collect();
    assert_eq!(set.len(), 5, "{sql}");
    assert_eq!(set[4], "PRAGMA user_version = 4;", "{sql}");
    fx.ok(&["upgrade", "r2"]);
    assert_eq!(user_version(&fx), 2);
    let dry = fx.ok(&["upgrade", "heads", "--dry-run"]).stdout;
    assert!(dry.contains("PRAGMA user_version = 4;"), "{dry}");
    assert_eq!(user_version(&fx), 2);
    fx.ok(&["upgrade", "heads"]);
    assert_eq!(user_version(&fx), 4);
    fx.ok(&["downgrade", "r3"]);
    assert_eq!(user_version(&fx), 3);
    fx.ok(&["downgrade", "base"]);
    assert_eq!(user_version(&fx), 0);
    fx.ok(&["stamp", "r2"]);
    assert_eq!(user_version(&fx), 2);
    fx.ok(&["stamp", "--purge", "r1"]);
    assert_eq!(user_version(&fx), 1);
    fx.ok(&["upgrade", "head", "--single-transaction"]);
    assert_eq!(user_version(&fx), 4);
}

#[test]
fn header_carries_the_last_declared_number_and_rolls_back_with_a_failed_revision() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    with_mode(&fx, "header");
    fx.revision_with(
        "a",
        &[],
        "-- User Version: 7\n",
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    fx.revision(
        "b",
        &["a"],
        "CREATE TABLE b (id INTEGER);",
        Some("DROP TABLE b;"),
    );
    fx.revision_with(
        "c",
        &["b"],
        "-- User Version: 9\n",
        "CREATE TABLE c (id INTEGER);",
        Some("DROP TABLE c;"),
    );
    fx.revision("d", &["c"], "CREATE TABLE c (id INTEGER);", Some(""));
    fx.ok(&["upgrade", "b"]);
    assert_eq!(user_version(&fx), 7, "b declares none: a's still holds");
    fx.fails(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["c"]);
    assert_eq!(
        user_version(&fx),
        9,
        "d failed and rolled back; c committed with its number"
    );
    fx.ok(&["downgrade", "a"]);
    assert_eq!(user_version(&fx), 7);
    fx.ok(&["downgrade", "base"]);
    assert_eq!(user_version(&fx), 0);

    // A number SQLite cannot hold is an error naming the revision, before anything runs.
    fx.revision_with("e", &["d"], "-- User Version: -1\n", "", Some(""));
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains("revision 'e' has '-- User Version: -1'; it must be a whole number from 0 to 2147483647"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), Vec::<String>::new());
}

#[test]
fn without_the_key_user_version_is_left_to_the_application() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(2);
    fx.ok(&["upgrade", "r1"]);
    rusqlite::Connection::open(fx.path().join("app.db"))
        .unwrap()
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    fx.ok(&["upgrade", "head"]);
    assert_eq!(user_version(&fx), 42);

    with_mode(&fx, "newest");
    let r = fx.fails(&["current"]);
    assert!(
        r.stderr
            .contains("sqlite_user_version must be 'depth' or 'header' (or 'off'), not 'newest'"),
        "{}",
        r.stderr
    );
}

// `ensure --from-schema` stamps the heads with the schema file's SQL: user_version follows, as after an upgrade.
#[test]
fn ensure_from_schema_sets_it_with_the_stamp() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    with_mode(&fx, "depth");
    fx.chain(3);
    crate::schema::declare(
        &fx,
        "CREATE TABLE t1 (id INTEGER);\nCREATE TABLE t2 (id INTEGER);\nCREATE TABLE t3 (id INTEGER);\n",
    );
    fx.ok(&["ensure", "--from-schema"]);
    assert_eq!(fx.heads(), vec!["r3"]);
    assert_eq!(user_version(&fx), 3);
}
