//! The two database engines behind one small trait. Every difference between them is stated under this
//! folder: the capability flags, column types and SQL fragments on [`Dialect`], so the runner never asks "is
//! this SQLite?", and one folder per engine for everything that talks to it: [`sqlite`] (opening the file, the
//! lock file beside it) and [`postgres`] (connecting with TLS, the advisory lock, `pg_dump` and `pg_restore`).
//! Each engine's folder also reads its catalog into the schema model and builds schemas in scratch databases;
//! what their scratch databases share is in [`scratch`].
//! The two verbs whose work itself differs per engine, `db-init` and `db-backup`, keep their per-engine halves
//! beside their own flow (`init/{sqlite,postgres}.rs`, `backup/{sqlite,postgres}.rs`), built on what is here.

pub mod postgres;
pub(crate) mod scratch;
pub(crate) mod sqlite;

pub(crate) use postgres::db_error as pg_db_error;
pub(crate) use sqlite::SqliteConnection;

use std::fmt;

use crate::dburl::DatabaseUrl;
use crate::engine::Engine;

/// What an engine can do and how it spells things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Which engine this is; also the lexical rules its SQL is split by.
    pub(crate) engine: Engine,
    /// How a migration's transaction starts. SQLite takes the write lock up front, so two processes queue
    /// on the busy timeout instead of one of them failing to upgrade a read lock.
    pub(crate) begin: &'static str,
    /// What serialises whole runs across processes (see [`crate::lock`]).
    pub(crate) run_lock: RunLock,
    /// Every statement costs a round trip to a server, so a transactional section is sent as one batch.
    pub(crate) batch_sections: bool,
    /// The history table's key column.
    pub(crate) serial_pk: &'static str,
    /// The history table's column type for a point in time.
    pub(crate) timestamp_type: &'static str,
    /// The history table's column type for a flag.
    pub(crate) boolean_type: &'static str,
    pub(crate) true_literal: &'static str,
    pub(crate) false_literal: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    engine: Engine::Sqlite,
    begin: "BEGIN IMMEDIATE",
    run_lock: RunLock::File,
    batch_sections: false,
    serial_pk: "INTEGER PRIMARY KEY AUTOINCREMENT",
    timestamp_type: "TEXT",
    boolean_type: "INTEGER",
    true_literal: "1",
    false_literal: "0",
};

pub(crate) const POSTGRESQL: Dialect = Dialect {
    engine: Engine::Postgresql,
    begin: "BEGIN",
    run_lock: RunLock::Advisory,
    batch_sections: true,
    serial_pk: "BIGSERIAL PRIMARY KEY",
    timestamp_type: "TIMESTAMP WITH TIME ZONE",
    boolean_type: "BOOLEAN",
    true_literal: "true",
    false_literal: "false",
};

/// How a run keeps other processes out of the database until it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunLock {
    /// A session-level advisory lock on the server.
    Advisory,
    /// An exclusive lock on a file beside the database file; an in-memory database needs none.
    File,
}

impl Dialect {
    pub(crate) fn for_url(url: &DatabaseUrl) -> Dialect {
        Dialect::of(url.engine())
    }

    pub(crate) fn of(engine: Engine) -> Dialect {
        match engine {
            Engine::Sqlite => SQLITE,
            Engine::Postgresql => POSTGRESQL,
        }
    }

    pub(crate) fn bool_literal(&self, value: bool) -> &'static str {
        if value {
            self.true_literal
        } else {
            self.false_literal
        }
    }
}

/// A database error as the server reported it.
#[derive(Debug, Clone)]
pub struct DbError {
    pub(crate) message: String,
    /// The SQLSTATE, on PostgreSQL.
    pub(crate) code: Option<String>,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} (SQLSTATE {code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DbError {}

/// A row whose foreign key matches no row of the table it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingReference {
    pub(crate) table: String,
    /// `None` for a table without rowids.
    pub(crate) rowid: Option<i64>,
    /// The referencing columns, comma-separated.
    pub(crate) columns: String,
    pub(crate) parent: String,
}

impl fmt::Display for DanglingReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table '{}'", self.table)?;
        if let Some(rowid) = self.rowid {
            write!(f, " rowid {rowid}")?;
        }
        write!(
            f,
            " ({}) references a missing row in '{}'",
            self.columns, self.parent
        )
    }
}

