//! The verbs over the declared schema: `check`, `schema diff`, writing a revision from the schema file
//! (`revision --autogenerate`, and `create` when a schema file exists), and `schema dump`. The first three
//! work without a live database: the declared schema is the schema file applied to a scratch database, the
//! schema the revisions give is every revision replayed into another, and the SQL between them is proven on
//! scratch databases before it is shown or written. `schema dump` writes a schema (the revisions' or a live
//! database's) as the SQL that creates it from nothing, proven the same way. Scratch databases are in memory
//! on SQLite and throwaway databases on the server on PostgreSQL.
//!
//! A rename is the schema file's directive or a `--rename` ([`Planning`]); a column dropped and another
//! added with the same definition that neither names is a [`PossibleRename`], settled by the caller's
//! [`AskRename`] where there is one, an error otherwise.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde::Serialize;
use thiserror::Error;

use super::authoring::{prepare_hooks, resolve_heads, write_revision, Generated, NewRevisionArgs};
use crate::dburl::DatabaseUrl;
use crate::dialect::postgres::PgConnection;
use crate::dialect::scratch::{drop_together, same, Scratch, ScratchError, ScratchServer};
use crate::dialect::sqlite::SqliteConnection;
use crate::dialect::{Access, Connection};
use crate::direction::Direction;
use crate::engine::Engine;
use crate::error::{CommandError, Error, Result};
use crate::project::Project;
use crate::schema::diff::{diff, Change};
use crate::schema::render::{self, ColumnRename, Options, Plan, Renames, Step, TableRename};
use crate::schema::source::{self, Rename, RenameFlagError, SourceError};
use crate::schema::{ObjectName, Schema, Table};

