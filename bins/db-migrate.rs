//! `db-migrate`: the revision workflow's verbs over SQL revision files. Arguments in, output out; the work is
//! in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[macro_use]
mod common;

use clap::{Args, Parser, Subcommand};
use common::GlobalArgs;
use dbkit::command::{self, NewRevisionArgs, RunOptions};
use dbkit::Project;
use dbkit::{Direction, Engine};

/// Shown after `--help`: where settings come from, the revision grammar, examples.
const AFTER_HELP: &str = concat!(
    settings_help!(),
    "\n
Revisions: head (the one head), heads (every head), base (before the first), an id or a unique prefix of
one (any length), a branch label, label@head, label@base, +2 or -1 (relative to the database's revision),
3f2a+2 or head-1 (relative to a revision), current (history -r and show).

Examples:
  db-migrate upgrade                    migrate to the head
  db-migrate downgrade -1               revert the last revision
  db-migrate upgrade head --sql         print the SQL instead of running it
  db-migrate -c deploy/alembic.ini current --check-heads
  db-migrate history -r-3:current       the last three revisions up to the database's
  db-migrate revision -m \"add user bio\""
);

/// Shown after `lint --help`: the rules and how to accept one.
const LINT_HELP: &str = "\
Rules (error: exit 8; warning: printed): adding-field-with-default, adding-not-nullable-field,
require-concurrent-index-creation, adding-foreign-key-constraint, constraint-missing-not-valid,
changing-column-type, setting-not-nullable-field, require-lock-timeout, ban-drop-column, ban-drop-table,
renaming-column, renaming-table, mixed-transaction-false-section, sqlite-table-rebuild,
sqlite-drop-indexed-column, invalid-allow-comment (docs/verify.md says which is which).
Accept one in a revision with a comment: -- dbkit:allow <rule> <reason>
Turn rules off for the project in the ini file: lint_disable = rule1, rule2";

/// Shown after a verb's `--help` when it takes revisions.
const REVISION_HELP: &str = "\
Revisions: head, heads, base, an id or a unique prefix of one (any length), a branch label, label@head,
+2 or -1 (relative to the database's revision), 3f2a+2 or head-1 (relative to a revision).";

#[derive(Parser)]
#[command(
    name = "db-migrate",
    version,
    about = "Alembic-compatible migrations over SQL revision files, for SQLite and PostgreSQL",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    /// The PostgreSQL server for the schema verbs' scratch databases [env: DBKIT_DEV_URL] [default: the ini
    /// file's dev_url, else the database URL's server].
    #[arg(long = "dev-url", value_name = "URL", global = true)]
    dev_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// How `check` and `schema diff` plan.
#[derive(Args)]
struct PlanFlags {
    /// OLD=NEW: a rename, as a renamed-from directive says it: table.column=new_column, or old_table=new_table (repeatable).
    #[arg(long = "rename", value_name = "OLD=NEW")]
    rename: Vec<String>,
    /// PostgreSQL: the forms that keep a live table usable (CONCURRENTLY, NOT VALID then VALIDATE, a lock_timeout).
    #[arg(long)]
    online: bool,
}

impl PlanFlags {
    fn planning(&self, from_db: bool) -> command::Planning<'_> {
        command::Planning {
            renames: &self.rename,
            online: self.online,
            from_db,
            ask: None,
        }
    }
}

#[derive(Args, Default)]
struct RunFlags {
    /// Print the SQL instead of running it (offline; a range `from:to` sets the start).
    #[arg(long)]
    sql: bool,
    /// Connect, plan from the database's real state, print the steps and SQL, change nothing.
    #[arg(long = "dry-run", conflicts_with = "sql")]
    dry_run: bool,
    /// Run every step in one transaction: all or nothing.
    #[arg(long = "single-transaction")]
    single_transaction: bool,
    /// Seconds to wait for another migration to finish.
    #[arg(long = "lock-timeout")]
    lock_timeout: Option<u64>,
}

#[derive(Args)]
struct NewFlags {
    /// Where the new revision is based (`base` starts a new root).
    #[arg(long)]
    head: Option<String>,
    /// Allow basing the revision on one that is not a head (starts a branch).
    #[arg(long)]
    splice: bool,
    /// A branch label for the new revision.
    #[arg(long = "branch-label")]
    branch_label: Option<String>,
    /// A revision or label this one depends on (repeatable).
    #[arg(long = "depends-on")]
    depends_on: Vec<String>,
    /// Use this id instead of a random one (at most 32 characters, none of @ - + :).
    #[arg(long = "rev-id")]
    rev_id: Option<String>,
    /// The versions folder to write to.
    #[arg(long = "version-path")]
    version_path: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a scripts folder with versions/ and an ini file.
    Init {
        /// The folder to create; it must not exist or be empty.
        directory: PathBuf,
    },
    /// Create a new revision file: empty, or with --autogenerate the SQL to the declared schema.
    Revision {
        /// The revision's message; its words name the file.
        #[arg(short = 'm', long = "message")]
        message: Option<String>,
        /// Write the SQL from the revisions' schema to the schema file's.
        #[arg(long)]
        autogenerate: bool,
        /// With --autogenerate: write a revision that drops tables or columns.
        #[arg(long = "allow-data-loss", requires = "autogenerate")]
        allow_data_loss: bool,
        /// OLD=NEW: a rename, as a renamed-from directive says it: table.column=new_column, or old_table=new_table (repeatable).
        #[arg(long = "rename", value_name = "OLD=NEW", requires = "autogenerate")]
        rename: Vec<String>,
        /// With --autogenerate on PostgreSQL: the forms that keep a live table usable (CONCURRENTLY, NOT VALID then VALIDATE, a lock_timeout).
        #[arg(long, requires = "autogenerate")]
        online: bool,
        #[command(flatten)]
        new: NewFlags,
    },
    /// Create a new revision with MESSAGE (the form Make targets use); autogenerated when a schema file exists.
    Create {
        /// The revision's message; its words name the file.
        message: String,
        /// Write an empty revision even when a schema file exists.
        #[arg(long = "no-autogenerate")]
        no_autogenerate: bool,
        /// Write a revision that drops tables or columns.
        #[arg(long = "allow-data-loss", conflicts_with = "no_autogenerate")]
        allow_data_loss: bool,
        /// OLD=NEW: a rename, as a renamed-from directive says it: table.column=new_column, or old_table=new_table (repeatable).
        #[arg(
            long = "rename",
            value_name = "OLD=NEW",
            conflicts_with = "no_autogenerate"
        )]
        rename: Vec<String>,
        /// PostgreSQL: the forms that keep a live table usable (CONCURRENTLY, NOT VALID then VALIDATE, a lock_timeout).
        #[arg(long, conflicts_with = "no_autogenerate")]
        online: bool,
        #[command(flatten)]
        new: NewFlags,
    },
    /// Exit 0 when the database's schema is the one its recorded revisions give, else print the differences
    /// (as the SQL from the revisions' schema to the database's) and exit 6. Only reads the database.
    Drift {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Flag what in the revisions' up sections locks, rewrites or loses data on a live database; exit 8 on an
    /// error (warnings pass).
    #[command(after_help = LINT_HELP)]
    Lint {
        /// Only the revisions of a range [START]:[END], as history takes it (the earlier ones are still read).
        #[arg(short = 'r', long = "rev-range", value_name = "RANGE")]
        rev_range: Option<String>,
        /// Only this dialect's sections [default: every dialect the project targets].
        #[arg(long, value_name = "DIALECT", value_parser = dialect)]
        dialect: Option<Engine>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Apply, revert and apply again every revision on a scratch database: the downgrade must give back the
    /// schema before it, the second upgrade the schema of the first, and no table may lose rows; exit 7 if not.
    #[command(after_help = REVISION_HELP)]
    Verify {
        /// Only the revisions in [START]:[END], e.g. 3f2a:head (those before are applied, not verified).
        #[arg(short = 'r', long = "rev-range", value_name = "RANGE")]
        rev_range: Option<String>,
        /// One engine only [default: the database's, and the others the ini file's dialects names].
        #[arg(long, value_name = "DIALECT", value_parser = dialect)]
        dialect: Option<Engine>,
        /// Fail on a revision without a down section (by default it is reported and applied).
        #[arg(long)]
        strict: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when the revisions give the declared schema, else print the changes and exit 5.
    Check {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        plan: PlanFlags,
        /// Compare the configured database's schema (which must exist; only read) instead of the revisions'.
        #[arg(long = "from-db")]
        from_db: bool,
    },
    /// The declared schema (the schema file).
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Create a revision that merges revisions (`heads` for all heads).
    #[command(after_help = REVISION_HELP)]
    Merge {
        /// The revisions to merge, at least two (or `heads`).
        #[arg(required = true)]
        revisions: Vec<String>,
        /// The merge revision's message.
        #[arg(short = 'm', long = "message")]
        message: Option<String>,
        /// A branch label for the merge revision.
        #[arg(long = "branch-label")]
        branch_label: Option<String>,
        /// Use this id instead of a random one.
        #[arg(long = "rev-id")]
        rev_id: Option<String>,
    },
    /// Convert the ini file's Alembic history (Python revisions) into SQL revision files beside them.
    #[command(name = "import-alembic")]
    ImportAlembic {
        /// The dialects to render the SQL for, comma-separated [default: the database URL's and the ini
        /// file's dialects].
        #[arg(long = "dialect", value_delimiter = ',', value_parser = dialect)]
        dialect: Vec<dbkit::Engine>,
        /// The Python with Alembic and the project's imports: an interpreter or a virtualenv's folder
        /// [default: $VIRTUAL_ENV's, else python3].
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Replace dbkit files that already hold revisions of the history.
        #[arg(long)]
        overwrite: bool,
        /// Skip replaying both histories on scratch databases to compare their schemas.
        #[arg(long = "no-verify")]
        no_verify: bool,
        /// Write nothing: replay the dbkit files already there (finished by hand, say) against the Alembic
        /// history and compare.
        #[arg(long = "verify-only", conflicts_with_all = ["no_verify", "overwrite"])]
        verify_only: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Upgrade to a later revision (default: head).
    #[command(after_help = REVISION_HELP)]
    Upgrade {
        /// Where to go: head, heads, an id, +1, a label@head... (with --sql, FROM:TO).
        #[arg(default_value = "head", allow_negative_numbers = true)]
        revision: String,
        #[command(flatten)]
        run: RunFlags,
    },
    /// Revert to an earlier revision (e.g. -1, base, an id).
    #[command(after_help = REVISION_HELP)]
    Downgrade {
        /// Where to go: -1, base, an id, head-2... (with --sql, FROM:TO).
        #[arg(allow_negative_numbers = true)]
        revision: String,
        #[command(flatten)]
        run: RunFlags,
    },
    /// Show the revision(s) the database is at.
    Current {
        /// Show the URL (password masked) and each revision in full.
        #[arg(short = 'v', long)]
        verbose: bool,
        /// Exit with status 3 unless the database is at every head (-c is --config here).
        #[arg(long = "check-heads")]
        check_heads: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List revisions, newest first.
    #[command(after_help = REVISION_HELP)]
    History {
        /// A range [START]:[END], e.g. base:head or -r-3:current (a leading '-' needs no space).
        #[arg(short = 'r', long = "rev-range", value_name = "RANGE")]
        rev_range: Option<String>,
        /// Show each revision in full.
        #[arg(short = 'v', long)]
        verbose: bool,
        /// Mark the database's current revision(s).
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show the head revisions.
    Heads {
        /// Show each head in full.
        #[arg(short = 'v', long)]
        verbose: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show branch points.
    Branches {
        /// Show each branch point in full.
        #[arg(short = 'v', long)]
        verbose: bool,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Show a revision in detail (`current` for the database's).
    #[command(after_help = REVISION_HELP)]
    Show {
        /// The revision(s): an id, head, heads, a label, current...
        #[arg(allow_negative_numbers = true)]
        rev: String,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Set the version table to revisions without running any SQL.
    #[command(after_help = REVISION_HELP)]
    Stamp {
        /// The revision(s) to record: head, heads, base, an id...
        #[arg(required = true, allow_negative_numbers = true)]
        revisions: Vec<String>,
        /// Empty the version table first.
        #[arg(long)]
        purge: bool,
        #[command(flatten)]
        run: RunFlags,
    },
    /// Check applied revisions against their files (checksums, missing files, unknown revisions).
    Validate {
        /// Record the current checksum of this revision after reviewing its change.
        #[arg(long, value_name = "REV")]
        accept: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Seconds `--accept` waits for a migration that is running to finish.
        #[arg(long = "lock-timeout")]
        lock_timeout: Option<u64>,
    },
    /// Make the database ready whatever it is: create it, match a pre-migration one to its revision, upgrade.
    Ensure {
        /// A new or empty database gets the schema file and a stamp of the heads, when check finds they agree.
        #[arg(long = "from-schema")]
        from_schema: bool,
        /// A database with tables but no version table is at REV (instead of the revision its schema matches).
        #[arg(long, value_name = "REV")]
        baseline: Option<String>,
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Seconds to wait for another migration to finish.
        #[arg(long = "lock-timeout")]
        lock_timeout: Option<u64>,
    },
    /// Create the version and history tables if they are missing.
    #[command(name = "ensure_version", alias = "ensure-version")]
    EnsureVersion {
        /// Seconds to wait for a migration that is running to finish.
        #[arg(long = "lock-timeout")]
        lock_timeout: Option<u64>,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Print the SQL from the revisions' schema (or the database's) to the declared one, with its hazards.
    Diff {
        /// Print JSON on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        plan: PlanFlags,
        /// Start from the configured database's schema (which must exist; only read) instead of the revisions'.
        #[arg(long = "from-db")]
        from_db: bool,
    },
    /// Print the schema at head as the SQL that creates it, one statement per object.
    Dump {
        /// Dump the configured database (which must exist; only read) instead of the revisions' schema.
        #[arg(long = "from-db")]
        from_db: bool,
        /// Write the dump to FILE (through a temporary file renamed into place) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    common::finish(run(Cli::parse()))
}

fn run(cli: Cli) -> dbkit::Result<()> {
    if let Command::Init { directory } = &cli.command {
        cli.global.load_env()?;
        let ini = cli
            .global
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("alembic.ini"));
        return common::print(&command::init(directory, &ini)?, false);
    }
    let settings = cli.global.settings(cli.dev_url.clone())?;
    if cli.command.uses_database() {
        cli.global.note_default_url(&settings);
    }
    let mut project = Project::new(settings);
    if let Some(seconds) = cli.command.lock_timeout() {
        project.set_lock_timeout(Duration::from_secs(seconds));
    }
    let mut events = common::progress(cli.global.quiet);
    let run_options = |run: &RunFlags| RunOptions {
        sql: run.sql,
        dry_run: run.dry_run,
        single_transaction: run.single_transaction,
    };
    match cli.command {
        Command::Init { .. } => unreachable!("handled above"),
        Command::Revision {
            message,
            autogenerate,
            allow_data_loss,
            rename,
            online,
            new,
        } => {
            let args = new_args(message, new);
            if autogenerate {
                let quiet = cli.global.quiet;
                let planning = (&rename[..], online);
                return autogenerate_revision(&project, &args, allow_data_loss, planning, quiet);
            }
            common::print(&command::revision(&project, &args)?, false)
        }
        Command::Create {
            message,
            no_autogenerate,
            allow_data_loss,
            rename,
            online,
            new,
        } => {
            let args = new_args(Some(message), new);
            if !no_autogenerate && command::has_schema_file(&project) {
                let quiet = cli.global.quiet;
                let planning = (&rename[..], online);
                return autogenerate_revision(&project, &args, allow_data_loss, planning, quiet);
            }
            common::print(&command::revision(&project, &args)?, false)
        }
        Command::Drift { json } => {
            let drift = command::drift(&project)?;
            common::print(&drift, json)?;
            drift.check()
        }
        Command::Lint {
            rev_range,
            dialect,
            json,
        } => {
            let report = command::lint(&project, rev_range.as_deref(), dialect)?;
            common::print(&report, json)?;
            report.check()
        }
        Command::Verify {
            rev_range,
            dialect,
            strict,
            json,
        } => {
            let options = command::VerifyOptions {
                range: rev_range,
                dialect,
                strict,
            };
            let verified = command::verify(&project, &options)?;
            common::print(&verified, json)?;
            verified.check()
        }
        Command::Check {
            json,
            plan,
            from_db,
        } => {
            let planning = plan.planning(from_db);
            let changes = command::check(&project, planning)?;
            common::print(&changes, json)?;
            changes.check()
        }
        Command::Schema {
            command:
                SchemaCommand::Diff {
                    json,
                    plan,
                    from_db,
                },
        } => {
            let planning = plan.planning(from_db);
            common::print(&command::schema_diff(&project, planning)?, json)
        }
        Command::Schema {
            command: SchemaCommand::Dump { from_db, output },
        } => {
            let dump = command::schema_dump(&project, from_db)?;
            match output {
                Some(path) => command::write_atomically(&path, &dump),
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(dump.as_bytes())
                        .and_then(|()| out.flush())
                        .map_err(common::stdout_error)
                }
            }
        }
        Command::Merge {
            revisions,
            message,
            branch_label,
            rev_id,
        } => {
            let args = NewRevisionArgs {
                message,
                branch_label,
                rev_id,
                ..NewRevisionArgs::default()
            };
            common::print(&command::merge(&project, &revisions, &args)?, false)
        }
        Command::ImportAlembic {
            dialect,
            python,
            overwrite,
            no_verify,
            verify_only,
            json,
        } => {
            let args = dbkit::import::ImportArgs {
                dialects: dialect,
                python,
                overwrite,
                no_verify,
                verify_only,
            };
            let imported = dbkit::import::import_alembic(&project, &args)?;
            common::print(&imported, json)?;
            imported.check()
        }
        Command::Upgrade { revision, run } => {
            let o = run_options(&run);
            let done = command::migrate(&project, Direction::Up, &revision, &o, &mut events)?;
            common::print(&done, false)
        }
        Command::Downgrade { revision, run } => {
            let o = run_options(&run);
            let done = command::migrate(&project, Direction::Down, &revision, &o, &mut events)?;
            common::print(&done, false)
        }
        Command::Stamp {
            revisions,
            purge,
            run,
        } => {
            let o = run_options(&run);
            let done = command::stamp(&project, &revisions, purge, &o, &mut events)?;
            common::print(&done, false)
        }
        Command::Current {
            verbose,
            check_heads,
            json,
        } => {
            let current = command::current(&project, verbose)?;
            common::print(&current, json)?;
            if check_heads {
                current.check_heads()?;
            }
            Ok(())
        }
        Command::History {
            rev_range,
            verbose,
            indicate_current,
            json,
        } => common::print(
            &command::history(&project, rev_range.as_deref(), verbose, indicate_current)?,
            json,
        ),
        Command::Heads { verbose, json } => {
            common::print(&command::heads(&project, verbose)?, json)
        }
        Command::Branches { verbose, json } => {
            common::print(&command::branches(&project, verbose)?, json)
        }
        Command::Show { rev, json } => common::print(&command::show(&project, &rev)?, json),
        Command::Validate {
            accept,
            json,
            lock_timeout: _,
        } => {
            let findings = match accept {
                Some(rev) => {
                    let (accepted, findings) =
                        command::accept_and_validate(&project, &rev, &mut events)?;
                    // What was accepted is said as text, before the findings in either form.
                    common::print(&accepted, false)?;
                    findings
                }
                None => command::validate(&project)?,
            };
            common::print(&findings, json)?;
            findings.check()
        }
        Command::Ensure {
            from_schema,
            baseline,
            json,
            lock_timeout: _,
        } => {
            let o = command::EnsureOptions {
                from_schema,
                baseline,
            };
            common::print(&command::ensure(&project, &o, &mut events)?, json)
        }
        Command::EnsureVersion { lock_timeout: _ } => {
            common::print(&command::ensure_version(&project, &mut events)?, false)
        }
    }
}

impl Command {
    /// `--lock-timeout`, where the verb takes it and it was given: it wins over the ini file's `lock_timeout`.
    fn lock_timeout(&self) -> Option<u64> {
        match self {
            Command::Upgrade { run, .. }
            | Command::Downgrade { run, .. }
            | Command::Stamp { run, .. } => run.lock_timeout,
            Command::Validate { lock_timeout, .. }
            | Command::Ensure { lock_timeout, .. }
            | Command::EnsureVersion { lock_timeout } => *lock_timeout,
            Command::Init { .. }
            | Command::Revision { .. }
            | Command::Create { .. }
            | Command::Check { .. }
            | Command::Lint { .. }
            | Command::Verify { .. }
            | Command::Drift { .. }
            | Command::Schema { .. }
            | Command::Merge { .. }
            | Command::ImportAlembic { .. }
            | Command::Current { .. }
            | Command::History { .. }
            | Command::Heads { .. }
            | Command::Branches { .. }
            | Command::Show { .. } => None,
        }
    }

    /// Whether the command reads the database URL; the others work from the revision files alone.
    fn uses_database(&self) -> bool {
        match self {
            Command::Upgrade { .. }
            | Command::Downgrade { .. }
            | Command::Stamp { .. }
            | Command::Current { .. }
            | Command::Validate { .. }
            | Command::Drift { .. }
            | Command::Ensure { .. }
            | Command::EnsureVersion { .. } => true,
            Command::History {
                rev_range,
                indicate_current,
                ..
            } => *indicate_current || rev_range.as_deref().is_some_and(|r| r.contains("current")),
            Command::Show { rev, .. } => rev.contains("current"),
            Command::Schema {
                command: SchemaCommand::Dump { from_db, .. } | SchemaCommand::Diff { from_db, .. },
            }
            | Command::Check { from_db, .. } => *from_db,
            Command::Init { .. }
            | Command::Revision { .. }
            | Command::Create { .. }
            | Command::Lint { .. }
            | Command::Verify { .. }
            | Command::Merge { .. }
            | Command::ImportAlembic { .. }
            | Command::Heads { .. }
            | Command::Branches { .. } => false,
        }
    }
}

/// Writes a revision from the schema file; its hazards go to stderr as well as into the file. With a
/// terminal on stdin and stderr, a possible rename is asked about there; without one it stays an error.
fn autogenerate_revision(
    project: &Project,
    args: &NewRevisionArgs,
    allow_data_loss: bool,
    (renames, online): (&[String], bool),
    quiet: bool,
) -> dbkit::Result<()> {
    use std::io::IsTerminal;
    let mut ask = |possible: &command::PossibleRename| {
        eprint!("{possible}: was it renamed? [y/N] ");
        let mut answer = String::new();
        // An answer that cannot be read is a no: the drop still needs --allow-data-loss.
        std::io::stdin().read_line(&mut answer).is_ok()
            && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let planning = command::Planning {
        renames,
        ask: terminal.then_some(&mut ask as command::AskRename<'_>),
        online,
        from_db: false,
    };
    let written = command::autogenerate(project, args, allow_data_loss, planning)?;
    if !quiet {
        for h in &written.hazards {
            eprintln!("hazard: {h}");
        }
        for engine in &written.untargeted {
            eprintln!(
                "note: other revisions have {engine} sections and this one has none; to generate one, add \
                 {engine} to the ini file's dialects (see docs/schema.md, \"Both engines\")"
            );
        }
    }
    common::print(&written, false)
}

/// `--dialect`: an engine by the name revision files' markers use.
fn dialect(name: &str) -> Result<Engine, String> {
    Engine::from_name(name)
        .ok_or_else(|| format!("'{name}' is not a dialect; the dialects are sqlite and postgresql"))
}

fn new_args(message: Option<String>, f: NewFlags) -> NewRevisionArgs {
    NewRevisionArgs {
        message,
        head: f.head,
        splice: f.splice,
        branch_label: f.branch_label,
        depends_on: f.depends_on,
        rev_id: f.rev_id,
        version_path: f.version_path,
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
