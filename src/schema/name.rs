//! How schema objects are named and keyed. PostgreSQL puts every relation in a namespace (a schema), SQLite
//! has one namespace per attached database and dbkit reads only `main`, so a name is an optional namespace and
//! a name, ordered by both so every listing of a model comes out in the same order.

use std::fmt;

/// `name` as it is when `bare`, in double quotes (with any inside doubled) otherwise: how every engine
/// quotes a name, whatever its rule for when a name needs it.
pub fn bare_or_quoted(name: &str, bare: bool) -> String {
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectName {
    /// The PostgreSQL schema; `None` on SQLite.
    pub schema: Option<String>,
    pub name: String,
}

impl ObjectName {
    /// A name outside any namespace, as every SQLite name is.
    pub fn bare(name: impl Into<String>) -> ObjectName {
        ObjectName {
            schema: None,
            name: name.into(),
        }
    }
}

/// `schema.name`, or `name` alone, as a reader would refer to the object (no quoting).
impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}
