//! The verbs over the declared schema: `check`, `schema diff`, writing a revision from the schema file
//! (`revision --autogenerate`, and `create` when a schema file exists), and `schema dump`. The first three
//! work without a live database: the declared schema is the schema file applied to a scratch database, the
//! schema the revisions give is every revision replayed into another, and the SQL between them is proven on
//! scratch databases before it is shown or written. `schema dump` writes a schema (the revisions' or a live
//! database's) as the SQL that creates it from nothing, proven the same way. SQLite only for now; on
//! PostgreSQL each says so and stops.
//!
//! A rename is the schema file's directive or a `--rename` ([`Renaming`]); a column dropped and another
//! added with the same definition that neither names is a [`PossibleRename`], settled by the caller's
//! [`AskRename`] where there is one, an error otherwise.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use super::authoring::{resolve_heads, write_revision, Generated, NewRevisionArgs};
use crate::dburl::DatabaseUrl;
use crate::dialect::sqlite::inspect::inspect;
use crate::dialect::sqlite::scratch::{self, ScratchError};
use crate::dialect::sqlite::SqliteConnection;
use crate::dialect::{Access, Connection};
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
    #[error("{verb} is not supported on PostgreSQL yet; it works on SQLite (--url sqlite://)")]
    PostgresqlUnsupported { verb: &'static str },
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
    #[error("the revisions do not give the declared schema: {count} change(s) planned; 'db-migrate revision --autogenerate -m MSG' writes them")]
    Differs { count: usize },
    #[error("the dump does not give the schema it was written from; still different:\n{residual}")]
    DumpNotProven { residual: String },
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Error {
        Error::Schema(Box::new(e))
    }
}

/// The changes from the revisions' schema to the declared one, as `check` and `schema diff` report them.
#[derive(Debug, Serialize)]
pub struct SchemaChanges {
    /// In the order they run; empty when the revisions give the declared schema.
    pub changes: Vec<PlannedChange>,
}

/// One change of the upgrade: its statements (each without its `;`) and what it risks.
#[derive(Debug, Serialize)]
pub struct PlannedChange {
    pub statements: Vec<String>,
    pub hazards: Vec<String>,
}

