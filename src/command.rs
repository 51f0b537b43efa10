//! The verbs of `db-migrate`, one function each, as short glue over the scripts, the graph, the database and
//! the runner. They write what a person reads to `out` and return what a program needs, so the binary only
//! parses arguments and other programs (and tests) can call the same functions.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Settings;
use crate::dialect::{self, Access, Connection, Dialect};
use crate::display::{self, LineParts, RevisionJson};
use crate::error::{Error, Result};
use crate::graph::{GraphError, Revision, RevisionMap, Step};
use crate::history::{self, Action, Change, Entry, Fingerprint, HistoryTable, Identity};
use crate::lock;
use crate::runner::{self, Event, Runner, Scope};
use crate::script::{self, NewRevision, Script, TemplateValues};
use crate::scripts::Scripts;
use crate::version::VersionTable;

/// Settings plus the revision files, read at most once.
pub struct Project {
    pub settings: Settings,
    scripts: OnceCell<Scripts>,
}

impl Project {
    pub fn new(settings: Settings) -> Project {
        Project {
            settings,
            scripts: OnceCell::new(),
        }
    }

    pub fn scripts(&self) -> Result<&Scripts> {
        if let Some(s) = self.scripts.get() {
            return Ok(s);
        }
        let loaded = Scripts::load(&self.settings.version_locations)?;
        Ok(self.scripts.get_or_init(|| loaded))
    }

    /// Runs `work` while the revision files load on another thread, for commands that need both and whose
    /// work waits on the database. An error from `work` comes first, as it would if the two ran in turn.
    pub fn with_scripts_loading<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.scripts.get().is_some() {
            return work();
        }
        let locations = self.settings.version_locations.clone();
        let (result, loaded) = std::thread::scope(|scope| {
            let loader = scope.spawn(move || Scripts::load(&locations));
            let result = work();
            (result, loader.join().expect("the revision loader panicked"))
        });
        let value = result?;
        let _ = self.scripts.set(loaded?);
        Ok(value)
    }

    pub fn version_table(&self) -> VersionTable {
        VersionTable {
            schema: self.settings.version_table_schema.clone(),
            name: self.settings.version_table.clone(),
        }
    }

    pub fn history_table(&self) -> HistoryTable {
        HistoryTable {
            schema: self.settings.version_table_schema.clone(),
            name: self.settings.history_table.clone(),
        }
    }

    pub fn connect(&self) -> Result<Box<dyn Connection>> {
        self.open(Access::CreateIfMissing)
    }

    /// Connects to a database that must already exist: what the commands that only read use.
    pub fn connect_existing(&self) -> Result<Box<dyn Connection>> {
        self.open(Access::MustExist)
    }

    fn open(&self, access: Access) -> Result<Box<dyn Connection>> {
        let url = self.settings.database_url()?;
        dialect::open(&url, self.settings.busy_timeout, access)
    }

    /// The heads in the database; empty when nothing was ever applied. Creates nothing.
    pub fn db_heads(&self, conn: &mut dyn Connection) -> Result<Vec<String>> {
        self.version_table().heads(conn)
    }
}

