//! import-alembic: a Python Alembic history, written here, converted by the real binary with the real Alembic;
//! the files keep the ids and the graph, both histories give the same schema, and a database Alembic took
//! half-way is finished by dbkit.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::alembic_compat::{alembic_bin, sqlalchemy_url};
use crate::both;
use crate::util::*;
use dbkit::script::Script;

const ENV_PY: &str = r#"from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config

if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
"#;

/// (file stem, id, down_revision, branch_labels, depends_on, body of upgrade(), body of downgrade()).
type PyRevision = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Two branches off b2, labelled, one depending on the other, merged, then a revision Alembic runs partly
/// outside a transaction on PostgreSQL.
const HISTORY: &[PyRevision] = &[
    (
        "a1_create_users",
        "a1a1a1a1a1a1",
        "None",
        "None",
        "None",
        "op.create_table('users',\n        sa.Column('id', sa.Integer(), primary_key=True),\n        sa.Column('email', sa.String(200), nullable=False, unique=True))\n    op.create_index('ix_users_email', 'users', ['email'])",
        "op.drop_index('ix_users_email', table_name='users')\n    op.drop_table('users')",
    ),
    (
        "b2_add_name",
        "b2b2b2b2b2b2",
        "'a1a1a1a1a1a1'",
        "None",
        "None",
        "op.add_column('users', sa.Column('name', sa.String(100), nullable=True))\n    op.execute(\"UPDATE users SET name = 'anonymous' WHERE name IS NULL\")",
        "op.drop_column('users', 'name')",
    ),
    (
        "c3_notes",
        "c3c3c3c3c3c3",
        "'b2b2b2b2b2b2'",
        "('notes',)",
        "None",
        "op.create_table('notes',\n        sa.Column('id', sa.Integer(), primary_key=True),\n        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),\n        sa.Column('body', sa.Text(), nullable=False))",
        "op.drop_table('notes')",
    ),
    (
        "d4_tags",
        "d4d4d4d4d4d4",
        "'b2b2b2b2b2b2'",
        "'tags'",
        "'c3c3c3c3c3c3'",
        "op.create_table('tags',\n        sa.Column('id', sa.Integer(), primary_key=True),\n        sa.Column('label', sa.String(50), nullable=False))\n    op.bulk_insert(sa.table('tags', sa.column('id', sa.Integer), sa.column('label', sa.String)),\n        [{'id': 1, 'label': \"it's\"}, {'id': 2, 'label': 'b'}])",
        "op.drop_table('tags')",
    ),
    (
        "e5_merge",
        "e5e5e5e5e5e5",
        "('c3c3c3c3c3c3', 'd4d4d4d4d4d4')",
        "None",
        "None",
        "pass",
        "pass",
    ),
    (
        "g7_index",
        "g7g7g7g7g7g7",
        "'e5e5e5e5e5e5'",
        "None",
        "None",
        "with op.get_context().autocommit_block():\n        op.create_index('ix_notes_user', 'notes', ['user_id'], postgresql_concurrently=True)",
        "op.drop_index('ix_notes_user', table_name='notes')",
    ),
];

/// A revision that reads rows, which offline mode cannot do.
const READS_ROWS: PyRevision = (
    "f6_backfill",
    "f6f6f6f6f6f6",
    "'a1a1a1a1a1a1'",
    "None",
    "None",
    "conn = op.get_bind()\n    for (uid,) in conn.execute(sa.text('SELECT id FROM users')).fetchall():\n        conn.execute(sa.text('UPDATE users SET email = lower(email) WHERE id = :id'), {'id': uid})",
    "pass",
);

/// The Python of the virtualenv Alembic is installed in.
fn python() -> Option<PathBuf> {
    Some(alembic_bin()?.with_file_name("python"))
}