/// Why the schema verbs stopped.
#[derive(Debug, Error)]
pub enum SchemaError {
    #[error("no schema file at {}; write the declared schema there (or set schema_file in the ini file)", .path.display())]
    NoSchemaFile { path: PathBuf },
    /// A schema directory with no `.sql` file would declare an empty schema: every table dropped.
    #[error("the schema directory {} holds no .sql file", .path.display())]
    EmptySchemaDirectory { path: PathBuf },
    #[error("{}: {source}", .path.display())]
    Source { path: PathBuf, source: SourceError },
    #[error(transparent)]
    Scratch(#[from] ScratchError),
    #[error("possible rename: {table}.{dropped} is dropped and {table}.{added} added with the same definition; if it was renamed, add '-- dbkit:renamed-from {table}.{dropped}' on the line of {added} in the schema file or pass --rename {table}.{dropped}={added}; if not, run on a terminal to be asked, or write the revision by hand (create --no-autogenerate)")]
    PossibleRename {
        table: String,
        dropped: String,
        added: String,
    },
    #[error(transparent)]
    RenameFlag(#[from] RenameFlagError),
    /// A `--rename` the diff has no drop and add for would otherwise do nothing, silently.
    #[error("--rename {value}: the revisions' schema has no {old} that the declared schema replaces with {new}; --rename names what the diff drops and what it adds in its place")]
    RenameNotInDiff {
        value: String,
        old: String,
        new: String,
    },
    #[error("--rename {value}: {old} and {new} differ beyond their names; a rename keeps the definition: rename in one revision, change the definition in the next")]
    RenameChangesDefinition {
        value: String,
        old: String,
        new: String,
    },
    #[error("--autogenerate writes a revision on the head, whose schema the revisions give; '{head}' is not it")]
    NotOnTheHead { head: String },
    #[error("the revision would lose data ({}); nothing written; pass --allow-data-loss to write it", .hazards.join("; "))]
    DataLoss { hazards: Vec<String> },
    #[error("{}", differs(*count, *from_db))]
    Differs { count: usize, from_db: bool },
    #[error("the database has drifted from its revisions: {count} change(s) made outside them")]
    Drifted { count: usize },
    #[error("the postgresql dialect needs a PostgreSQL server for its scratch databases: set dev_url in the ini file, DBKIT_DEV_URL or --dev-url")]
    NoPostgresqlServer,
    #[error("the dump does not give the schema it was written from; still different:\n{residual}")]
    DumpNotProven { residual: String },
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Error {
        Error::Schema(Box::new(e))
    }
}

fn differs(count: usize, from_db: bool) -> String {
    if from_db {
        format!("the configured database does not have the declared schema: {count} change(s) planned; 'db-migrate upgrade' applies pending revisions, 'db-migrate drift' shows changes made outside them")
    } else {
        format!("the revisions do not give the declared schema: {count} change(s) planned; 'db-migrate revision --autogenerate -m MSG' writes them")
    }
}

/// The changes from the revisions' schema (or the configured database's) to the declared one, as `check` and
/// `schema diff` report them.
#[derive(Debug, Serialize)]
pub struct SchemaChanges {
    /// In the order they run; empty when the revisions give the declared schema.
    pub changes: Vec<PlannedChange>,
    /// Whether they start from the configured database's schema (`--from-db`) rather than the revisions'.
    #[serde(skip)]
    pub from_db: bool,
}

/// One change of the upgrade: its statements (each without its `;`) and what it risks.
#[derive(Debug, Serialize)]
pub struct PlannedChange {
    /// The engine the statements are for.
    pub dialect: Engine,
    pub statements: Vec<String>,
    pub hazards: Vec<String>,
}

impl SchemaChanges {
    /// The changes as the SQL a revision holds: each change's hazards as comments above its statements
    /// (under a `-- dialect:` line per engine when they are for more than one). `schema diff` shows this
    /// text and `revision --autogenerate` writes it, so the two always agree.
    pub fn sql(&self) -> String {
        let mut out = String::new();
        let several = self
            .changes
            .windows(2)
            .any(|w| w[0].dialect != w[1].dialect);
        for (i, change) in self.changes.iter().enumerate() {
            if several && (i == 0 || self.changes[i - 1].dialect != change.dialect) {
                out.push_str(&format!("-- dialect: {}\n", change.dialect));
            }
            for h in &change.hazards {
                out.push_str(&format!("-- hazard: {h}\n"));
            }
            for sql in &change.statements {
                out.push_str(&format!("{sql};\n"));
            }
        }
        out
    }

    /// For `check`: an error with its own exit status when there is anything to do.
    pub fn check(&self) -> Result<()> {
        if self.changes.is_empty() {
            return Ok(());
        }
        Err(SchemaError::Differs {
            count: self.changes.len(),
            from_db: self.from_db,
        }
        .into())
    }
}

/// A revision written from the schema file, or nothing when there was nothing to do.
#[derive(Debug, Serialize)]
pub struct Autogenerated {
    /// The new file, absolute; `None` when the revisions already give the declared schema.
    pub path: Option<PathBuf>,
    /// The hazards of the upgrade, as the file's `-- hazard:` comments say them.
    pub hazards: Vec<String>,
    /// Engines other revisions have sections for that the new one has none for (the ini file's `dialects`
    /// does not name them): upgrading that engine through it fails until it gets one.
    pub untargeted: Vec<Engine>,
}

/// A column the diff drops and another it adds in the same table with the same definition, which no
/// directive or `--rename` settles: a rename, or a drop and an add, as only the user knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleRename {
    pub table: ObjectName,
    pub dropped: String,
    pub added: String,
}

impl fmt::Display for PossibleRename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let PossibleRename {
            table,
            dropped,
            added,
        } = self;
        write!(
            f,
            "{table}.{dropped} was dropped and {table}.{added} added with the same definition"
        )
    }
}

/// Settles a [`PossibleRename`]: `true` makes it a rename, `false` a drop and an add. The library never
/// reads stdin; `db-migrate` asks on a terminal, and an application embedding dbkit decides as it sees fit.
pub type AskRename<'a> = &'a mut dyn FnMut(&PossibleRename) -> bool;

/// How the schema verbs plan: what the user says about renames besides the schema file's directives, and
/// the forms and starting point of the SQL.
#[derive(Default)]
pub struct Planning<'a> {
    /// `--rename` values as given: `table.column=new_column`, `table.column=table.new_column` or
    /// `old_table=new_table`; each means what the directive means.
    pub renames: &'a [String],
    /// Asked about each possible rename; without it, a possible rename is an error.
    pub ask: Option<AskRename<'a>>,
    /// PostgreSQL: the forms that keep a live table usable ([`Options::online`]).
    pub online: bool,
    /// `check` and `schema diff`: start from the configured database's schema (read only) rather than the
    /// revisions'.
    pub from_db: bool,
}

