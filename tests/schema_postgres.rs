//! The declared schema on PostgreSQL: check, schema diff, schema dump and revisions written from the schema
//! file, with scratch databases on the test server (created and always dropped).

use crate::schema::{declare, example_project, new_revision_with, written};
use crate::util::*;

const NO_CHANGES: &str = "No changes: the revisions give the declared schema\n";
const NO_DB_CHANGES: &str = "No changes: the database has the declared schema\n";

/// A PostgreSQL fixture, or None where the server is unreachable outside CI.
fn pg() -> Option<Fixture> {
    Fixture::new(Kind::Postgres)
}

/// The up section of a written revision (the PostgreSQL one when it has dialect sections).
fn up_section(text: &str) -> &str {
    let start = text
        .find("-- migrate:up postgresql")
        .or_else(|| text.find("-- migrate:up"))
        .unwrap();
    let rest = &text[start..];
    let end = rest.find("-- migrate:down").unwrap_or(rest.len());
    &rest[..end]
}

/// The columns of a table as `name type`, in order.
fn columns(fx: &Fixture, table: &str) -> Vec<String> {
    fx.query(&format!(
        "SELECT column_name || ' ' || data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
    ))
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

/// Runs `command` to success and checks that it left no scratch database on the server: each one's name
/// holds the process id of the db-migrate that made it, so tests running at once do not see each other's.
fn leaves_no_scratch(fx: &Fixture, mut command: std::process::Command) -> Run {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let run = Run::from(child.wait_with_output().unwrap()).succeeded("db-migrate");
    let left = fx.query(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE 'dbkit\\_scratch\\_%\\_{pid}\\_%'"
    ));
    assert!(left.is_empty(), "scratch databases left: {left:?}");
    run
}

#[test]
fn text_that_differs_but_means_the_same_is_no_change() {
    let Some(fx) = pg() else { return };
    fx.revision(
        "r1",
        &[],
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n\
         CREATE TABLE accounts (\n\
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n\
             email text NOT NULL,\n\
             tags text[] DEFAULT '{}',\n\
             created_at timestamptz DEFAULT now(),\n\
             expires_at timestamptz DEFAULT now() + interval '1 day',\n\
             balance numeric(12, 2) DEFAULT 0 CHECK (balance >= 0),\n\
             feeling mood DEFAULT 'ok',\n\
             deleted_at timestamptz\n\
         );\n\
         CREATE UNIQUE INDEX accounts_live_email ON accounts (lower(email)) WHERE deleted_at IS NULL;\n\
         CREATE VIEW live_accounts AS SELECT * FROM accounts WHERE deleted_at IS NULL;\n\
         COMMENT ON TABLE accounts IS 'who pays';\n\
         COMMENT ON COLUMN accounts.email IS 'where receipts go';",
        Some("DROP VIEW live_accounts; DROP TABLE accounts; DROP TYPE mood;"),
    );
    declare(
        &fx,
        "create type public.mood as enum ('sad','ok','happy');\n\
         create table public.accounts (\n\
             ID BIGINT generated always as identity,\n\
             EMAIL TEXT not null,\n\
             TAGS TEXT[] default '{}'::text[],\n\
             CREATED_AT TIMESTAMP WITH TIME ZONE default NOW(),\n\
             EXPIRES_AT TIMESTAMPTZ default (now() + '1 day'::interval),\n\
             BALANCE NUMERIC(12,2) default 0,\n\
             FEELING mood default 'ok'::mood,\n\
             DELETED_AT TIMESTAMPTZ,\n\
             primary key (id),\n\
             check (((balance >= (0)::numeric)))\n\
         );\n\
         create unique index accounts_live_email on accounts using btree (LOWER(email)) where (deleted_at is null);\n\
         create view live_accounts as select id, email, tags, created_at, expires_at, balance, feeling, deleted_at from accounts where deleted_at is null;\n\
         comment on table accounts is 'who pays';\n\
         comment on column accounts.email is 'where receipts go';\n",
    );
    let mut check = fx.cmd();
    check.arg("check");
    assert_eq!(leaves_no_scratch(&fx, check).stdout, NO_CHANGES);
    assert_eq!(fx.ok(&["schema", "diff"]).stdout, NO_CHANGES);
}

