//! SQLite through the bundled library: no server, no system SQLite needed.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::OpenFlags;

use super::{Access, Connection, DbError, Dialect, Row, SQLITE};
use crate::dburl::SqliteTarget;

pub struct SqliteConnection {
    conn: rusqlite::Connection,
}

fn db_error(e: rusqlite::Error) -> DbError {
    let message = match &e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    DbError {
        message,
        code: None,
    }
}

impl SqliteConnection {
    /// A connection opened elsewhere (with flags of its own), seen through the trait.
    pub fn wrap(conn: rusqlite::Connection) -> SqliteConnection {
        SqliteConnection { conn }
    }

    /// The underlying connection, for what only SQLite has (the online backup API).
    pub fn inner(&self) -> &rusqlite::Connection {
        &self.conn
    }

    pub fn open(
        target: &SqliteTarget,
        busy_timeout: Duration,
        access: Access,
    ) -> Result<SqliteConnection, crate::Error> {
        let conn = match (target, access) {
            (SqliteTarget::Memory, _) => rusqlite::Connection::open_in_memory(),
            (SqliteTarget::File(path), Access::CreateIfMissing) => {
                create_parent(path)?;
                rusqlite::Connection::open(path)
            }
            (SqliteTarget::File(path), Access::MustExist) => {
                if !path.exists() {
                    return Err(crate::Error::NoDatabase { path: path.clone() });
                }
                // Without the create flag, a file removed after the check above is an error too.
                rusqlite::Connection::open_with_flags(
                    path,
                    OpenFlags::default().difference(OpenFlags::SQLITE_OPEN_CREATE),
                )
            }
        }
        .map_err(|e| {
            crate::Error::Connect(format!(
                "could not open {}: {}",
                describe(target),
                db_error(e)
            ))
        })?;
        // Waiting is the right answer to another process's write lock: concurrent deploys queue up.
        conn.busy_timeout(busy_timeout).map_err(|e| {
            crate::Error::Connect(format!(
                "could not configure {}: {}",
                describe(target),
                db_error(e)
            ))
        })?;
        Ok(SqliteConnection { conn })
    }
}

fn describe(target: &SqliteTarget) -> String {
    match target {
        SqliteTarget::Memory => "the in-memory SQLite database".into(),
        SqliteTarget::File(p) => format!("SQLite database '{}'", p.display()),
    }
}

fn create_parent(path: &Path) -> Result<(), crate::Error> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|e| {
                crate::Error::Connect(format!(
                    "could not create directory '{}': {e}",
                    dir.display()
                ))
            }),
        _ => Ok(()),
    }
}

fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

impl Connection for SqliteConnection {
    fn dialect(&self) -> Dialect {
        SQLITE
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.execute_batch(sql).map_err(db_error)
    }

    fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        self.conn
            .execute(sql, [])
            .map(|n| n as u64)
            .map_err(db_error)
    }

    fn batch_counts(&mut self, sql: &str) -> Result<Vec<u64>, DbError> {
        let statements =
            crate::sql::split(sql, crate::sql::Flavor::Sqlite).map_err(|e| DbError {
                message: e.to_string(),
                code: None,
            })?;
        let mut counts = Vec::with_capacity(statements.len());
        for st in statements {
            let mut stmt = self.conn.prepare(st.sql).map_err(db_error)?;
            let mut rows = stmt.raw_query();
            while rows.next().map_err(db_error)?.is_some() {}
            counts.push(self.conn.changes());
        }
        Ok(counts)
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        let mut stmt = self.conn.prepare(sql).map_err(db_error)?;
        let width = stmt.column_count();
        let mut rows = stmt.query([]).map_err(db_error)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            out.push(
                (0..width)
                    .map(|i| row.get_ref(i).ok().and_then(text))
                    .collect(),
            );
        }
        Ok(out)
    }

    fn table_exists(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError> {
        let master = match schema {
            Some(s) => format!("{}.sqlite_master", super::quote_ident(s)),
            None => "sqlite_master".into(),
        };
        let rows = self.query(&format!(
            "SELECT 1 FROM {master} WHERE type = 'table' AND name = {}",
            super::quote_literal(table)
        ))?;
        Ok(!rows.is_empty())
    }

    fn server_version(&mut self) -> Result<String, DbError> {
        Ok(format!("SQLite {}", rusqlite::version()))
    }
}
