//! The `alembic_version` table, byte for byte as existing databases have it: one row per current head,
//! changed by the same literal statements, so either tool can continue where the other stopped.

use crate::dialect::{qualified, quote_ident, quote_literal, Connection};
use crate::error::{Error, Result};
use crate::graph::VersionOp;

/// The longest name PostgreSQL keeps; a longer one is cut short without an error, so the table created and
/// the table looked for would differ. Held to on SQLite too, so a project can move between the two.
pub(crate) const MAX_NAME_LEN: usize = 63;

/// Prefixes the engines keep for their own objects: SQLite refuses to create `sqlite_*` tables, and a
/// `pg_*` name can resolve to a system catalog (`pg_class`) instead of a table of ours.
const RESERVED_PREFIXES: [&str; 2] = ["sqlite_", "pg_"];

/// Why a configured table or schema name cannot be used. Checked when the settings load, before anything
/// connects, so a bad name never leaves one table created and the other not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableNameError {
    #[error(
        "{key} '{name}' is {len} bytes long; names are limited to {MAX_NAME_LEN} \
         (PostgreSQL would silently cut it short)"
    )]
    TooLong {
        key: &'static str,
        name: String,
        len: usize,
    },
    #[error("{key} '{}' holds a control character", .name.escape_debug())]
    Control { key: &'static str, name: String },
    #[error("{key} '{name}' starts with '{prefix}', which the database keeps for its own objects")]
    Reserved {
        key: &'static str,
        name: String,
        prefix: &'static str,
    },
    #[error(
        "history_table '{name}' is also the version table; give the two tables different names"
    )]
    SameAsVersionTable { name: String },
}

/// A change to the version table that did not touch exactly one row: something else changed the table while
/// the plan ran, so the run stops rather than record a state the database is not in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Online migration expected to match one row when {} in '{table}'; {found} found", describe(.op))]
pub struct RowCountError {
    pub(crate) op: VersionOp,
    pub(crate) table: String,
    pub(crate) found: u64,
}

/// The change as the message names it.
fn describe(op: &VersionOp) -> String {
    match op {
        VersionOp::Insert(rev) => format!("inserting '{rev}'"),
        VersionOp::Delete(rev) => format!("deleting '{rev}'"),
        VersionOp::Update { from, to } => format!("updating '{from}' to '{to}'"),
    }
}

/// Checks the configured names of the version table, the history table and their schema.
pub(crate) fn check_names(
    version_table: &str,
    history_table: &str,
    schema: Option<&str>,
) -> Result<(), TableNameError> {
    let names = [
        ("version_table", Some(version_table)),
        ("history_table", Some(history_table)),
        ("version_table_schema", schema),
    ];
    for (key, name) in names {
        let Some(name) = name else { continue };
        if name.len() > MAX_NAME_LEN {
            return Err(TableNameError::TooLong {
                key,
                name: name.to_string(),
                len: name.len(),
            });
        }
        if name.chars().any(char::is_control) {
            return Err(TableNameError::Control {
                key,
                name: name.to_string(),
            });
        }
        let lower = name.to_ascii_lowercase();
        if let Some(prefix) = RESERVED_PREFIXES.into_iter().find(|p| lower.starts_with(p)) {
            return Err(TableNameError::Reserved {
                key,
                name: name.to_string(),
                prefix,
            });
        }
    }
    // SQLite compares table names without regard to case.
    if version_table.eq_ignore_ascii_case(history_table) {
        return Err(TableNameError::SameAsVersionTable {
            name: history_table.to_string(),
        });
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub(crate) struct VersionTable {
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
}

impl VersionTable {
    pub(crate) fn qualified(&self) -> String {
        qualified(self.schema.as_deref(), &self.name)
    }

    /// The table's DDL. `if_not_exists` lets two processes that start at once both create it safely.
    pub(crate) fn create_sql(&self, if_not_exists: bool) -> String {
        format!(
            "CREATE TABLE {}{} (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
            if if_not_exists { "IF NOT EXISTS " } else { "" },
            self.qualified(),
            quote_ident(&format!("{}_pkc", self.name))
        )
    }

    /// The statement for one version-table change.
    pub(crate) fn op_sql(&self, op: &VersionOp) -> String {
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

    pub(crate) fn exists(&self, conn: &mut dyn Connection) -> Result<bool> {
        conn.table_exists(self.schema.as_deref(), &self.name)
            .map_err(Error::db(format!(
                "could not look for table {}",
                self.qualified()
            )))
    }

    pub(crate) fn ensure(&self, conn: &mut dyn Connection) -> Result<()> {
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
    pub(crate) fn heads(&self, conn: &mut dyn Connection) -> Result<Vec<String>> {
        if !self.exists(conn)? {
            return Ok(Vec::new());
        }
        self.read(conn)
    }

    /// The current heads, assuming the table exists.
    pub(crate) fn read(&self, conn: &mut dyn Connection) -> Result<Vec<String>> {
        self.read_after(conn, None)
    }

    /// The current heads, read in the same round trip as `first` (a statement with no rows, such as
    /// BEGIN) where the engine allows several statements in a query.
    pub(crate) fn read_after(
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
    pub(crate) fn apply(&self, conn: &mut dyn Connection, op: &VersionOp) -> Result<()> {
        let sql = self.op_sql(op);
        let n = conn
            .execute(&sql)
            .map_err(Error::db(format!("could not update {}", self.qualified())))?;
        self.check(op, n)
    }

    /// Each change must touch exactly one row, as the other tool checks.
    pub(crate) fn check(&self, op: &VersionOp, n: u64) -> Result<()> {
        if n != 1 {
            return Err(RowCountError {
                op: op.clone(),
                table: self.name.clone(),
                found: n,
            }
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_use() {
        assert_eq!(
            check_names("alembic_version", "alembic_version_history", None),
            Ok(())
        );
        assert_eq!(
            check_names("My Versions", "my history", Some("ops")),
            Ok(())
        );
        let long = "v".repeat(64);
        assert!(matches!(
            check_names(&long, "h", None),
            Err(TableNameError::TooLong {
                key: "version_table",
                len: 64,
                ..
            })
        ));
        assert!(check_names(&"v".repeat(63), "h", None).is_ok());
        assert!(matches!(
            check_names("v", "h", Some(&long)),
            Err(TableNameError::TooLong {
                key: "version_table_schema",
                ..
            })
        ));
        assert!(matches!(
            check_names("v", "pg_class", None),
            Err(TableNameError::Reserved {
                key: "history_table",
                prefix: "pg_",
                ..
            })
        ));
        assert!(matches!(
            check_names("SQLite_v", "h", None),
            Err(TableNameError::Reserved {
                prefix: "sqlite_",
                ..
            })
        ));
        assert!(matches!(
            check_names("v\nw", "h", None),
            Err(TableNameError::Control { .. })
        ));
        assert_eq!(
            check_names("Versions", "versions", None),
            Err(TableNameError::SameAsVersionTable {
                name: "versions".into()
            })
        );
    }

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