/// The Alembic project in the fixture's scripts folder, beside where dbkit reads its revisions.
fn write_history(fx: &Fixture, revisions: &[PyRevision]) {
    let ini = format!(
        "[alembic]\nscript_location = %(here)s/alembic\nsqlalchemy.url = {}\n",
        sqlalchemy_url(fx).replace('%', "%%")
    );
    std::fs::write(fx.path().join("alembic.ini"), ini).unwrap();
    std::fs::write(fx.path().join("alembic/env.py"), ENV_PY).unwrap();
    std::fs::write(fx.path().join("alembic/script.py.mako"), "").unwrap();
    for (stem, id, down, labels, depends, up, downgrade) in revisions {
        let text = format!(
            "\"\"\"{message}\n\nRevision ID: {id}\nRevises: {down}\nCreate Date: 2024-01-02 03:04:05.000006\n\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = {labels}\ndepends_on = {depends}\n\n\ndef upgrade():\n    {up}\n\n\ndef downgrade():\n    {downgrade}\n",
            message = stem.replace('_', " "),
        );
        std::fs::write(fx.versions().join(format!("{stem}.py")), text).unwrap();
    }
}

/// Runs Alembic on the fixture's database.
fn alembic(fx: &Fixture, args: &[&str]) {
    alembic_of(&alembic_bin().unwrap(), fx, args);
}

/// Runs a given virtualenv's Alembic on the fixture's database.
fn alembic_of(alembic: &Path, fx: &Fixture, args: &[&str]) {
    let out = alembic_output(alembic, fx, args);
    assert!(
        out.status.success(),
        "alembic {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn alembic_output(alembic: &Path, fx: &Fixture, args: &[&str]) -> std::process::Output {
    Command::new(alembic)
        .current_dir(fx.path())
        .args(args)
        .output()
        .unwrap()
}

fn import(fx: &Fixture, python: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["import-alembic", "--python", python.to_str().unwrap()];
    args.extend_from_slice(extra);
    fx.run(&args)
}

fn load(fx: &Fixture, stem: &str) -> Script {
    load_path(&fx.versions().join(format!("{stem}.sql")))
}

fn load_path(path: &Path) -> Script {
    Script::load(path).unwrap()
}

both!(
    a_history_with_branches_a_merge_labels_and_dependencies_converts_and_verifies,
    |fx| {
        let Some(python) = python() else { return };
        write_history(fx, HISTORY);
        // Alembic has taken the database half-way: one branch applied, the other not.
        alembic(fx, &["upgrade", "c3c3c3c3c3c3"]);

        let dialects: &[&str] = match fx.kind {
            Kind::Sqlite => &[],
            Kind::Postgres => &["--dialect", "sqlite,postgresql"],
        };
        let run = import(fx, &python, dialects).succeeded("import-alembic");
        for dialect in match fx.kind {
            Kind::Sqlite => &["sqlite"][..],
            Kind::Postgres => &["sqlite", "postgresql"][..],
        } {
            assert!(
            run.stdout.contains(&format!(
                "Verified on {dialect}: the same schema as Alembic's after each of the 6 revision(s)"
            )),
            "{}",
            run.stdout
        );
        }
        assert!(!run.stdout.contains("NOT CONVERTED"), "{}", run.stdout);

        // The same ids, parents, labels, dependencies, messages and dates.
        let tags = load(fx, "d4_tags");
        assert_eq!(tags.id, "d4d4d4d4d4d4");
        assert_eq!(tags.down, ["b2b2b2b2b2b2"]);
        assert_eq!(tags.branch_labels, ["tags"]);
        assert_eq!(tags.depends_on, ["c3c3c3c3c3c3"]);
        assert_eq!(tags.message(), "d4 tags");
        assert_eq!(
            tags.create_date.as_deref(),
            Some("2024-01-02 03:04:05.000006")
        );
        let merge = load(fx, "e5_merge");
        assert_eq!(merge.down, ["c3c3c3c3c3c3", "d4d4d4d4d4d4"]);
        assert!(merge.branch_labels.is_empty(), "labels are not inherited");
        assert_eq!(load(fx, "c3_notes").branch_labels, ["notes"]);
        assert!(load(fx, "a1_create_users").down.is_empty());
        if fx.kind == Kind::Postgres {
            // The index Alembic built outside a transaction is a transaction:false section on PostgreSQL.
            let text = std::fs::read_to_string(fx.versions().join("g7_index.sql")).unwrap();
            assert!(
            text.contains("-- migrate:up postgresql transaction:false\nCREATE INDEX CONCURRENTLY ix_notes_user"),
            "{text}"
        );
            assert!(!text.contains("COMMIT"), "{text}");
        }

        // dbkit finishes what Alembic started, and the database is what the revisions give.
        assert_eq!(fx.heads(), ["c3c3c3c3c3c3"]);
        fx.ok(&["upgrade", "heads"]);
        assert_eq!(fx.heads(), ["g7g7g7g7g7g7"]);
        assert_eq!(
            fx.query("SELECT label FROM tags ORDER BY id"),
            [["it's".to_string()], ["b".to_string()]]
        );
        fx.ok(&["drift"]);
        // And back down through the merge with dbkit's down sections, then Alembic takes it on again.
        fx.ok(&["downgrade", "b2b2b2b2b2b2"]);
        assert_eq!(fx.heads(), ["b2b2b2b2b2b2"]);
        assert!(!fx.table_exists("tags") && !fx.table_exists("notes"));
        alembic(fx, &["upgrade", "heads"]);
        assert_eq!(fx.heads(), ["g7g7g7g7g7g7"]);
    }
);

both!(
    a_revision_that_reads_rows_is_kept_as_python_and_listed,
    |fx| {
        let Some(python) = python() else { return };
        write_history(fx, &[HISTORY[0], READS_ROWS]);
        let run = import(fx, &python, &[]);
        assert_eq!(
            run.code,
            dbkit::EXIT_IMPORT_INCOMPLETE,
            "{}\n{}",
            run.stdout,
            run.stderr
        );
        let dialect = match fx.kind {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgresql",
        };
        assert!(
            run.stdout.contains("NOT CONVERTED (1)")
                && run.stdout.contains(&format!(
                    "f6f6f6f6f6f6 upgrade on {dialect} ({})",
                    fx.versions().join("f6_backfill.sql").display()
                )),
            "{}",
            run.stdout
        );
        assert!(
            run.stderr
                .contains("FAILED: imported with 1 part(s) not converted"),
            "{}",
            run.stderr
        );
        let text = std::fs::read_to_string(fx.versions().join("f6_backfill.sql")).unwrap();
        assert!(
            text.contains(&format!("-- Unconverted: up on {dialect}: AttributeError")),
            "{text}"
        );
        assert!(text.contains("--|     conn = op.get_bind()\n"), "{text}");
        assert_eq!(load(fx, "f6_backfill").down, ["a1a1a1a1a1a1"]);

        // An upgrade through it stops before anything runs, naming the file.
        let failed = fx.fails(&["upgrade", "head"]);
        assert!(
            failed.stderr.contains("f6_backfill.sql")
                && failed.stderr.contains("has no '-- migrate:up' section"),
            "{}",
            failed.stderr
        );
        assert!(fx.heads().is_empty());
        assert!(!fx.table_exists("users"));
        // The revision before it converts and runs.
        fx.ok(&["upgrade", "a1a1a1a1a1a1"]);
        assert!(fx.table_exists("users"));

        // Its SQL written by hand, the files as they are are checked against Alembic, and nothing is written.
        let path = fx.versions().join("f6_backfill.sql");
        let finished: String = text
            .lines()
            .filter(|l| !l.starts_with("-- Unconverted:"))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .replace(
                "-- migrate:down",
                "-- migrate:up\nUPDATE users SET email = lower(email);\n\n-- migrate:down",
            );
        std::fs::write(&path, &finished).unwrap();
        let verified =
            import(fx, &python, &["--verify-only"]).succeeded("import-alembic --verify-only");
        assert!(
            verified.stdout.contains(&format!(
                "Verified on {dialect}: the same schema as Alembic's after each of the 2 revision(s)"
            )),
            "{}",
            verified.stdout
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), finished);
        fx.ok(&["upgrade", "head"]);
        assert_eq!(fx.heads(), ["f6f6f6f6f6f6"]);
    }
);