#[test]
fn check_exits_5_and_autogenerate_round_trips_every_kind_of_object() {
    let Some(fx) = pg() else { return };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);",
        Some("DROP TABLE users;"),
    );
    declare(
        &fx,
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text,\n\
             CONSTRAINT users_email_key UNIQUE (email), CONSTRAINT users_name_check CHECK (name <> ''));\n\
         CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n\
             title text NOT NULL, updated_at timestamptz);\n\
         CREATE INDEX ix_posts_user_id ON posts (user_id);\n\
         CREATE VIEW post_titles AS SELECT p.title, u.email FROM posts p JOIN users u ON u.id = p.user_id;\n\
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n\
         CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();\n",
    );
    let r = fx.run(&["check"]).failed_once("check");
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stdout.contains("CREATE TABLE "), "{}", r.stdout);
    let json = fx.run(&["check", "--json"]);
    assert_eq!(json.code, 5);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(!v["changes"].as_array().unwrap().is_empty());

    fx.ok(&["revision", "--autogenerate", "-m", "posts"]);
    let text = written(&fx, &["r1"]).remove(0);
    let up = up_section(&text);
    for expected in [
        "CREATE TABLE ",
        "ADD COLUMN name text",
        "CREATE INDEX ix_posts_user_id",
        "CREATE VIEW ",
        "CREATE OR REPLACE FUNCTION ",
        "CREATE TRIGGER posts_touch",
    ] {
        assert!(up.contains(expected), "{expected} missing from:\n{text}");
    }
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);

    // The revision runs for real: up gives the objects, down removes them, up again.
    fx.ok(&["upgrade"]);
    assert!(fx.table_exists("posts"));
    fx.connect()
        .batch("INSERT INTO users VALUES (1, 'a@example.com', 'a'); INSERT INTO posts (id, user_id, title) VALUES (1, 1, 't'); UPDATE posts SET title = 'u'")
        .unwrap();
    assert_eq!(
        fx.query("SELECT updated_at IS NOT NULL FROM posts"),
        [["t"]]
    );
    fx.ok(&["downgrade", "r1"]);
    assert!(!fx.table_exists("posts"));
    assert_eq!(columns(&fx, "users"), ["id bigint", "email text"]);
    fx.ok(&["upgrade"]);
    let mut diff = fx.cmd();
    diff.args(["schema", "diff", "--from-db"]);
    assert_eq!(leaves_no_scratch(&fx, diff).stdout, NO_DB_CHANGES);
}

#[test]
fn a_type_change_under_two_chained_views_recreates_them_and_keeps_the_rows() {
    let Some(fx) = pg() else { return };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE orders (id integer PRIMARY KEY, amount integer NOT NULL);\n\
         CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;\n\
         CREATE VIEW big_order_ids AS SELECT id FROM big_orders;",
        Some("DROP VIEW big_order_ids; DROP VIEW big_orders; DROP TABLE orders;"),
    );
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO orders VALUES (1, 50), (2, 500)")
        .unwrap();
    declare(
        &fx,
        "CREATE TABLE orders (id integer PRIMARY KEY, amount bigint NOT NULL);\n\
         CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;\n\
         CREATE VIEW big_order_ids AS SELECT id FROM big_orders;\n",
    );
    fx.ok(&["create", "widen amount"]);
    let text = written(&fx, &["r1"]).remove(0);
    let up = up_section(&text);
    let order: Vec<usize> = [
        "DROP VIEW public.big_order_ids",
        "DROP VIEW public.big_orders",
        "ALTER COLUMN amount TYPE bigint",
        "CREATE VIEW public.big_orders",
        "CREATE VIEW public.big_order_ids",
    ]
    .iter()
    .map(|s| {
        up.find(s)
            .unwrap_or_else(|| panic!("{s} missing from:\n{text}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    fx.ok(&["upgrade"]);
    assert_eq!(columns(&fx, "orders"), ["id integer", "amount bigint"]);
    assert_eq!(fx.query("SELECT id FROM big_order_ids"), [["2"]]);
    fx.ok(&["downgrade", "r1"]);
    assert_eq!(columns(&fx, "orders"), ["id integer", "amount integer"]);
    assert_eq!(fx.query("SELECT count(*) FROM orders"), [["2"]]);
}

#[test]
fn an_enum_value_added_and_one_removed() {
    let Some(fx) = pg() else { return };
    fx.revision(
        "r1",
        &[],
        "CREATE TYPE status AS ENUM ('new', 'old');\n\
         CREATE TABLE tickets (id integer PRIMARY KEY, state status NOT NULL DEFAULT 'new');",
        Some("DROP TABLE tickets; DROP TYPE status;"),
    );
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO tickets VALUES (1, 'new'), (2, 'old')")
        .unwrap();
    declare(
        &fx,
        "CREATE TYPE status AS ENUM ('new', 'open', 'old');\n\
         CREATE TABLE tickets (id integer PRIMARY KEY, state status NOT NULL DEFAULT 'new');\n",
    );
    fx.ok(&["create", "add open"]);
    let text = written(&fx, &["r1"]).remove(0);
    assert!(
        text.contains("ADD VALUE 'open' BEFORE 'old'")
            || text.contains("ADD VALUE 'open' AFTER 'new'"),
        "{text}"
    );
    assert!(text.contains("transaction:false"), "{text}");
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO tickets VALUES (3, 'open')")
        .unwrap();
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);

    // Removing a value loses the rows' values: it needs --allow-data-loss, then swaps the type.
    fx.connect()
        .batch("DELETE FROM tickets WHERE state = 'old'")
        .unwrap();
    declare(
        &fx,
        "CREATE TYPE status AS ENUM ('new', 'open');\n\
         CREATE TABLE tickets (id integer PRIMARY KEY, state status NOT NULL DEFAULT 'new');\n",
    );
    let r = fx.fails(&["create", "drop old"]);
    assert!(r.stderr.contains("--allow-data-loss"), "{}", r.stderr);
    fx.ok(&[
        "revision",
        "--autogenerate",
        "-m",
        "drop old",
        "--allow-data-loss",
    ]);
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.query("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum"),
        [["new,open"]]
    );
    assert_eq!(fx.query("SELECT count(*) FROM tickets"), [["2"]]);
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);
}

