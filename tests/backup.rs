//! `db-backup` through the real binary: SQLite files written to while they are backed up, a real PostgreSQL
//! server with the real pg_dump and pg_restore (behind recording wrappers where the arguments matter).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::both;
use crate::util::*;

const BACKUP: &str = env!("CARGO_BIN_EXE_db-backup");

/// db-backup in the fixture's directory against its database, with none of the caller's configuration.
fn backup_cmd(fx: &Fixture) -> Command {
    let mut c = program_in(BACKUP, fx.path());
    c.env("DATABASE_URL", &fx.url);
    c
}

fn run(c: &mut Command) -> Run {
    Run::from(c.output().expect("db-backup runs"))
}

fn ok(c: &mut Command) -> Run {
    run(c).succeeded("db-backup")
}

/// Fails with exactly one `FAILED:` line and no panic.
fn fails(c: &mut Command) -> Run {
    run(c).failed_once("db-backup")
}

fn backup(fx: &Fixture, args: &[&str]) -> Run {
    ok(backup_cmd(fx).args(args))
}

/// `create`'s stdout is the new backup's path and nothing else.
fn create(fx: &Fixture, args: &[&str]) -> PathBuf {
    let r = backup(fx, &[&["create"], args].concat());
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected:\n{}", r.stdout);
    let path = fx.path().join(lines[0]);
    assert!(path.is_file(), "{}", path.display());
    path
}

/// r1 creates `items`, r2 creates `extra`.
fn items_schema(fx: &Fixture) {
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        Some("DROP TABLE items;"),
    );
    fx.revision(
        "r2",
        &["r1"],
        "CREATE TABLE extra (id INTEGER);",
        Some("DROP TABLE extra;"),
    );
}

fn items(fx: &Fixture) -> Vec<Vec<String>> {
    fx.query("SELECT id, name FROM items ORDER BY id")
}

fn manifest(path: &Path) -> serde_json::Value {
    let mut name = path.as_os_str().to_owned();
    name.push(".json");
    serde_json::from_str(&std::fs::read_to_string(PathBuf::from(name)).unwrap()).unwrap()
}

fn flip_byte(path: &Path, at: Option<usize>) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = at.unwrap_or(bytes.len() / 2);
    bytes[i] ^= 0xff;
    std::fs::write(path, bytes).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A SQLite database being written to by another connection while db-backup copies it.
fn backup_while_writing(wal: bool) {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
        None,
    );
    fx.ok(&["upgrade", "head"]);
    let db = fx.path().join("app.db");
    let setup = rusqlite::Connection::open(&db).unwrap();
    setup.busy_timeout(Duration::from_secs(60)).unwrap();
    if wal {
        setup
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
            .unwrap();
    }
    // Enough pages that the copy takes many steps.
    setup
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
             INSERT INTO items (payload) SELECT printf('%0100d', i) FROM n;",
        )
        .unwrap();
    let count = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let db = db.clone();
        std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.busy_timeout(Duration::from_secs(60)).unwrap();
            let mut written = 0u64;
            while !stop.load(Ordering::SeqCst) {
                conn.execute(
                    "INSERT INTO items (payload) VALUES ('written meanwhile')",
                    [],
                )
                .unwrap();
                written += 1;
            }
            written
        })
    };
    while count(&setup) < 40100 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before = count(&setup);
    let path = create(&fx, &[]);
    let after = count(&setup);
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written > 100 && after > before, "the writer kept writing");
    drop(setup);

    let r = backup(&fx, &["restore", path.to_str().unwrap(), "--yes"]);
    assert_eq!(r.stdout, "r1\n");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (n, max): (i64, i64) = conn
        .query_row("SELECT count(*), max(id) FROM items", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(
        before <= n && n <= after,
        "{before} <= {n} <= {after} (restored rows between the counts before and after)"
    );
    assert_eq!(n, max, "a committed prefix of the inserts, no gaps");
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, if wal { "wal" } else { "delete" });
}

#[test]
fn a_sqlite_backup_taken_while_another_connection_writes_restores_consistently() {
    backup_while_writing(false);
}

#[test]
fn a_sqlite_backup_of_a_wal_database_taken_while_another_connection_writes_restores_consistently() {
    backup_while_writing(true);
}

