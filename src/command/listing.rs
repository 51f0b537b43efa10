//! The verbs that read: `current`, `history`, `heads`, `branches` and `show`. They read the revision files and
//! the database's heads (`current` always, the others only when asked about `current`); they never write.

use std::collections::HashSet;
use std::io::Write;

use serde::Serialize;

use super::{emit, stdout_err};
use crate::dialect::{self, Access};
use crate::display::{self, LineParts, RevisionJson};
use crate::error::{CommandError, Error, Result};
use crate::project::Project;
use crate::scripts::Scripts;

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
        return Err(CommandError::NothingToShow {
            symbol: rev.to_string(),
        }
        .into());
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
