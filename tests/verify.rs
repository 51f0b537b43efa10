//! `verify`: every revision applied, reverted and applied again on a scratch database, on both engines.

use crate::both;
use crate::util::*;

/// `verify` fails with its own exit status and one error, and the report names the problem.
fn fails_with(fx: &Fixture, args: &[&str], problem: &str) -> Run {
    let r = fx.run(args).failed_once("verify");
    assert_eq!(r.code, dbkit::EXIT_VERIFY, "{}", r.stderr);
    assert!(r.stderr.contains("FAILED: verify found "), "{}", r.stderr);
    assert!(r.stdout.contains(problem), "{problem}:\n{}", r.stdout);
    r
}

/// users with an index, a column added later, a view and a trigger, each with its down section; the
/// trigger's SQL is each engine's own.
fn history(fx: &Fixture) {
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);\n\
         CREATE INDEX ix_users_email ON users (email);",
        Some("DROP INDEX ix_users_email;\nDROP TABLE users;"),
    );
    fx.revision(
        "r2",
        &["r1"],
        "ALTER TABLE users ADD COLUMN bio text;",
        Some("ALTER TABLE users DROP COLUMN bio;"),
    );
    fx.revision(
        "r3",
        &["r2"],
        "CREATE VIEW user_emails AS SELECT id, email FROM users;",
        Some("DROP VIEW user_emails;"),
    );
    let (up, down) = trigger(fx);
    fx.revision("r4", &["r3"], &up, Some(&down));
}

/// A trigger that keeps `name` filled, and its removal.
fn trigger(fx: &Fixture) -> (String, String) {
    match fx.kind {
        Kind::Sqlite => (
            "CREATE TRIGGER tr_users_name AFTER INSERT ON users WHEN NEW.name IS NULL BEGIN\n\
             UPDATE users SET name = NEW.email WHERE id = NEW.id;\nEND;"
                .into(),
            "DROP TRIGGER tr_users_name;".into(),
        ),
        Kind::Postgres => (
            "CREATE FUNCTION users_name() RETURNS trigger LANGUAGE plpgsql AS $$\n\
             BEGIN NEW.name := coalesce(NEW.name, NEW.email); RETURN NEW; END $$;\n\
             CREATE TRIGGER tr_users_name BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_name();"
                .into(),
            "DROP TRIGGER tr_users_name ON users;\nDROP FUNCTION users_name();".into(),
        ),
    }
}

both!(a_correct_history_passes_on_a_scratch_database, |fx| {
    history(fx);
    let r = fx.ok(&["verify"]);
    let engine = match fx.kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgresql",
    };
    for id in ["r1", "r2", "r3", "r4"] {
        let line = format!("{engine}: {id} revision {id}: ok (up, down, up again)\n");
        assert!(r.stdout.contains(&line), "{line}\n{}", r.stdout);
    }
    assert!(
        r.stdout.ends_with(&format!(
            "{engine}: 4 revision(s) verified, 0 without a down section\n"
        )),
        "{}",
        r.stdout
    );
    // No live database was needed, and none was touched.
    if fx.kind == Kind::Sqlite {
        assert!(!fx.path().join("app.db").exists());
    } else {
        assert!(fx.tables().is_empty());
    }
});

