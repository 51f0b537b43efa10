//! Where settings come from and in which order: flags, then the environment (with `.env` loaded first, never
//! overriding a real variable), then the ini file, then defaults. The database URL is resolved lazily, so
//! commands that only read revision files never fail on a bad or missing URL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::dburl::DatabaseUrl;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ini::Ini;

pub const DEFAULT_URL: &str = "sqlite:///data/app.db";
pub(crate) const DEFAULT_FILE_TEMPLATE: &str =
    "%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d_%(rev)s_%(slug)s";

/// What the command line says about configuration.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub env_file: Option<PathBuf>,
    /// `--dev-url`: the server for PostgreSQL scratch databases, over `DBKIT_DEV_URL` and the ini file.
    pub dev_url: Option<String>,
}

/// Where the database URL came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    Flag,
    Env(&'static str),
    Components,
    Ini,
    /// The ini file's `dev_url` key.
    IniDevUrl,
    /// The `--dev-url` flag.
    DevFlag,
    Default,
}

impl std::fmt::Display for UrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UrlSource::Flag => f.write_str("--url"),
            UrlSource::Env(name) => f.write_str(name),
            UrlSource::Components => f.write_str("DATABASE_HOST/PORT/NAME/USER/PASSWORD"),
            UrlSource::Ini => f.write_str("sqlalchemy.url in the ini file"),
            UrlSource::IniDevUrl => f.write_str("dev_url in the ini file"),
            UrlSource::DevFlag => f.write_str("--dev-url"),
            UrlSource::Default => f.write_str("the default"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) version_locations: Vec<PathBuf>,
    /// The declared schema: a `.sql` file, or a directory of them applied in name order.
    pub(crate) schema_file: PathBuf,
    /// The ini file's `dialects`: engines a generated revision is written for besides the configured
    /// database's.
    pub(crate) dialects: Vec<Engine>,
    /// The ini file's `lint_disable`: rules `lint` and `upgrade` do not report for this project.
    pub(crate) lint_disable: Vec<crate::lint::Rule>,
    pub(crate) file_template: String,
    pub(crate) truncate_slug_length: usize,
    /// A time-zone name for new revisions' dates and file names; unset is local time.
    pub(crate) timezone: Option<String>,
    pub(crate) version_table: String,
    pub(crate) version_table_schema: Option<String>,
    pub(crate) history_table: String,
    pub(crate) transaction_per_migration: bool,
    pub(crate) lock_timeout: Duration,
    pub(crate) busy_timeout: Duration,
    /// The ini file's `[post_write_hooks]`, run on every revision file written.
    pub(crate) post_write_hooks: Vec<crate::hooks::HookConfig>,
    /// The ini file's `sqlite_user_version`: what SQLite's `PRAGMA user_version` is kept at, if anything.
    pub(crate) sqlite_user_version: Option<UserVersion>,
    url: String,
    pub url_source: UrlSource,
    /// The server PostgreSQL scratch databases are made on, when it is not the database URL's: the
    /// `DBKIT_DEV_URL` environment variable, else the ini file's `dev_url`. Resolved by
    /// [`Settings::scratch_server`].
    pub dev_url: Option<DevUrl>,
    /// The ini file read, if any, and its section: what `import-alembic` hands to Alembic.
    pub(crate) ini_file: Option<PathBuf>,
    pub(crate) ini_section: String,
}

/// A configured URL kept as text until it is used, so that a command that never needs it never fails on
/// it, with where it came from. Its `Debug` form masks the password, as every printed URL does.
#[derive(Clone)]
pub struct DevUrl {
    raw: String,
    pub source: UrlSource,
}

impl std::fmt::Debug for DevUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevUrl")
            .field("raw", &crate::dburl::mask_raw(&self.raw))
            .field("source", &self.source)
            .finish()
    }
}

