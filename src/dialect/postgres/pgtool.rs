//! Finding and running PostgreSQL's client tools (`pg_dump`, `pg_restore`, `psql`), for backups and for anything else
//! that needs the server's own dump format. One place decides which binary
//! runs, refuses one older than the server, hands it the connection through its environment (the password
//! never appears in an argument list, where any user on the machine could read it), and turns a failure into
//! an error that carries the tool's own message.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::dburl::{PgHost, PgTarget};

/// Why a client tool could not be found or run. Paths are quoted; no message carries a password.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} not found: {detail}; install the PostgreSQL client tools or set {variable}")]
    NotFound {
        tool: &'static str,
        variable: &'static str,
        detail: String,
    },
    /// Boxed: it carries several paths and messages, and would otherwise grow every `Result`.
    #[error(transparent)]
    TooOld(Box<TooOld>),
    #[error("{tool} failed ({status}): {stderr}")]
    Failed {
        tool: &'static str,
        status: String,
        stderr: String,
    },
}

/// A tool older than the server, which cannot read the server's catalogs faithfully.
#[derive(Debug, thiserror::Error)]
#[error("'{}' is {version}, older than the server ({server}); install the version {major} client tools or point {variable} at a {tool} of version {major} or newer", path.display())]
pub struct TooOld {
    pub(crate) tool: &'static str,
    pub(crate) path: PathBuf,
    pub(crate) version: String,
    pub(crate) server: String,
    pub(crate) major: String,
    pub(crate) variable: &'static str,
}

type Result<T> = std::result::Result<T, ToolError>;

/// Where some Linux packages install each major version's tools side by side; `/usr/bin` then holds only a
/// wrapper that picks one by its own rules.
const VERSIONED_DIR: &str = "/usr/lib/postgresql";

/// A PostgreSQL version on the scale of `server_version_num` (15.4 is 150004, 9.6.24 is 90624).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PgVersion(pub u32);

impl PgVersion {
    /// Reads the first version number in text such as `pg_dump (PostgreSQL) 15.4 (packager's suffix)`,
    /// `PostgreSQL 16.2` or `17beta1`.
    pub(crate) fn parse(text: &str) -> Option<PgVersion> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        let numbers: Vec<u32> = text[start..]
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .next()?
            .split('.')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        let part = |i: usize| numbers.get(i).copied().unwrap_or(0);
        Some(if part(0) >= 10 {
            PgVersion(part(0) * 10000 + part(1))
        } else {
            PgVersion(part(0) * 10000 + part(1) * 100 + part(2))
        })
    }

    /// The major version as PostgreSQL writes it: `15`, or `9.6` before version 10.
    pub(crate) fn major(self) -> String {
        if self.0 >= 100000 {
            (self.0 / 10000).to_string()
        } else {
            format!("{}.{}", self.0 / 10000, self.0 / 100 % 100)
        }
    }

    fn major_num(self) -> u32 {
        if self.0 >= 100000 {
            self.0 / 10000 * 10000
        } else {
            self.0 / 100 * 100
        }
    }

    pub(crate) fn is_older_major_than(self, other: PgVersion) -> bool {
        self.major_num() < other.major_num()
    }
}

/// One client tool, found and its version known.
#[derive(Debug, Clone)]
pub(crate) struct PgTool {
    pub(crate) name: &'static str,
    pub(crate) path: PathBuf,
    pub(crate) version: PgVersion,
    /// The tool's own `--version` line.
    pub(crate) version_text: String,
    /// The variable that overrides the choice, for messages.
    pub(crate) variable: &'static str,
}

