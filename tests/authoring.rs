use crate::util::*;

fn files(fx: &Fixture) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fx.versions())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn revision_and_create_write_files_that_parse_and_chain() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let r = fx.ok(&["revision", "-m", "Create accounts table"]);
    assert!(
        r.stdout.starts_with("Generating ") && r.stdout.ends_with("  done\n"),
        "{}",
        r.stdout
    );
    let first = files(&fx);
    assert_eq!(first.len(), 1);
    assert!(
        first[0].ends_with("_create_accounts_table.sql"),
        "{first:?}"
    );
    let text = std::fs::read_to_string(fx.versions().join(&first[0])).unwrap();
    assert!(
        text.starts_with("-- Create accounts table\n--\n-- Revision ID: "),
        "{text}"
    );
    assert!(
        text.contains("-- Revises: \n")
            && text.contains("-- migrate:up")
            && text.contains("-- migrate:down"),
        "{text}"
    );

    fx.ok(&["create", "add a column", "--no-autogenerate"]);
    let heads = fx.ok(&["heads"]).stdout;
    let history = fx.ok(&["history"]).stdout;
    assert_eq!(history.lines().count(), 2, "{history}");
    assert!(
        history.starts_with(&format!("{} -> ", &first[0][14..26])),
        "{history}"
    );
    assert!(heads.ends_with(" (head)\n"));
    fx.ok(&["upgrade", "head"]);
}

#[test]
fn rev_id_branch_labels_splice_and_merge() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.ok(&["revision", "-m", "one", "--rev-id", "one1"]);
    fx.ok(&["revision", "-m", "two", "--rev-id", "two2"]);
    let r = fx.fails(&["revision", "-m", "x", "--rev-id", "bad-id"]);
    assert!(
        r.stderr
            .contains("Character(s) '-' not allowed in revision identifier 'bad-id'"),
        "{}",
        r.stderr
    );
    let r = fx.fails(&["revision", "-m", "x", "--head", "one1"]);
    assert!(
        r.stderr
            .contains("Revision one1 is not a head revision; please specify --splice"),
        "{}",
        r.stderr
    );
    fx.ok(&[
        "revision",
        "-m",
        "side",
        "--head",
        "one1",
        "--splice",
        "--rev-id",
        "side3",
        "--branch-label",
        "side",
    ]);
    let r = fx.fails(&["revision", "-m", "x"]);
    assert!(
        r.stderr.contains("Multiple heads are present"),
        "{}",
        r.stderr
    );
    fx.ok(&[
        "revision",
        "-m",
        "more side",
        "--head",
        "side@head",
        "--rev-id",
        "side4",
    ]);
    fx.ok(&["merge", "heads", "-m", "merge it", "--rev-id", "merg5"]);
    // A label names its branch and every revision built on it, the merge included.
    assert_eq!(fx.ok(&["heads"]).stdout, "merg5 (side) (head)\n");
    let show = fx.ok(&["show", "merg5"]).stdout;
    assert!(
        show.starts_with("Rev: merg5 (head) (mergepoint)\nMerges: "),
        "{show}"
    );
    fx.ok(&[
        "revision",
        "-m",
        "dep",
        "--rev-id",
        "dep6",
        "--depends-on",
        "two2",
    ]);
    let text = std::fs::read_to_string(
        files(&fx)
            .iter()
            .map(|f| fx.versions().join(f))
            .find(|p| p.to_string_lossy().contains("dep6"))
            .unwrap(),
    )
    .unwrap();
    assert!(text.contains("-- Depends On: two2\n"), "{text}");
    fx.ok(&["upgrade", "head"]);
    assert_eq!(fx.heads(), vec!["dep6"]);
}

#[test]
fn init_creates_a_scripts_folder_and_an_ini_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["init", "migrations"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(dir.path().join("migrations/versions").is_dir());
    let ini = std::fs::read_to_string(dir.path().join("alembic.ini")).unwrap();
    assert!(
        ini.contains("script_location = %(here)s/migrations"),
        "{ini}"
    );
    let out = run_in(dir.path(), &["init", "migrations"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("already exists and is not empty"));
    let out = run_in(dir.path(), &["revision", "-m", "first"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn make_db_create_passes_any_message_intact() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let makefile = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile");
    let message = r#"say "hi" & it's $HOME; `done`"#;
    let out = Run::from(
        std::process::Command::new("make")
            .current_dir(fx.path())
            .args(["-s", "-f"])
            .arg(&makefile)
            .arg("db-create")
            .arg(format!("MESSAGE={message}"))
            .arg(format!("DB_MIGRATE={BIN}"))
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let name = files(&fx).pop().unwrap();
    let text = std::fs::read_to_string(fx.versions().join(name)).unwrap();
    assert!(text.starts_with(&format!("-- {message}\n")), "{text}");
}

#[test]
fn the_timezone_key_sets_the_create_date_zone() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let ini = fx.path().join("alembic.ini");
    std::fs::write(&ini, "[alembic]\nscript_location = %(here)s/alembic\ntimezone = utc\nfile_template = %%(hour).2d_%%(rev)s\n").unwrap();
    let before = chrono::Utc::now().format("%H").to_string();
    fx.ok(&["revision", "-m", "tz", "--rev-id", "tz01"]);
    let after = chrono::Utc::now().format("%H").to_string();
    let name = files(&fx).pop().unwrap();
    assert!(
        name == format!("{before}_tz01.sql") || name == format!("{after}_tz01.sql"),
        "{name} is not the UTC hour"
    );
    std::fs::write(
        &ini,
        "[alembic]\nscript_location = %(here)s/alembic\ntimezone = Mars/Olympus\n",
    )
    .unwrap();
    let r = fx.fails(&["revision", "-m", "x"]);
    assert!(
        r.stderr.contains("unknown timezone 'Mars/Olympus'"),
        "{}",
        r.stderr
    );
}

/// New files are made as any file is, 0666 less the umask, so the application and other users can read them.
#[test]
fn new_files_are_readable_as_the_umask_allows() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    for (umask, expected) in [("022", 0o644), ("077", 0o600)] {
        let project = dir.path().join(format!("p{umask}"));
        std::fs::create_dir(&project).unwrap();
        let run = |args: &str| {
            let out = program_in("sh", &project)
                .args(["-c", &format!("umask {umask} && exec \"$0\" {args}"), BIN])
                .output()
                .unwrap();
            Run::from(out).succeeded(args);
        };
        run("init migrations");
        run("revision -m first");
        assert_eq!(
            mode(&project.join("alembic.ini")),
            expected,
            "umask {umask}"
        );
        let versions = project.join("migrations/versions");
        for entry in std::fs::read_dir(&versions).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), expected, "umask {umask}");
        }
    }
}
