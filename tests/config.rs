//! Where settings come from, through the binary: flags, the environment, `.env`, the ini file, in that order.

use std::path::Path;

use crate::both;
use crate::util::*;

/// A project whose ini file names `ini.db`, with one revision.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("alembic/versions")).unwrap();
    std::fs::write(
        dir.path().join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/alembic\nsqlalchemy.url = sqlite:///ini.db\n\n[other]\nscript_location = %(here)s/alembic\nsqlalchemy.url = sqlite:///section.db\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("alembic/versions/r1.sql"),
        "-- one\n-- Revision ID: r1\n-- Revises:\n\n-- migrate:up\nCREATE TABLE t1 (id INTEGER);\n-- migrate:down\nDROP TABLE t1;\n",
    )
    .unwrap();
    dir
}

/// Which of the candidate database files an upgrade created.
fn created(dir: &Path, candidates: &[&str]) -> Vec<String> {
    candidates
        .iter()
        .filter(|f| dir.join(f).exists())
        .map(|f| f.to_string())
        .collect()
}

const ALL: &[&str] = &[
    "ini.db",
    "section.db",
    "dotenv.db",
    "custom.db",
    "env.db",
    "flag.db",
];

fn upgrade(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = bare_cmd(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    Run::from(c.args(args).args(["upgrade", "head"]).output().unwrap())
        .succeeded("db-migrate upgrade")
}

#[test]
fn the_url_comes_from_the_flag_then_the_environment_then_dotenv_then_the_ini_file() {
    let dir = project();
    let d = dir.path();
    upgrade(d, &[], &[]);
    assert_eq!(created(d, ALL), vec!["ini.db"]);

    std::fs::write(d.join(".env"), "DATABASE_URL=sqlite:///dotenv.db\n").unwrap();
    upgrade(d, &[], &[]);
    assert_eq!(
        created(d, ALL),
        vec!["ini.db", "dotenv.db"],
        ".env wins over the ini file"
    );

    upgrade(d, &[], &[("DATABASE_URL", "sqlite:///env.db")]);
    assert_eq!(
        created(d, ALL),
        vec!["ini.db", "dotenv.db", "env.db"],
        "the real environment wins over .env"
    );

    upgrade(
        d,
        &["--url", "sqlite:///flag.db"],
        &[("DATABASE_URL", "sqlite:///env.db")],
    );
    assert!(d.join("flag.db").exists(), "--url wins over everything");

    std::fs::write(
        d.join("custom.env"),
        "DATABASE__URL=sqlite+aiosqlite:///custom.db\n",
    )
    .unwrap();
    upgrade(d, &["--env-file", "custom.env"], &[]);
    assert!(d.join("custom.db").exists(), "--env-file replaces .env");

    let r =
        run_in(d, &["--env-file", "missing.env", "current"]).failed_once("a missing --env-file");
    assert!(r.stderr.contains("missing.env"), "{}", r.stderr);
}

#[test]
fn the_ini_file_comes_from_the_flag_then_alembic_config_and_its_section_from_name() {
    let dir = project();
    let d = dir.path();
    // Move the ini file where the defaults do not look.
    std::fs::create_dir_all(d.join("conf")).unwrap();
    let text = std::fs::read_to_string(d.join("alembic.ini"))
        .unwrap()
        .replace("%(here)s/alembic", "%(here)s/../alembic");
    std::fs::write(d.join("conf/db.ini"), text).unwrap();
    std::fs::remove_file(d.join("alembic.ini")).unwrap();

    upgrade(d, &[], &[("ALEMBIC_CONFIG", "conf/db.ini")]);
    assert_eq!(created(d, ALL), vec!["ini.db"]);
    upgrade(d, &["-c", "conf/db.ini", "-n", "other"], &[]);
    assert_eq!(created(d, ALL), vec!["ini.db", "section.db"]);

    let r =
        run_in(d, &["-c", "conf/db.ini", "-n", "nope", "heads"]).failed_once("an unknown section");
    assert!(r.stderr.contains("no [nope] section"), "{}", r.stderr);
    let r = run_in(d, &["-c", "conf/missing.ini", "heads"]).failed_once("a missing ini file");
    assert!(r.stderr.contains("conf/missing.ini"), "{}", r.stderr);
}

#[test]
fn database_components_build_the_postgresql_url() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    fx.chain(1);
    let url: dbkit::DatabaseUrl = fx.url.parse().unwrap();
    let dbkit::DatabaseUrl::Postgres(pg) = url else {
        unreachable!("a PostgreSQL fixture")
    };
    let mut c = bare_cmd(fx.path());
    c.env("DATABASE_HOST", "127.0.0.1")
        .env("DATABASE_PORT", pg.ports()[0].to_string())
        .env("DATABASE_NAME", pg.dbname())
        .env("DATABASE_USER", pg.user());
    if let Some(password) = pg.password() {
        c.env("DATABASE_PASSWORD", password);
    }
    Run::from(c.args(["upgrade", "head"]).output().unwrap())
        .succeeded("upgrade from the components");
    assert_eq!(fx.heads(), vec!["r1"]);
}

