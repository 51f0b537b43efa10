//! A view: a named query, compared by the query's tokens, since the database keeps the text as written. On
//! PostgreSQL a view may be materialized: its rows are stored, and refreshed on demand.

use std::collections::BTreeMap;

use super::index::Index;
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
    /// A materialized view's indexes, keyed by name; always empty for a plain view, which has no rows to
    /// index. They go with the view: created after it, dropped with it.
    pub indexes: BTreeMap<String, Index>,
}

impl View {
    /// Whether `other` is this view but for its indexes, which change without making the view again.
    pub fn same_but_indexes(&self, other: &View) -> bool {
        // Every field named, so a field added to views has to be placed here or the build fails.
        let View {
            name,
            columns,
            query,
            materialized,
            indexes: _,
        } = self;
        *name == other.name
            && *columns == other.columns
            && *query == other.query
            && *materialized == other.materialized
    }
}