both!(
    backup_change_restore_gives_back_the_rows_of_the_backup,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "r1"]);
        fx.connect()
            .batch("INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')")
            .unwrap();
        let saved = items(fx);
        let path = create(fx, &["--label", "before-change"]);
        assert_eq!(manifest(&path)["revisions"], serde_json::json!(["r1"]));

        fx.connect()
            .batch(
                "DELETE FROM items WHERE id = 1; UPDATE items SET name = 'changed' WHERE id = 2; \
             INSERT INTO items (id, name) VALUES (4, 'four')",
            )
            .unwrap();
        fx.ok(&["upgrade", "r2"]);
        assert_ne!(items(fx), saved);

        let r = backup(fx, &["restore", path.to_str().unwrap(), "--yes"]);
        assert_eq!(r.stdout, "r1\n", "stdout is the revision:\n{}", r.stderr);
        assert!(r.stderr.contains("now at revision r1"), "{}", r.stderr);
        assert_eq!(items(fx), saved);
        assert_eq!(fx.heads(), vec!["r1"]);
        match fx.kind {
            Kind::Sqlite => assert!(!fx.table_exists("extra")),
            // --clean only drops what the backup holds; the restore says what it left.
            Kind::Postgres => assert!(
                r.stderr
                    .contains("table public.extra is not in the backup and was left in place"),
                "{}",
                r.stderr
            ),
        }

        // The safety backup holds the database as it was just before.
        let list: serde_json::Value =
            serde_json::from_str(&backup(fx, &["list", "--json"]).stdout).unwrap();
        assert_eq!(list[0]["label"], "pre-restore");
        assert_eq!(list[0]["revisions"], serde_json::json!(["r2"]));
        let safety = fx.path().join(list[0]["path"].as_str().unwrap());
        backup(
            fx,
            &[
                "restore",
                safety.to_str().unwrap(),
                "-y",
                "--no-safety-backup",
            ],
        );
        assert_eq!(items(fx).len(), 3);
        assert_eq!(items(fx)[0], vec!["2".to_string(), "changed".into()]);
        assert_eq!(fx.heads(), vec!["r2"]);
    }
);

both!(
    a_corrupted_backup_fails_verify_and_restore_and_the_live_database_is_unchanged,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "r1"]);
        fx.connect()
            .batch("INSERT INTO items (id, name) VALUES (1, 'one')")
            .unwrap();
        let path = create(fx, &[]);
        fx.connect()
            .batch("INSERT INTO items (id, name) VALUES (2, 'two')")
            .unwrap();
        let live = items(fx);
        flip_byte(&path, None);

        let r = fails(backup_cmd(fx).args(["verify", path.to_str().unwrap()]));
        assert!(
            r.stderr.contains("is corrupt: its SHA-256 is"),
            "{}",
            r.stderr
        );
        let r = fails(backup_cmd(fx).args(["restore", path.to_str().unwrap(), "--yes"]));
        assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
        assert_eq!(items(fx), live);
        let listed = backup(fx, &["list"]).stdout;
        assert!(
            !listed.contains("pre-restore"),
            "no safety backup was needed:\n{listed}"
        );

        // A manifest rewritten to match the damage does not get it past the content check.
        flip_byte(&path, None);
        flip_byte(&path, Some(0));
        let damaged = std::fs::read(&path).unwrap();
        let mut m = manifest(&path);
        m["sha256"] = sha256_hex(&damaged).into();
        let mut name = path.as_os_str().to_owned();
        name.push(".json");
        std::fs::write(PathBuf::from(name), m.to_string()).unwrap();
        let r = fails(backup_cmd(fx).args(["verify", path.to_str().unwrap()]));
        let expected = match fx.kind {
            Kind::Sqlite => "is corrupt: it is not a SQLite database file",
            Kind::Postgres => "is corrupt: pg_restore --list cannot read it",
        };
        assert!(r.stderr.contains(expected), "{}", r.stderr);
        fails(backup_cmd(fx).args(["restore", path.to_str().unwrap(), "--yes"]));
        assert_eq!(items(fx), live);
        assert_eq!(fx.heads(), vec!["r1"]);
        for dir in [fx.path().to_path_buf(), fx.path().join("backups")] {
            assert!(std::fs::read_dir(dir).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")));
        }
    }
);

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

both!(
    verify_deep_restores_into_a_scratch_database_and_reports_the_revision,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "head"]);
        fx.connect()
            .batch("INSERT INTO items (id, name) VALUES (1, 'one')")
            .unwrap();
        let path = create(fx, &[]);
        let r = backup(fx, &["verify", path.to_str().unwrap()]);
        assert!(r.stdout.starts_with("ok: "), "{}", r.stdout);
        assert!(r.stdout.contains("manifest: revision r2"), "{}", r.stdout);
        let r = backup(fx, &["verify", "latest", "--deep"]);
        assert!(r.stdout.contains("restored into a scratch"), "{}", r.stdout);
        assert!(
            r.stdout.contains("alembic_version reads revision r2"),
            "{}",
            r.stdout
        );
        if fx.kind == Kind::Postgres {
            let left =
                fx.query("SELECT datname FROM pg_database WHERE datname LIKE 'dbkit_verify_%'");
            assert!(left.is_empty(), "scratch databases left behind: {left:?}");
        }
        assert_eq!(items(fx).len(), 1, "the live database is untouched");
    }
);

both!(
    verify_json_gives_the_backup_its_manifest_and_the_checks_that_passed,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "head"]);
        let path = create(fx, &["--label", "checked"]);
        let r = backup(fx, &["verify", path.to_str().unwrap(), "--json"]);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["path"], path.to_str().unwrap());
        assert_eq!(v["deep"], false);
        assert_eq!(v["revisions"], serde_json::json!(["r2"]));
        assert_eq!(
            v["manifest"],
            manifest(&path),
            "the manifest as written beside it"
        );
        let checks = v["checks"].as_array().unwrap();
        assert!(
            checks[0]
                .as_str()
                .unwrap()
                .starts_with("size and SHA-256 match the manifest"),
            "{}",
            r.stdout
        );
        assert!(checks.len() >= 2, "{}", r.stdout);
        // Deep only on SQLite: a deep verify on PostgreSQL makes a scratch database, which the test of deep
        // verification, running at the same time, would take for one left behind.
        if fx.kind == Kind::Sqlite {
            let r = backup(fx, &["verify", "latest", "--deep", "--json"]);
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v["deep"], true);
            assert_eq!(v["revisions"], serde_json::json!(["r2"]));
            assert_eq!(v["manifest"]["label"], "checked");
        }
        // A backup that fails verification prints no JSON, only the error.
        std::fs::write(&path, b"not a backup").unwrap();
        let r = fails(backup_cmd(fx).args(["verify", path.to_str().unwrap(), "--json"]));
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert!(r.stderr.contains("is corrupt"), "{}", r.stderr);
    }
);