#[test]
fn an_enum_reordered_under_a_check_a_partial_index_a_default_and_a_view() {
    let Some(fx) = pg() else { return };
    let table =
        "CREATE TABLE tickets (id integer PRIMARY KEY, state status NOT NULL DEFAULT 'new',\n\
                     CONSTRAINT tickets_state_known CHECK (state <> 'old' OR id < 100));\n\
                 CREATE INDEX tickets_open ON tickets (id) WHERE state = 'open';\n\
                 CREATE INDEX tickets_is_new ON tickets ((state = 'new'::status));\n\
                 CREATE VIEW open_tickets AS SELECT id, state FROM tickets WHERE state = 'open';\n";
    fx.revision(
        "r1",
        &[],
        &format!("CREATE TYPE status AS ENUM ('new', 'open', 'old');\n{table}"),
        Some("DROP VIEW open_tickets; DROP TABLE tickets; DROP TYPE status;"),
    );
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO tickets VALUES (1, 'new'), (2, 'open'), (3, 'old')")
        .unwrap();
    declare(
        &fx,
        &format!("CREATE TYPE status AS ENUM ('open', 'new', 'old');\n{table}"),
    );
    fx.ok(&["revision", "--autogenerate", "-m", "open first"]);
    let text = written(&fx, &["r1"]).remove(0);
    let up = up_section(&text);
    let at = |s: &str| {
        up.find(s)
            .unwrap_or_else(|| panic!("{s} missing from:\n{text}"))
    };
    let swap = at("TYPE public.status__new USING");
    for before in [
        "DROP VIEW",
        "DROP INDEX public.tickets_open",
        "DROP INDEX public.tickets_is_new",
        "DROP CONSTRAINT tickets_state_known",
        "DROP DEFAULT",
    ] {
        assert!(at(before) < swap, "{before} after the swap:\n{text}");
    }
    for after in [
        "SET DEFAULT",
        "ADD CONSTRAINT tickets_state_known",
        "CREATE INDEX tickets_open",
        "CREATE INDEX tickets_is_new",
        "CREATE VIEW",
    ] {
        assert!(at(after) > swap, "{after} before the swap:\n{text}");
    }
    let labels = "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum";
    let rows = "SELECT id || ':' || state FROM tickets ORDER BY state, id";
    fx.ok(&["upgrade"]);
    assert_eq!(fx.query(labels), [["open,new,old"]]);
    assert_eq!(fx.query(rows), [["2:open"], ["1:new"], ["3:old"]]);
    assert_eq!(fx.query("SELECT id FROM open_tickets"), [["2"]]);
    fx.connect()
        .batch("INSERT INTO tickets (id) VALUES (4)")
        .unwrap();
    assert!(fx
        .connect()
        .batch("INSERT INTO tickets VALUES (100, 'old')")
        .is_err());
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);
    fx.ok(&["downgrade", "r1"]);
    assert_eq!(fx.query(labels), [["new,open,old"]]);
    assert_eq!(
        fx.query(rows),
        [["1:new"], ["4:new"], ["2:open"], ["3:old"]]
    );
    assert_eq!(fx.query("SELECT id FROM open_tickets"), [["2"]]);
}

