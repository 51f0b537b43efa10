//! `validate`: compares the revisions applied to the database with their files, and with `--accept` records
//! a reviewed change to one of them as what ran.

use serde::Serialize;

use super::take_lock;
use crate::dialect::Connection;
use crate::error::{CommandError, Error, Result};
use crate::history::{self, Action, Change, Entry, Fingerprint, Identity};
use crate::progress::Event;
use crate::project::Project;
use crate::scripts::Scripts;

/// One problem `validate` found.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    pub revision: String,
    pub file: Option<String>,
    pub detail: String,
}

/// What `validate` found: a bare array of findings in JSON.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Findings {
    pub findings: Vec<Finding>,
    /// How many applied revisions were compared, for the text form of a clean result.
    #[serde(skip)]
    pub applied: usize,
}

impl Findings {
    /// Fails, once the findings are out, when there is any.
    pub fn check(&self) -> Result<()> {
        if self.findings.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(format!(
            "validate found {} problem(s)",
            self.findings.len()
        )))
    }
}

/// What `validate --accept` recorded as what ran.
#[derive(Debug, Serialize)]
pub struct Accepted {
    pub revision: String,
    pub checksum: String,
    pub path: String,
}

/// `validate --accept REV`: records the file of that revision as what ran, unless that would count SQL that
/// never ran as applied. It waits for a migration that is running to finish, and holds the run lock while it
/// reads the heads and writes.
pub fn accept(p: &Project, rev: &str, events: &mut dyn FnMut(Event<'_>)) -> Result<Accepted> {
    accept_on(p, p.connect_existing()?.as_mut(), rev, events)
}

/// [`accept`], then [`validate`], on one connection: what `validate --accept REV` does.
pub fn accept_and_validate(
    p: &Project,
    rev: &str,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(Accepted, Findings)> {
    let mut conn = p.connect_existing()?;
    let accepted = accept_on(p, conn.as_mut(), rev, events)?;
    Ok((accepted, validate_on(p, conn.as_mut())?))
}

fn accept_on(
    p: &Project,
    conn: &mut dyn Connection,
    rev: &str,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Accepted> {
    let scripts = p.scripts()?;
    let history = p.history_table();
    let guard = take_lock(p, conn, events)?;
    let heads = p.db_heads(conn)?;
    let dialect = conn.dialect().engine;
    let known = known_heads(scripts, &heads);
    let ids = scripts.map.resolve(rev, &heads)?;
    let [id] = ids.as_slice() else {
        return Err(CommandError::AcceptOneAtATime {
            revision: rev.to_string(),
            count: ids.len(),
        }
        .into());
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
    guard.release(conn)?;
    Ok(Accepted {
        revision: id.to_string(),
        checksum: ran.checksum,
        path: script.path.display().to_string(),
    })
}

/// Compares the applied revisions with their files: changed SQL or parents, revisions counted as applied that
/// never ran, applied revisions whose file is gone, and version-table rows no file declares.
pub fn validate(p: &Project) -> Result<Findings> {
    validate_on(p, p.connect_existing()?.as_mut())
}

fn validate_on(p: &Project, conn: &mut dyn Connection) -> Result<Findings> {
    let scripts = p.scripts()?;
    let history = p.history_table();
    let heads = p.db_heads(conn)?;
    let dialect = conn.dialect().engine;
    let known = known_heads(scripts, &heads);
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
    let applied = if findings.is_empty() {
        scripts.map.applied(&known)?.len()
    } else {
        0
    };
    Ok(Findings { findings, applied })
}

/// The database's heads that a revision file declares; the others are reported, not compared.
fn known_heads(scripts: &Scripts, heads: &[String]) -> Vec<String> {
    heads
        .iter()
        .filter(|h| scripts.map.contains(h))
        .cloned()
        .collect()
}