both!(
    verify_only_compares_the_revisions_alembic_has_with_dbkit_revisions_on_top,
    |fx| {
        let Some(python) = python() else { return };
        write_history(fx, &HISTORY[..2]);
        import(fx, &python, &[]).succeeded("import-alembic");
        // A revision written with dbkit after the switch: Alembic's history has no such revision.
        fx.ok(&["revision", "-m", "add flags", "--rev-id", "h8h8h8h8h8h8"]);
        let path = std::fs::read_dir(fx.versions())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("h8h8h8h8h8h8"))
            .expect("the new revision's file");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace(
                "-- migrate:up\n",
                "-- migrate:up\nCREATE TABLE flags (id integer PRIMARY KEY);\n",
            )
            .replace("-- migrate:down\n", "-- migrate:down\nDROP TABLE flags;\n");
        std::fs::write(&path, text).unwrap();
        assert_eq!(load_path(&path).down, ["b2b2b2b2b2b2"]);
        fx.ok(&["upgrade", "head"]);
        assert!(fx.table_exists("flags"));

        let verified =
            import(fx, &python, &["--verify-only"]).succeeded("import-alembic --verify-only");
        let dialect = match fx.kind {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgresql",
        };
        assert!(
            verified.stdout.contains(&format!(
                "Verified on {dialect}: the same schema as Alembic's after each of the 2 revision(s)"
            )),
            "{}",
            verified.stdout
        );
    }
);

