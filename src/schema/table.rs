//! A table: its columns in order, its constraints, its indexes and the options that change how it stores
//! rows. Column order is kept (a rebuilt table is created and copied in it) but is not what names a column.

use std::collections::{BTreeMap, BTreeSet};

use super::constraint::{Check, Conflict, Exclusion, ForeignKey, PrimaryKey, Unique};
use super::index::Index;
use super::name::ObjectName;
use super::policy::RowSecurity;
use super::tokens::Sql;
use super::ModelError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: ObjectName,
    pub columns: Columns,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: BTreeSet<Unique>,
    pub checks: BTreeSet<Check>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// PostgreSQL's exclusion constraints.
    pub exclusions: BTreeSet<Exclusion>,
    /// Keyed by index name.
    pub indexes: BTreeMap<String, Index>,
    pub options: TableOptions,
    /// PostgreSQL's `PARTITION BY` of a partitioned table, as `pg_get_partkeydef` writes it
    /// (`RANGE (created_at)`).
    pub partition_by: Option<Sql>,
    /// The parent and bounds of a PostgreSQL partition, whose columns, keys and indexes come from the
    /// parent (the model of a partition holds only what it adds).
    pub partition_of: Option<PartitionOf>,
    /// PostgreSQL's row-level security switches; off on SQLite. The policies are the schema's.
    pub row_security: RowSecurity,
}

/// What a PostgreSQL partition is a partition of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOf {
    pub parent: ObjectName,
    /// As `pg_get_expr(relpartbound)` writes it: `FOR VALUES FROM (…) TO (…)`, `DEFAULT`, ….
    pub bound: Sql,
}

impl Table {
    /// A table with these columns and nothing else, with the engine's default options.
    pub fn new(name: ObjectName, columns: Columns, options: TableOptions) -> Table {
        Table {
            name,
            columns,
            primary_key: None,
            uniques: BTreeSet::new(),
            checks: BTreeSet::new(),
            foreign_keys: BTreeSet::new(),
            exclusions: BTreeSet::new(),
            indexes: BTreeMap::new(),
            options,
            partition_by: None,
            partition_of: None,
            row_security: RowSecurity::default(),
        }
    }
}

/// A table's columns in their order, no two with the same name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Columns(Vec<Column>);

impl Columns {
    /// Refuses a second column of the same name (compared without regard to ASCII case, as both engines
    /// compare unquoted names, so no model holds two columns a query could not tell apart).
    pub fn new(columns: Vec<Column>) -> Result<Columns, ModelError> {
        for (i, c) in columns.iter().enumerate() {
            if columns[..i]
                .iter()
                .any(|d| d.name.eq_ignore_ascii_case(&c.name))
            {
                return Err(ModelError::DuplicateColumn(c.name.clone()));
            }
        }
        Ok(Columns(columns))
    }

    /// The column named `name`, in any ASCII case.
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.0.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Column> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Columns {
    type Item = &'a Column;
    type IntoIter = std::slice::Iter<'a, Column>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The declared type, normalised (upper case, single spaces); SQLite allows none.
    pub data_type: Option<String>,
    pub nullable: bool,
    pub value: ColumnValue,
    /// The collation written for the column, in upper case; `None` for the engine's default.
    pub collation: Option<String>,
    /// SQLite's `ON CONFLICT` on the column's NOT NULL; `None` when nullable, and on PostgreSQL.
    pub not_null_conflict: Option<Conflict>,
}

impl Column {
    /// A nullable column of this type with no default and the default collation.
    pub fn new(name: impl Into<String>, data_type: Option<&str>) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.map(str::to_string),
            nullable: true,
            value: ColumnValue::None,
            collation: None,
            not_null_conflict: None,
        }
    }
}

/// Where a column's value comes from when a row does not give one. A generated or identity column has no
/// default, so the three are one choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnValue {
    None,
    Default(Sql),
    Generated {
        expression: Sql,
        storage: Storage,
    },
    /// PostgreSQL's `GENERATED … AS IDENTITY`, numbered from a sequence the column owns.
    Identity(Identity),
}

/// Whether an identity column takes a value given in an INSERT (`BY DEFAULT`) or refuses it (`ALWAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Always,
    ByDefault,
}

/// Whether a generated column is computed when read or stored when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Virtual,
    Stored,
}

/// What changes how an engine stores a table's rows, per engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableOptions {
    Sqlite {
        /// STRICT: values must match the declared types.
        strict: bool,
        /// WITHOUT ROWID: rows are stored in the primary key's order, with no rowid.
        without_rowid: bool,
    },
    Postgres {
        /// UNLOGGED: not written to the write-ahead log, emptied after a crash.
        unlogged: bool,
    },
}

impl TableOptions {
    /// A SQLite table as `CREATE TABLE` makes one without options.
    #[cfg(test)]
    pub const SQLITE: TableOptions = TableOptions::Sqlite {
        strict: false,
        without_rowid: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_columns_of_one_name_are_refused() {
        let e = Columns::new(vec![Column::new("id", None), Column::new("ID", None)]).unwrap_err();
        assert_eq!(e, ModelError::DuplicateColumn("ID".into()));
    }

    #[test]
    fn columns_are_found_in_any_case_and_kept_in_order() {
        let cols = Columns::new(vec![Column::new("b", None), Column::new("a", None)]).unwrap();
        assert_eq!(cols.get("B").map(|c| c.name.as_str()), Some("b"));
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
    }
}