/// What a tool printed when it succeeded.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl PgTool {
    pub(crate) fn pg_dump(server: Option<PgVersion>) -> Result<PgTool> {
        PgTool::find("pg_dump", "PG_DUMP", server)
    }

    pub(crate) fn pg_restore(server: Option<PgVersion>) -> Result<PgTool> {
        PgTool::find("pg_restore", "PG_RESTORE", server)
    }

    pub(crate) fn psql(server: Option<PgVersion>) -> Result<PgTool> {
        PgTool::find("psql", "PSQL", server)
    }

    /// The tool named by `variable` (a path, or a name looked up on PATH); else, in the per-version
    /// directories, the one of the server's major version, or the newest installed that is not older; else the
    /// first on PATH.
    pub(crate) fn find(
        name: &'static str,
        variable: &'static str,
        server: Option<PgVersion>,
    ) -> Result<PgTool> {
        let not_found = |detail: String| ToolError::NotFound {
            tool: name,
            variable,
            detail,
        };
        let path = match std::env::var_os(variable).filter(|v| !v.is_empty()) {
            Some(value) => which::which(&value).map_err(|e| {
                not_found(format!(
                    "{variable} is '{}', which is not an executable ({e})",
                    value.to_string_lossy()
                ))
            })?,
            None => match server.and_then(|v| versioned_tool(Path::new(VERSIONED_DIR), name, v)) {
                Some(path) => path,
                None => which::which(name).map_err(|_| {
                    not_found(format!("'{name}' is not on PATH or under {VERSIONED_DIR}"))
                })?,
            },
        };
        let output = duct::cmd(&path, ["--version"])
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .map_err(|e| ToolError::Failed {
                tool: name,
                status: "could not start".into(),
                stderr: format!("{}: {e}", path.display()),
            })?;
        let version_text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        let version = PgVersion::parse(&version_text)
            .filter(|_| output.status.success())
            .ok_or_else(|| ToolError::Failed {
                tool: name,
                status: format!("{}", output.status),
                stderr: format!(
                    "'{} --version' did not print a version: {}",
                    path.display(),
                    first_line(&String::from_utf8_lossy(&output.stderr), &version_text)
                ),
            })?;
        Ok(PgTool {
            name,
            path,
            version,
            version_text,
            variable,
        })
    }

    /// An older tool cannot read a newer server's catalogs faithfully, so it is refused before it runs.
    pub(crate) fn require_not_older_than(
        &self,
        server: PgVersion,
        server_text: &str,
    ) -> Result<()> {
        if self.version.is_older_major_than(server) {
            return Err(ToolError::TooOld(Box::new(TooOld {
                tool: self.name,
                path: self.path.clone(),
                version: self.version_text.clone(),
                server: server_text.to_string(),
                major: server.major(),
                variable: self.variable,
            })));
        }
        Ok(())
    }

    /// Runs the tool with `args`, connected to `target` through the environment when given. Its stderr is
    /// captured and becomes the error's message when it fails.
    pub(crate) fn run(&self, target: Option<&PgTarget>, args: &[OsString]) -> Result<ToolOutput> {
        let mut cmd = duct::cmd(&self.path, args)
            .stdin_null()
            .stdout_capture()
            .stderr_capture()
            .unchecked();
        if let Some(target) = target {
            for (name, value) in connection_env(target) {
                cmd = match value {
                    Some(value) => cmd.env(name, value),
                    None => cmd.env_remove(name),
                };
            }
        }
        let output = cmd.run().map_err(|e| ToolError::Failed {
            tool: self.name,
            status: "could not start".into(),
            stderr: format!("{}: {e}", self.path.display()),
        })?;
        let redact = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            match target.and_then(PgTarget::password) {
                Some(pw) if pw.len() >= 4 => text.replace(pw, "***"),
                _ => text,
            }
        };
        let stderr = redact(&output.stderr);
        if !output.status.success() {
            return Err(ToolError::Failed {
                tool: self.name,
                status: format!("{}", output.status),
                stderr: stderr.trim().to_string(),
            });
        }
        Ok(ToolOutput {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        })
    }
}

/// The PostgreSQL client environment for a target: every setting the URL carries, and the removal of the ones it does
/// not, so that a stray variable in the caller's environment cannot send the tool elsewhere.
pub(crate) fn connection_env(target: &PgTarget) -> Vec<(&'static str, Option<String>)> {
    let join = |items: Vec<String>| items.join(",");
    let hosts = target
        .hosts()
        .iter()
        .map(|h| match h {
            PgHost::Tcp(name) => name.clone(),
            PgHost::Socket(dir) => dir.display().to_string(),
        })
        .collect();
    let ports = target.ports().iter().map(u16::to_string).collect();
    vec![
        ("PGHOST", Some(join(hosts))),
        ("PGHOSTADDR", None),
        ("PGPORT", Some(join(ports))),
        ("PGUSER", Some(target.user().to_string())),
        ("PGDATABASE", Some(target.dbname().to_string())),
        ("PGPASSWORD", target.password().map(str::to_string)),
        ("PGSERVICE", None),
        ("PGSSLMODE", Some(target.sslmode().as_str().to_string())),
        (
            "PGSSLROOTCERT",
            target.sslrootcert().map(|p| p.display().to_string()),
        ),
        ("PGAPPNAME", target.application_name().map(str::to_string)),
        (
            "PGCONNECT_TIMEOUT",
            target.connect_timeout().map(|t| t.as_secs().to_string()),
        ),
        ("PGOPTIONS", target.options().map(str::to_string)),
    ]
}

