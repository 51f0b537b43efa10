//! A SQLite database seen through [`Connection`], through the bundled library: no server, no system SQLite
//! needed. Opening sets what every connection needs (the busy timeout, foreign keys off).

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::OpenFlags;

use crate::dburl::SqliteTarget;
use crate::dialect::{
    first_column, quote_ident, quote_literal, Access, Connection, DanglingReference, DbError,
    Dialect, Row, SQLITE,
};

pub(crate) struct SqliteConnection {
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
    pub(crate) fn wrap(conn: rusqlite::Connection) -> SqliteConnection {
        SqliteConnection { conn }
    }

    /// The underlying connection, for what only SQLite has (the online backup API).
    pub(crate) fn inner(&self) -> &rusqlite::Connection {
        &self.conn
    }

    pub(crate) fn open(
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
        // Foreign keys are not enforced, as in the sqlite3 shell and Alembic (this build of SQLite enforces
        // them by default): rebuilding a table the way SQLite documents it (create the new table, copy,
        // drop the old one, rename) would otherwise fail, or silently delete every row that references the
        // dropped table ON DELETE CASCADE. The pragma does nothing inside a transaction, so it is set here,
        // before any; the runner checks the references before each revision commits instead.
        conn.busy_timeout(busy_timeout)
            .and_then(|()| conn.pragma_update(None, "foreign_keys", false))
            .map_err(|e| {
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
            crate::sql::split(sql, crate::engine::Engine::Sqlite).map_err(|e| DbError {
                message: format!("line {}: {e}", e.line()),
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

    /// Sections run on SQLite are split under SQLite's rules, which have no COPY data blocks, so the runner
    /// never gets here; a caller that does is told plainly.
    fn copy_in(&mut self, _sql: &str, _data: &str) -> Result<u64, DbError> {
        Err(DbError {
            message: "COPY … FROM stdin is PostgreSQL's; SQLite has no COPY".into(),
            code: None,
        })
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
            Some(s) => format!("{}.sqlite_master", quote_ident(s)),
            None => "sqlite_master".into(),
        };
        let rows = self.query(&format!(
            "SELECT 1 FROM {master} WHERE type = 'table' AND name = {}",
            quote_literal(table)
        ))?;
        Ok(!rows.is_empty())
    }

    fn column_names(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<String>, DbError> {
        let schema = schema
            .map(|s| format!(", {}", quote_literal(s)))
            .unwrap_or_default();
        let sql = format!(
            "SELECT name FROM pragma_table_info({}{schema})",
            quote_literal(table)
        );
        first_column(self.query(&sql)?)
    }

    fn dangling_references(&mut self, limit: usize) -> Result<Vec<DanglingReference>, DbError> {
        let rows = self.query(&format!(
            "SELECT c.\"table\", c.rowid, c.parent, \
             (SELECT group_concat(l.\"from\", ', ') FROM pragma_foreign_key_list(c.\"table\") AS l WHERE l.id = c.fkid) \
             FROM pragma_foreign_key_check AS c LIMIT {limit}"
        ))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut cols = r.into_iter();
                let mut next = || cols.next().flatten();
                DanglingReference {
                    table: next().unwrap_or_default(),
                    rowid: next().and_then(|id| id.parse().ok()),
                    parent: next().unwrap_or_default(),
                    columns: next().unwrap_or_default(),
                }
            })
            .collect())
    }

    fn file(&self) -> Option<std::path::PathBuf> {
        // SQLite's own absolute name for the file, so every process finds the same lock file whatever its
        // working directory; empty for an in-memory database.
        self.conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
    }

    fn server_version(&mut self) -> Result<String, DbError> {
        Ok(format!("SQLite {}", rusqlite::version()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> SqliteConnection {
        SqliteConnection::open(
            &SqliteTarget::Memory,
            Duration::ZERO,
            Access::CreateIfMissing,
        )
        .unwrap()
    }

    #[test]
    fn connections_do_not_enforce_foreign_keys() {
        assert_eq!(
            memory().value("PRAGMA foreign_keys").unwrap().as_deref(),
            Some("0")
        );
    }

    #[test]
    fn dangling_references_name_the_table_rowid_columns_and_parent() {
        let mut c = memory();
        c.batch(
            "CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
             CREATE TABLE k (id INTEGER PRIMARY KEY);
             CREATE TABLE c (x INTEGER, y INTEGER, z INTEGER REFERENCES k(id), FOREIGN KEY (x, y) REFERENCES p(a, b));
             CREATE TABLE w (id INTEGER PRIMARY KEY, z INTEGER REFERENCES k(id)) WITHOUT ROWID;
             INSERT INTO p VALUES (1, 1);
             INSERT INTO k VALUES (1);
             INSERT INTO c VALUES (1, 1, 1), (1, 2, 1), (1, 1, 9);
             INSERT INTO w VALUES (1, 9);",
        )
        .unwrap();
        let mut found = c.dangling_references(10).unwrap();
        found.sort_by(|a, b| (&a.table, a.rowid).cmp(&(&b.table, b.rowid)));
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "table 'c' rowid 2 (x, y) references a missing row in 'p'",
                "table 'c' rowid 3 (z) references a missing row in 'k'",
                "table 'w' (z) references a missing row in 'k'",
            ]
        );
        assert_eq!(c.dangling_references(1).unwrap().len(), 1);
    }
}