both!(
    a_downgrade_that_forgets_an_index_a_column_a_view_or_a_trigger_is_named,
    |fx| {
        history(fx);
        let table = match fx.kind {
            Kind::Sqlite => "users",
            Kind::Postgres => "public.users",
        };
        let (trigger_up, _) = trigger(fx);
        let forgetful = [
            (
                "r2",
                "ALTER TABLE users ADD COLUMN bio text;".to_string(),
                format!("downgrade of r2 leaves column {table}.bio"),
            ),
            (
                "r3",
                "CREATE VIEW user_emails AS SELECT id, email FROM users;".to_string(),
                format!("downgrade of r3 leaves view {table}").replace("users", "user_emails"),
            ),
            (
                "r4",
                trigger_up,
                format!("downgrade of r4 leaves trigger tr_users_name on {table}"),
            ),
        ];
        // (On PostgreSQL the trigger's function is left too, and named as well.)
        for (id, up, problem) in &forgetful {
            let parent = format!("r{}", id[1..].parse::<usize>().unwrap() - 1);
            fx.revision(id, &[&parent], up, Some("SELECT 1;"));
            fails_with(fx, &["verify"], problem);
            history(fx);
        }

        // An index added to a table that stays, and not dropped.
        fx.revision(
            "r5",
            &["r4"],
            "CREATE INDEX ix_users_name ON users (name);",
            Some("SELECT 1;"),
        );
        let r = fails_with(
            fx,
            &["verify"],
            "downgrade of r5 leaves index ix_users_name",
        );
        // The revisions before it passed; the report stops at the one that failed.
        assert!(r.stdout.contains("r4 revision r4: ok"), "{}", r.stdout);
        assert!(r.stdout.contains("r5 revision r5: FAILED"), "{}", r.stdout);
        assert!(
            r.stderr.contains(
                "FAILED: verify found 1 problem(s): downgrade of r5 leaves index ix_users_name"
            ),
            "{}",
            r.stderr
        );

        // A downgrade that drops more than its upgrade made lacks it; a second upgrade that cannot run fails.
        fx.revision(
            "r5",
            &["r4"],
            "CREATE INDEX ix_users_name ON users (name);",
            Some("DROP INDEX ix_users_name;\nDROP INDEX ix_users_email;"),
        );
        fails_with(
            fx,
            &["verify"],
            "downgrade of r5 lacks index ix_users_email",
        );
        // Data the upgrade adds and the downgrade leaves: the schema is as it was, and the second upgrade fails.
        fx.revision(
            "r5",
            &["r4"],
            "INSERT INTO users (id, email) VALUES (1, 'a@example.com');",
            Some("SELECT 1;"),
        );
        let r = fails_with(fx, &["verify"], "second upgrade of r5 fails: ");
        assert!(
            r.stdout.contains("r5.sql:"),
            "the file and line: {}",
            r.stdout
        );
    }
);

both!(
    a_missing_down_section_is_reported_and_fails_only_when_strict,
    |fx| {
        history(fx);
        fx.revision("r5", &["r4"], "CREATE TABLE audit (id integer);", None);
        fx.revision(
            "r6",
            &["r5"],
            "CREATE INDEX ix_audit_id ON audit (id);",
            Some("DROP INDEX ix_audit_id;"),
        );
        let r = fx.ok(&["verify"]);
        assert!(
            r.stdout
                .contains("r5 revision r5: no down section; applied, not reverted\n"),
            "{}",
            r.stdout
        );
        // The revision after it is verified on the schema it gave.
        assert!(r.stdout.contains("r6 revision r6: ok"), "{}", r.stdout);
        assert!(
            r.stdout
                .contains("5 revision(s) verified, 1 without a down section"),
            "{}",
            r.stdout
        );
        let engine = match fx.kind {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgresql",
        };
        fails_with(
            fx,
            &["verify", "--strict"],
            &format!("r5 has no down section for {engine}"),
        );
    }
);

both!(
    a_range_verifies_its_revisions_on_the_schema_of_those_before,
    |fx| {
        history(fx);
        // r1 has no down section: outside the range it is only applied, so --strict does not fail on it.
        fx.revision(
            "r1",
            &[],
            "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);\n\
         CREATE INDEX ix_users_email ON users (email);",
            None,
        );
        fx.revision(
            "r4",
            &["r3"],
            "CREATE INDEX ix_users_name ON users (name);",
            Some("SELECT 1;"),
        );
        let r = fx.ok(&["verify", "--strict", "-r", "r2:r3"]);
        assert!(!r.stdout.contains("r1 "), "{}", r.stdout);
        assert!(!r.stdout.contains("r4 "), "{}", r.stdout);
        assert!(r.stdout.contains("2 revision(s) verified"), "{}", r.stdout);
        fails_with(
            fx,
            &["verify", "-r", "r3:"],
            "downgrade of r4 leaves index ix_users_name",
        );
        let bad = fx.fails(&["verify", "-r", "r3"]);
        assert_eq!(bad.code, 1, "{}", bad.stderr);
        let usage = fx.run(&["verify", "--dialect", "mysql"]);
        assert_eq!(usage.code, 2, "{}", usage.stderr);
        assert!(
            usage
                .stderr
                .contains("the dialects are sqlite and postgresql"),
            "{}",
            usage.stderr
        );
    }
);