#[test]
fn several_version_locations_need_a_version_path_for_a_first_revision() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["a/versions", "b/versions"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::fs::write(
        d.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/a\nversion_locations =\n    %(here)s/a/versions\n    %(here)s/b/versions\nsqlalchemy.url = sqlite:///app.db\n",
    )
    .unwrap();
    let r = run_in(d, &["revision", "-m", "first"]).failed_once("revision without --version-path");
    assert!(
        r.stderr
            .contains("Multiple version locations present, please specify --version-path"),
        "{}",
        r.stderr
    );
    run_in(
        d,
        &[
            "revision",
            "-m",
            "first",
            "--rev-id",
            "f1",
            "--version-path",
            "b/versions",
        ],
    )
    .succeeded("revision");
    assert_eq!(std::fs::read_dir(d.join("b/versions")).unwrap().count(), 1);
    // The next one goes beside the revision it is based on.
    run_in(d, &["revision", "-m", "second", "--rev-id", "s2"]).succeeded("revision");
    assert_eq!(std::fs::read_dir(d.join("b/versions")).unwrap().count(), 2);
    run_in(d, &["upgrade", "head"]).succeeded("upgrade");
    assert_eq!(run_in(d, &["current"]).stdout, "s2 (head)\n");
}

#[test]
fn heads_history_and_show_speak_json() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.chain(2);
    fx.ok(&["upgrade", "r1"]);
    let json =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&fx.ok(args).stdout).unwrap() };
    assert_eq!(json(&["heads", "--json"])[0]["revision"], "r2");
    let history = json(&["history", "-i", "--json"]);
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["revision"], "r1");
    assert_eq!(history[1]["is_current"], true);
    let show = json(&["show", "r2", "--json"]);
    assert_eq!(show[0]["down_revisions"], serde_json::json!(["r1"]));
    assert_eq!(show[0]["message"], "revision r2");
}