#[test]
fn a_compressed_sqlite_backup_verifies_deeply_and_restores() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    fx.connect()
        .batch("INSERT INTO items (id, name) VALUES (1, 'one')")
        .unwrap();
    let path = create(&fx, &["--compress", "zstd"]);
    assert!(path.to_string_lossy().ends_with(".sqlite.zst"));
    assert_eq!(manifest(&path)["compression"], "zstd");
    let r = backup(&fx, &["verify", "--deep"]);
    assert!(r.stdout.contains("integrity_check: ok"), "{}", r.stdout);
    assert!(r.stdout.contains("reads revision r1"), "{}", r.stdout);
    fx.connect().batch("DELETE FROM items").unwrap();
    backup(&fx, &["restore", "latest", "--yes", "--no-safety-backup"]);
    assert_eq!(items(&fx), vec![vec!["1".to_string(), "one".into()]]);
}

#[test]
fn prune_keeps_the_newest_and_honours_keep_older_than_and_dry_run() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    let b: Vec<PathBuf> = ["b1", "b2", "b3", "b4"]
        .iter()
        .map(|label| create(&fx, &["--label", label]))
        .collect();
    // Age the two oldest by editing their manifests' time (the checksum covers the backup, not this).
    for (path, days) in [(&b[0], 10), (&b[1], 5)] {
        let mut m = manifest(path);
        let old = chrono::Utc::now() - chrono::Duration::days(days);
        m["created_at"] = old.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().into();
        let mut name = path.as_os_str().to_owned();
        name.push(".json");
        std::fs::write(PathBuf::from(name), m.to_string()).unwrap();
    }
    let gone = |p: &PathBuf| {
        let mut name = p.as_os_str().to_owned();
        name.push(".json");
        !p.exists() && !PathBuf::from(name).exists()
    };

    let r = fails(backup_cmd(&fx).args(["prune", "--keep", "0"]));
    assert!(
        r.stderr.contains("--keep must be at least 1"),
        "{}",
        r.stderr
    );
    let r = fails(backup_cmd(&fx).args(["prune", "--keep", "1", "--older-than", "soon"]));
    assert!(r.stderr.contains("invalid duration 'soon'"), "{}", r.stderr);

    let r = backup(
        &fx,
        &["prune", "--keep", "1", "--older-than", "7d", "--dry-run"],
    );
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(
        r.stdout.starts_with("would delete ") && r.stdout.contains("-b1."),
        "{}",
        r.stdout
    );
    assert!(b.iter().all(|p| p.exists()), "a dry run deletes nothing");

    let r = backup(&fx, &["prune", "--keep", "1", "--older-than", "7d"]);
    assert!(
        r.stdout.starts_with("deleted ") && r.stdout.contains("-b1."),
        "{}",
        r.stdout
    );
    assert!(gone(&b[0]) && b[1..].iter().all(|p| p.exists()));

    backup(&fx, &["prune", "--keep", "2"]);
    assert!(gone(&b[1]) && b[2].exists() && b[3].exists());

    // What a killed backup left behind goes once nothing has touched it for a day.
    let dead = fx.path().join("backups/.backup-killed.partial");
    let running = fx.path().join("backups/.backup-running.partial");
    std::fs::write(&dead, "half").unwrap();
    std::fs::write(&running, "half").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&dead)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(2 * 86400))
        .unwrap();
    let r = backup(&fx, &["prune", "--keep", "9"]);
    assert!(
        r.stdout
            .contains(".backup-killed.partial (an unfinished backup)"),
        "{}",
        r.stdout
    );
    assert!(!dead.exists() && running.exists());
    // The one kept is named with why.
    let kept = r
        .stderr
        .lines()
        .find(|l| l.starts_with("kept backups/.backup-running.partial: written to "))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(
        kept.ends_with("s ago; a backup's leftover goes after a day idle"),
        "{kept}"
    );

    // Even when everything is old enough, the newest stays.
    backup(&fx, &["prune", "--keep", "1", "--older-than", "0s"]);
    assert!(gone(&b[2]) && b[3].exists());
    let r = backup(&fx, &["prune", "--keep", "1"]);
    assert_eq!(r.stdout, "");
    assert!(b[3].exists());
}

