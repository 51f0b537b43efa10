//! `verify`: every revision's round trip on a scratch database. Each revision is applied and the schema read;
//! reverted, and the schema must be the one before it; applied again, and the schema must be the one the
//! first upgrade gave. On SQLite every empty table is given a row before each revision (see
//! [`seed`](crate::dialect::sqlite::seed)), and no step may leave a table that stays with fewer rows than it
//! had: a table rebuild that drops rows is caught as surely as a forgotten index. `PRAGMA foreign_key_check`
//! runs after every step, as in an upgrade.
//!
//! A revision with no down section for the engine is applied and reported, and fails the run only under
//! `strict`. The first revision that fails ends the run on that engine: the scratch database no longer holds
//! what the revisions after it were written for.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use thiserror::Error;

use super::schema::{server_for, targets, SchemaError};
use crate::dialect::scratch::{Scratch, ScratchError, ScratchServer};
use crate::dialect::sqlite::seed;
use crate::direction::Direction;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::graph::Step;
use crate::project::Project;
use crate::schema::difference::{differences, Deviation};
use crate::schema::{ObjectName, Schema};
use crate::scripts::Scripts;

/// What `verify` checks, and how strictly.
#[derive(Debug, Default, Clone)]
pub struct VerifyOptions {
    /// `start:end` as `history -r` takes it; every revision when `None`.
    pub range: Option<String>,
    /// One engine; the engines the project targets when `None`.
    pub dialect: Option<Engine>,
    /// A revision without a down section fails the run.
    pub strict: bool,
}

/// Why `verify` exits with [`crate::EXIT_VERIFY`].
#[derive(Debug, Error)]
pub enum VerifyError {
    /// `first` is the first problem's sentence.
    #[error("verify found {count} problem(s): {first}")]
    Failed { count: usize, first: String },
}

/// Each engine's revisions as `verify` found them.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub dialects: Vec<DialectVerified>,
}

#[derive(Debug, Serialize)]
pub struct DialectVerified {
    pub dialect: Engine,
    /// In upgrade order, up to the first that failed.
    pub revisions: Vec<RevisionVerified>,
}

#[derive(Debug, Serialize)]
pub struct RevisionVerified {
    pub revision: String,
    pub message: String,
    pub status: VerifyStatus,
    /// Empty unless `status` is `failed`.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    /// Up, down and up again gave the schemas they should, and kept the rows.
    Verified,
    /// No down section for this engine: applied, not reverted (a failure under `--strict`).
    NoDown,
    Failed,
}

/// The step of a round trip a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Upgrade,
    Downgrade,
    /// The upgrade after the downgrade.
    UpgradeAgain,
}

impl Stage {
    fn words(self) -> &'static str {
        match self {
            Stage::Upgrade => "upgrade",
            Stage::Downgrade => "downgrade",
            Stage::UpgradeAgain => "second upgrade",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The step left an object it should not have.
    Leaves,
    /// The step lacks an object it should have given.
    Lacks,
    /// The step gave an object in another form.
    Changes,
    /// A table that stayed has fewer rows.
    LosesRows,
    /// A statement failed, or a foreign key points nowhere after the step.
    Fails,
    /// No down section (a problem under `--strict` only).
    NoDown,
}

/// One thing wrong with a revision: `message` is the whole sentence, as `downgrade of 3f2a9c1b7d4e leaves
/// index ix_users_email`; `object` the object it is about, when it is about one.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub stage: Stage,
    pub kind: ProblemKind,
    pub object: Option<String>,
    pub message: String,
}

impl Verified {
    fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.dialects
            .iter()
            .flat_map(|d| &d.revisions)
            .flat_map(|r| &r.problems)
    }

    /// Ok when nothing failed; else the error with the count and the first problem.
    pub fn check(&self) -> Result<()> {
        let count = self.problems().count();
        match self.problems().next() {
            None => Ok(()),
            Some(first) => Err(VerifyError::Failed {
                count,
                first: first.message.clone(),
            }
            .into()),
        }
    }
}

/// `verify`: each revision in `o.range` (every one by default), on each target engine, applied, reverted and
/// applied again on a scratch database of its own.
pub fn verify(p: &Project, o: &VerifyOptions) -> Result<Verified> {
    let scripts = p.scripts()?;
    let servers = match o.dialect {
        Some(engine) => vec![server_for(p, engine)?],
        None => targets(p)?,
    };
    let wanted: Option<HashSet<&str>> = match &o.range {
        Some(range) => Some(scripts.map.history_range(range, &[])?.into_iter().collect()),
        None => None,
    };
    let mut dialects = Vec::new();
    for server in &servers {
        let revisions =
            round_trips(scripts, server, wanted.as_ref(), o.strict).map_err(SchemaError::from)?;
        dialects.push(DialectVerified {
            dialect: server.engine(),
            revisions,
        });
    }
    Ok(Verified { dialects })
}