both!(json_reports_each_revision_and_each_problem, |fx| {
    history(fx);
    fx.revision("r5", &["r4"], "CREATE TABLE audit (id integer);", None);
    fx.revision(
        "r6",
        &["r5"],
        "CREATE INDEX ix_audit_id ON audit (id);",
        Some("SELECT 1;"),
    );
    let r = fx.run(&["verify", "--json"]);
    assert_eq!(r.code, dbkit::EXIT_VERIFY, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let dialects = v["dialects"].as_array().unwrap();
    assert_eq!(dialects.len(), 1);
    let engine = match fx.kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgresql",
    };
    assert_eq!(dialects[0]["dialect"], engine);
    let revisions = dialects[0]["revisions"].as_array().unwrap();
    let statuses: Vec<&str> = revisions
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["verified", "verified", "verified", "verified", "no_down", "failed"]
    );
    assert_eq!(revisions[0]["revision"], "r1");
    assert_eq!(revisions[0]["message"], "revision r1");
    assert_eq!(revisions[0]["problems"], serde_json::json!([]));
    assert_eq!(
        revisions[5]["problems"],
        serde_json::json!([{
            "stage": "downgrade",
            "kind": "leaves",
            "object": "index ix_audit_id",
            "message": "downgrade of r6 leaves index ix_audit_id",
        }])
    );
});

#[test]
fn sqlite_seeded_rows_must_survive_a_table_rebuild_and_keep_their_references() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n\
         CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);",
        Some("DROP TABLE notes;\nDROP TABLE users;"),
    );
    // A rebuild that makes name NOT NULL and copies every row: the seeded rows (and the note that points at
    // its user) survive, both ways.
    let rebuild = |id: &str, filter: &str| {
        fx.revision(
            id,
            &["r1"],
            &format!(
                "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '');\n\
                 INSERT INTO users_new (id, email, name) SELECT id, email, coalesce(name, '') FROM users {filter};\n\
                 DROP TABLE users;\n\
                 ALTER TABLE users_new RENAME TO users;"
            ),
            Some(
                "CREATE TABLE users_old (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n\
                 INSERT INTO users_old (id, email, name) SELECT id, email, name FROM users;\n\
                 DROP TABLE users;\n\
                 ALTER TABLE users_old RENAME TO users;",
            ),
        )
    };
    rebuild("r2", "");
    let r = fx.ok(&["verify"]);
    assert!(r.stdout.contains("r2 revision r2: ok"), "{}", r.stdout);

    // The same rebuild copying no row loses the seeded user, and leaves its note pointing nowhere.
    let path = rebuild("r2", "WHERE name IS NOT NULL");
    let r = fails_with(&fx, &["verify"], "upgrade of r2 fails: ");
    assert!(
        r.stderr.contains("PRAGMA foreign_key_check"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(path).unwrap();

    // Without the note's reference the loss itself is what verify reports.
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);",
        Some("DROP TABLE users;"),
    );
    rebuild("r2", "WHERE name IS NOT NULL");
    let r = fails_with(
        &fx,
        &["verify"],
        "upgrade of r2 loses rows of table users (1 before, 0 after)",
    );
    let json = fx.run(&["verify", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let problem = &v["dialects"][0]["revisions"][1]["problems"][0];
    assert_eq!(problem["kind"], "loses_rows");
    assert_eq!(problem["object"], "table users");
    assert!(!r.stdout.contains("r1 revision r1: FAILED"), "{}", r.stdout);
}

#[test]
fn both_engines_are_verified_when_the_project_targets_both_and_dialect_picks_one() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.target_both_engines();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id integer PRIMARY KEY, email text);",
        Some("DROP TABLE users;"),
    );
    // The SQLite section forgets its index; the PostgreSQL one does not.
    std::fs::write(
        fx.versions().join("r2.sql"),
        "-- add index\n--\n-- Revision ID: r2\n-- Revises: r1\n\n\
         -- migrate:up\nCREATE INDEX ix_users_email ON users (email);\n\n\
         -- migrate:down postgresql\nDROP INDEX ix_users_email;\n\n\
         -- migrate:down sqlite\nSELECT 1;\n",
    )
    .unwrap();
    let r = fails_with(
        &fx,
        &["verify"],
        "downgrade of r2 leaves index ix_users_email",
    );
    assert!(
        r.stdout.contains("postgresql: r2 add index: ok"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("sqlite: r2 add index: FAILED"),
        "{}",
        r.stdout
    );
    let r = fx.ok(&["verify", "--dialect", "postgresql"]);
    assert!(!r.stdout.contains("sqlite"), "{}", r.stdout);
    fails_with(
        &fx,
        &["verify", "--dialect", "sqlite"],
        "downgrade of r2 leaves index ix_users_email",
    );
}

