//! The verbs that move the database: `upgrade` and `downgrade`, `stamp`, and `ensure_version`. Each runs one
//! of three ways: offline (print the SQL of a plan from a given start), dry run (plan from the database's real
//! state and print it), or online (plan and run under the run lock).

use std::collections::HashMap;

use serde::Serialize;

use super::take_lock;
use crate::dialect::{Access, Connection, Dialect};
use crate::direction::Direction;
use crate::engine::Engine;
use crate::error::{CommandError, Error, Result};
use crate::graph::{RevisionMap, Step};
use crate::history;
use crate::progress::Event;
use crate::project::Project;
use crate::runner::{self, Runner, Scope};
use crate::scripts::Scripts;
use crate::version::VersionTable;

/// How `upgrade`, `downgrade` and `stamp` run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print the SQL instead of running it (no connection).
    pub sql: bool,
    /// Connect, plan from the real state, print the steps and the SQL, change nothing.
    pub dry_run: bool,
    /// One transaction for the whole run.
    pub single_transaction: bool,
}

/// What `upgrade`, `downgrade` or `stamp` did, by the way it ran.
#[derive(Debug, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Migration {
    /// `--sql`: the script a DBA applies; nothing was run.
    Offline { steps: usize, sql: String },
    /// `--dry-run`: the steps that would run, each as its progress line, and their SQL; nothing was changed.
    DryRun { steps: Vec<String>, sql: String },
    /// The steps ran; each was reported as it finished.
    Online { steps: usize },
}

impl Migration {
    /// How many steps ran, or would run.
    pub fn steps(&self) -> usize {
        match self {
            Migration::Offline { steps, .. } | Migration::Online { steps } => *steps,
            Migration::DryRun { steps, .. } => steps.len(),
        }
    }
}

/// What `ensure_version` made sure of: both tables exist.
#[derive(Debug, Serialize)]
pub struct Ensured {
    pub version_table: String,
    pub history_table: String,
}

fn single(p: &Project, o: &RunOptions) -> bool {
    o.single_transaction || !p.settings.transaction_per_migration
}