both!(
    backups_and_manifests_are_private_and_a_new_directory_is_0700,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "r1"]);
        let path = create(fx, &["--dir", "nested/new/backups"]);
        let dir = fx.path().join("nested/new/backups");
        assert_eq!(path.parent().unwrap(), dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&path), 0o600);
        let mut manifest_path = path.as_os_str().to_owned();
        manifest_path.push(".json");
        assert_eq!(mode(Path::new(&manifest_path)), 0o600);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "the backup and its manifest only: {names:?}"
        );

        // Global options go before or after the verb.
        let listed = backup(fx, &["--dir", "nested/new/backups", "list"]).stdout;
        assert_eq!(listed.lines().count(), 2, "{listed}");

        // BACKUP_DIR is the default; an existing directory keeps its mode.
        let shared = fx.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o750)).unwrap();
        let r = ok(backup_cmd(fx).env("BACKUP_DIR", &shared).arg("create"));
        assert!(
            r.stdout.starts_with(shared.to_str().unwrap()),
            "{}",
            r.stdout
        );
        assert_eq!(mode(&shared), 0o750);
        assert_eq!(mode(Path::new(r.stdout.trim())), 0o600);
    }
);

both!(
    list_json_shows_revision_and_label_and_latest_picks_the_newest,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "r1"]);
        let first = create(fx, &["--label", "first"]);
        fx.ok(&["upgrade", "r2"]);
        // No verb means create.
        let r = backup(fx, &["--label", "second"]);
        let second = fx.path().join(r.stdout.trim());
        assert!(second.is_file());

        let list: serde_json::Value =
            serde_json::from_str(&backup(fx, &["list", "--json"]).stdout).unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["label"], "second");
        assert_eq!(list[0]["revisions"], serde_json::json!(["r2"]));
        assert_eq!(list[1]["label"], "first");
        assert_eq!(list[1]["revisions"], serde_json::json!(["r1"]));
        let dialect = match fx.kind {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgresql",
        };
        for entry in list {
            assert_eq!(entry["dialect"], dialect);
            assert_eq!(entry["exists"], true);
            assert_eq!(entry["dbkit_version"], env!("CARGO_PKG_VERSION"));
            assert_eq!(entry["sha256"].as_str().unwrap().len(), 64);
            assert!(entry["created_at"].as_str().unwrap().ends_with('Z'));
            assert!(!entry["server_version"].as_str().unwrap().is_empty());
            assert!(
                !entry["database"].as_str().unwrap().contains(":dbkit@"),
                "masked"
            );
        }
        assert!(first.to_string_lossy().contains("-first."));

        let table = backup(fx, &["list"]).stdout;
        let rows: Vec<&str> = table.lines().collect();
        assert_eq!(rows.len(), 3, "{table}");
        assert!(
            rows[1].contains("r2") && rows[1].contains("second"),
            "{table}"
        );
        assert!(
            rows[2].contains("r1") && rows[2].contains("first"),
            "{table}"
        );

        let r = backup(fx, &["verify", "latest"]);
        assert!(r.stdout.contains("-second."), "{}", r.stdout);
        fx.ok(&["downgrade", "r1"]);
        let r = backup(fx, &["restore", "latest", "--yes", "--no-safety-backup"]);
        assert_eq!(r.stdout, "r2\n");
        assert_eq!(fx.heads(), vec!["r2"]);
    }
);

/// The newest pg_dump or pg_restore installed: the per-version directories, else whatever is on PATH.
fn real_tool(name: &str) -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let major: u32 = e.file_name().to_str()?.parse().ok()?;
            let path = e.path().join("bin").join(name);
            path.is_file().then_some((major, path))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .unwrap_or_else(|| PathBuf::from(name))
}

