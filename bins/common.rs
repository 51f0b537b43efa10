//! What the three binaries share: the global options, loading `.env` and the settings, how a report is printed
//! (`--json` or its text, on stdout), where progress goes (stderr, silenced by `-q` but for warnings), and how
//! an error ends the process (`FAILED: <message>` on stderr, the error's exit status).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use dbkit::config::{self, Options, Settings};
use dbkit::render::{self, Render};
use dbkit::Error;
use dbkit::Event;
use serde::Serialize;

/// Where every binary's settings come from, for the end of its `--help` (a macro so that each binary can
/// `concat!` its own lines after it at compile time).
macro_rules! settings_help {
    () => {
        "\
Settings: the database URL is --url, else DATABASE_URL, else DATABASE__URL, else DATABASE_HOST,
DATABASE_PORT, DATABASE_NAME, DATABASE_USER and DATABASE_PASSWORD, else sqlalchemy.url in the ini file,
else sqlite:///data/app.db. The ini file is --config, else ALEMBIC_CONFIG, else ./alembic.ini, else
./alembic/alembic.ini. ./.env (or --env-file) is loaded first; variables already set win over it."
    };
}

/// The options every binary takes, before or after its verb; flattened into each binary's top-level
/// arguments.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The ini file [env: ALEMBIC_CONFIG] [default: ./alembic.ini, else ./alembic/alembic.ini].
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The ini file's section to read.
    #[arg(
        short = 'n',
        long = "name",
        value_name = "SECTION",
        default_value = "alembic",
        global = true
    )]
    pub name: String,
    /// The database URL [env: DATABASE_URL, DATABASE__URL, DATABASE_HOST/PORT/NAME/USER/PASSWORD]
    /// [default: the ini file's sqlalchemy.url, else sqlite:///data/app.db].
    #[arg(short = 'u', long = "url", value_name = "URL", global = true)]
    pub url: Option<String>,

    /// An env file to load instead of ./.env; variables already set in the environment win over it.
    #[arg(long = "env-file", value_name = "FILE", global = true)]
    pub env_file: Option<PathBuf>,
    /// Print nothing on stderr but errors: no progress, details or notes.
    #[arg(short = 'q', long = "quiet", global = true)]
    pub quiet: bool,
}

impl GlobalArgs {
    pub fn options(&self) -> Options {
        Options {
            config: self.config.clone(),
            name: Some(self.name.clone()),
            url: self.url.clone(),
            env_file: self.env_file.clone(),
            dev_url: None,
        }
    }

    /// Loads `.env` (or `--env-file`) into the environment without overriding it.
    pub fn load_env(&self) -> dbkit::Result<()> {
        Ok(config::load_env_file(self.env_file.as_deref())?)
    }

    /// Says once on stderr, unless quiet, that the database is the built-in default, for a command about to
    /// use it: a run in the wrong directory, or with the configuration missing, shows at once.
    pub fn note_default_url(&self, settings: &Settings) {
        if !self.quiet && settings.url_source == config::UrlSource::Default {
            eprintln!(
                "note: no database URL is set (--url, DATABASE_URL, DATABASE__URL, DATABASE_HOST or \
                 DATABASE_NAME, sqlalchemy.url); using the default {}",
                config::DEFAULT_URL
            );
        }
    }

    /// Loads `.env`, then the settings.
    /// `dev_url` is db-migrate's `--dev-url`, which the other binaries do not take.
    pub fn settings(&self, dev_url: Option<String>) -> dbkit::Result<Settings> {
        self.load_env()?;
        let options = Options {
            dev_url,
            ..self.options()
        };
        config::load(&options, &|k| std::env::var(k).ok())
    }
}

/// Prints a verb's report on stdout: pretty JSON and a newline with `json`, else its text form.
pub fn print<R: Render + Serialize>(report: &R, json: bool) -> dbkit::Result<()> {
    let text = if json {
        let mut s = serde_json::to_string_pretty(report).expect("plain data serialises");
        s.push('\n');
        s
    } else {
        report.text()
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// Where a verb's progress goes: each event's line on stderr, unless `quiet`; a warning always.
pub fn progress(quiet: bool) -> impl FnMut(Event<'_>) {
    move |event: Event<'_>| {
        if let (false, Some(line)) = (quiet, render::progress::line(&event)) {
            eprintln!("{line}");
        }
        if let Some(warning) = render::progress::warning(&event) {
            eprintln!("{warning}");
        }
    }
}

/// Ends the process for a result: success, or `FAILED: …` with the error's exit status. A closed stdout (a
/// pager quit early) is not a failure.
pub fn finish(result: dbkit::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { ref source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("FAILED: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// An error writing to stdout, in the library's terms.
pub fn stdout_error(source: io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    }
}

/// Checks a binary's command line: clap's own consistency checks (no option defined twice, which a global
/// option and a verb's option could otherwise do), and a description on every argument, option and verb.
#[cfg(test)]
pub fn assert_documented(command: clap::Command) {
    command.clone().debug_assert();
    let mut missing = Vec::new();
    let mut pending = vec![(command.get_name().to_string(), command)];
    while let Some((path, command)) = pending.pop() {
        if command.get_about().is_none() && path.contains(' ') {
            missing.push(path.clone());
        }
        for arg in command.get_arguments() {
            if arg.get_help().is_none() && !matches!(arg.get_id().as_str(), "help" | "version") {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            if sub.get_name() != "help" {
                pending.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
        }
    }
    assert!(missing.is_empty(), "no description: {missing:?}");
}
