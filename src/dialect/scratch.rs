//! What the two engines' scratch databases share: their error, and the last step of a proof, which compares
//! the schema a generated migration gave with the one it was generated for. The databases themselves are
//! each engine's own: in-memory SQLite ([`sqlite::scratch`](super::sqlite::scratch)) and throwaway databases
//! on a PostgreSQL server ([`postgres::scratch`](super::postgres::scratch)).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::dburl::PgTarget;
use crate::dialect::{postgres, sqlite, DbError};
use crate::direction::Direction;
use crate::engine::Engine;
use crate::schema::render::{plan, Options, Renames, Step};
use crate::schema::Schema;
use crate::scripts::Scripts;
use crate::sql::SplitError;

#[derive(Debug, Error)]
pub enum ScratchError {
    #[error("could not open a scratch SQLite database: {0}")]
    Open(Box<crate::Error>),
    /// `server` is the masked URL of the server the database was to be created on.
    #[error("could not create a scratch PostgreSQL database on {server}: {cause}")]
    Create {
        server: String,
        cause: Box<crate::Error>,
    },
    #[error("{}:{}: {source}", .path.display(), .source.line())]
    Split { path: PathBuf, source: SplitError },
    /// `statement` is the statement's first line.
    #[error("{}:{line}: `{statement}` failed: {cause}", .path.display())]
    Statement {
        path: PathBuf,
        line: usize,
        statement: String,
        cause: DbError,
    },
    #[error("{}: PRAGMA foreign_key_check: {references}", .path.display())]
    DanglingReferences { path: PathBuf, references: String },
    /// A revision could not be prepared, or failed, while it was replayed.
    #[error(transparent)]
    Replay(Box<crate::Error>),
    #[error(transparent)]
    Inspect(#[from] sqlite::inspect::InspectError),
    #[error(transparent)]
    PgInspect(#[from] postgres::inspect::InspectError),
    /// Generated SQL that the database refused.
    #[error("the generated {} failed at `{statement}`: {cause}", .direction.verb())]
    Generated {
        direction: Direction,
        statement: String,
        cause: DbError,
    },
    /// Generated SQL that ran but did not give the schema it was generated for; `residual` is the SQL that
    /// would still be needed.
    #[error("the generated {} does not give the schema it was generated for; still different:\n{residual}", .direction.verb())]
    NotProven {
        direction: Direction,
        residual: String,
    },
}

impl From<crate::Error> for ScratchError {
    fn from(e: crate::Error) -> ScratchError {
        ScratchError::Replay(Box::new(e))
    }
}

/// A statement's first line, trimmed, as errors quote it.
pub(crate) fn first_line(sql: &str) -> String {
    sql.lines().next().unwrap_or("").trim().to_string()
}

/// Whether the schema a generated migration gave is the one it was made for; the residual difference, as
/// SQL, when not.
pub(crate) fn same(
    got: &Schema,
    wanted: &Schema,
    direction: Direction,
) -> Result<(), ScratchError> {
    if got == wanted {
        return Ok(());
    }
    let residual = plan(got, wanted, &Renames::default(), Options::default()).up;
    if residual.is_empty() {
        // The renderer writes nothing for a difference it should: say so rather than pass.
        return Err(ScratchError::NotProven {
            direction,
            residual: "(a difference no SQL is generated for)".into(),
        });
    }
    Err(ScratchError::NotProven {
        direction,
        residual: residual
            .iter()
            .flat_map(|s| &s.statements)
            .map(|sql| format!("{sql};"))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// A scratch database of either engine, for the verbs that work on both: the engine's own functions behind
/// one value, so a verb reads the same whichever engine it plans for.
pub enum Scratch {
    /// With what was read of it: verbs that read the schema after every revision read again only what changed.
    Sqlite(sqlite::SqliteConnection, Box<sqlite::inspect::Cache>),
    Postgres(Box<postgres::scratch::ScratchDb>),
}

impl Scratch {
    /// An empty scratch database: in memory for SQLite, a throwaway database on `server` for PostgreSQL.
    pub fn open(server: &ScratchServer) -> Result<Scratch, ScratchError> {
        Ok(match server {
            ScratchServer::Sqlite => Scratch::Sqlite(sqlite::scratch::open()?, Box::default()),
            ScratchServer::Postgres(target) => {
                Scratch::Postgres(Box::new(postgres::scratch::ScratchDb::create(target)?))
            }
        })
    }

    /// Runs a schema file's SQL (`path` names it in errors).
    pub fn apply_schema(&mut self, path: &Path, text: &str) -> Result<(), ScratchError> {
        match self {
            Scratch::Sqlite(conn, _) => sqlite::scratch::apply_schema(conn, path, text),
            Scratch::Postgres(db) => postgres::scratch::apply_schema(db, path, text),
        }
    }

    /// Replays every revision's up section for this engine, from base to the heads.
    pub fn replay(&mut self, scripts: &Scripts) -> Result<(), ScratchError> {
        self.replay_to(scripts, None)
    }

    /// Replays the up sections from base to `to` (the version rows of a database: the revisions it
    /// records), or to the heads when `to` is `None`.
    pub fn replay_to(
        &mut self,
        scripts: &Scripts,
        to: Option<&[String]>,
    ) -> Result<(), ScratchError> {
        let steps = upgrade_steps(scripts, to)?;
        self.replay_steps(scripts, steps)
    }

    /// Runs `steps` (an upgrade's, or verify's round trips) as [`Scratch::replay_to`] does: each revision as
    /// the runner would run it, failures naming its file and line.
    pub(crate) fn replay_steps(
        &mut self,
        scripts: &Scripts,
        steps: Vec<crate::graph::Step>,
    ) -> Result<(), ScratchError> {
        match self {
            Scratch::Sqlite(conn, _) => sqlite::scratch::replay(conn, scripts, steps),
            Scratch::Postgres(db) => postgres::scratch::replay(db, scripts, steps),
        }
    }

    /// The schema the database holds now.
    pub fn inspect(&mut self) -> Result<Schema, ScratchError> {
        Ok(match self {
            Scratch::Sqlite(conn, cache) => sqlite::inspect::inspect_cached(conn, cache)?,
            Scratch::Postgres(db) => postgres::inspect::inspect(db.conn())?,
        })
    }

    /// Proves one direction of a migration: `steps` run here must give exactly `wanted`. The two directions
    /// are proven apart, each on a database that holds the schema it starts from, so both can run at once.
    pub fn prove(
        &mut self,
        steps: &[Step],
        direction: Direction,
        wanted: &Schema,
    ) -> Result<(), ScratchError> {
        match self {
            Scratch::Sqlite(conn, _) => {
                sqlite::scratch::prove_steps(conn, steps, direction, wanted)
            }
            Scratch::Postgres(db) => postgres::scratch::prove_steps(db, steps, direction, wanted),
        }
    }
}

/// Drops scratch databases at the same time. On PostgreSQL a dropped database's changed pages are discarded,
/// but the drop then waits for a checkpoint, which writes every page any other database has changed: one
/// scratch database dropped while another lives makes the server write the other's pages to disk only to
/// delete them a moment later. Dropped together, each discards its own before either checkpoint runs.
pub fn drop_together(dbs: Vec<Scratch>) {
    std::thread::scope(|scope| {
        for db in dbs {
            match db {
                Scratch::Postgres(_) => {
                    scope.spawn(move || drop(db));
                }
                Scratch::Sqlite(..) => drop(db),
            }
        }
    });
}

/// The steps of an upgrade from base to `to` (version rows), or to every head when `to` is `None`. Rows are
/// reached one after the other: each is a head of what is applied, so reaching one leaves the others'
/// branches as they were.
pub(crate) fn upgrade_steps(
    scripts: &Scripts,
    to: Option<&[String]>,
) -> Result<Vec<crate::graph::Step>, ScratchError> {
    let Some(rows) = to else {
        return Ok(scripts
            .map
            .plan_upgrade(&[], "heads")
            .map_err(crate::Error::from)?);
    };
    let mut steps = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let planned = scripts
            .map
            .plan_upgrade(&rows[..i], row)
            .map_err(crate::Error::from)?;
        steps.extend(planned);
    }
    Ok(steps)
}

/// Where an engine's scratch databases are made.
#[derive(Debug, Clone)]
pub enum ScratchServer {
    /// In memory, on the bundled SQLite.
    Sqlite,
    /// On this PostgreSQL server (the configured database's, or the dev URL's).
    Postgres(Box<PgTarget>),
}

impl ScratchServer {
    pub fn engine(&self) -> Engine {
        match self {
            ScratchServer::Sqlite => Engine::Sqlite,
            ScratchServer::Postgres(_) => Engine::Postgresql,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_the_same_only_when_equal_and_the_residual_says_why_not() {
        let mut db = Scratch::open(&ScratchServer::Sqlite).unwrap();
        db.apply_schema(Path::new("schema.sql"), "CREATE TABLE t (id INTEGER)")
            .unwrap();
        let desired = db.inspect().unwrap();
        same(&desired, &desired, Direction::Up).unwrap();
        let e = same(&Schema::new(Engine::Sqlite), &desired, Direction::Up).unwrap_err();
        assert!(
            matches!(&e, ScratchError::NotProven { direction: Direction::Up, residual } if residual.contains("CREATE TABLE")),
            "{e}"
        );
    }
}