#[test]
fn an_env_py_that_renders_offline_with_another_url_is_refused() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let Some(python) = python() else { return };
    write_history(&fx, &HISTORY[..2]);
    // Offline, this env.py takes its URL from a variable of its own, not from the URL it is given.
    let env_py = ENV_PY.replace(
        "url=config.get_main_option(\"sqlalchemy.url\")",
        "url=__import__('os').environ.get('MYAPP_DATABASE_URL', 'postgresql://db.example/app')",
    );
    assert_ne!(env_py, ENV_PY);
    std::fs::write(fx.path().join("alembic/env.py"), env_py).unwrap();

    let run = import(&fx, &python, &[]).failed_once("import-alembic with such an env.py");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{} renders the offline SQL with postgresql://db.example/app, not with the URL it was given (sqlite://)",
            fx.path().join("alembic/env.py").display()
        )) && run.stderr.contains("config.get_main_option(\"sqlalchemy.url\")"),
        "{}",
        run.stderr
    );
    assert!(!fx.versions().join("a1_create_users.sql").exists());
}

#[test]
fn existing_dbkit_files_are_kept_unless_overwrite() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let Some(python) = python() else { return };
    write_history(&fx, &HISTORY[..2]);
    import(&fx, &python, &[]).succeeded("import-alembic");
    let path = fx.versions().join("b2_add_name.sql");
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap() + "-- edited\n",
    )
    .unwrap();

    let again = import(&fx, &python, &[]).failed_once("a second import");
    assert!(
        again.stderr.contains("already has a dbkit file") && again.stderr.contains("--overwrite"),
        "{}",
        again.stderr
    );
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .ends_with("-- edited\n"));

    // A revision written with dbkit after the switch, which Alembic has never heard of: it is kept, and the
    // verification compares the revisions the two histories share.
    fx.revision(
        "c3c3c3c3c3c3",
        &["b2b2b2b2b2b2"],
        "CREATE TABLE notes (id integer);",
        Some("DROP TABLE notes;"),
    );
    let replaced = import(&fx, &python, &["--overwrite"]).succeeded("import-alembic --overwrite");
    assert!(replaced.stdout.contains("Replacing"), "{}", replaced.stdout);
    assert!(
        replaced.stdout.contains("after each of the 2 revision(s)"),
        "{}",
        replaced.stdout
    );
    assert!(fx.versions().join("c3c3c3c3c3c3.sql").exists());
    assert!(!std::fs::read_to_string(&path)
        .unwrap()
        .contains("-- edited"));
}

#[test]
fn a_python_without_alembic_is_one_clear_error_and_writes_nothing() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    write_history(&fx, &HISTORY[..1]);
    let missing = fx
        .run(&["import-alembic", "--python", "/nonexistent/python"])
        .failed_once("import-alembic with no Python");
    assert!(
        missing
            .stderr
            .contains("no Python interpreter at /nonexistent/python"),
        "{}",
        missing.stderr
    );
    let Some(python3) = which_python3() else {
        return;
    };
    let bare = fx
        .run(&["import-alembic", "--python", python3.to_str().unwrap()])
        .failed_once("import-alembic with a Python lacking Alembic");
    // The project's own `alembic/` folder, in the working directory, must not pass for the package.
    assert!(fx.path().join("alembic").is_dir());
    assert!(
        bare.stderr
            .contains("has no Alembic installed; point --python at a virtualenv"),
        "{}",
        bare.stderr
    );
    assert!(!fx.versions().join("a1_create_users.sql").exists());
}

/// The system's python3, when it lacks Alembic (the test virtualenv's has it).
fn which_python3() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import sys, importlib.util; print(sys.executable if importlib.util.find_spec('alembic') is None else '')"])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

