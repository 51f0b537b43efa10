//! `db-backup`: backups of the database with a manifest beside each, and verify, restore, list and prune.
//! Arguments in, output out; the work is in the library. Scripts read stdout: `create` prints the backup's
//! path and nothing else, `restore` the revision the database is now at; details go to stderr.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

#[macro_use]
mod common;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use common::GlobalArgs;
use dbkit::backup::{
    self, Compression, CreateOptions, DumpFormat, PruneOptions, RestoreOptions, Store,
};
use dbkit::render;
use dbkit::Event;
use dbkit::Project;

#[derive(Parser)]
#[command(
    name = "db-backup",
    version,
    about = "Backups of the SQLite or PostgreSQL database, with a manifest beside each",
    after_help = concat!(
        settings_help!(),
        "
PG_DUMP and PG_RESTORE name the PostgreSQL client tools to run.

Examples:
  db-backup --label pre-deploy     back the database up; prints the backup's path
  db-backup verify latest --deep   check the newest backup by restoring it into a scratch database
  db-backup restore latest --yes   put the newest backup back
  db-backup prune --keep 7         delete all but the newest seven"
    )
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// Where backups are kept [env: BACKUP_DIR] [default: ./backups].
    #[arg(long, value_name = "DIR", global = true)]
    dir: Option<PathBuf>,
    /// With no verb, db-backup creates a backup and takes create's flags here.
    #[command(flatten)]
    create: CreateFlags,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Default)]
struct CreateFlags {
    /// A word to remember the backup by, e.g. pre-deploy; it ends the file name.
    #[arg(long)]
    label: Option<String>,
    /// Compress the backup (SQLite only).
    #[arg(long, value_enum)]
    compress: Option<CompressArg>,
    /// pg_dump's format (PostgreSQL only): custom (the default, a .dump for pg_restore) or plain (a .sql
    /// script for psql -f).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CompressArg {
    Zstd,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Custom,
    Plain,
}

#[derive(Subcommand)]
enum Command {
    /// Back the database up (the default); prints the backup's path.
    Create(CreateFlags),
    /// List the backups, newest first.
    List {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check a backup against its manifest and read it.
    Verify {
        /// A backup file, its name in the backups directory, or `latest`.
        #[arg(default_value = "latest")]
        backup: String,
        /// Also restore it into a scratch database and read its version table.
        #[arg(long)]
        deep: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Replace the database's contents with a backup; prints the revision it is now at.
    Restore {
        /// A backup file, its name in the backups directory, or `latest`.
        backup: String,
        /// Do not ask; required when stdin is not a terminal.
        #[arg(short = 'y', long)]
        yes: bool,
        /// Skip the backup of the live database taken first.
        #[arg(long = "no-safety-backup")]
        no_safety_backup: bool,
    },
    /// Delete old backups and their manifests; the newest is always kept.
    Prune {
        /// How many of each database's newest backups to keep (at least 1).
        #[arg(long, required = true)]
        keep: usize,
        /// Only delete backups older than this (e.g. 30d, 12h, 1d12h).
        #[arg(long = "older-than")]
        older_than: Option<String>,
        /// Name what would be deleted; delete nothing.
        #[arg(long = "dry-run")]
        dry_run: bool,
    },
}

impl CreateFlags {
    fn given(&self) -> bool {
        self.label.is_some() || self.compress.is_some() || self.format.is_some()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // create's flags may come before the verb only when the verb is create (or left out), and only once.
    let misplaced = match &cli.command {
        None => None,
        Some(Command::Create(flags)) if cli.create.given() && flags.given() => {
            Some("give create's flags either before or after 'create', not both")
        }
        Some(Command::Create(_)) => None,
        Some(_) if cli.create.given() => Some("--label, --compress and --format belong to create"),
        Some(_) => None,
    };
    if let Some(message) = misplaced {
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    common::finish(run(cli))
}

fn run(cli: Cli) -> dbkit::Result<()> {
    let settings = cli.global.settings(None)?;
    let quiet = cli.global.quiet;
    if !matches!(
        cli.command,
        Some(Command::List { .. } | Command::Prune { .. })
    ) {
        cli.global.note_default_url(&settings);
    }
    let project = Project::new(settings);
    let store = Store::from_settings(cli.dir.as_deref(), &|k| std::env::var(k).ok());
    let mut events = common::progress(quiet);
    match cli
        .command
        .unwrap_or(Command::Create(CreateFlags::default()))
    {
        Command::Create(mut flags) => {
            if !flags.given() {
                flags = cli.create;
            }
            let o = CreateOptions {
                label: flags.label,
                compression: flags.compress.map(|CompressArg::Zstd| Compression::Zstd),
                format: flags.format.map(|f| match f {
                    FormatArg::Custom => DumpFormat::Custom,
                    FormatArg::Plain => DumpFormat::Plain,
                }),
                progress: !quiet,
            };
            common::print(&backup::create(&project, &store, &o, &mut events)?, false)
        }
        Command::List { json } => {
            let list = backup::list(&store, chrono::Utc::now())?;
            if list.is_empty() && !json {
                events(Event::Note(&render::backup::no_backups(store.dir())));
            }
            // What could be read is shown first; then the unreadable manifests fail the command.
            common::print(&list, json)?;
            list.check_complete()
        }
        Command::Verify {
            backup: spec,
            deep,
            json,
        } => {
            let found = backup::find(&project, &store, &spec)?;
            common::print(&backup::verify(&project, found, deep, &mut events)?, json)
        }
        Command::Restore {
            backup: spec,
            yes,
            no_safety_backup,
        } => {
            let found = backup::find(&project, &store, &spec)?;
            let database = project.settings.database_url()?.masked();
            let mut confirm = |question: &str| {
                let interactive = io::stdin().is_terminal();
                backup::confirm(
                    question,
                    &database,
                    yes,
                    interactive,
                    &mut io::stdin().lock(),
                    &mut io::stderr(),
                )
            };
            let o = RestoreOptions {
                safety_backup: !no_safety_backup,
                progress: !quiet,
            };
            let restored =
                backup::restore(&project, &store, &found, &o, &mut confirm, &mut events)?;
            common::print(&restored, false)
        }
        Command::Prune {
            keep,
            older_than,
            dry_run,
        } => {
            let o = PruneOptions {
                keep,
                older_than: older_than
                    .as_deref()
                    .map(backup::prune::parse_duration)
                    .transpose()?,
                dry_run,
            };
            let pruned = backup::prune(&project, &store, &o, chrono::Utc::now(), &mut events)?;
            common::print(&pruned, false)?;
            events(Event::Note(&render::backup::prune_summary(&pruned)));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_argument_and_verb_is_described() {
        crate::common::assert_documented(super::Cli::command());
    }
}
