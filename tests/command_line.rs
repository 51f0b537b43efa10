//! The command line of the three binaries: global options before or after the verb, usage errors, help.

use crate::both;
use crate::util::*;

const INIT: &str = env!("CARGO_BIN_EXE_db-init");
const BACKUP: &str = env!("CARGO_BIN_EXE_db-backup");

fn run(program: &str, dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(program_in(program, dir).args(args).output().unwrap())
}

/// A project whose only ini file is `conf/db.ini`, with the database in section `[other]`.
fn project() -> tempfile::TempDir {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf")).unwrap();
    std::fs::create_dir_all(dir.path().join("alembic")).unwrap();
    std::fs::rename(fx.versions(), dir.path().join("alembic/versions")).unwrap();
    std::fs::write(
        dir.path().join("conf/db.ini"),
        "[alembic]\nscript_location = %(here)s/../alembic\nsqlalchemy.url = sqlite:///wrong.db\n\n\
         [other]\nscript_location = %(here)s/../alembic\nsqlalchemy.url = sqlite:///app.db\n",
    )
    .unwrap();
    dir
}

#[test]
fn global_options_work_before_or_after_the_verb_in_every_binary() {
    let dir = project();
    let d = dir.path();
    let options = ["-c", "conf/db.ini", "-n", "other", "-q"];
    let r = run(BIN, d, &[&["upgrade", "r1"][..], &options].concat()).succeeded("upgrade");
    assert!(r.stderr.is_empty(), "-q after the verb: {}", r.stderr);
    let r = run(BIN, d, &[&["current"][..], &options].concat()).succeeded("current -c");
    assert_eq!(r.stdout, "r1\n");
    let r = run(BIN, d, &[&options[..], &["current"]].concat()).succeeded("-c current");
    assert_eq!(r.stdout, "r1\n");
    // Mixed: some before, some after; --url and --env-file too.
    std::fs::write(d.join("conf/app.env"), "DATABASE_URL=sqlite:///app.db\n").unwrap();
    let r = run(
        BIN,
        d,
        &[
            "-c",
            "conf/db.ini",
            "current",
            "--env-file",
            "conf/app.env",
            "-q",
        ],
    )
    .succeeded("--env-file after the verb");
    assert_eq!(r.stdout, "r1\n");
    let r = run(
        BIN,
        d,
        &["-c", "conf/db.ini", "current", "-u", "sqlite:///app.db"],
    )
    .succeeded("-u after the verb");
    assert_eq!(r.stdout, "r1\n");
    assert!(!d.join("wrong.db").exists());

    let r = run(INIT, d, &options).succeeded("db-init -c -n -q");
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(r.stdout.contains("revision:   r1"), "{}", r.stdout);
    let r = run(BACKUP, d, &[&["create"][..], &options].concat()).succeeded("backup create -c");
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let r = run(BACKUP, d, &[&["list", "--json"][..], &options].concat()).succeeded("list -c");
    let listed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{}", r.stdout);
    assert!(!d.join("wrong.db").exists());
}

#[test]
fn an_unknown_flag_is_a_usage_error_not_a_revision() {
    let dir = project();
    let d = dir.path();
    for args in [
        &["-c", "conf/db.ini", "downgrade", "--verbose"][..],
        &["-c", "conf/db.ini", "upgrade", "--bogus"],
        &["-c", "conf/db.ini", "show", "--nope"],
        &["-c", "conf/db.ini", "stamp", "--nope"],
        &["-c", "conf/db.ini", "history", "-r", "--verbose"],
    ] {
        let r = run(BIN, d, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("Can't locate"), "{args:?}: {}", r.stderr);
    }
    for program in [INIT, BACKUP] {
        let r = run(program, d, &["--bogus"]);
        assert_eq!(r.code, 2, "{program}: {}", r.stderr);
    }
    assert!(!d.join("app.db").exists() && !d.join("data").exists());
}

both!(relative_revisions_still_parse_as_arguments, |fx| {
    fx.chain(3);
    fx.ok(&["upgrade", "+2"]);
    assert_eq!(fx.heads(), ["r2"]);
    fx.ok(&["downgrade", "-1"]);
    assert_eq!(fx.heads(), ["r1"]);
    fx.ok(&["upgrade", "+1", "-q"]);
    assert_eq!(fx.heads(), ["r2"]);
    let r = fx.ok(&["history", "-r-1:current"]);
    assert!(r.stdout.contains("r1 -> r2"), "{}", r.stdout);
});

#[test]
fn help_names_the_environment_the_revision_grammar_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let help = run(BIN, d, &["--help"]).succeeded("--help").stdout;
    for text in [
        "-c, --config <FILE>",
        "[env: ALEMBIC_CONFIG]",
        "[env: DATABASE_URL, DATABASE__URL, DATABASE_HOST/PORT/NAME/USER/PASSWORD]",
        "--env-file <FILE>",
        "Revisions: head",
        "+2 or -1",
        "Examples:",
        "db-migrate downgrade -1",
    ] {
        assert!(help.contains(text), "{text}:\n{help}");
    }
    let help = run(BIN, d, &["upgrade", "--help"])
        .succeeded("upgrade --help")
        .stdout;
    assert!(
        help.contains("Global options:") && help.contains("Revisions:"),
        "{help}"
    );
    for program in [INIT, BACKUP] {
        let help = run(program, d, &["--help"]).succeeded("--help").stdout;
        for text in [
            "-c, --config",
            "-n, --name",
            "-u, --url",
            "--env-file",
            "-q, --quiet",
            "DATABASE__URL",
        ] {
            assert!(help.contains(text), "{program} {text}:\n{help}");
        }
    }
    let help = run(BACKUP, d, &["--help"]).stdout;
    assert!(help.contains("[env: BACKUP_DIR]"), "{help}");
}

#[test]
fn a_missing_postgresql_database_says_db_init_creates_it() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.chain(1);
    let url = format!("{}_missing", fx.url);
    let r = run(BIN, fx.path(), &["--url", &url, "current"]).failed_once("current");
    assert!(
        r.stderr
            .contains("does not exist (3D000); 'db-init' creates it"),
        "{}",
        r.stderr
    );
}
