//! A PostgreSQL enum type: a name and its labels in their sort order. Order matters: it is the order values
//! compare in, so a reordered label is a change as much as an added one.

use super::name::ObjectName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    pub name: ObjectName,
    pub labels: Vec<String>,
}