#[test]
fn verification_refuses_an_env_py_that_connects_elsewhere() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let Some(python) = python() else { return };
    write_history(&fx, &HISTORY[..2]);
    // Online, this env.py ignores the URL it is given and opens a database of its own choosing.
    let own = fx.path().join("own.db");
    let env_py = ENV_PY.replace(
        "    engine = engine_from_config(\n        config.get_section(config.config_ini_section, {}), prefix=\"sqlalchemy.\", poolclass=pool.NullPool\n    )",
        &format!("    from sqlalchemy import create_engine\n    engine = create_engine('sqlite:///{}')", own.display()),
    );
    assert_ne!(env_py, ENV_PY);
    std::fs::write(fx.path().join("alembic/env.py"), env_py).unwrap();

    let run = import(&fx, &python, &[]);
    assert_eq!(
        run.code,
        dbkit::EXIT_IMPORT_INCOMPLETE,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout
            .contains("NOT VERIFIED on sqlite beyond 0 of 2 revision(s)")
            && run
                .stdout
                .contains("not to the scratch database it was given"),
        "{}",
        run.stdout
    );
    // Nothing ran on the database env.py chose.
    let tables = dbkit::dialect::connect(
        &format!("sqlite:///{}", own.display()).parse().unwrap(),
        std::time::Duration::from_secs(1),
    )
    .map(|mut c| c.query("SELECT name FROM sqlite_master").unwrap().len())
    .unwrap_or(0);
    assert_eq!(tables, 0);
    // The files are written all the same, and --no-verify skips the replay.
    assert!(fx.versions().join("b2_add_name.sql").exists());
    import(&fx, &python, &["--overwrite", "--no-verify"]).succeeded("import-alembic --no-verify");
}

/// The virtualenv `make test-deps` installs optuna into: a real, published Alembic history (its PyPI package ships
/// `optuna/storages/_rdb/alembic`, ten revisions) with its own env.py, which imports optuna.
fn optuna_venv() -> Option<PathBuf> {
    let venv = std::env::var("OPTUNA_VENV")
        .ok()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-optuna"));
    if venv.join("bin/optuna").is_file() {
        return Some(venv);
    }
    assert!(
        !under_ci(),
        "optuna is required under CI ({}); make test-deps installs it",
        venv.display()
    );
    eprintln!(
        "skipping: no optuna at {} (run make test-deps)",
        venv.display()
    );
    None
}