impl Settings {
    /// The time to write into a new revision, in the configured zone. A zone name is looked up as written,
    /// then upper-cased, in the system's time-zone database.
    pub(crate) fn now(&self) -> Result<chrono::NaiveDateTime> {
        let Some(name) = &self.timezone else {
            return Ok(chrono::Local::now().naive_local());
        };
        let tz = jiff::tz::TimeZone::get(name)
            .or_else(|_| jiff::tz::TimeZone::get(&name.to_uppercase()))
            .map_err(|_| SettingsError::UnknownTimezone { name: name.clone() })?;
        let z = jiff::Timestamp::now().to_zoned(tz);
        chrono::NaiveDate::from_ymd_opt(i32::from(z.year()), z.month() as u32, z.day() as u32)
            .and_then(|d| {
                d.and_hms_micro_opt(
                    z.hour() as u32,
                    z.minute() as u32,
                    z.second() as u32,
                    (z.subsec_nanosecond() / 1000) as u32,
                )
            })
            .ok_or_else(|| SettingsError::TimeOutOfRange { name: name.clone() }.into())
    }

    /// The database URL, parsed. Errors never contain the password.
    pub fn database_url(&self) -> Result<DatabaseUrl> {
        parse_url(&self.url, &self.url_source)
    }

    /// The URL of the server PostgreSQL scratch databases are made on: the dev URL when one is set, else
    /// the database URL (whose server is then used). Errors never contain the password.
    pub fn scratch_server(&self) -> Result<DatabaseUrl> {
        match &self.dev_url {
            Some(dev) => parse_url(&dev.raw, &dev.source),
            None => self.database_url(),
        }
    }
}

/// Why the settings could not be resolved: a missing or inconsistent ini file, or a value that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("config file '{}'{} does not exist", .path.display(), if *.from_env { " (from ALEMBIC_CONFIG)" } else { "" })]
    NoConfigFile { path: PathBuf, from_env: bool },
    #[error("no [{section}] section in '{}'", .path.display())]
    NoSection { section: String, path: PathBuf },
    #[error("{key} must be a whole number, not '{value}'")]
    NotANumber { key: &'static str, value: String },
    #[error("{key} must be 'true' or 'false', not '{value}'")]
    NotABoolean { key: &'static str, value: String },
    #[error("unknown timezone '{name}' (the ini file's timezone key takes a time-zone database name such as UTC or Europe/Berlin)")]
    UnknownTimezone { name: String },
    #[error("the time in timezone '{name}' is out of range")]
    TimeOutOfRange { name: String },
    #[error("dialects names '{name}'; the dialects are sqlite and postgresql")]
    UnknownDialect { name: String },
    #[error("sqlite_user_version must be 'depth' or 'header' (or 'off'), not '{value}'")]
    UnknownUserVersion { value: String },
    #[error("lint_disable names '{name}', which is not a lint rule (docs/verify.md lists them)")]
    UnknownLintRule { name: String },
}

/// What SQLite's `PRAGMA user_version` is kept at, in the same transaction as each version-table change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserVersion {
    /// The heads' depth: how many revisions lead from base to them, on the longest line.
    Depth,
    /// The largest `-- User Version: N` declared by the applied revisions (0 when none declares one).
    Header,
}

/// Why an env file could not be loaded. A line that does not parse is named by number only: it may hold a
/// password.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("could not read env file '{}': {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "'{}' line {line}: expected KEY=value (the line is not shown, as it may hold a password); \
         quote a value that holds spaces, quotes or '#', and close every quote",
        .path.display()
    )]
    Syntax { path: PathBuf, line: usize },
}

