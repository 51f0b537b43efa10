//! The verbs that move the database: `upgrade` and `downgrade`, `stamp`, and `ensure_version`. Each runs one
//! of three ways: offline (print the SQL of a plan from a given start), dry run (plan from the database's real
//! state and print it), or online (plan and run under the run lock).

use std::io::Write;

use super::{stdout_err, take_lock};
use crate::dialect::{Access, Connection, Dialect};
use crate::error::{CommandError, Error, Result};
use crate::graph::{RevisionMap, Step};
use crate::history;
use crate::project::Project;
use crate::runner::{self, Event, Runner, Scope};
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

/// Which way `migrate` moves the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Upgrade,
    Downgrade,
}

fn single(p: &Project, o: &RunOptions) -> bool {
    o.single_transaction || !p.settings.transaction_per_migration
}

/// `upgrade` or `downgrade` to `target`; returns the number of steps.
pub fn migrate(
    p: &Project,
    verb: Verb,
    target: &str,
    o: &RunOptions,
    out: &mut dyn Write,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<usize> {
    let map = &p.scripts()?.map;
    let plan = |heads: &[String], target: &str| -> Result<Vec<Step>> {
        Ok(match verb {
            Verb::Upgrade => map.plan_upgrade(heads, target)?,
            Verb::Downgrade => map.plan_downgrade(heads, target)?,
        })
    };
    if o.sql {
        let (start, target) = match target.split_once(':') {
            Some((a, b)) => (Some(a), b),
            None if verb == Verb::Downgrade => {
                return Err(CommandError::OfflineDowngradeWithoutRange.into())
            }
            None => (None, target),
        };
        let heads = start_heads(map, start)?;
        return offline(
            p,
            o,
            &heads,
            verb == Verb::Upgrade,
            plan(&heads, target)?,
            out,
        );
    }
    if target.contains(':') {
        return Err(CommandError::RangeNotAllowed.into());
    }
    let planner = |heads: &[String]| plan(heads, target);
    let run = match verb {
        Verb::Upgrade => Online::Upgrade,
        Verb::Downgrade => Online::Downgrade,
    };
    online(p, o, run, &planner, out, events)
}

/// `stamp REV…`: moves the version table without running SQL.
pub fn stamp(
    p: &Project,
    revisions: &[String],
    purge: bool,
    o: &RunOptions,
    out: &mut dyn Write,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<usize> {
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
        return offline(
            p,
            o,
            &heads,
            true,
            map.plan_stamp(&heads, &targets, false)?,
            out,
        );
    }
    let planner = |heads: &[String]| Ok(map.plan_stamp(heads, revisions, false)?);
    online(p, o, Online::Stamp { purge }, &planner, out, events)
}

/// Prints the SQL of a plan made from `heads` (no connection).
fn offline(
    p: &Project,
    o: &RunOptions,
    heads: &[String],
    may_create: bool,
    steps: Vec<Step>,
    out: &mut dyn Write,
) -> Result<usize> {
    let dialect = Dialect::for_url(&p.settings.database_url()?);
    let steps = runner::prepare(p.scripts()?, &dialect, steps)?;
    // Like Alembic, the version table is created by the first step from base: with no step, there is nothing
    // to record and the script is empty.
    let create = may_create && heads.is_empty() && !steps.is_empty();
    let text = runner::render_sql(&steps, &p.version_table(), create, single(p, o));
    out.write_all(text.as_bytes()).map_err(stdout_err)?;
    Ok(steps.len())
}

/// Which command an online run is, for what it checks and whether it may create the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Online {
    Upgrade,
    Downgrade,
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
    out: &mut dyn Write,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<usize> {
    let upgrade = run == Online::Upgrade;
    let purge = run == Online::Stamp { purge: true };
    // There is nothing to revert in a database that does not exist: a downgrade must find one.
    let access = match run {
        Online::Downgrade => Access::MustExist,
        Online::Upgrade | Online::Stamp { .. } => Access::CreateIfMissing,
    };
    let scripts = p.scripts()?;
    let version = p.version_table();
    // A dry run changes nothing, not even by creating the file: a database that is not there yet is planned as
    // the empty one the run would create.
    let opened = p.open(if o.dry_run { Access::MustExist } else { access });
    let mut conn = match opened {
        Err(Error::NoDatabase { .. }) if o.dry_run && access == Access::CreateIfMissing => {
            let url = p.settings.database_url()?;
            let steps = runner::prepare(scripts, &Dialect::for_url(&url), planner(&[])?)?;
            dry_run_report(&steps, &version, true, single(p, o), out)?;
            return Ok(steps.len());
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
        let steps = runner::prepare(scripts, &conn.dialect(), planner(&heads)?)?;
        dry_run_report(&steps, &version, !exists, single(p, o), out)?;
        return Ok(steps.len());
    }
    let guard = take_lock(p, conn, events)?;
    let history = p.history_table();
    version.ensure(conn)?;
    history.ensure(conn)?;
    if upgrade {
        let heads = version.read(conn)?;
        check_applied(p, conn, &heads, true)?;
    }
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
    };
    let done = runner.run(planner, events)?;
    if upgrade && done == 0 {
        let heads = version.read(conn)?;
        events(Event::NothingToDo(&nothing_to_upgrade(
            &scripts.map,
            &heads,
        )));
    }
    guard.release(conn)?;
    Ok(done)
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

fn dry_run_report(
    steps: &[runner::Prepared<'_>],
    version: &VersionTable,
    create: bool,
    single: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut text = String::new();
    if steps.is_empty() {
        text.push_str("-- dry run: nothing to do\n");
    } else {
        text.push_str(&format!(
            "-- dry run: {} step(s) would run; nothing was changed\n",
            steps.len()
        ));
        for s in steps {
            text.push_str(&format!("--   {}\n", s.log_line(true)));
        }
        text.push('\n');
        text.push_str(&runner::render_sql(steps, version, create, single));
    }
    out.write_all(text.as_bytes()).map_err(stdout_err)
}

/// What an upgrade that ran nothing says: where the database is.
fn nothing_to_upgrade(map: &RevisionMap, heads: &[String]) -> String {
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
fn check_applied(
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
pub fn ensure_version(p: &Project, events: &mut dyn FnMut(Event<'_>)) -> Result<()> {
    let mut conn = p.connect()?;
    let conn = conn.as_mut();
    let guard = take_lock(p, conn, events)?;
    p.version_table().ensure(conn)?;
    p.history_table().ensure(conn)?;
    guard.release(conn)
}
