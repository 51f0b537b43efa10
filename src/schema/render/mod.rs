//! Changes written as SQL, per engine, with what each could do to the rows already there. The engine's
//! renderer decides how a change is carried out (an `ALTER`, or rebuilding a table); what comes out is a list
//! of [`Step`]s in the order of the changes, each the statements of one change and its [`Hazard`]s, so a
//! revision can carry the hazards as comments beside the SQL and a verb can list them.
//!
//! [`plan`] is the entry point: the upgrade and the downgrade between two schemas, each rendered by the
//! schemas' engine.
//!
//! - [`sqlite`]: SQLite's `ALTER TABLE` where it can, its documented table rebuild otherwise.
//! - [`postgres`]: PostgreSQL's `ALTER`s, with `--online` forms that keep a live table usable.

pub mod postgres;
pub mod sqlite;

use std::fmt;

use super::constraint::{Check, Deferrable, Exclusion, FkAction, ForeignKey, Unique};
use super::diff::{diff, Change};
use super::name::ObjectName;
use super::table::{Column, Storage, Table};
use super::tokens::{LexError, Sql};
use super::Schema;
use crate::engine::Engine;

/// `(expression)`, without adding a second pair around text that already has one (as `read`, the engine's
/// lexer, reads the text inside).
fn parenthesised(sql: &Sql, read: fn(&str) -> Result<Sql, LexError>) -> String {
    let text = sql.text();
    let wrapped = text.starts_with('(')
        && text.ends_with(')')
        && read(&text[1..text.len() - 1]).is_ok_and(|inner| inner == *sql);
    if wrapped {
        text.to_string()
    } else {
        format!("({text})")
    }
}

/// ` GENERATED ALWAYS AS (expression) STORED|VIRTUAL`, as both engines write a generated column.
fn generated(
    expression: &Sql,
    storage: Storage,
    read: fn(&str) -> Result<Sql, LexError>,
) -> String {
    let storage = match storage {
        Storage::Virtual => "VIRTUAL",
        Storage::Stored => "STORED",
    };
    format!(
        " GENERATED ALWAYS AS {} {storage}",
        parenthesised(expression, read)
    )
}

/// The ` ON DELETE … ON UPDATE … DEFERRABLE …` of a key, leaving out what is the default, as both engines
/// write them.
fn actions(fk: &ForeignKey) -> String {
    let mut s = String::new();
    if fk.on_delete != FkAction::NoAction {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
    }
    if fk.on_update != FkAction::NoAction {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
    }
    s + deferrable(fk.deferrable)
}

/// ` DEFERRABLE INITIALLY …` of a constraint, or nothing for one checked per statement (the default).
fn deferrable(d: Deferrable) -> &'static str {
    match d {
        Deferrable::No => "",
        Deferrable::InitiallyImmediate => " DEFERRABLE INITIALLY IMMEDIATE",
        Deferrable::InitiallyDeferred => " DEFERRABLE INITIALLY DEFERRED",
    }
}

/// What a renderer reads besides the change it writes: both schemas, every change, and the declared renames,
/// which both engines honour the same way.
struct Context<'a> {
    current: &'a Schema,
    desired: &'a Schema,
    changes: &'a [Change],
    renames: &'a Renames,
}

