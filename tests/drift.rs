//! `drift`: the live database against the schema its recorded revisions give, on both engines.

use crate::both;
use crate::util::*;

both!(drift_finds_what_was_done_by_hand_and_nothing_else, |fx| {
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id integer PRIMARY KEY, email text, name text);",
        Some("DROP TABLE users;"),
    );
    fx.revision(
        "r2",
        &["r1"],
        "CREATE INDEX ix_users_email ON users (email);",
        Some("DROP INDEX ix_users_email;"),
    );
    if fx.kind == Kind::Sqlite {
        // No database file yet: one clear error, nothing created.
        let r = fx.fails(&["drift"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(!fx.path().join("app.db").exists());
    } else {
        // An empty database is at base, as its revisions give it.
        assert_eq!(
            fx.ok(&["drift"]).stdout,
            "No drift: the database is what its revisions give (base)\n"
        );
    }

    fx.ok(&["upgrade", "r1"]);
    assert_eq!(
        fx.ok(&["drift"]).stdout,
        "No drift: the database is what its revisions give (r1)\n"
    );

    fx.connect()
        .batch("CREATE INDEX ix_by_hand ON users (email); ALTER TABLE users DROP COLUMN name")
        .unwrap();
    let r = fx.run(&["drift"]).failed_once("drift");
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stdout.contains("CREATE INDEX ix_by_hand"), "{}", r.stdout);
    assert!(r.stdout.contains("DROP COLUMN name"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("the database has drifted from its revisions: 2 change(s)"),
        "{}",
        r.stderr
    );
    let json = fx.run(&["drift", "--json"]);
    assert_eq!(json.code, 6);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["revisions"], serde_json::json!(["r1"]));
    assert_eq!(v["changes"].as_array().unwrap().len(), 2);

    // Undone by hand, then upgraded: no drift at either revision.
    fx.connect()
        .batch("DROP INDEX ix_by_hand; ALTER TABLE users ADD COLUMN name text")
        .unwrap();
    fx.ok(&["drift"]);
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.ok(&["drift"]).stdout,
        "No drift: the database is what its revisions give (r2)\n"
    );

    if fx.kind == Kind::Postgres {
        // An extension installed outside the revisions (as db-init installs uuid-ossp and pgcrypto) is no
        // drift, nor a difference from a schema file that does not declare it.
        fx.connect()
            .batch("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            .unwrap();
        fx.ok(&["drift"]);
        crate::schema::declare(
            fx,
            "CREATE TABLE users (id integer PRIMARY KEY, email text, name text);\n\
             CREATE INDEX ix_users_email ON users (email);\n",
        );
        assert_eq!(
            fx.ok(&["check", "--from-db"]).stdout,
            "No changes: the database has the declared schema\n"
        );
        // One the schema file declares and the database lacks is still a change.
        fx.connect().batch("DROP EXTENSION pgcrypto").unwrap();
        crate::schema::declare(
            fx,
            "CREATE EXTENSION pgcrypto;\n\
             CREATE TABLE users (id integer PRIMARY KEY, email text, name text);\n\
             CREATE INDEX ix_users_email ON users (email);\n",
        );
        let r = fx.run(&["check", "--from-db"]);
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert!(r.stdout.contains("CREATE EXTENSION"), "{}", r.stdout);
    }
});
