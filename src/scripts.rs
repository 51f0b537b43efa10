//! The revision files of a project, read once per command and indexed by id, with the revision graph built
//! from their headers. Every `.sql` file in a version location must be a revision: one that is not is an
//! error naming it, never a silent skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::graph::{GraphError, RevisionMap};
use crate::script::{Script, ScriptError};

/// Why a project's revision files do not make a usable set. Each names the files at fault.
#[derive(Debug, thiserror::Error)]
pub enum ScriptsError {
    #[error("Path doesn't exist: {}.  Please use the 'init' command to create a new scripts folder.", .path.display())]
    NoVersionLocation { path: PathBuf },
    #[error("revision '{id}' is declared more than once: in '{}' and in '{}'", .first.display(), .second.display())]
    DuplicateRevision {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// The revisions do not form a valid graph; `files` are those of the revisions the error names.
    #[error("{source} ({})", comma_joined(.files))]
    Graph {
        source: GraphError,
        files: Vec<PathBuf>,
    },
}

fn comma_joined(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    names.join(", ")
}

pub(crate) struct Scripts {
    scripts: Vec<Script>,
    index: HashMap<String, usize>,
    pub(crate) map: RevisionMap,
    pub(crate) locations: Vec<PathBuf>,
}

impl Scripts {
    pub(crate) fn load(locations: &[PathBuf]) -> Result<Scripts> {
        let mut scripts = Vec::new();
        for location in locations {
            if !location.is_dir() {
                return Err(ScriptsError::NoVersionLocation {
                    path: location.clone(),
                }
                .into());
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
        Scripts::from_scripts(scripts, locations)
    }

    /// Revisions compiled into a program, each `(name, text)`; the name stands for the file in messages.
    /// They have no version location, so the verbs that write revision files cannot use them.
    pub(crate) fn embedded(revisions: &[(&str, &str)]) -> Result<Scripts> {
        let scripts = revisions
            .iter()
            .map(|(name, text)| Script::parse(Path::new(name), text))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Scripts::from_scripts(scripts, &[])
    }

    /// Indexes parsed revisions and builds their graph, as if read from `locations` (also for files not
    /// written yet).
    pub(crate) fn from_scripts(scripts: Vec<Script>, locations: &[PathBuf]) -> Result<Scripts> {
        let mut index = HashMap::with_capacity(scripts.len());
        for (i, s) in scripts.iter().enumerate() {
            if let Some(&first) = index.get(&s.id) {
                let first: &Script = &scripts[first];
                return Err(ScriptsError::DuplicateRevision {
                    id: s.id.clone(),
                    first: first.path.clone(),
                    second: s.path.clone(),
                }
                .into());
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
            let files: Vec<PathBuf> = at_fault
                .iter()
                .filter_map(|id| index.get(*id).map(|&i| scripts[i].path.clone()))
                .collect();
            if files.is_empty() {
                Error::Graph(e)
            } else {
                ScriptsError::Graph { source: e, files }.into()
            }
        })?;
        Ok(Scripts {
            scripts,
            index,
            map,
            locations: locations.to_vec(),
        })
    }

    pub(crate) fn get(&self, id: &str) -> Result<&Script> {
        self.index
            .get(id)
            .map(|&i| &self.scripts[i])
            .ok_or_else(|| {
                Error::Graph(GraphError::UnknownRevision {
                    argument: id.to_string(),
                })
            })
    }

    pub(crate) fn find(&self, id: &str) -> Option<&Script> {
        self.index.get(id).map(|&i| &self.scripts[i])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Script> {
        self.scripts.iter()
    }

    /// The directory new revisions go to when none is named.
    pub(crate) fn default_location(&self) -> Option<&Path> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(id: &str, revises: &str) -> String {
        format!("-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n")
    }

    #[test]
    fn a_graph_error_keeps_its_kind_and_names_the_files_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let orphan = dir.path().join("orphan.sql");
        std::fs::write(dir.path().join("root.sql"), revision("root", "")).unwrap();
        std::fs::write(&orphan, revision("orphan", "gone")).unwrap();
        let Err(Error::Scripts(e)) = Scripts::load(&[dir.path().to_path_buf()]) else {
            panic!("a missing parent must fail with the files at fault");
        };
        let ScriptsError::Graph { source, files } = e.as_ref() else {
            panic!("expected a graph error, got {e}");
        };
        assert!(
            matches!(source, GraphError::MissingParent { revision, parent }
            if revision == "orphan" && parent == "gone")
        );
        assert_eq!(files, std::slice::from_ref(&orphan));
        assert_eq!(
            e.to_string(),
            format!(
                "revision 'orphan' revises 'gone', which does not exist ({})",
                orphan.display()
            )
        );
    }

    #[test]
    fn embedded_revisions_make_the_same_graph_and_name_their_path_in_errors() {
        let root = revision("root", "");
        let child = revision("child", "root");
        let scripts = Scripts::embedded(&[
            ("v/root.sql", root.as_str()),
            ("v/child.sql", child.as_str()),
        ])
        .unwrap();
        assert_eq!(scripts.map.resolve("heads", &[]).unwrap(), vec!["child"]);
        assert_eq!(scripts.get("root").unwrap().path, Path::new("v/root.sql"));
        assert!(scripts.default_location().is_none());
        let orphan = revision("orphan", "gone");
        let Err(Error::Scripts(e)) = Scripts::embedded(&[("v/orphan.sql", orphan.as_str())]) else {
            panic!("a missing parent must fail");
        };
        assert!(e.to_string().ends_with("(v/orphan.sql)"), "{e}");
    }

    #[test]
    fn a_missing_version_location_is_its_own_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("versions");
        let Err(Error::Scripts(e)) = Scripts::load(std::slice::from_ref(&missing)) else {
            panic!("a missing location must fail");
        };
        assert!(matches!(e.as_ref(), ScriptsError::NoVersionLocation { path } if *path == missing));
    }
}
