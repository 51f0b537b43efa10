//! `db-init` through the real binary: creating PostgreSQL databases (awkward names included) and SQLite files,
//! waiting for a server that starts late, --recreate and its guards, privilege messages, and passwords kept
//! out of every output.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use dbkit::dialect::postgres::PgConnection;
use dbkit::dialect::{self, Connection};
use dbkit::{DatabaseUrl, PgHost, PgTarget, SslMode};

use crate::both;
use crate::util::*;

const INIT: &str = env!("CARGO_BIN_EXE_db-init");

/// db-init in `dir` with none of the configuration variables of the environment the tests run in.
fn init_cmd(dir: &Path) -> Command {
    program_in(INIT, dir)
}

fn init(dir: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = init_cmd(dir);
    c.env("DATABASE_URL", url).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    Run::from(c.output().expect("db-init runs"))
}

fn init_ok(dir: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    init(dir, url, args, env).succeeded(&format!("db-init {args:?}"))
}

/// Asserts one clear failure: a non-zero status, one FAILED line, no panic.
fn init_fails(dir: &Path, url: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    init(dir, url, args, env).failed_once(&format!("db-init {args:?}"))
}

fn pg_admin() -> Option<Box<dyn Connection>> {
    let url: DatabaseUrl = admin_url().parse().expect("TEST_DATABASE_URL parses");
    match dialect::connect(&url, Duration::from_secs(5)) {
        Ok(c) => Some(c),
        Err(e) => {
            assert!(
                !under_ci(),
                "PostgreSQL is required under CI but unreachable at {}: {e}",
                url.masked()
            );
            eprintln!("skipping a PostgreSQL test: {e}");
            None
        }
    }
}

fn admin_target() -> PgTarget {
    match admin_url().parse().expect("TEST_DATABASE_URL parses") {
        DatabaseUrl::Postgres(t) => t,
        DatabaseUrl::Sqlite(_) => panic!("TEST_DATABASE_URL is not a PostgreSQL URL"),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A URL for database `db` with the credentials of `base`, on its server or on `port` of 127.0.0.1.
fn url_for(base: &PgTarget, db: &str, port: Option<u16>) -> String {
    url_as(base, base.user(), base.password(), db, port)
}

/// Like [`url_for`], as another user.
fn url_as(
    base: &PgTarget,
    user: &str,
    password: Option<&str>,
    db: &str,
    port: Option<u16>,
) -> String {
    let mut url = format!("postgresql://{}", encode(user));
    if let Some(pw) = password {
        url.push_str(&format!(":{}", encode(pw)));
    }
    let mut query = Vec::new();
    match (port, &base.hosts()[0]) {
        (Some(p), _) => url.push_str(&format!("@127.0.0.1:{p}")),
        (None, PgHost::Tcp(h)) => url.push_str(&format!("@{h}:{}", base.ports()[0])),
        (None, PgHost::Socket(dir)) => {
            url.push('@');
            query.push(format!("host={}", dir.display()));
            query.push(format!("port={}", base.ports()[0]));
        }
    }
    url.push('/');
    url.push_str(&encode(db));
    if base.sslmode() != SslMode::Prefer {
        query.push(format!("sslmode={}", base.sslmode()));
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    url
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database name for one test, which is dropped when this goes out of scope, even if the test failed.
struct TempDb {
    name: String,
}

impl TempDb {
    /// A name that does not exist yet, e.g. `dbkit_init_<pid>_<n>`, or with `template` as `{pid}`/`{n}`.
    fn new(template: &str) -> Option<TempDb> {
        let mut admin = pg_admin()?;
        let name = template
            .replace("{pid}", &std::process::id().to_string())
            .replace("{n}", &COUNTER.fetch_add(1, Ordering::SeqCst).to_string());
        admin
            .batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                ident(&name)
            ))
            .unwrap();
        Some(TempDb { name })
    }

    fn url(&self) -> String {
        url_for(&admin_target(), &self.name, None)
    }

    fn query(&self, sql: &str) -> Vec<String> {
        let mut conn = PgConnection::open(&admin_target().with_dbname(&self.name)).unwrap();
        conn.query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|r| r.into_iter().next().flatten().unwrap_or_default())
            .collect()
    }

    fn extensions(&self) -> Vec<String> {
        self.query("SELECT extname::text FROM pg_extension ORDER BY 1")
    }

    fn exists(&self) -> bool {
        let mut admin = pg_admin().unwrap();
        !admin
            .query(&format!(
                "SELECT 1 FROM pg_database WHERE datname = {}",
                dialect::quote_literal(&self.name)
            ))
            .unwrap()
            .is_empty()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Some(mut admin) = pg_admin() {
            let _ = admin.batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                ident(&self.name)
            ));
        }
    }
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A local port nothing listens on (bound and released, so the system just handed it out).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// After `delay`, listens on `port` and forwards every connection to `to`: a server that appears late.
fn forward_later(port: u16, to: SocketAddr, delay: Duration) {
    thread::spawn(move || {
        thread::sleep(delay);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the forwarder's port");
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(to) else {
                continue;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            pipe(client, server);
            pipe(s2, c2);
        }
    });
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}

