//! A SQLite virtual table (FTS5, R-Tree, …): a module and the arguments it was created with. Its columns and
//! the shadow tables the module keeps its data in follow from those, so they are not part of the model.

use super::name::ObjectName;
use super::tokens::Sql;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualTable {
    pub name: ObjectName,
    /// The module name, in lower case (SQLite finds modules without regard to case).
    pub module: String,
    /// The arguments in parentheses after the module name, each as tokens.
    pub arguments: Vec<Sql>,
}
