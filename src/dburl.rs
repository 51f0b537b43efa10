//! Database URLs as users already write them, turned into something dbkit can open.
//!
//! Teams arrive with the URLs they already have: schemes with a `+driver` suffix, SQLite paths
//! written with three or four slashes, and PostgreSQL query parameters such as `sslmode` or
//! `host=/var/run/postgresql`. The `postgres` crate's own parser rejects several of these (the
//! `+driver` suffix, `verify-ca`, `verify-full`, `sslrootcert`), so this module parses them itself;
//! connecting to what it parsed is [`crate::dialect::postgres::connect`]'s work. Where the two
//! disagree, it follows PostgreSQL's own client library, since that is what these URLs were written
//! against. Parsing is pure: nothing here opens a file or a socket.
//!
//! Passwords never reach `Display`, `Debug` or an error message; [`DatabaseUrl::masked`] is the
//! form to print.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::engine::Engine;

/// The port PostgreSQL's client library assumes when a URL names none.
pub(crate) const DEFAULT_PORT: u16 = 5432;

/// Where the server's socket lives on the common Linux packages, used when a URL names no host.
pub(crate) const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

const SUPPORTED_FORMS: &str = "sqlite:///relative/path.db, sqlite:////absolute/path.db, \
     sqlite:// (in memory), postgresql://user:password@host:5432/dbname \
     (also postgres://, postgresql+asyncpg://, postgresql+psycopg2://, \
     postgresql+psycopg://, postgresql+pg8000://)";

const SUPPORTED_PARAMS: &str = "host, port, user, password, dbname, sslmode, sslrootcert, \
     application_name, fallback_application_name, connect_timeout, options, ssl";

const SQLITE_SCHEMES: &[&str] = &["sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"];

const POSTGRES_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "postgresql+asyncpg",
    "postgresql+psycopg2",
    "postgresql+psycopg2cffi",
    "postgresql+psycopg",
    "postgresql+psycopg_async",
    "postgresql+pg8000",
];

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(SqliteTarget),
    Postgres(PgTarget),
}

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteTarget {
    Memory,
    /// A relative path is resolved against the current directory when the file is opened.
    File(PathBuf),
}

/// One server address; a URL may list several, which are tried in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgHost {
    /// A host name or IP address (IPv6 without brackets).
    Tcp(String),
    /// The directory holding the server's Unix socket.
    Socket(PathBuf),
}

/// The `sslmode` URL parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a database URL was rejected. Every URL quoted here has its password masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("database URL is empty; supported forms: {SUPPORTED_FORMS}")]
    Empty,
    #[error("database URL '{url}' has no scheme; supported forms: {SUPPORTED_FORMS}")]
    NoScheme { url: String },
    #[error("unsupported database URL scheme '{scheme}'; supported forms: {SUPPORTED_FORMS}")]
    UnsupportedScheme { scheme: String },
    #[error("invalid database URL '{url}': {reason}")]
    Invalid { url: String, reason: String },
    #[error(
        "unsupported parameter '{name}' in database URL '{url}'; supported: {SUPPORTED_PARAMS}"
    )]
    UnknownParameter { url: String, name: String },
    #[error("invalid {name} '{value}' in database URL '{url}'; expected {expected}")]
    InvalidParameter {
        url: String,
        name: String,
        value: String,
        expected: &'static str,
    },
}

impl FromStr for DatabaseUrl {
    type Err = UrlError;

    fn from_str(input: &str) -> Result<DatabaseUrl, UrlError> {
        // Values pasted from .env files and shell output often carry a stray newline.
        let raw = input.trim();
        if raw.is_empty() {
            return Err(UrlError::Empty);
        }
        let scheme = match raw.split_once(':') {
            Some((scheme, _)) if is_scheme(scheme) => scheme.to_ascii_lowercase(),
            _ => return Err(UrlError::NoScheme { url: mask_raw(raw) }),
        };
        let after_colon = &raw[scheme.len() + 1..];
        if SQLITE_SCHEMES.contains(&scheme.as_str()) {
            parse_sqlite(raw, after_colon).map(DatabaseUrl::Sqlite)
        } else if POSTGRES_SCHEMES.contains(&scheme.as_str()) {
            parse_postgres(raw, after_colon).map(DatabaseUrl::Postgres)
        } else {
            Err(UrlError::UnsupportedScheme { scheme })
        }
    }
}

