use crate::util::*;

/// Writes the fixture's schema file (alembic/schema.sql).
pub(crate) fn declare(fx: &Fixture, sql: &str) {
    std::fs::write(fx.path().join("alembic/schema.sql"), sql).unwrap();
}

/// The new revision files, in name order, with their text.
pub(crate) fn written(fx: &Fixture, except: &[&str]) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(fx.versions())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            !except.iter().any(|e| name == format!("{e}.sql"))
        })
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// The one revision written besides `r1`, after checking that it holds `part`.
#[track_caller]
pub(crate) fn new_revision_with(fx: &Fixture, part: &str) -> String {
    let text = written(fx, &["r1"]).remove(0);
    assert!(text.contains(part), "{text}");
    text
}

fn users(fx: &Fixture) {
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
        Some("DROP TABLE users;"),
    );
}

/// A SQLite project upgraded to [`users`], with one user.
fn users_with_a_row() -> Fixture {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO users (email) VALUES ('a@example.com')")
        .unwrap();
    fx
}

#[test]
fn check_exits_5_with_the_changes_and_0_once_the_revisions_match() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);\n",
    );
    let r = fx.run(&["check"]).failed_once("check");
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(r.stdout, "ALTER TABLE users ADD COLUMN name TEXT;\n");
    assert!(
        r.stderr
            .contains("the revisions do not give the declared schema: 1 change(s) planned"),
        "{}",
        r.stderr
    );
    let json = fx.run(&["check", "--json"]);
    assert_eq!(json.code, 5);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["changes"][0]["statements"][0],
        "ALTER TABLE users ADD COLUMN name TEXT"
    );

    let diff = fx.ok(&["schema", "diff"]);
    assert_eq!(diff.stdout, "ALTER TABLE users ADD COLUMN name TEXT;\n");

    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    let r = fx.ok(&["check"]);
    assert_eq!(
        r.stdout,
        "No changes: the revisions give the declared schema\n"
    );
    assert_eq!(
        fx.ok(&["schema", "diff"]).stdout,
        "No changes: the revisions give the declared schema\n"
    );
}

#[test]
fn autogenerate_adds_a_column_a_table_and_an_index_and_the_result_checks_and_upgrades() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);\n\
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n\
         CREATE INDEX ix_users_email ON users (email);\n",
    );
    let r = fx.ok(&["revision", "--autogenerate", "-m", "add posts"]);
    assert!(r.stdout.starts_with("Generating "), "{}", r.stdout);
    let text = new_revision_with(&fx, "-- Revises: r1\n");
    let up = text
        .split("-- migrate:up sqlite\n")
        .nth(1)
        .unwrap()
        .split("-- migrate:down sqlite\n")
        .next()
        .unwrap();
    assert!(
        up.contains("ALTER TABLE users ADD COLUMN name TEXT;"),
        "{up}"
    );
    assert!(up.contains("CREATE TABLE posts ("), "{up}");
    assert!(
        up.contains("CREATE INDEX ix_users_email ON users (email);"),
        "{up}"
    );
    fx.ok(&["check"]);
    fx.ok(&["upgrade"]);
    assert!(fx.table_exists("posts"));
    fx.ok(&["downgrade", "r1"]);
    assert!(!fx.table_exists("posts"));
}

#[test]
fn a_not_null_change_rebuilds_the_table_and_keeps_its_rows() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);\n\
         CREATE INDEX ix_items_label ON items (label);\n\
         INSERT INTO items (label) VALUES ('a'), ('b'), ('c');",
        Some("DROP TABLE items;"),
    );
    fx.ok(&["upgrade"]);
    declare(
        &fx,
        "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL);\n\
         CREATE INDEX ix_items_label ON items (label);\n",
    );
    let r = fx.ok(&["create", "labels required"]);
    assert!(
        r.stderr.contains("hazard: rebuilds table items"),
        "{}",
        r.stderr
    );
    new_revision_with(&fx, "-- hazard: rebuilds table items");
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.query("SELECT label FROM items ORDER BY id"),
        vec![vec!["a".to_string()], vec!["b".into()], vec!["c".into()]]
    );
    assert_eq!(
        fx.query("SELECT name FROM sqlite_schema WHERE type = 'index' AND name = 'ix_items_label'")
            .len(),
        1
    );
    fx.ok(&["check"]);
}

