//! A PostgreSQL sequence made on its own or by a `serial` column, as opposed to the sequence behind an
//! identity column, which belongs to the column. A sequence owned by a column is dropped with its table.

use super::name::ObjectName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub name: ObjectName,
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// The column that owns the sequence (`OWNED BY`), as a `serial` column does.
    pub owned_by: Option<(ObjectName, String)>,
}