impl DatabaseUrl {
    /// The URL with any password replaced by `***`, suitable for any output, e.g.
    /// `postgresql://app:***@db:5432/app`. It is normalised: defaults are spelled out and the
    /// driver suffix is dropped, so it shows what will actually be used.
    pub fn masked(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(target) => target.url(),
            DatabaseUrl::Postgres(target) => target.masked(),
        }
    }

    /// The engine the URL points at.
    pub(crate) fn engine(&self) -> Engine {
        match self {
            DatabaseUrl::Sqlite(_) => Engine::Sqlite,
            DatabaseUrl::Postgres(_) => Engine::Postgresql,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl SqliteTarget {
    /// The canonical URL; SQLite URLs carry no secrets.
    pub(crate) fn url(&self) -> String {
        match self {
            SqliteTarget::Memory => "sqlite://".to_string(),
            // One slash ends the empty authority, so an absolute path yields the four-slash form.
            SqliteTarget::File(path) => format!("sqlite:///{}", path.display()),
        }
    }
}

fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn parse_sqlite(raw: &str, after_colon: &str) -> Result<SqliteTarget, UrlError> {
    let invalid = |reason: &str| UrlError::Invalid {
        url: mask_raw(raw),
        reason: reason.to_string(),
    };
    let rest = after_colon.strip_prefix("//").ok_or_else(|| {
        invalid("expected sqlite:///relative/path.db or sqlite:////absolute/path.db")
    })?;
    // Options such as ?mode=ro are accepted so existing URLs keep working, but not acted on yet.
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    if rest.is_empty() {
        return Ok(SqliteTarget::Memory);
    }
    let path = rest.strip_prefix('/').ok_or_else(|| {
        invalid(
            "a SQLite URL has no host; \
             write sqlite:///relative/path.db or sqlite:////absolute/path.db",
        )
    })?;
    match path {
        // Most often a variable that expanded to nothing (`sqlite:///$DB_PATH`): migrating a throwaway
        // in-memory database would report success and change nothing.
        "" => Err(invalid(
            "the path is empty; write sqlite:///relative/path.db, sqlite:////absolute/path.db, \
             or sqlite:// for an in-memory database",
        )),
        ":memory:" => Ok(SqliteTarget::Memory),
        path => Ok(SqliteTarget::File(PathBuf::from(path))),
    }
}

/// A PostgreSQL server, database and the way to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    hosts: Vec<PgHost>,
    /// Always as long as `hosts`.
    ports: Vec<u16>,
    user: String,
    password: Option<String>,
    dbname: String,
    sslmode: SslMode,
    sslrootcert: Option<PathBuf>,
    application_name: Option<String>,
    connect_timeout: Option<Duration>,
    options: Option<String>,
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgTarget")
            .field("hosts", &self.hosts)
            .field("ports", &self.ports)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("application_name", &self.application_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("options", &self.options)
            .finish()
    }
}

fn parse_postgres(raw: &str, after_colon: &str) -> Result<PgTarget, UrlError> {
    let invalid = |reason: String| UrlError::Invalid {
        url: mask_raw(raw),
        reason,
    };
    let rest = after_colon
        .strip_prefix("//")
        .ok_or_else(|| invalid("expected postgresql://user:password@host:port/dbname".into()))?;

    // Split as PostgreSQL's own client splits a URL: the user and password before the authority's last '@',
    // then hosts (a list, each with its own port, or empty for the local socket: `postgresql://app@/db`), the
    // database up to '?', the parameters up to '#'. Each part is percent-decoded on its own.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostspec) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    if userinfo.is_none() && cut_short(tail) {
        let found = &tail[..1];
        return Err(invalid(format!(
            "the user name or password holds an unencoded '{found}'; percent-encode '/', '?' and \
             '#' there as %2F, %3F and %23 (and an '@' after the host as %40)"
        )));
    }
    let (encoded_user, encoded_password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (info, None),
        },
        None => ("", None),
    };
    let tail = tail.split_once('#').map_or(tail, |(before, _)| before);
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));

    let mut user = match encoded_user {
        "" => None,
        encoded => Some(decode(encoded).ok_or_else(|| invalid("user is not valid UTF-8".into()))?),
    };
    let mut password = match encoded_password {
        None => None,
        Some(encoded) => {
            Some(decode(encoded).ok_or_else(|| invalid("password is not valid UTF-8".into()))?)
        }
    };
    let mut dbname = match path.trim_start_matches('/') {
        "" => None,
        encoded => Some(
            decode(encoded).ok_or_else(|| invalid("database name is not valid UTF-8".into()))?,
        ),
    };

    let mut hosts = Vec::new();
    let mut ports = Vec::new();
    if !hostspec.is_empty() {
        for entry in hostspec.split(',') {
            let (host, port) = parse_host_entry(entry).map_err(invalid)?;
            hosts.push(host);
            ports.push(port);
        }
    }
    if ports.iter().all(Option::is_none) {
        ports.clear();
    }

    let mut sslmode = None;
    let mut ssl_flag = None;
    let mut sslrootcert = None;
    let mut application_name = None;
    let mut fallback_application_name = None;
    let mut connect_timeout = None;
    let mut options = None;
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name =
            decode(name).ok_or_else(|| invalid("a parameter name is not valid UTF-8".into()))?;
        let value = decode(value)
            .ok_or_else(|| invalid(format!("the value of '{name}' is not valid UTF-8")))?;
        let bad_value = |expected: &'static str| UrlError::InvalidParameter {
            url: mask_raw(raw),
            name: name.clone(),
            value: value.clone(),
            expected,
        };
        match name.as_str() {
            "host" => hosts = value.split(',').map(|h| host_from_str(h.trim())).collect(),
            "port" => {
                ports = value
                    .split(',')
                    .map(|p| match p.trim() {
                        "" => Ok(None),
                        p => p
                            .parse::<u16>()
                            .ok()
                            .filter(|p| *p != 0)
                            .map(Some)
                            .ok_or(()),
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|()| bad_value("a port number or a comma-separated list of them"))?;
            }
            "user" => user = Some(value),
            "password" => password = Some(value),
            "dbname" => dbname = Some(value),
            "sslmode" => {
                sslmode = Some(SslMode::parse(&value).ok_or_else(|| {
                    bad_value("disable, allow, prefer, require, verify-ca or verify-full")
                })?)
            }
            // The spelling some async drivers use; `sslmode` wins when both are present.
            "ssl" => {
                ssl_flag = Some(match value.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" | "on" => SslMode::Require,
                    "false" | "0" | "no" | "off" => SslMode::Disable,
                    other => SslMode::parse(other)
                        .ok_or_else(|| bad_value("true, false or an sslmode name"))?,
                })
            }
            "sslrootcert" => sslrootcert = Some(PathBuf::from(value)),
            "application_name" => application_name = Some(value),
            "fallback_application_name" => fallback_application_name = Some(value),
            "connect_timeout" => {
                let seconds: i64 = value
                    .trim()
                    .parse()
                    .map_err(|_| bad_value("a whole number of seconds"))?;
                // As PostgreSQL's client does: zero or less waits forever, and under two
                // seconds means two.
                connect_timeout = (seconds > 0).then(|| Duration::from_secs(seconds.max(2) as u64));
            }
            "options" => options = Some(value),
            _ => {
                return Err(UrlError::UnknownParameter {
                    url: mask_raw(raw),
                    name,
                })
            }
        }
    }

    let hosts: Vec<PgHost> = if hosts.is_empty() {
        vec![PgHost::Socket(PathBuf::from(DEFAULT_SOCKET_DIR))]
    } else {
        hosts
            .into_iter()
            .map(|h| h.unwrap_or_else(|| PgHost::Socket(PathBuf::from(DEFAULT_SOCKET_DIR))))
            .collect()
    };
    let ports: Vec<u16> = match ports.len() {
        0 => vec![DEFAULT_PORT; hosts.len()],
        1 => vec![ports[0].unwrap_or(DEFAULT_PORT); hosts.len()],
        n if n == hosts.len() => ports
            .into_iter()
            .map(|p| p.unwrap_or(DEFAULT_PORT))
            .collect(),
        n => {
            return Err(invalid(format!(
                "{n} ports given for {} hosts; give one port, or one per host",
                hosts.len()
            )))
        }
    };
    let user = user.unwrap_or_else(default_user);
    let dbname = dbname.unwrap_or_else(|| user.clone());

    Ok(PgTarget {
        hosts,
        ports,
        user,
        password,
        dbname,
        sslmode: sslmode.or(ssl_flag).unwrap_or_default(),
        sslrootcert,
        application_name: application_name.or(fallback_application_name),
        connect_timeout,
        options,
    })
}

