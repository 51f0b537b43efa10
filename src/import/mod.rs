//! `import-alembic`: an Alembic history (Python revision files) turned into dbkit revision files with the same
//! ids, parents, branch labels, dependencies, messages and dates, so the `alembic_version` rows of existing
//! databases keep meaning the same thing.
//!
//! Alembic itself does the reading and the rendering ([`python`]): its offline mode, through the project's own
//! env.py, prints each revision's SQL for each dialect. [`convert`] turns that into sections; what Alembic
//! cannot render offline (a data migration that reads rows) is written with its Python kept as comments and an
//! `-- Unconverted:` line, and listed. [`verify`] then replays both histories on scratch databases, one revision
//! at a time, and compares their schemas after each.

mod convert;
mod python;
mod verify;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::direction::Direction;
use crate::engine::Engine;
use crate::error::Result;
use crate::project::Project;
use crate::script::{self, NewRevision, Script};
use crate::scripts::Scripts;

pub use verify::{Difference, Verification};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "import-alembic reads an Alembic ini file and none was found; give it with -c alembic.ini"
    )]
    NoIni,
    #[error("no Python interpreter at {tried}; give one with --python (an interpreter, or a virtualenv's folder with Alembic installed)")]
    NoPython { tried: String },
    #[error("could not run {}: {source}", .python.display())]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    /// Alembic could not read the history or run env.py offline; `stderr` is the end of what it printed.
    #[error("Alembic could not render the history for {dialect}: {message}\n{stderr}")]
    Render {
        dialect: Engine,
        message: String,
        stderr: String,
    },
    /// Alembic could not read the history; `stderr` is the end of what it printed.
    #[error("Alembic could not read the history: {message}\n{stderr}")]
    Read { message: String, stderr: String },
    /// The dialect runs did not see the same history (an env.py that picks revisions by dialect).
    #[error("Alembic's history for {dialect} differs from the one for {first}: revision '{id}'")]
    HistoriesDiffer {
        first: Engine,
        dialect: Engine,
        id: String,
    },
    #[error("no dialect to import for: the database URL gives none ({reason}); give --dialect sqlite,postgresql")]
    NoDialect { reason: String },
    #[error("revision '{id}' already has a dbkit file, {}; pass --overwrite to replace it", .path.display())]
    Exists { id: String, path: PathBuf },
    /// The file a revision would be written to exists and is not that revision's.
    #[error("{} exists and is not a revision of the history; move it away first", .path.display())]
    Occupied { path: PathBuf },
    /// The Python revision sits where dbkit does not read revisions (a sub-folder, or a location the ini file
    /// does not list): its SQL there would never run.
    #[error("{} is not in a version location dbkit reads ({}); list its folder in version_locations", .path.display(), .locations)]
    OutsideVersionLocations { path: PathBuf, locations: String },
    /// Written, but not all of it converts or verifies; the report lists what and where.
    #[error("imported with {unconverted} part(s) not converted and {differences} dialect(s) not verified to the end; see the list above")]
    Incomplete {
        unconverted: usize,
        differences: usize,
    },
}

impl From<ImportError> for crate::Error {
    fn from(e: ImportError) -> crate::Error {
        crate::Error::Import(Box::new(e))
    }
}

/// What to import and how.
#[derive(Debug, Clone, Default)]
pub struct ImportArgs {
    /// The dialects to render for; empty for the database URL's engine and the ini file's `dialects`.
    pub dialects: Vec<Engine>,
    /// The Python that has Alembic (and the project's imports); see [`python::interpreter`].
    pub python: Option<PathBuf>,
    /// Replace dbkit files that already hold a revision of the history.
    pub overwrite: bool,
    /// Skip replaying both histories to compare them.
    pub no_verify: bool,
    /// Write nothing: compare the dbkit files already there (finished by hand, say) with the Alembic history.
    pub verify_only: bool,
}

/// What `import-alembic` did.
#[derive(Debug, Serialize)]
pub struct Imported {
    pub dialects: Vec<Engine>,
    /// Every revision, oldest first.
    pub revisions: Vec<ImportedRevision>,
    /// What could not be rendered: each also an `-- Unconverted:` line in its file.
    pub unconverted: Vec<UnconvertedPart>,
    /// Sections Alembic ran partly outside a transaction, now `transaction:false` as a whole.
    pub mixed_transactions: Vec<String>,
    /// One per dialect, unless verification was skipped.
    pub verification: Vec<Verification>,
}

#[derive(Debug, Serialize)]
pub struct ImportedRevision {
    pub id: String,
    pub path: PathBuf,
    /// Whether the file replaced an existing dbkit file.
    pub replaced: bool,
}

#[derive(Debug, Serialize)]
pub struct UnconvertedPart {
    pub id: String,
    pub path: PathBuf,
    /// `upgrade` or `downgrade`.
    pub direction: &'static str,
    pub dialects: Vec<Engine>,
    pub reason: String,
}

