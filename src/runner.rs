//! Carries out a plan: online against a connection, or offline as SQL text. Every step is prepared (section
//! chosen, statements split) before anything runs, so a missing section or a bad file fails with the database
//! untouched. Online, each revision runs in one transaction with its version-table and history changes;
//! before it runs, the heads are read again inside that transaction, and a plan that another process has
//! overtaken is made again from the real heads, so concurrent runs never apply a revision twice.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::UserVersion;
use crate::dialect::{Connection, DbError, Dialect};
use crate::direction::Direction;
use crate::error::{DanglingReferences, Error, Result};
use crate::graph::{Step, StepKind, VersionOp};
use crate::history::{Action, Entry, Fingerprint, HistoryTable, Identity};
use crate::progress::Event;
use crate::script::{self, Script};
use crate::scripts::Scripts;
use crate::version::VersionTable;

/// Why a plan cannot run, or stopped: each names the revision and its file. All but the last are found while
/// the plan is prepared, before anything runs.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "revision '{id}' ({}) has no '-- migrate:{}' section for {engine}{}",
        .path.display(),
        .direction.marker(),
        if *.direction == Direction::Down { "; it cannot be downgraded" } else { "" }
    )]
    NoSection {
        id: String,
        path: PathBuf,
        direction: Direction,
        engine: crate::engine::Engine,
    },
    /// `statement` is the statement's first line.
    #[error(
        "{}:{line}: `{statement}` would end the transaction dbkit runs each revision in; remove it, or mark the section '-- migrate:{} transaction:false'",
        .path.display(),
        .direction.marker()
    )]
    EndsTransaction {
        path: PathBuf,
        line: usize,
        statement: String,
        direction: Direction,
    },
    #[error(
        "revision '{id}' ({}) has a transaction:false section, which cannot run inside --single-transaction; nothing was run",
        .path.display()
    )]
    NotTransactional { id: String, path: PathBuf },
    /// A batched revision got fewer statement results back than it sent statements.
    #[error("the server answered {answered} statements of {sent} for revision {revision}")]
    ShortAnswer {
        answered: usize,
        sent: usize,
        revision: String,
    },
}

/// One statement ready to run, with its line in the file.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) line: usize,
    /// The data block of a `COPY … FROM stdin`, which goes to the server on its own sub-protocol.
    pub(crate) copy_data: Option<String>,
    /// The server must run this statement before it parses the next (see [`crate::sql::Statement`]).
    pub(crate) ends_batch: bool,
}

/// A step with everything it needs to run.
pub struct Prepared<'s> {
    pub(crate) step: Step,
    pub(crate) script: Option<&'s Script>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) transactional: bool,
}

impl Prepared<'_> {
    fn action(&self) -> Action {
        match self.step.direction() {
            Some(direction) => Action::Migrate(direction),
            None => Action::Stamp,
        }
    }

    /// The direction of a step that runs SQL, which only revisions' steps do.
    fn direction(&self) -> Direction {
        self.step
            .direction()
            .expect("only revisions' steps run statements")
    }

    /// The line printed for the step, in the wording people grep for:
    /// `Running upgrade 8a1b2c3d4e5f -> 3f2a9c1b7d4e, add user profile fields`.
    pub(crate) fn log_line(&self, with_doc: bool) -> String {
        let verb = match self.step.direction() {
            Some(direction) => direction.verb(),
            None => "stamp_revision",
        };
        let mut line = format!(
            "Running {verb} {} -> {}",
            self.step.from.join(", "),
            self.step.to.join(", ")
        );
        if let (true, Some(s), Some(_)) = (with_doc, self.script, self.step.direction()) {
            line.push_str(", ");
            line.push_str(s.message());
        }
        line
    }

    /// Why an upgrade that runs no SQL deserves a look: a revision written but not filled in yet gets recorded as
    /// applied, and SQL added to it later would never run. A merge has nothing to run by design.
    pub fn warning(&self) -> Option<String> {
        let s = self.script?;
        if self.step.direction() != Some(Direction::Up)
            || !self.statements.is_empty()
            || s.down.len() > 1
        {
            return None;
        }
        let parent = match s.down.as_slice() {
            [one] => one.as_str(),
            _ => "base",
        };
        Some(format!(
            "revision '{}' ({}) has no SQL in its up section for this database; it is recorded as applied with nothing run. If you add SQL to it later, run 'db-migrate stamp {parent}' and then 'db-migrate upgrade' so that the SQL runs",
            s.id,
            s.path.display()
        ))
    }
}