/// A script standing in for a client tool: it records its arguments, and whether the password came
/// through the environment, then runs the real tool.
fn recording_wrapper(dir: &Path, name: &str, log: &Path) -> PathBuf {
    let path = dir.join(format!("{name}-wrapper.sh"));
    let script = format!(
        "#!/bin/sh\n\
         {{\n\
           printf '{name}'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; printf '\\n'\n\
           if [ -n \"$PGPASSWORD\" ]; then echo 'PGPASSWORD is set'; fi\n\
         }} >> '{log}'\n\
         exec '{real}' \"$@\"\n",
        log = log.display(),
        real = real_tool(name).display(),
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn the_password_is_in_no_output_and_no_argument_of_pg_dump_or_pg_restore() {
    let Some(password_url) = std::env::var("TEST_DATABASE_PASSWORD_URL").ok() else {
        assert!(
            !under_ci(),
            "CI sets TEST_DATABASE_PASSWORD_URL (scripts/test-postgres.sh)"
        );
        return;
    };
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    let secret = "right-password";
    assert!(password_url.contains(secret), "the test role's password");
    fx.connect()
        .batch("GRANT CREATE ON SCHEMA public TO dbkit_pw")
        .unwrap();
    let dbname = fx.url.rsplit('/').next().unwrap();
    let url = format!(
        "{}/{dbname}",
        &password_url[..password_url.rfind('/').unwrap()]
    );
    items_schema(&fx);
    // The tables belong to the password role, so it can drop and restore them; it reads and writes them too.
    fx.ok(&["-u", &url, "upgrade", "r1"]);
    let as_role = || {
        let parsed: dbkit::DatabaseUrl = url.parse().unwrap();
        dbkit::dialect::connect(&parsed, Duration::from_secs(5)).unwrap()
    };
    let rows = || {
        as_role()
            .query("SELECT id, name FROM items ORDER BY id")
            .unwrap()
    };
    as_role()
        .batch("INSERT INTO items (id, name) VALUES (1, 'one')")
        .unwrap();
    let saved = rows();

    let log = fx.path().join("tools.log");
    let pg_dump = recording_wrapper(fx.path(), "pg_dump", &log);
    let pg_restore = recording_wrapper(fx.path(), "pg_restore", &log);
    let cmd = || {
        let mut c = backup_cmd(&fx);
        c.env("DATABASE_URL", &url)
            .env("PG_DUMP", &pg_dump)
            .env("PG_RESTORE", &pg_restore);
        c
    };
    let mut outputs = Vec::new();
    let r = ok(cmd().args(["create", "--label", "pw"]));
    let path = fx.path().join(r.stdout.trim());
    outputs.push(r);
    as_role().batch("DELETE FROM items").unwrap();
    outputs.push(ok(cmd().args(["verify", path.to_str().unwrap()])));
    outputs.push(ok(cmd().args(["restore", path.to_str().unwrap(), "--yes"])));
    outputs.push(ok(cmd().args(["list", "--json"])));
    assert_eq!(rows(), saved);

    let recorded = std::fs::read_to_string(&log).unwrap();
    assert!(recorded.contains("pg_dump [--format=custom]"), "{recorded}");
    assert!(recorded.contains("pg_restore [--clean]"), "{recorded}");
    assert!(recorded.contains("[--single-transaction]"), "{recorded}");
    assert!(recorded.contains("PGPASSWORD is set"), "{recorded}");
    assert!(
        !recorded.contains(secret),
        "an argument carried the password:\n{recorded}"
    );
    assert!(!recorded.contains("dbkit_pw:"), "{recorded}");
    for r in &outputs {
        assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    }
    for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let text = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&text).contains(secret),
            "no backup file or manifest holds the password"
        );
    }

    // A wrong password is one clear error that does not repeat it.
    let wrong = url.replace(secret, "wr0ng-s3cret");
    let r = fails(cmd().env("DATABASE_URL", &wrong).arg("create"));
    assert!(
        r.stderr.contains("password authentication failed"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("wr0ng-s3cret"), "{}", r.stderr);
}

