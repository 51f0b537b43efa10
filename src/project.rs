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

/// Settings plus the revision files, read at most once.
pub struct Project {
    pub settings: Settings,
    scripts: OnceCell<Scripts>,
}

impl Project {
    pub fn new(settings: Settings) -> Project {
        Project {
            settings,
            scripts: OnceCell::new(),
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
        let loaded = Scripts::load(&self.settings.version_locations)?;
        Ok(self.scripts.get_or_init(|| loaded))
    }

    /// Runs `work` while the revision files load on another thread, for commands that need both and whose
    /// work waits on the database. An error from `work` comes first, as it would if the two ran in turn.
    pub(crate) fn with_scripts_loading<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.scripts.get().is_some() {
            return work();
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