/// Prepares the steps of a plan for a dialect.
pub(crate) fn prepare<'s>(
    scripts: &'s Scripts,
    dialect: &Dialect,
    steps: Vec<Step>,
) -> Result<Vec<Prepared<'s>>> {
    steps
        .into_iter()
        .map(|step| {
            let script = step.revision().map(|id| scripts.get(id)).transpose()?;
            let (statements, transactional) = match (step.direction(), script) {
                (Some(direction), Some(s)) => {
                    let section = s.section(direction, dialect.engine).ok_or_else(|| {
                        RunError::NoSection {
                            id: s.id.clone(),
                            path: s.path.clone(),
                            direction,
                            engine: dialect.engine,
                        }
                    })?;
                    let statements: Vec<Statement> = s
                        .statements(section, dialect.engine)?
                        .into_iter()
                        .map(|st| Statement {
                            sql: st.sql.to_string(),
                            line: st.line,
                            copy_data: st.copy_data.map(str::to_string),
                            ends_batch: st.changes_string_syntax,
                        })
                        .collect();
                    if section.transaction {
                        if let Some(st) = statements.iter().find(|st| controls_transaction(&st.sql))
                        {
                            return Err(RunError::EndsTransaction {
                                path: s.path.clone(),
                                line: st.line,
                                statement: st.sql.lines().next().unwrap_or("").trim().to_string(),
                                direction,
                            }
                            .into());
                        }
                    }
                    (statements, section.transaction)
                }
                _ => (Vec::new(), true),
            };
            Ok(Prepared {
                step,
                script,
                statements,
                transactional,
            })
        })
        .collect()
}

/// What a statement does to the transaction it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransactionControl {
    Begin,
    Commit,
    Rollback,
}

/// Whether a statement starts, ends or abandons a transaction, and which (savepoints are fine inside one).
pub(crate) fn transaction_control(sql: &str) -> Option<TransactionControl> {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase);
    let first = words.next().unwrap_or_default();
    let second = words.next().unwrap_or_default();
    match first.as_str() {
        "COMMIT" | "END" => Some(TransactionControl::Commit),
        "ABORT" => Some(TransactionControl::Rollback),
        "ROLLBACK" if second != "TO" => Some(TransactionControl::Rollback),
        "BEGIN" if second != "ATOMIC" => Some(TransactionControl::Begin),
        "START" if second == "TRANSACTION" => Some(TransactionControl::Begin),
        _ => None,
    }
}

/// Whether a statement starts, ends or abandons a transaction (savepoints are fine inside one).
pub(crate) fn controls_transaction(sql: &str) -> bool {
    transaction_control(sql).is_some()
}

/// The heads after a step's version-table changes.
pub(crate) fn apply_ops(heads: &mut Vec<String>, ops: &[VersionOp]) {
    for op in ops {
        match op {
            VersionOp::Insert(r) => heads.push(r.clone()),
            VersionOp::Delete(r) => heads.retain(|h| h != r),
            VersionOp::Update { from, to } => {
                for h in heads.iter_mut().filter(|h| *h == from) {
                    *h = to.clone();
                }
            }
        }
    }
    heads.sort();
}

/// Makes the plan from the heads the database really has.
pub(crate) type Planner<'p> = dyn Fn(&[String]) -> Result<Vec<Step>> + 'p;

/// How a run uses transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// One transaction per revision, each with its bookkeeping (the default).
    PerStep,
    /// The whole run in one transaction: all or nothing.
    Single,
    /// One transaction that first empties the version table (`stamp --purge`), so the purge and what replaces
    /// it commit together or not at all.
    SingleFromEmpty,
}

pub(crate) struct Runner<'a> {
    pub(crate) conn: &'a mut dyn Connection,
    pub(crate) scripts: &'a Scripts,
    pub(crate) version: &'a VersionTable,
    pub(crate) history: &'a HistoryTable,
    pub(crate) scope: Scope,
    /// SQLite's `PRAGMA user_version` for each revision (see [`user_versions`]), kept in step with the version
    /// table when the ini file asks for it.
    pub(crate) user_versions: Option<HashMap<&'a str, u32>>,
}