/// Loads `.env` (or `--env-file`) into the process environment without overriding real variables. The
/// whole file is parsed before any variable is set, so a bad line changes nothing.
pub fn load_env_file(explicit: Option<&Path>) -> Result<(), EnvFileError> {
    let path = explicit.unwrap_or(Path::new(".env"));
    let read_error = |source| EnvFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if explicit.is_none() && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(read_error(e)),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let handed = std::rc::Rc::new(std::cell::Cell::new(0));
    let reader = LineByLine {
        text: text.as_bytes(),
        handed: handed.clone(),
    };
    let mut pairs = Vec::new();
    for item in dotenvy::from_read_iter(reader) {
        match item {
            Ok(pair) => pairs.push(pair),
            Err(dotenvy::Error::Io(e)) => return Err(read_error(e)),
            Err(e) => {
                let seen = &text[..handed.get()];
                // The parser's error holds the text it stopped on (the line, or the value); it is the last
                // occurrence of that text in what the parser has been given.
                let start = match e {
                    dotenvy::Error::LineParse(content, _) => {
                        let content = content.trim_end_matches(['\r', '\n']);
                        seen.rfind(content).filter(|_| !content.trim().is_empty())
                    }
                    _ => None,
                };
                let start = start.unwrap_or_else(|| seen.trim_end_matches('\n').len());
                return Err(EnvFileError::Syntax {
                    path: path.to_path_buf(),
                    line: text[..start].matches('\n').count() + 1,
                });
            }
        }
    }
    for (key, value) in pairs {
        // The first occurrence of a key wins, as with any other loader of these files.
        if std::env::var_os(&key).is_none() {
            std::env::set_var(key, value);
        }
    }
    Ok(())
}

/// Gives the env-file parser at most one line per read, so after an error, what it has been given ends with
/// the line it failed on.
struct LineByLine<'a> {
    text: &'a [u8],
    handed: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Read for LineByLine<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.text[self.handed.get()..];
        let line = rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let n = line.min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.handed.set(self.handed.get() + n);
        Ok(n)
    }
}

