//! The verbs that read: `current`, `history`, `heads`, `branches` and `show`. They read the revision files and
//! the database's heads (`current` always, the others only when asked about `current`); they never write. Each
//! returns its report: the revisions it found, in the shape `--json` prints, with what the text form needs.

use std::collections::HashSet;

use serde::Serialize;

use crate::dialect::{self, Access};
use crate::error::{CommandError, Error, Result};
use crate::graph::RevInfo;
use crate::project::Project;
use crate::script::Script;
use crate::scripts::Scripts;

/// A revision as the listing verbs report it: the fields `--json` prints, then what only the text form shows.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    pub revision: String,
    pub down_revisions: Vec<String>,
    /// Resolved to full revision ids.
    pub depends_on: Vec<String>,
    pub branch_labels: Vec<String>,
    pub message: String,
    pub path: String,
    pub create_date: Option<String>,
    pub is_head: bool,
    pub is_branch_point: bool,
    pub is_merge_point: bool,
    /// Whether the version table holds it; `None` (JSON `null`) when the command did not read the database.
    pub is_current: Option<bool>,
    /// `Depends On:` exactly as written in the file (a label stays a label), as the text form prints it.
    #[serde(skip)]
    pub depends_on_as_written: Vec<String>,
    /// Nothing revises it, but something depends on it.
    #[serde(skip)]
    pub is_effective_head: bool,
    /// The revisions that name it in `Revises:`.
    #[serde(skip)]
    pub children: Vec<String>,
    /// The header's comment lines, the message first.
    #[serde(skip)]
    pub doc: Vec<String>,
}

impl RevisionView {
    pub(crate) fn new(info: &RevInfo<'_>, script: &Script, current: Option<bool>) -> RevisionView {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        RevisionView {
            revision: info.id.to_string(),
            down_revisions: owned(&info.down),
            depends_on: owned(&info.dependencies),
            branch_labels: owned(&info.branch_labels),
            message: script.message().to_string(),
            path: script.path.display().to_string(),
            create_date: script.create_date.clone(),
            is_head: info.is_head,
            is_branch_point: info.is_branch_point,
            is_merge_point: info.is_merge_point,
            is_current: current,
            depends_on_as_written: info.depends_on.to_vec(),
            is_effective_head: info.is_effective_head,
            children: owned(&info.children),
            doc: script.doc.clone(),
        }
    }

    /// Marked `(current)` in the text form: the command read the database and the version table holds it.
    pub(crate) fn marked_current(&self) -> bool {
        self.is_current == Some(true)
    }
}

/// What `current` found.
#[derive(Debug, Serialize)]
pub struct Current {
    pub url: String,
    /// False when the database has no version table yet (nothing was ever applied or stamped); true at base
    /// after a downgrade to base.
    pub version_table_exists: bool,
    pub revisions: Vec<RevisionView>,
    pub heads: Vec<String>,
    pub at_head: bool,
    /// `-v`: the URL and each revision in full.
    #[serde(skip)]
    pub verbose: bool,
}

impl Current {
    /// `--check-heads`: fails, once the report is out, unless the database is at every head.
    pub fn check_heads(&self) -> Result<()> {
        if self.at_head {
            Ok(())
        } else {
            Err(Error::NotAtHead)
        }
    }
}

pub fn current(p: &Project, verbose: bool) -> Result<Current> {
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
    let mut views = Vec::new();
    for id in &revisions {
        let info = map.info(id).expect("current revisions are in the map");
        views.push(RevisionView::new(&info, scripts.get(id)?, Some(true)));
    }
    Ok(Current {
        url: url.masked(),
        version_table_exists,
        revisions: views,
        heads: db_heads,
        at_head,
        verbose,
    })
}

/// Which verb listed the revisions: it decides the parts of the one-line form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingKind {
    History,
    Heads,
    Show,
}

/// What `history`, `heads` and `show` list: a bare array in JSON.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Revisions {
    pub revisions: Vec<RevisionView>,
    #[serde(skip)]
    pub kind: ListingKind,
    /// `-v` (always, for `show`): each revision in full.
    #[serde(skip)]
    pub verbose: bool,
}

pub fn history(
    p: &Project,
    range: Option<&str>,
    verbose: bool,
    indicate_current: bool,
) -> Result<Revisions> {
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
    Ok(Revisions {
        revisions: views(scripts, &ids, indicate_current.then_some(&current))?,
        kind: ListingKind::History,
        verbose,
    })
}

/// `current` is the database's revisions when the command read them; without them, JSON says `is_current: null`
/// rather than guess.
fn views(
    scripts: &Scripts,
    ids: &[&str],
    current: Option<&HashSet<&str>>,
) -> Result<Vec<RevisionView>> {
    ids.iter()
        .map(|id| {
            let info = scripts
                .map
                .info(id)
                .expect("listed revisions are in the map");
            Ok(RevisionView::new(
                &info,
                scripts.get(id)?,
                current.map(|c| c.contains(id)),
            ))
        })
        .collect()
}

pub fn heads(p: &Project, verbose: bool) -> Result<Revisions> {
    let scripts = p.scripts()?;
    Ok(Revisions {
        revisions: views(scripts, &scripts.map.versioned_heads(), None)?,
        kind: ListingKind::Heads,
        verbose,
    })
}

/// A branch point and the revisions it branches into.
#[derive(Debug, Serialize)]
pub struct BranchPoint {
    #[serde(flatten)]
    pub revision: RevisionView,
    pub branches: Vec<RevisionView>,
}

/// What `branches` lists: a bare array of branch points in JSON.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Branches {
    pub branch_points: Vec<BranchPoint>,
    /// `-v`: each branch point in full, and each branch's message.
    #[serde(skip)]
    pub verbose: bool,
}

pub fn branches(p: &Project, verbose: bool) -> Result<Branches> {
    let scripts = p.scripts()?;
    let map = &scripts.map;
    let mut branch_points = Vec::new();
    for id in map.walk() {
        let info = map.info(id).expect("walked revisions are in the map");
        if !info.is_branch_point {
            continue;
        }
        let mut branches = Vec::new();
        for child in &info.children {
            let cinfo = map.info(child).expect("children are in the map");
            branches.push(RevisionView::new(&cinfo, scripts.get(child)?, None));
        }
        branch_points.push(BranchPoint {
            revision: RevisionView::new(&info, scripts.get(id)?, None),
            branches,
        });
    }
    Ok(Branches {
        branch_points,
        verbose,
    })
}

pub fn show(p: &Project, rev: &str) -> Result<Revisions> {
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
        return Err(CommandError::NothingToShow {
            symbol: rev.to_string(),
        }
        .into());
    }
    let rows: HashSet<&str> = current.iter().map(String::as_str).collect();
    Ok(Revisions {
        revisions: views(scripts, &ids, reads_db.then_some(&rows))?,
        kind: ListingKind::Show,
        verbose: true,
    })
}
