//! `ensure`: makes the database ready for the application whatever it finds, in one idempotent command that
//! every replica may run at start-up. It tells four cases apart, under the run lock so that replicas started at
//! once queue and the first does the work:
//!
//! - **created** / **empty**: no database (created: the SQLite file, or on PostgreSQL through `db-init`'s
//!   code), or one with nothing in it; every revision runs, or with `from_schema` the schema file is applied
//!   and the heads stamped, in one transaction, once `check` finds that the two agree;
//! - **pre-migration**: objects but no version rows; the revision whose schema equals the live one is found by
//!   replaying the history on a scratch database and comparing after every revision (or `baseline` names it),
//!   stamped, and what follows it runs;
//! - **migrated**: what is pending runs, as `upgrade` runs it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use thiserror::Error;

use super::migrate::{check_applied, nothing_to_upgrade};
use super::schema::{
    comparable, creation, live_schema, schema_texts, scratch_server, SchemaChanges,
};
use super::take_lock;
use crate::dburl::{DatabaseUrl, SqliteTarget};
use crate::dialect::scratch::{upgrade_steps, Scratch, ScratchError};
use crate::dialect::{Connection, DbError};
use crate::error::{Error, Result};
use crate::graph::Step;
use crate::history::HistoryTable;
use crate::progress::Event;
use crate::project::Project;
use crate::runner::{self, Runner, Scope};
use crate::schema::diff::diff;
use crate::schema::{CommentOn, Schema};
use crate::scripts::Scripts;
use crate::version::VersionTable;

/// How `ensure` may bring a new or pre-migration database to its revisions.
#[derive(Debug, Clone, Default)]
pub struct EnsureOptions {
    /// A new or empty database gets the schema file and a stamp of the heads rather than every revision,
    /// when `check` finds that the revisions give the schema file's schema.
    pub from_schema: bool,
    /// A pre-migration database is taken to be at this revision rather than the one its schema matches.
    pub baseline: Option<String>,
}

/// What `ensure` found the database to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Found {
    /// There was no database: this run created it.
    Created,
    /// The database was there with nothing in it.
    Empty,
    /// Tables (or other objects) but no version rows.
    PreMigration,
    /// Version rows: the database is managed already.
    Migrated,
}

/// Where the revisions `ensure` stamped came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StampedBy {
    /// The revision whose schema equals the database's.
    SchemaMatch,
    /// The caller's `baseline`.
    Baseline,
    /// The schema file was applied, which is the schema at the heads.
    SchemaFile,
}

/// What `ensure` found and did.
#[derive(Debug, Serialize)]
pub struct Ready {
    pub case: Found,
    /// The revisions recorded without running their SQL; empty when nothing was stamped.
    pub stamped: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stamped_by: Option<StampedBy>,
    /// How many revisions ran.
    pub upgraded: usize,
    /// The database's revisions at the end.
    pub revisions: Vec<String>,
}

/// Why `ensure` stopped with the database as it was.
#[derive(Debug, Error)]
pub enum EnsureError {
    #[error("the database has objects but no version rows, and no revision's schema is the database's; the closest is {closest} with {count} difference(s), which this SQL would make up (from the revision's schema to the database's):\n{sql}\nif the database was made from {closest} or another revision, run 'db-migrate ensure --baseline REV' to record that revision")]
    NoMatch {
        closest: String,
        count: usize,
        sql: String,
    },
    #[error(
        "the database has objects but no version rows, and there are no revisions to match it with"
    )]
    NoRevisions,
    #[error("--from-schema applies the schema file only when the revisions give its schema; 'db-migrate check' finds {count} change(s) between them (run every revision instead, without --from-schema, or write the revision 'db-migrate revision --autogenerate' proposes)")]
    SchemaDisagrees { count: usize },
    /// A statement of the schema file failed; nothing was applied.
    #[error("{}:{line}: `{statement}` failed: {cause}; nothing was applied", .path.display())]
    SchemaStatement {
        path: PathBuf,
        line: usize,
        statement: String,
        cause: DbError,
    },
    /// A statement of the schema file that would end the transaction the file and the stamp share.
    #[error("{}:{line}: `{statement}`: --from-schema applies the schema file and the stamp in one transaction, which this statement would end; nothing was applied (run every revision instead, without --from-schema)", .path.display())]
    SchemaControlsTransaction {
        path: PathBuf,
        line: usize,
        statement: String,
    },
}

impl From<EnsureError> for Error {
    fn from(e: EnsureError) -> Error {
        Error::Ensure(Box::new(e))
    }
}