/// `check`: the changes from the schema the revisions give (with `from_db`, the configured database's) to the
/// declared one (see [`SchemaChanges::check`]).
pub fn check(p: &Project, planning: Planning<'_>) -> Result<SchemaChanges> {
    let from_db = planning.from_db;
    let mut changes = Vec::new();
    for (engine, plan) in plans(p, planning)? {
        changes.extend(SchemaChanges::new(engine, &plan.up).changes);
    }
    Ok(SchemaChanges { changes, from_db })
}

/// `schema diff`: the same changes, for reading.
pub fn schema_diff(p: &Project, planning: Planning<'_>) -> Result<SchemaChanges> {
    check(p, planning)
}

impl SchemaChanges {
    /// The steps of one engine's plan.
    pub(super) fn new(dialect: Engine, steps: &[Step]) -> SchemaChanges {
        SchemaChanges {
            changes: steps
                .iter()
                .map(|s| PlannedChange {
                    dialect,
                    statements: s.statements.clone(),
                    hazards: s.hazards.iter().map(ToString::to_string).collect(),
                })
                .collect(),
            from_db: false,
        }
    }
}

/// Whether the project has a schema file, which makes `create` autogenerate.
pub fn has_schema_file(p: &Project) -> bool {
    p.settings.schema_file.exists()
}

/// Writes a new revision with the SQL from the revisions' schema to the declared one, proven first. Writes
/// nothing when there is nothing to do, or when the upgrade would lose data and `allow_data_loss` is false.
/// `planning` adds renames to the schema file's, settles possible renames and picks the SQL's forms.
pub fn autogenerate(
    p: &Project,
    args: &NewRevisionArgs,
    allow_data_loss: bool,
    planning: Planning<'_>,
) -> Result<Autogenerated> {
    let scripts = p.scripts()?;
    let head = args.head.as_deref().unwrap_or("head");
    let heads = resolve_heads(scripts, &[head.to_string()], CommandError::AmbiguousHead)?;
    // The schema the revisions give is the one at their heads, so that is where the revision goes.
    let all: Vec<String> = scripts
        .map
        .resolve("heads", &[])?
        .into_iter()
        .map(str::to_string)
        .collect();
    if heads != all {
        return Err(SchemaError::NotOnTheHead {
            head: head.to_string(),
        }
        .into());
    }
    // A hook that cannot run would only fail once the scratch databases had done their work.
    let hooks = prepare_hooks(p)?;
    let plans = plans(p, planning)?;
    if plans.iter().all(|(_, plan)| plan.is_empty()) {
        return Ok(Autogenerated {
            path: None,
            hazards: Vec::new(),
            untargeted: Vec::new(),
        });
    }
    let untargeted = [Engine::Sqlite, Engine::Postgresql]
        .into_iter()
        .filter(|e| plans.iter().all(|(planned, _)| planned != e))
        .filter(|e| scripts.iter().any(|s| s.has_section_for(*e)))
        .collect();
    // Each hazard once, though every engine's plan names it.
    let mut hazards: Vec<(String, bool)> = Vec::new();
    for h in plans
        .iter()
        .flat_map(|(_, plan)| &plan.up)
        .flat_map(|s| &s.hazards)
    {
        let said = (h.to_string(), h.loses_data());
        if !hazards.contains(&said) {
            hazards.push(said);
        }
    }
    if !allow_data_loss && hazards.iter().any(|(_, loses)| *loses) {
        let losses = hazards.into_iter().filter(|(_, loses)| *loses);
        return Err(SchemaError::DataLoss {
            hazards: losses.map(|(said, _)| said).collect(),
        }
        .into());
    }
    let hazards = hazards.into_iter().map(|(said, _)| said).collect();
    let sections = sections(&plans);
    let Generated { path } = write_revision(p, scripts, heads, args, Some(&sections), &hooks)?;
    Ok(Autogenerated {
        path: Some(path),
        hazards,
        untargeted,
    })
}