#[test]
fn a_rename_needs_its_directive() {
    let fx = users_with_a_row();
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT);\n",
    );
    let r = fx.fails(&["create", "rename email"]);
    assert!(
        r.stderr.contains(
            "possible rename: users.email is dropped and users.mail added with the same definition"
        ) && r.stderr.contains("-- dbkit:renamed-from users.email"),
        "{}",
        r.stderr
    );
    assert!(written(&fx, &["r1"]).is_empty());

    declare(
        &fx,
        "CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    -- dbkit:renamed-from users.email\n    mail TEXT\n);\n",
    );
    fx.ok(&["create", "rename email"]);
    new_revision_with(&fx, "ALTER TABLE users RENAME COLUMN email TO mail;");
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.query("SELECT mail FROM users"),
        vec![vec!["a@example.com".to_string()]]
    );
}

#[test]
fn dropping_data_needs_allow_data_loss() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(&fx, "CREATE TABLE other (id INTEGER PRIMARY KEY);\n");
    let r = fx.fails(&["create", "drop users"]);
    assert!(
        r.stderr
            .contains("the revision would lose data (drops table users and its rows)")
            && r.stderr.contains("--allow-data-loss"),
        "{}",
        r.stderr
    );
    assert!(written(&fx, &["r1"]).is_empty());
    let r = fx.ok(&[
        "revision",
        "--autogenerate",
        "-m",
        "drop users",
        "--allow-data-loss",
    ]);
    assert!(
        r.stderr.contains("hazard: drops table users and its rows"),
        "{}",
        r.stderr
    );
    new_revision_with(
        &fx,
        "-- hazard: drops table users and its rows\nDROP TABLE users;\n",
    );
    fx.ok(&["check"]);
}

#[test]
fn nothing_to_do_writes_nothing_and_no_schema_file_writes_the_empty_revision() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    let r = fx.ok(&["create", "empty"]);
    assert!(r.stdout.starts_with("Generating "), "{}", r.stdout);
    let text = written(&fx, &["r1"]).remove(0);
    assert!(
        text.ends_with("-- migrate:up\n\n\n-- migrate:down\n\n"),
        "{text}"
    );
    let r = fx.fails(&["revision", "--autogenerate", "-m", "x"]);
    assert!(r.stderr.contains("no schema file at "), "{}", r.stderr);
    assert_eq!(written(&fx, &["r1"]).len(), 1);

    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    let r = fx.ok(&["create", "nothing"]);
    assert_eq!(
        r.stdout,
        "No changes: the revisions give the declared schema; nothing written\n"
    );
    assert!(written(&fx, &["r1"]).is_empty());
    fx.ok(&["create", "by hand", "--no-autogenerate"]);
    assert_eq!(written(&fx, &["r1"]).len(), 1);
}

#[test]
fn the_example_project_checks_clean_on_sqlite() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let r = bare_cmd(dir.path())
        .args(["-c"])
        .arg(root.join("alembic/alembic.ini"))
        .args(["--url", "sqlite://", "check"])
        .output()
        .unwrap();
    let r = Run::from(r).succeeded("check on alembic/");
    assert_eq!(
        r.stdout,
        "No changes: the revisions give the declared schema\n"
    );
}

/// The example project with its revisions, copied, so a test can give it a schema file of its own.
pub(crate) fn example_project(dir: &std::path::Path) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("alembic");
    let copy = dir.join("alembic");
    std::fs::create_dir_all(copy.join("versions")).unwrap();
    std::fs::copy(root.join("alembic.ini"), copy.join("alembic.ini")).unwrap();
    for entry in std::fs::read_dir(root.join("versions")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.join("versions").join(path.file_name().unwrap())).unwrap();
    }
    copy.join("alembic.ini")
}

