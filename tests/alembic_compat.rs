//! Python Alembic and dbkit on one database: the same version table, read and continued by either.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::both;
use crate::util::*;
use dbkit::script::Script;
use dbkit::{Direction, Engine};

pub(crate) fn alembic_bin() -> Option<PathBuf> {
    let path = std::env::var("ALEMBIC_BIN")
        .ok()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-alembic/bin/alembic"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !under_ci(),
        "Alembic is required under CI ({}); make test-deps installs it",
        path.display()
    );
    eprintln!(
        "skipping: no Alembic at {} (run make test-deps)",
        path.display()
    );
    None
}

/// An Alembic project beside the dbkit one, with one Python revision per SQL revision.
fn python_project(fx: &Fixture) -> PathBuf {
    let py = fx.path().join("py");
    std::fs::create_dir_all(py.join("versions")).unwrap();
    std::fs::write(
        py.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s\n",
    )
    .unwrap();
    std::fs::write(
        py.join("env.py"),
        "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine, pool\n\nurl = os.environ['ALEMBIC_TEST_URL']\nif context.is_offline_mode():\n    context.configure(url=url, transaction_per_migration=True)\n    with context.begin_transaction():\n        context.run_migrations()\nelse:\n    engine = create_engine(url, poolclass=pool.NullPool)\n    with engine.connect() as connection:\n        context.configure(connection=connection, transaction_per_migration=True)\n        with context.begin_transaction():\n            context.run_migrations()\n",
    )
    .unwrap();
    std::fs::write(py.join("script.py.mako"), "").unwrap();
    for entry in std::fs::read_dir(fx.versions()).unwrap() {
        let path = entry.unwrap().path();
        let s = Script::load(&path).unwrap();
        let stmts = |dir: Direction, engine: Engine| -> Vec<String> {
            s.section(dir, engine)
                .map(|sec| {
                    s.statements(sec, engine)
                        .unwrap()
                        .into_iter()
                        .map(|st| st.sql.to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let table = |dir: Direction| {
            format!(
                "{{'sqlite': {:?}, 'postgresql': {:?}}}",
                stmts(dir, Engine::Sqlite),
                stmts(dir, Engine::Postgresql)
            )
        };
        let down = if s.down.is_empty() {
            "None".to_string()
        } else {
            format!(
                "({},)",
                s.down
                    .iter()
                    .map(|d| format!("'{d}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let labels = if s.branch_labels.is_empty() {
            "None".to_string()
        } else {
            format!("{:?}", s.branch_labels)
        };
        let deps = if s.depends_on.is_empty() {
            "None".to_string()
        } else {
            format!("{:?}", s.depends_on)
        };
        let text = format!(
            "\"\"\"{msg}\n\nRevision ID: {id}\n\"\"\"\nfrom alembic import op\n\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = {labels}\ndepends_on = {deps}\nUP = {up}\nDOWN = {dn}\n\ndef upgrade():\n    for s in UP[op.get_bind().dialect.name]:\n        op.execute(s)\n\ndef downgrade():\n    for s in DOWN[op.get_bind().dialect.name]:\n        op.execute(s)\n",
            msg = s.message(),
            id = s.id,
            up = table(Direction::Up),
            dn = table(Direction::Down),
        );
        std::fs::write(py.join("versions").join(format!("{}.py", s.id)), text).unwrap();
    }
    py
}

/// The SQLAlchemy URL of the fixture's database, with the driver the test virtualenv has.
pub(crate) fn sqlalchemy_url(fx: &Fixture) -> String {
    match fx.kind {
        Kind::Sqlite => fx.url.clone(),
        Kind::Postgres => fx
            .url
            .replacen("postgresql://", "postgresql+psycopg2://", 1),
    }
}

/// Runs Alembic and returns what it printed.
fn alembic_output(fx: &Fixture, bin: &Path, py: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin)
        .current_dir(py)
        .env("ALEMBIC_TEST_URL", sqlalchemy_url(fx))
        .args(["-c", "alembic.ini"])
        .args(args)
        .output()
        .unwrap()
}

/// Runs Alembic; Ok(stdout) or Err(its FAILED message).
fn try_alembic(fx: &Fixture, bin: &Path, py: &Path, args: &[&str]) -> Result<String, String> {
    let out = alembic_output(fx, bin, py, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let failed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FAILED: "))
        .map(str::to_string);
    Err(failed.unwrap_or_else(|| format!("{stdout}{}", String::from_utf8_lossy(&out.stderr))))
}

fn alembic(fx: &Fixture, bin: &Path, py: &Path, args: &[&str]) -> String {
    try_alembic(fx, bin, py, args).unwrap_or_else(|e| panic!("alembic {args:?} failed: {e}"))
}

fn current_set(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Both tools agree on `current`, and it matches the table.
fn agree(fx: &Fixture, bin: &Path, py: &Path, expected: &[&str]) {
    let ours = current_set(&fx.ok(&["current"]).stdout);
    let theirs = current_set(&alembic(fx, bin, py, &["current"]));
    assert_eq!(
        ours, theirs,
        "db-migrate current and alembic current disagree"
    );
    assert_eq!(ours, expected);
    assert_eq!(fx.heads(), expected);
}

both!(alembic_and_dbkit_hand_one_database_back_and_forth, |fx| {
    let Some(bin) = alembic_bin() else { return };
    let ids = fx.chain(4);
    let py = python_project(fx);
    alembic(fx, &bin, &py, &["upgrade", "r2"]);
    agree(fx, &bin, &py, &["r2"]);
    fx.ok(&["upgrade", "head"]);
    agree(fx, &bin, &py, &["r4"]);
    assert!(fx.table_exists("t4"));
    alembic(fx, &bin, &py, &["downgrade", "r1"]);
    agree(fx, &bin, &py, &["r1"]);
    assert!(!fx.table_exists("t2"));
    fx.ok(&["downgrade", "base"]);
    agree(fx, &bin, &py, &[]);
    alembic(fx, &bin, &py, &["upgrade", "head"]);
    agree(fx, &bin, &py, &[ids[3].as_str()]);
    fx.ok(&["downgrade", "-2"]);
    agree(fx, &bin, &py, &["r2"]);
});

/// A graph with two branches, a merge, a branch label and a dependency.
fn branchy(fx: &Fixture) {
    fx.revision(
        "aaaa01",
        &[],
        "CREATE TABLE a1 (id INTEGER);",
        Some("DROP TABLE a1;"),
    );
    fx.revision(
        "bbbb02",
        &["aaaa01"],
        "CREATE TABLE b2 (id INTEGER);",
        Some("DROP TABLE b2;"),
    );
    fx.revision_with(
        "cccc03",
        &["bbbb02"],
        "-- Branch Labels: feature\n",
        "CREATE TABLE c3 (id INTEGER);",
        Some("DROP TABLE c3;"),
    );
    fx.revision(
        "cccc04",
        &["cccc03"],
        "CREATE TABLE c4 (id INTEGER);",
        Some("DROP TABLE c4;"),
    );
    // The dependency is named by ffff07's branch label.
    fx.revision_with(
        "dddd05",
        &["bbbb02"],
        "-- Depends On: lib\n",
        "CREATE TABLE d5 (id INTEGER);",
        Some("DROP TABLE d5;"),
    );
    fx.revision(
        "eeee06",
        &["cccc04", "dddd05"],
        "CREATE TABLE e6 (id INTEGER);",
        Some("DROP TABLE e6;"),
    );
    fx.revision_with(
        "ffff07",
        &[],
        "-- Branch Labels: lib\n",
        "CREATE TABLE f7 (id INTEGER);",
        Some("DROP TABLE f7;"),
    );
}

// Every form of the revision grammar gives the same version table under both tools.
both!(
    the_revision_grammar_matches_alembic_on_a_branchy_graph,
    |fx| {
        let Some(bin) = alembic_bin() else { return };
        branchy(fx);
        let py = python_project(fx);
        // (steps: (tool, verb, target)...) each run from an empty database; both tools must end at the same rows.
        let scenarios: &[&[(&str, &str)]] = &[
            &[("upgrade", "heads")],
            &[("upgrade", "bbbb02")],
            &[("upgrade", "feature@head")],
            &[("upgrade", "dddd")],
            &[("upgrade", "lib@head")],
            &[("upgrade", "aaaa01+1")],
            &[("upgrade", "aaaa01"), ("upgrade", "+1")],
            &[("upgrade", "bbbb02"), ("upgrade", "+1")],
            &[("upgrade", "head")],
            &[("upgrade", "cccc")],
            &[("upgrade", "heads"), ("downgrade", "-3")],
            &[("upgrade", "heads"), ("upgrade", "nope99")],
            &[("upgrade", "heads"), ("downgrade", "-1")],
            &[("upgrade", "heads"), ("downgrade", "feature@bbbb02")],
            &[("upgrade", "heads"), ("downgrade", "bbbb02")],
            &[("upgrade", "heads"), ("downgrade", "lib@base")],
            &[
                ("upgrade", "feature@head"),
                ("upgrade", "dddd05"),
                ("downgrade", "feature@-1"),
            ],
            &[("upgrade", "heads"), ("downgrade", "base")],
            &[("upgrade", "cccc04"), ("upgrade", "ffff07")],
            // A partial id may be one character when it is unique.
            &[("upgrade", "a")],
            &[("upgrade", "c")],
            // Relative targets past either end of the graph.
            &[("upgrade", "heads"), ("downgrade", "eeee06+1")],
            &[("upgrade", "heads"), ("downgrade", "aaaa01-2")],
            &[("upgrade", "bbbb02"), ("upgrade", "cccc04+1")],
        ];
        for steps in scenarios {
            let reset = |fx: &Fixture| {
                fx.ok(&["stamp", "--purge", "base"]);
                let mut c = fx.connect();
                for t in ["a1", "b2", "c3", "c4", "d5", "e6", "f7"] {
                    c.batch(&format!("DROP TABLE IF EXISTS {t}")).unwrap();
                }
            };
            // Both tools stop at the same step with the same message, or end at the same rows and tables.
            reset(fx);
            let mut their_error = None;
            for (verb, target) in steps.iter() {
                if let Err(e) = try_alembic(fx, &bin, &py, &[verb, target]) {
                    their_error = Some(e);
                    break;
                }
            }
            let theirs = fx.heads();
            let their_tables = fx.tables();
            reset(fx);
            let mut our_error = None;
            for (verb, target) in steps.iter() {
                let r = fx.run(&[verb, target]);
                if r.code != 0 {
                    our_error = r
                        .stderr
                        .lines()
                        .find_map(|l| l.strip_prefix("FAILED: "))
                        .map(str::to_string);
                    break;
                }
            }
            // dbkit may add detail after the familiar wording, never change it.
            match (&our_error, &their_error) {
                (Some(ours), Some(theirs)) => assert!(
                    ours.starts_with(theirs.as_str()),
                    "after {steps:?}: {ours:?} vs {theirs:?}"
                ),
                _ => assert_eq!(our_error, their_error, "after {steps:?}"),
            }
            assert_eq!(fx.heads(), theirs, "after {steps:?}");
            assert_eq!(fx.tables(), their_tables, "after {steps:?}");
        }
    }
);

// What the listings print, offline SQL with nothing to do, and the errors of relative targets, against Alembic.
both!(
    listings_offline_sql_and_relative_targets_match_alembic,
    |fx| {
        let Some(bin) = alembic_bin() else { return };
        branchy(fx);
        let py = python_project(fx);
        // A dependency given as a branch label prints as the label.
        let ours = fx.ok(&["history"]).stdout;
        assert_eq!(ours, alembic(fx, &bin, &py, &["history"]));
        assert!(ours.contains("bbbb02 (lib) -> dddd05"), "{ours}");
        // The verbose entry marks an effective head as a head; the paths differ (.sql and .py), the lines before do not.
        let until_path = |text: &str| {
            text.lines()
                .take_while(|l| !l.starts_with("Path:"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for rev in ["ffff07", "dddd05"] {
            let ours = fx.ok(&["show", rev]).stdout;
            assert_eq!(
                until_path(&ours),
                until_path(&alembic(fx, &bin, &py, &["show", rev]))
            );
        }
        assert!(fx
            .ok(&["show", "ffff07"])
            .stdout
            .starts_with("Rev: ffff07 (head)\n"));
        assert!(fx
            .ok(&["show", "dddd05"])
            .stdout
            .contains("Also depends on: lib\n"));

        // Offline SQL with no step prints nothing, not even the version table; with a step, both create it.
        for args in [
            &["upgrade", "base", "--sql"][..],
            &["stamp", "base", "--sql"],
        ] {
            assert_eq!(alembic(fx, &bin, &py, args), "", "alembic {args:?}");
            assert_eq!(fx.ok(args).stdout, "", "db-migrate {args:?}");
        }
        let create = "CREATE TABLE alembic_version";
        assert!(alembic(fx, &bin, &py, &["upgrade", "aaaa01", "--sql"]).contains(create));
        assert!(fx
            .ok(&["upgrade", "aaaa01", "--sql"])
            .stdout
            .contains(create));

        // `downgrade -1` from two rows: Alembic warns that it is ambiguous and guesses; dbkit refuses with the same
        // words, names the heads, and changes nothing.
        fx.ok(&["upgrade", "cccc04"]);
        fx.ok(&["upgrade", "ffff07"]);
        assert_eq!(fx.heads(), ["cccc04", "ffff07"]);
        let r = fx.fails(&["downgrade", "-1"]);
        assert_eq!(r.code, 1);
        assert!(
        r.stderr.contains("FAILED: downgrade -1 from multiple heads is ambiguous; name the head to walk down from: 'cccc04@-1' or 'ffff07@-1'"),
        "{}",
        r.stderr
    );
        assert_eq!(fx.heads(), ["cccc04", "ffff07"]);
        assert!(fx.table_exists("c4") && fx.table_exists("f7"));
        let theirs = alembic_output(fx, &bin, &py, &["downgrade", "-1"]);
        assert!(theirs.status.success());
        assert!(
            String::from_utf8_lossy(&theirs.stderr)
                .contains("downgrade -1 from multiple heads is ambiguous"),
            "{}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        // Naming the head walks down that branch in both tools.
        fx.ok(&["stamp", "--purge", "cccc04", "ffff07"]);
        fx.ok(&["downgrade", "ffff07@-1"]);
        assert_eq!(fx.heads(), ["cccc04"]);
        assert!(!fx.table_exists("f7"));

        // Walking past a head in a downgrade: Alembic's words, then what to write instead.
        fx.ok(&["upgrade", "heads"]);
        let ours = fx.fails(&["downgrade", "eeee06+1"]).stderr;
        let theirs = try_alembic(fx, &bin, &py, &["downgrade", "eeee06+1"]).unwrap_err();
        assert_eq!(theirs, "Walked too far");
        assert!(
        ours.contains("FAILED: Walked too far: 'eeee06+1' counts up, past the head of its branch; a relative downgrade target counts down, e.g. 'eeee06-1'"),
        "{ours}"
    );
        let ours = fx.fails(&["downgrade", "aaaa01-2"]).stderr;
        assert!(
            ours.contains("FAILED: Walked too far: 'aaaa01-2' goes down past base"),
            "{ours}"
        );
        assert_eq!(fx.heads(), ["eeee06"]);
    }
);

// `show -N` counts down from every head, as Alembic's show does, without reading the database.
both!(show_counts_down_from_every_head_like_alembic, |fx| {
    let Some(bin) = alembic_bin() else { return };
    fx.revision("x1", &[], "SELECT 1;", None);
    fx.revision("x2a", &["x1"], "SELECT 1;", None);
    fx.revision("x2b", &["x1"], "SELECT 1;", None);
    fx.revision("x3a", &["x2a"], "SELECT 1;", None);
    let py = python_project(fx);
    let revs = |text: &str| {
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("Rev: "))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let ours = revs(&fx.ok(&["show", "-1"]).stdout);
    assert_eq!(ours, ["Rev: x1 (branchpoint)", "Rev: x2a"]);
    assert_eq!(ours, revs(&alembic(fx, &bin, &py, &["show", "-1"])));
    // Where Alembic's show fails on reaching base, dbkit shows what is left, then says it walked too far.
    assert_eq!(
        revs(&fx.ok(&["show", "-2"]).stdout),
        ["Rev: x1 (branchpoint)"]
    );
    let r = fx.fails(&["show", "-3"]);
    assert!(
        r.stderr
            .contains("FAILED: Walked too far: '-3' goes down past base"),
        "{}",
        r.stderr
    );
    assert!(
        !fx.table_exists("alembic_version"),
        "show reads no database"
    );
});

// `downgrade head+1` walks up past the head: Alembic's words, then what a downgrade target looks like.
both!(a_downgrade_that_counts_up_says_to_count_down, |fx| {
    let Some(bin) = alembic_bin() else { return };
    fx.chain(3);
    let py = python_project(fx);
    fx.ok(&["upgrade", "head"]);
    let theirs = try_alembic(fx, &bin, &py, &["downgrade", "head+1"]).unwrap_err();
    assert_eq!(theirs, "Walked too far");
    let r = fx.fails(&["downgrade", "head+1"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "FAILED: Walked too far: 'head+1' counts up, past the head of its branch; \
             a relative downgrade target counts down, e.g. 'head-1'"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), ["r3"]);
    assert!(fx.table_exists("t3"));
    // Counting up to the head itself is no walk too far: nothing to do, in both tools.
    fx.ok(&["downgrade", "r2+1"]);
    alembic(fx, &bin, &py, &["downgrade", "r2+1"]);
    assert_eq!(fx.heads(), ["r3"]);
});

// `base-N` counts down from base, where there is nothing. Alembic walks down from above the heads instead, so to it
// `base-1` is the head: `upgrade base-1` upgrades to the head. dbkit refuses with Alembic's words for a walk off the
// graph and changes nothing; counting up from base agrees.
both!(a_count_down_from_base_walks_too_far, |fx| {
    let Some(bin) = alembic_bin() else { return };
    fx.chain(2);
    let py = python_project(fx);
    fx.ok(&["upgrade", "r1"]);
    alembic(fx, &bin, &py, &["upgrade", "base-1"]);
    assert_eq!(fx.heads(), ["r2"], "Alembic takes base-1 for the head");
    fx.ok(&["downgrade", "r1"]);
    for verb in ["upgrade", "downgrade"] {
        for target in ["base-1", "base-2"] {
            let r = fx.fails(&[verb, target]);
            assert_eq!(r.code, 1);
            assert!(
                r.stderr.contains(&format!(
                    "FAILED: Walked too far: '{target}' goes down past base"
                )),
                "{verb} {target}: {}",
                r.stderr
            );
            assert_eq!(fx.heads(), ["r1"]);
            assert!(fx.table_exists("t1") && !fx.table_exists("t2"));
        }
    }
    fx.ok(&["upgrade", "base+2"]);
    assert_eq!(fx.heads(), ["r2"]);
    alembic(fx, &bin, &py, &["downgrade", "base+1"]);
    assert_eq!(fx.heads(), ["r1"]);
});

/// The `Revises` of the merge revision `id` written by dbkit, and the `down_revision` of Alembic's, as sorted ids.
fn merge_parents(fx: &Fixture, py: &Path, id: &str) -> (Vec<String>, Vec<String>) {
    let find = |dir: &Path, prefix: &str| -> Vec<String> {
        let file = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().contains(id))
            .unwrap_or_else(|| panic!("no {id} in {}", dir.display()));
        let text = std::fs::read_to_string(&file).unwrap();
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{text}"));
        let mut ids: Vec<String> = line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        ids.sort();
        ids
    };
    (
        find(&fx.versions(), "-- Revises: "),
        find(&py.join("versions"), "down_revision = "),
    )
}

// A labelled revision another depends on is an effective head: `merge heads` leaves it out, so `upgrade head` still
// finds two heads, in both tools; merging it in by name needs no --splice in either, and then `upgrade head` works.
both!(merging_an_effective_head_matches_alembic, |fx| {
    let Some(bin) = alembic_bin() else { return };
    let table = |t: &str| format!("CREATE TABLE {t} (id INTEGER);");
    let drop = |t: &str| format!("DROP TABLE {t};");
    fx.revision("aaa111", &[], &table("a1"), Some(&drop("a1")));
    fx.revision_with(
        "bbb222",
        &[],
        "-- Branch Labels: lib\n",
        &table("b2"),
        Some(&drop("b2")),
    );
    fx.revision_with(
        "ccc333",
        &["aaa111"],
        "-- Depends On: bbb222\n",
        &table("c3"),
        Some(&drop("c3")),
    );
    fx.revision("ddd444", &[], &table("d4"), Some(&drop("d4")));
    let py = python_project(fx);
    std::fs::write(
        py.join("script.py.mako"),
        "revision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\nbranch_labels = None\n\
         depends_on = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n",
    )
    .unwrap();

    let merge = |args: &[&str]| {
        fx.ok(&[&["merge", "-m", "join"], args].concat());
        alembic(fx, &bin, &py, &[&["merge", "-m", "join"], args].concat());
    };
    merge(&["heads", "--rev-id", "eee555"]);
    let (ours, theirs) = merge_parents(fx, &py, "eee555");
    assert_eq!(ours, theirs);
    assert_eq!(ours, ["ccc333", "ddd444"]);
    let theirs = try_alembic(fx, &bin, &py, &["upgrade", "head"]).unwrap_err();
    assert!(
        theirs.starts_with("Multiple head revisions are present"),
        "{theirs}"
    );
    let r = fx.fails(&["upgrade", "head"]);
    assert!(
        r.stderr.contains(&format!("FAILED: {theirs}")),
        "{}",
        r.stderr
    );
    assert!(!fx.table_exists("a1"));

    merge(&["bbb222", "eee555", "--rev-id", "fff666"]);
    let (ours, theirs) = merge_parents(fx, &py, "fff666");
    assert_eq!(ours, theirs);
    alembic(fx, &bin, &py, &["upgrade", "head"]);
    let (their_heads, their_tables) = (fx.heads(), fx.tables());
    assert_eq!(their_heads, ["fff666"]);
    alembic(fx, &bin, &py, &["downgrade", "base"]);
    assert!(fx.heads().is_empty() && !fx.table_exists("a1"));
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), their_heads);
    assert_eq!(fx.tables(), their_tables);
});