impl Imported {
    /// For the exit status: an error with its own code when a part was not converted or a dialect's
    /// verification found a difference.
    pub fn check(&self) -> Result<()> {
        let differences = self.verification.iter().filter(|v| !v.complete()).count();
        if self.unconverted.is_empty() && differences == 0 {
            return Ok(());
        }
        Err(ImportError::Incomplete {
            unconverted: self.unconverted.len(),
            differences,
        }
        .into())
    }
}

/// Imports the Alembic history of the project's ini file into dbkit revision files beside the Python ones.
/// Nothing is written unless every dialect renders and the new files make a valid history with the dbkit
/// files already there.
pub fn import_alembic(p: &Project, args: &ImportArgs) -> Result<Imported> {
    let ini = p.settings.ini_file.as_deref().ok_or(ImportError::NoIni)?;
    let ini = (ini, p.settings.ini_section.as_str());
    let dialects = dialects(p, args)?;
    let interpreter = python::interpreter(args.python.as_deref())?;
    let interpreter = interpreter.as_path();
    if args.verify_only {
        return verify_existing(p, &dialects, interpreter, ini);
    }

    // One Python process per dialect, side by side.
    let rendered: Vec<Vec<python::Rendered>> = std::thread::scope(|scope| {
        let runs: Vec<_> = dialects
            .iter()
            .map(|&engine| scope.spawn(move || python::render(interpreter, ini, engine)))
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("a render thread panicked"))
            .collect::<std::result::Result<Vec<_>, ImportError>>()
    })?;
    let history = &rendered[0];
    let by_id: Vec<HashMap<&str, &python::Rendered>> = rendered
        .iter()
        .map(|revs| revs.iter().map(|r| (r.id.as_str(), r)).collect())
        .collect();
    for (i, index) in by_id.iter().enumerate().skip(1) {
        if let Some(r) = history
            .iter()
            .find(|r| !index.contains_key(r.id.as_str()))
            .or_else(|| {
                rendered[i]
                    .iter()
                    .find(|r| !by_id[0].contains_key(r.id.as_str()))
            })
        {
            return Err(ImportError::HistoriesDiffer {
                first: dialects[0],
                dialect: dialects[i],
                id: r.id.clone(),
            }
            .into());
        }
    }

    let existing = p.scripts()?;
    let mut report = Imported {
        dialects: dialects.clone(),
        revisions: Vec::new(),
        unconverted: Vec::new(),
        mixed_transactions: Vec::new(),
        verification: Vec::new(),
    };
    // Each file with whether it replaces a dbkit revision already there.
    // Each new file's text, in the order of `report.revisions`, which says where it goes.
    let mut texts: Vec<String> = Vec::new();
    let mut new_scripts: Vec<Script> = Vec::new();
    for revision in history {
        let per_dialect: Vec<(Engine, &python::Rendered)> = dialects
            .iter()
            .zip(&by_id)
            .map(|(&engine, index)| (engine, index[revision.id.as_str()]))
            .collect();
        // A revision dbkit already has is replaced where it is; a new one goes beside its Python file.
        let replaced = existing.find(&revision.id).map(|s| s.path.clone());
        let path = match replaced.clone() {
            Some(path) if args.overwrite => path,
            Some(path) => {
                let id = revision.id.clone();
                return Err(ImportError::Exists { id, path }.into());
            }
            None => revision.path.with_extension("sql"),
        };
        if replaced.is_none() && path.exists() {
            return Err(ImportError::Occupied { path }.into());
        }
        if replaced.is_none() && !in_a_location(&path, &p.settings.version_locations) {
            return Err(ImportError::OutsideVersionLocations {
                path,
                locations: p
                    .settings
                    .version_locations
                    .iter()
                    .map(|l| l.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into());
        }
        let built = build(revision, &per_dialect);
        for part in &built.unrendered {
            report.unconverted.push(UnconvertedPart {
                id: revision.id.clone(),
                path: path.clone(),
                direction: part.direction.verb(),
                dialects: part.engines.clone(),
                reason: part.reason.clone(),
            });
        }
        if built.mixed {
            report.mixed_transactions.push(revision.id.clone());
        }
        new_scripts.push(Script::parse(&path, &built.text)?);
        report.revisions.push(ImportedRevision {
            id: revision.id.clone(),
            replaced: replaced.is_some(),
            path: path.clone(),
        });
        texts.push(built.text);
    }

    // The new files with the dbkit files already there: one history, checked before anything is written.
    let mut all: Vec<Script> = existing
        .iter()
        .filter(|s| !by_id[0].contains_key(s.id.as_str()))
        .cloned()
        .collect();
    all.extend(new_scripts);
    let scripts = Scripts::from_scripts(all, &p.settings.version_locations)?;
    if !args.no_verify {
        let alembic_ids: HashSet<&str> = by_id[0].keys().copied().collect();
        for &engine in &dialects {
            report.verification.push(verify::verify(
                p,
                &scripts,
                engine,
                interpreter,
                ini,
                &alembic_ids,
            )?);
        }
    }
    for (r, text) in report.revisions.iter().zip(&texts) {
        match r.replaced {
            true => crate::command::write_atomically(&r.path, text)?,
            // A file that appeared while the history was verified is not overwritten.
            false => crate::command::write_new_file(&r.path, text)?,
        }
    }
    Ok(report)
}

/// Whether `path` is directly in one of `locations`, where dbkit reads revisions.
fn in_a_location(path: &Path, locations: &[PathBuf]) -> bool {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let Some(dir) = path.parent().map(canonical) else {
        return false;
    };
    locations.iter().any(|l| canonical(l) == dir)
}

/// The dbkit files as they are, replayed against Alembic's history on every dialect; nothing is written.
fn verify_existing(
    p: &Project,
    dialects: &[Engine],
    interpreter: &std::path::Path,
    ini: (&std::path::Path, &str),
) -> Result<Imported> {
    let scripts = p.scripts()?;
    // As after an import, the comparison covers the revisions both histories hold: not those written in dbkit
    // after the switch.
    let alembic_ids = python::revision_ids(interpreter, ini)?;
    let alembic_ids: HashSet<&str> = alembic_ids.iter().map(String::as_str).collect();
    let verification = dialects
        .iter()
        .map(|&engine| verify::verify(p, scripts, engine, interpreter, ini, &alembic_ids))
        .collect::<Result<Vec<_>>>()?;
    Ok(Imported {
        dialects: dialects.to_vec(),
        revisions: Vec::new(),
        unconverted: Vec::new(),
        mixed_transactions: Vec::new(),
        verification,
    })
}

/// `--dialect`, else the database URL's engine and the ini file's `dialects`.
fn dialects(p: &Project, args: &ImportArgs) -> Result<Vec<Engine>> {
    let mut engines: Vec<Engine> = Vec::new();
    let wanted = if args.dialects.is_empty() {
        match p.settings.database_url() {
            Ok(url) => std::iter::once(url.engine())
                .chain(p.settings.dialects.iter().copied())
                .collect(),
            Err(_) if !p.settings.dialects.is_empty() => p.settings.dialects.clone(),
            Err(e) => {
                return Err(ImportError::NoDialect {
                    reason: e.to_string(),
                }
                .into())
            }
        }
    } else {
        args.dialects.clone()
    };
    for engine in wanted {
        if !engines.contains(&engine) {
            engines.push(engine);
        }
    }
    Ok(engines)
}

/// One revision's file.
struct Built<'a> {
    text: String,
    unrendered: Vec<convert::Unrendered<'a>>,
    mixed: bool,
}