/// Whether the text after an authority without `@` holds the rest of the user information: an `@` before
/// any `=`, as in `postgresql://app:pa/ss@db/app`, where the `/` of the password ended the authority early.
/// Read as written, the password's first part would be taken for a port and its second for the database;
/// an `@` in a query value (`?application_name=me@host`) comes after an `=`.
fn cut_short(tail: &str) -> bool {
    tail.find('@').is_some_and(|at| !tail[..at].contains('='))
}

/// One `host[:port]` or `[v6][:port]` entry of the authority's host list.
fn parse_host_entry(entry: &str) -> Result<(Option<PgHost>, Option<u16>), String> {
    let (host, port) = if let Some(bracketed) = entry.strip_prefix('[') {
        let (v6, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("host '{entry}' has no closing ']'"))?;
        match after {
            "" => (v6, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (v6, Some(port)),
                None => return Err(format!("unexpected '{after}' after host '[{v6}]'")),
            },
        }
    } else {
        match entry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (entry, None),
        }
    };
    let host = decode(host).ok_or_else(|| format!("host '{host}' is not valid UTF-8"))?;
    let port = match port {
        None | Some("") => None,
        // Not quoted: in `user:password/…` without an `@` the password stands where the port goes.
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
            format!("the port after host '{host}' is not a number from 1 to 65535")
        })?),
    };
    Ok((host_from_str(&host), port))
}