/// One engine's round trips, from base, up to the last revision `wanted` (every one when `None`).
fn round_trips(
    scripts: &Scripts,
    server: &ScratchServer,
    wanted: Option<&HashSet<&str>>,
    strict: bool,
) -> std::result::Result<Vec<RevisionVerified>, ScratchError> {
    let engine = server.engine();
    let trips = scripts.map.plan_round_trips("heads").map_err(Error::from)?;
    let mut db = Scratch::open(server)?;
    let mut remaining = wanted.map_or(trips.len(), HashSet::len);
    // The schema the database holds, when it was read since the last change.
    let mut now: Option<Schema> = None;
    let mut out = Vec::new();
    for trip in trips {
        if remaining == 0 {
            break;
        }
        let id = trip.up.revision().unwrap_or_default().to_string();
        let script = scripts.get(&id)?;
        if wanted.is_some_and(|w| !w.contains(id.as_str())) {
            db.replay_steps(scripts, vec![trip.up])?;
            now = None;
            continue;
        }
        remaining -= 1;
        let mut verified = RevisionVerified {
            revision: id.clone(),
            message: script.message().to_string(),
            status: VerifyStatus::Verified,
            problems: Vec::new(),
        };
        let before = match now.take() {
            Some(schema) => schema,
            None => db.inspect()?,
        };
        let mut trip_of = Trip {
            db: &mut db,
            scripts,
            id: &id,
            rows: BTreeMap::new(),
            problems: &mut verified.problems,
        };
        if let Scratch::Sqlite(conn, _) = &mut *trip_of.db {
            trip_of.rows = seed::seed(conn, &before).map_err(Error::db(format!(
                "could not seed rows before revision '{id}'"
            )))?;
        }
        let has_down = script.section(Direction::Down, engine).is_some();
        now = match has_down {
            true => trip_of.run(trip, &before)?,
            // Applied alone, with its upgrade's checks, so the revisions after it find their schema.
            false => trip_of.step(Stage::Upgrade, trip.up, None)?,
        };
        if !has_down && verified.problems.is_empty() {
            verified.status = VerifyStatus::NoDown;
            if strict {
                verified.problems.push(Problem {
                    stage: Stage::Downgrade,
                    kind: ProblemKind::NoDown,
                    object: None,
                    message: format!("{id} has no down section for {engine}"),
                });
            }
        }
        let failed = !verified.problems.is_empty();
        if failed {
            verified.status = VerifyStatus::Failed;
        }
        out.push(verified);
        if failed {
            break;
        }
    }
    Ok(out)
}

/// One revision's round trip on `db`.
struct Trip<'a> {
    db: &'a mut Scratch,
    scripts: &'a Scripts,
    id: &'a str,
    /// The rows of each table before the upgrade (SQLite only; empty on PostgreSQL).
    rows: BTreeMap<ObjectName, u64>,
    problems: &'a mut Vec<Problem>,
}

impl Trip<'_> {
    /// Up, down, up again, each step checked; the schema at the end, or `None` when a problem was found.
    fn run(
        &mut self,
        trip: crate::graph::RoundTrip,
        before: &Schema,
    ) -> std::result::Result<Option<Schema>, ScratchError> {
        let Some(up) = self.step(Stage::Upgrade, trip.up, None)? else {
            return Ok(None);
        };
        if self
            .step(Stage::Downgrade, trip.down, Some(before))?
            .is_none()
        {
            return Ok(None);
        }
        self.step(Stage::UpgradeAgain, trip.again, Some(&up))
    }

    /// Runs one step and reads the schema it gave, which must be `expected` when given; `None` when the
    /// step failed or gave something else (the problems say what).
    fn step(
        &mut self,
        stage: Stage,
        step: Step,
        expected: Option<&Schema>,
    ) -> std::result::Result<Option<Schema>, ScratchError> {
        if let Err(e) = self.db.replay_steps(self.scripts, vec![step]) {
            return match revision_failed(&e) {
                true => {
                    self.problem(stage, ProblemKind::Fails, None, format!("fails: {e}"));
                    Ok(None)
                }
                false => Err(e),
            };
        }
        let got = self.db.inspect()?;
        if let Some(expected) = expected {
            for d in differences(expected, &got) {
                let kind = match d.deviation {
                    Deviation::Leaves => ProblemKind::Leaves,
                    Deviation::Lacks => ProblemKind::Lacks,
                    Deviation::Changes => ProblemKind::Changes,
                };
                self.problem(stage, kind, Some(d.object.clone()), d.to_string());
            }
        }
        self.rows_kept(stage, &got)?;
        Ok(self.problems.is_empty().then_some(got))
    }

    /// Every seeded or filled table that is still there has at least the rows it had before the upgrade.
    fn rows_kept(&mut self, stage: Stage, got: &Schema) -> std::result::Result<(), ScratchError> {
        let Scratch::Sqlite(conn, _) = &mut *self.db else {
            return Ok(());
        };
        let watched: Vec<&ObjectName> = self
            .rows
            .iter()
            .filter(|(name, n)| **n > 0 && got.table(name).is_some())
            .map(|(name, _)| name)
            .collect();
        if watched.is_empty() {
            return Ok(());
        }
        let counts = seed::row_counts(conn, &watched)
            .map_err(Error::db("could not count the seeded rows"))?;
        let mut lost = Vec::new();
        for (name, after) in counts {
            let before = self.rows[&name];
            if after < before {
                lost.push((name, before, after));
            }
        }
        for (name, before, after) in lost {
            self.problem(
                stage,
                ProblemKind::LosesRows,
                Some(format!("table {name}")),
                format!("loses rows of table {name} ({before} before, {after} after)"),
            );
        }
        Ok(())
    }

    fn problem(&mut self, stage: Stage, kind: ProblemKind, object: Option<String>, what: String) {
        self.problems.push(Problem {
            stage,
            kind,
            object,
            message: format!("{} of {} {what}", stage.words(), self.id),
        });
    }
}

/// Whether an error is the revision's own (a statement refused, a foreign key left pointing nowhere, a
/// section the runner refuses) rather than the scratch database's or the server's.
fn revision_failed(e: &ScratchError) -> bool {
    match e {
        ScratchError::Replay(e) => matches!(
            **e,
            Error::Statement(_) | Error::DanglingReferences(_) | Error::Run(_) | Error::Script(_)
        ),
        _ => false,
    }
}