/// The sections of a generated revision: one up and one down per engine, or one plain pair when every
/// engine's SQL is the same text.
fn sections(plans: &[(Engine, Plan)]) -> String {
    let same = plans.windows(2).all(|w| w[0].1 == w[1].1);
    let per_engine: Vec<(Option<Engine>, &Plan)> = match plans {
        [(_, plan), ..] if same && plans.len() > 1 => vec![(None, plan)],
        _ => plans.iter().map(|(e, plan)| (Some(*e), plan)).collect(),
    };
    let mut out = Vec::new();
    for direction in [Direction::Up, Direction::Down] {
        for (engine, plan) in &per_engine {
            let steps = match direction {
                Direction::Up => &plan.up,
                Direction::Down => &plan.down,
            };
            out.push(section(*engine, direction, steps));
        }
    }
    out.join("\n")
}

/// One section: its marker, then its SQL. Steps that cannot run in a transaction (`ALTER TYPE … ADD
/// VALUE`, `CREATE INDEX CONCURRENTLY`) make it a `transaction:false` section, each statement committed on
/// its own, as such a section runs.
fn section(engine: Option<Engine>, direction: Direction, steps: &[Step]) -> String {
    let mut marker = format!(
        "-- migrate:{}",
        match direction {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    );
    if let Some(engine) = engine {
        marker.push_str(&format!(" {engine}"));
    }
    if steps.iter().any(|s| s.autocommit) {
        marker.push_str(" transaction:false");
    }
    let sql = SchemaChanges::new(engine.unwrap_or(Engine::Sqlite), steps).sql();
    format!("{marker}\n{sql}")
}

/// `schema dump`: the schema the revisions give (or, with `from_db`, the configured database's, which must
/// exist and is only read) as the SQL that creates it in an empty database, one statement per object in an
/// order the engine accepts: tables (referenced ones first), then what depends on them (indexes, views in
/// the order they read each other, triggers). The text is applied to an empty scratch database first and must
/// give the same schema.
pub fn schema_dump(p: &Project, from_db: bool) -> Result<String> {
    let server = scratch_server(p)?;
    let schema = if from_db {
        live_schema(p)?
    } else {
        replayed(p, &server)?.1
    };
    Ok(built(&server, &schema)?.1)
}

/// A new scratch database holding `schema`, made by the SQL that creates it from nothing (its dump), with
/// that SQL: proven, as the scratch database's schema must then be `schema` exactly.
fn built(server: &ScratchServer, schema: &Schema) -> Result<(Scratch, String)> {
    let created = creation(&Schema::new(server.engine()), schema);
    let statements: Vec<String> = created
        .iter()
        .flat_map(|s| &s.statements)
        .map(|sql| format!("{sql};\n"))
        .collect();
    let text = statements.join("\n");
    let mut db = Scratch::open(server).map_err(SchemaError::from)?;
    db.apply_schema(Path::new("<schema dump>"), &text)
        .map_err(SchemaError::from)?;
    let applied = db.inspect().map_err(SchemaError::from)?;
    if applied != *schema {
        return Err(SchemaError::DumpNotProven {
            residual: SchemaChanges::new(server.engine(), &creation(&applied, schema)).sql(),
        }
        .into());
    }
    Ok((db, text))
}

/// The configured database's schema, read without writing (the database must exist), less dbkit's
/// bookkeeping tables.
pub(super) fn live_schema(p: &Project) -> Result<Schema> {
    Ok(live(p)?.0)
}

/// The configured database's schema (as [`live_schema`]) and the revisions its version table records, read
/// on one read-only connection.
fn live(p: &Project) -> Result<(Schema, Vec<String>)> {
    let read = |e: ScratchError| Error::from(SchemaError::Scratch(e));
    let version = p.version_table();
    let (live, recorded) = match p.settings.database_url()? {
        DatabaseUrl::Sqlite(target) => {
            let mut conn =
                SqliteConnection::open(&target, p.settings.busy_timeout, Access::MustExist)?;
            // Reading only; SQLite holds the connection to that.
            conn.batch("PRAGMA query_only = ON")
                .map_err(crate::Error::db("could not open the database read-only"))?;
            let schema =
                crate::dialect::sqlite::inspect::inspect(&conn).map_err(|e| read(e.into()))?;
            (schema, version.heads(&mut conn)?)
        }
        DatabaseUrl::Postgres(target) => {
            let mut conn = PgConnection::open(&target)?;
            conn.batch("SET default_transaction_read_only = on")
                .map_err(crate::Error::db("could not open the database read-only"))?;
            let schema = crate::dialect::postgres::inspect::inspect(&mut conn)
                .map_err(|e| read(e.into()))?;
            (schema, version.heads(&mut conn)?)
        }
    };
    let bookkeeping = [&p.settings.version_table, &p.settings.history_table];
    let schema = live.without(|name| {
        bookkeeping
            .iter()
            .any(|t| name.name.eq_ignore_ascii_case(t))
    });
    Ok((schema, recorded))
}

/// What `drift` found: the revisions the database records, and the changes from the schema those
/// revisions give to the database's own.
#[derive(Debug, Serialize)]
pub struct Drift {
    pub revisions: Vec<String>,
    /// Empty when the database is exactly what its revisions made it.
    #[serde(flatten)]
    pub changes: SchemaChanges,
}

impl Drift {
    /// For the exit status: an error with its own code when the database has drifted.
    pub fn check(&self) -> Result<()> {
        if self.changes.changes.is_empty() {
            return Ok(());
        }
        Err(SchemaError::Drifted {
            count: self.changes.changes.len(),
        }
        .into())
    }
}

/// `drift`: the configured database's schema (only read) against the schema its recorded revisions give,
/// replayed on a scratch database. The changes are the SQL that would turn the replayed schema into the
/// live one: what was done to the database by hand (a hand-made index shows as `CREATE INDEX`, a dropped
/// column as `DROP COLUMN`).
pub fn drift(p: &Project) -> Result<Drift> {
    let server = scratch_server(p)?;
    let (live, revisions) = live(p)?;
    let scripts = p.scripts()?;
    let replayed = (|| {
        let mut db = Scratch::open(&server)?;
        db.replay_to(scripts, Some(&revisions))?;
        db.inspect()
    })()
    .map_err(SchemaError::from)?;
    let steps = creation(&replayed, &comparable(&live, &replayed));
    Ok(Drift {
        revisions,
        changes: SchemaChanges::new(server.engine(), &steps),
    })
}

/// A live database's schema as another (what its revisions give, or the declared one) is compared with it:
/// extensions the other does not hold are left out, as `db-init` or an administrator installs them outside
/// the revisions and the schema file.
pub(super) fn comparable(live: &Schema, other: &Schema) -> Schema {
    let mut live = live.clone();
    live.extensions
        .retain(|name, _| other.extensions.contains_key(name));
    live
}

/// The schema a plan starts from, before it is on a scratch database: the revisions' (replayed, with that
/// database) or the live database's (built on one once the declared schema is known).
enum Current {
    Replayed(Scratch, Schema),
    Live(Schema),
}

/// Where the configured database's engine makes its scratch databases.
pub(super) fn scratch_server(p: &Project) -> Result<ScratchServer> {
    server_for(p, p.settings.database_url()?.engine())
}

/// The engines a revision is generated and checked for, each with where its scratch databases are made:
/// the configured database's engine first, then the others the ini file's `dialects` names.
pub(super) fn targets(p: &Project) -> Result<Vec<ScratchServer>> {
    let mut engines = vec![p.settings.database_url()?.engine()];
    for engine in &p.settings.dialects {
        if !engines.contains(engine) {
            engines.push(*engine);
        }
    }
    engines.into_iter().map(|e| server_for(p, e)).collect()
}

/// Where `engine`'s scratch databases are made: in memory for SQLite; for PostgreSQL on the dev URL's
/// server, else the configured database's.
pub(crate) fn server_for(p: &Project, engine: Engine) -> Result<ScratchServer> {
    Ok(match engine {
        Engine::Sqlite => ScratchServer::Sqlite,
        Engine::Postgresql => match p.settings.scratch_server()? {
            DatabaseUrl::Postgres(target) => ScratchServer::Postgres(Box::new(target)),
            DatabaseUrl::Sqlite(_) => return Err(SchemaError::NoPostgresqlServer.into()),
        },
    })
}

/// Every revision replayed into a new scratch database, with the schema it gives.
fn replayed(p: &Project, server: &ScratchServer) -> Result<(Scratch, Schema)> {
    let scripts = p.scripts()?;
    let run = || -> std::result::Result<(Scratch, Schema), ScratchError> {
        let mut db = Scratch::open(server)?;
        db.replay(scripts)?;
        let schema = db.inspect()?;
        Ok((db, schema))
    };
    Ok(run().map_err(SchemaError::from)?)
}

/// The steps from `from` to `to` only: a dump never goes back.
pub(super) fn creation(from: &Schema, to: &Schema) -> Vec<Step> {
    let changes = diff(from, to);
    render::steps(from, to, &changes, &Renames::default(), Options::default())
}

/// Writes `text` to `path` through a temporary file in the same directory renamed into place, so a reader
/// never sees half a file and a failure leaves the old file as it was. An existing file is replaced: that is
/// what `-o` asks for. Errors name `path`, the file the user gave, never the temporary one.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::io::{ErrorKind, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or(std::ffi::OsStr::new("dump"));
    // Created here rather than by tempfile, whose errors carry the temporary name; removed on failure by
    // the TempPath. Created as any file is (0666 less the umask), not private as temporary files are: a
    // schema file is read by everyone working on the project.
    let created = (0..100).find_map(|n| {
        let temp = dir.join(format!(
            ".{}.{}-{n}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&temp);
        match file {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => None,
            file => Some(file.and_then(|f| Ok((f, tempfile::TempPath::try_from_path(temp)?)))),
        }
    });
    let (mut file, temp) = created
        .unwrap_or_else(|| Err(ErrorKind::AlreadyExists.into()))
        .map_err(Error::io(path))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(Error::io(path))?;
    temp.persist(path).map_err(|e| Error::io(path)(e.error))?;
    Ok(())
}

/// The proven migrations from the schema the revisions give (or, with `from_db`, the configured
/// database's) to the declared one, one per target engine ([`targets`]; the configured one alone with
/// `from_db`). A rename settled for the first engine holds for the others.
fn plans(p: &Project, planning: Planning<'_>) -> Result<Vec<(Engine, Plan)>> {
    let flags = planning
        .renames
        .iter()
        .map(|value| Ok((value.as_str(), source::rename_flag(value)?)))
        .collect::<std::result::Result<Vec<_>, RenameFlagError>>()
        .map_err(SchemaError::from)?;
    let mut targets = targets(p)?;
    if planning.from_db {
        targets.truncate(1);
    }
    let options = Options {
        online: planning.online,
    };
    let mut ask = planning.ask;
    let mut settled: Vec<ColumnRename> = Vec::new();
    let mut plans = Vec::new();
    for server in &targets {
        let engine = server.engine();
        let (migration, dbs) = std::thread::scope(|scope| -> Result<(Plan, Vec<Scratch>)> {
            // The two sides are built at once, each on its own scratch database: on PostgreSQL most of the
            // time is the server's, creating databases and running DDL. Once the migration is planned, each
            // database proves one direction of it, at once again: the current one the upgrade, the declared
            // one the downgrade (each holds the schema its direction starts from).
            let (handed, received) = mpsc::channel();
            let (to_prove, proving) = mpsc::channel::<(Vec<Step>, Schema)>();
            let schema_file = &p.settings.schema_file;
            let declaring = scope.spawn(move || -> Result<Option<Scratch>> {
                let (desired, renames, mut db) = match declared(schema_file, server) {
                    Ok(built) => built,
                    Err(e) => {
                        let _ = handed.send(Err(e));
                        return Ok(None);
                    }
                };
                let _ = handed.send(Ok((desired, renames)));
                // Nothing comes when there is nothing to prove, or planning failed.
                if let Ok((down, current)) = proving.recv() {
                    db.prove(&down, Direction::Down, &current)
                        .map_err(SchemaError::from)?;
                }
                Ok(Some(db))
            });
            // The live schema is read now and built on a scratch database once the declared one says which
            // of its extensions count.
            let current = if planning.from_db {
                live_schema(p).map(Current::Live)
            } else {
                replayed(p, server).map(|(db, schema)| Current::Replayed(db, schema))
            };
            let Ok(declared) = received.recv() else {
                // The thread ended without a word: it panicked, and so does this one.
                let panic = declaring.join().err();
                std::panic::resume_unwind(panic.unwrap_or_else(|| Box::new("no declared schema")))
            };
            let (desired, mut renames) = declared?;
            let (mut db, current) = match current? {
                Current::Replayed(db, schema) => (db, schema),
                Current::Live(live) => {
                    let live = comparable(&live, &desired);
                    (built(server, &live)?.0, live)
                }
            };
            // One diff serves the renames' checks and the upgrade it plans.
            let changes = diff(&current, &desired);
            for (value, rename) in &flags {
                flagged(value, rename.clone(), &changes, &mut renames)?;
            }
            let carried = Renames {
                tables: Vec::new(),
                columns: settled.clone(),
            };
            renames
                .columns
                .extend(carried.in_default_schema(engine).columns);
            let before = renames.columns.len();
            settle_possible_renames(&changes, &mut renames, ask.as_mut().map(|a| &mut **a as _))?;
            settled.extend(renames.columns[before..].iter().map(|r| ColumnRename {
                table: ObjectName::bare(&r.table.name),
                ..r.clone()
            }));
            let migration = render::plan_from(&current, &desired, &changes, &renames, options);
            let proven = if migration.is_empty() {
                // Running nothing leaves the current schema, which must then be the declared one.
                same(&current, &desired, Direction::Up)
            } else {
                let _ = to_prove.send((migration.down.clone(), current));
                db.prove(&migration.up, Direction::Up, &desired)
            };
            drop(to_prove);
            let declared_db = match declaring.join() {
                Ok(joined) => joined,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            proven.map_err(SchemaError::from)?;
            let declared_db = declared_db?;
            Ok((
                migration,
                [Some(db), declared_db].into_iter().flatten().collect(),
            ))
        })?;
        drop_together(dbs);
        plans.push((engine, migration));
    }
    Ok(plans)
}

/// The declared schema, applied to a scratch database and read back, the renames the file declares (names
/// without a schema are in `public` on PostgreSQL), and that database.
fn declared(path: &Path, server: &ScratchServer) -> Result<(Schema, Renames, Scratch)> {
    let engine = server.engine();
    let texts = schema_texts(path, engine)?;
    let mut db = Scratch::open(server).map_err(SchemaError::from)?;
    let mut renames = Renames::default();
    for (file, text) in &texts {
        let declared = source::renames(text).map_err(|source| SchemaError::Source {
            path: file.clone(),
            source,
        })?;
        renames.tables.extend(declared.tables);
        renames.columns.extend(declared.columns);
        db.apply_schema(file, text).map_err(SchemaError::from)?;
    }
    let schema = db.inspect().map_err(SchemaError::from)?;
    Ok((schema, renames.in_default_schema(engine), db))
}

/// Each file of the schema file or directory ([`schema_files`]) with its text for `engine`: the shared parts
/// and the engine's own.
pub(super) fn schema_texts(path: &Path, engine: Engine) -> Result<Vec<(PathBuf, String)>> {
    schema_files(path)?
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).map_err(Error::io(&file))?;
            match source::for_engine(&text, engine) {
                Ok(text) => Ok((file, text)),
                Err(source) => Err(SchemaError::Source { path: file, source }.into()),
            }
        })
        .collect()
}

