//! `lint`: the lint rules over the revisions' up sections, per dialect, and the warnings `upgrade` prints for
//! the revisions it is about to apply. Down sections are not linted: they undo their up section, and dropping
//! what the up section made is their job.

use std::collections::HashSet;

use serde::Serialize;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::graph::Step;
use crate::lint::{self, Linter, Rule, Severity};
use crate::project::Project;
use crate::scripts::Scripts;
use crate::Direction;

/// One finding: a rule broken at a line of a revision file, with why it matters and what to write instead.
#[derive(Debug, Clone, Serialize)]
pub struct LintFinding {
    pub rule: &'static str,
    pub severity: Severity,
    pub revision: String,
    pub file: String,
    pub line: usize,
    /// The dialect whose section broke the rule; none for a malformed allow comment, which is the file's.
    pub dialect: Option<Engine>,
    pub message: String,
    pub why: &'static str,
    pub instead: &'static str,
}

/// A finding that a `-- dbkit:allow` comment in its revision accepted.
#[derive(Debug, Clone, Serialize)]
pub struct AllowedFinding {
    pub rule: &'static str,
    pub revision: String,
    pub file: String,
    pub line: usize,
    pub dialect: Engine,
    pub message: String,
    pub reason: String,
    /// The line of the allow comment.
    pub allowed_at: usize,
}

/// What `lint` found.
#[derive(Debug, Serialize)]
pub struct Lint {
    /// How many revisions were linted.
    pub revisions: usize,
    pub dialects: Vec<Engine>,
    pub findings: Vec<LintFinding>,
    pub allowed: Vec<AllowedFinding>,
    /// The rules the ini file's `lint_disable` turns off.
    pub disabled: Vec<&'static str>,
}

impl Lint {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// An error (exit [`crate::EXIT_LINT`]) when any finding is an error; warnings pass.
    pub fn check(&self) -> Result<()> {
        match self.errors() {
            0 => Ok(()),
            errors => Err(Error::Lint { errors }),
        }
    }
}

/// `lint [-r a:b] [--dialect D]`: every revision (or those of a history range), oldest first, for each
/// dialect the project targets. The revisions before the range are read too, for what they leave behind
/// (SQLite's indexes), but only those in it are reported.
pub fn lint(p: &Project, range: Option<&str>, dialect: Option<Engine>) -> Result<Lint> {
    let scripts = p.scripts()?;
    let order = oldest_first(scripts);
    let in_range: Option<HashSet<&str>> = match range {
        Some(r) => Some(scripts.map.history_range(r, &[])?.into_iter().collect()),
        None => None,
    };
    let dialects = match dialect {
        Some(d) => vec![d],
        None => targets(p, scripts),
    };
    let reported = |id: &str| in_range.as_ref().is_none_or(|r| r.contains(id));
    run(p, scripts, &order, &reported, &dialects)
}

/// The findings for the revisions an upgrade's steps apply on `engine`, in order. The revisions before them
/// are read too, as `lint -r` reads them, for what they leave behind (an index on a column, a check that
/// makes `SET NOT NULL` safe); nothing is read when there is no step to take.
pub(crate) fn before_upgrade(
    p: &Project,
    steps: &[Step],
    engine: Engine,
) -> Result<Vec<LintFinding>> {
    let pending: HashSet<&str> = steps
        .iter()
        .filter(|s| s.direction() == Some(Direction::Up))
        .filter_map(Step::revision)
        .collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let scripts = p.scripts()?;
    let mut order = oldest_first(scripts);
    if let Some(last) = order.iter().rposition(|id| pending.contains(id)) {
        order.truncate(last + 1);
    }
    Ok(run(p, scripts, &order, &|id| pending.contains(id), &[engine])?.findings)
}

/// Every revision, each after those it revises.
fn oldest_first(scripts: &Scripts) -> Vec<&str> {
    let mut order = scripts.map.walk();
    order.reverse();
    order
}

/// The dialects to lint: the configured database's (when its URL reads), the ini file's `dialects`, and any
/// dialect a revision has a section of its own for; PostgreSQL when none says.
fn targets(p: &Project, scripts: &Scripts) -> Vec<Engine> {
    let mut wanted: Vec<Engine> = p.settings.dialects.clone();
    if let Ok(url) = p.settings.database_url() {
        wanted.push(url.engine());
    }
    for engine in [Engine::Sqlite, Engine::Postgresql] {
        if scripts.iter().any(|s| s.has_section_for(engine)) {
            wanted.push(engine);
        }
    }
    let dialects: Vec<Engine> = [Engine::Sqlite, Engine::Postgresql]
        .into_iter()
        .filter(|e| wanted.contains(e))
        .collect();
    if dialects.is_empty() {
        vec![Engine::Postgresql]
    } else {
        dialects
    }
}

fn run(
    p: &Project,
    scripts: &Scripts,
    order: &[&str],
    reported: &dyn Fn(&str) -> bool,
    dialects: &[Engine],
) -> Result<Lint> {
    let disabled = &p.settings.lint_disable;
    let mut report = Lint {
        revisions: 0,
        dialects: dialects.to_vec(),
        findings: Vec::new(),
        allowed: Vec::new(),
        disabled: disabled.iter().map(|r| r.id()).collect(),
    };
    let finding = |rule: Rule, id: &str, file: &str, dialect, line, message| LintFinding {
        rule: rule.id(),
        severity: rule.severity(),
        revision: id.to_string(),
        file: file.to_string(),
        line,
        dialect,
        message,
        why: rule.why(),
        instead: rule.instead(),
    };
    let mut linters: Vec<Linter> = dialects.iter().map(|&d| Linter::new(d)).collect();
    for &id in order {
        let script = scripts.get(id)?;
        let report_this = reported(id);
        let file = script.path.display().to_string();
        // Allow comments are read only for revisions that are reported, and only once each.
        let (allows, bad) = if report_this {
            report.revisions += 1;
            lint::allow_comments(script.text())
        } else {
            Default::default()
        };
        for hit in bad.into_iter().filter(|h| !disabled.contains(&h.rule)) {
            report
                .findings
                .push(finding(hit.rule, id, &file, None, hit.line, hit.message));
        }
        for (linter, &dialect) in linters.iter_mut().zip(dialects) {
            let Some(section) = script.section(Direction::Up, dialect) else {
                continue;
            };
            let statements = script.statements(section, dialect)?;
            let pairs: Vec<(&str, usize)> = statements.iter().map(|s| (s.sql, s.line)).collect();
            let hits = linter.section(&pairs, section.transaction);
            if !report_this {
                continue;
            }
            for hit in hits.into_iter().filter(|h| !disabled.contains(&h.rule)) {
                match allows.iter().find(|a| a.rule == hit.rule) {
                    Some(allow) => report.allowed.push(AllowedFinding {
                        rule: hit.rule.id(),
                        revision: id.to_string(),
                        file: file.clone(),
                        line: hit.line,
                        dialect,
                        message: hit.message,
                        reason: allow.reason.clone(),
                        allowed_at: allow.line,
                    }),
                    None => report.findings.push(finding(
                        hit.rule,
                        id,
                        &file,
                        Some(dialect),
                        hit.line,
                        hit.message,
                    )),
                }
            }
        }
    }
    Ok(report)
}