/// One text-valued result row.
pub(crate) type Row = Vec<Option<String>>;

/// The few operations the runner needs from a connection. Values are passed as SQL literals (see
/// [`quote_literal`]) because the same statements are also printed for offline use.
pub trait Connection {
    fn dialect(&self) -> Dialect;
    /// Runs one or more statements and ignores any rows.
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Runs one statement and returns the number of rows it changed.
    fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        Ok(self.batch_counts(sql)?.iter().sum())
    }
    /// Runs several statements at once (one round trip on a server) and returns the number of rows each
    /// changed, in order; it stops at the first error.
    fn batch_counts(&mut self, sql: &str) -> Result<Vec<u64>, DbError>;
    /// Runs `COPY … FROM stdin` with its data block and returns the number of rows copied.
    fn copy_in(&mut self, sql: &str, data: &str) -> Result<u64, DbError>;
    /// Runs one query and returns its rows as text.
    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError>;
    /// The first column of a query's first row, if there is one and it is not NULL.
    fn value(&mut self, sql: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .query(sql)?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten()))
    }
    /// Whether a table exists (in `schema`, or the default search path).
    fn table_exists(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError>;
    /// A table's column names, in one query; none when the table does not exist.
    fn column_names(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<String>, DbError>;
    /// Up to `limit` rows whose foreign keys match no parent row. A server enforces its constraints as statements run, so
    /// only an engine whose migrations run with enforcement off (SQLite) has any to report.
    fn dangling_references(&mut self, _limit: usize) -> Result<Vec<DanglingReference>, DbError> {
        Ok(Vec::new())
    }
    /// The file the database is stored in; `None` for a server or an in-memory database.
    fn file(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// A one-line description of the server, e.g. "PostgreSQL 15.20" or "SQLite 3.54.1".
    fn server_version(&mut self) -> Result<String, DbError>;
}

/// Whether opening a SQLite database may create its file. Commands that only read must not: run in the
/// wrong directory, they would leave an empty database behind and report it as one with no revision.
/// (A PostgreSQL database is never created by connecting.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    CreateIfMissing,
    MustExist,
}

/// Opens a connection for a URL, creating a SQLite file (and its directory) that does not exist yet.
pub fn connect(
    url: &DatabaseUrl,
    busy_timeout: std::time::Duration,
) -> Result<Box<dyn Connection>, crate::Error> {
    open(url, busy_timeout, Access::CreateIfMissing)
}

/// Opens a connection for a URL; `access` says whether a SQLite file may be created.
pub(crate) fn open(
    url: &DatabaseUrl,
    busy_timeout: std::time::Duration,
    access: Access,
) -> Result<Box<dyn Connection>, crate::Error> {
    match url {
        DatabaseUrl::Sqlite(target) => Ok(Box::new(sqlite::SqliteConnection::open(
            target,
            busy_timeout,
            access,
        )?)),
        DatabaseUrl::Postgres(target) => Ok(Box::new(postgres::PgConnection::open(target)?)),
    }
}

/// The first value of every row, skipping NULLs.
fn first_column(rows: Vec<Row>) -> Result<Vec<String>, DbError> {
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}

/// A string as an SQL literal. Standard quoting is correct on both engines (PostgreSQL has
/// standard_conforming_strings on by default); NUL cannot be stored in text on PostgreSQL, so it is dropped.
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An identifier, quoted only when it needs to be, so that generated SQL reads like hand-written SQL.
pub(crate) fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    crate::schema::name::bare_or_quoted(name, plain)
}

/// `schema.table` or `table`, quoted as needed.
pub(crate) fn qualified(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(table)),
        None => quote_ident(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_quotes_and_drop_nul() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\0b"), "'ab'");
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("alembic_version"), "alembic_version");
        assert_eq!(quote_ident("My Table"), "\"My Table\"");
        assert_eq!(qualified(Some("ops"), "v"), "ops.v");
    }
}
