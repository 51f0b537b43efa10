//! The project's Python, running Alembic for the import: `driver.py` (embedded, passed with `-c`) reads the
//! history and renders every revision offline in one process per dialect, and drives online upgrades one
//! revision at a time for the verification.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::Deserialize;

use super::ImportError;
use crate::engine::Engine;

const DRIVER: &str = include_str!("driver.py");

/// How many of the last lines of Python's stderr an error quotes.
const STDERR_LINES: usize = 15;

/// The interpreter to run: `--python` (an interpreter, or a virtualenv's folder), else the active
/// virtualenv's (`VIRTUAL_ENV`), else `python3` on the PATH.
pub(crate) fn interpreter(given: Option<&Path>) -> Result<PathBuf, ImportError> {
    let in_venv = |dir: &Path| dir.join("bin").join("python");
    if let Some(path) = given {
        let path = if path.is_dir() {
            in_venv(path)
        } else {
            path.to_path_buf()
        };
        return which::which(&path).map_err(|_| ImportError::NoPython {
            tried: path.display().to_string(),
        });
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()) {
        let python = in_venv(Path::new(&venv));
        if python.is_file() {
            return Ok(python);
        }
    }
    which::which("python3").map_err(|_| ImportError::NoPython {
        tried: "python3 on the PATH (and VIRTUAL_ENV)".into(),
    })
}

/// One revision as Alembic reads it, with its SQL for one dialect.
#[derive(Debug, Deserialize)]
pub(crate) struct Rendered {
    pub(crate) id: String,
    pub(crate) down: Vec<String>,
    pub(crate) branch_labels: Vec<String>,
    pub(crate) depends_on: Vec<String>,
    pub(crate) message: Vec<String>,
    pub(crate) create_date: Option<String>,
    /// The Python file, absolute.
    pub(crate) path: PathBuf,
    pub(crate) up: Option<String>,
    pub(crate) up_error: Option<String>,
    pub(crate) up_python: Option<String>,
    pub(crate) down_sql: Option<String>,
    pub(crate) down_sql_error: Option<String>,
    pub(crate) down_sql_python: Option<String>,
}

/// What a one-shot driver run prints: the result, or why there is none.
#[derive(Deserialize)]
struct Answer<T> {
    revisions: Option<T>,
    error: Option<String>,
}

/// The offline URL that makes Alembic (and the project's env.py) render for `engine`.
fn offline_url(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "sqlite://",
        Engine::Postgresql => "postgresql://",
    }
}

/// Every revision of the history at `ini`, with its SQL rendered offline for `engine`, oldest first.
pub(crate) fn render(
    python: &Path,
    (ini, section): (&Path, &str),
    engine: Engine,
) -> Result<Vec<Rendered>, ImportError> {
    let args = [
        "render".as_ref(),
        ini.as_os_str(),
        section.as_ref(),
        offline_url(engine).as_ref(),
    ];
    run(python, &args, |message, stderr| ImportError::Render {
        dialect: engine,
        message,
        stderr,
    })
}

/// The id of every revision in the history at `ini`, as Alembic reads it (env.py does not run).
pub(crate) fn revision_ids(
    python: &Path,
    (ini, section): (&Path, &str),
) -> Result<Vec<String>, ImportError> {
    let args = ["revisions".as_ref(), ini.as_os_str(), section.as_ref()];
    run(python, &args, |message, stderr| ImportError::Read {
        message,
        stderr,
    })
}

/// One run of the driver with `args`, and its answer; else `failed` with why there is none and the end of
/// Python's stderr.
fn run<T: serde::de::DeserializeOwned>(
    python: &Path,
    args: &[&std::ffi::OsStr],
    failed: impl Fn(String, String) -> ImportError,
) -> Result<T, ImportError> {
    let output = Command::new(python)
        .arg("-c")
        .arg(DRIVER)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ImportError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
    let failed = |message: String| failed(message, tail(&String::from_utf8_lossy(&output.stderr)));
    let answer: Answer<T> = serde_json::from_slice(&output.stdout).map_err(|e| {
        failed(format!(
            "Python exited with {} and no answer ({e}); is Alembic installed for {}?",
            output.status,
            python.display()
        ))
    })?;
    match (answer.revisions, answer.error) {
        (Some(revisions), None) if output.status.success() => Ok(revisions),
        (_, Some(error)) => Err(failed(error)),
        _ => Err(failed(format!("Python exited with {}", output.status))),
    }
}

/// The last lines of what Python printed on stderr (Alembic's log and any traceback).
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    lines[lines.len().saturating_sub(STDERR_LINES)..].join("\n")
}

/// Alembic upgrading a real database one revision at a time, on request.
pub(crate) struct Online {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Where Python's stderr goes (Alembic logs a line per revision), so that it can never fill a pipe.
    stderr: tempfile::NamedTempFile,
}

#[derive(Deserialize)]
struct Reply {
    error: Option<String>,
}

impl Online {
    /// Starts Alembic on the database at `url`, which reaches Python through its environment only.
    pub(crate) fn start(
        python: &Path,
        (ini, section): (&Path, &str),
        url: &str,
    ) -> Result<Online, ImportError> {
        let spawn = |source| ImportError::Spawn {
            python: python.to_path_buf(),
            source,
        };
        let stderr = tempfile::NamedTempFile::new().map_err(spawn)?;
        let mut child = Command::new(python)
            .arg("-c")
            .arg(DRIVER)
            .arg("online")
            .arg(ini)
            .arg(section)
            .env("DBKIT_IMPORT_URL", url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().map_err(spawn)?)
            .spawn()
            .map_err(spawn)?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Ok(Online {
            child,
            stdin,
            stdout,
            stderr,
        })
    }

    /// `alembic upgrade <revision>`; Alembic's error, with the end of its log, when it fails.
    pub(crate) fn upgrade(&mut self, revision: &str) -> Result<(), String> {
        let sent = self
            .stdin
            .as_mut()
            .map(|stdin| writeln!(stdin, "upgrade {revision}").and_then(|()| stdin.flush()));
        let mut line = String::new();
        let read = match sent {
            Some(Ok(())) => self.stdout.read_line(&mut line),
            Some(Err(e)) => Err(e),
            None => Ok(0),
        };
        let reply: Option<Reply> = match read {
            Ok(n) if n > 0 => serde_json::from_str(&line).ok(),
            _ => None,
        };
        match reply {
            Some(Reply { error: None }) => Ok(()),
            Some(Reply { error: Some(e) }) => Err(with_log(e, &self.log())),
            None => Err(with_log("Python stopped answering".into(), &self.log())),
        }
    }

    fn log(&self) -> String {
        tail(&std::fs::read_to_string(self.stderr.path()).unwrap_or_default())
    }
}

fn with_log(message: String, log: &str) -> String {
    if log.is_empty() {
        message
    } else {
        format!("{message}\n{log}")
    }
}

impl Drop for Online {
    fn drop(&mut self) {
        // Closing stdin ends the driver's loop; it then exits on its own.
        self.stdin = None;
        let _ = self.child.wait();
    }
}