impl SchemaChanges {
    /// The changes as the SQL a revision holds: each change's hazards as comments above its statements.
    /// `schema diff` shows this text and `revision --autogenerate` writes it, so the two always agree.
    pub fn sql(&self) -> String {
        let mut out = String::new();
        for change in &self.changes {
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

/// What the user says about renames besides the schema file's directives.
#[derive(Default)]
pub struct Renaming<'a> {
    /// `--rename` values as given: `table.column=new_column`, `table.column=table.new_column` or
    /// `old_table=new_table`; each means what the directive means.
    pub flags: &'a [String],
    /// Asked about each possible rename; without it, a possible rename is an error.
    pub ask: Option<AskRename<'a>>,
}

/// `check`: the changes from the schema the revisions give to the declared one (see [`SchemaChanges::check`]),
/// with the `--rename` values in `renames`.
pub fn check(p: &Project, renames: &[String]) -> Result<SchemaChanges> {
    changes(p, "check", renames)
}

/// `schema diff`: the same changes, for reading.
pub fn schema_diff(p: &Project, renames: &[String]) -> Result<SchemaChanges> {
    changes(p, "schema diff", renames)
}

fn changes(p: &Project, verb: &'static str, flags: &[String]) -> Result<SchemaChanges> {
    let renaming = Renaming { flags, ask: None };
    Ok(SchemaChanges::from(&plan(p, verb, renaming)?.up[..]))
}

impl From<&[Step]> for SchemaChanges {
    fn from(steps: &[Step]) -> SchemaChanges {
        SchemaChanges {
            changes: steps
                .iter()
                .map(|s| PlannedChange {
                    statements: s.statements.clone(),
                    hazards: s.hazards.iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }
    }
}

/// Whether the project has a schema file, which makes `create` autogenerate.
pub fn has_schema_file(p: &Project) -> bool {
    p.settings.schema_file.exists()
}

/// Writes a new revision with the SQL from the revisions' schema to the declared one, proven first. Writes
/// nothing when there is nothing to do, or when the upgrade would lose data and `allow_data_loss` is false.
/// `renaming` adds renames to the schema file's and settles possible renames.
pub fn autogenerate(
    p: &Project,
    args: &NewRevisionArgs,
    allow_data_loss: bool,
    renaming: Renaming<'_>,
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
    let migration = plan(p, "revision --autogenerate", renaming)?;
    if migration.is_empty() {
        return Ok(Autogenerated {
            path: None,
            hazards: Vec::new(),
        });
    }
    let hazards: Vec<_> = migration.up.iter().flat_map(|s| &s.hazards).collect();
    if !allow_data_loss && hazards.iter().any(|h| h.loses_data()) {
        let losses = hazards.iter().filter(|h| h.loses_data());
        return Err(SchemaError::DataLoss {
            hazards: losses.map(ToString::to_string).collect(),
        }
        .into());
    }
    let sections = format!(
        "-- migrate:up sqlite\n{}\n-- migrate:down sqlite\n{}",
        SchemaChanges::from(&migration.up[..]).sql(),
        SchemaChanges::from(&migration.down[..]).sql()
    );
    let Generated { path } = write_revision(p, scripts, heads, args, Some(&sections))?;
    Ok(Autogenerated {
        path: Some(path),
        hazards: hazards.iter().map(ToString::to_string).collect(),
    })
}

/// `schema dump`: the schema the revisions give (or, with `from_db`, the configured database's, which must
/// exist and is only read) as the SQL that creates it in an empty database, one statement per object in an
/// order SQLite accepts: tables (referenced ones first), virtual tables, indexes, views (the views they read
/// first), triggers. The text is applied to an empty scratch database first and must give the same schema.
pub fn schema_dump(p: &Project, from_db: bool) -> Result<String> {
    let url = p.settings.database_url()?;
    let DatabaseUrl::Sqlite(target) = &url else {
        return Err(SchemaError::PostgresqlUnsupported {
            verb: "schema dump",
        }
        .into());
    };
    let schema = if from_db {
        let mut conn = SqliteConnection::open(target, p.settings.busy_timeout, Access::MustExist)?;
        // The dump only reads; SQLite holds it to that.
        conn.batch("PRAGMA query_only = ON")
            .map_err(crate::Error::db("could not open the database read-only"))?;
        let live = inspect(&conn).map_err(|e| SchemaError::Scratch(e.into()))?;
        without_bookkeeping(
            &live,
            &[&p.settings.version_table, &p.settings.history_table],
        )
    } else {
        let scripts = p.scripts()?;
        scratch::current(scripts).map_err(SchemaError::from)?.1
    };
    let created = creation(&Schema::new(Engine::Sqlite), &schema);
    let statements: Vec<String> = created
        .iter()
        .flat_map(|s| &s.statements)
        .map(|sql| format!("{sql};\n"))
        .collect();
    let text = statements.join("\n");
    let mut conn = scratch::open().map_err(SchemaError::from)?;
    scratch::apply_schema(&mut conn, Path::new("<schema dump>"), &text)
        .map_err(SchemaError::from)?;
    let applied = inspect(&conn).map_err(|e| SchemaError::Scratch(e.into()))?;
    if applied != schema {
        return Err(SchemaError::DumpNotProven {
            residual: SchemaChanges::from(&creation(&applied, &schema)[..]).sql(),
        }
        .into());
    }
    Ok(text)
}

/// The steps from `from` to `to` only: a dump never goes back.
fn creation(from: &Schema, to: &Schema) -> Vec<Step> {
    let changes = diff(from, to);
    render::steps(from, to, &changes, &Renames::default(), Options::default())
}

/// `schema`, less the version and history tables and their triggers: they are dbkit's bookkeeping, which no
/// revision creates, so a schema file bootstrapped from the dump must not declare them.
fn without_bookkeeping(schema: &Schema, tables: &[&str]) -> Schema {
    let ours =
        |name: &crate::schema::ObjectName| tables.iter().any(|t| name.name.eq_ignore_ascii_case(t));
    let mut kept = Schema::new(schema.engine);
    for relation in schema.relations().filter(|r| !ours(r.name())) {
        kept.add(relation.clone())
            .expect("the relations of one schema have distinct names");
    }
    for trigger in schema.triggers().values().filter(|t| !ours(&t.name.on)) {
        kept.add_trigger(trigger.clone())
            .expect("a trigger kept is on a relation kept");
    }
    kept
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

/// The proven migration from the schema the revisions give to the declared one.
fn plan(p: &Project, verb: &'static str, renaming: Renaming<'_>) -> Result<Plan> {
    if p.settings.database_url()?.engine() != Engine::Sqlite {
        return Err(SchemaError::PostgresqlUnsupported { verb }.into());
    }
    let flags = renaming
        .flags
        .iter()
        .map(|value| Ok((value.as_str(), source::rename_flag(value)?)))
        .collect::<std::result::Result<Vec<_>, RenameFlagError>>()
        .map_err(SchemaError::from)?;
    let scripts = p.scripts()?;
    let (desired, mut renames) = declared(&p.settings.schema_file)?;
    let (mut conn, current) = scratch::current(scripts).map_err(SchemaError::from)?;
    // One diff serves the renames' checks and the upgrade it plans.
    let changes = diff(&current, &desired);
    for (value, rename) in flags {
        flagged(value, rename, &changes, &mut renames)?;
    }
    settle_possible_renames(&changes, &mut renames, renaming.ask)?;
    let migration = render::plan_from(&current, &desired, &changes, &renames, Options::default());
    scratch::verify(&mut conn, &current, &desired, &migration).map_err(SchemaError::from)?;
    Ok(migration)
}

/// The declared schema, applied to a scratch database and read back, and the renames the file declares.
fn declared(path: &Path) -> Result<(Schema, Renames)> {
    let files = schema_files(path)?;
    let mut conn = scratch::open().map_err(SchemaError::from)?;
    let mut renames = Renames::default();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(Error::io(file))?;
        let source = |source| SchemaError::Source {
            path: file.clone(),
            source,
        };
        let text = source::for_engine(&text, Engine::Sqlite).map_err(source)?;
        let declared = source::renames(&text).map_err(source)?;
        renames.tables.extend(declared.tables);
        renames.columns.extend(declared.columns);
        scratch::apply_schema(&mut conn, file, &text).map_err(SchemaError::from)?;
    }
    let schema = inspect(&conn).map_err(|e| SchemaError::Scratch(e.into()))?;
    Ok((schema, renames))
}

/// The schema file, or the `.sql` files of a schema directory in name order.
fn schema_files(path: &Path) -> Result<Vec<PathBuf>> {
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