#[test]
fn an_ini_file_that_expands_exponentially_fails_with_a_message() {
    let dir = project();
    let d = dir.path();
    // Nine keys that each repeat the one before eight times: a gigabyte if expanded.
    let mut ini = String::from("[alembic]\nk0 = xxxxxxxx\n");
    for i in 1..=9 {
        ini.push_str(&format!("k{i} = {}\n", format!("%(k{})s", i - 1).repeat(8)));
    }
    ini.push_str("script_location = %(k9)s\n");
    std::fs::write(d.join("alembic.ini"), ini).unwrap();
    let r = run_in(d, &["heads"]);
    // Checked first: before the bound the process aborted, or printed the whole expansion.
    assert!(r.stderr.len() < 1000, "{} bytes of stderr", r.stderr.len());
    let r = r.failed_once("an exponential ini file");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "interpolation in 'script_location' in section 'alembic' grows past 1048576 bytes"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_url_is_an_error_not_the_next_source() {
    let dir = project();
    let d = dir.path();
    let r = run_in(d, &["--url", "", "upgrade", "head"]).failed_once("--url ''");
    assert!(
        r.stderr.contains("database URL is empty") && r.stderr.contains("came from --url"),
        "{}",
        r.stderr
    );
    for name in ["DATABASE_URL", "DATABASE__URL"] {
        let out = bare_cmd(d)
            .env(name, "")
            .args(["upgrade", "head"])
            .output()
            .unwrap();
        let r = Run::from(out).failed_once(name);
        assert!(
            r.stderr.contains(&format!("came from {name}")),
            "{}",
            r.stderr
        );
    }
    // The same in .env.
    std::fs::write(d.join(".env"), "DATABASE_URL=\n").unwrap();
    run_in(d, &["upgrade", "head"]).failed_once("DATABASE_URL= in .env");
    std::fs::remove_file(d.join(".env")).unwrap();

    let r = run_in(d, &["--url", "sqlite:///", "upgrade", "head"]).failed_once("sqlite:///");
    assert!(r.stderr.contains("the path is empty"), "{}", r.stderr);
    assert_eq!(
        created(d, ALL),
        Vec::<String>::new(),
        "nothing was migrated"
    );
    assert!(!d.join("data").exists());
    // Commands that read only the revision files still work.
    run_in(d, &["--url", "", "heads"]).succeeded("heads with an empty --url");
}

#[test]
fn no_part_of_a_password_with_an_unencoded_slash_question_mark_or_hash_is_shown() {
    let dir = project();
    let d = dir.path();
    for sep in ["/", "?", "#"] {
        let url = format!("postgresql://app:hunter{sep}2pass@127.0.0.1:5432/app");
        let r = run_in(d, &["--url", &url, "current"]).failed_once(&url);
        assert!(
            !r.stderr.contains("hunter") && !r.stderr.contains("2pass"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("holds an unencoded '{sep}'")),
            "{}",
            r.stderr
        );
    }
    // No '@' at all: the password stands where the port goes.
    let r = run_in(d, &["--url", "postgresql://app:hunter2/app", "current"]).failed_once("no @");
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
}

/// Each binary with a verb that reads the settings.
const BINARIES: [(&str, &[&str]); 3] = [
    (BIN, &["current"]),
    (env!("CARGO_BIN_EXE_db-init"), &[]),
    (env!("CARGO_BIN_EXE_db-backup"), &["list"]),
];

#[test]
fn an_env_file_that_does_not_parse_is_named_by_file_and_line_never_shown() {
    let dir = project();
    let d = dir.path();
    let text = "DATABASE_URL=postgresql://app:hunter2@db/app\nPASSWORD=\"hunter3\nNEXT=1\n";
    std::fs::write(d.join(".env"), text).unwrap();
    std::fs::write(d.join("custom.env"), text).unwrap();
    for (program, verb) in BINARIES {
        let r = Run::from(program_in(program, d).args(verb).output().unwrap()).failed_once(program);
        assert!(
            r.stderr.contains("'.env' line 2: expected KEY=value"),
            "{program}: {}",
            r.stderr
        );
        let r = Run::from(
            program_in(program, d)
                .args(["--env-file", "custom.env"])
                .args(verb)
                .output()
                .unwrap(),
        )
        .failed_once(program);
        assert!(
            r.stderr.contains("'custom.env' line 2"),
            "{program}: {}",
            r.stderr
        );
        for secret in ["hunter2", "hunter3"] {
            assert!(!r.stderr.contains(secret), "{program}: {}", r.stderr);
        }
    }
    assert!(!d.join("data").exists() && !d.join("backups").exists());
}

both!(
    a_bad_version_table_name_fails_before_anything_is_created,
    |fx| {
        fx.chain(1);
        let base = std::fs::read_to_string(fx.path().join("alembic.ini")).unwrap();
        let long = "v".repeat(64);
        for (setting, expected) in [
        (
            "history_table = alembic_version".to_string(),
            "history_table 'alembic_version' is also the version table",
        ),
        (
            "version_table = pg_class".to_string(),
            "version_table 'pg_class' starts with 'pg_'",
        ),
        (
            "version_table = sqlite_versions".to_string(),
            "version_table 'sqlite_versions' starts with 'sqlite_'",
        ),
        (
            format!("version_table = {long}"),
            "is 64 bytes long; names are limited to 63",
        ),
        (
            format!("version_table = {}", "v".repeat(60)),
            "history_table 'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv_history' is 68 bytes long",
        ),
    ] {
        std::fs::write(fx.path().join("alembic.ini"), format!("{base}{setting}\n")).unwrap();
        for verb in [&["upgrade", "head"][..], &["stamp", "head"], &["ensure_version"]] {
            let r = fx.fails(verb);
            assert!(r.stderr.contains(expected), "{setting}: {}", r.stderr);
        }
        assert_eq!(fx.tables(), Vec::<String>::new(), "{setting}");
    }
    }
);

const NOTE: &str = "note: no database URL is set";

/// Files and directories under `dir`, besides the revision files.
fn contents(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "alembic")
        .collect();
    names.sort();
    names
}