/// The statement that sets `PRAGMA user_version` for a database at `heads` (0 at base), from
/// [`user_versions`]; the largest value among the heads.
pub(crate) fn user_version_pragma(values: &HashMap<&str, u32>, heads: &[String]) -> String {
    let value = heads
        .iter()
        .filter_map(|h| values.get(h.as_str()))
        .max()
        .copied()
        .unwrap_or(0);
    format!("PRAGMA user_version = {value}")
}

/// What `PRAGMA user_version` is at each revision: its depth from base, or the largest `-- User Version:` it and
/// its ancestors declare. Computed once per run, for the whole history.
pub(crate) fn user_versions(scripts: &Scripts, mode: UserVersion) -> HashMap<&str, u32> {
    match mode {
        UserVersion::Depth => scripts.map.depths(),
        UserVersion::Header => scripts.map.carry(|id, parents| {
            let own = scripts.find(id).and_then(|s| s.user_version);
            parents.max(own.unwrap_or(0))
        }),
    }
}

impl Runner<'_> {
    /// Runs a plan to its end and returns the number of steps taken. The version and history tables must exist.
    pub(crate) fn run(
        &mut self,
        planner: &Planner<'_>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize> {
        if self.scope != Scope::PerStep {
            return self.run_single(planner, events);
        }
        let dialect = self.conn.dialect();
        let mut heads = self.version.read(self.conn)?;
        let mut steps = prepare(self.scripts, &dialect, planner(&heads)?)?;
        let mut done = 0;
        let mut i = 0;
        while i < steps.len() {
            let current = &steps[i];
            let batched = current.transactional && dialect.batch_sections;
            let actual = if batched {
                self.version.read_after(self.conn, Some(dialect.begin))?
            } else {
                if current.transactional {
                    self.sql(dialect.begin, "could not begin a transaction")?;
                }
                self.version.read(self.conn)?
            };
            if actual != heads {
                // Another process moved the database on: plan again from where it really is.
                if current.transactional {
                    self.sql("ROLLBACK", "could not roll back")?;
                }
                heads = actual;
                steps = prepare(self.scripts, &dialect, planner(&heads)?)?;
                i = 0;
                continue;
            }
            let started = Instant::now();
            let executed = if batched {
                self.execute_batched(current)
            } else {
                self.execute(current).map_err(|e| (e, true))
            };
            if let Err((e, record)) = executed {
                if current.transactional {
                    let _ = self.conn.batch("ROLLBACK");
                }
                if record {
                    self.record_failure(current, started.elapsed(), &e);
                }
                return Err(e);
            }
            let mut after = heads.clone();
            apply_ops(&mut after, &current.step.version_ops);
            let user_version = self.user_version_sql(&after);
            let bookkeeping = (|| {
                if batched {
                    // The version rows went with the statements; the history row and COMMIT share a trip.
                    let d = self.conn.dialect();
                    let insert = self.history.insert_sql(
                        &d,
                        &entry(current, &self.ran(current)?, started.elapsed(), None),
                    );
                    let pragma = user_version.as_deref().unwrap_or_default();
                    return self
                        .conn
                        .batch(&format!("{insert};\n{pragma}COMMIT"))
                        .map_err(Error::db(format!(
                            "could not write to {} and commit",
                            self.history.qualified()
                        )));
                }
                if !current.transactional {
                    self.sql(dialect.begin, "could not begin a transaction")?;
                }
                self.bookkeeping(current, started.elapsed())?;
                if let Some(pragma) = &user_version {
                    self.sql(pragma, "could not set PRAGMA user_version")?;
                }
                self.sql("COMMIT", "could not commit")
            })();
            if let Err(e) = bookkeeping {
                let _ = self.conn.batch("ROLLBACK");
                return Err(e);
            }
            heads = after;
            events(Event::Done(current, started.elapsed()));
            done += 1;
            i += 1;
        }
        Ok(done)
    }

    fn run_single(
        &mut self,
        planner: &Planner<'_>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize> {
        let dialect = self.conn.dialect();
        self.sql(dialect.begin, "could not begin a transaction")?;
        let heads = if self.scope == Scope::SingleFromEmpty {
            let purge = format!("DELETE FROM {}", self.version.qualified());
            self.conn
                .batch(&purge)
                .map(|()| Vec::new())
                .map_err(Error::db(format!(
                    "could not purge {}",
                    self.version.qualified()
                )))
        } else {
            self.version.read(self.conn)
        };
        let planned = heads.and_then(|heads| {
            let steps = prepare(self.scripts, &dialect, planner(&heads)?)?;
            Ok((heads, steps))
        });
        let (mut heads, steps) = match planned {
            Ok(planned) => planned,
            Err(e) => {
                let _ = self.conn.batch("ROLLBACK");
                return Err(e);
            }
        };
        if let Some(s) = steps
            .iter()
            .filter(|p| !p.transactional)
            .find_map(|p| p.script)
        {
            let _ = self.conn.batch("ROLLBACK");
            return Err(RunError::NotTransactional {
                id: s.id.clone(),
                path: s.path.clone(),
            }
            .into());
        }
        let mut finished = Vec::with_capacity(steps.len());
        for p in &steps {
            let started = Instant::now();
            let result = self.execute(p).map_err(|e| (e, true)).and_then(|()| {
                self.bookkeeping(p, started.elapsed())
                    .map_err(|e| (e, false))
            });
            if let Err((e, record)) = result {
                let _ = self.conn.batch("ROLLBACK");
                if record {
                    self.record_failure(p, started.elapsed(), &e);
                }
                return Err(e);
            }
            finished.push(started.elapsed());
            apply_ops(&mut heads, &p.step.version_ops);
        }
        if let Some(pragma) = self.user_version_sql(&heads) {
            if let Err(e) = self.sql(&pragma, "could not set PRAGMA user_version") {
                let _ = self.conn.batch("ROLLBACK");
                return Err(e);
            }
        }
        self.sql("COMMIT", "could not commit")?;
        for (p, elapsed) in steps.iter().zip(finished) {
            events(Event::Done(p, elapsed));
        }
        Ok(steps.len())
    }

    /// The statement that sets `PRAGMA user_version` for the database at `heads`, when it is kept.
    pub(crate) fn user_version_sql(&self, heads: &[String]) -> Option<String> {
        let values = self.user_versions.as_ref()?;
        Some(format!("{};\n", user_version_pragma(values, heads)))
    }

    fn sql(&mut self, sql: &str, context: &str) -> Result<()> {
        self.conn.batch(sql).map_err(Error::db(context))
    }

    /// Runs a step's statements, then checks the references they may have left dangling.
    fn execute(&mut self, p: &Prepared<'_>) -> Result<()> {
        for st in &p.statements {
            let ran = match &st.copy_data {
                Some(data) => self.conn.copy_in(&st.sql, data).map(drop),
                None => self.conn.batch(&st.sql),
            };
            if let Err(cause) = ran {
                return Err(failed_statement(p, st, cause));
            }
        }
        self.check_references(p)
    }

    fn check_references(&mut self, p: &Prepared<'_>) -> Result<()> {
        check_references(self.conn, p)
    }

    /// A transactional step's statements and version-table changes in one round trip, inside the open
    /// transaction. When the batch fails, the server does not say which statement did, so the step runs again
    /// statement by statement in a new transaction to find it, and that transaction is rolled back too. The
    /// flag says whether the failure is the revision's own (recorded in the history) or the bookkeeping's.
    fn execute_batched(&mut self, p: &Prepared<'_>) -> std::result::Result<(), (Error, bool)> {
        let mut tail = String::new();
        for op in &p.step.version_ops {
            tail.push_str(&self.version.op_sql(op));
            tail.push_str(";\n");
        }
        let cause = match send_batched(self.conn, "", &p.statements, &tail) {
            Ok(counts) => {
                let ops = &p.step.version_ops;
                let tail = &counts[counts.len().saturating_sub(ops.len())..];
                if tail.len() != ops.len() {
                    let short = RunError::ShortAnswer {
                        answered: counts.len(),
                        sent: p.statements.len() + ops.len(),
                        revision: p.step.revision().unwrap_or("base").to_string(),
                    };
                    return Err((short.into(), false));
                }
                for (op, n) in ops.iter().zip(tail) {
                    self.version.check(op, *n).map_err(|e| (e, false))?;
                }
                return Ok(());
            }
            Err(BatchFailure::Statement(i, cause)) => {
                return Err((failed_statement(p, &p.statements[i], cause), true))
            }
            Err(BatchFailure::Unlocated(cause)) => cause,
        };
        let _ = self.conn.batch("ROLLBACK");
        let begin = self.conn.dialect().begin;
        self.sql(begin, "could not begin a transaction")
            .map_err(|e| (e, false))?;
        let located = self.execute(p).map_err(|e| (e, true)).and_then(|()| {
            for op in &p.step.version_ops {
                self.version.apply(self.conn, op).map_err(|e| (e, false))?;
            }
            Ok(())
        });
        let _ = self.conn.batch("ROLLBACK");
        Err(located.err().unwrap_or_else(|| {
            // The statements went through one by one: the batch's failure did not repeat.
            (
                Error::Database {
                    context: format!(
                        "revision '{}' failed and did not fail again when its statements were run one by one to find the failing one",
                        p.step.revision().unwrap_or("base")
                    ),
                    cause,
                },
                true,
            )
        }))
    }

    pub(crate) fn bookkeeping(&mut self, p: &Prepared<'_>, elapsed: Duration) -> Result<()> {
        for op in &p.step.version_ops {
            self.version.apply(self.conn, op)?;
        }
        let ran = self.ran(p)?;
        self.history
            .record(self.conn, &entry(p, &ran, elapsed, None))
    }

    /// What the history records a step as having run: the checksum of its statements (for a stamp, of the
    /// up statements it declares have run) and the revision's place in the graph. Made only when a step is
    /// recorded, so plans that are only printed never compute it.
    fn ran(&self, p: &Prepared<'_>) -> Result<Option<Fingerprint>> {
        let Some(s) = p.script else {
            return Ok(None);
        };
        let checksum = match p.step.kind {
            StepKind::Stamp { .. } => s.up_checksum(self.conn.dialect().engine)?,
            StepKind::Migrate { .. } => {
                script::sql_checksum(p.statements.iter().map(|st| st.sql.as_str()))
            }
        };
        let info = self
            .scripts
            .map
            .info(&s.id)
            .expect("scripts are in the map");
        Ok(Some(Fingerprint {
            checksum,
            identity: Identity::of(&info),
        }))
    }

    /// A failure is recorded in its own transaction, after the rollback, so the record survives it.
    fn record_failure(&mut self, p: &Prepared<'_>, elapsed: Duration, e: &Error) {
        let text = e.to_string();
        let ran = self.ran(p).ok().flatten();
        let _ = self
            .history
            .record(self.conn, &entry(p, &ran, elapsed, Some(&text)));
    }
}

