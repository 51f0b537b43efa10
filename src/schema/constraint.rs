//! The constraints a table carries besides its columns' own: primary key, unique, check and foreign keys.
//! Unique, check and foreign-key constraints are kept as sets, ordered by their definition, because a table
//! may carry several unnamed ones: they are told apart by what they say, not by a name.

use super::name::ObjectName;
use super::tokens::Sql;

/// One column of a primary key or unique constraint, which (unlike an index) may not be an expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyColumn {
    pub column: String,
    /// The collation written for this key, when one is; otherwise the column's own applies.
    pub collation: Option<String>,
    pub descending: bool,
}

impl KeyColumn {
    /// The column in ascending order, under its own collation.
    pub fn new(column: impl Into<String>) -> KeyColumn {
        KeyColumn {
            column: column.into(),
            collation: None,
            descending: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    pub name: Option<String>,
    pub columns: Vec<KeyColumn>,
    /// SQLite's AUTOINCREMENT on an INTEGER PRIMARY KEY: row ids are never reused.
    pub autoincrement: bool,
    /// PostgreSQL: a deferrable key is checked at commit (or when `SET CONSTRAINTS` says), not per row.
    pub deferrable: Deferrable,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unique {
    pub columns: Vec<KeyColumn>,
    pub name: Option<String>,
    /// SQLite's `ON CONFLICT` for the constraint; `None` on PostgreSQL.
    pub on_conflict: Option<Conflict>,
    /// PostgreSQL's `NULLS NOT DISTINCT` (15 and later): two rows whose keys are NULL in the same columns
    /// collide, where by default NULLs never do.
    pub nulls_not_distinct: bool,
    /// PostgreSQL: when the constraint is checked. Always `No` on SQLite, which defers foreign keys only.
    pub deferrable: Deferrable,
}

/// What SQLite does with a statement whose row breaks a NOT NULL or UNIQUE constraint carrying an
/// `ON CONFLICT` clause. `ABORT`, what a constraint without the clause does, is no clause in the model, so
/// writing it or not makes no difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Conflict {
    Rollback,
    Fail,
    Ignore,
    Replace,
}

impl Conflict {
    /// The resolution as SQL writes it after `ON CONFLICT`.
    pub fn sql(self) -> &'static str {
        match self {
            Conflict::Rollback => "ROLLBACK",
            Conflict::Fail => "FAIL",
            Conflict::Ignore => "IGNORE",
            Conflict::Replace => "REPLACE",
        }
    }

    /// Reads a resolution, in any case: `Some(None)` for `ABORT`, `None` for a word that names none.
    pub fn parse(word: &str) -> Option<Option<Conflict>> {
        if word.eq_ignore_ascii_case("ABORT") {
            return Some(None);
        }
        [
            Conflict::Rollback,
            Conflict::Fail,
            Conflict::Ignore,
            Conflict::Replace,
        ]
        .into_iter()
        .find(|c| c.sql().eq_ignore_ascii_case(word))
        .map(Some)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Check {
    pub expression: Sql,
    /// `NOT VALID` (PostgreSQL): added without checking the rows already there, and not validated since.
    pub not_valid: bool,
    pub name: Option<String>,
}

/// What a foreign key does to the referencing rows when the referenced row is updated or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// The clause as SQL writes it.
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    /// Reads the clause as SQL writes it (and SQLite's `pragma_foreign_key_list` reports it), in any case.
    pub fn parse(text: &str) -> Option<FkAction> {
        [
            FkAction::NoAction,
            FkAction::Restrict,
            FkAction::Cascade,
            FkAction::SetNull,
            FkAction::SetDefault,
        ]
        .into_iter()
        .find(|a| a.sql().eq_ignore_ascii_case(text))
    }
}

/// When a constraint is checked. SQLite reads `DEFERRABLE INITIALLY IMMEDIATE` as `No` (it checks such a
/// constraint as an immediate one, and has no `SET CONSTRAINTS`); PostgreSQL tells all three apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Deferrable {
    #[default]
    No,
    InitiallyImmediate,
    InitiallyDeferred,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: ObjectName,
    /// Empty when the key references the other table's primary key without naming its columns (SQLite).
    pub referenced_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub deferrable: Deferrable,
    /// `MATCH FULL` (PostgreSQL): a key with some but not all columns NULL is refused. `MATCH SIMPLE`, the
    /// default and SQLite's only behaviour, is false.
    pub match_full: bool,
    /// `NOT VALID` (PostgreSQL): added without checking the rows already there, and not validated since.
    pub not_valid: bool,
    pub name: Option<String>,
}

/// A PostgreSQL exclusion constraint, compared by the text `pg_get_constraintdef` gives for it
/// (`EXCLUDE USING gist (room WITH =, during WITH &&)`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Exclusion {
    pub definition: Sql,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_back_what_they_write() {
        for a in [
            FkAction::NoAction,
            FkAction::Restrict,
            FkAction::Cascade,
            FkAction::SetNull,
            FkAction::SetDefault,
        ] {
            assert_eq!(FkAction::parse(a.sql()), Some(a));
        }
        assert_eq!(FkAction::parse("set null"), Some(FkAction::SetNull));
        assert_eq!(FkAction::parse("NONE"), None);
    }

    #[test]
    fn unnamed_checks_that_say_the_same_are_one() {
        let set: std::collections::BTreeSet<Check> = ["a > 0", "(A>0)", "b > 0"]
            .into_iter()
            .map(|e| Check {
                expression: Sql::sqlite(e).unwrap(),
                not_valid: false,
                name: None,
            })
            .collect();
        assert_eq!(set.len(), 2);
    }
}