/// `ensure`: see the module's documentation. Progress (each revision, a wait for the lock, "Already at head")
/// goes to `events` as `upgrade`'s does.
pub fn ensure(p: &Project, o: &EnsureOptions, events: &mut dyn FnMut(Event<'_>)) -> Result<Ready> {
    let (created, mut conn) = connect_creating(p, events)?;
    let conn = conn.as_mut();
    let guard = take_lock(p, conn, events)?;
    let scripts = p.scripts()?;
    let (version, history) = (p.version_table(), p.history_table());
    let heads = version.heads(conn)?;
    let mut ready = Ready {
        case: Found::Migrated,
        stamped: Vec::new(),
        stamped_by: None,
        upgraded: 0,
        revisions: Vec::new(),
    };
    let mut stamp = None;
    if heads.is_empty() {
        let live = live_schema(p)?;
        if holds_nothing(&live) {
            ready.case = if created {
                Found::Created
            } else {
                Found::Empty
            };
            if o.from_schema {
                let changes = super::check(p, super::Planning::default())?;
                if !changes.changes.is_empty() {
                    return Err(EnsureError::SchemaDisagrees {
                        count: changes.changes.len(),
                    }
                    .into());
                }
                stamp = Some((all_heads(scripts)?, StampedBy::SchemaFile));
            }
        } else {
            ready.case = Found::PreMigration;
            stamp = Some(match &o.baseline {
                Some(rev) => {
                    let resolved = scripts.map.resolve(rev, &[])?;
                    (
                        resolved.into_iter().map(str::to_string).collect(),
                        StampedBy::Baseline,
                    )
                }
                None => (matching(p, scripts, &live)?, StampedBy::SchemaMatch),
            });
        }
    }
    version.ensure(conn)?;
    history.ensure(conn)?;
    let tables = Tables {
        scripts,
        version: &version,
        history: &history,
        user_versions: super::migrate::user_versions(p, scripts, conn.dialect().engine),
    };
    if let Some((targets, by)) = stamp {
        if by == StampedBy::SchemaFile {
            apply_schema_file(p, conn, &tables, &targets, events)?;
        } else {
            let planner = |h: &[String]| Ok(scripts.map.plan_stamp(h, &targets, false)?);
            tables.runner(conn).run(&planner, events)?;
        }
        ready.stamped = targets;
        ready.stamped_by = Some(by);
    }
    if ready.case == Found::Migrated {
        check_applied(p, conn, &heads, true)?;
    }
    // As `upgrade` does: what is about to run is linted, and findings are warnings.
    let pending = scripts.map.plan_upgrade(&version.read(conn)?, "heads")?;
    super::migrate::warn_lint(p, &pending, conn.dialect().engine, events)?;
    let planner = |h: &[String]| Ok(scripts.map.plan_upgrade(h, "heads")?);
    ready.upgraded = tables.runner(conn).run(&planner, events)?;
    ready.revisions = version.read(conn)?;
    if ready.upgraded == 0 {
        events(Event::NothingToDo(&nothing_to_upgrade(
            &scripts.map,
            &ready.revisions,
        )));
    }
    guard.release(conn)?;
    Ok(ready)
}

/// Connects, making the database exist first, and says whether this run created it: a SQLite file is
/// created by connecting; a PostgreSQL database that the server says does not exist is created by `db-init`'s
/// code, which tolerates another replica creating it at the same moment. No extension is created: the
/// revisions create theirs.
fn connect_creating(
    p: &Project,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(bool, Box<dyn Connection>)> {
    let missing_file = match p.settings.database_url()? {
        DatabaseUrl::Sqlite(SqliteTarget::File(path)) => !path.exists(),
        DatabaseUrl::Sqlite(SqliteTarget::Memory) | DatabaseUrl::Postgres(_) => false,
    };
    match p.connect() {
        Ok(conn) => Ok((missing_file, conn)),
        Err(Error::PgConnect(e)) if e.is_missing_database() => {
            let report = crate::init::run(p, &crate::init::Options::default(), events)?;
            let created = report.database.state == crate::init::State::Created;
            Ok((created, p.connect()?))
        }
        Err(e) => Err(e),
    }
}

/// Whether a database's schema (less the bookkeeping tables) has nothing a revision would have made.
/// Extensions and namespaces do not count: `db-init`, or the server's administrator, install them in a new
/// database.
fn holds_nothing(schema: &Schema) -> bool {
    // Everything else is compared with the empty schema, so a kind of object the model gains counts too.
    let mut rest = schema.clone();
    rest.schemas.clear();
    rest.extensions.clear();
    rest.comments
        .retain(|on, _| !matches!(on, CommentOn::Schema(_)));
    rest == Schema::new(schema.engine)
}

/// Every head, as the schema file's schema is the one at the heads.
fn all_heads(scripts: &Scripts) -> Result<Vec<String>> {
    Ok(scripts
        .map
        .resolve("heads", &[])?
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// The revisions whose schema is `live`'s: the history replayed on a scratch database in the order an upgrade
/// runs it (topological, so a branchy history is walked branch point by branch point), its schema read after
/// each revision and compared. The first match wins, so revisions after it that change no schema (data
/// migrations, merges) still run. With none, the error names the closest (fewest differences) and the SQL
/// between it and the database.
fn matching(p: &Project, scripts: &Scripts, live: &Schema) -> Result<Vec<String>> {
    let server = scratch_server(p)?;
    let steps = upgrade_steps(scripts, None).map_err(super::SchemaError::from)?;
    if steps.is_empty() {
        return Err(EnsureError::NoRevisions.into());
    }
    let mut db = Scratch::open(&server).map_err(super::SchemaError::from)?;
    let mut heads: Vec<String> = Vec::new();
    let mut closest: Option<(usize, Vec<String>, Schema, Schema)> = None;
    for step in steps {
        runner::apply_ops(&mut heads, &step.version_ops);
        let replayed = replay_one(&mut db, scripts, step).map_err(super::SchemaError::from)?;
        let live = comparable(live, &replayed);
        if live == replayed {
            return Ok(heads);
        }
        // At least one: schemas can differ where the diff sees no change to make.
        let count = diff(&replayed, &live).len().max(1);
        if closest.as_ref().is_none_or(|(fewest, ..)| count < *fewest) {
            closest = Some((count, heads.clone(), replayed, live));
        }
    }
    let (count, heads, replayed, live) = closest.expect("at least one revision was compared");
    let sql = SchemaChanges::new(server.engine(), &creation(&replayed, &live)).sql();
    Err(EnsureError::NoMatch {
        closest: heads
            .iter()
            .map(|h| format!("'{h}'"))
            .collect::<Vec<_>>()
            .join(" + "),
        count,
        sql,
    }
    .into())
}

/// Runs one step's up SQL on the scratch database and reads the schema back.
fn replay_one(db: &mut Scratch, scripts: &Scripts, step: Step) -> Result<Schema, ScratchError> {
    db.replay_steps(scripts, vec![step])?;
    db.inspect()
}

/// The project's scripts and bookkeeping tables, for the runs `ensure` makes on one connection.
struct Tables<'a> {
    scripts: &'a Scripts,
    version: &'a VersionTable,
    history: &'a HistoryTable,
    /// SQLite's `PRAGMA user_version` per revision, when the project keeps it in step.
    user_versions: Option<HashMap<&'a str, u32>>,
}

impl<'a> Tables<'a> {
    fn runner<'c>(&'c self, conn: &'c mut dyn Connection) -> Runner<'c> {
        Runner {
            conn,
            scripts: self.scripts,
            version: self.version,
            history: self.history,
            scope: Scope::PerStep,
            user_versions: self.user_versions.clone(),
        }
    }
}

/// Applies the schema file (its part for this engine; a schema directory's files in name order) and stamps
/// `targets`, all in one transaction: the database gets both or neither.
fn apply_schema_file(
    p: &Project,
    conn: &mut dyn Connection,
    tables: &Tables<'_>,
    targets: &[String],
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let dialect = conn.dialect();
    let engine = dialect.engine;
    let texts = schema_texts(&p.settings.schema_file, engine)?;
    let steps = runner::prepare(
        tables.scripts,
        &dialect,
        tables.scripts.map.plan_stamp(&[], targets, false)?,
    )?;
    let started = Instant::now();
    conn.batch(dialect.begin)
        .map_err(Error::db("could not begin a transaction"))?;
    let mut runner = tables.runner(conn);
    let applied = (|| -> Result<()> {
        for (file, text) in &texts {
            run_schema_text(runner.conn, file, text)?;
        }
        for step in &steps {
            runner.bookkeeping(step, started.elapsed())?;
        }
        if let Some(pragma) = runner.user_version_sql(targets) {
            runner
                .conn
                .batch(&pragma)
                .map_err(Error::db("could not set PRAGMA user_version"))?;
        }
        runner
            .conn
            .batch("COMMIT")
            .map_err(Error::db("could not commit"))
    })();
    if let Err(e) = applied {
        let _ = runner.conn.batch("ROLLBACK");
        return Err(e);
    }
    for step in &steps {
        events(Event::Done(step, started.elapsed()));
    }
    Ok(())
}

/// Runs one schema file's statements on the open transaction.
fn run_schema_text(conn: &mut dyn Connection, file: &std::path::Path, text: &str) -> Result<()> {
    let engine = conn.dialect().engine;
    let statements = crate::sql::split(text, engine).map_err(|source| {
        Error::from(super::SchemaError::Scratch(ScratchError::Split {
            path: file.to_path_buf(),
            source,
        }))
    })?;
    if let Some(st) = statements
        .iter()
        .find(|st| runner::controls_transaction(st.sql))
    {
        return Err(EnsureError::SchemaControlsTransaction {
            path: file.to_path_buf(),
            line: st.line,
            statement: crate::dialect::scratch::first_line(st.sql),
        }
        .into());
    }
    for st in &statements {
        let ran = match st.copy_data {
            Some(data) => conn.copy_in(st.sql, data).map(drop),
            None => conn.batch(st.sql),
        };
        ran.map_err(|cause| EnsureError::SchemaStatement {
            path: file.to_path_buf(),
            line: st.line,
            statement: crate::dialect::scratch::first_line(st.sql),
            cause,
        })?;
    }
    Ok(())
}