/// The dbkit file for one revision, from what each dialect's run gave.
fn build<'a>(
    revision: &'a python::Rendered,
    per_dialect: &[(Engine, &'a python::Rendered)],
) -> Built<'a> {
    let mut unrendered: Vec<convert::Unrendered<'a>> = Vec::new();
    let mut split_errors: Vec<String> = Vec::new();
    let mut mixed = false;
    let mut sections = String::new();
    for direction in [Direction::Up, Direction::Down] {
        let mut converted: Vec<(Engine, Option<convert::Section>)> = Vec::new();
        for &(engine, r) in per_dialect {
            let (sql, error, python) = match direction {
                Direction::Up => (&r.up, &r.up_error, &r.up_python),
                Direction::Down => (&r.down_sql, &r.down_sql_error, &r.down_sql_python),
            };
            let section = match sql {
                Some(sql) => match convert::section(sql, engine) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        split_errors.push(format!(
                            "the SQL Alembic printed does not read as statements: {e}"
                        ));
                        None
                    }
                },
                None => None,
            };
            if section.is_none() {
                let reason = match (sql, error) {
                    (Some(_), _) => split_errors.last().cloned().unwrap_or_default(),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "Alembic rendered nothing".to_string(),
                };
                match unrendered
                    .iter_mut()
                    .find(|u| u.direction == direction && u.reason == reason)
                {
                    Some(u) => u.engines.push(engine),
                    None => unrendered.push(convert::Unrendered {
                        direction,
                        engines: vec![engine],
                        reason,
                        python: python.as_deref(),
                    }),
                }
            }
            mixed |= section.as_ref().is_some_and(|s| s.mixed);
            converted.push((engine, section));
        }
        let refs: Vec<(Engine, Option<&convert::Section>)> =
            converted.iter().map(|(e, s)| (*e, s.as_ref())).collect();
        sections.push_str(&convert::sections_text(direction, &refs));
    }
    let mut body = convert::unconverted_text(&unrendered);
    body.push_str(&sections);
    let message = revision.message.join(" ");
    // A message that would read as a marker is quoted rather than refused: the id must stay the same.
    let message = match script::validate_message(&message) {
        Ok(()) => message,
        Err(_) => format!("\"{message}\""),
    };
    let text = script::render(&NewRevision {
        id: &revision.id,
        message: &message,
        down: &revision.down,
        branch_labels: &revision.branch_labels,
        depends_on: &revision.depends_on,
        create_date: revision.create_date.as_deref().unwrap_or(""),
        sections: Some(&body),
    });
    Built {
        text,
        unrendered,
        mixed,
    }
}
