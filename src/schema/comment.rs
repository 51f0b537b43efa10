//! Comments (`COMMENT ON`), kept apart from the objects they describe so that a changed comment is a change of
//! its own and never makes its object look changed.

use super::function::FunctionName;
use super::name::ObjectName;
use super::trigger::TriggerName;

/// What a comment is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CommentOn {
    /// A table, view or materialized view.
    Relation(ObjectName),
    Column {
        table: ObjectName,
        column: String,
    },
    /// An index, by the table it is on and its name.
    Index {
        table: ObjectName,
        name: String,
    },
    /// An enum type or a domain.
    Type(ObjectName),
    /// A schema (namespace).
    Schema(String),
    /// A table's constraint, by the table and the constraint's name (PostgreSQL names every one).
    Constraint {
        table: ObjectName,
        name: String,
    },
    Trigger(TriggerName),
    /// A function or procedure.
    Function(FunctionName),
    Sequence(ObjectName),
}