/// A `-d` value that names only the database: a bare name containing `=` would be read as a connection
/// string, so it is written as one, quoted.
pub(crate) fn dbname_arg(dbname: &str) -> OsString {
    let quoted = dbname.replace('\\', "\\\\").replace('\'', "\\'");
    OsString::from(format!("--dbname=dbname='{quoted}'"))
}

fn versioned_tool(lib: &Path, name: &str, server: PgVersion) -> Option<PathBuf> {
    let exact = lib.join(server.major()).join("bin").join(name);
    if exact.is_file() {
        return Some(exact);
    }
    let mut newer: Vec<(PgVersion, PathBuf)> = std::fs::read_dir(lib)
        .ok()?
        .filter_map(|entry| {
            let dir = entry.ok()?.file_name().into_string().ok()?;
            let version = PgVersion::parse(&dir)?;
            let path = lib.join(&dir).join("bin").join(name);
            (path.is_file() && !version.is_older_major_than(server)).then_some((version, path))
        })
        .collect();
    newer.sort();
    newer.pop().map(|(_, path)| path)
}

fn first_line(stderr: &str, stdout: &str) -> String {
    let text = if stderr.trim().is_empty() {
        stdout
    } else {
        stderr
    };
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_on_both_numbering_schemes() {
        let v = |s| PgVersion::parse(s).unwrap();
        assert_eq!(
            v("pg_dump (PostgreSQL) 15.4 (vendor build 15.4-1+2)"),
            PgVersion(150004)
        );
        assert_eq!(v("PostgreSQL 9.6.24"), PgVersion(90624));
        assert_eq!(v("17beta1"), PgVersion(170000));
        assert_eq!(PgVersion(150004).major(), "15");
        assert_eq!(PgVersion(90624).major(), "9.6");
        assert!(v("14.9").is_older_major_than(v("15.0")));
        assert!(!v("15.0").is_older_major_than(v("15.9")));
        assert!(!v("16.1").is_older_major_than(v("15.9")));
        assert!(v("9.5.1").is_older_major_than(v("9.6.0")));
        assert_eq!(PgVersion::parse("no digits"), None);
    }

    #[test]
    fn the_environment_carries_the_url_and_clears_what_it_does_not_say() {
        let target = match "postgresql://app:s3cret@h1:5433,h2/app%20db?sslmode=require"
            .parse::<crate::dburl::DatabaseUrl>()
            .unwrap()
        {
            crate::dburl::DatabaseUrl::Postgres(t) => t,
            other => panic!("{other:?}"),
        };
        let env: std::collections::HashMap<_, _> = connection_env(&target).into_iter().collect();
        assert_eq!(env["PGHOST"].as_deref(), Some("h1,h2"));
        assert_eq!(env["PGPORT"].as_deref(), Some("5433,5432"));
        assert_eq!(env["PGDATABASE"].as_deref(), Some("app db"));
        assert_eq!(env["PGPASSWORD"].as_deref(), Some("s3cret"));
        assert_eq!(env["PGSSLMODE"].as_deref(), Some("require"));
        assert_eq!(env["PGSERVICE"], None);
        assert_eq!(
            dbname_arg("it's"),
            OsString::from("--dbname=dbname='it\\'s'")
        );
    }

    #[test]
    fn the_directory_of_the_servers_major_wins_else_the_newest_not_older() {
        let lib = tempfile::tempdir().unwrap();
        for major in ["13", "15", "16"] {
            let bin = lib.path().join(major).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("pg_dump"), "").unwrap();
        }
        let found = |v| versioned_tool(lib.path(), "pg_dump", PgVersion(v));
        assert_eq!(found(150004), Some(lib.path().join("15/bin/pg_dump")));
        assert_eq!(found(140000), Some(lib.path().join("16/bin/pg_dump")));
        assert_eq!(found(170000), None);
    }
}
