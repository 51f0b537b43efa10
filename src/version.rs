//! The `alembic_version` table, byte for byte as existing databases have it: one row per current head,
//! changed by the same literal statements, so either tool can continue where the other stopped.

use crate::dialect::{qualified, quote_ident, quote_literal, Connection};
use crate::error::{Error, Result};
use crate::graph::VersionOp;

#[derive(Debug, Clone)]
pub struct VersionTable {
    pub schema: Option<String>,
    pub name: String,
}

impl VersionTable {
    pub fn qualified(&self) -> String {
        qualified(self.schema.as_deref(), &self.name)
    }

    /// The table's DDL. `if_not_exists` lets two processes that start at once both create it safely.
    pub fn create_sql(&self, if_not_exists: bool) -> String {
        format!(
            "CREATE TABLE {}{} (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            if if_not_exists { "IF NOT EXISTS " } else { "" },
            self.qualified(),
            quote_ident(&format!("{}_pkc", self.name))
        )
    }

    /// The statement for one version-table change.
    pub fn op_sql(&self, op: &VersionOp) -> String {
        let table = self.qualified();
        match op {
            VersionOp::Insert(rev) => format!(
                "INSERT INTO {table} (version_num) VALUES ({})",
                quote_literal(rev)
            ),
            VersionOp::Delete(rev) => format!(
                "DELETE FROM {table} WHERE {table}.version_num = {}",
                quote_literal(rev)
            ),
            VersionOp::Update { from, to } => format!(
                "UPDATE {table} SET version_num={} WHERE {table}.version_num = {}",
                quote_literal(to),
                quote_literal(from)
            ),
        }
    }

    pub fn exists(&self, conn: &mut dyn Connection) -> Result<bool> {
        conn.table_exists(self.schema.as_deref(), &self.name)
            .map_err(Error::db(format!(
                "could not look for table {}",
                self.qualified()
            )))
    }

    pub fn ensure(&self, conn: &mut dyn Connection) -> Result<()> {
        if self.exists(conn)? {
            return Ok(());
        }
        conn.batch(&self.create_sql(true))
            .map_err(Error::db(format!(
                "could not create table {}",
                self.qualified()
            )))
    }

    /// The current heads; empty when the table does not exist (nothing has been applied).
    pub fn heads(&self, conn: &mut dyn Connection) -> Result<Vec<String>> {
        if !self.exists(conn)? {
            return Ok(Vec::new());
        }
        self.read(conn)
    }

    /// The current heads, assuming the table exists.
    pub fn read(&self, conn: &mut dyn Connection) -> Result<Vec<String>> {
        self.read_after(conn, None)
    }

    /// The current heads, read in the same round trip as `first` (a statement with no rows, such as
    /// BEGIN) where the engine allows several statements in a query.
    pub fn read_after(
        &self,
        conn: &mut dyn Connection,
        first: Option<&str>,
    ) -> Result<Vec<String>> {
        let select = format!("SELECT version_num FROM {}", self.qualified());
        let sql = match first {
            Some(first) => format!("{first};\n{select}"),
            None => select,
        };
        let rows = conn
            .query(&sql)
            .map_err(Error::db(format!("could not read {}", self.qualified())))?;
        let mut heads: Vec<String> = rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        heads.sort();
        Ok(heads)
    }

    /// Applies one change and checks it.
    pub fn apply(&self, conn: &mut dyn Connection, op: &VersionOp) -> Result<()> {
        let sql = self.op_sql(op);
        let n = conn
            .execute(&sql)
            .map_err(Error::db(format!("could not update {}", self.qualified())))?;
        self.check(op, n)
    }

    /// Each change must touch exactly one row, as the other tool checks.
    pub fn check(&self, op: &VersionOp, n: u64) -> Result<()> {
        if n != 1 {
            let what = match op {
                VersionOp::Insert(rev) => format!("inserting '{rev}'"),
                VersionOp::Delete(rev) => format!("deleting '{rev}'"),
                VersionOp::Update { from, to } => format!("updating '{from}' to '{to}'"),
            };
            return Err(Error::Plan(format!(
                "Online migration expected to match one row when {what} in '{}'; {n} found",
                self.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_match_the_existing_wording() {
        let t = VersionTable {
            schema: None,
            name: "alembic_version".into(),
        };
        assert_eq!(
            t.op_sql(&VersionOp::Update {
                from: "a".into(),
                to: "b".into()
            }),
            "UPDATE alembic_version SET version_num='b' WHERE alembic_version.version_num = 'a'"
        );
        assert_eq!(
            t.op_sql(&VersionOp::Insert("a".into())),
            "INSERT INTO alembic_version (version_num) VALUES ('a')"
        );
        assert!(t
            .create_sql(false)
            .contains("CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"));
    }
}