#[test]
fn an_enum_a_function_signature_uses_is_not_replaced() {
    let Some(fx) = pg() else { return };
    let function = "CREATE FUNCTION is_open(s status) RETURNS boolean LANGUAGE sql AS $$ SELECT s = 'open' $$;\n";
    fx.revision(
        "r1",
        &[],
        &format!("CREATE TYPE status AS ENUM ('new', 'open');\n{function}"),
        Some("DROP FUNCTION is_open(status); DROP TYPE status;"),
    );
    declare(
        &fx,
        &format!("CREATE TYPE status AS ENUM ('open', 'new');\n{function}"),
    );
    let r = fx.fails(&["revision", "--autogenerate", "-m", "open first"]);
    assert!(r.stderr.contains("is_open"), "{}", r.stderr);
    assert!(written(&fx, &["r1"]).is_empty());
}

#[test]
fn a_rename_needs_its_directive_and_keeps_the_values() {
    let Some(fx) = pg() else { return };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id integer PRIMARY KEY, username text);",
        Some("DROP TABLE users;"),
    );
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO users VALUES (1, 'ada')")
        .unwrap();
    declare(
        &fx,
        "CREATE TABLE users (id integer PRIMARY KEY, handle text);\n",
    );
    let r = fx.fails(&["create", "rename"]);
    assert!(
        r.stderr
            .contains("possible rename: public.users.username is dropped")
            || r.stderr
                .contains("possible rename: users.username is dropped"),
        "{}",
        r.stderr
    );
    assert!(written(&fx, &["r1"]).is_empty());
    declare(
        &fx,
        "CREATE TABLE users (\n    id integer PRIMARY KEY,\n    -- dbkit:renamed-from users.username\n    handle text\n);\n",
    );
    fx.ok(&["create", "rename"]);
    new_revision_with(&fx, "RENAME COLUMN username TO handle");
    fx.ok(&["upgrade"]);
    assert_eq!(fx.query("SELECT handle FROM users"), [["ada"]]);
}

#[test]
fn tables_that_reference_each_other_are_created_then_constrained() {
    let Some(fx) = pg() else { return };
    fx.revision("r1", &[], "SELECT 1;", Some("SELECT 1;"));
    declare(
        &fx,
        "CREATE TABLE teams (id integer PRIMARY KEY, captain_id integer);\n\
         CREATE TABLE players (id integer PRIMARY KEY, team_id integer REFERENCES teams (id));\n\
         ALTER TABLE teams ADD CONSTRAINT teams_captain_fk FOREIGN KEY (captain_id) REFERENCES players (id) DEFERRABLE INITIALLY DEFERRED;\n",
    );
    fx.ok(&["create", "teams"]);
    fx.ok(&["upgrade"]);
    let ours = ["alembic_version", "alembic_version_history"];
    assert_eq!(fx.tables(), [&ours[..], &["players", "teams"]].concat());
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);
    fx.ok(&["downgrade", "r1"]);
    assert_eq!(fx.tables(), ours);
}

#[test]
fn the_dump_of_the_example_database_rebuilds_the_same_schema() {
    let Some(fx) = pg() else { return };
    let ini = example_project(fx.path());
    let run = |args: &[&str]| {
        let r = bare_cmd(fx.path())
            .arg("-c")
            .arg(&ini)
            .args(["--url", &fx.url])
            .args(args)
            .output()
            .unwrap();
        Run::from(r).succeeded(&format!("{args:?}"))
    };
    run(&["upgrade", "head"]);
    let live = run(&["schema", "dump", "--from-db"]).stdout;
    assert!(!live.contains("alembic_version"), "{live}");
    assert_eq!(live, run(&["schema", "dump"]).stdout);
    // As the project's schema file, the dump is what the revisions give.
    std::fs::write(fx.path().join("alembic/schema.sql"), &live).unwrap();
    assert_eq!(run(&["check"]).stdout, NO_CHANGES);
}

#[test]
fn the_example_project_checks_clean_on_postgresql() {
    let Some(fx) = pg() else { return };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = bare_cmd(fx.path())
        .arg("-c")
        .arg(root.join("alembic/alembic.ini"))
        .args(["--url", &fx.url, "check"])
        .output()
        .unwrap();
    assert_eq!(
        Run::from(r).succeeded("check on alembic/").stdout,
        NO_CHANGES
    );
}