fn stdout_err(source: std::io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    }
}

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
                return Err(Error::Plan(
                    "downgrade with --sql requires <fromrev>:<torev>".into(),
                ))
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
        return Err(Error::Plan("Range revision not allowed".into()));
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
            return Err(Error::Plan("Can't use --purge with --sql mode".into()));
        }
        let mut start = None;
        let mut targets = Vec::new();
        for r in revisions {
            match r.split_once(':') {
                Some((a, b)) => {
                    if start.replace(a).is_some() {
                        return Err(Error::Plan("Stamp operation with --sql only supports one starting revision at a time".into()));
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
    if update && !found.outdated.is_empty() {
        let sql: Vec<String> = found
            .outdated
            .iter()
            .map(|(revision, old, ran)| history.upgrade_record_sql(revision, old, ran))
            .collect();
        conn.batch(&sql.join(";\n")).map_err(Error::db(format!(
            "could not update {}",
            history.qualified()
        )))?;
    }
    Ok(())
}

/// The run lock for the project's version table (see [`lock`]), announcing a wait through `events`.
fn take_lock(
    p: &Project,
    conn: &mut dyn Connection,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<lock::Guard> {
    lock::acquire(
        conn,
        &p.version_table().qualified(),
        p.settings.lock_timeout,
        &mut |m| events(Event::Waiting(m)),
    )
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

/// What `current` found.
#[derive(Debug, Serialize)]
pub struct Current {
    pub url: String,
    /// False when the database has no version table yet (nothing was ever applied or stamped); true at base
    /// after a downgrade to base.
    pub version_table_exists: bool,
    pub revisions: Vec<RevisionJson>,
    pub heads: Vec<String>,
    pub at_head: bool,
}

pub fn current(
    p: &Project,
    verbose: bool,
    check_heads: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<Current> {
    let url = p.settings.database_url()?;
    let (version_table_exists, db_heads) = p.with_scripts_loading(|| {
        let mut conn = dialect::open(&url, p.settings.busy_timeout, Access::MustExist)?;
        let version = p.version_table();
        if !version.exists(conn.as_mut())? {
            return Ok((false, Vec::new()));
        }
        Ok((true, version.read(conn.as_mut())?))
    })?;
    let scripts = p.scripts()?;
    let map = &scripts.map;
    let revisions = map.current_revisions(&db_heads)?;
    let at_head = map.at_heads(&db_heads);
    let mut text = String::new();
    if verbose {
        text.push_str(&format!("Current revision(s) for {}:\n", url.masked()));
    }
    let mut views = Vec::new();
    for id in &revisions {
        let info = map.info(id).expect("current revisions are in the map");
        let script = scripts.get(id)?;
        if verbose {
            text.push_str(&display::entry(&info, script, false));
        } else {
            text.push_str(&display::line(&info, script, LineParts::default(), false));
            text.push('\n');
        }
        views.push(RevisionJson::new(&info, script, Some(true)));
    }
    let report = Current {
        url: url.masked(),
        version_table_exists,
        revisions: views,
        heads: db_heads,
        at_head,
    };
    emit(out, json, &report, &text)?;
    if check_heads && !at_head {
        return Err(Error::NotAtHead);
    }
    Ok(report)
}

fn emit<T: Serialize>(out: &mut dyn Write, json: bool, value: &T, text: &str) -> Result<()> {
    if json {
        let mut s = serde_json::to_string_pretty(value).expect("plain data serialises");
        s.push('\n');
        out.write_all(s.as_bytes()).map_err(stdout_err)
    } else {
        out.write_all(text.as_bytes()).map_err(stdout_err)
    }
}

pub fn history(
    p: &Project,
    range: Option<&str>,
    verbose: bool,
    indicate_current: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let scripts = p.scripts()?;
    let map = &scripts.map;
    let needs_db = indicate_current || range.is_some_and(|r| r.contains("current"));
    let current = if needs_db {
        let mut conn = p.connect_existing()?;
        p.db_heads(conn.as_mut())?
    } else {
        Vec::new()
    };
    let ids = match range {
        Some(r) => map.history_range(r, &current)?,
        None => map.walk(),
    };
    let current: HashSet<&str> = current.iter().map(String::as_str).collect();
    let parts = LineParts {
        branches: true,
        doc: true,
        parents: true,
        ..LineParts::default()
    };
    revision_listing(
        scripts,
        &ids,
        indicate_current.then_some(&current),
        verbose,
        parts,
        json,
        out,
    )
}

/// `current` is the database's revisions when the command read them; without them, JSON says `is_current: null`
/// rather than guess.
fn revision_listing(
    scripts: &Scripts,
    ids: &[&str],
    current: Option<&HashSet<&str>>,
    verbose: bool,
    parts: LineParts,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut text = String::new();
    let mut views = Vec::new();
    for id in ids {
        let info = scripts
            .map
            .info(id)
            .expect("listed revisions are in the map");
        let script = scripts.get(id)?;
        let known = current.map(|c| c.contains(id));
        let cur = known == Some(true);
        if json {
            views.push(RevisionJson::new(&info, script, known));
        } else if verbose {
            text.push_str(&display::entry(&info, script, cur));
        } else {
            text.push_str(&display::line(&info, script, parts, cur));
            text.push('\n');
        }
    }
    emit(out, json, &views, &text)
}

pub fn heads(p: &Project, verbose: bool, json: bool, out: &mut dyn Write) -> Result<()> {
    let scripts = p.scripts()?;
    let parts = LineParts {
        branches: true,
        tree: false,
        ..LineParts::default()
    };
    revision_listing(
        scripts,
        &scripts.map.versioned_heads(),
        None,
        verbose,
        parts,
        json,
        out,
    )
}

pub fn branches(p: &Project, verbose: bool, out: &mut dyn Write) -> Result<()> {
    let scripts = p.scripts()?;
    let map = &scripts.map;
    let mut text = String::new();
    for id in map.walk() {
        let info = map.info(id).expect("walked revisions are in the map");
        if !info.is_branch_point {
            continue;
        }
        let script = scripts.get(id)?;
        let head = if verbose {
            display::entry(&info, script, false)
        } else {
            display::line(
                &info,
                script,
                LineParts {
                    branches: true,
                    ..LineParts::default()
                },
                false,
            )
        };
        text.push_str(&head);
        text.push('\n');
        for child in &info.children {
            let cinfo = map.info(child).expect("children are in the map");
            let cscript = scripts.get(child)?;
            text.push_str(&format!(
                "{} -> {}\n",
                " ".repeat(id.len()),
                display::line(
                    &cinfo,
                    cscript,
                    LineParts {
                        branches: true,
                        doc: verbose,
                        ..LineParts::default()
                    },
                    false
                )
            ));
        }
        text.push('\n');
    }
    out.write_all(text.as_bytes()).map_err(stdout_err)
}

pub fn show(p: &Project, rev: &str, json: bool, out: &mut dyn Write) -> Result<()> {
    let scripts = p.scripts()?;
    let reads_db = rev.contains("current");
    let current = if reads_db {
        let mut conn = p.connect_existing()?;
        p.db_heads(conn.as_mut())?
    } else {
        Vec::new()
    };
    let ids = scripts.map.resolve_shown(rev, &current)?;
    if ids.is_empty() {
        return Err(Error::Plan(format!(
            "No revision files indicated by symbol '{rev}'"
        )));
    }
    let rows: HashSet<&str> = current.iter().map(String::as_str).collect();
    revision_listing(
        scripts,
        &ids,
        reads_db.then_some(&rows),
        true,
        LineParts::default(),
        json,
        out,
    )
}

/// One problem `validate` found.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    pub revision: String,
    pub file: Option<String>,
    pub detail: String,
}

/// Compares the applied revisions with their files: changed SQL or parents, revisions counted as applied that
/// never ran, applied revisions whose file is gone, and version-table rows no file declares. With `accept`,
/// records the file of that revision as what ran, unless that would count SQL that never ran as applied.
pub fn validate(
    p: &Project,
    accept: Option<&str>,
    json: bool,
    out: &mut dyn Write,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Finding>> {
    let scripts = p.scripts()?;
    let mut conn = p.connect_existing()?;
    let conn = conn.as_mut();
    let history = p.history_table();
    // Accepting writes, so it waits for a migration that is running to finish and then reads the heads.
    let guard = accept.map(|_| take_lock(p, conn, events)).transpose()?;
    let heads = p.db_heads(conn)?;
    let dialect = conn.dialect().engine;
    let known: Vec<String> = heads
        .iter()
        .filter(|h| scripts.map.contains(h))
        .cloned()
        .collect();
    if let Some(rev) = accept {
        let ids = scripts.map.resolve(rev, &heads)?;
        let [id] = ids.as_slice() else {
            return Err(Error::Plan(format!(
                "'{rev}' names {} revisions; accept one at a time",
                ids.len()
            )));
        };
        let script = scripts.get(id)?;
        let records = history.records(conn)?;
        let found = history::compare(scripts, &records, &known, dialect)?;
        if let Some(changed) = found.changed.into_iter().find(|c| c.revision == *id) {
            if !changed.may_accept() {
                return Err(Error::AcceptRefused(Box::new(changed)));
            }
        }
        let info = scripts
            .map
            .info(id)
            .expect("resolved revisions are in the map");
        let ran = Fingerprint {
            checksum: script.up_checksum(dialect)?,
            identity: Identity::of(&info),
        };
        history.ensure(conn)?;
        history.record(
            conn,
            &Entry {
                revision: id,
                action: Action::Accept,
                message: script.message(),
                fingerprint: Some(&ran),
                duration_ms: 0,
                success: true,
                error: None,
            },
        )?;
        out.write_all(
            format!(
                "accepted {} for revision {id} ({})\n",
                ran.checksum,
                script.path.display()
            )
            .as_bytes(),
        )
        .map_err(stdout_err)?;
    }
    if let Some(guard) = guard {
        guard.release(conn)?;
    }
    let records = history.records(conn)?;
    let mut findings = Vec::new();
    for h in &heads {
        if !scripts.map.contains(h) {
            findings.push(Finding {
                kind: "unknown",
                revision: h.clone(),
                file: None,
                detail: format!("the version table holds '{h}', which no revision file declares"),
            });
        }
    }
    let mut gone: Vec<&String> = records
        .applied
        .keys()
        .filter(|id| scripts.find(id).is_none() && records.ran.contains(*id))
        .collect();
    gone.sort();
    for id in gone {
        findings.push(Finding {
            kind: "missing",
            revision: id.clone(),
            file: None,
            detail: format!("revision '{id}' was applied but its file is gone"),
        });
    }
    for changed in history::compare(scripts, &records, &known, dialect)?.changed {
        let detail = format!("{}. {}", changed.what(), changed.remedy());
        if let Change::Identity {
            never_ran, dropped, ..
        } = &changed.change
        {
            let finding = |kind, id: &String, detail| Finding {
                kind,
                revision: id.clone(),
                file: scripts.find(id).map(|s| s.path.display().to_string()),
                detail,
            };
            for id in never_ran {
                findings.push(finding(
                    "not_run",
                    id,
                    format!(
                        "counted as applied because '{}' now builds on it, but it never ran on this database",
                        changed.revision
                    ),
                ));
            }
            for id in dropped {
                findings.push(finding(
                    "not_counted",
                    id,
                    format!(
                        "ran on this database, but no longer counts as applied since '{}' stopped building on it; an upgrade would run it again",
                        changed.revision
                    ),
                ));
            }
        }
        findings.push(Finding {
            kind: match changed.change {
                Change::Identity { .. } => "reparented",
                Change::Sql { .. } | Change::FilledIn | Change::File { .. } => "modified",
            },
            revision: changed.revision,
            file: Some(changed.file),
            detail,
        });
    }
    let mut text = String::new();
    for f in &findings {
        text.push_str(&format!(
            "{}: {}{}: {}\n",
            f.kind,
            f.revision,
            f.file
                .as_ref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default(),
            f.detail
        ));
    }
    if findings.is_empty() {
        text.push_str(&format!(
            "ok: {} applied revision(s) match their files\n",
            scripts.map.applied(&known)?.len()
        ));
    }
    emit(out, json, &findings, &text)?;
    if !findings.is_empty() {
        return Err(Error::Validation(format!(
            "validate found {} problem(s)",
            findings.len()
        )));
    }
    Ok(findings)
}

/// What a new revision should be.
#[derive(Debug, Clone, Default)]
pub struct NewRevisionArgs {
    pub message: Option<String>,
    /// `head` unless given; `base` starts a new root.
    pub head: Option<String>,
    pub splice: bool,
    pub branch_label: Option<String>,
    pub depends_on: Vec<String>,
    pub rev_id: Option<String>,
    pub version_path: Option<PathBuf>,
}

/// Writes a new, empty revision and returns its path.
pub fn revision(p: &Project, args: &NewRevisionArgs, out: &mut dyn Write) -> Result<PathBuf> {
    let scripts = p.scripts()?;
    let head = args.head.as_deref().unwrap_or("head");
    let heads = resolve_heads(scripts, &[head.to_string()], "Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.")?;
    write_revision(p, scripts, heads, args, out)
}

/// Writes a revision that merges the given revisions (`heads` for all).
pub fn merge(
    p: &Project,
    revisions: &[String],
    args: &NewRevisionArgs,
    out: &mut dyn Write,
) -> Result<PathBuf> {
    let scripts = p.scripts()?;
    let heads = resolve_heads(scripts, revisions, "Multiple heads are present")?;
    if heads.len() < 2 {
        return Err(Error::Plan(format!(
            "a merge needs at least two revisions; '{}' names {}",
            revisions.join(" "),
            heads.len()
        )));
    }
    write_revision(p, scripts, heads, args, out)
}

fn resolve_heads(scripts: &Scripts, specs: &[String], multiple: &str) -> Result<Vec<String>> {
    let mut heads: Vec<String> = Vec::new();
    for spec in specs {
        match scripts.map.resolve(spec, &[]) {
            Ok(ids) => heads.extend(ids.into_iter().map(str::to_string)),
            Err(GraphError::MultipleHeads { .. }) => return Err(Error::Plan(multiple.into())),
            Err(e) => return Err(e.into()),
        }
    }
    let unique: HashSet<&String> = heads.iter().collect();
    if unique.len() != heads.len() {
        return Err(Error::Plan("Duplicate head revisions specified".into()));
    }
    Ok(heads)
}

fn write_revision(
    p: &Project,
    scripts: &Scripts,
    heads: Vec<String>,
    args: &NewRevisionArgs,
    out: &mut dyn Write,
) -> Result<PathBuf> {
    let map = &scripts.map;
    if !args.splice {
        // As in Alembic, a revision no other revises is a head here even when another depends on it (an effective
        // head): `upgrade head` counts it, so merging it in must not need --splice.
        for h in &heads {
            if !map
                .info(h)
                .is_some_and(|i| i.is_head || i.is_effective_head)
            {
                return Err(Error::Plan(format!(
                    "Revision {h} is not a head revision; please specify --splice to create a new branch from this revision"
                )));
            }
        }
    }
    let id = args.rev_id.clone().unwrap_or_else(new_rev_id);
    script::validate_id(&id).map_err(Error::Plan)?;
    if map.contains(&id) {
        return Err(Error::Plan(format!("revision '{id}' already exists")));
    }
    let depends_on = args
        .depends_on
        .iter()
        .map(|dep| {
            let ids = map.resolve(dep, &[])?;
            // Branch labels stay labels; partial ids become full ids.
            Ok(match ids.as_slice() {
                [one] if !one.starts_with(dep.as_str()) || *one == dep => dep.clone(),
                [one] => one.to_string(),
                _ => dep.clone(),
            })
        })
        .collect::<Result<Vec<String>>>()?;
    let labels: Vec<String> = args
        .branch_label
        .iter()
        .flat_map(|l| l.split(','))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();

    // Building the graph with the new revision in it catches a reused label or a bad dependency up front.
    let mut revisions: Vec<Revision> = scripts.iter().map(Script::revision).collect();
    revisions.push(Revision {
        id: id.clone(),
        down: heads.clone(),
        depends_on: depends_on.clone(),
        branch_labels: labels.clone(),
    });
    RevisionMap::new(revisions)?;

    let dir = match &args.version_path {
        Some(d) => d.clone(),
        None => match scripts.default_location() {
            Some(d) => d.to_path_buf(),
            None => heads
                .iter()
                .find_map(|h| {
                    scripts
                        .find(h)
                        .and_then(|s| s.path.parent().map(Path::to_path_buf))
                })
                .ok_or_else(|| {
                    Error::Plan(
                        "Multiple version locations present, please specify --version-path".into(),
                    )
                })?,
        },
    };
    let now_utc = chrono::Utc::now();
    let time = p.settings.now()?;
    let message = args
        .message
        .clone()
        .unwrap_or_else(|| "empty message".into());
    script::validate_message(&message).map_err(Error::Plan)?;
    let slug = script::slug(
        args.message.as_deref().unwrap_or(""),
        p.settings.truncate_slug_length,
    );
    let name = script::render_file_template(
        &p.settings.file_template,
        &TemplateValues {
            rev: &id,
            slug: &slug,
            time,
            epoch: now_utc.timestamp(),
        },
    )
    .map_err(Error::Config)?;
    let path = dir.join(format!("{name}.sql"));
    let text = script::render(&NewRevision {
        id: &id,
        message: &message,
        down: &heads,
        branch_labels: &labels,
        depends_on: &depends_on,
        create_date: &time.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    });
    let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    out.write_all(format!("Generating {} ...", shown.display()).as_bytes())
        .map_err(stdout_err)?;
    write_new_file(&path, &text)?;
    out.write_all(b"  done\n").map_err(stdout_err)?;
    Ok(path)
}

/// Writes under a temporary name in the same directory and renames, refusing to overwrite an existing file.
pub fn write_new_file(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    // Created as any file is (0666 less the umask), not private as temporary files are: revision files and the
    // ini file are read by the application and by other users of the project.
    let mut tmp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(Error::io(dir))?;
    tmp.write_all(text.as_bytes()).map_err(Error::io(path))?;
    tmp.as_file().sync_all().map_err(Error::io(path))?;
    tmp.persist_noclobber(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Twelve lowercase hex characters from the operating system's random source.
pub fn new_rev_id() -> String {
    let mut bytes = [0u8; 6];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if filled.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = nanos ^ (u128::from(std::process::id()) << 64);
        bytes.copy_from_slice(&mixed.to_le_bytes()[..6]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a scripts folder and, when there is none, an ini file pointing at it.
pub fn init(directory: &Path, config: &Path, out: &mut dyn Write) -> Result<()> {
    if directory.exists()
        && std::fs::read_dir(directory)
            .map_err(Error::io(directory))?
            .next()
            .is_some()
    {
        return Err(Error::Plan(format!(
            "Directory {} already exists and is not empty",
            directory.display()
        )));
    }
    let versions = directory.join("versions");
    let mut say = |s: String| out.write_all(s.as_bytes()).map_err(stdout_err);
    say(format!(
        "Creating directory {} ...",
        std::path::absolute(&versions)
            .unwrap_or(versions.clone())
            .display()
    ))?;
    std::fs::create_dir_all(&versions).map_err(Error::io(&versions))?;
    say("  done\n".into())?;
    if config.exists() {
        say(format!(
            "{} already exists; leaving it as it is\n",
            config.display()
        ))?;
        return Ok(());
    }
    let here = config
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let location = pathdiff(directory, here);
    say(format!(
        "Generating {} ...",
        std::path::absolute(config)
            .unwrap_or(config.to_path_buf())
            .display()
    ))?;
    write_new_file(config, &crate::templates::ini(&location))?;
    say("  done\n".into())?;
    say(format!(
        "Please edit the database URL in {} (or set DATABASE_URL) before proceeding.\n",
        config.display()
    ))
}

/// `directory` relative to the ini file's directory, as the ini file will say it through `%(here)s`.
fn pathdiff(directory: &Path, here: &Path) -> String {
    let d = std::path::absolute(directory).unwrap_or(directory.to_path_buf());
    let h = std::path::absolute(here).unwrap_or(here.to_path_buf());
    match d.strip_prefix(&h) {
        Ok(rel) if rel.as_os_str().is_empty() => "%(here)s".into(),
        Ok(rel) => format!("%(here)s/{}", rel.display()),
        Err(_) => d.display().to_string(),
    }
}