/// Copies optuna's Alembic folder, as the installed package has it, into the fixture, with the package's own
/// alembic.ini (whose logging sections its env.py needs) pointed at that folder and the fixture's database.
fn copy_optuna_history(fx: &Fixture, python: &Path) {
    let out = Command::new(python)
        .args([
            "-c",
            "import importlib.util, os; print(os.path.dirname(importlib.util.find_spec('optuna').origin))",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rdb = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("storages/_rdb");
    let url_line = format!("sqlalchemy.url = {}", sqlalchemy_url(fx).replace('%', "%%"));
    let ini: String = std::fs::read_to_string(rdb.join("alembic.ini"))
        .unwrap()
        .lines()
        .map(|line| match line {
            "script_location = alembic" => "script_location = %(here)s/alembic",
            l if l.starts_with("sqlalchemy.url = ") => &url_line,
            l => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(ini.contains("script_location = %(here)s/alembic\n") && ini.contains(&url_line));
    std::fs::write(fx.path().join("alembic.ini"), ini).unwrap();
    for file in ["env.py", "script.py.mako"] {
        std::fs::copy(
            rdb.join("alembic").join(file),
            fx.path().join("alembic").join(file),
        )
        .unwrap();
    }
    for entry in std::fs::read_dir(rdb.join("alembic/versions")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "py") {
            std::fs::copy(&path, fx.versions().join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Why a part of optuna's history cannot be rendered offline.
const ORM_SESSION: &str = "'MockConnection' object has no attribute 'close'";
const INSPECTS: &str = "No inspection system is available";
const BATCH: &str = "batch mode with dialect sqlite requires a live database connection";

/// (revision, direction, why on SQLite, why on PostgreSQL): every part of optuna 5.1.0's history that offline
/// mode cannot render. The data migrations read rows through an ORM session on `op.get_bind()`; others inspect
/// the live schema (`sa.inspect(bind)`) to decide what to do; on SQLite, `batch_alter_table()` must reflect the
/// table it copies. Every other part converts.
const OPTUNA_UNCONVERTED: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    ("v1.2.0.a", "upgrade", Some(BATCH), None),
    ("v1.2.0.a", "downgrade", Some(BATCH), None),
    ("v1.3.0.a", "upgrade", Some(ORM_SESSION), Some(ORM_SESSION)),
    (
        "v1.3.0.a",
        "downgrade",
        Some(ORM_SESSION),
        Some(ORM_SESSION),
    ),
    ("v2.4.0.a", "upgrade", Some(INSPECTS), Some(INSPECTS)),
    ("v2.6.0.a", "upgrade", Some(BATCH), None),
    ("v2.6.0.a", "downgrade", Some(BATCH), None),
    ("v3.0.0.a", "upgrade", Some(INSPECTS), Some(INSPECTS)),
    ("v3.0.0.a", "downgrade", Some(INSPECTS), Some(INSPECTS)),
    ("v3.0.0.b", "upgrade", Some(ORM_SESSION), Some(ORM_SESSION)),
    ("v3.0.0.b", "downgrade", Some(BATCH), None),
    ("v3.0.0.c", "upgrade", Some(INSPECTS), Some(INSPECTS)),
    (
        "v3.0.0.c",
        "downgrade",
        Some(ORM_SESSION),
        Some(ORM_SESSION),
    ),
    ("v3.0.0.d", "upgrade", Some(INSPECTS), Some(INSPECTS)),
    (
        "v3.0.0.d",
        "downgrade",
        Some(ORM_SESSION),
        Some(ORM_SESSION),
    ),
];

both!(
    optuna_s_published_history_converts_what_offline_mode_renders_and_verifies_it,
    |fx| {
        let Some(venv) = optuna_venv() else { return };
        let python = venv.join("bin/python");
        copy_optuna_history(fx, &python);
        let (dialect, last_converted) = match fx.kind {
            // Its second revision is the first batch operation.
            Kind::Sqlite => ("sqlite", "v0.9.0.a"),
            // Its third revision is the first data migration.
            Kind::Postgres => ("postgresql", "v1.2.0.a"),
        };

        let run = import(fx, &python, &["--json"]);
        assert_eq!(
            run.code,
            dbkit::EXIT_IMPORT_INCOMPLETE,
            "{}\n{}",
            run.stdout,
            run.stderr
        );
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();

        // The ids and parents are Alembic's own, as its ScriptDirectory reads the published files.
        let out = Command::new(&python)
            .current_dir(fx.path())
            .args([
                "-c",
                "from alembic.config import Config\nfrom alembic.script import ScriptDirectory\n\
                 for s in reversed(list(ScriptDirectory.from_config(Config('alembic.ini')).walk_revisions())):\n    \
                 print(s.revision, s.down_revision or '', s.path)",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let alembic_graph: Vec<(String, String, PathBuf)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let mut parts = l.splitn(3, ' ');
                let (id, down, path) = (parts.next(), parts.next(), parts.next());
                (
                    id.unwrap().into(),
                    down.unwrap().into(),
                    path.unwrap().into(),
                )
            })
            .collect();
        assert_eq!(alembic_graph.len(), 10, "{alembic_graph:?}");
        let imported: Vec<&str> = report["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            imported,
            alembic_graph
                .iter()
                .map(|(id, ..)| id.as_str())
                .collect::<Vec<_>>()
        );
        for (id, down, py) in &alembic_graph {
            let script = Script::load(&py.with_extension("sql")).unwrap();
            assert_eq!(&script.id, id);
            let down: Vec<&str> = down.split_terminator(',').collect();
            assert_eq!(script.down, down, "the parents of {id}");
        }

        // What offline mode cannot render is listed, each with why, and marked in its file; nothing else is.
        let expected: Vec<(&str, &str, &str)> = OPTUNA_UNCONVERTED
            .iter()
            .filter_map(|&(id, direction, sqlite, postgresql)| {
                let why = match fx.kind {
                    Kind::Sqlite => sqlite,
                    Kind::Postgres => postgresql,
                };
                Some((id, direction, why?))
            })
            .collect();
        let listed = report["unconverted"].as_array().unwrap();
        assert_eq!(listed.len(), expected.len(), "{listed:#?}");
        for (part, (id, direction, why)) in listed.iter().zip(&expected) {
            assert_eq!(part["id"], *id);
            assert_eq!(part["direction"], *direction);
            assert_eq!(part["dialects"], serde_json::json!([dialect]));
            assert!(
                part["reason"].as_str().unwrap().contains(why),
                "{id} {direction}: {}",
                part["reason"]
            );
            let path = PathBuf::from(part["path"].as_str().unwrap());
            let text = std::fs::read_to_string(&path).unwrap();
            let section = if *direction == "upgrade" {
                "up"
            } else {
                "down"
            };
            assert!(
                text.contains(&format!("-- Unconverted: {section} on {dialect}: ")),
                "{text}"
            );
            // No section for it, so dbkit stops there rather than skip it.
            let marker = format!("-- migrate:{section}");
            assert!(!text.lines().any(|l| l.starts_with(&marker)), "{text}");
        }
        // The revision after the last data migration converts on both dialects.
        let last = std::fs::read_to_string(fx.versions().join("v3.2.0.a_.sql")).unwrap();
        assert!(
            last.contains("-- migrate:up\nCREATE INDEX trials_study_id_key ON trials (study_id);"),
            "{last}"
        );

        // Both histories were replayed and compared after each revision, up to the first that did not convert.
        let verification = &report["verification"][0];
        assert_eq!(verification["dialect"], dialect);
        assert_eq!(verification["total"], 10);
        let compared = alembic_graph
            .iter()
            .position(|(id, ..)| id == last_converted)
            .unwrap()
            + 1;
        assert_eq!(verification["compared"], compared);
        let stopped = &verification["difference"];
        assert_eq!(stopped["revision"], alembic_graph[compared].0);
        assert!(
            stopped["detail"]
                .as_str()
                .unwrap()
                .contains("has no '-- migrate:up' section"),
            "{stopped}"
        );

        // On a second database, Alembic's own upgrade that far gives the schema dbkit's files give: drift
        // compares the live database with dbkit's replay of the revisions recorded in it.
        let optuna_alembic = venv.join("bin/alembic");
        let theirs = Fixture::new(fx.kind).unwrap();
        copy_optuna_history(&theirs, &python);
        for (_, _, py) in &alembic_graph {
            let sql = py.with_extension("sql");
            std::fs::copy(&sql, theirs.versions().join(sql.file_name().unwrap())).unwrap();
        }
        alembic_of(&optuna_alembic, &theirs, &["upgrade", last_converted]);
        assert_eq!(
            theirs.ok(&["drift"]).stdout,
            format!("No drift: the database is what its revisions give ({last_converted})\n")
        );

        // dbkit upgrades as far as its files go and Alembic runs the data migrations from there.
        fx.ok(&["upgrade", last_converted]);
        assert_eq!(fx.heads(), [last_converted]);
        match fx.kind {
            Kind::Sqlite => {
                alembic_of(&optuna_alembic, fx, &["upgrade", "head"]);
                assert_eq!(fx.heads(), ["v3.2.0.a"]);
                assert!(fx.table_exists("trial_intermediate_values"));
                assert!(fx
                    .ok(&["upgrade", "head"])
                    .stderr
                    .contains("Already at head: v3.2.0.a"));
            }
            Kind::Postgres => {
                // v2.4.0.a creates the enum type v0.9.0.a created; Alembic skips it only when one process ran
                // both. So past v1.3.0.a Alembic fails on a database taken there in an earlier run, its own
                // as much as dbkit's, in the same way.
                for db in [fx, &theirs] {
                    let out = alembic_output(&optuna_alembic, db, &["upgrade", "head"]);
                    assert!(
                        !out.status.success()
                            && String::from_utf8_lossy(&out.stderr)
                                .contains("type \"studydirection\" already exists"),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    assert_eq!(db.heads(), [last_converted]);
                }
                alembic_of(&optuna_alembic, fx, &["upgrade", "v1.3.0.a"]);
                assert_eq!(fx.heads(), ["v1.3.0.a"]);
                // Its column, which its data migration fills.
                assert!(fx.query("SELECT number FROM trials").is_empty());
            }
        }

        // dbkit's down sections take Alembic's database back to base.
        theirs.ok(&["downgrade", "base"]);
        assert!(theirs.heads().is_empty());
        assert!(!theirs.table_exists("studies") && !theirs.table_exists("trials"));
    }
);