#[test]
fn the_dump_of_the_example_project_is_stable_and_checks_as_its_schema_file() {
    let dir = tempfile::tempdir().unwrap();
    let ini = example_project(dir.path());
    let dump = |args: &[&str]| {
        let r = bare_cmd(dir.path())
            .arg("-c")
            .arg(&ini)
            .args(["--url", "sqlite://", "schema", "dump"])
            .args(args)
            .output()
            .unwrap();
        Run::from(r).succeeded("schema dump")
    };
    let first = dump(&[]);
    assert!(
        first.stdout.starts_with("CREATE TABLE users ("),
        "{}",
        first.stdout
    );
    let tables = first.stdout.find("CREATE TABLE notes (").unwrap();
    let index = first.stdout.find("CREATE INDEX ix_notes_user_id").unwrap();
    let trigger = first.stdout.find("CREATE TRIGGER").unwrap();
    assert!(tables < index && index < trigger, "{}", first.stdout);
    assert_eq!(dump(&[]).stdout, first.stdout, "two dumps differ");

    // -o writes the same text, and only there; as the schema file, the revisions give it exactly.
    let schema = dir.path().join("alembic/schema.sql");
    assert_eq!(dump(&["-o", schema.to_str().unwrap()]).stdout, "");
    assert_eq!(std::fs::read_to_string(&schema).unwrap(), first.stdout);
    let r = bare_cmd(dir.path())
        .arg("-c")
        .arg(&ini)
        .args(["--url", "sqlite://", "check"])
        .output()
        .unwrap();
    let r = Run::from(r).succeeded("check against the dump");
    assert_eq!(
        r.stdout,
        "No changes: the revisions give the declared schema\n"
    );
}

#[test]
fn the_dump_from_an_upgraded_database_bootstraps_a_schema_file_check_accepts() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n\
         CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);\n\
         CREATE INDEX ix_notes_user ON notes (user_id);\n\
         CREATE VIEW user_notes AS SELECT u.email, n.body FROM users u JOIN notes n ON n.user_id = u.id;\n\
         CREATE VIEW emails AS SELECT email FROM user_notes;",
        Some("DROP VIEW emails; DROP VIEW user_notes; DROP TABLE notes; DROP TABLE users;"),
    );
    // The live database must exist: nothing is created to be dumped.
    let r = fx.fails(&["schema", "dump", "--from-db"]);
    assert!(!fx.path().join("app.db").exists(), "{}", r.stderr);

    fx.ok(&["upgrade", "head"]);
    let live = fx.ok(&["schema", "dump", "--from-db"]).stdout;
    assert!(!live.contains("alembic_version"), "{live}");
    let views = (
        live.find("CREATE VIEW user_notes").unwrap(),
        live.find("CREATE VIEW emails").unwrap(),
    );
    assert!(views.0 < views.1, "{live}");
    assert_eq!(live, fx.ok(&["schema", "dump"]).stdout);

    fx.ok(&["schema", "dump", "--from-db", "-o", "alembic/schema.sql"]);
    assert_eq!(
        std::fs::read_to_string(fx.path().join("alembic/schema.sql")).unwrap(),
        live
    );
    assert_eq!(
        fx.ok(&["check"]).stdout,
        "No changes: the revisions give the declared schema\n"
    );
}

#[test]
fn make_db_schema_prints_the_dump_and_writes_no_file() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    let makefile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile");
    let out = Run::from(
        std::process::Command::new("make")
            .current_dir(fx.path())
            .args(["-s", "-f"])
            .arg(&makefile)
            .arg("db-schema")
            .arg(format!("DB_MIGRATE={BIN}"))
            .env("DATABASE_URL", &fx.url)
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    email TEXT\n);\n"
    );
    assert!(!fx.path().join("alembic/schema.sql").exists());
}

#[test]
fn a_schema_directory_applies_its_files_in_name_order_and_an_empty_one_is_refused() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    let dir = fx.path().join("alembic/schema.sql");
    std::fs::create_dir_all(&dir).unwrap();
    let r = fx.run(&["check"]).failed_once("check");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("holds no .sql file"), "{}", r.stderr);
    std::fs::write(
        dir.join("02_index.sql"),
        "CREATE INDEX ix_email ON users (email);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("01_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    )
    .unwrap();
    assert_eq!(
        fx.run(&["schema", "diff"]).stdout,
        "CREATE INDEX ix_email ON users (email);\n"
    );
}