#[test]
fn a_pg_dump_older_than_the_server_is_refused_before_dumping() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    let marker = fx.path().join("dumped");
    let old = fx.path().join("old-pg_dump.sh");
    std::fs::write(
        &old,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 9.6.24'; exit 0; fi\n\
             touch '{}'\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = fails(backup_cmd(&fx).env("PG_DUMP", &old).arg("create"));
    assert!(
        r.stderr
            .contains("is pg_dump (PostgreSQL) 9.6.24, older than the server (PostgreSQL "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("PG_DUMP"), "{}", r.stderr);
    assert!(!marker.exists(), "the old pg_dump never dumped");
    assert!(!fx.path().join("backups").exists(), "nothing was written");

    let r = fails(
        backup_cmd(&fx)
            .env("PG_DUMP", fx.path().join("no-such-pg_dump"))
            .arg("create"),
    );
    assert!(
        r.stderr.contains("pg_dump not found: PG_DUMP is"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_one_clear_error_and_changes_nothing() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    // No database file yet: nothing to back up, and no backups directory made for nothing.
    let r = fails(backup_cmd(&fx).arg("create"));
    assert!(
        r.stderr.contains("SQLite database '")
            && r.stderr
                .contains("does not exist; 'db-init' or 'db-migrate upgrade' creates it"),
        "{}",
        r.stderr
    );
    assert!(!fx.path().join("backups").exists());
    assert!(!fx.path().join("app.db").exists());

    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    let r = fails(backup_cmd(&fx).args(["create", "--label", "../etc"]));
    assert!(r.stderr.contains("invalid label '../etc'"), "{}", r.stderr);
    let r = fails(backup_cmd(&fx).args(["verify", "latest"]));
    assert!(r.stderr.contains("no backups in 'backups'"), "{}", r.stderr);
    let r = fails(backup_cmd(&fx).args(["restore", "nope.sqlite", "--yes"]));
    assert!(
        r.stderr
            .contains("backup 'backups/nope.sqlite' does not exist"),
        "{}",
        r.stderr
    );
    let r = fails(
        backup_cmd(&fx)
            .env("DATABASE_URL", "sqlite://")
            .arg("create"),
    );
    assert!(r.stderr.contains("in-memory"), "{}", r.stderr);
    let r = fails(
        backup_cmd(&fx)
            .env("DATABASE_URL", "mysql://u:hunter2@h/db")
            .arg("create"),
    );
    assert!(r.stderr.contains("unsupported database URL scheme 'mysql'"));
    assert!(!r.stderr.contains("hunter2"));
    let r = run(backup_cmd(&fx).args(["create", "--compress", "gzip"]));
    assert_eq!(r.code, 2, "a usage error: {}", r.stderr);
    // create's flags may stand before the verb only when it is create.
    let r = run(backup_cmd(&fx).args(["--label", "x", "list"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--label, --compress and --format belong to create"),
        "{}",
        r.stderr
    );
    assert!(!fx.path().join("backups").exists());

    let path = create(&fx, &[]);
    // Without --yes and without a terminal, restore asks for --yes and does nothing.
    let r = fails(backup_cmd(&fx).args(["restore", "latest"]));
    assert!(r.stderr.contains("pass --yes to confirm"), "{}", r.stderr);
    let listed = backup(&fx, &["list"]).stdout;
    assert_eq!(listed.lines().count(), 2, "no safety backup:\n{listed}");

    // A backup without its manifest cannot be checked, so it is not trusted.
    let orphan = path.with_file_name("orphan.sqlite");
    std::fs::copy(&path, &orphan).unwrap();
    let r = fails(backup_cmd(&fx).args(["restore", orphan.to_str().unwrap(), "--yes"]));
    assert!(r.stderr.contains("has no manifest"), "{}", r.stderr);

    // A SQLite backup is not restored into PostgreSQL.
    let r = fails(
        backup_cmd(&fx)
            .env("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
            .args(["restore", path.to_str().unwrap(), "--yes"]),
    );
    assert!(
        r.stderr
            .contains("is of a sqlite database; the configured database is postgresql"),
        "{}",
        r.stderr
    );
    let r = fails(
        backup_cmd(&fx)
            .env("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
            .args(["create", "--compress", "zstd"]),
    );
    assert!(
        r.stderr.contains("--compress zstd is for SQLite backups"),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["r1"]);
}

both!(
    the_configured_version_table_is_the_one_recorded_and_read,
    |fx| {
        let ini = fx.path().join("alembic.ini");
        let text = std::fs::read_to_string(&ini).unwrap();
        std::fs::write(&ini, format!("{text}version_table = app_version\n")).unwrap();
        items_schema(fx);
        fx.ok(&["upgrade", "r1"]);
        let m = manifest(&create(fx, &[]));
        assert_eq!(m["version_table"], "app_version");
        assert_eq!(m["revisions"], serde_json::json!(["r1"]));
        let r = backup(fx, &["verify", "--deep"]);
        assert!(
            r.stdout.contains("app_version reads revision r1"),
            "{}",
            r.stdout
        );
        fx.ok(&["upgrade", "r2"]);
        let r = backup(fx, &["restore", "latest", "--yes"]);
        assert_eq!(r.stdout, "r1\n");
        // The safety backup taken at r2 is now the latest: restoring it undoes the restore.
        let r = backup(fx, &["restore", "latest", "--yes"]);
        assert_eq!(r.stdout, "r2\n");
    }
);

#[test]
fn a_postgresql_restore_that_fails_part_way_changes_nothing() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    fx.connect()
        .batch("INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two')")
        .unwrap();
    let path = create(&fx, &[]);
    // A view the backup does not know depends on the table, so dropping the table (--clean) fails midway.
    fx.connect()
        .batch("DELETE FROM items WHERE id = 1; CREATE VIEW names AS SELECT name FROM items")
        .unwrap();
    let live = items(&fx);
    let r = fails(backup_cmd(&fx).args([
        "restore",
        path.to_str().unwrap(),
        "--yes",
        "--no-safety-backup",
    ]));
    assert!(
        r.stderr.contains("FAILED: pg_restore failed ("),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("other objects depend on it"),
        "pg_restore's own message: {}",
        r.stderr
    );
    assert_eq!(items(&fx), live, "all or nothing");
    assert!(fx.table_exists("items"));
}

fn manifest_path(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

both!(
    an_unreadable_manifest_is_named_and_latest_never_falls_back_past_it,
    |fx| {
        items_schema(fx);
        fx.ok(&["upgrade", "r1"]);
        let older = create(fx, &["--label", "older"]);
        fx.ok(&["upgrade", "r2"]);
        let newer = create(fx, &["--label", "newer"]);
        let broken = manifest_path(&newer);
        std::fs::write(&broken, "{\"format\": 1,").unwrap();
        let shown = format!(
            "'backups/{}' is not a usable backup manifest: EOF while parsing",
            broken.file_name().unwrap().to_str().unwrap()
        );

        // The newest backup's manifest is unreadable: latest names it instead of restoring the older backup.
        for args in [&["restore", "latest", "--yes"][..], &["verify", "latest"]] {
            let r = fails(backup_cmd(fx).args(args));
            assert!(
                r.stderr.contains(&format!(
                    "FAILED: cannot tell which backup in 'backups' is the latest: {shown}"
                )),
                "{args:?}: {}",
                r.stderr
            );
        }
        assert_eq!(fx.heads(), vec!["r2"]);
        let manifests = || {
            std::fs::read_dir(fx.path().join("backups"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".json")
                })
                .count()
        };
        assert_eq!(manifests(), 2, "no safety backup was taken");

        // list shows what it can read, then fails naming the manifest it cannot; it never says there are none.
        let failed = format!("FAILED: could not read 1 manifest in 'backups': {shown}");
        let r = fails(backup_cmd(fx).args(["list"]));
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains(&failed)
                && r.stderr
                    .contains("the list above leaves their backups out; repair or remove them")
                && !r.stderr.contains("no backups"),
            "{}",
            r.stderr
        );
        assert!(
            r.stdout.contains("-older.") && !r.stdout.contains("-newer."),
            "{}",
            r.stdout
        );
        let r = fails(backup_cmd(fx).args(["list", "--json"]));
        assert!(r.stderr.contains(&failed), "{}", r.stderr);
        let listed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{}", r.stdout);
        // prune deletes nothing rather than guess which backups are the newest, and says so.
        for args in [
            &["prune", "--keep", "1"][..],
            &["prune", "--keep", "1", "--dry-run"],
        ] {
            let r = fails(backup_cmd(fx).args(args));
            assert_eq!(r.code, 1);
            assert!(
                r.stderr.contains(&failed) && r.stderr.contains("prune deleted nothing"),
                "{args:?}: {}",
                r.stderr
            );
            assert_eq!(r.stdout, "", "{args:?}");
        }
        assert!(older.exists() && newer.exists() && broken.exists());
        // With only the unreadable one left, list still names it rather than say there are no backups.
        let older_manifest = manifest_path(&older);
        let aside = fx.path().join("older.json.aside");
        std::fs::rename(&older_manifest, &aside).unwrap();
        let r = fails(backup_cmd(fx).args(["list"]));
        assert!(
            r.stderr.contains(&failed) && !r.stderr.contains("no backups"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stdout, "");
        std::fs::rename(&aside, &older_manifest).unwrap();

        // A manifest that points at another file is refused the same way, saying so.
        let mut m = manifest(&older);
        m["file"] = "../elsewhere.sqlite".into();
        std::fs::write(&broken, m.to_string()).unwrap();
        let r = fails(backup_cmd(fx).args(["verify", "latest"]));
        assert!(
            r.stderr.contains("it names the file '../elsewhere.sqlite'"),
            "{}",
            r.stderr
        );

        // Named by its file, a good backup restores; another database's broken manifest does not block latest.
        let r = backup(
            fx,
            &[
                "restore",
                older.to_str().unwrap(),
                "--yes",
                "--no-safety-backup",
            ],
        );
        assert_eq!(r.stdout, "r1\n");
        std::fs::remove_file(&newer).unwrap();
        std::fs::rename(
            &broken,
            fx.path().join("backups/other-20260101T000000Z.sqlite.json"),
        )
        .unwrap();
        let r = backup(fx, &["verify", "latest"]);
        assert!(r.stdout.contains("-older."), "{}", r.stdout);
    }
);

/// Sets a file's modification time `seconds` into the past.
fn age_file(path: &Path, seconds: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(seconds))
        .unwrap();
}

fn restore_partials(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(".restore-") && name.ends_with(".partial")
        })
        .collect();
    found.sort();
    found
}

// Restore partials exist only for SQLite: a PostgreSQL restore streams into the server.
#[test]
fn a_killed_restore_leaves_a_partial_that_the_next_restore_and_prune_remove() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    fx.connect()
        .batch("INSERT INTO items (id, name) VALUES (1, 'one')")
        .unwrap();
    create(&fx, &[]);

    // Kill a restore while it waits to take its safety backup of a database another connection holds locked.
    let mut holder = fx.connect();
    holder.batch("BEGIN EXCLUSIVE").unwrap();
    let mut child = backup_cmd(&fx)
        .args(["restore", "latest", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let partial = loop {
        let found = restore_partials(fx.path());
        if let [one] = found.as_slice() {
            // Written in full and held: the running restore keeps others off it.
            let held = std::fs::File::open(one).unwrap().try_lock().is_err();
            if held && std::fs::metadata(one).unwrap().len() > 0 {
                break one.clone();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no restore partial appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    holder.batch("ROLLBACK").unwrap();
    drop(holder);
    assert!(partial.exists(), "a killed restore leaves its partial");

    // The next restore removes it once a minute has passed without a write; a partial that a running restore
    // holds, and one written a moment ago, stay.
    age_file(&partial, 120);
    let held = fx.path().join(".restore-held.partial");
    let fresh = fx.path().join(".restore-fresh.partial");
    std::fs::write(&held, "half").unwrap();
    std::fs::write(&fresh, "half").unwrap();
    age_file(&held, 120);
    let lock = std::fs::File::open(&held).unwrap();
    lock.lock().unwrap();
    let r = backup(&fx, &["restore", "latest", "--yes", "--no-safety-backup"]);
    assert_eq!(r.stdout, "r1\n");
    assert!(
        r.stderr.contains(&format!(
            "Removed {}, left by a restore that never finished",
            partial.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        restore_partials(fx.path()),
        vec![fresh.clone(), held.clone()]
    );
    assert_eq!(items(&fx), vec![vec!["1".to_string(), "one".into()]]);

    // prune removes unfinished files of both kinds: backups in the backups directory, restores beside the
    // database; --dry-run only names them.
    let killed_restore = fx.path().join(".restore-killed.partial");
    let killed_backup = fx.path().join("backups/.backup-killed.partial");
    for (path, age) in [(&killed_restore, 120), (&killed_backup, 2 * 86400)] {
        std::fs::write(path, "half").unwrap();
        age_file(path, age);
    }
    let r = backup(&fx, &["prune", "--keep", "9", "--dry-run"]);
    assert_eq!(
        r.stdout,
        format!(
            "would delete backups/.backup-killed.partial (an unfinished backup)\nwould delete {} (an unfinished restore)\n",
            killed_restore.display()
        )
    );
    assert!(killed_restore.exists() && killed_backup.exists());
    let r = backup(&fx, &["prune", "--keep", "9"]);
    assert!(
        r.stdout.contains(&format!(
            "deleted {} (an unfinished restore)",
            killed_restore.display()
        )),
        "{}",
        r.stdout
    );
    assert!(!killed_restore.exists() && !killed_backup.exists());
    assert!(
        r.stderr.contains(&format!(
            "kept {}: a running restore holds it\n",
            held.display()
        )) && r
            .stderr
            .contains(&format!("kept {}: written to ", fresh.display()))
            && r.stderr
                .contains("s ago; a restore's leftover goes once unheld and a minute idle\n"),
        "{}",
        r.stderr
    );
    assert_eq!(restore_partials(fx.path()), vec![fresh, held]);
    drop(lock);
}

#[test]
fn a_plain_postgresql_backup_restores_through_db_backup_and_through_psql() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    fx.connect()
        .batch("INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'it''s two')")
        .unwrap();
    let saved = items(&fx);
    let path = create(&fx, &["--format", "plain", "--label", "plain"]);
    assert!(
        path.to_string_lossy().ends_with("-plain.sql"),
        "{}",
        path.display()
    );
    assert_eq!(mode(&path), 0o600);
    assert_eq!(manifest(&path)["dump_format"], "plain");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("--\n-- PostgreSQL database dump\n"),
        "{text}"
    );
    assert!(text.contains("\n-- PostgreSQL database dump complete\n"));

    let listed = backup(&fx, &["list"]).stdout;
    assert!(
        listed.lines().next().unwrap().contains("FORMAT"),
        "{listed}"
    );
    assert!(listed.contains(" plain "), "{listed}");
    let r = backup(&fx, &["verify", path.to_str().unwrap(), "--deep"]);
    assert!(
        r.stdout.contains("a complete pg_dump SQL script"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("restored into a scratch database"),
        "{}",
        r.stdout
    );

    fx.connect()
        .batch("DELETE FROM items WHERE id = 1; INSERT INTO items (id, name) VALUES (3, 'three')")
        .unwrap();
    fx.ok(&["upgrade", "r2"]);
    let r = backup(&fx, &["restore", path.to_str().unwrap(), "--yes"]);
    assert_eq!(r.stdout, "r1\n", "{}", r.stderr);
    assert_eq!(items(&fx), saved);
    assert!(
        r.stderr
            .contains("table public.extra is not in the backup and was left in place"),
        "{}",
        r.stderr
    );

    // The same file is what `psql -f` runs, into a database of its own.
    let other = Fixture::new(Kind::Postgres).unwrap();
    let out = Command::new(real_tool("psql"))
        .args([
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--dbname",
        ])
        .arg(&other.url)
        .arg("--file")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(items(&other), saved);
    assert_eq!(other.heads(), vec!["r1"]);
}

#[test]
fn a_plain_backup_cut_short_fails_verify_even_with_a_matching_manifest() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    let path = create(&fx, &["--format", "plain"]);
    let whole = std::fs::read(&path).unwrap();
    let cut = &whole[..whole.len() - 200];
    std::fs::write(&path, cut).unwrap();
    let r = fails(backup_cmd(&fx).args(["verify", path.to_str().unwrap()]));
    assert!(r.stderr.contains("is corrupt: it is"), "{}", r.stderr);
    // A manifest rewritten to match does not get it past the content check.
    let mut m = manifest(&path);
    m["sha256"] = sha256_hex(cut).into();
    m["size"] = cut.len().into();
    std::fs::write(manifest_path(&path), m.to_string()).unwrap();
    let r = fails(backup_cmd(&fx).args(["verify", path.to_str().unwrap()]));
    assert!(
        r.stderr
            .contains("does not end with pg_dump's '-- PostgreSQL database dump complete' line"),
        "{}",
        r.stderr
    );
    fails(backup_cmd(&fx).args(["restore", path.to_str().unwrap(), "--yes"]));
    assert_eq!(fx.heads(), vec!["r1"]);
}

#[test]
fn a_manifest_with_an_unknown_dump_format_is_refused_before_anything_runs() {
    let Some(fx) = Fixture::new(Kind::Postgres) else {
        return;
    };
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    let path = create(&fx, &["--format", "plain"]);
    fx.ok(&["upgrade", "r2"]);
    let mut m = manifest(&path);
    m["dump_format"] = "directory".into();
    std::fs::write(manifest_path(&path), m.to_string()).unwrap();
    for args in [
        vec!["verify", path.to_str().unwrap()],
        vec!["restore", path.to_str().unwrap(), "--yes"],
    ] {
        let r = fails(backup_cmd(&fx).args(&args));
        assert!(
            r.stderr.contains(
                "is not a usable backup manifest: unknown variant `directory`, expected `custom` or `plain`"
            ),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert_eq!(fx.heads(), vec!["r2"], "the database was not touched");
}

#[test]
fn a_plain_format_is_refused_for_sqlite_before_anything_is_written() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    items_schema(&fx);
    fx.ok(&["upgrade", "r1"]);
    let r = fails(backup_cmd(&fx).args(["create", "--format", "plain"]));
    assert!(
        r.stderr.contains("--format plain is for PostgreSQL backups; a SQLite backup is a copy of the database file"),
        "{}",
        r.stderr
    );
    assert!(
        !fx.path().join("backups").exists()
            || std::fs::read_dir(fx.path().join("backups"))
                .unwrap()
                .next()
                .is_none()
    );
}
