//! A PostgreSQL function or procedure (the ones triggers execute, and any other the schema declares), keyed
//! by its name and argument types since PostgreSQL overloads names, and compared by the text
//! `pg_get_functiondef` writes for it, which is the catalog's own canonical `CREATE OR REPLACE` statement.

use std::fmt;

use super::name::ObjectName;

/// A function's key: its name and its argument types (`pg_get_function_identity_arguments`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionName {
    pub name: ObjectName,
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: FunctionName,
    /// The complete `CREATE OR REPLACE FUNCTION …` (or `PROCEDURE`) statement, without a trailing `;`.
    pub definition: String,
}

/// `schema.name(arguments)`, as `DROP FUNCTION` takes it (no quoting).
impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name, self.arguments)
    }
}