#[test]
fn rename_flags_rename_a_column_and_a_table_as_the_directive_does() {
    let fx = users_with_a_row();
    declare(
        &fx,
        "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    let r = fx.run(&["check", "--rename", "users=people"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(r.stdout, "ALTER TABLE users RENAME TO people;\n");
    fx.ok(&["create", "people", "--rename", "users=people"]);
    fx.ok(&["upgrade"]);

    declare(
        &fx,
        "CREATE TABLE people (id INTEGER PRIMARY KEY, mail TEXT);\n",
    );
    let flag = ["--rename", "people.email=people.mail"];
    let diff = fx.ok(&[&["schema", "diff"][..], &flag].concat());
    assert_eq!(
        diff.stdout,
        "ALTER TABLE people RENAME COLUMN email TO mail;\n"
    );
    fx.ok(&[&["revision", "--autogenerate", "-m", "mail"][..], &flag].concat());
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.query("SELECT mail FROM people"),
        vec![vec!["a@example.com".to_string()]]
    );
    fx.ok(&["check"]);
}

#[test]
fn a_rename_flag_that_is_malformed_or_names_no_drop_and_add_is_an_error() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT NOT NULL DEFAULT '');\n",
    );
    for (flag, says) in [
        ("users.email", "--rename 'users.email': write 'table.column=new_column'"),
        ("users.email=other.mail", "a renamed column stays in its table"),
        (
            "users.id=mail",
            "--rename users.id=mail: the revisions' schema has no column users.id that the declared schema replaces with users.mail",
        ),
        (
            "users=people",
            "--rename users=people: the revisions' schema has no table users",
        ),
        (
            "users.email=mail",
            "--rename users.email=mail: column users.email and users.mail differ beyond their names",
        ),
    ] {
        let r = fx.fails(&["create", "x", "--rename", flag]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(says), "{flag}: {}", r.stderr);
        let r = fx.fails(&["check", "--rename", flag]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains(says), "{flag}: {}", r.stderr);
    }
    assert!(written(&fx, &["r1"]).is_empty());
}

/// Runs db-migrate with `args` on a pseudo-terminal (util-linux `script`), typing `input`; `None` when
/// `script` is not installed.
fn on_terminal(fx: &Fixture, args: &[&str], input: &str) -> Option<Run> {
    use std::io::Write;
    let quoted: Vec<String> = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let child = program_in("script", fx.path())
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env("DATABASE_URL", &fx.url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipping the terminal test: util-linux script is not installed");
        return None;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Some(Run::from(child.wait_with_output().unwrap()))
}

#[test]
fn a_possible_rename_is_asked_on_a_terminal_and_an_error_without_one() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT);\n",
    );
    let r = fx.fails(&["create", "handle"]);
    assert!(
        r.stderr.contains(
            "possible rename: users.email is dropped and users.handle added with the same definition"
        ) && r.stderr.contains("'-- dbkit:renamed-from users.email'")
            && r.stderr.contains("--rename users.email=handle"),
        "{}",
        r.stderr
    );
    let prompt = "users.email was dropped and users.handle added with the same definition: was it renamed? [y/N]";
    let Some(no) = on_terminal(&fx, &["create", "handle"], "n\n") else {
        return;
    };
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(
        no.stdout.contains(prompt)
            && no
                .stdout
                .contains("the revision would lose data (drops column users.email and its values)"),
        "{}",
        no.stdout
    );
    assert!(written(&fx, &["r1"]).is_empty());

    let yes = on_terminal(&fx, &["create", "handle"], "y\n").unwrap();
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(yes.stdout.contains(prompt), "{}", yes.stdout);
    new_revision_with(&fx, "ALTER TABLE users RENAME COLUMN email TO handle;");
    fx.ok(&["check"]);
}

#[test]
fn a_dump_to_a_missing_directory_names_the_file_given() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    let r = fx.fails(&["schema", "dump", "-o", "missing/file.sql"]);
    assert!(
        r.stderr
            .contains("missing/file.sql: No such file or directory")
            && !r.stderr.contains(".tmp"),
        "{}",
        r.stderr
    );
}

