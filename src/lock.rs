//! The run-level lock that keeps two deploys from migrating one database at once. On PostgreSQL it is a
//! session advisory lock taken by polling `pg_try_advisory_lock`: a blocking `pg_advisory_lock` would wait
//! inside the server, where it deadlocks against `CREATE INDEX CONCURRENTLY` run by the holder. SQLite needs
//! no run lock: each revision takes the write lock (`BEGIN IMMEDIATE`) and re-reads the heads first.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::dialect::Connection;
use crate::error::{Error, Result};

/// The advisory-lock key for a version table: stable across processes and versions of dbkit.
pub fn key(qualified_table: &str) -> i64 {
    let digest = Sha256::digest(format!("dbkit:{qualified_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Holds the lock until dropped or released; the server also frees it when the session ends.
pub struct Guard {
    key: i64,
    held: bool,
}

impl Guard {
    pub fn release(mut self, conn: &mut dyn Connection) -> Result<()> {
        if self.held {
            self.held = false;
            conn.batch(&format!("SELECT pg_advisory_unlock({})", self.key))
                .map_err(Error::db("could not release the migration lock"))?;
        }
        Ok(())
    }
}

/// Takes the lock, calling `waiting` once with a description of the holder if it has to wait.
pub fn acquire(
    conn: &mut dyn Connection,
    qualified_table: &str,
    timeout: Duration,
    waiting: &mut dyn FnMut(&str),
) -> Result<Guard> {
    let key = key(qualified_table);
    if !conn.dialect().advisory_lock {
        return Ok(Guard { key, held: false });
    }
    let start = Instant::now();
    let mut told = false;
    let mut pause = Duration::from_millis(20);
    loop {
        let taken = conn
            .value(&format!("SELECT pg_try_advisory_lock({key})"))
            .map_err(Error::db("could not take the migration lock"))?;
        if taken.as_deref() == Some("t") {
            return Ok(Guard { key, held: true });
        }
        let holder = holder(conn, key);
        if start.elapsed() >= timeout {
            return Err(Error::LockTimeout {
                seconds: timeout.as_secs(),
                table: qualified_table.to_string(),
                holder,
            });
        }
        if !told {
            waiting(&format!(
                "waiting for the migration lock on {qualified_table} ({holder}), up to {}s",
                timeout.as_secs()
            ));
            told = true;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

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