/// A host starting with `/` is a socket directory; an empty one means the default.
fn host_from_str(host: &str) -> Option<PgHost> {
    if host.is_empty() {
        None
    } else if host.starts_with('/') {
        Some(PgHost::Socket(PathBuf::from(host)))
    } else {
        Some(PgHost::Tcp(host.to_string()))
    }
}

fn default_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres".to_string())
}

impl PgTarget {
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// The user from the URL, else `$USER`, else `postgres`.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// For handing to child processes (e.g. through an environment variable); never print it.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    pub fn hosts(&self) -> &[PgHost] {
        &self.hosts
    }

    /// One port per host.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    pub(crate) fn sslrootcert(&self) -> Option<&Path> {
        self.sslrootcert.as_deref()
    }

    pub(crate) fn application_name(&self) -> Option<&str> {
        self.application_name.as_deref()
    }

    pub(crate) fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The `options` string sent at startup, e.g. `-c search_path=app`.
    pub(crate) fn options(&self) -> Option<&str> {
        self.options.as_deref()
    }

    /// e.g. `127.0.0.1:5432`, `[::1]:5432` or `/var/run/postgresql`; several hosts are joined
    /// with commas.
    pub(crate) fn host_display(&self) -> String {
        self.hosts
            .iter()
            .zip(&self.ports)
            .map(|(host, port)| match host {
                PgHost::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
                PgHost::Tcp(name) => format!("{name}:{port}"),
                PgHost::Socket(dir) if *port == DEFAULT_PORT => dir.display().to_string(),
                PgHost::Socket(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The same server and credentials, another database (e.g. `postgres` for maintenance).
    pub fn with_dbname(&self, dbname: &str) -> PgTarget {
        PgTarget {
            dbname: dbname.to_string(),
            ..self.clone()
        }
    }

    /// The URL with the password replaced by `***`.
    pub(crate) fn masked(&self) -> String {
        self.render_url(false)
    }

    /// The URL with its password, for a child process that must connect (passed in its environment,
    /// never its arguments); never for output.
    pub(crate) fn secret_url(&self) -> String {
        self.render_url(true)
    }

    fn render_url(&self, reveal: bool) -> String {
        let mut url = String::from("postgresql://");
        url.push_str(&encode(&self.user, b""));
        match &self.password {
            Some(password) if reveal => {
                url.push(':');
                url.push_str(&encode(password, b""));
            }
            Some(_) => url.push_str(":***"),
            None => {}
        }
        url.push('@');
        let mut query: Vec<(&str, String)> = Vec::new();
        if self.hosts.iter().all(|h| matches!(h, PgHost::Tcp(_))) {
            url.push_str(&self.host_display());
        } else {
            // A socket path cannot sit in the authority, so it goes in the query instead.
            let hosts = self.hosts.iter().map(|h| match h {
                PgHost::Tcp(name) => name.clone(),
                PgHost::Socket(dir) => dir.display().to_string(),
            });
            query.push(("host", hosts.collect::<Vec<_>>().join(",")));
            if self.ports.iter().any(|p| *p != DEFAULT_PORT) {
                let ports = self.ports.iter().map(u16::to_string);
                query.push(("port", ports.collect::<Vec<_>>().join(",")));
            }
        }
        url.push('/');
        url.push_str(&encode(&self.dbname, b""));
        if self.sslmode != SslMode::Prefer {
            query.push(("sslmode", self.sslmode.as_str().to_string()));
        }
        if let Some(root) = &self.sslrootcert {
            query.push(("sslrootcert", root.display().to_string()));
        }
        if let Some(name) = &self.application_name {
            query.push(("application_name", name.clone()));
        }
        if let Some(timeout) = self.connect_timeout {
            query.push(("connect_timeout", timeout.as_secs().to_string()));
        }
        if let Some(options) = &self.options {
            query.push(("options", options.clone()));
        }
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&encode(value, b"/:,"));
        }
        url
    }
}

/// `raw` with anything that may hold a password masked, for quoting a URL that failed to parse.
/// It errs towards masking too much: the last `@` anywhere ends the user information.
pub(crate) fn mask_raw(raw: &str) -> String {
    let (head, rest) = match raw.find("://") {
        Some(i) => raw.split_at(i + 3),
        None => ("", raw),
    };
    let mut masked = head.to_string();
    let rest = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.find(':') {
                Some(colon) => masked.push_str(&format!("{}:***", &userinfo[..colon])),
                None => masked.push_str(userinfo),
            }
            &rest[at..]
        }
        // Without an `@`, `user:password` reads as `host:port`: a port that is not a number is masked.
        None => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let entries = rest[..end]
                .split(',')
                .map(|entry| match entry.rsplit_once(':') {
                    Some((host, port))
                        if !host.ends_with(']') && !port.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        format!("{host}:***")
                    }
                    _ => entry.to_string(),
                });
            masked.push_str(&entries.collect::<Vec<_>>().join(","));
            &rest[end..]
        }
    };
    match rest.find('?') {
        Some(q) => {
            masked.push_str(&rest[..=q]);
            let pairs = rest[q + 1..]
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=***")
                    }
                    _ => pair.to_string(),
                });
            masked.push_str(&pairs.collect::<Vec<_>>().join("&"));
        }
        None => masked.push_str(rest),
    }
    masked
}

