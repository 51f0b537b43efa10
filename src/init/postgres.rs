//! `db-init` on PostgreSQL: waits for the server if asked, creates the database through a maintenance
//! database (or drops and creates it), then the extensions, and words a refusal for want of a privilege as the
//! statement an administrator can run.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{
    guard_recreate, revision, DatabaseReport, ExtensionReport, InitError, Options, Report, State,
};
use crate::dburl::PgTarget;
use crate::dialect::postgres::{connect, ConnectError, PgConnection};
use crate::dialect::{pg_db_error, quote_literal, Connection};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::progress::Event;
use crate::version::VersionTable;

/// Databases to try, in order, for creating the target: every cluster has them and any role may usually
/// connect to them.
const MAINTENANCE_DATABASES: &[&str] = &["postgres", "template1"];

/// PostgreSQL truncates longer identifiers, so a longer name would never be found again after creation.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// An identifier in double quotes, always: in the statements shown to an administrator it reads the same
/// whatever the name.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Who is connected, and whether that role may create databases.
struct Role {
    name: String,
    createdb: bool,
    superuser: bool,
}

/// An existing database's settings.
struct Existing {
    owner: String,
    encoding: String,
    collation: String,
}

pub(super) fn init(
    target: &PgTarget,
    version: &VersionTable,
    opts: &Options,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Report> {
    let name = target.dbname().to_string();
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err(InitError::NameTooLong {
            bytes: name.len(),
            name,
        }
        .into());
    }
    let mut notes = Vec::new();
    if opts.journal_mode.is_some() {
        notes.push("--journal-mode applies only to SQLite; ignored".to_string());
    }
    if opts.recreate {
        if MAINTENANCE_DATABASES.contains(&name.as_str()) || name == "template0" {
            return Err(InitError::SystemDatabase(name).into());
        }
        guard_recreate(opts, &format!("database '{name}'"))?;
    }
    let deadline = opts.wait.map(|w| (Instant::now() + w, w));

    let first = target.with_dbname(MAINTENANCE_DATABASES[0]);
    events(Event::Note(&format!("connecting to {}", first.masked())));
    let state = match maintenance(target, deadline, events)? {
        Ok(mut admin) => create_database(&mut admin, target, opts, &mut notes, events)?,
        Err(tried) => {
            // No maintenance database is open to this role. The target itself may be, in which case it
            // exists and there is nothing to create.
            if opts.recreate {
                return Err(Error::Connect(format!(
                    "--recreate needs a maintenance database to drop '{name}' from, and none could be opened ({tried})"
                )));
            }
            match connect(target) {
                Ok(_) => {
                    notes.push(format!(
                        "no maintenance database could be opened ({tried}); the database exists, so none was needed"
                    ));
                    State::Existing
                }
                Err(e) => {
                    return Err(InitError::NoMaintenance {
                        database: name,
                        tried,
                        target: e.detail().to_string(),
                    }
                    .into())
                }
            }
        }
    };

    events(Event::Note(&format!("connecting to {}", target.masked())));
    let mut conn = match PgConnection::open(target) {
        Ok(conn) => conn,
        Err(Error::PgConnect(e)) if e.code() == Some("42501") => {
            return Err(InitError::Privilege {
                context: format!("could not connect to database '{name}'"),
                cause: e.detail().to_string(),
                advice: format!(
                    "role '{user}' lacks CONNECT on it; ask an administrator to run GRANT CONNECT ON DATABASE {} TO {};",
                    ident(&name),
                    ident(target.user()),
                    user = target.user()
                ),
            }
            .into())
        }
        Err(e) => return Err(e),
    };
    let conn: &mut dyn Connection = &mut conn;
    let (extensions, created) = create_extensions(conn, &name, &opts.extensions, events)?;

    let server = conn
        .server_version()
        .map_err(Error::db("could not read the server version"))?;
    let info = conn
        .query(
            "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, datcollate::text \
             FROM pg_database WHERE datname = current_database()",
        )
        .map_err(Error::db(format!("could not read the settings of '{name}'")))?;
    let field = |i: usize| info.first().and_then(|r| r.get(i).cloned().flatten());
    let revision = revision(conn, version)?;
    Ok(Report {
        dialect: Engine::Postgresql.name(),
        url: target.masked(),
        server,
        database: DatabaseReport {
            name,
            state,
            owner: field(0),
            encoding: field(1),
            collation: field(2),
            created_directory: None,
        },
        extensions,
        skipped_extensions: Vec::new(),
        journal_mode: None,
        quick_check: None,
        version_table: version.qualified(),
        revision,
        notes,
        changed: state != State::Existing || created,
    })
}