#[test]
fn a_read_command_on_a_missing_sqlite_file_fails_and_creates_nothing() {
    let dir = project();
    let d = dir.path();
    // No ini file: the URL is the built-in default, as in a run from the wrong directory.
    std::fs::rename(d.join("alembic.ini"), d.join("elsewhere.ini")).unwrap();
    let reads: [&[&str]; 5] = [
        &["current"],
        &["current", "--check-heads"],
        &["history", "-i"],
        &["validate"],
        &["show", "current"],
    ];
    for args in reads {
        let r = run_in(d, args).failed_once(&format!("{args:?}"));
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains(&format!(
                "no SQLite database at 'data/app.db' ({}); 'db-migrate upgrade' or 'db-init' creates it",
                d.join("data/app.db").display()
            )),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.matches(NOTE).count(), 1, "{}", r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert_eq!(contents(d), ["elsewhere.ini"], "{args:?} created something");
    }
    // A URL that is not the default gets no note; the files only commands need no database.
    let r = run_in(d, &["--url", "sqlite:///sub/x.db", "current"]).failed_once("--url");
    assert!(r.stderr.contains("no SQLite database at 'sub/x.db'") && !r.stderr.contains(NOTE));
    let r = run_in(d, &["heads"]).succeeded("heads");
    assert!(!r.stderr.contains(NOTE), "{}", r.stderr);
    // db-backup on a missing file: an error, and still nothing created.
    let r = Run::from(
        program_in(env!("CARGO_BIN_EXE_db-backup"), d)
            .output()
            .unwrap(),
    )
    .failed_once("db-backup");
    assert_eq!(r.stderr.matches(NOTE).count(), 1, "{}", r.stderr);
    assert_eq!(contents(d), ["elsewhere.ini"]);

    // The commands that write create the file.
    let r = run_in(d, &["upgrade", "head"]).succeeded("upgrade");
    assert_eq!(r.stderr.matches(NOTE).count(), 1, "{}", r.stderr);
    assert!(d.join("data/app.db").is_file());
    assert_eq!(
        run_in(d, &["current"]).succeeded("current").stdout,
        "r1 (head)\n"
    );
    for (args, file) in [
        (&["--url", "sqlite:///s.db", "stamp", "head"][..], "s.db"),
        (&["--url", "sqlite:///e.db", "ensure_version"], "e.db"),
    ] {
        run_in(d, args).succeeded(&format!("{args:?}"));
        assert!(d.join(file).is_file(), "{args:?}");
    }
    Run::from(
        program_in(env!("CARGO_BIN_EXE_db-init"), d)
            .args(["--url", "sqlite:///i.db"])
            .output()
            .unwrap(),
    )
    .succeeded("db-init");
    assert!(d.join("i.db").is_file());
}

#[test]
fn a_downgrade_on_a_missing_sqlite_file_fails_and_creates_nothing() {
    let dir = project();
    let d = dir.path();
    for target in ["base", "-1"] {
        let r = run_in(d, &["downgrade", target]).failed_once("downgrade");
        assert!(
            r.stderr.contains("no SQLite database at 'ini.db'"),
            "{}",
            r.stderr
        );
        assert_eq!(contents(d), ["alembic.ini"], "downgrade {target}");
    }
}