/// `upgrade` or `downgrade` to `target`.
pub fn migrate(
    p: &Project,
    direction: Direction,
    target: &str,
    o: &RunOptions,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Migration> {
    let map = &p.scripts()?.map;
    let plan = |heads: &[String], target: &str| -> Result<Vec<Step>> {
        Ok(match direction {
            Direction::Up => map.plan_upgrade(heads, target)?,
            Direction::Down => map.plan_downgrade(heads, target)?,
        })
    };
    if o.sql {
        let (start, target) = match target.split_once(':') {
            Some((a, b)) => (Some(a), b),
            None if direction == Direction::Down => {
                return Err(CommandError::OfflineDowngradeWithoutRange.into())
            }
            None => (None, target),
        };
        let heads = start_heads(map, start)?;
        return offline(
            p,
            o,
            &heads,
            direction == Direction::Up,
            plan(&heads, target)?,
        );
    }
    if target.contains(':') {
        return Err(CommandError::RangeNotAllowed.into());
    }
    let planner = |heads: &[String]| plan(heads, target);
    online(p, o, Online::Migrate(direction), &planner, events)
}

/// `stamp REV…`: moves the version table without running SQL.
pub fn stamp(
    p: &Project,
    revisions: &[String],
    purge: bool,
    o: &RunOptions,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Migration> {
    let map = &p.scripts()?.map;
    if o.sql {
        if purge {
            return Err(CommandError::PurgeWithSql.into());
        }
        let mut start = None;
        let mut targets = Vec::new();
        for r in revisions {
            match r.split_once(':') {
                Some((a, b)) => {
                    if start.replace(a).is_some() {
                        return Err(CommandError::SeveralStampStarts.into());
                    }
                    targets.push(b.to_string());
                }
                None => targets.push(r.clone()),
            }
        }
        let heads = start_heads(map, start)?;
        return offline(p, o, &heads, true, map.plan_stamp(&heads, &targets, false)?);
    }
    let planner = |heads: &[String]| Ok(map.plan_stamp(heads, revisions, false)?);
    online(p, o, Online::Stamp { purge }, &planner, events)
}

/// Prints the SQL of a plan made from `heads` (no connection).
fn offline(
    p: &Project,
    o: &RunOptions,
    heads: &[String],
    may_create: bool,
    steps: Vec<Step>,
) -> Result<Migration> {
    let dialect = Dialect::for_url(&p.settings.database_url()?);
    let steps = runner::prepare(p.scripts()?, &dialect, steps)?;
    // Like Alembic, the version table is created by the first step from base: with no step, there is nothing
    // to record and the script is empty.
    let create = may_create && heads.is_empty() && !steps.is_empty();
    let values = user_versions(p, p.scripts()?, dialect.engine);
    let sql = runner::render_sql(
        &steps,
        &p.version_table(),
        create,
        single(p, o),
        values.as_ref().map(|v| (v, heads)),
    );
    Ok(Migration::Offline {
        steps: steps.len(),
        sql,
    })
}

/// Which command an online run is, for what it checks and whether it may create the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Online {
    Migrate(Direction),
    /// `purge` empties the version table first (stamp --purge), in the same transaction as the plan.
    Stamp {
        purge: bool,
    },
}

/// Plans from the database's real heads and either prints the plan (dry run) or runs it under the lock.
/// An `upgrade` first checks that the applied revisions' files still say what ran, and says when it has
/// nothing to do.
fn online(
    p: &Project,
    o: &RunOptions,
    run: Online,
    planner: &runner::Planner<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Migration> {
    let upgrade = run == Online::Migrate(Direction::Up);
    let purge = run == Online::Stamp { purge: true };
    // There is nothing to revert in a database that does not exist: a downgrade must find one.
    let access = match run {
        Online::Migrate(Direction::Down) => Access::MustExist,
        Online::Migrate(Direction::Up) | Online::Stamp { .. } => Access::CreateIfMissing,
    };
    let scripts = p.scripts()?;
    let version = p.version_table();
    // A dry run changes nothing, not even by creating the file: a database that is not there yet is planned as
    // the empty one the run would create.
    // What a dry run from `heads` prints: the plan (linted when it upgrades) as its log lines and SQL.
    let dry = |dialect: Dialect,
               heads: &[String],
               create: bool,
               events: &mut dyn FnMut(Event<'_>)|
     -> Result<Migration> {
        let planned = planner(heads)?;
        if upgrade {
            warn_lint(p, &planned, dialect.engine, events)?;
        }
        let steps = runner::prepare(scripts, &dialect, planned)?;
        let values = user_versions(p, scripts, dialect.engine);
        let track = values.as_ref().map(|v| (v, heads));
        Ok(dry_run(&steps, &version, create, single(p, o), track))
    };
    let opened = p.open(if o.dry_run { Access::MustExist } else { access });
    let mut conn = match opened {
        Err(Error::NoDatabase { .. }) if o.dry_run && access == Access::CreateIfMissing => {
            let url = p.settings.database_url()?;
            return dry(Dialect::for_url(&url), &[], true, events);
        }
        other => other?,
    };
    let conn = conn.as_mut();
    if o.dry_run {
        let exists = version.exists(conn)?;
        let heads = if purge {
            Vec::new()
        } else {
            version.heads(conn)?
        };
        if upgrade {
            check_applied(p, conn, &heads, false)?;
        }
        return dry(conn.dialect(), &heads, !exists, events);
    }
    let guard = take_lock(p, conn, events)?;
    let history = p.history_table();
    version.ensure(conn)?;
    history.ensure(conn)?;
    // An upgrade lints what it is about to run. Planning is a walk of the graph in memory, so the runner
    // plans again from the heads it reads rather than carry this plan over.
    if upgrade {
        let heads = version.read(conn)?;
        check_applied(p, conn, &heads, true)?;
        warn_lint(p, &planner(&heads)?, conn.dialect().engine, events)?;
    }
    let user_versions = user_versions(p, scripts, conn.dialect().engine);
    let mut runner = Runner {
        conn,
        scripts,
        version: &version,
        history: &history,
        scope: match (purge, single(p, o)) {
            (true, _) => Scope::SingleFromEmpty,
            (false, true) => Scope::Single,
            (false, false) => Scope::PerStep,
        },
        user_versions,
    };
    let done = runner.run(&planner, events)?;
    if upgrade && done == 0 {
        let heads = version.read(conn)?;
        events(Event::NothingToDo(&nothing_to_upgrade(
            &scripts.map,
            &heads,
        )));
    }
    guard.release(conn)?;
    Ok(Migration::Online { steps: done })
}

/// Reports the lint findings of the steps an upgrade is about to run, as warnings: they never stop it. An
/// upgrade with nothing to apply reads nothing more.
pub(super) fn warn_lint(
    p: &Project,
    steps: &[Step],
    engine: crate::Engine,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    for finding in super::lint::before_upgrade(p, steps, engine)? {
        events(Event::Lint(&finding));
    }
    Ok(())
}

/// The heads an offline run starts from: `from` of a `from:to` range, else nothing (base).
fn start_heads(map: &RevisionMap, start: Option<&str>) -> Result<Vec<String>> {
    match start {
        None | Some("") | Some("base") => Ok(Vec::new()),
        Some(s) => Ok(map
            .resolve(s, &[])?
            .into_iter()
            .map(str::to_string)
            .collect()),
    }
}

/// SQLite's `PRAGMA user_version` at each revision, when the ini file asks for it to be kept.
pub(super) fn user_versions<'s>(
    p: &Project,
    scripts: &'s Scripts,
    engine: Engine,
) -> Option<HashMap<&'s str, u32>> {
    match (p.settings.sqlite_user_version, engine) {
        (Some(mode), Engine::Sqlite) => Some(runner::user_versions(scripts, mode)),
        _ => None,
    }
}

fn dry_run(
    steps: &[runner::Prepared<'_>],
    version: &VersionTable,
    create: bool,
    single: bool,
    user_versions: Option<(&HashMap<&str, u32>, &[String])>,
) -> Migration {
    Migration::DryRun {
        steps: steps.iter().map(|s| s.log_line(true)).collect(),
        sql: if steps.is_empty() {
            String::new()
        } else {
            runner::render_sql(steps, version, create, single, user_versions)
        },
    }
}

/// What an upgrade that ran nothing says: where the database is.
pub(super) fn nothing_to_upgrade(map: &RevisionMap, heads: &[String]) -> String {
    if !heads.is_empty() && map.at_heads(heads) {
        format!("Already at head: {}", heads.join(", "))
    } else if map.is_empty() {
        "Nothing to upgrade: there are no revisions".into()
    } else if heads.is_empty() {
        "Nothing to upgrade: the database is at base".into()
    } else {
        format!(
            "Nothing to upgrade: the database is at {}",
            heads.join(", ")
        )
    }
}

/// Refuses to build on revisions whose files no longer say what ran here. Old whole-file records of files
/// that are unchanged are brought up to date when `update` (the caller holds the lock), so later edits that
/// do not change what ran stop counting.
pub(super) fn check_applied(
    p: &Project,
    conn: &mut dyn Connection,
    heads: &[String],
    update: bool,
) -> Result<()> {
    if heads.is_empty() {
        return Ok(());
    }
    let history = p.history_table();
    let records = history.records(conn)?;
    let found = history::compare(p.scripts()?, &records, heads, conn.dialect().engine)?;
    if let Some(changed) = found.changed.into_iter().next() {
        return Err(Error::Modified(Box::new(changed)));
    }
    if update {
        history.upgrade_records(conn, &found.outdated)?;
    }
    Ok(())
}

/// Creates the version and history tables if they are missing: a sync point for applications that start in
/// parallel, so it holds the run lock (two servers creating one table at once collide in the catalog).
pub fn ensure_version(p: &Project, events: &mut dyn FnMut(Event<'_>)) -> Result<Ensured> {
    let mut conn = p.connect()?;
    let conn = conn.as_mut();
    let guard = take_lock(p, conn, events)?;
    let (version, history) = (p.version_table(), p.history_table());
    version.ensure(conn)?;
    history.ensure(conn)?;
    guard.release(conn)?;
    Ok(Ensured {
        version_table: version.qualified(),
        history_table: history.qualified(),
    })
}
