//! Post-write hooks: the ini file's `[post_write_hooks]` run on every revision file dbkit writes, through the
//! real binary with small scripts written by the tests.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::util::*;

/// A hook script that logs its arguments one per line to `hook.log` beside it, then appends a comment to the
/// file named by its last argument, as a formatter rewrites the file in place.
fn formatter(dir: &Path) -> PathBuf {
    let path = dir.join("format.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\n\
         printf '%s\\n' \"$@\" >> \"$(dirname \"$0\")/hook.log\"\n\
         for last; do :; done\n\
         printf -- '-- formatted\\n' >> \"$last\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The fixture's ini file with `hooks` appended.
fn with_hooks(fx: &Fixture, hooks: &str) {
    std::fs::write(
        fx.path().join("alembic.ini"),
        format!("[alembic]\nscript_location = %(here)s/alembic\n\n[post_write_hooks]\n{hooks}"),
    )
    .unwrap();
}

fn revision_files(fx: &Fixture) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fx.versions())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn hooks_run_on_revision_create_and_autogenerate_with_split_options() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    formatter(fx.path());
    with_hooks(
        &fx,
        "hooks = fmt\n\
         fmt.type = exec\n\
         fmt.executable = %(here)s/format.sh\n\
         fmt.options = --note 'two words' REVISION_SCRIPT_FILENAME\n",
    );
    let r = fx.ok(&["revision", "-m", "one"]);
    let first = revision_files(&fx);
    assert_eq!(first.len(), 1, "{}", r.stdout);
    let text = std::fs::read_to_string(&first[0]).unwrap();
    assert!(text.ends_with("-- formatted\n"), "{text}");
    let log = std::fs::read_to_string(fx.path().join("hook.log")).unwrap();
    // The options are split as a shell splits them, and the file is named by its absolute path.
    assert_eq!(
        log,
        format!("--note\ntwo words\n{}\n", first[0].display()),
        "{log}"
    );

    fx.ok(&["create", "two", "--no-autogenerate"]);
    std::fs::write(
        fx.path().join("alembic/schema.sql"),
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
    )
    .unwrap();
    fx.ok(&["create", "add items"]);
    let files = revision_files(&fx);
    assert_eq!(files.len(), 3);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert_eq!(text.matches("-- formatted\n").count(), 1, "{text}");
    }
    let log = std::fs::read_to_string(fx.path().join("hook.log")).unwrap();
    assert_eq!(log.lines().filter(|l| *l == "--note").count(), 3, "{log}");

    // The rewritten files are still revisions: they chain, apply, and give the declared schema.
    fx.ok(&["upgrade", "head"]);
    assert!(fx.table_exists("items"));
    fx.ok(&["check"]);
}

#[test]
fn a_failing_hook_fails_the_command_and_keeps_the_file() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    with_hooks(
        &fx,
        "hooks = lint\n\
         lint.type = exec\n\
         lint.executable = sh\n\
         lint.options = -c 'echo \"lint: bad SQL in $1\" >&2; exit 3' lint REVISION_SCRIPT_FILENAME\n",
    );
    let r = fx.fails(&["revision", "-m", "one"]);
    let files = revision_files(&fx);
    assert_eq!(files.len(), 1, "the file stays for the user to fix");
    for expected in [
        "post-write hook 'lint'",
        "exit status: 3",
        &format!("lint: bad SQL in {}", files[0].display()),
        "was written and is kept",
    ] {
        assert!(r.stderr.contains(expected), "{expected}: {}", r.stderr);
    }
    // The file is a revision like any other.
    fx.ok(&["upgrade", "head"]);
}

#[test]
fn a_hook_that_cannot_run_writes_no_file() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    for (hooks, expected) in [
        (
            "hooks = ghost\nghost.type = exec\nghost.executable = no-such-formatter-dbkit\n",
            "post-write hook 'ghost': executable 'no-such-formatter-dbkit' not found",
        ),
        (
            "hooks = black\nblack.type = console_scripts\nblack.entrypoint = black\n",
            "post-write hook 'black' has type 'console_scripts', which runs Python code; dbkit runs hooks of type 'exec'",
        ),
        (
            "hooks = fmt\nfmt.type = exec\nfmt.executable = sh\nfmt.options = -c 'unclosed\n",
            "post-write hook 'fmt': 'fmt.options' does not split into words",
        ),
        (
            "hooks = fmt\nfmt.executable = sh\n",
            "post-write hook 'fmt' has no 'fmt.type' in [post_write_hooks]",
        ),
    ] {
        with_hooks(&fx, hooks);
        let r = fx.fails(&["revision", "-m", "one"]);
        assert!(r.stderr.contains(expected), "{expected}: {}", r.stderr);
        assert!(revision_files(&fx).is_empty(), "{hooks}");
        // Commands that write no revision are not stopped by a hook they never run.
        fx.ok(&["heads"]);
    }
}

#[test]
fn autogenerate_checks_the_hooks_before_any_scratch_database_work() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    with_hooks(
        &fx,
        "hooks = ghost\nghost.type = exec\nghost.executable = no-such-formatter-dbkit\n",
    );
    // A schema file the scratch database would reject: reaching it would fail with the schema's error instead.
    std::fs::write(
        fx.path().join("alembic/schema.sql"),
        "CREATE TABLE items (id INTEGER PRIMARY KEY,;\n",
    )
    .unwrap();
    for args in [
        &["revision", "--autogenerate", "-m", "add items"][..],
        &["create", "add items"],
    ] {
        let r = fx.fails(args);
        assert!(
            r.stderr.contains(
                "post-write hook 'ghost': executable 'no-such-formatter-dbkit' not found"
            ),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("schema"), "{args:?}: {}", r.stderr);
        assert!(revision_files(&fx).is_empty(), "{args:?}");
    }
}
