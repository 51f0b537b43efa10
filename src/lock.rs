//! The run-level lock that keeps two processes from changing one database at once: every verb that writes
//! (upgrade, downgrade, stamp, ensure_version, validate --accept, and db-init setting up an SQLite file) holds it
//! from before it reads the heads until it is done. On PostgreSQL it is a session advisory lock taken by polling `pg_try_advisory_lock`: a blocking
//! `pg_advisory_lock` would wait inside the server, where it deadlocks against `CREATE INDEX CONCURRENTLY` run by
//! the holder. On SQLite it is an exclusive `flock` on `<database>-migrate.lock` beside the file: SQLite's own
//! write lock lasts one transaction, and a `transaction:false` section runs outside any, so only a lock held for
//! the whole run keeps two runs from both executing it.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::dialect::{Connection, RunLock};
use crate::error::{Error, Result};

/// The advisory-lock key for a version table: stable across processes and versions of dbkit.
pub fn key(qualified_table: &str) -> i64 {
    let digest = Sha256::digest(format!("dbkit:{qualified_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The lock file for an SQLite database file: `app.db` is locked through `app.db-migrate.lock`. The path is the
/// real one (links and `..` resolved, as SQLite resolves them), so that every process and every spelling of
/// the path finds the same lock file, whether or not the database exists yet.
pub fn file_for(database: &Path) -> PathBuf {
    let real = std::fs::canonicalize(database)
        .or_else(|_| {
            let parent = database
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = database.file_name().unwrap_or(database.as_os_str());
            std::fs::canonicalize(parent).map(|dir| dir.join(name))
        })
        .unwrap_or_else(|_| database.to_path_buf());
    let mut name = OsString::from(real.as_os_str());
    name.push("-migrate.lock");
    PathBuf::from(name)
}

/// The held lock. The operating system frees a file lock when the file is closed, and the server frees an
/// advisory lock when the session ends, so a process that dies never leaves a lock behind.
#[must_use = "the lock is freed when the guard is dropped or released"]
pub enum Guard {
    /// An in-memory SQLite database is private to its process: there is nothing to exclude.
    Unneeded,
    Advisory(i64),
    /// The open lock file; closing it frees the lock. The file itself stays: deleting a locked file would let
    /// the next process lock a new file of the same name while this one still runs.
    File(File),
}

impl Guard {
    pub fn release(self, conn: &mut dyn Connection) -> Result<()> {
        match self {
            Guard::Advisory(key) => conn
                .batch(&format!("SELECT pg_advisory_unlock({key})"))
                .map_err(Error::db("could not release the migration lock")),
            Guard::File(_) | Guard::Unneeded => Ok(()),
        }
    }
}

/// Takes the lock, calling `waiting` once with a description of the holder if it has to wait, and giving up
/// after `timeout`.
pub fn acquire(
    conn: &mut dyn Connection,
    qualified_table: &str,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
) -> Result<Guard> {
    match conn.dialect().run_lock {
        RunLock::Advisory => {
            let key = key(qualified_table);
            poll(qualified_table, timeout, waiting, || {
                let taken = conn
                    .value(&format!("SELECT pg_try_advisory_lock({key})"))
                    .map_err(Error::db("could not take the migration lock"))?;
                Ok((taken.as_deref() != Some("t")).then(|| advisory_holder(conn, key)))
            })?;
            Ok(Guard::Advisory(key))
        }
        RunLock::File => match conn.file() {
            Some(database) => acquire_file(&database, timeout, waiting),
            None => Ok(Guard::Unneeded),
        },
    }
}

/// Takes the lock of an SQLite database file, which need not exist yet: for what replaces or removes the file
/// itself (a restore, `db-init --recreate`) and so must not open it first. Its directory must exist.
pub fn acquire_file(
    database: &Path,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
) -> Result<Guard> {
    let path = file_for(database);
    let mut file = open(&path)?;
    poll(
        &path.display().to_string(),
        timeout,
        waiting,
        || match file.try_lock() {
            Ok(()) => Ok(None),
            Err(TryLockError::WouldBlock) => Ok(Some(file_holder(&path))),
            Err(TryLockError::Error(e)) => Err(Error::io(&path)(e)),
        },
    )?;
    sign(&mut file);
    Ok(Guard::File(file))
}

/// Calls `attempt` until it takes the lock (`None`) or `timeout` passes; while the lock is held, `attempt`
/// says by whom.
fn poll(
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

/// Opens the lock file, creating it readable by all and writable by its owner, as the database beside it
/// usually is. One that another user created may be read-only to this one; `flock` works on a read-only
/// descriptor, so that is enough to take the lock.
fn open(path: &Path) -> Result<File> {
    let writable = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(path);
    match writable {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && path.exists() => {
            File::open(path)
        }
        other => other,
    }
    .map_err(Error::io(path))
}

/// Writes who holds the lock into the file, for a waiting process to quote. Best effort: the lock is held
/// either way, and a read-only lock file only leaves waiters without a name.
fn sign(file: &mut File) {
    let who = format!(
        "held by pid {} ({})\n",
        std::process::id(),
        crate::history::who()
    );
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(who.as_bytes()));
}

/// The holder as the lock file names it.
fn file_holder(path: &Path) -> String {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "held by another process".into())
}

fn advisory_holder(conn: &mut dyn Connection, key: i64) -> String {
    let (hi, lo) = ((key >> 32) as u32, key as u32);
    let sql = format!(
        "SELECT l.pid, coalesce(a.usename, ''), coalesce(a.client_addr::text, 'local') FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {hi} AND l.objid = {lo} AND l.objsubid = 1"
    );
    match conn.query(&sql) {
        Ok(rows) => match rows.first() {
            Some(r) => format!(
                "held by pid {} ({}@{})",
                r.first().cloned().flatten().unwrap_or_default(),
                r.get(1).cloned().flatten().unwrap_or_default(),
                r.get(2).cloned().flatten().unwrap_or_default()
            ),
            None => "held by another session".into(),
        },
        Err(_) => "held by another session".into(),
    }
}
