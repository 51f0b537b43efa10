//! The run-level lock that keeps two processes from changing one database at once: every verb that writes
//! (upgrade, downgrade, stamp, ensure_version, validate --accept, and db-init setting up an SQLite file) holds it
//! from before it reads the heads until it is done. What the lock is depends on the engine (an advisory lock on
//! PostgreSQL, a file lock on SQLite; see `dialect::postgres::lock` and `dialect::sqlite::lock`); this module
//! holds what they share: the guard, the choice between them, and the polling with its timeout and message.

use std::fs::File;
use std::time::{Duration, Instant};

use crate::dialect::{postgres, sqlite, Connection, RunLock};
use crate::error::{Error, Result};

/// The held lock. The operating system frees a file lock when the file is closed, and the server frees an
/// advisory lock when the session ends, so a process that dies never leaves a lock behind.
#[must_use = "the lock is freed when the guard is dropped or released"]
pub(crate) enum Guard {
    /// An in-memory SQLite database is private to its process: there is nothing to exclude.
    Unneeded,
    Advisory(i64),
    /// The open lock file; closing it frees the lock. The file itself stays: deleting a locked file would let
    /// the next process lock a new file of the same name while this one still runs.
    File {
        _open: File,
    },
}

impl Guard {
    pub(crate) fn release(self, conn: &mut dyn Connection) -> Result<()> {
        match self {
            Guard::Advisory(key) => postgres::lock::release(conn, key),
            Guard::File { .. } | Guard::Unneeded => Ok(()),
        }
    }
}

/// Takes the lock, calling `waiting` once with a description of the holder if it has to wait, and giving up
/// after `timeout`.
pub(crate) fn acquire(
    conn: &mut dyn Connection,
    qualified_table: &str,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
) -> Result<Guard> {
    match conn.dialect().run_lock {
        RunLock::Advisory => postgres::lock::acquire(conn, qualified_table, timeout, waiting),
        RunLock::File => match conn.file() {
            Some(database) => sqlite::lock::acquire_file(&database, timeout, waiting),
            None => Ok(Guard::Unneeded),
        },
    }
}

/// Calls `attempt` until it takes the lock (`None`) or `timeout` passes; while the lock is held, `attempt`
/// says by whom.
pub(crate) fn poll(
    lock: &str,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
    mut attempt: impl FnMut() -> Result<Option<String>>,
) -> Result<()> {
    let start = Instant::now();
    let mut told = false;
    let mut pause = Duration::from_millis(20);
    loop {
        let Some(holder) = attempt()? else {
            return Ok(());
        };
        if start.elapsed() >= timeout {
            return Err(Error::LockTimeout {
                seconds: timeout.as_secs(),
                lock: lock.to_string(),
                holder,
            });
        }
        if !told {
            waiting(&format!(
                "waiting for the migration lock on {lock} ({holder}), up to {}s",
                timeout.as_secs()
            ));
            told = true;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}