// The safe pattern lint recommends on PostgreSQL: a key and a check added NOT VALID in one revision,
// validated in the next. Every state of it reads, verifies, checks against a schema file and drifts cleanly.
#[test]
fn not_valid_constraints_then_validated_verify_check_and_drift() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE parent (id integer PRIMARY KEY);\n\
         CREATE TABLE child (id integer PRIMARY KEY, parent_id integer);",
        Some("DROP TABLE child;\nDROP TABLE parent;"),
    );
    fx.revision(
        "r2",
        &["r1"],
        "ALTER TABLE child ADD CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;\n\
         ALTER TABLE child ADD CONSTRAINT child_positive CHECK (parent_id > 0) NOT VALID;",
        Some("ALTER TABLE child DROP CONSTRAINT child_positive;\nALTER TABLE child DROP CONSTRAINT child_parent_fkey;"),
    );
    let declared = "CREATE TABLE parent (id integer PRIMARY KEY);\n\
        CREATE TABLE child (id integer PRIMARY KEY, parent_id integer);\n\
        ALTER TABLE child ADD CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;\n\
        ALTER TABLE child ADD CONSTRAINT child_positive CHECK (parent_id > 0) NOT VALID;\n";
    crate::schema::declare(&fx, declared);
    fx.ok(&["check"]);
    fx.ok(&["verify"]);
    fx.ok(&["upgrade"]);
    fx.ok(&["drift"]);
    // Validating them is a revision of its own, which the schema file then declares without NOT VALID.
    fx.revision(
        "r3",
        &["r2"],
        "ALTER TABLE child VALIDATE CONSTRAINT child_parent_fkey;\nALTER TABLE child VALIDATE CONSTRAINT child_positive;",
        Some(
            "ALTER TABLE child DROP CONSTRAINT child_positive;\n\
             ALTER TABLE child ADD CONSTRAINT child_positive CHECK (parent_id > 0) NOT VALID;\n\
             ALTER TABLE child DROP CONSTRAINT child_parent_fkey;\n\
             ALTER TABLE child ADD CONSTRAINT child_parent_fkey FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;",
        ),
    );
    let r = fx.run(&["check"]);
    assert_eq!(
        r.code,
        dbkit::EXIT_SCHEMA_DIFFERS,
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(r.stdout.contains("NOT VALID"), "{}", r.stdout);
    crate::schema::declare(&fx, &declared.replace(" NOT VALID", ""));
    fx.ok(&["check"]);
    fx.ok(&["verify"]);
    fx.ok(&["upgrade"]);
    fx.ok(&["drift"]);
}
