//! The verbs that write revision files: `revision` (and `create`), `merge`, and `init`, which starts a scripts
//! folder. A new file is checked against the graph before it is written, and never overwrites another.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{CommandError, Error, Result};
use crate::graph::{GraphError, Revision, RevisionMap};
use crate::hooks::{Hook, HookConfig};
use crate::project::Project;
use crate::script::{self, NewRevision, Script, TemplateValues};
use crate::scripts::Scripts;

/// What a new revision should be.
#[derive(Debug, Clone, Default)]
pub struct NewRevisionArgs {
    pub message: Option<String>,
    /// `head` unless given; `base` starts a new root.
    pub head: Option<String>,
    pub splice: bool,
    pub branch_label: Option<String>,
    pub depends_on: Vec<String>,
    pub rev_id: Option<String>,
    pub version_path: Option<PathBuf>,
}

/// A revision file written by `revision`, `create` or `merge`.
#[derive(Debug, Serialize)]
pub struct Generated {
    /// The new file, absolute.
    pub path: PathBuf,
}

/// What `init` made: the versions folder, and the ini file unless one was there.
#[derive(Debug, Serialize)]
pub struct ScriptsFolder {
    /// The versions folder, absolute.
    pub versions: PathBuf,
    /// The ini file, as named on the command line.
    pub config: PathBuf,
    /// The ini file, absolute, when `init` wrote it; `None` when one was already there.
    pub config_written: Option<PathBuf>,
}

/// Writes a new, empty revision.
pub fn revision(p: &Project, args: &NewRevisionArgs) -> Result<Generated> {
    let scripts = p.scripts()?;
    let head = args.head.as_deref().unwrap_or("head");
    let heads = resolve_heads(scripts, &[head.to_string()], CommandError::AmbiguousHead)?;
    write_revision(p, scripts, heads, args, None, &prepare_hooks(p)?)
}

/// Writes a revision that merges the given revisions (`heads` for all).
pub fn merge(p: &Project, revisions: &[String], args: &NewRevisionArgs) -> Result<Generated> {
    let scripts = p.scripts()?;
    let heads = resolve_heads(scripts, revisions, CommandError::MultipleHeads)?;
    if heads.len() < 2 {
        return Err(CommandError::MergeOfOne {
            revisions: revisions.join(" "),
            count: heads.len(),
        }
        .into());
    }
    write_revision(p, scripts, heads, args, None, &prepare_hooks(p)?)
}

/// The ini file's post-write hooks, each checked and its executable found, so that one that cannot run fails
/// the command before it writes anything (or, for `--autogenerate`, before any scratch database work).
pub(super) fn prepare_hooks(p: &Project) -> Result<Vec<Hook>> {
    Ok(p.settings
        .post_write_hooks
        .iter()
        .map(HookConfig::prepare)
        .collect::<std::result::Result<Vec<_>, _>>()?)
}

/// The revisions `specs` name, each once; `multiple` is the error for a spec that names several heads where
/// one was meant.
pub(super) fn resolve_heads(
    scripts: &Scripts,
    specs: &[String],
    multiple: CommandError,
) -> Result<Vec<String>> {
    let mut heads: Vec<String> = Vec::new();
    for spec in specs {
        match scripts.map.resolve(spec, &[]) {
            Ok(ids) => heads.extend(ids.into_iter().map(str::to_string)),
            Err(GraphError::MultipleHeads { .. }) => return Err(multiple.into()),
            Err(e) => return Err(e.into()),
        }
    }
    let unique: HashSet<&String> = heads.iter().collect();
    if unique.len() != heads.len() {
        return Err(CommandError::DuplicateHeads.into());
    }
    Ok(heads)
}