/// Resolves settings from the options and an environment lookup (a function, so tests need not touch the
/// process environment).
pub fn load(opts: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings> {
    let ini_path = find_ini(opts, env)?;
    let ini = match &ini_path {
        Some(p) => Some(Ini::load(p)?),
        None => None,
    };
    let section = opts.name.clone().unwrap_or_else(|| "alembic".into());
    if let (Some(ini), Some(path)) = (&ini, &ini_path) {
        if !ini.has_section(&section) {
            return Err(SettingsError::NoSection {
                section,
                path: path.clone(),
            }
            .into());
        }
    }
    let get = |key: &str| -> Result<Option<String>> {
        match &ini {
            Some(ini) => Ok(ini.get(&section, key)?.filter(|v| !v.trim().is_empty())),
            None => Ok(None),
        }
    };

    let script_location =
        PathBuf::from(get("script_location")?.unwrap_or_else(|| "alembic".into()));
    let version_locations = match get("version_locations")? {
        Some(v) => split_locations(
            &v,
            get("path_separator")?
                .or(get("version_path_separator")?)
                .as_deref(),
        ),
        None => vec![script_location.join("versions")],
    };
    let schema_file = get("schema_file")?
        .map(PathBuf::from)
        .unwrap_or_else(|| script_location.join("schema.sql"));
    let dialects = list_items(&get("dialects")?.unwrap_or_default())
        .map(|name| {
            Engine::from_name(name).ok_or_else(|| SettingsError::UnknownDialect {
                name: name.to_string(),
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let lint_disable = list_items(&get("lint_disable")?.unwrap_or_default())
        .map(|name| {
            crate::lint::Rule::from_id(name).ok_or_else(|| SettingsError::UnknownLintRule {
                name: name.to_string(),
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let file_template = get("file_template")?.unwrap_or_else(|| DEFAULT_FILE_TEMPLATE.into());
    let truncate_slug_length =
        parse_number(get("truncate_slug_length")?, "truncate_slug_length", 40)?;
    let transaction_per_migration = match get("transaction_per_migration")?.as_deref() {
        None => true,
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(SettingsError::NotABoolean {
                key: "transaction_per_migration",
                value: other.to_string(),
            }
            .into())
        }
    };
    let version_table = get("version_table")?.unwrap_or_else(|| "alembic_version".into());
    let history_table = get("history_table")?.unwrap_or_else(|| format!("{version_table}_history"));
    let version_table_schema = get("version_table_schema")?;
    crate::version::check_names(
        &version_table,
        &history_table,
        version_table_schema.as_deref(),
    )?;
    let lock_timeout =
        Duration::from_secs(parse_number(get("lock_timeout")?, "lock_timeout", 300)? as u64);
    let busy_timeout =
        Duration::from_secs(parse_number(get("busy_timeout")?, "busy_timeout", 300)? as u64);

    let sqlite_user_version = match get("sqlite_user_version")?.as_deref().map(str::trim) {
        None | Some("off") => None,
        Some("depth") => Some(UserVersion::Depth),
        Some("header") => Some(UserVersion::Header),
        Some(other) => {
            return Err(SettingsError::UnknownUserVersion {
                value: other.to_string(),
            }
            .into())
        }
    };
    // Alembic reads this section whatever the main section is called.
    let post_write_hooks = match &ini {
        Some(ini) => crate::hooks::configs(|key| {
            Ok::<_, crate::ini::IniError>(
                ini.get(crate::hooks::SECTION, key)?
                    .filter(|v| !v.trim().is_empty()),
            )
        })?,
        None => Vec::new(),
    };

    let (url, url_source) = resolve_url(opts, env, get("sqlalchemy.url")?);
    // As with the database URL, a variable that is set but empty is kept, so using it fails naming it.
    let dev_url = match (env("DBKIT_DEV_URL"), get("dev_url")?) {
        _ if opts.dev_url.is_some() => opts.dev_url.clone().map(|raw| DevUrl {
            raw,
            source: UrlSource::DevFlag,
        }),
        (Some(raw), _) => Some(DevUrl {
            raw,
            source: UrlSource::Env("DBKIT_DEV_URL"),
        }),
        (None, Some(raw)) => Some(DevUrl {
            raw,
            source: UrlSource::IniDevUrl,
        }),
        (None, None) => None,
    };
    Ok(Settings {
        version_locations,
        schema_file,
        dialects,
        lint_disable,
        file_template,
        truncate_slug_length,
        timezone: get("timezone")?,
        version_table,
        version_table_schema,
        history_table,
        transaction_per_migration,
        lock_timeout,
        busy_timeout,
        post_write_hooks,
        sqlite_user_version,
        url,
        url_source,
        dev_url,
        ini_file: ini_path,
        ini_section: section,
    })
}

fn parse_url(url: &str, origin: &UrlSource) -> Result<DatabaseUrl> {
    url.parse::<DatabaseUrl>().map_err(|source| Error::Url {
        source: Box::new(source),
        origin: origin.clone(),
    })
}

fn parse_number(value: Option<String>, key: &'static str, default: usize) -> Result<usize> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| SettingsError::NotANumber { key, value: v }.into()),
    }
}

fn find_ini(opts: &Options, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<PathBuf>> {
    if let Some(path) = &opts.config {
        if !path.is_file() {
            return Err(SettingsError::NoConfigFile {
                path: path.clone(),
                from_env: false,
            }
            .into());
        }
        return Ok(Some(path.clone()));
    }
    if let Some(path) = env("ALEMBIC_CONFIG").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            return Err(SettingsError::NoConfigFile {
                path,
                from_env: true,
            }
            .into());
        }
        return Ok(Some(path));
    }
    Ok(["alembic.ini", "alembic/alembic.ini"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file()))
}

/// The items of an ini list value (`dialects`, `lint_disable`, the hooks' names): separated by commas or
/// white space.
pub(crate) fn list_items(list: &str) -> impl Iterator<Item = &str> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
}

/// Splits `version_locations` the way existing ini files write it: by the declared separator, else by
/// white space, commas and newlines.
fn split_locations(value: &str, separator: Option<&str>) -> Vec<PathBuf> {
    let parts: Vec<&str> = match separator {
        Some(":") => value.split(':').collect(),
        Some(";") => value.split(';').collect(),
        Some("newline") => value.split('\n').collect(),
        Some("os") => value.split(':').collect(),
        _ => value
            .split(|c: char| c.is_whitespace() || c == ',')
            .collect(),
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn resolve_url(
    opts: &Options,
    env: &dyn Fn(&str) -> Option<String>,
    ini_url: Option<String>,
) -> (String, UrlSource) {
    // A URL that is given but empty stays empty, so using it fails and names where it came from: falling
    // through to the next source would quietly migrate some other database.
    if let Some(url) = opts.url.clone() {
        return (url, UrlSource::Flag);
    }
    for name in ["DATABASE_URL", "DATABASE__URL"] {
        if let Some(url) = env(name) {
            return (url, UrlSource::Env(name));
        }
    }
    let nonempty = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if nonempty("DATABASE_HOST").is_some() || nonempty("DATABASE_NAME").is_some() {
        return (components_url(&nonempty), UrlSource::Components);
    }
    if let Some(url) = ini_url {
        return (url, UrlSource::Ini);
    }
    (DEFAULT_URL.into(), UrlSource::Default)
}

fn components_url(get: &dyn Fn(&str) -> Option<String>) -> String {
    // Everything but the unreserved characters percent-encoded, so any user, password or name reads back
    // exactly as given.
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let host = get("DATABASE_HOST").unwrap_or_else(|| "localhost".into());
    let port = get("DATABASE_PORT").unwrap_or_else(|| "5432".into());
    let name = get("DATABASE_NAME").unwrap_or_else(|| "postgres".into());
    let auth = match (get("DATABASE_USER"), get("DATABASE_PASSWORD")) {
        (Some(u), Some(p)) => format!("{}:{}@", enc(&u), enc(&p)),
        (Some(u), None) => format!("{}@", enc(&u)),
        (None, Some(p)) => format!(":{}@", enc(&p)),
        (None, None) => String::new(),
    };
    format!("postgresql://{auth}{host}:{port}/{}", enc(&name))
}

/// An environment lookup over fixed pairs, for tests that must not touch the process environment.
#[cfg(test)]
pub(crate) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dburl::UrlError;

    fn settings(opts: &Options, pairs: &[(&str, &str)]) -> Settings {
        let env = env_of(pairs);
        load(opts, &env).unwrap()
    }

    #[test]
    fn the_flag_wins_over_the_environment_which_wins_over_the_default() {
        let opts = Options {
            url: Some("sqlite:///flag.db".into()),
            config: Some(PathBuf::from("/nonexistent-but-unused")),
            ..Options::default()
        };
        // An explicit config that is missing is an error, even before the URL.
        assert!(matches!(
            load(&opts, &env_of(&[])),
            Err(Error::Settings(SettingsError::NoConfigFile {
                from_env: false,
                ..
            }))
        ));
        let opts = Options {
            url: Some("sqlite:///flag.db".into()),
            ..Options::default()
        };
        let s = settings(
            &opts,
            &[("DATABASE_URL", "sqlite:///env.db"), ("ALEMBIC_CONFIG", "")],
        );
        assert_eq!(s.url_source, UrlSource::Flag);
        let s = settings(
            &Options::default(),
            &[("DATABASE__URL", "sqlite:///env.db")],
        );
        assert_eq!(s.url_source, UrlSource::Env("DATABASE__URL"));
    }

    #[test]
    fn an_empty_url_is_kept_and_fails_naming_its_source() {
        let flag = Options {
            url: Some(String::new()),
            ..Options::default()
        };
        let s = settings(&flag, &[("DATABASE_URL", "sqlite:///env.db")]);
        assert_eq!(s.url_source, UrlSource::Flag);
        let e = s.database_url().unwrap_err();
        assert!(matches!(
            &e,
            Error::Url { source, origin: UrlSource::Flag } if **source == UrlError::Empty
        ));
        let message = e.to_string();
        assert!(message.starts_with("database URL is empty"), "{message}");
        assert!(message.ends_with("(the URL came from --url)"), "{message}");
        for name in ["DATABASE_URL", "DATABASE__URL"] {
            let s = settings(
                &Options::default(),
                &[(name, " "), ("DATABASE_NAME", "app")],
            );
            assert_eq!(s.url_source, UrlSource::Env(name));
            assert!(matches!(
                s.database_url(),
                Err(Error::Url { origin, .. }) if origin == UrlSource::Env(name)
            ));
        }
    }

    #[test]
    fn the_dev_url_comes_from_the_environment_then_the_ini_file_else_the_database_url() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("alembic.ini");
        std::fs::write(
            &ini,
            "[alembic]\nsqlalchemy.url = postgresql://app@db/app\ndev_url = postgresql://dev:ini-secret@dev/postgres\n",
        )
        .unwrap();
        let opts = Options {
            config: Some(ini),
            ..Options::default()
        };
        let s = settings(
            &opts,
            &[("DBKIT_DEV_URL", "postgresql://dev:env-secret@envhost/x")],
        );
        assert_eq!(
            s.dev_url.as_ref().unwrap().source,
            UrlSource::Env("DBKIT_DEV_URL")
        );
        assert_eq!(
            s.scratch_server().unwrap().masked(),
            "postgresql://dev:***@envhost:5432/x"
        );
        let printed = format!("{s:?}");
        assert!(!printed.contains("env-secret"), "{printed}");

        let s = settings(&opts, &[]);
        assert_eq!(s.dev_url.as_ref().unwrap().source, UrlSource::IniDevUrl);
        assert_eq!(
            s.scratch_server().unwrap().masked(),
            "postgresql://dev:***@dev:5432/postgres"
        );
        assert!(!format!("{s:?}").contains("ini-secret"));

        let s = settings(
            &Options::default(),
            &[("DATABASE_URL", "postgresql://app@db/app")],
        );
        assert!(s.dev_url.is_none());
        assert_eq!(
            s.scratch_server().unwrap().masked(),
            "postgresql://app@db:5432/app"
        );

        let s = settings(&Options::default(), &[("DBKIT_DEV_URL", "")]);
        let e = s.scratch_server().unwrap_err();
        assert!(
            e.to_string().ends_with("(the URL came from DBKIT_DEV_URL)"),
            "{e}"
        );
        let s = settings(
            &Options::default(),
            &[("DBKIT_DEV_URL", "postgresql://u:p/ss@h/db")],
        );
        let e = s.scratch_server().unwrap_err().to_string();
        assert!(!e.contains("p/ss") && !e.contains("ss@"), "{e}");
    }

    fn env_file_error(text: &str) -> EnvFileError {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.env");
        std::fs::write(&path, text).unwrap();
        load_env_file(Some(&path)).unwrap_err()
    }

    #[test]
    fn an_env_file_that_does_not_parse_names_the_line_and_never_shows_it() {
        for (text, line) in [
            (
                "A_DBKIT_T1=postgresql://u:hunter2@h/db\nBAD hunter2 LINE\n",
                2,
            ),
            (
                "# c\n\nA_DBKIT_T2=1\nB_DBKIT_T2=\"unterminated hunter2\n\n",
                4,
            ),
            ("A_DBKIT_T3='ok\nstill ok'\nB_DBKIT_T3=1 hunter2'\n", 3),
            ("A_DBKIT_T4=x\r\n=hunter2\r\n", 2),
        ] {
            let e = env_file_error(text);
            let message = e.to_string();
            assert!(
                matches!(e, EnvFileError::Syntax { line: l, .. } if l == line),
                "{text:?}: {message}"
            );
            assert!(!message.contains("hunter2"), "{message}");
        }
        // Nothing was set: the file is parsed before any variable is.
        assert!(std::env::var_os("A_DBKIT_T1").is_none());
        assert!(std::env::var_os("A_DBKIT_T2").is_none());
    }

    #[test]
    fn components_build_a_postgresql_url_with_the_password_encoded() {
        let env = env_of(&[
            ("DATABASE_HOST", "db"),
            ("DATABASE_NAME", "app"),
            ("DATABASE_USER", "me"),
            ("DATABASE_PASSWORD", "p@ss word"),
        ]);
        let url = components_url(&env);
        assert_eq!(url, "postgresql://me:p%40ss%20word@db:5432/app");
    }

    #[test]
    fn version_locations_split_on_white_space_or_the_declared_separator() {
        assert_eq!(
            split_locations("a/versions\n  b/versions", None),
            vec![PathBuf::from("a/versions"), PathBuf::from("b/versions")]
        );
        assert_eq!(
            split_locations("a b:c", Some(":")),
            vec![PathBuf::from("a b"), PathBuf::from("c")]
        );
    }
}
