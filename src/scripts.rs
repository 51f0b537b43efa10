//! The revision files of a project, read once per command and indexed by id, with the revision graph built
//! from their headers. Every `.sql` file in a version location must be a revision: one that is not is an
//! error naming it, never a silent skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::graph::{GraphError, RevisionMap};
use crate::script::{Script, ScriptError};

pub struct Scripts {
    scripts: Vec<Script>,
    index: HashMap<String, usize>,
    pub map: RevisionMap,
    pub locations: Vec<PathBuf>,
}

impl Scripts {
    pub fn load(locations: &[PathBuf]) -> Result<Scripts> {
        let mut scripts = Vec::new();
        for location in locations {
            if !location.is_dir() {
                return Err(Error::Config(format!(
                    "Path doesn't exist: {}.  Please use the 'init' command to create a new scripts folder.",
                    location.display()
                )));
            }
            let mut files: Vec<PathBuf> = Vec::new();
            for entry in std::fs::read_dir(location).map_err(Error::io(location))? {
                let entry = entry.map_err(Error::io(location))?;
                let path = entry.path();
                if path.extension().is_some_and(|x| x == "sql") {
                    check_regular_file(&entry)?;
                    files.push(path);
                }
            }
            // One directory: comparing whole paths as bytes orders them as comparing by component does.
            files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
            scripts.extend(load_all(&files)?);
        }
        let mut index = HashMap::with_capacity(scripts.len());
        for (i, s) in scripts.iter().enumerate() {
            if let Some(&first) = index.get(&s.id) {
                let first: &Script = &scripts[first];
                return Err(Error::Config(format!(
                    "revision '{}' is declared more than once: in '{}' and in '{}'",
                    s.id,
                    first.path.display(),
                    s.path.display()
                )));
            }
            index.insert(s.id.clone(), i);
        }
        let revisions = scripts.iter().map(Script::revision).collect();
        let map = RevisionMap::new(revisions).map_err(|e| {
            let at_fault = match &e {
                GraphError::MissingParent { revision, .. }
                | GraphError::MissingDependency { revision, .. }
                | GraphError::DuplicateBranchLabel { revision, .. }
                | GraphError::IllegalCharacters { revision, .. }
                | GraphError::SelfLoop { revision }
                | GraphError::DependencySelfLoop { revision } => vec![revision.as_str()],
                GraphError::Cycle { revisions } | GraphError::DependencyCycle { revisions } => {
                    revisions.iter().map(String::as_str).collect()
                }
                _ => Vec::new(),
            };
            let files: Vec<String> = at_fault
                .iter()
                .filter_map(|id| {
                    index
                        .get(*id)
                        .map(|&i| scripts[i].path.display().to_string())
                })
                .collect();
            if files.is_empty() {
                Error::Graph(e)
            } else {
                Error::Config(format!("{e} ({})", files.join(", ")))
            }
        })?;
        Ok(Scripts {
            scripts,
            index,
            map,
            locations: locations.to_vec(),
        })
    }

    pub fn get(&self, id: &str) -> Result<&Script> {
        self.index
            .get(id)
            .map(|&i| &self.scripts[i])
            .ok_or_else(|| Error::Plan(format!("Can't locate revision identified by '{id}'")))
    }

    pub fn find(&self, id: &str) -> Option<&Script> {
        self.index.get(id).map(|&i| &self.scripts[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Script> {
        self.scripts.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// The directory new revisions go to when none is named.
    pub fn default_location(&self) -> Option<&Path> {
        match self.locations.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// A `.sql` entry of a versions folder must be a revision, so one that cannot be read as a file (a folder, a
/// link to nothing) is an error naming it rather than a revision silently left out of the graph.
fn check_regular_file(entry: &std::fs::DirEntry) -> Result<()> {
    let path = entry.path();
    let invalid = |message: &str| {
        Error::Script(ScriptError::Invalid {
            path: path.clone(),
            message: message.into(),
        })
    };
    // The directory listing already says what most entries are; only links need a stat.
    let file_type = entry.file_type().map_err(Error::io(&path))?;
    if file_type.is_file() {
        return Ok(());
    }
    if file_type.is_symlink() {
        return match std::fs::metadata(&path) {
            Ok(target) if target.is_file() => Ok(()),
            Ok(_) => Err(invalid("a symbolic link to something that is not a file; every '.sql' entry in a version location must be a revision file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(invalid("a symbolic link to a file that does not exist; every '.sql' entry in a version location must be a revision file")),
            Err(e) => Err(Error::Io { path, source: e }),
        };
    }
    Err(invalid(if file_type.is_dir() {
        "a folder; every '.sql' entry in a version location must be a revision file"
    } else {
        "not a regular file; every '.sql' entry in a version location must be a revision file"
    }))
}

/// Reads and parses files in order. Opening and reading thousands of small files is system-call bound, so
/// large sets are shared among the cores.
fn load_all(files: &[PathBuf]) -> Result<Vec<Script>> {
    const PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len() / PER_THREAD)
        .min(8);
    if threads <= 1 {
        return files
            .iter()
            .map(|f| Script::load(f).map_err(Error::from))
            .collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|f| Script::load(f))
                        .collect::<std::result::Result<Vec<Script>, _>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(files.len());
        for worker in workers {
            out.extend(worker.join().expect("a reader thread panicked")?);
        }
        Ok(out)
    })
}
