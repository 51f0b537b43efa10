//! What the three binaries share: the configuration flags, loading `.env` and the settings, and how an error
//! ends the process (`FAILED: <message>` on stderr, the error's exit status).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use dbkit::config::{self, Options, Settings};
use dbkit::Error;

/// Where settings come from; flattened into each binary's top-level arguments.
#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// The ini file (default: $ALEMBIC_CONFIG, ./alembic.ini, then ./alembic/alembic.ini).
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// The ini section to read.
    #[arg(short = 'n', long = "name", default_value = "alembic")]
    pub name: String,
    /// The database URL (wins over DATABASE_URL and the ini file).
    #[arg(short = 'u', long = "url", global = true)]
    pub url: Option<String>,
    /// An env file to load instead of ./.env (real environment variables still win).
    #[arg(long = "env-file", global = true)]
    pub env_file: Option<PathBuf>,
}

impl ConfigArgs {
    pub fn options(&self) -> Options {
        Options {
            config: self.config.clone(),
            name: Some(self.name.clone()),
            url: self.url.clone(),
            env_file: self.env_file.clone(),
        }
    }

    /// Loads `.env` (or `--env-file`) into the environment without overriding it.
    pub fn load_env(&self) -> dbkit::Result<()> {
        Ok(config::load_env_file(self.env_file.as_deref())?)
    }

    /// Loads `.env`, then the settings.
    pub fn settings(&self) -> dbkit::Result<Settings> {
        self.load_env()?;
        config::load(&self.options(), &|k| std::env::var(k).ok())
    }
}

/// Says once on stderr that the database is the built-in default, for a command about to use it: a run in
/// the wrong directory, or with the configuration missing, shows at once.
pub fn note_default_url(settings: &Settings) {
    if settings.url_source == config::UrlSource::Default {
        eprintln!(
            "note: no database URL is set (--url, DATABASE_URL, DATABASE__URL, DATABASE_HOST or \
             DATABASE_NAME, sqlalchemy.url); using the default {}",
            config::DEFAULT_URL
        );
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
