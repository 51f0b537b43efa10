//! A PostgreSQL session seen through [`Connection`]. Statements go over the simple query protocol, which
//! accepts any statement a migration may hold (including ones that cannot be prepared) and returns text values.

use std::io::Write;

use postgres::SimpleQueryMessage;

use crate::dburl::PgTarget;
use crate::dialect::{
    first_column, qualified, quote_literal, Connection, DbError, Dialect, Row, POSTGRESQL,
};

pub struct PgConnection {
    client: postgres::Client,
}

impl PgConnection {
    pub fn open(target: &PgTarget) -> Result<PgConnection, crate::Error> {
        let client = super::connect(target)?;
        Ok(PgConnection { client })
    }
}

/// A client error as the server reported it: message, detail, hint and SQLSTATE.
pub(crate) fn db_error(e: &postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(db) => {
            let mut message = db.message().to_string();
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                message.push_str(&format!(" (hint: {hint})"));
            }
            DbError {
                message,
                code: Some(db.code().code().to_string()),
            }
        }
        None => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            DbError {
                message,
                code: None,
            }
        }
    }
}

impl Connection for PgConnection {
    fn dialect(&self) -> Dialect {
        POSTGRESQL
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client.batch_execute(sql).map_err(|e| db_error(&e))
    }

    fn batch_counts(&mut self, sql: &str) -> Result<Vec<u64>, DbError> {
        let messages = self.client.simple_query(sql).map_err(|e| db_error(&e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .collect())
    }

    fn copy_in(&mut self, sql: &str, data: &str) -> Result<u64, DbError> {
        let mut writer = self.client.copy_in(sql).map_err(|e| db_error(&e))?;
        writer.write_all(data.as_bytes()).map_err(|e| DbError {
            message: format!("could not send the COPY data: {e}"),
            code: None,
        })?;
        writer.finish().map_err(|e| db_error(&e))
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Row>, DbError> {
        let messages = self.client.simple_query(sql).map_err(|e| db_error(&e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    fn table_exists(&mut self, schema: Option<&str>, table: &str) -> Result<bool, DbError> {
        let name = qualified(schema, table);
        let exists = self.value(&format!(
            "SELECT to_regclass({}) IS NOT NULL",
            quote_literal(&name)
        ))?;
        Ok(exists.as_deref() == Some("t"))
    }

    fn column_names(&mut self, schema: Option<&str>, table: &str) -> Result<Vec<String>, DbError> {
        let sql = format!(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass({}) AND attnum > 0 AND NOT attisdropped",
            quote_literal(&qualified(schema, table))
        );
        first_column(self.query(&sql)?)
    }

    fn server_version(&mut self) -> Result<String, DbError> {
        let version = self.value("SHOW server_version")?.unwrap_or_default();
        Ok(format!("PostgreSQL {version}"))
    }
}