/// Percent-decoding as PostgreSQL's client does it: `+` stays a plus sign.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but unreserved characters and `keep`.
fn encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> DatabaseUrl {
        url.parse()
            .unwrap_or_else(|e| panic!("{url} should parse: {e}"))
    }

    fn pg(url: &str) -> PgTarget {
        match parse(url) {
            DatabaseUrl::Postgres(target) => target,
            other => panic!("{url} should be PostgreSQL, got {other:?}"),
        }
    }

    fn sqlite(url: &str) -> SqliteTarget {
        match parse(url) {
            DatabaseUrl::Sqlite(target) => target,
            other => panic!("{url} should be SQLite, got {other:?}"),
        }
    }

    fn error(url: &str) -> String {
        match url.parse::<DatabaseUrl>() {
            Ok(parsed) => panic!("{url} should be rejected, got {parsed:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn three_slashes_give_a_path_relative_to_the_current_directory() {
        assert_eq!(
            sqlite("sqlite:///relative/path.db"),
            SqliteTarget::File(PathBuf::from("relative/path.db"))
        );
        assert_eq!(
            parse("sqlite:///relative/path.db").masked(),
            "sqlite:///relative/path.db"
        );
    }

    #[test]
    fn four_slashes_give_an_absolute_path() {
        assert_eq!(
            sqlite("sqlite:////abs/path.db"),
            SqliteTarget::File(PathBuf::from("/abs/path.db"))
        );
        assert_eq!(
            parse("sqlite:////abs/path.db").masked(),
            "sqlite:////abs/path.db"
        );
    }

    #[test]
    fn a_bare_sqlite_url_and_memory_mean_an_in_memory_database() {
        for url in [
            "sqlite://",
            "sqlite:///:memory:",
            "sqlite+pysqlite:///:memory:",
        ] {
            assert_eq!(sqlite(url), SqliteTarget::Memory, "{url}");
            assert_eq!(parse(url).masked(), "sqlite://", "{url}");
        }
    }

    #[test]
    fn a_sqlite_url_with_an_empty_path_is_rejected() {
        for url in ["sqlite:///", "sqlite:///?mode=ro", "sqlite+aiosqlite:///"] {
            let message = error(url);
            assert!(message.contains("the path is empty"), "{url}: {message}");
        }
    }

    #[test]
    fn sqlite_driver_suffixes_are_accepted() {
        assert_eq!(
            sqlite("sqlite+aiosqlite:///app.db"),
            SqliteTarget::File(PathBuf::from("app.db"))
        );
        assert_eq!(
            sqlite("sqlite+pysqlite:////var/lib/app.db"),
            SqliteTarget::File(PathBuf::from("/var/lib/app.db"))
        );
        assert_eq!(
            parse("sqlite+aiosqlite:///app.db").engine().name(),
            "sqlite"
        );
    }

    #[test]
    fn a_sqlite_query_string_is_accepted_and_ignored() {
        assert_eq!(
            sqlite("sqlite:///app.db?mode=ro&uri=true"),
            SqliteTarget::File(PathBuf::from("app.db"))
        );
    }

    #[test]
    fn a_sqlite_url_with_a_host_is_rejected() {
        let message = error("sqlite://host/app.db");
        assert!(message.contains("has no host"), "{message}");
    }

    #[test]
    fn every_postgres_scheme_spelling_is_accepted() {
        for scheme in [
            "postgres",
            "postgresql",
            "postgresql+asyncpg",
            "postgresql+psycopg2",
            "postgresql+psycopg",
            "postgresql+pg8000",
            "POSTGRESQL",
        ] {
            let url = format!("{scheme}://app:secret@db:5433/appdb");
            let target = pg(&url);
            assert_eq!(target.user(), "app");
            assert_eq!(target.password(), Some("secret"));
            assert_eq!(target.dbname(), "appdb");
            assert_eq!(target.host_display(), "db:5433");
            let parsed = parse(&url);
            assert_eq!(parsed.engine().name(), "postgresql");
            assert_eq!(parsed.masked(), "postgresql://app:***@db:5433/appdb");
        }
    }

    #[test]
    fn a_missing_port_means_5432() {
        let target = pg("postgresql://app:pw@db/app");
        assert_eq!(target.ports(), &[5432]);
        assert_eq!(target.hosts(), &[PgHost::Tcp("db".into())]);
        assert_eq!(
            parse("postgresql://app:pw@db/app").masked(),
            "postgresql://app:***@db:5432/app"
        );
    }

    #[test]
    fn percent_encoded_credentials_are_decoded() {
        let target = pg("postgresql://my%20user:p%40ss%2Fw%3Ard+x@db/app");
        assert_eq!(target.user(), "my user");
        assert_eq!(target.password(), Some("p@ss/w:rd+x"));
        assert_eq!(
            parse("postgresql://my%20user:p%40ss@db/app").masked(),
            "postgresql://my%20user:***@db:5432/app"
        );
    }

    #[test]
    fn an_unencoded_at_sign_in_the_password_belongs_to_the_password() {
        assert_eq!(pg("postgresql://app:p@ss@db/app").password(), Some("p@ss"));
    }

    #[test]
    fn a_missing_host_means_the_default_unix_socket() {
        for url in [
            "postgresql:///app",
            "postgresql://app@/app",
            "postgresql://",
        ] {
            let target = pg(url);
            assert_eq!(
                target.hosts(),
                &[PgHost::Socket(PathBuf::from("/var/run/postgresql"))]
            );
            assert_eq!(target.host_display(), "/var/run/postgresql");
        }
        assert_eq!(
            parse("postgresql://app@/appdb").masked(),
            "postgresql://app@/appdb?host=/var/run/postgresql"
        );
    }

    #[test]
    fn a_host_parameter_names_a_socket_directory_and_overrides_the_authority() {
        let target = pg("postgresql://app:pw@ignored/app?host=/tmp/pg&port=5433");
        assert_eq!(target.hosts(), &[PgHost::Socket(PathBuf::from("/tmp/pg"))]);
        assert_eq!(target.ports(), &[5433]);
        assert_eq!(target.host_display(), "/tmp/pg/.s.PGSQL.5433");
        assert_eq!(
            parse("postgresql://app:pw@ignored/app?host=/tmp/pg&port=5433").masked(),
            "postgresql://app:***@/app?host=/tmp/pg&port=5433"
        );
        let encoded = pg("postgresql://app@%2Fvar%2Frun%2Fpostgresql/app");
        assert_eq!(
            encoded.hosts(),
            &[PgHost::Socket(PathBuf::from("/var/run/postgresql"))]
        );
    }

    #[test]
    fn a_port_parameter_overrides_the_default_port() {
        assert_eq!(
            pg("postgresql://db/app?port=6543").host_display(),
            "db:6543"
        );
    }

    #[test]
    fn several_hosts_may_each_have_a_port() {
        let target = pg("postgresql://app@h1:5433,h2,[::1]:5434/app");
        assert_eq!(
            target.hosts(),
            &[
                PgHost::Tcp("h1".into()),
                PgHost::Tcp("h2".into()),
                PgHost::Tcp("::1".into())
            ]
        );
        assert_eq!(target.ports(), &[5433, 5432, 5434]);
        assert_eq!(target.host_display(), "h1:5433,h2:5432,[::1]:5434");
    }

    #[test]
    fn a_missing_user_and_database_fall_back_like_the_postgresql_client() {
        let target = pg("postgresql://db");
        let expected = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres".into());
        assert_eq!(target.user(), expected);
        assert_eq!(target.dbname(), expected);
        assert_eq!(target.password(), None);
    }

    #[test]
    fn query_parameters_can_carry_user_password_and_database() {
        let target = pg("postgresql://db/?user=app&password=s%26cret&dbname=appdb");
        assert_eq!(target.user(), "app");
        assert_eq!(target.password(), Some("s&cret"));
        assert_eq!(target.dbname(), "appdb");
        let masked = parse("postgresql://db/?user=app&password=s%26cret&dbname=appdb").masked();
        assert_eq!(masked, "postgresql://app:***@db:5432/appdb");
    }

    #[test]
    fn every_sslmode_is_understood() {
        for (name, mode) in [
            ("disable", SslMode::Disable),
            ("allow", SslMode::Allow),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::VerifyCa),
            ("verify-full", SslMode::VerifyFull),
        ] {
            let target = pg(&format!("postgresql://db/app?sslmode={name}"));
            assert_eq!(target.sslmode(), mode);
            let expected_wire = match mode {
                SslMode::Disable => postgres::config::SslMode::Disable,
                SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
                _ => postgres::config::SslMode::Require,
            };
            assert_eq!(
                crate::dialect::postgres::config(&target).get_ssl_mode(),
                expected_wire,
                "{name}"
            );
        }
        assert_eq!(pg("postgresql://db/app").sslmode(), SslMode::Prefer);
    }

    #[test]
    fn masked_output_keeps_non_default_connection_options() {
        let url = "postgresql+psycopg2://app:pw@db/app?sslmode=verify-full&sslrootcert=/etc/ca.pem\
                   &application_name=dbkit&connect_timeout=10&options=-c%20search_path%3Dapp";
        let target = pg(url);
        assert_eq!(target.sslrootcert(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(target.application_name(), Some("dbkit"));
        assert_eq!(target.connect_timeout(), Some(Duration::from_secs(10)));
        assert_eq!(target.options(), Some("-c search_path=app"));
        assert_eq!(
            parse(url).masked(),
            "postgresql://app:***@db:5432/app?sslmode=verify-full&sslrootcert=/etc/ca.pem\
             &application_name=dbkit&connect_timeout=10&options=-c%20search_path%3Dapp"
        );
    }

    #[test]
    fn connect_timeout_follows_the_postgresql_client_rounding() {
        assert_eq!(
            pg("postgresql://db/a?connect_timeout=1").connect_timeout(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            pg("postgresql://db/a?connect_timeout=0").connect_timeout(),
            None
        );
    }

    #[test]
    fn asyncpg_ssl_true_means_require_unless_sslmode_says_otherwise() {
        assert_eq!(
            pg("postgresql+asyncpg://db/app?ssl=true").sslmode(),
            SslMode::Require
        );
        assert_eq!(
            pg("postgresql+asyncpg://db/app?ssl=false").sslmode(),
            SslMode::Disable
        );
        assert_eq!(
            pg("postgresql+asyncpg://db/app?ssl=true&sslmode=verify-full").sslmode(),
            SslMode::VerifyFull
        );
    }

    #[test]
    fn with_dbname_keeps_the_server_and_credentials() {
        let target = pg("postgresql://app:pw@db:6000/appdb?sslmode=require");
        let maintenance = target.with_dbname("postgres");
        assert_eq!(maintenance.dbname(), "postgres");
        assert_eq!(maintenance.user(), "app");
        assert_eq!(maintenance.password(), Some("pw"));
        assert_eq!(maintenance.host_display(), "db:6000");
        assert_eq!(maintenance.sslmode(), SslMode::Require);
    }

    #[test]
    fn a_mysql_url_names_its_scheme_and_the_supported_forms_without_the_password() {
        let message = error("mysql://app:hunter2@db/app");
        assert!(
            message.starts_with("unsupported database URL scheme 'mysql'"),
            "{message}"
        );
        assert!(message.contains("sqlite:///relative/path.db"), "{message}");
        assert!(message.contains("postgresql+asyncpg://"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn garbage_and_empty_urls_are_rejected_with_the_supported_forms() {
        let message = error("garbage");
        assert!(
            message.starts_with("database URL 'garbage' has no scheme"),
            "{message}"
        );
        assert!(message.contains("supported forms"), "{message}");
        let message = error("   ");
        assert!(message.starts_with("database URL is empty"), "{message}");
    }

    #[test]
    fn no_error_or_output_ever_shows_the_password() {
        let secret = "hunter2xyz";
        let bad = [
            format!("mysql://app:{secret}@db/app"),
            format!("//app:{secret}@db/app"),
            format!("postgresql://app:{secret}@db:99999/app"),
            format!("postgresql://app:{secret}@db/app?sslmode=sometimes"),
            format!("postgresql://app:{secret}@db/app?nope=1"),
            format!("postgresql://app:{secret}@[::1/app"),
            format!("postgresql://app@db/app?password={secret}&port=x"),
            format!("postgresql://app:{secret}@h1:1,h2:2,h3:3/app?port=1,2"),
        ];
        for url in &bad {
            let message = error(url);
            assert!(!message.contains(secret), "{url} gave {message}");
        }
        let good = [
            format!("postgresql://app:{secret}@db/app"),
            format!("postgresql+asyncpg://app:{secret}@db/app?ssl=true"),
            format!("postgresql://app@db/app?password={secret}"),
            format!("postgresql://app:{secret}@/app?host=/tmp"),
        ];
        for url in &good {
            let parsed = parse(url);
            assert!(!parsed.masked().contains(secret), "{}", parsed.masked());
            assert!(!parsed.to_string().contains(secret));
            assert!(!format!("{parsed:?}").contains(secret));
        }
    }

    #[test]
    fn invalid_parameters_are_named() {
        let message = error("postgresql://db/app?sslmode=sometimes");
        assert!(
            message.starts_with(
                "invalid sslmode 'sometimes' in database URL \
                 'postgresql://db/app?sslmode=sometimes'"
            ),
            "{message}"
        );
        let message = error("postgresql://db/app?sslmod=require");
        assert!(
            message.starts_with("unsupported parameter 'sslmod'"),
            "{message}"
        );
        let message = error("postgresql://db:99999/app");
        assert!(
            message.contains("the port after host 'db' is not a number from 1 to 65535"),
            "{message}"
        );
    }

    #[test]
    fn a_host_with_two_ports_is_an_error() {
        let err = "postgresql://u:pw@h:5432:5433/db"
            .parse::<DatabaseUrl>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the port after host 'h' is not a number from 1 to 65535"),
            "{err}"
        );
        assert!(!err.contains("pw@"), "{err}");
    }

    #[test]
    fn a_password_with_an_unencoded_slash_question_mark_or_hash_never_shows() {
        for url in [
            "postgresql://app:s3cr/et@db/app",
            "postgresql://app:s3cr?et@db/app",
            "postgresql://app:s3cr#et@db/app",
            "postgresql://app:s3cr/et=x@db/app",
            "postgres://app:1234/5678@db:5432/app?sslmode=require",
        ] {
            let message = error(url);
            for part in ["s3cr", "et", "1234", "5678"] {
                assert!(!message.contains(part), "{url}: {message}");
            }
            assert!(
                message.contains("'postgresql://app:***@db")
                    || message.contains("'postgres://app:***@db"),
                "{url}: {message}"
            );
        }
        let message = error("postgresql://app:s3cr/et@db/app");
        assert!(message.contains("holds an unencoded '/'"), "{message}");
        // A user and password with no host at all: the password stands where the port goes.
        let message = error("postgresql://app:s3cret/app");
        assert!(!message.contains("s3cret"), "{message}");
        assert!(message.contains("'postgresql://app:***/app'"), "{message}");
        // An '@' in a query value is not a cut-short password.
        assert_eq!(
            pg("postgresql://db/app?application_name=me@host").application_name(),
            Some("me@host")
        );
    }
}