/// One connection attempt's failure.
enum Failure {
    Refused(ConnectError),
    /// The attempt did not finish within the time left to wait.
    NoAnswer(Duration),
}

/// One attempt, bounded by `limit`: the URL's `connect_timeout` bounds only the TCP connect, and a
/// server that accepts and then says nothing would otherwise hold the wait past its deadline.
fn attempt(target: &PgTarget, limit: Duration) -> std::result::Result<postgres::Client, Failure> {
    let (tx, rx) = mpsc::channel();
    let target = target.clone();
    std::thread::spawn(move || {
        // The receiver is gone once the wait gave up; the late connection is then simply closed.
        let _ = tx.send(connect(&target));
    });
    match rx.recv_timeout(limit) {
        Ok(result) => result.map_err(Failure::Refused),
        Err(_) => Err(Failure::NoAnswer(limit)),
    }
}

/// Connects as `target` describes, retrying what may pass (refused, starting up) until `deadline`.
fn connect_waiting(
    target: &PgTarget,
    deadline: Option<(Instant, Duration)>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<std::result::Result<postgres::Client, ConnectError>> {
    let Some((deadline, total)) = deadline else {
        return match connect(target) {
            Ok(client) => Ok(Ok(client)),
            Err(e) if e.is_retryable() => Err(InitError::ServerDown(e).into()),
            Err(e) => Ok(Err(e)),
        };
    };
    let started = Instant::now();
    let server = target.host_display();
    let mut backoff = Duration::from_millis(200);
    let mut last_reason = String::new();
    let mut last_said = started;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let reason = match attempt(target, left.max(Duration::from_secs(1))) {
            Ok(client) => {
                if !last_reason.is_empty() {
                    events(Event::Note(&format!(
                        "PostgreSQL at {server} is up after {:.1}s",
                        started.elapsed().as_secs_f64()
                    )));
                }
                return Ok(Ok(client));
            }
            Err(Failure::Refused(e)) if !e.is_retryable() => return Ok(Err(e)),
            Err(Failure::Refused(e)) => e.detail().to_string(),
            Err(Failure::NoAnswer(limit)) => {
                format!("no answer within {}s", limit.as_secs_f64().ceil())
            }
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(InitError::GaveUp {
                seconds: total.as_secs(),
                server,
                last: reason,
            }
            .into());
        }
        if reason != last_reason || last_said.elapsed() >= Duration::from_secs(10) {
            events(Event::Note(&format!(
                "waiting for PostgreSQL at {server} ({reason}); giving up in {}s",
                left.as_secs_f64().ceil()
            )));
            last_said = Instant::now();
        }
        last_reason = reason;
        std::thread::sleep(backoff.min(left));
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// Opens the first maintenance database this role may use. Waits for the server on the first; the rest are
/// tried only when the server turned away that one database (missing, or closed to this role). `Err` lists
/// what was tried, when none could be opened for such reasons.
fn maintenance(
    target: &PgTarget,
    deadline: Option<(Instant, Duration)>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<std::result::Result<postgres::Client, String>> {
    let mut tried = Vec::new();
    for (i, db) in MAINTENANCE_DATABASES.iter().enumerate() {
        let t = target.with_dbname(db);
        let result = if i == 0 {
            connect_waiting(&t, deadline, events)?
        } else {
            events(Event::Note(&format!("connecting to {}", t.masked())));
            connect(&t)
        };
        match result {
            Ok(client) => return Ok(Ok(client)),
            // 3D000: no such database; 42501: no CONNECT; 28000: the server's access rules turn this
            // database away.
            Err(e) if matches!(e.code(), Some("3D000" | "42501" | "28000")) => {
                tried.push(format!("{db}: {}", e.detail()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Err(tried.join("; ")))
}

fn current_role(admin: &mut postgres::Client) -> Result<Role> {
    let row = admin
        .query_one(
            "SELECT current_user::text, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .map_err(|e| Error::db("could not read the current role")(pg_db_error(&e)))?;
    Ok(Role {
        name: row.get(0),
        createdb: row.get(1),
        superuser: row.get(2),
    })
}

fn find_database(admin: &mut postgres::Client, name: &str) -> Result<Option<Existing>> {
    let row = admin
        .query_opt(
            "SELECT pg_get_userbyid(datdba)::text, pg_encoding_to_char(encoding)::text, datcollate::text \
             FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .map_err(|e| Error::db(format!("could not look for database '{name}'"))(pg_db_error(&e)))?;
    Ok(row.map(|r| Existing {
        owner: r.get(0),
        encoding: r.get(1),
        collation: r.get(2),
    }))
}

/// Encoding names as the server compares them: `utf-8`, `UTF8` and `utf_8` are one encoding.
fn same_encoding(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// Creates (or drops and creates) the database through the maintenance connection.
fn create_database(
    admin: &mut postgres::Client,
    target: &PgTarget,
    opts: &Options,
    notes: &mut Vec<String>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<State> {
    let name = target.dbname();
    let mut existing = find_database(admin, name)?;
    let mut state = State::Created;
    if existing.is_some() && opts.recreate {
        drop_database(admin, name, events)?;
        existing = None;
        state = State::Recreated;
    }
    if let Some(found) = existing {
        if let Some(owner) = opts.owner.as_ref().filter(|o| **o != found.owner) {
            notes.push(format!(
                "database '{name}' exists with owner '{}', not '{owner}'; left as it is",
                found.owner
            ));
        }
        if let Some(enc) = opts
            .encoding
            .as_ref()
            .filter(|e| !same_encoding(e, &found.encoding))
        {
            notes.push(format!(
                "database '{name}' exists with encoding '{}', not '{enc}'; left as it is",
                found.encoding
            ));
        }
        if let Some(locale) = opts.locale.as_ref().filter(|l| **l != found.collation) {
            notes.push(format!(
                "database '{name}' exists with collation '{}', not '{locale}'; left as it is",
                found.collation
            ));
        }
        return Ok(State::Existing);
    }
    let mut sql = format!("CREATE DATABASE {}", ident(name));
    if let Some(owner) = &opts.owner {
        sql.push_str(&format!(" OWNER {}", ident(owner)));
    }
    if let Some(template) = &opts.template {
        sql.push_str(&format!(" TEMPLATE {}", ident(template)));
    }
    if let Some(encoding) = &opts.encoding {
        sql.push_str(&format!(" ENCODING {}", quote_literal(encoding)));
    }
    if let Some(locale) = &opts.locale {
        sql.push_str(&format!(" LOCALE {}", quote_literal(locale)));
    }
    events(Event::Note(&format!("creating database '{name}'")));
    match admin.batch_execute(&sql) {
        Ok(()) => Ok(state),
        Err(e) => {
            let cause = pg_db_error(&e);
            let context = format!("could not create database '{name}'");
            match cause.code.as_deref() {
                // Another run created it between the look and the create: it is there, which is all this run
                // wanted. A run that commits first makes the others fail with 23505 on the catalog's unique
                // index rather than 42P04, so the database is looked for again rather than assumed.
                Some("42P04" | "23505") if find_database(admin, name)?.is_some() => {
                    Ok(State::Existing)
                }
                Some("42501") => {
                    let role = current_role(admin)?;
                    Err(InitError::Privilege {
                        context,
                        cause: cause.to_string(),
                        advice: create_advice(&role, name, opts),
                    }
                    .into())
                }
                Some("22023") if cause.message.contains("template database") => {
                    Err(InitError::TemplateMismatch {
                        context,
                        cause: cause.to_string(),
                    }
                    .into())
                }
                Some("22023") if cause.message.contains("does not match locale") => {
                    Err(InitError::LocaleMismatch {
                        context,
                        cause: cause.to_string(),
                    }
                    .into())
                }
                _ => Err(Error::db(context)(cause)),
            }
        }
    }
}

/// What an administrator can run when CREATE DATABASE was refused.
fn create_advice(role: &Role, name: &str, opts: &Options) -> String {
    let owner = opts.owner.as_deref().unwrap_or(&role.name);
    if !role.createdb && !role.superuser {
        format!(
            "role '{}' lacks CREATEDB; ask an administrator to run ALTER ROLE {} CREATEDB; or CREATE DATABASE {} OWNER {};",
            role.name,
            ident(&role.name),
            ident(name),
            ident(owner)
        )
    } else if let Some(owner) = &opts.owner {
        format!(
            "role '{}' may create databases but not give them to '{owner}'; ask an administrator to run GRANT {} TO {}; or CREATE DATABASE {} OWNER {};",
            role.name,
            ident(owner),
            ident(&role.name),
            ident(name),
            ident(owner)
        )
    } else {
        format!(
            "ask an administrator to run CREATE DATABASE {} OWNER {};",
            ident(name),
            ident(owner)
        )
    }
}

fn drop_database(
    admin: &mut postgres::Client,
    name: &str,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let version: i64 = admin
        .query_one("SELECT current_setting('server_version_num')::bigint", &[])
        .map_err(|e| Error::db("could not read the server version")(pg_db_error(&e)))?
        .get(0);
    // Before 13 there is no FORCE, and the drop fails while anyone is connected; the error says so.
    let force = if version >= 130000 {
        " WITH (FORCE)"
    } else {
        ""
    };
    events(Event::Note(&format!("dropping database '{name}'")));
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}{force}", ident(name)))
        .map_err(|e| {
            let cause = pg_db_error(&e);
            let context = format!("could not drop database '{name}'");
            if cause.code.as_deref() == Some("42501") {
                InitError::Privilege {
                    context,
                    cause: cause.to_string(),
                    advice: format!(
                        "only its owner or a superuser may drop it; ask one to run DROP DATABASE {}{force};",
                        ident(name)
                    ),
                }
                .into()
            } else {
                Error::db(context)(cause)
            }
        })
}

/// Creates each missing extension. Tries them all, so that one error can list every statement an
/// administrator needs to run; returns the extensions and whether any was created.
fn create_extensions(
    conn: &mut dyn Connection,
    database: &str,
    names: &[String],
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(Vec<ExtensionReport>, bool)> {
    let installed = |conn: &mut dyn Connection, ext: &str| {
        conn.value(&format!(
            "SELECT extversion FROM pg_extension WHERE extname = {}",
            quote_literal(ext)
        ))
        .map_err(Error::db(format!("could not look for extension '{ext}'")))
    };
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    let mut for_admin = Vec::new();
    let mut created = false;
    for ext in names {
        if let Some(version) = installed(conn, ext)? {
            reports.push(ExtensionReport {
                name: ext.clone(),
                version,
                state: State::Existing,
            });
            continue;
        }
        let available = conn
            .value(&format!(
                "SELECT default_version FROM pg_available_extensions WHERE name = {}",
                quote_literal(ext)
            ))
            .map_err(Error::db(format!("could not look for extension '{ext}'")))?;
        if available.is_none() {
            failures.push(format!(
                "extension '{ext}' is not available on the server (install the package that provides it there)"
            ));
            continue;
        }
        events(Event::Note(&format!("creating extension '{ext}'")));
        // Without IF NOT EXISTS, so that a run which lost the race to another is told so by an error
        // and reports the extension as already there rather than created. An administrator gets the
        // statement that is safe to run in any case.
        let statement = format!("CREATE EXTENSION IF NOT EXISTS {};", ident(ext));
        let state = match conn.batch(&format!("CREATE EXTENSION {}", ident(ext))) {
            Ok(()) => {
                created = true;
                State::Created
            }
            // Another run created it at the same moment (unique_violation or duplicate_object, depending on
            // which of the extension's objects collided first).
            Err(e) if matches!(e.code.as_deref(), Some("23505" | "42710")) => State::Existing,
            Err(e) if e.code.as_deref() == Some("42501") => {
                // Only to word the advice: a failure here must not hide the real error.
                let user = conn
                    .value("SELECT current_user::text")
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let trusted = conn.value(&format!(
                        "SELECT v.trusted::text FROM pg_available_extension_versions v \
                         JOIN pg_available_extensions a ON a.name = v.name AND a.default_version = v.version \
                         WHERE v.name = {}",
                        quote_literal(ext)
                    )).ok()
                .flatten();
                let why = match trusted.as_deref() {
                    Some("false") => "it needs a superuser".to_string(),
                    Some("true") => format!(
                        "it needs CREATE on the database, which GRANT CREATE ON DATABASE {} TO {}; would give",
                        ident(database),
                        ident(&user)
                    ),
                    _ => "it needs a superuser, or CREATE on the database if it is trusted".to_string(),
                };
                failures.push(format!("extension '{ext}': {e}; {why}"));
                for_admin.push(statement);
                continue;
            }
            Err(e) => {
                failures.push(format!("extension '{ext}': {e}"));
                continue;
            }
        };
        let version = installed(conn, ext)?.unwrap_or_default();
        reports.push(ExtensionReport {
            name: ext.clone(),
            version,
            state,
        });
    }
    if !failures.is_empty() {
        let advice = (!for_admin.is_empty()).then(|| {
            format!(
                "ask an administrator to run, connected to database '{database}': {}",
                for_admin.join(" ")
            )
        });
        return Err(InitError::Extensions {
            database: database.to_string(),
            failures,
            advice,
        }
        .into());
    }
    Ok((reports, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_always_quoted_and_quotes_doubled() {
        assert_eq!(ident("app"), "\"app\"");
        assert_eq!(ident("Dbkit \"Odd\" Name"), "\"Dbkit \"\"Odd\"\" Name\"");
    }

    #[test]
    fn advice_names_the_missing_privilege_and_the_statement() {
        let role = Role {
            name: "app".into(),
            createdb: false,
            superuser: false,
        };
        assert_eq!(
            create_advice(&role, "x", &Options::default()),
            "role 'app' lacks CREATEDB; ask an administrator to run ALTER ROLE \"app\" CREATEDB; or CREATE DATABASE \"x\" OWNER \"app\";"
        );
        assert!(same_encoding("utf-8", "UTF8"));
    }
}