#[test]
fn on_conflict_clauses_round_trip_and_a_change_of_one_rebuilds_the_table() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let table = |unique: &str| {
        format!(
            "CREATE TABLE tags (\n    id INTEGER PRIMARY KEY,\n    label TEXT NOT NULL ON CONFLICT IGNORE,\n    slug TEXT UNIQUE ON CONFLICT {unique},\n    note TEXT UNIQUE,\n    UNIQUE (label, slug) ON CONFLICT ROLLBACK\n);\n"
        )
    };
    fx.revision(
        "r1",
        &[],
        &format!(
            "{}INSERT INTO tags (label, slug) VALUES ('a', 'x');",
            table("REPLACE")
        ),
        Some("DROP TABLE tags;"),
    );
    fx.ok(&["upgrade"]);
    // Written differently (ABORT is the default; SQLite ignores a conflict clause on NULL), the same schema.
    declare(
        &fx,
        &table("replace").replace(
            "note TEXT UNIQUE",
            "note TEXT NULL ON CONFLICT FAIL UNIQUE ON CONFLICT ABORT",
        ),
    );
    assert_eq!(
        fx.ok(&["check"]).stdout,
        "No changes: the revisions give the declared schema\n"
    );
    let dump = fx.ok(&["schema", "dump"]).stdout;
    assert!(
        dump.contains("label TEXT NOT NULL ON CONFLICT IGNORE")
            && dump.contains("UNIQUE (slug) ON CONFLICT REPLACE")
            && dump.contains("UNIQUE (label, slug) ON CONFLICT ROLLBACK"),
        "{dump}"
    );

    declare(&fx, &table("IGNORE"));
    let r = fx.ok(&["create", "ignore duplicate slugs"]);
    assert!(
        r.stderr.contains("hazard: rebuilds table tags"),
        "{}",
        r.stderr
    );
    new_revision_with(&fx, "UNIQUE (slug) ON CONFLICT IGNORE");
    fx.ok(&["upgrade"]);
    fx.ok(&["check"]);
    fx.connect()
        .batch("INSERT INTO tags (label, slug) VALUES ('b', 'x')")
        .unwrap();
    assert_eq!(
        fx.query("SELECT label, slug FROM tags"),
        vec![vec!["a".to_string(), "x".to_string()]]
    );
    fx.ok(&["downgrade", "r1"]);
    fx.connect()
        .batch("INSERT INTO tags (label, slug) VALUES ('b', 'x')")
        .unwrap();
    assert_eq!(
        fx.query("SELECT label, slug FROM tags"),
        vec![vec!["b".to_string(), "x".to_string()]]
    );
}

#[test]
fn an_on_conflict_clause_on_a_primary_key_is_an_error_naming_the_table() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    users(&fx);
    declare(
        &fx,
        "CREATE TABLE users (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, email TEXT);\n",
    );
    let r = fx.fails(&["check"]);
    assert!(
        r.stderr
            .contains("table 'users': an ON CONFLICT clause on a PRIMARY KEY is not supported yet"),
        "{}",
        r.stderr
    );
}

crate::both!(
    check_from_db_compares_the_configured_database_with_the_declared_schema,
    |fx| {
        users(fx);
        declare(
            fx,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
        );
        fx.ok(&["upgrade"]);
        assert_eq!(
            fx.ok(&["check", "--from-db"]).stdout,
            "No changes: the database has the declared schema\n"
        );
        // A change made outside the revisions: the revisions still give the declared schema, the database does not.
        fx.connect()
            .batch("ALTER TABLE users ADD COLUMN note TEXT")
            .unwrap();
        fx.ok(&["check"]);
        let r = fx.fails(&["check", "--from-db"]);
        assert_eq!(r.code, 5, "{}", r.stderr);
        assert!(r.stdout.contains("note"), "{}", r.stdout);
        assert!(
            r.stderr.contains(
                "the configured database does not have the declared schema: 1 change(s) planned"
            ),
            "{}",
            r.stderr
        );
        let r = fx.fails(&["check", "--from-db", "--json"]);
        assert_eq!(r.code, 5, "{}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(json["changes"].as_array().unwrap().len(), 1, "{json}");
        // Only read: the column is still there.
        assert_eq!(fx.query("SELECT count(note) FROM users"), [["0"]]);
    }
);
