//! A PostgreSQL domain: a base type with a default, NOT NULL and checks that every column of the domain
//! gets. Columns name the domain as their type (`format_type` writes the domain, never its base), so a
//! column of a domain is compared by that name like a column of any other type.

use std::collections::BTreeMap;

use super::name::ObjectName;
use super::tokens::Sql;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: ObjectName,
    /// The base type as `format_type` writes it (`integer`, `character varying(20)`, another domain).
    pub base: String,
    /// The collation written for the domain, quoted as a name; `None` for the base type's own.
    pub collation: Option<String>,
    pub default: Option<Sql>,
    pub not_null: bool,
    /// Keyed by name: PostgreSQL names every domain constraint.
    pub checks: BTreeMap<String, DomainCheck>,
}

/// One `CHECK` of a domain, as `pg_get_constraintdef` writes it (`CHECK ((VALUE > 0))`), without the
/// `NOT VALID` it appends for a check added unvalidated and not validated since, which `not_valid` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainCheck {
    pub definition: Sql,
    pub not_valid: bool,
}

impl Domain {
    /// Whether `to` is this domain with another base type or collation, which no `ALTER DOMAIN` changes:
    /// the domain is dropped and created again.
    pub fn retyped(&self, to: &Domain) -> bool {
        self.base != to.base || self.collation != to.collation
    }
}