#[test]
fn a_project_for_both_engines_gets_a_section_for_each_proven_on_its_own_engine() {
    let Some(pg) = pg() else { return };
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.target_both_engines();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id integer PRIMARY KEY, email text);",
        Some("DROP TABLE users;"),
    );
    declare(
        &fx,
        "CREATE TABLE users (id integer PRIMARY KEY, email text, name text);\n",
    );
    // PostgreSQL's half needs a server for its scratch databases: none is configured.
    let r = fx.fails(&["create", "add name"]);
    assert!(
        r.stderr.contains("needs a PostgreSQL server") && r.stderr.contains("--dev-url"),
        "{}",
        r.stderr
    );
    assert!(written(&fx, &["r1"]).is_empty());

    let with_server = |args: &[&str]| {
        let out = fx
            .cmd()
            .arg("--dev-url")
            .arg(&pg.url)
            .args(args)
            .output()
            .unwrap();
        Run::from(out).succeeded(&format!("{args:?}"))
    };
    with_server(&["create", "add name"]);
    let text = written(&fx, &["r1"]).remove(0);
    for marker in [
        "-- migrate:up sqlite\n",
        "-- migrate:up postgresql\n",
        "-- migrate:down sqlite\n",
        "-- migrate:down postgresql\n",
    ] {
        assert!(text.contains(marker), "{marker} missing from:\n{text}");
    }
    let mut check = fx.cmd();
    check.arg("--dev-url").arg(&pg.url).arg("check");
    assert_eq!(leaves_no_scratch(&pg, check).stdout, NO_CHANGES);

    // Each section runs on its engine.
    fx.ok(&["upgrade"]);
    assert!(fx.query("SELECT name FROM users").is_empty());
    std::fs::create_dir_all(pg.versions()).unwrap();
    for entry in std::fs::read_dir(fx.versions()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, pg.versions().join(path.file_name().unwrap())).unwrap();
    }
    pg.ok(&["upgrade"]);
    assert_eq!(
        columns(&pg, "users"),
        ["id integer", "email text", "name text"]
    );

    // Without `dialects`, a revision for the configured engine alone says what it lacks.
    std::fs::write(
        fx.path().join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/alembic\n",
    )
    .unwrap();
    declare(
        &fx,
        "CREATE TABLE users (id integer PRIMARY KEY, email text, name text, bio text);\n",
    );
    let r = fx.ok(&["create", "add bio"]);
    assert!(
        r.stderr
            .contains("note: other revisions have postgresql sections and this one has none"),
        "{}",
        r.stderr
    );
}

#[test]
fn online_writes_the_forms_that_keep_a_live_table_usable() {
    let Some(fx) = pg() else { return };
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE users (id bigint PRIMARY KEY);\n\
         CREATE TABLE events (id bigint PRIMARY KEY, kind text, user_id bigint);",
        Some("DROP TABLE events; DROP TABLE users;"),
    );
    fx.ok(&["upgrade"]);
    fx.connect()
        .batch("INSERT INTO users VALUES (1); INSERT INTO events VALUES (1, 'a', 1)")
        .unwrap();
    declare(
        &fx,
        "CREATE TABLE users (id bigint PRIMARY KEY);\n\
         CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL,\n\
             user_id bigint CONSTRAINT events_user_fk REFERENCES users (id));\n\
         CREATE INDEX ix_events_kind ON events (kind);\n",
    );
    fx.ok(&["create", "--online", "index kind"]);
    let text = written(&fx, &["r1"]).remove(0);
    for expected in [
        "-- migrate:up postgresql transaction:false\n",
        "CREATE INDEX CONCURRENTLY ix_events_kind",
        "NOT VALID",
        "VALIDATE CONSTRAINT events_user_fk",
        "SET lock_timeout",
        "RESET lock_timeout;\n\n-- migrate:down",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.ok(&["schema", "diff", "--from-db"]).stdout,
        NO_DB_CHANGES
    );
    assert_eq!(
        fx.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_events_kind'::regclass"),
        [["t"]]
    );
    fx.ok(&["downgrade", "r1"]);
    assert_eq!(fx.query("SELECT count(*) FROM events"), [["1"]]);
}

/// The revisions give the declared schema, and the database upgraded by them has it too.
fn upgrades_clean(fx: &Fixture) {
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.ok(&["schema", "diff", "--from-db"]).stdout,
        NO_DB_CHANGES
    );
}

/// Declares `declared` over the revision `r1` that makes `base`: the revision written for it holds each of
/// `expected`, and checks clean, upgrades, downgrades and upgrades again; the dump of the result (proven by
/// dbkit on an empty database) holds them too. Then the schema file goes back to `base`: the revision that
/// drops them checks clean and runs both ways.
fn round_trip(fx: &Fixture, base: &str, declared: &str, expected: &[&str]) {
    fx.revision("r1", &[], base, None);
    declare(fx, declared);
    assert_eq!(fx.run(&["check"]).code, 5);
    fx.ok(&["revision", "--autogenerate", "-m", "add"]);
    let text = written(fx, &["r1"]).remove(0);
    for e in expected {
        assert!(up_section(&text).contains(e), "{e} missing from:\n{text}");
    }
    upgrades_clean(fx);
    let dump = fx.ok(&["schema", "dump", "--from-db"]).stdout;
    for e in expected {
        assert!(dump.contains(e), "{e} missing from the dump:\n{dump}");
    }
    fx.ok(&["downgrade", "r1"]);
    fx.ok(&["upgrade"]);

    declare(fx, base);
    fx.ok(&[
        "revision",
        "--autogenerate",
        "-m",
        "drop",
        "--allow-data-loss",
    ]);
    upgrades_clean(fx);
    fx.ok(&["downgrade", "-1"]);
    assert_ne!(
        fx.run(&["schema", "diff", "--from-db"]).stdout,
        NO_DB_CHANGES
    );
}

