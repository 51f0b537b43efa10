//! A project as one command sees it: the settings, the revision files (read at most once, and only by the
//! commands that need them), the version and history tables the settings name, and the way to the database.
//! Every binary builds one per command and hands it to the verbs, so none of them reads settings or files twice.

use std::cell::OnceCell;
use std::time::Duration;

use crate::config::Settings;
use crate::dialect::{self, Access, Connection};
use crate::error::Result;
use crate::history::HistoryTable;
use crate::scripts::Scripts;
use crate::version::VersionTable;

/// Revisions compiled into a program, each `(name, text)`: what [`embed_revisions!`](crate::embed_revisions)
/// makes. The name (the path as written) stands for the file in messages.
pub type Revisions = &'static [(&'static str, &'static str)];

/// Settings plus the revision files, read at most once.
pub struct Project {
    pub settings: Settings,
    scripts: OnceCell<Scripts>,
    /// Revisions compiled into the program, read instead of the version locations.
    embedded: Option<Revisions>,
}

impl Project {
    pub fn new(settings: Settings) -> Project {
        Project {
            settings,
            scripts: OnceCell::new(),
            embedded: None,
        }
    }

    /// A project whose revisions are compiled into the program rather than read from the version locations;
    /// everything else (the database, the tables, the lock) comes from `settings` as for [`Project::new`].
    pub fn with_revisions(settings: Settings, revisions: Revisions) -> Project {
        Project {
            embedded: Some(revisions),
            ..Project::new(settings)
        }
    }

    /// A command line's `--lock-timeout`, which wins over the ini file's `lock_timeout`.
    pub fn set_lock_timeout(&mut self, timeout: Duration) {
        self.settings.lock_timeout = timeout;
    }

    pub(crate) fn scripts(&self) -> Result<&Scripts> {
        if let Some(s) = self.scripts.get() {
            return Ok(s);
        }
        let loaded = match self.embedded {
            Some(revisions) => Scripts::embedded(revisions)?,
            None => Scripts::load(&self.settings.version_locations)?,
        };
        Ok(self.scripts.get_or_init(|| loaded))
    }

    /// Runs `work` while the revision files load on another thread, for commands that need both and whose
    /// work waits on the database. An error from `work` comes first, as it would if the two ran in turn.
    pub(crate) fn with_scripts_loading<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.scripts.get().is_some() {
            return work();
        }
        if self.embedded.is_some() {
            // Embedded revisions are parsed from memory: there is no reading to overlap.
            let value = work()?;
            self.scripts()?;
            return Ok(value);
        }
        let locations = self.settings.version_locations.clone();
        let (result, loaded) = std::thread::scope(|scope| {
            let loader = scope.spawn(move || Scripts::load(&locations));
            let result = work();
            (result, loader.join().expect("the revision loader panicked"))
        });
        let value = result?;
        let _ = self.scripts.set(loaded?);
        Ok(value)
    }

    pub(crate) fn version_table(&self) -> VersionTable {
        VersionTable {
            schema: self.settings.version_table_schema.clone(),
            name: self.settings.version_table.clone(),
        }
    }

    pub(crate) fn history_table(&self) -> HistoryTable {
        HistoryTable {
            schema: self.settings.version_table_schema.clone(),
            name: self.settings.history_table.clone(),
        }
    }

    pub(crate) fn connect(&self) -> Result<Box<dyn Connection>> {
        self.open(Access::CreateIfMissing)
    }

    /// Connects to a database that must already exist: what the commands that only read use.
    pub(crate) fn connect_existing(&self) -> Result<Box<dyn Connection>> {
        self.open(Access::MustExist)
    }

    /// Connects, creating the database only when `access` allows it.
    pub(crate) fn open(&self, access: Access) -> Result<Box<dyn Connection>> {
        let url = self.settings.database_url()?;
        dialect::open(&url, self.settings.busy_timeout, access)
    }

    /// The heads in the database; empty when nothing was ever applied. Creates nothing.
    pub(crate) fn db_heads(&self, conn: &mut dyn Connection) -> Result<Vec<String>> {
        self.version_table().heads(conn)
    }
}