/// Writes a new revision based on `heads`, with `sections` (from the first marker on) or empty ones, then runs
/// `hooks` (from [`prepare_hooks`]) on it.
pub(super) fn write_revision(
    p: &Project,
    scripts: &Scripts,
    heads: Vec<String>,
    args: &NewRevisionArgs,
    sections: Option<&str>,
    hooks: &[Hook],
) -> Result<Generated> {
    let map = &scripts.map;
    if !args.splice {
        // As in Alembic, a revision no other revises is a head here even when another depends on it (an effective
        // head): `upgrade head` counts it, so merging it in must not need --splice.
        for h in &heads {
            if !map
                .info(h)
                .is_some_and(|i| i.is_head || i.is_effective_head)
            {
                return Err(CommandError::NotAHead {
                    revision: h.clone(),
                }
                .into());
            }
        }
    }
    let id = args.rev_id.clone().unwrap_or_else(new_rev_id);
    script::validate_id(&id).map_err(CommandError::InvalidId)?;
    if map.contains(&id) {
        return Err(CommandError::RevisionExists { id }.into());
    }
    let depends_on = args
        .depends_on
        .iter()
        .map(|dep| {
            let ids = map.resolve(dep, &[])?;
            // Branch labels stay labels; partial ids become full ids.
            Ok(match ids.as_slice() {
                [one] if !one.starts_with(dep.as_str()) || *one == dep => dep.clone(),
                [one] => one.to_string(),
                _ => dep.clone(),
            })
        })
        .collect::<Result<Vec<String>>>()?;
    let labels: Vec<String> = args
        .branch_label
        .iter()
        .flat_map(|l| l.split(','))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();

    // Building the graph with the new revision in it catches a reused label or a bad dependency up front.
    let mut revisions: Vec<Revision> = scripts.iter().map(Script::revision).collect();
    revisions.push(Revision {
        id: id.clone(),
        down: heads.clone(),
        depends_on: depends_on.clone(),
        branch_labels: labels.clone(),
    });
    RevisionMap::new(revisions)?;

    let dir = match &args.version_path {
        Some(d) => d.clone(),
        None => match scripts.default_location() {
            Some(d) => d.to_path_buf(),
            None => heads
                .iter()
                .find_map(|h| {
                    scripts
                        .find(h)
                        .and_then(|s| s.path.parent().map(Path::to_path_buf))
                })
                .ok_or(CommandError::NoVersionPath)?,
        },
    };
    let now_utc = chrono::Utc::now();
    let time = p.settings.now()?;
    let message = args
        .message
        .clone()
        .unwrap_or_else(|| "empty message".into());
    script::validate_message(&message).map_err(CommandError::InvalidMessage)?;
    let slug = script::slug(
        args.message.as_deref().unwrap_or(""),
        p.settings.truncate_slug_length,
    );
    let name = script::render_file_template(
        &p.settings.file_template,
        &TemplateValues {
            rev: &id,
            slug: &slug,
            time,
            epoch: now_utc.timestamp(),
        },
    )
    .map_err(CommandError::FileTemplate)?;
    let path = dir.join(format!("{name}.sql"));
    let text = script::render(&NewRevision {
        id: &id,
        message: &message,
        down: &heads,
        branch_labels: &labels,
        depends_on: &depends_on,
        create_date: &time.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        sections,
    });
    write_new_file(&path, &text)?;
    let path = std::path::absolute(&path).unwrap_or(path);
    for hook in hooks {
        hook.run(&path)?;
        // A hook may rewrite the file (that is what formatters do), but the revision must stay the one the
        // graph was checked with.
        check_rewritten(&path, (&id, &heads, &labels, &depends_on), hook.name())?;
    }
    Ok(Generated { path })
}

/// The file a hook rewrote still parses, with the id, parents, branch labels and dependencies it was written
/// with: what places it in the graph.
fn check_rewritten(
    path: &Path,
    (id, down, labels, depends_on): (&str, &[String], &[String], &[String]),
    hook: &str,
) -> Result<()> {
    let broke = |reason: String| crate::hooks::HookError::BrokeFile {
        hook: hook.to_string(),
        path: path.to_path_buf(),
        reason,
    };
    let script = Script::load(path).map_err(|e| broke(e.to_string()))?;
    if script.branch_labels != labels || script.depends_on != depends_on {
        return Err(broke(format!(
            "its branch labels or dependencies changed (now '{}' and '{}')",
            script.branch_labels.join(", "),
            script.depends_on.join(", ")
        ))
        .into());
    }
    if script.id != id || script.down != down {
        return Err(broke(format!(
            "it now says revision '{}' revising '{}', not '{id}' revising '{}'",
            script.id,
            script.down.join(", "),
            down.join(", ")
        ))
        .into());
    }
    Ok(())
}

/// Writes under a temporary name in the same directory and renames, refusing to overwrite an existing file.
pub(crate) fn write_new_file(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    // Created as any file is (0666 less the umask), not private as temporary files are: revision files and the
    // ini file are read by the application and by other users of the project.
    let mut tmp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(Error::io(dir))?;
    tmp.write_all(text.as_bytes()).map_err(Error::io(path))?;
    tmp.as_file().sync_all().map_err(Error::io(path))?;
    tmp.persist_noclobber(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Twelve lowercase hex characters from the operating system's random source.
pub(crate) fn new_rev_id() -> String {
    let mut bytes = [0u8; 6];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if filled.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mixed = nanos ^ (u128::from(std::process::id()) << 64);
        bytes.copy_from_slice(&mixed.to_le_bytes()[..6]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a scripts folder and, when there is none, an ini file pointing at it.
pub fn init(directory: &Path, config: &Path) -> Result<ScriptsFolder> {
    if directory.exists()
        && std::fs::read_dir(directory)
            .map_err(Error::io(directory))?
            .next()
            .is_some()
    {
        return Err(CommandError::DirectoryNotEmpty {
            directory: directory.to_path_buf(),
        }
        .into());
    }
    let versions = directory.join("versions");
    std::fs::create_dir_all(&versions).map_err(Error::io(&versions))?;
    let mut folder = ScriptsFolder {
        versions: std::path::absolute(&versions).unwrap_or(versions),
        config: config.to_path_buf(),
        config_written: None,
    };
    if config.exists() {
        return Ok(folder);
    }
    let here = config
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let location = pathdiff(directory, here);
    write_new_file(config, &crate::templates::ini(&location))?;
    folder.config_written = Some(std::path::absolute(config).unwrap_or(config.to_path_buf()));
    Ok(folder)
}

/// `directory` relative to the ini file's directory, as the ini file will say it through `%(here)s`.
fn pathdiff(directory: &Path, here: &Path) -> String {
    let d = std::path::absolute(directory).unwrap_or(directory.to_path_buf());
    let h = std::path::absolute(here).unwrap_or(here.to_path_buf());
    match d.strip_prefix(&h) {
        Ok(rel) if rel.as_os_str().is_empty() => "%(here)s".into(),
        Ok(rel) => format!("%(here)s/{}", rel.display()),
        Err(_) => d.display().to_string(),
    }
}