/// How statements sent in batches ([`send_batched`]) failed.
pub(crate) enum BatchFailure {
    /// The statement of this index, a `COPY`, which runs on its own, failed.
    Statement(usize, DbError),
    /// A round trip of several statements: the server does not say which of them failed.
    Unlocated(DbError),
}

/// Sends statements (a transactional step's, inside its transaction) in as few round trips as the server
/// allows, with `head` (SQL to run before them, such as the `BEGIN`) in the first and `tail` (SQL to run
/// after them) in the last; returns what the last round trip's statements counted. Which statement failed in a round trip of several is not known: the caller rolls
/// back and runs them again one by one to find it, as [`Runner`] does.
pub(crate) fn send_batched(
    conn: &mut dyn Connection,
    head: &str,
    statements: &[Statement],
    tail: &str,
) -> std::result::Result<Vec<u64>, BatchFailure> {
    let mut sql = head.to_string();
    for (i, st) in statements.iter().enumerate() {
        if st.copy_data.is_none() {
            // A newline before each `;` keeps it out of a trailing line comment.
            sql.push_str(&st.sql);
            sql.push_str("\n;\n");
        }
        // A COPY's data has a sub-protocol of its own, and a statement that changes how strings are read
        // must have run before the server parses the next: what is queued goes first. A section with
        // neither stays one round trip.
        if st.copy_data.is_none() && !st.ends_batch {
            continue;
        }
        if !sql.is_empty() {
            conn.batch(&std::mem::take(&mut sql))
                .map_err(BatchFailure::Unlocated)?;
        }
        if let Some(data) = &st.copy_data {
            conn.copy_in(&st.sql, data)
                .map_err(|cause| BatchFailure::Statement(i, cause))?;
        }
    }
    sql.push_str(tail);
    conn.batch_counts(&sql).map_err(BatchFailure::Unlocated)
}

