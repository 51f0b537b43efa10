//! The revision files of a project, read once per command and indexed by id, with the revision graph built
//! from their headers. Every `.sql` file in a version location must be a revision: one that is not is an
//! error naming it, never a silent skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::graph::{GraphError, RevisionMap};
use crate::script::Script;

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
            let mut files: Vec<PathBuf> = std::fs::read_dir(location)
                .map_err(Error::io(location))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
                .collect();
            files.sort();
            for file in files {
                scripts.push(Script::load(&file)?);
            }
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
