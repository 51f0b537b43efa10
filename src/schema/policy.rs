//! PostgreSQL's row-level security policies. A policy belongs to its table, but is an object of its own in
//! the model (as a trigger is), so that it is created once every table and function it may read exists,
//! and dropped before any of them goes.

use super::name::ObjectName;
use super::tokens::Sql;

/// A policy is named within its table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyName {
    pub on: ObjectName,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: PolicyName,
    /// `AS PERMISSIVE` (the default: policies are or-ed) or `AS RESTRICTIVE` (and-ed).
    pub permissive: bool,
    pub command: PolicyCommand,
    /// The roles it applies to, sorted; `public` stands for `PUBLIC`, every role.
    pub roles: Vec<String>,
    /// `USING (…)`: which existing rows are visible or may be changed.
    pub using: Option<Sql>,
    /// `WITH CHECK (…)`: which new rows may be written.
    pub with_check: Option<Sql>,
}

/// The command a policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

impl Policy {
    /// Whether `ALTER POLICY` can turn this policy into `to`: it changes the roles and the expressions, but
    /// neither the command nor permissive/restrictive, and cannot remove an expression.
    pub fn alterable_to(&self, to: &Policy) -> bool {
        self.permissive == to.permissive
            && self.command == to.command
            && (self.using.is_none() || to.using.is_some())
            && (self.with_check.is_none() || to.with_check.is_some())
    }
}

/// Whether a table's rows are filtered by its policies: `ENABLE ROW LEVEL SECURITY`, and `FORCE`, which
/// applies them to the table's owner too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowSecurity {
    pub enabled: bool,
    pub forced: bool,
}
