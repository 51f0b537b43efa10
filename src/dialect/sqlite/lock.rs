//! The run lock on SQLite: an exclusive `flock` on `<database>-migrate.lock` beside the database file.
//! SQLite's own write lock lasts one transaction, and a `transaction:false` section runs outside any, so only a
//! lock held for the whole run keeps two runs from both executing it. The operating system frees the lock when
//! the file is closed, so a process that dies never leaves it behind.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::lock::{poll, Guard};

/// The lock file for an SQLite database file: `app.db` is locked through `app.db-migrate.lock`. The path is the
/// real one (links and `..` resolved, as SQLite resolves them), so that every process and every spelling of
/// the path finds the same lock file, whether or not the database exists yet.
pub(crate) fn file_for(database: &Path) -> PathBuf {
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

/// Takes the lock of an SQLite database file, which need not exist yet: for what replaces or removes the file
/// itself (a restore, `db-init --recreate`) and so must not open it first. Its directory must exist.
pub(crate) fn acquire_file(
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
    Ok(Guard::File { _open: file })
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