/// The schema file, or the `.sql` files of a schema directory in name order.
pub(super) fn schema_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_dir() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(Error::io(path))? {
            let file = entry.map_err(Error::io(path))?.path();
            if file.extension().is_some_and(|e| e == "sql") && file.is_file() {
                files.push(file);
            }
        }
        if files.is_empty() {
            return Err(SchemaError::EmptySchemaDirectory {
                path: path.to_path_buf(),
            }
            .into());
        }
        files.sort();
        return Ok(files);
    }
    if !path.exists() {
        return Err(SchemaError::NoSchemaFile {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(vec![path.to_path_buf()])
}

/// Adds a `--rename` to `renames`, under the names the diff spells, once the diff is found to drop the old
/// name and add the new one with the same definition (what makes the renderer rename): a flag that would
/// change nothing is an error, not ignored.
fn flagged(value: &str, rename: Rename, changes: &[Change], renames: &mut Renames) -> Result<()> {
    let not_in_diff = |old: String, new: String| SchemaError::RenameNotInDiff {
        value: value.to_string(),
        old,
        new,
    };
    let differ = |old: String, new: String| SchemaError::RenameChangesDefinition {
        value: value.to_string(),
        old,
        new,
    };
    match rename {
        Rename::Column(r) => {
            let column = |dropped: bool, name: &str| {
                changes.iter().find_map(|c| match (c, dropped) {
                    (Change::DropColumn { table, column }, true)
                    | (Change::AddColumn { table, column }, false)
                        if table.name.eq_ignore_ascii_case(&r.table.name)
                            && column.name.eq_ignore_ascii_case(name) =>
                    {
                        Some((table, column))
                    }
                    _ => None,
                })
            };
            let (dropped, added) = (column(true, &r.from), column(false, &r.to));
            let old = format!("column {}.{}", r.table, r.from);
            let new = format!("{}.{}", r.table, r.to);
            let (Some((table, from)), Some((_, to))) = (dropped, added) else {
                return Err(not_in_diff(old, new).into());
            };
            let mut same = to.clone();
            same.name.clone_from(&from.name);
            if same != *from {
                return Err(differ(old, new).into());
            }
            renames.columns.push(ColumnRename {
                table: table.clone(),
                from: from.name.clone(),
                to: to.name.clone(),
            });
        }
        Rename::Table(r) => {
            let table = |dropped: bool, name: &ObjectName| {
                changes.iter().find_map(|c| match (c, dropped) {
                    (Change::DropTable(t), true) | (Change::CreateTable(t), false)
                        if t.name.name.eq_ignore_ascii_case(&name.name) =>
                    {
                        Some(t)
                    }
                    _ => None,
                })
            };
            let old = format!("table {}", r.from);
            let new = r.to.to_string();
            let (Some(from), Some(to)) = (table(true, &r.from), table(false, &r.to)) else {
                return Err(not_in_diff(old, new).into());
            };
            // Indexes are named apart from their table, and move with it.
            let same = Table {
                name: from.name.clone(),
                indexes: from.indexes.clone(),
                ..to.clone()
            };
            if same != *from {
                return Err(differ(old, new).into());
            }
            renames.tables.push(TableRename {
                from: from.name.clone(),
                to: to.name.clone(),
            });
        }
    }
    Ok(())
}

/// A column dropped and another added in the same table with the same definition, which no declared rename
/// settles, may be a rename: written as a drop and an add it would lose the column's values. `ask` decides
/// each (a yes adds the rename to `renames`); without it, the first is an error.
fn settle_possible_renames(
    changes: &[Change],
    renames: &mut Renames,
    mut ask: Option<AskRename<'_>>,
) -> Result<()> {
    for change in changes {
        let Change::DropColumn { table, column } = change else {
            continue;
        };
        let declared = |renames: &Renames, name: &str, new: bool| {
            renames.columns.iter().any(|r| {
                let side = if new { &r.to } else { &r.from };
                r.table == *table && side.eq_ignore_ascii_case(name)
            })
        };
        if declared(renames, &column.name, false) {
            continue;
        }
        let candidates: Vec<&String> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddColumn {
                    table: t,
                    column: a,
                } if t == table => {
                    let mut same = a.clone();
                    same.name.clone_from(&column.name);
                    (same == *column).then_some(&a.name)
                }
                _ => None,
            })
            .collect();
        for added in candidates {
            if declared(renames, added, true) {
                continue;
            }
            let possible = PossibleRename {
                table: table.clone(),
                dropped: column.name.clone(),
                added: added.clone(),
            };
            let Some(ask) = ask.as_mut() else {
                return Err(SchemaError::PossibleRename {
                    table: table.to_string(),
                    dropped: possible.dropped,
                    added: possible.added,
                }
                .into());
            };
            if ask(&possible) {
                renames.columns.push(ColumnRename {
                    table: table.clone(),
                    from: possible.dropped,
                    to: possible.added,
                });
                break;
            }
        }
    }
    Ok(())
}