#[test]
fn nulls_not_distinct_keys_and_indexes_round_trip() {
    let Some(fx) = pg() else { return };
    round_trip(
        &fx,
        "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);\n",
        "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int,\n\
             CONSTRAINT t_a_key UNIQUE NULLS NOT DISTINCT (a));\n\
         CREATE UNIQUE INDEX t_b ON t (b) NULLS NOT DISTINCT;\n\
         CREATE TABLE u (id bigint PRIMARY KEY, x int UNIQUE NULLS NOT DISTINCT);\n",
        &[
            "CONSTRAINT t_a_key UNIQUE NULLS NOT DISTINCT (a)",
            "CREATE UNIQUE INDEX t_b ON public.t (b) NULLS NOT DISTINCT",
            "CONSTRAINT u_x_key UNIQUE NULLS NOT DISTINCT (x)",
        ],
    );
    // What it means: a second NULL collides.
    fx.connect()
        .batch("INSERT INTO t VALUES (1, NULL, 1)")
        .unwrap();
    assert!(fx
        .connect()
        .batch("INSERT INTO t VALUES (2, NULL, 2)")
        .is_err());
}

#[test]
fn deferrable_primary_and_unique_keys_round_trip() {
    let Some(fx) = pg() else { return };
    round_trip(
        &fx,
        "CREATE TABLE t (id bigint PRIMARY KEY, pos int);\n",
        "CREATE TABLE t (id bigint PRIMARY KEY DEFERRABLE, pos int,\n\
             CONSTRAINT t_pos_key UNIQUE (pos) DEFERRABLE INITIALLY DEFERRED);\n\
         CREATE TABLE u (id bigint PRIMARY KEY DEFERRABLE INITIALLY DEFERRED);\n",
        &[
            "CONSTRAINT t_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY IMMEDIATE",
            "CONSTRAINT t_pos_key UNIQUE (pos) DEFERRABLE INITIALLY DEFERRED",
            "CONSTRAINT u_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED",
        ],
    );
}

#[test]
fn indexes_on_a_materialized_view_round_trip() {
    let Some(fx) = pg() else { return };
    round_trip(
        &fx,
        "CREATE TABLE t (id bigint PRIMARY KEY, kind text);\n\
         CREATE MATERIALIZED VIEW kinds AS SELECT kind, count(*) AS n FROM t GROUP BY kind;\n",
        "CREATE TABLE t (id bigint PRIMARY KEY, kind text);\n\
         CREATE MATERIALIZED VIEW kinds AS SELECT kind, count(*) AS n FROM t GROUP BY kind;\n\
         CREATE UNIQUE INDEX kinds_kind ON kinds (kind);\n\
         CREATE MATERIALIZED VIEW ids AS SELECT id FROM t;\n\
         CREATE INDEX ids_id ON ids (id DESC);\n",
        &[
            "CREATE UNIQUE INDEX kinds_kind ON public.kinds (kind)",
            "CREATE INDEX ids_id ON public.ids (id DESC)",
        ],
    );
    // A view that has an index and whose query changes is made again with its index, which
    // REFRESH … CONCURRENTLY needs; the downgrade makes the old view again, with its index too.
    fx.ok(&["upgrade"]);
    let indexed = "CREATE TABLE t (id bigint PRIMARY KEY, kind text);\n\
         CREATE MATERIALIZED VIEW kinds AS SELECT kind, count(*) AS n FROM t GROUP BY kind;\n\
         CREATE UNIQUE INDEX kinds_kind ON kinds (kind);\n";
    declare(&fx, indexed);
    fx.ok(&["revision", "--autogenerate", "-m", "index"]);
    fx.ok(&["upgrade"]);
    declare(
        &fx,
        &indexed.replace("FROM t GROUP BY", "FROM t WHERE id > 0 GROUP BY"),
    );
    fx.ok(&["revision", "--autogenerate", "-m", "where"]);
    let text = written(&fx, &[])
        .into_iter()
        .find(|t| up_section(t).contains("id > 0"))
        .unwrap();
    let up = up_section(&text);
    assert!(
        up.contains("DROP MATERIALIZED VIEW public.kinds")
            && up.contains("CREATE UNIQUE INDEX kinds_kind ON public.kinds (kind)"),
        "{text}"
    );
    assert_eq!(fx.ok(&["check"]).stdout, NO_CHANGES);
    let refresh = |fx: &Fixture| {
        fx.connect()
            .batch("REFRESH MATERIALIZED VIEW CONCURRENTLY kinds")
            .unwrap()
    };
    let definition = |fx: &Fixture| {
        fx.query("SELECT definition FROM pg_matviews WHERE matviewname = 'kinds'")[0][0].clone()
    };
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.ok(&["schema", "diff", "--from-db"]).stdout,
        NO_DB_CHANGES
    );
    assert!(definition(&fx).contains("id > 0"));
    refresh(&fx);
    fx.ok(&["downgrade", "-1"]);
    assert!(!definition(&fx).contains("id > 0"));
    refresh(&fx);
    fx.ok(&["upgrade"]);
    assert_eq!(
        fx.ok(&["schema", "diff", "--from-db"]).stdout,
        NO_DB_CHANGES
    );
    refresh(&fx);
}