impl Context<'_> {
    /// The column of the current table that `column` of the desired one is a rename of: the rename is given,
    /// and the changes drop the one and add the other with the same definition.
    fn renamed_from(&self, table: &ObjectName, column: &str) -> Option<&Column> {
        let rename = self
            .renames
            .columns
            .iter()
            .find(|r| r.table == *table && r.to.eq_ignore_ascii_case(column))?;
        let mut dropped = None;
        let mut added = None;
        for change in self.changes {
            match change {
                Change::DropColumn {
                    table: t,
                    column: c,
                } if t == table && c.name.eq_ignore_ascii_case(&rename.from) => dropped = Some(c),
                Change::AddColumn {
                    table: t,
                    column: c,
                } if t == table && c.name.eq_ignore_ascii_case(&rename.to) => added = Some(c),
                _ => {}
            }
        }
        let (old, new) = (dropped?, added?);
        let same = Column {
            name: old.name.clone(),
            ..new.clone()
        };
        (same == *old).then_some(old)
    }

    /// Whether `column` of the current table is renamed (see [`Context::renamed_from`]), and to what.
    fn renamed_to(&self, table: &ObjectName, column: &str) -> Option<&str> {
        self.renames
            .columns
            .iter()
            .filter(|r| r.table == *table && r.from.eq_ignore_ascii_case(column))
            .find(|r| self.renamed_from(table, &r.to).is_some())
            .map(|r| r.to.as_str())
    }

    /// The table a dropped table is renamed to: the rename is given, and the changes create that table with
    /// the same columns, constraints and options.
    fn table_renamed_to(&self, from: &ObjectName) -> Option<&Table> {
        let rename = self.renames.tables.iter().find(|r| r.from == *from)?;
        let old = self.changes.iter().find_map(|c| match c {
            Change::DropTable(t) if t.name == *from => Some(t),
            _ => None,
        })?;
        let new = self.changes.iter().find_map(|c| match c {
            Change::CreateTable(t) if t.name == rename.to => Some(t),
            _ => None,
        })?;
        let same = Table {
            name: old.name.clone(),
            indexes: old.indexes.clone(),
            ..new.clone()
        };
        let equal = match self.current.engine {
            // PostgreSQL keeps a renamed table's constraint names (`users_pkey` stays), which the renderer
            // renames to the new ones: constraints are matched by what they say.
            Engine::Postgresql => unnamed(&same) == unnamed(old),
            Engine::Sqlite => same == *old,
        };
        equal.then_some(new)
    }

    /// Whether a created table is the new name of a dropped one (see [`Context::table_renamed_to`]).
    fn table_renamed_from(&self, to: &ObjectName) -> bool {
        self.renames
            .tables
            .iter()
            .any(|r| r.to == *to && self.table_renamed_to(&r.from).is_some())
    }

    /// Whether the index `index` of a renamed table (under its new name `table`) goes with it as it is: the
    /// table has it under that name, the same, before and after.
    fn index_moves(&self, table: &ObjectName, index: &str) -> bool {
        self.renames.tables.iter().any(|r| {
            r.to == *table
                && self.table_renamed_to(&r.from).is_some()
                && match (self.current.table(&r.from), self.desired.table(table)) {
                    (Some(old), Some(new)) => {
                        old.indexes.contains_key(index)
                            && old.indexes.get(index) == new.indexes.get(index)
                    }
                    _ => false,
                }
        })
    }
}

/// `table` with the names of its constraints left out.
fn unnamed(table: &Table) -> Table {
    let mut t = table.clone();
    if let Some(pk) = &mut t.primary_key {
        pk.name = None;
    }
    t.uniques = t
        .uniques
        .into_iter()
        .map(|u| Unique { name: None, ..u })
        .collect();
    t.checks = t
        .checks
        .into_iter()
        .map(|c| Check { name: None, ..c })
        .collect();
    t.foreign_keys = t
        .foreign_keys
        .into_iter()
        .map(|fk| ForeignKey { name: None, ..fk })
        .collect();
    t.exclusions = t
        .exclusions
        .into_iter()
        .map(|e| Exclusion {
            name: String::new(),
            ..e
        })
        .collect();
    t
}

/// How the SQL is written, where an engine offers a choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// PostgreSQL: the forms that keep a live table usable (`CREATE INDEX CONCURRENTLY`, `NOT VALID` then
    /// `VALIDATE`, a `lock_timeout`). SQLite has no such forms and ignores it.
    pub online: bool,
}

/// A generated migration: the steps of the upgrade and of the downgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub up: Vec<Step>,
    pub down: Vec<Step>,
}

