//! `db-init`: creates the database the settings point at, with its extensions, and reports what it found.
//! Arguments in, output out; the work is in the library.

use std::process::ExitCode;
use std::time::Duration;

#[macro_use]
mod common;

use clap::Parser;
use common::GlobalArgs;
use dbkit::init::{self, JournalMode, Options};
use dbkit::Project;

#[derive(Parser)]
#[command(
    name = "db-init",
    version,
    about = "Create the database (and its extensions) if it does not exist, then verify it",
    after_help = concat!(
        settings_help!(),
        "

Examples:
  db-init --wait                   wait for the server, then create the database if it is missing
  db-init --extension citext       create this extension instead of uuid-ossp and pgcrypto
  db-init --recreate --yes         drop the database and create it again"
    )
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// PostgreSQL: the owner of a new database (default: the connecting role).
    #[arg(long, value_name = "ROLE")]
    owner: Option<String>,
    /// PostgreSQL: the template a new database copies (template0 for another encoding or locale).
    #[arg(long, value_name = "DATABASE")]
    template: Option<String>,
    /// PostgreSQL: the encoding of a new database, e.g. UTF8.
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,
    /// PostgreSQL: the locale of a new database, e.g. C.UTF-8.
    #[arg(long, value_name = "LOCALE")]
    locale: Option<String>,
    /// PostgreSQL: an extension to create (repeatable or comma-separated; default: $DB_EXTENSIONS, else uuid-ossp,pgcrypto).
    #[arg(
        long = "extension",
        value_name = "NAME",
        conflicts_with = "no_extensions"
    )]
    extension: Vec<String>,
    /// Create no extensions.
    #[arg(long = "no-extensions")]
    no_extensions: bool,
    /// SQLite: the journal mode (delete, truncate, persist, memory, wal, off) [default: wal].
    #[arg(long = "journal-mode", value_name = "MODE")]
    journal_mode: Option<JournalMode>,
    /// Retry while the server is not up yet, for up to SECONDS (60 when --wait has no value).
    #[arg(long, value_name = "SECONDS", num_args = 0..=1)]
    wait: Option<Option<u64>>,
    /// Drop the database (SQLite: the file, with its -wal and -shm) and create it again. Needs --yes.
    #[arg(long)]
    recreate: bool,
    /// Confirm --recreate.
    #[arg(long)]
    yes: bool,
    /// Allow --recreate where DBKIT_ENV, APP_ENV or ENVIRONMENT is production.
    #[arg(long = "force-production")]
    force_production: bool,
    /// Print the report as JSON on stdout (progress goes to stderr).
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> dbkit::Result<()> {
    let settings = cli.global.settings(None)?;
    cli.global.note_default_url(&settings);
    let env = |name: &str| std::env::var(name).ok();
    let opts = Options {
        owner: cli.owner,
        template: cli.template,
        encoding: cli.encoding,
        locale: cli.locale,
        extensions: init::extensions(&cli.extension, cli.no_extensions, &env),
        journal_mode: cli.journal_mode,
        wait: cli
            .wait
            .map(|s| s.map_or(init::DEFAULT_WAIT, Duration::from_secs)),
        recreate: cli.recreate,
        yes: cli.yes,
        force_production: cli.force_production,
        production: init::production(&env),
    };
    // Progress on stderr, the report on stdout, as db-migrate does.
    let mut events = common::progress(cli.global.quiet);
    let report = init::run(&Project::new(settings), &opts, &mut events)?;
    common::print(&report, cli.json)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_argument_and_verb_is_described() {
        crate::common::assert_documented(super::Cli::command());
    }
}
