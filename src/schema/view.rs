//! A view: a named query, compared by the query's tokens, since the database keeps the text as written. On
//! PostgreSQL a view may be materialized: its rows are stored, and refreshed on demand.

use super::name::ObjectName;
use super::tokens::Sql;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: ObjectName,
    /// The column names given after the view's name; empty when the query names them.
    pub columns: Vec<String>,
    pub query: Sql,
    /// PostgreSQL's `MATERIALIZED VIEW`; always false on SQLite.
    pub materialized: bool,
}