impl Plan {
    /// Whether the two schemas are the same, so there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.up.is_empty() && self.down.is_empty()
    }
}

/// The SQL that turns `current` into `desired` and back, rendered from the two diffs; the downgrade undoes
/// the renames the upgrade makes.
pub fn plan(current: &Schema, desired: &Schema, renames: &Renames, options: Options) -> Plan {
    plan_from(current, desired, &diff(current, desired), renames, options)
}

/// [`plan`] with the upgrade's diff already computed (`changes`, from `current` to `desired`), for a
/// caller that has examined it first.
pub fn plan_from(
    current: &Schema,
    desired: &Schema,
    changes: &[Change],
    renames: &Renames,
    options: Options,
) -> Plan {
    Plan {
        up: steps(current, desired, changes, renames, options),
        down: steps(
            desired,
            current,
            &diff(desired, current),
            &renames.inverse(),
            options,
        ),
    }
}

/// One direction of [`plan_from`]: the steps that carry out `changes` (from `from` to `to`), rendered by the
/// schemas' engine, for a caller that never goes back (a dump creates a schema from nothing).
pub fn steps(
    from: &Schema,
    to: &Schema,
    changes: &[Change],
    renames: &Renames,
    options: Options,
) -> Vec<Step> {
    match from.engine {
        Engine::Sqlite => sqlite::render(from, to, changes, renames),
        Engine::Postgresql => postgres::render(from, to, changes, renames, options),
    }
}

/// The renames the user has declared. Without them a rename reads as a drop and an add, which loses the
/// data; a renderer makes a declared rename a rename where the changes hold exactly that drop and add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    pub tables: Vec<TableRename>,
    pub columns: Vec<ColumnRename>,
}

impl Renames {
    /// The renames with every name that has no schema put in PostgreSQL's `public`, as the names in a
    /// PostgreSQL model are; SQLite names have none, and stay as they are.
    pub fn in_default_schema(mut self, engine: Engine) -> Renames {
        if engine == Engine::Postgresql {
            let public = |name: &mut ObjectName| {
                name.schema.get_or_insert_with(|| "public".to_string());
            };
            for r in &mut self.tables {
                public(&mut r.from);
                public(&mut r.to);
            }
            for r in &mut self.columns {
                public(&mut r.table);
            }
        }
        self
    }

    /// The same renames, the other way, for the downgrade.
    pub fn inverse(&self) -> Renames {
        Renames {
            tables: self.tables.iter().map(TableRename::inverse).collect(),
            columns: self.columns.iter().map(ColumnRename::inverse).collect(),
        }
    }
}

/// A table the user says was renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRename {
    pub from: ObjectName,
    pub to: ObjectName,
}