#[test]
fn comments_on_constraints_triggers_functions_and_sequences_round_trip() {
    let Some(fx) = pg() else { return };
    let base = "CREATE SEQUENCE counter;\n\
         CREATE TABLE t (id bigint PRIMARY KEY, at timestamptz, CONSTRAINT t_id_check CHECK (id > 0));\n\
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN NEW.at := now(); RETURN NEW; END $$;\n\
         CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;\n\
         CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();\n";
    round_trip(
        &fx,
        base,
        &format!(
            "{base}\
             COMMENT ON SEQUENCE counter IS 'counts';\n\
             COMMENT ON CONSTRAINT t_id_check ON t IS 'positive';\n\
             COMMENT ON FUNCTION touch() IS 'sets at';\n\
             COMMENT ON PROCEDURE noop() IS 'does nothing';\n\
             COMMENT ON TRIGGER t_touch ON t IS 'keeps time';\n"
        ),
        &[
            "COMMENT ON SEQUENCE public.counter IS 'counts'",
            "COMMENT ON CONSTRAINT t_id_check ON public.t IS 'positive'",
            "COMMENT ON ROUTINE public.touch() IS 'sets at'",
            "COMMENT ON ROUTINE public.noop() IS 'does nothing'",
            "COMMENT ON TRIGGER t_touch ON public.t IS 'keeps time'",
        ],
    );
}