#[test]
fn creates_a_missing_postgresql_database_with_its_extensions_and_a_second_run_changes_nothing() {
    let Some(db) = TempDb::new("dbkit_init_{pid}_{n}") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let r = init_ok(dir.path(), &db.url(), &[], &[]);
    assert!(
        r.stderr
            .contains(&format!("creating database '{}'", db.name)),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains(&format!("database:   {}, created", db.name)),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("server:     PostgreSQL "), "{}", r.stdout);
    assert!(
        r.stdout.contains("extension:  uuid-ossp ") && r.stdout.contains("extension:  pgcrypto "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("revision:   none (no alembic_version table yet)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("done\n"), "{}", r.stdout);
    let extensions = db.extensions();
    assert!(
        extensions.contains(&"uuid-ossp".to_string())
            && extensions.contains(&"pgcrypto".to_string()),
        "{extensions:?}"
    );

    let again = init_ok(dir.path(), &db.url(), &[], &[]);
    assert!(!again.stderr.contains("creating"), "{}", again.stderr);
    assert!(
        again
            .stdout
            .contains(&format!("database:   {}, already there", db.name)),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .ends_with("nothing to do: everything was already in place\n"),
        "{}",
        again.stdout
    );

    let json = init_ok(dir.path(), &db.url(), &["--json"], &[]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("stdout is JSON");
    assert_eq!(report["database"]["state"], "existing");
    assert_eq!(report["changed"], false);
    assert_eq!(report["extensions"][1]["name"], "pgcrypto");
    assert!(json.stderr.contains("connecting to"), "{}", json.stderr);
}

#[test]
fn an_awkward_database_name_and_db_extensions() {
    let Some(db) = TempDb::new("Dbkit \"Odd\" Name {pid}") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let r = init_ok(dir.path(), &db.url(), &[], &[("DB_EXTENSIONS", "citext")]);
    assert!(
        r.stdout
            .contains(&format!("database:   {}, created", db.name)),
        "{}",
        r.stdout
    );
    assert!(db.exists());
    let extensions = db.extensions();
    assert!(extensions.contains(&"citext".to_string()), "{extensions:?}");
    assert!(
        !extensions.contains(&"pgcrypto".to_string()),
        "{extensions:?}"
    );

    // The flag wins over the variable; what is there already is left alone.
    let r = init_ok(
        dir.path(),
        &db.url(),
        &["--extension", "pgcrypto", "--extension", "citext"],
        &[("DB_EXTENSIONS", "hstore")],
    );
    assert!(r.stdout.contains("already there ("), "{}", r.stdout);
    assert!(r.stdout.contains("pgcrypto 1."), "{}", r.stdout);
    let extensions = db.extensions();
    assert!(
        extensions.contains(&"pgcrypto".to_string()),
        "{extensions:?}"
    );
    assert!(
        !extensions.contains(&"hstore".to_string()),
        "{extensions:?}"
    );

    let r = init_ok(dir.path(), &db.url(), &["--no-extensions"], &[]);
    assert!(r.stdout.contains("nothing to do"), "{}", r.stdout);
    assert!(!r.stdout.contains("extension:"), "{}", r.stdout);
}

#[test]
fn wait_gives_up_after_its_timeout_when_no_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("postgresql://app:secret-pw@127.0.0.1:{port}/app");

    let r = init_fails(dir.path(), &url, &[], &[]);
    assert!(
        r.stderr.contains(&format!(
            "could not connect to 127.0.0.1:{port} as 'app' (database 'postgres')"
        )) && r.stderr.contains("--wait"),
        "{}",
        r.stderr
    );

    let started = Instant::now();
    let r = init_fails(dir.path(), &url, &["--wait", "2"], &[]);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(10),
        "took {took:?}"
    );
    assert!(
        r.stderr.contains(&format!(
            "FAILED: gave up after 2s waiting for PostgreSQL at 127.0.0.1:{port}: "
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("waiting for PostgreSQL at 127.0.0.1:{port} (")),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("secret-pw") && !r.stderr.contains("secret-pw"));
}

#[test]
fn wait_succeeds_when_the_server_appears_during_the_wait() {
    let Some(db) = TempDb::new("dbkit_init_{pid}_{n}") else {
        return;
    };
    let admin = admin_target();
    let PgHost::Tcp(host) = &admin.hosts()[0] else {
        eprintln!("skipping: TEST_DATABASE_URL is not a TCP address");
        return;
    };
    let server = (host.as_str(), admin.ports()[0])
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap();
    let port = free_port();
    forward_later(port, server, Duration::from_millis(1500));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let r = init_ok(
        dir.path(),
        &url_for(&admin, &db.name, Some(port)),
        &["--wait", "30"],
        &[],
    );
    assert!(started.elapsed() >= Duration::from_millis(1400));
    assert!(
        r.stderr
            .contains(&format!("waiting for PostgreSQL at 127.0.0.1:{port} (")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("PostgreSQL at 127.0.0.1:{port} is up after ")),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains(&format!("database:   {}, created", db.name)),
        "{}",
        r.stdout
    );
    assert!(db.exists());
}

#[test]
fn sqlite_creates_the_directory_and_file_in_wal_mode_and_skips_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested/deeper/app.db");
    let url = format!("sqlite:///{}", file.display());
    let r = init_ok(dir.path(), &url, &[], &[("DB_EXTENSIONS", "citext")]);
    assert!(file.is_file());
    assert!(
        r.stdout.contains(&format!(
            "directory:  {}, created",
            dir.path().join("nested/deeper").display()
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("extensions: do not apply to SQLite; skipped citext"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("SQLite; skipped").count(), 1);
    assert!(r.stdout.contains("journal:    wal (set)"), "{}", r.stdout);
    assert!(
        r.stdout.contains("check:      quick_check ok"),
        "{}",
        r.stdout
    );
    let mut conn = dialect::connect(&url.parse().unwrap(), Duration::from_secs(5)).unwrap();
    let mode = conn.query("PRAGMA journal_mode").unwrap();
    assert_eq!(mode[0][0].as_deref(), Some("wal"));
    drop(conn);

    let again = init_ok(dir.path(), &url, &[], &[]);
    assert!(
        again.stdout.contains("journal:    wal (already)"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .ends_with("nothing to do: everything was already in place\n"),
        "{}",
        again.stdout
    );

    // The default location, relative to the working directory.
    let r = Run::from(init_cmd(dir.path()).arg("-q").output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("data/app.db").is_file());
    assert!(!r.stderr.contains("creating"), "-q: {}", r.stderr);
}

both!(recreate_needs_yes_and_force_production, |fx| {
    let dir = fx.path();
    init_ok(dir, &fx.url, &["--no-extensions"], &[]);
    fx.chain(1);
    fx.ok(&["upgrade", "head"]);
    let r = init_ok(dir, &fx.url, &["--no-extensions"], &[]);
    assert!(r.stdout.contains("revision:   r1\n"), "{}", r.stdout);
    assert!(fx.table_exists("t1"));

    let r = init_fails(dir, &fx.url, &["--recreate"], &[]);
    assert!(
        r.stderr
            .contains("and everything in it; add --yes to confirm"),
        "{}",
        r.stderr
    );
    for var in ["DBKIT_ENV", "APP_ENV", "ENVIRONMENT"] {
        let r = init_fails(
            dir,
            &fx.url,
            &["--recreate", "--yes"],
            &[(var, "production")],
        );
        assert!(
            r.stderr
                .contains(&format!("{var} is 'production'; add --force-production")),
            "{}",
            r.stderr
        );
    }
    assert!(fx.table_exists("t1"), "refusals change nothing");

    if fx.kind == Kind::Sqlite {
        // Left-overs of an earlier life must not survive the new file.
        let db = fx.path().join("app.db");
        std::fs::write(format!("{}-shm", db.display()), "stale").unwrap();
    }
    let r = init_ok(
        dir,
        &fx.url,
        &["--recreate", "--yes", "--no-extensions"],
        &[],
    );
    assert!(r.stdout.contains(", recreated"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("revision:   none (no alembic_version table yet)"),
        "{}",
        r.stdout
    );
    assert_eq!(fx.tables(), Vec::<String>::new());
    if fx.kind == Kind::Sqlite {
        let shm = std::fs::read(fx.path().join("app.db-shm")).unwrap_or_default();
        assert_ne!(shm, b"stale");
    }

    fx.ok(&["upgrade", "head"]);
    init_ok(
        dir,
        &fx.url,
        &[
            "--recreate",
            "--yes",
            "--force-production",
            "--no-extensions",
        ],
        &[("APP_ENV", "production")],
    );
    assert_eq!(fx.tables(), Vec::<String>::new());
});

/// A role without CREATEDB: one made for the test if the admin role may create roles, else `dbkit_pw` through
/// TEST_DATABASE_PASSWORD_URL.
fn role_without_createdb() -> Option<(PgTarget, Option<String>)> {
    let mut admin = pg_admin()?;
    let role = format!("dbkit_init_nocreatedb_{}", std::process::id());
    let made = admin.batch(&format!(
        "CREATE ROLE {} LOGIN NOCREATEDB PASSWORD 'right-password'",
        ident(&role)
    ));
    if made.is_ok() {
        let url = url_as(
            &admin_target(),
            &role,
            Some("right-password"),
            "postgres",
            None,
        );
        let DatabaseUrl::Postgres(t) = url.parse().unwrap() else {
            unreachable!("a PostgreSQL URL")
        };
        return Some((t, Some(role)));
    }
    match std::env::var("TEST_DATABASE_PASSWORD_URL") {
        Ok(url) => {
            let DatabaseUrl::Postgres(t) = url.parse().expect("TEST_DATABASE_PASSWORD_URL parses")
            else {
                panic!("TEST_DATABASE_PASSWORD_URL is not a PostgreSQL URL");
            };
            Some((t, None))
        }
        Err(_) => {
            assert!(!under_ci(), "CI must set TEST_DATABASE_PASSWORD_URL");
            eprintln!("skipping: no role without CREATEDB (set TEST_DATABASE_PASSWORD_URL)");
            None
        }
    }
}

#[test]
fn a_role_without_createdb_is_told_which_privilege_to_ask_for() {
    let Some(db) = TempDb::new("dbkit_init_{pid}_{n}") else {
        return;
    };
    let Some((role, made)) = role_without_createdb() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = url_for(&role, &db.name, None);
    let r = init_fails(dir.path(), &url, &[], &[]);
    let user = role.user();
    assert!(
        r.stderr.contains(&format!(
            "FAILED: could not create database '{}': permission denied to create database (SQLSTATE 42501); \
             role '{user}' lacks CREATEDB; ask an administrator to run ALTER ROLE \"{user}\" CREATEDB; \
             or CREATE DATABASE \"{}\" OWNER \"{user}\";",
            db.name, db.name
        )),
        "{}",
        r.stderr
    );
    assert!(!db.exists());
    if let (Some(role), Some(mut admin)) = (made, pg_admin()) {
        let _ = admin.batch(&format!("DROP ROLE IF EXISTS {}", ident(&role)));
    }
}

#[test]
fn no_password_in_any_output() {
    let Some(db) = TempDb::new("dbkit_init_{pid}_{n}") else {
        return;
    };
    let Ok(password_url) = std::env::var("TEST_DATABASE_PASSWORD_URL") else {
        assert!(!under_ci(), "CI must set TEST_DATABASE_PASSWORD_URL");
        return;
    };
    let DatabaseUrl::Postgres(role) = password_url.parse().unwrap() else {
        panic!("TEST_DATABASE_PASSWORD_URL is not a PostgreSQL URL");
    };
    let secret = role.password().expect("the URL has a password").to_string();
    let dir = tempfile::tempdir().unwrap();
    // The admin role creates the database; the password role finds it there.
    init_ok(dir.path(), &db.url(), &[], &[]);
    let url = url_for(&role, &db.name, None);
    let runs = vec![
        init_ok(dir.path(), &url, &[], &[]),
        init_ok(dir.path(), &url, &["--json"], &[]),
        // Needs CREATE on the database, which this role lacks.
        init_fails(dir.path(), &url, &["--extension", "hstore"], &[]),
        init_fails(
            dir.path(),
            &url_for(&role, &format!("{}_new", db.name), None),
            &[],
            &[],
        ),
        init_fails(dir.path(), &url, &["--recreate", "--yes"], &[]),
        init_fails(
            dir.path(),
            &url_for(&role, &db.name, Some(free_port())),
            &["--wait", "1"],
            &[],
        ),
        init_fails(
            dir.path(),
            &url.replace(&encode(&secret), "wrong-password"),
            &[],
            &[],
        ),
        init_fails(
            dir.path(),
            &url.replacen("postgresql", "mysql", 1),
            &[],
            &[],
        ),
    ];
    for r in &runs {
        assert!(
            !r.stdout.contains(&secret) && !r.stderr.contains(&secret),
            "stdout:\n{}\nstderr:\n{}",
            r.stdout,
            r.stderr
        );
    }
    assert!(runs[0].stderr.contains(":***@"), "{}", runs[0].stderr);
    assert!(runs[1].stderr.contains(":***@"), "{}", runs[1].stderr);
}
