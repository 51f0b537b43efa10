//! The proof of an import: the dbkit files replayed on one scratch database and Alembic upgrading another,
//! one revision at a time in the order dbkit applies them, with both schemas compared after every revision
//! (the schema engine's comparison, less Alembic's version table).

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::python::Online;
use crate::dburl::SqliteTarget;
use crate::dialect::postgres::scratch::ScratchDb;
use crate::dialect::scratch::{same, Scratch, ScratchError, ScratchServer};
use crate::dialect::sqlite::SqliteConnection;
use crate::dialect::Access;
use crate::direction::Direction;
use crate::engine::Engine;
use crate::error::Result;
use crate::project::Project;
use crate::schema::Schema;
use crate::scripts::Scripts;

/// How far one dialect's replay agreed.
#[derive(Debug, Serialize)]
pub struct Verification {
    pub dialect: Engine,
    /// Revisions after which both schemas were the same, counted from base in dbkit's order.
    pub compared: usize,
    /// Revisions in the history.
    pub total: usize,
    /// Where the replay stopped short, if it did.
    pub difference: Option<Difference>,
}

impl Verification {
    /// Whether the schemas were the same after every revision.
    pub fn complete(&self) -> bool {
        self.difference.is_none() && self.compared == self.total
    }
}

/// The first revision after which the two histories disagree, or that one of them could not run.
#[derive(Debug, Serialize)]
pub struct Difference {
    pub revision: String,
    /// The SQL that would turn dbkit's schema into Alembic's, or why a side could not run the revision.
    pub detail: String,
}

/// Alembic's scratch database.
enum Theirs {
    Sqlite {
        conn: SqliteConnection,
        _dir: tempfile::TempDir,
    },
    Postgres(Box<ScratchDb>),
}

impl Theirs {
    /// An empty database and the URL Alembic reaches it by (with the password: it goes to Python's
    /// environment only).
    fn open(server: &ScratchServer) -> std::result::Result<(Theirs, String), ScratchError> {
        Ok(match server {
            ScratchServer::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| {
                    ScratchError::Open(Box::new(crate::Error::io("a temporary folder")(e)))
                })?;
                let path = dir.path().join("alembic.db");
                let conn = SqliteConnection::open(
                    &SqliteTarget::File(path.clone()),
                    Duration::from_secs(5),
                    Access::CreateIfMissing,
                )
                .map_err(|e| ScratchError::Open(Box::new(e)))?;
                let url = SqliteTarget::File(path).url();
                (Theirs::Sqlite { conn, _dir: dir }, url)
            }
            ScratchServer::Postgres(target) => {
                let db = ScratchDb::create(target)?;
                let url = target.with_dbname(db.name()).secret_url();
                (Theirs::Postgres(Box::new(db)), url)
            }
        })
    }

    fn inspect(&mut self) -> std::result::Result<Schema, ScratchError> {
        Ok(match self {
            Theirs::Sqlite { conn, .. } => crate::dialect::sqlite::inspect::inspect(conn)?,
            Theirs::Postgres(db) => crate::dialect::postgres::inspect::inspect(db.conn())?,
        })
    }
}

/// Replays both histories for `engine` and compares them after every revision.
pub(crate) fn verify(
    p: &Project,
    scripts: &Scripts,
    engine: Engine,
    python: &Path,
    ini: (&Path, &str),
    alembic_ids: &HashSet<&str>,
) -> Result<Verification> {
    let server = crate::command::server_for(p, engine)?;
    let mut steps = crate::dialect::scratch::upgrade_steps(scripts, None)
        .map_err(crate::command::SchemaError::from)?;
    // Revisions dbkit has and Alembic does not (written after the switch) have nothing to be compared with.
    steps.retain(|s| s.revision().is_some_and(|id| alembic_ids.contains(id)));
    let mut report = Verification {
        dialect: engine,
        compared: 0,
        total: steps.len(),
        difference: None,
    };
    let scratch = |e: ScratchError| crate::command::SchemaError::from(e);
    let mut ours = Scratch::open(&server).map_err(scratch)?;
    let (mut theirs, url) = Theirs::open(&server).map_err(scratch)?;
    let mut alembic = Online::start(python, ini, &url)?;
    let version_table = &p.settings.version_table;
    for step in steps {
        let id = step.revision().unwrap_or_default().to_string();
        let stop = |detail: String| Difference {
            revision: id.clone(),
            detail,
        };
        if let Err(e) = ours.replay_steps(scripts, vec![step]) {
            report.difference = Some(stop(format!("dbkit could not run it: {e}")));
            break;
        }
        if let Err(e) = alembic.upgrade(&id) {
            report.difference = Some(stop(format!("Alembic could not run it: {e}")));
            break;
        }
        let got = ours.inspect().map_err(scratch)?;
        let wanted = theirs
            .inspect()
            .map_err(scratch)?
            .without(|name| name.name.eq_ignore_ascii_case(version_table));
        match same(&got, &wanted, Direction::Up) {
            Ok(()) => report.compared += 1,
            Err(ScratchError::NotProven { residual, .. }) => {
                report.difference = Some(stop(format!(
                    "the schemas differ; from dbkit's to Alembic's:\n{residual}"
                )));
                break;
            }
            Err(e) => return Err(scratch(e).into()),
        }
    }
    Ok(report)
}
