//! Indexes created on their own (`CREATE INDEX`), as opposed to the ones a primary key or unique constraint
//! implies, which belong to the constraint. A part may be an expression and the index may be partial.

use super::tokens::Sql;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub parts: Vec<IndexPart>,
    /// The WHERE clause of a partial index.
    pub predicate: Option<Sql>,
    /// PostgreSQL's access method (`btree`, `gin`, `gist`, …); `None` on SQLite, which has one.
    pub method: Option<String>,
    /// PostgreSQL's `INCLUDE` columns, carried in the index but not part of its key.
    pub include: Vec<String>,
    /// PostgreSQL's `NULLS NOT DISTINCT` on a unique index (15 and later): NULL keys collide.
    pub nulls_not_distinct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPart {
    pub key: IndexKey,
    /// The collation written for this part, when one is.
    pub collation: Option<String>,
    /// PostgreSQL's operator class for this part, when it is not the type's default.
    pub opclass: Option<String>,
    pub descending: bool,
}

/// What one part of an index orders by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKey {
    Column(String),
    Expression(Sql),
}

impl IndexPart {
    /// An ascending part on a column, under the column's collation.
    #[cfg(test)]
    pub fn column(name: impl Into<String>) -> IndexPart {
        IndexPart {
            key: IndexKey::Column(name.into()),
            collation: None,
            opclass: None,
            descending: false,
        }
    }
}