impl TableRename {
    /// The same rename, the other way, for the downgrade.
    pub fn inverse(&self) -> TableRename {
        TableRename {
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

/// A column the user says was renamed (in a table that keeps its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRename {
    pub table: ObjectName,
    pub from: String,
    pub to: String,
}

impl ColumnRename {
    /// The same rename, the other way, for the downgrade.
    pub fn inverse(&self) -> ColumnRename {
        ColumnRename {
            table: self.table.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

/// The SQL for one change (for a table rebuild, the changes of one table), and what it risks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Each a complete statement without its `;`.
    pub statements: Vec<String>,
    pub hazards: Vec<Hazard>,
    /// The statements cannot run inside a transaction block (PostgreSQL's `CREATE INDEX CONCURRENTLY`), or
    /// must commit before what follows can use them (`ALTER TYPE … ADD VALUE`): they go in a
    /// `transaction:false` section.
    pub autocommit: bool,
}

/// What a step can do to existing rows, or how it can fail on them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hazard {
    /// The table (or virtual table) and every row in it are dropped.
    DropsTable { table: ObjectName },
    /// The column's values are dropped.
    DropsColumn { table: ObjectName, column: String },
    /// The column becomes NOT NULL with no default to fill its NULLs: fails where a row has one.
    NotNullWithoutDefault { table: ObjectName, column: String },
    /// A new unique constraint or index: fails where rows share a key.
    NewUnique { table: ObjectName, name: String },
    /// A new CHECK: fails where a row does not pass it.
    NewCheck {
        table: ObjectName,
        expression: String,
    },
    /// A new foreign key: fails where a row refers to no row.
    NewForeignKey { table: ObjectName, columns: String },
    /// The table is copied into a new one: takes time and space in proportion to its rows.
    RebuildsTable { table: ObjectName },
    /// The column becomes NOT NULL: fails where a row holds NULL, whatever its default (which fills only new
    /// rows).
    SetsNotNull { table: ObjectName, column: String },
    /// The column's type narrows (`text` to `varchar(n)`, `bigint` to `integer`, less numeric precision):
    /// values that do not fit are cut, rounded or refused.
    NarrowsType {
        table: ObjectName,
        column: String,
        from: String,
        to: String,
    },
    /// Labels leave an enum type: rows holding them cannot be converted.
    DropsEnumValues {
        name: ObjectName,
        labels: Vec<String>,
    },
    /// PostgreSQL writes every row of the table again, under an exclusive lock.
    RewritesTable { table: ObjectName },
    /// The domain becomes NOT NULL: fails where a column of it holds NULL.
    DomainNotNull { domain: ObjectName },
    /// A new CHECK on a domain (`check` as PostgreSQL writes it, `CHECK (…)`): fails where a column of it
    /// holds a value that does not pass.
    NewDomainCheck { domain: ObjectName, check: String },
}

impl Hazard {
    /// Whether the hazard loses data (as opposed to failing, or taking time).
    pub fn loses_data(&self) -> bool {
        matches!(
            self,
            Hazard::DropsTable { .. }
                | Hazard::DropsColumn { .. }
                | Hazard::NarrowsType { .. }
                | Hazard::DropsEnumValues { .. }
        )
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hazard::DropsTable { table } => write!(f, "drops table {table} and its rows"),
            Hazard::DropsColumn { table, column } => {
                write!(f, "drops column {table}.{column} and its values")
            }
            Hazard::NotNullWithoutDefault { table, column } => write!(
                f,
                "makes {table}.{column} NOT NULL without a default: fails if a row holds NULL"
            ),
            Hazard::NewUnique { table, name } => write!(
                f,
                "adds unique {name} on {table}: fails if rows share a key"
            ),
            Hazard::NewCheck { table, expression } => write!(
                f,
                "adds CHECK ({expression}) on {table}: fails if a row does not pass it"
            ),
            Hazard::NewForeignKey { table, columns } => write!(
                f,
                "adds a foreign key on {table} ({columns}): fails if a row refers to no row"
            ),
            Hazard::RebuildsTable { table } => {
                write!(f, "rebuilds table {table}: copies every row")
            }
            Hazard::SetsNotNull { table, column } => write!(
                f,
                "makes {table}.{column} NOT NULL: fails if a row holds NULL"
            ),
            Hazard::NarrowsType {
                table,
                column,
                from,
                to,
            } => write!(
                f,
                "narrows {table}.{column} from {from} to {to}: values that do not fit are cut, rounded or refused"
            ),
            Hazard::DropsEnumValues { name, labels } => write!(
                f,
                "removes {} from enum {name}: rows holding them cannot be kept",
                labels
                    .iter()
                    .map(|l| format!("'{l}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Hazard::DomainNotNull { domain } => write!(
                f,
                "makes domain {domain} NOT NULL: fails if a column of it holds NULL"
            ),
            Hazard::NewDomainCheck { domain, check } => write!(
                f,
                "adds {check} to domain {domain}: fails if a column of it holds a value that does not pass"
            ),
            Hazard::RewritesTable { table } => write!(
                f,
                "rewrites table {table}: every row is copied under an exclusive lock"
            ),
        }
    }
}
