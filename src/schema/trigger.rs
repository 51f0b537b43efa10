//! A trigger on a table or view. Its definition (when it fires, on what, and its body) is compared as
//! tokens; which relation it belongs to is kept apart because dropping that relation drops the trigger, and
//! because a PostgreSQL trigger's name is only unique on its relation.

use super::name::ObjectName;
use super::tokens::Sql;

/// A trigger's key: the relation it is on, then its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TriggerName {
    pub on: ObjectName,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub name: TriggerName,
    /// Everything after the trigger's name, from its timing to the end of its body.
    pub definition: Sql,
}