#[test]
fn domains_round_trip_and_change_in_place() {
    let Some(fx) = pg() else { return };
    let base = "CREATE TABLE t (id bigint PRIMARY KEY);\n";
    let declared = "CREATE DOMAIN posint AS integer DEFAULT 1 NOT NULL CONSTRAINT positive CHECK (VALUE > 0);\n\
         CREATE DOMAIN code AS text COLLATE \"C\" CHECK (length(VALUE) < 10);\n\
         CREATE DOMAIN small AS posint CONSTRAINT small_max CHECK (VALUE < 100);\n\
         CREATE TABLE t (id bigint PRIMARY KEY, n posint, c code, s small);\n\
         COMMENT ON DOMAIN posint IS 'above zero';\n";
    round_trip(
        &fx,
        base,
        declared,
        &[
            "CREATE DOMAIN public.posint AS integer DEFAULT 1 NOT NULL\n    \
             CONSTRAINT positive CHECK (VALUE > 0)",
            "CREATE DOMAIN public.code AS text COLLATE \"C\"\n    \
             CONSTRAINT code_check CHECK (length(VALUE) < 10)",
            "CREATE DOMAIN public.small AS posint DEFAULT 1\n    \
             CONSTRAINT small_max CHECK (VALUE::integer < 100)",
            "COMMENT ON DOMAIN public.posint IS 'above zero'",
        ],
    );
    // The revisions end with the domains dropped: a revision makes them again.
    declare(&fx, declared);
    fx.ok(&["revision", "--autogenerate", "-m", "again"]);
    fx.ok(&["upgrade"]);
    // The column takes the domain's default and is held to its checks.
    fx.connect().batch("INSERT INTO t (id) VALUES (1)").unwrap();
    assert_eq!(fx.query("SELECT n FROM t"), [["1"]]);
    assert!(fx
        .connect()
        .batch("INSERT INTO t (id, n) VALUES (2, 0)")
        .is_err());

    // A new default, NOT NULL dropped and a check changed are ALTER DOMAIN, marked where rows may fail.
    declare(
        &fx,
        "CREATE DOMAIN posint AS integer DEFAULT 2 CONSTRAINT positive CHECK (VALUE >= 1);\n\
         CREATE DOMAIN code AS text COLLATE \"C\" CHECK (length(VALUE) < 10);\n\
         CREATE DOMAIN small AS posint CONSTRAINT small_max CHECK (VALUE < 100);\n\
         CREATE TABLE t (id bigint PRIMARY KEY, n posint, c code, s small);\n\
         COMMENT ON DOMAIN posint IS 'above zero';\n",
    );
    fx.ok(&["revision", "--autogenerate", "-m", "alter"]);
    let text = written(&fx, &["r1"])
        .into_iter()
        .find(|t| t.contains("ALTER DOMAIN"))
        .unwrap();
    for e in [
        "ALTER DOMAIN public.posint DROP CONSTRAINT positive",
        "ALTER DOMAIN public.posint DROP NOT NULL",
        "ALTER DOMAIN public.posint SET DEFAULT 2",
        "-- hazard: adds CHECK (VALUE >= 1) to domain public.posint",
        "ALTER DOMAIN public.posint ADD CONSTRAINT positive CHECK (VALUE >= 1)",
    ] {
        assert!(up_section(&text).contains(e), "{e} missing from:\n{text}");
    }
    upgrades_clean(&fx);

    // A new base type for a domain a column uses cannot be written: the proof fails, naming the domain.
    declare(
        &fx,
        "CREATE DOMAIN posint AS bigint DEFAULT 2 CONSTRAINT positive CHECK (VALUE >= 1);\n\
         CREATE DOMAIN code AS text COLLATE \"C\" CHECK (length(VALUE) < 10);\n\
         CREATE DOMAIN small AS posint CONSTRAINT small_max CHECK (VALUE < 100);\n\
         CREATE TABLE t (id bigint PRIMARY KEY, n posint, c code, s small);\n\
         COMMENT ON DOMAIN posint IS 'above zero';\n",
    );
    let run = fx.run(&["revision", "--autogenerate", "-m", "retype"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("posint"), "{}", run.stderr);
}

#[test]
fn row_level_security_and_policies_round_trip() {
    let Some(fx) = pg() else { return };
    let base =
        "CREATE TABLE docs (id bigint PRIMARY KEY, owner text NOT NULL DEFAULT CURRENT_USER, \
                body text);\n";
    let declared = |own: &str| {
        format!(
            "{base}\
             CREATE FUNCTION visible(who text) RETURNS boolean LANGUAGE sql STABLE \
               AS $$ SELECT who = CURRENT_USER $$;\n\
             ALTER TABLE docs ENABLE ROW LEVEL SECURITY;\n\
             ALTER TABLE docs FORCE ROW LEVEL SECURITY;\n\
             CREATE POLICY own ON docs USING ({own}) WITH CHECK (owner = CURRENT_USER);\n\
             CREATE POLICY no_empty ON docs AS RESTRICTIVE FOR INSERT TO PUBLIC \
               WITH CHECK (body <> '');\n"
        )
    };
    round_trip(
        &fx,
        base,
        &declared("visible(owner)"),
        &[
            "ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE public.docs FORCE ROW LEVEL SECURITY",
            "CREATE POLICY own ON public.docs USING (visible(owner)) WITH CHECK",
            "CREATE POLICY no_empty ON public.docs AS RESTRICTIVE FOR INSERT WITH CHECK",
        ],
    );
    // The test role may bypass row-level security (a superuser does): the catalog says what holds.
    assert_eq!(
        fx.query(
            "SELECT relrowsecurity::text, relforcerowsecurity::text, \
               (SELECT string_agg(polname || ' ' || polpermissive::text || ' ' || polcmd::text, ', ' \
                 ORDER BY polname) FROM pg_policy WHERE polrelid = 'docs'::regclass) \
             FROM pg_class WHERE oid = 'docs'::regclass"
        ),
        [["true", "true", "no_empty false a, own true *"]]
    );
    // The revisions end with the policies dropped: a revision makes them again.
    declare(&fx, &declared("visible(owner)"));
    fx.ok(&["revision", "--autogenerate", "-m", "again"]);
    fx.ok(&["upgrade"]);
    // A new USING is ALTER POLICY; the rows stay.
    declare(&fx, &declared("visible(owner) AND id > 0"));
    fx.connect()
        .batch("INSERT INTO docs (id, body) VALUES (2, 'x')")
        .unwrap();
    fx.ok(&["revision", "--autogenerate", "-m", "alter"]);
    let text = written(&fx, &["r1"])
        .into_iter()
        .find(|t| t.contains("ALTER POLICY"))
        .unwrap_or_default();
    assert!(
        up_section(&text).contains("ALTER POLICY own ON public.docs USING"),
        "{text}"
    );
    upgrades_clean(&fx);
    assert_eq!(fx.query("SELECT id FROM docs"), [["2"]]);
}
