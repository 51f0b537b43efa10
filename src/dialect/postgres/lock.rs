//! The run lock on PostgreSQL: a session advisory lock on a key derived from the version table, taken by
//! polling `pg_try_advisory_lock`. A blocking `pg_advisory_lock` would wait inside the server, where it
//! deadlocks against `CREATE INDEX CONCURRENTLY` run by the holder. The server frees the lock when the session
//! ends, so a process that dies never leaves it behind.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::dialect::Connection;
use crate::error::{Error, Result};
use crate::lock::{poll, Guard};

/// The advisory-lock key for a version table: stable across processes and versions of dbkit.
pub fn key(qualified_table: &str) -> i64 {
    let digest = Sha256::digest(format!("dbkit:{qualified_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Takes the advisory lock for a version table, calling `waiting` once with a description of the holder if it
/// has to wait, and giving up after `timeout`.
pub(crate) fn acquire(
    conn: &mut dyn Connection,
    qualified_table: &str,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
) -> Result<Guard> {
    let key = key(qualified_table);
    poll(qualified_table, timeout, waiting, || {
        let taken = conn
            .value(&format!("SELECT pg_try_advisory_lock({key})"))
            .map_err(Error::db("could not take the migration lock"))?;
        Ok((taken.as_deref() != Some("t")).then(|| holder(conn, key)))
    })?;
    Ok(Guard::Advisory(key))
}

/// Frees the advisory lock taken by [`acquire`].
pub(crate) fn release(conn: &mut dyn Connection, key: i64) -> Result<()> {
    conn.batch(&format!("SELECT pg_advisory_unlock({key})"))
        .map_err(Error::db("could not release the migration lock"))
}

/// The session holding the lock, as `held by pid N (user@address)`.
fn holder(conn: &mut dyn Connection, key: i64) -> String {
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