/// The last step of SQLite's procedure for schema changes, which runs them with foreign keys unenforced:
/// before the revision commits, every reference must still find its parent row.
pub(crate) fn check_references(conn: &mut dyn Connection, p: &Prepared<'_>) -> Result<()> {
    let Some(s) = p.script.filter(|_| !p.statements.is_empty()) else {
        return Ok(());
    };
    let shown = DanglingReferences::SHOWN;
    let mut references = conn
        .dangling_references(shown + 1)
        .map_err(Error::db(format!(
            "could not check the foreign keys after revision '{}'",
            s.id
        )))?;
    if references.is_empty() {
        return Ok(());
    }
    let more = references.len() > shown;
    references.truncate(shown);
    Err(Error::DanglingReferences(Box::new(DanglingReferences {
        revision: s.id.clone(),
        direction: p.direction(),
        file: s.path.display().to_string(),
        references,
        more,
    })))
}

/// A revision's statement that the database refused, with its file and line.
pub(crate) fn failed_statement(p: &Prepared<'_>, st: &Statement, cause: DbError) -> Error {
    let s = p.script.expect("only revisions have statements");
    Error::Statement(Box::new(crate::error::FailedStatement {
        revision: s.id.clone(),
        direction: p.direction(),
        file: s.path.display().to_string(),
        line: st.line,
        statement: st.sql.lines().next().unwrap_or("").trim().to_string(),
        cause,
    }))
}

