//! The applied-history table beside the version table: one row per step, successful or not, with the checksum
//! of the file that ran. It is dbkit's own addition and never required: a database without it works, and
//! gets it on the first write.

use std::collections::HashMap;

use crate::dialect::{qualified, quote_literal, Connection, Dialect};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct HistoryTable {
    pub schema: Option<String>,
    pub name: String,
}

/// What happened in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Upgrade,
    Downgrade,
    Stamp,
    /// A reviewed change to an applied file was accepted (`validate --accept`).
    Accept,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Upgrade => "upgrade",
            Action::Downgrade => "downgrade",
            Action::Stamp => "stamp",
            Action::Accept => "accept",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub revision: &'a str,
    pub action: Action,
    pub message: &'a str,
    pub checksum: Option<&'a str>,
    pub duration_ms: u64,
    pub success: bool,
    pub error: Option<&'a str>,
}

impl HistoryTable {
    pub fn qualified(&self) -> String {
        qualified(self.schema.as_deref(), &self.name)
    }

    pub fn create_sql(&self, d: &Dialect) -> String {
        let (ts, boolean) = match d.sql {
            crate::script::SqlDialect::Sqlite => ("TEXT", "INTEGER"),
            crate::script::SqlDialect::Postgresql => ("TIMESTAMP WITH TIME ZONE", "BOOLEAN"),
        };
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    id {},\n    revision VARCHAR(32) NOT NULL,\n    direction VARCHAR(16) NOT NULL,\n    message TEXT,\n    checksum VARCHAR(80),\n    applied_at {ts} NOT NULL,\n    duration_ms BIGINT NOT NULL,\n    applied_by TEXT NOT NULL,\n    success {boolean} NOT NULL,\n    error TEXT,\n    dbkit_version VARCHAR(32) NOT NULL\n)",
            self.qualified(),
            d.serial_pk
        )
    }

    pub fn ensure(&self, conn: &mut dyn Connection) -> Result<()> {
        if conn
            .table_exists(self.schema.as_deref(), &self.name)
            .map_err(Error::db(format!(
                "could not look for table {}",
                self.qualified()
            )))?
        {
            return Ok(());
        }
        let d = conn.dialect();
        conn.batch(&self.create_sql(&d)).map_err(Error::db(format!(
            "could not create table {}",
            self.qualified()
        )))
    }

    pub fn insert_sql(&self, d: &Dialect, e: &Entry<'_>) -> String {
        let opt = |v: Option<&str>| v.map(quote_literal).unwrap_or_else(|| "NULL".into());
        format!(
            "INSERT INTO {} (revision, direction, message, checksum, applied_at, duration_ms, applied_by, success, error, dbkit_version) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            self.qualified(),
            quote_literal(e.revision),
            quote_literal(e.action.as_str()),
            quote_literal(e.message),
            opt(e.checksum),
            quote_literal(&chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()),
            e.duration_ms,
            quote_literal(&who()),
            d.bool_literal(e.success),
            opt(e.error),
            quote_literal(crate::VERSION),
        )
    }

    pub fn record(&self, conn: &mut dyn Connection, e: &Entry<'_>) -> Result<()> {
        let d = conn.dialect();
        conn.batch(&self.insert_sql(&d, e))
            .map_err(Error::db(format!(
                "could not write to {}",
                self.qualified()
            )))
    }

    /// The checksum each revision had when it was last applied, stamped or accepted; empty without the table.
    pub fn checksums(&self, conn: &mut dyn Connection) -> Result<HashMap<String, String>> {
        if !conn
            .table_exists(self.schema.as_deref(), &self.name)
            .map_err(Error::db(format!(
                "could not look for table {}",
                self.qualified()
            )))?
        {
            return Ok(HashMap::new());
        }
        let d = conn.dialect();
        let rows = conn
            .query(&format!(
                "SELECT revision, checksum FROM {} WHERE success = {} AND checksum IS NOT NULL AND direction IN ('upgrade', 'stamp', 'accept') ORDER BY id",
                self.qualified(),
                d.true_literal
            ))
            .map_err(Error::db(format!("could not read {}", self.qualified())))?;
        let mut out = HashMap::new();
        for row in rows {
            let mut cols = row.into_iter();
            if let (Some(Some(rev)), Some(Some(sum))) = (cols.next(), cols.next()) {
                out.insert(rev, sum);
            }
        }
        Ok(out)
    }
}

/// `user@host`, for the history's "by whom".
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}