fn entry<'a>(
    p: &'a Prepared<'_>,
    ran: &'a Option<Fingerprint>,
    elapsed: Duration,
    error: Option<&'a str>,
) -> Entry<'a> {
    Entry {
        revision: p
            .step
            .revision()
            .or_else(|| p.step.from.first().map(String::as_str))
            .unwrap_or("base"),
        action: p.action(),
        message: p.script.map(Script::message).unwrap_or(""),
        fingerprint: ran.as_ref(),
        duration_ms: elapsed.as_millis() as u64,
        success: error.is_none(),
        error,
    }
}

/// A statement as psql reads it: its text (which never ends inside a `--` comment) and `;`, then a COPY's
/// data block closed by `\.` as pg_dump writes it.
fn emit_statement(out: &mut String, st: &Statement) {
    out.push_str(&st.sql);
    out.push_str(";\n");
    match &st.copy_data {
        Some(data) => {
            out.push_str(data);
            out.push_str("\\.\n\n");
        }
        None => out.push('\n'),
    }
}

/// The SQL a plan would run, as a script a DBA can review and apply by hand: each statement followed by `;`
/// and a blank line, each step introduced by a `-- Running …` comment. With `user_versions` (the values and
/// the heads the plan starts from), each step also sets `PRAGMA user_version` as an online run does.
pub(crate) fn render_sql(
    steps: &[Prepared<'_>],
    version: &VersionTable,
    create_version_table: bool,
    single_transaction: bool,
    user_versions: Option<(&HashMap<&str, u32>, &[String])>,
) -> String {
    let mut heads: Vec<String> = user_versions
        .map(|(_, heads)| heads.to_vec())
        .unwrap_or_default();
    let mut out = String::new();
    let emit = |out: &mut String, sql: &str| {
        out.push_str(sql);
        out.push_str(";\n\n");
    };
    if single_transaction {
        emit(&mut out, "BEGIN");
    }
    if create_version_table {
        emit(&mut out, &version.create_sql(false));
    }
    for p in steps {
        let per_step = !single_transaction;
        out.push_str(&format!("-- {}\n\n", p.log_line(false)));
        if per_step && p.transactional {
            emit(&mut out, "BEGIN");
        }
        for st in &p.statements {
            emit_statement(&mut out, st);
        }
        if per_step && !p.transactional {
            emit(&mut out, "BEGIN");
        }
        for op in &p.step.version_ops {
            emit(&mut out, &version.op_sql(op));
        }
        if let Some((values, _)) = user_versions {
            apply_ops(&mut heads, &p.step.version_ops);
            if per_step {
                emit(&mut out, &user_version_pragma(values, &heads));
            }
        }
        if per_step {
            emit(&mut out, "COMMIT");
        }
    }
    if let (Some((values, _)), true) = (user_versions, single_transaction) {
        emit(&mut out, &user_version_pragma(values, &heads));
    }
    if single_transaction {
        emit(&mut out, "COMMIT");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::controls_transaction;

    #[test]
    fn transaction_control_is_recognised_but_savepoints_are_not() {
        for sql in [
            "BEGIN",
            "begin transaction",
            "COMMIT",
            "end",
            "ROLLBACK",
            "START TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "BEGIN IMMEDIATE",
        ] {
            assert!(controls_transaction(sql), "{sql}");
        }
        for sql in [
            "SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a",
            "RELEASE a",
            "CREATE TABLE begin_log (id int)",
            "UPDATE t SET x = 1",
        ] {
            assert!(!controls_transaction(sql), "{sql}");
        }
    }
}
