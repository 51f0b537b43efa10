//! Two schemas that should be one, told apart object by object for a person: what one of them has that it
//! should not (`leaves index ix_users_email`), what it lacks (`lacks column users.bio`), and what it has in
//! another form (`changes view active_users`). `verify` says this of a revision's downgrade or second
//! upgrade. It reads the ordered [`diff`], which also drops and creates again objects that only depend on a
//! changed one (a view over a dropped table); such a pair with the same definition is no difference of its
//! own, and is left out.

use std::fmt;

use serde::Serialize;

use super::comment::CommentOn;
use super::diff::{diff, Change, Constraint};
use super::{
    Column, Columns, Index, ObjectName, Policy, Schema, Table, Trigger, View, VirtualTable,
};

/// How the schema a step gave differs from the one it should have given, for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deviation {
    /// The object is there and should not be.
    Leaves,
    /// The object should be there and is not.
    Lacks,
    /// The object is there with another definition.
    Changes,
}

impl Deviation {
    pub fn verb(self) -> &'static str {
        match self {
            Deviation::Leaves => "leaves",
            Deviation::Lacks => "lacks",
            Deviation::Changes => "changes",
        }
    }
}

/// One object that differs: `object` is its kind and name, as `index ix_users_email` or `column users.bio`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub deviation: Deviation,
    pub object: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.deviation.verb(), self.object)
    }
}

/// A created or dropped object whose definition decides whether a drop and a create of the same name are a
/// change or only a re-creation.
#[derive(PartialEq)]
enum Definition<'a> {
    Table(&'a Table),
    View(&'a View),
    VirtualTable(&'a VirtualTable),
    Index(&'a Index),
    Trigger(&'a Trigger),
    Policy(&'a Policy),
    Constraint(&'a Constraint),
    /// Objects that the diff never drops and creates again for a dependency's sake.
    Other,
}

/// How `got` differs from `expected`, object by object in the diff's order; empty when they are equal.
///
/// The order of a table's columns is not compared: neither engine adds a column anywhere but last, so a
/// downgrade that puts back a dropped column cannot put it back where it was, and no query that names its
/// columns can tell. Two schemas that differ otherwise in a way the diff has no change for give one
/// difference, on `the schema`.
pub fn differences(expected: &Schema, got: &Schema) -> Vec<Difference> {
    if expected == got {
        return Vec::new();
    }
    let changes = diff(expected, got);
    let described: Vec<(Deviation, String, Definition<'_>)> =
        changes.iter().map(describe).collect();
    let mut out: Vec<Difference> = Vec::new();
    for (i, (deviation, object, definition)) in described.iter().enumerate() {
        let opposite = |d: &Deviation| {
            matches!(
                (deviation, d),
                (Deviation::Leaves, Deviation::Lacks) | (Deviation::Lacks, Deviation::Leaves)
            )
        };
        let pair = described
            .iter()
            .enumerate()
            .find(|(j, (d, o, _))| *j != i && o == object && opposite(d));
        let difference = match pair {
            // Dropped and created again as it was: only for the sake of something it depends on.
            Some((_, (_, _, other))) if *definition != Definition::Other && other == definition => {
                continue
            }
            Some(_) => Difference {
                deviation: Deviation::Changes,
                object: object.clone(),
            },
            None => Difference {
                deviation: *deviation,
                object: object.clone(),
            },
        };
        if !out.contains(&difference) {
            out.push(difference);
        }
    }
    if out.is_empty() && columns_in_order(expected) != columns_in_order(got) {
        out.push(Difference {
            deviation: Deviation::Changes,
            object: "the schema".into(),
        });
    }
    out
}

/// The schema with every table's columns in name order.
fn columns_in_order(schema: &Schema) -> Schema {
    let mut sorted = schema.clone();
    let names: Vec<ObjectName> = schema.tables().map(|t| t.name.clone()).collect();
    for name in &names {
        if let Some(table) = sorted.table_mut(name) {
            let mut columns: Vec<Column> = table.columns.iter().cloned().collect();
            columns.sort_by_key(|c| c.name.to_ascii_lowercase());
            if let Ok(columns) = Columns::new(columns) {
                table.columns = columns;
            }
        }
    }
    sorted
}

/// A change from the expected schema to the one a step gave, as how the latter deviates and in what.
fn describe(change: &Change) -> (Deviation, String, Definition<'_>) {
    use Definition::Other;
    use Deviation::{Changes, Lacks, Leaves};
    match change {
        Change::CreateSchema(s) => (Leaves, format!("schema {s}"), Other),
        Change::DropSchema(s) => (Lacks, format!("schema {s}"), Other),
        Change::CreateExtension(e) => (Leaves, format!("extension {}", e.name), Other),
        Change::DropExtension(e) => (Lacks, format!("extension {}", e.name), Other),
        Change::CreateEnum(e) => (Leaves, format!("type {}", e.name), Other),
        Change::DropEnum(e) => (Lacks, format!("type {}", e.name), Other),
        Change::AlterEnum { to, .. } => (Changes, format!("type {}", to.name), Other),
        Change::CreateDomain(d) => (Leaves, format!("domain {}", d.name), Other),
        Change::DropDomain(d) => (Lacks, format!("domain {}", d.name), Other),
        Change::AlterDomain { to, .. } => (Changes, format!("domain {}", to.name), Other),
        Change::SetRowSecurity { table, .. } => (
            Changes,
            format!("row-level security of table {table}"),
            Other,
        ),
        Change::CreatePolicy(p) => (Leaves, policy_name(p), Definition::Policy(p)),
        Change::DropPolicy(p) => (Lacks, policy_name(p), Definition::Policy(p)),
        Change::AlterPolicy { to, .. } => (Changes, policy_name(to), Other),
        Change::CreateSequence(s) => (Leaves, format!("sequence {}", s.name), Other),
        Change::DropSequence(s) => (Lacks, format!("sequence {}", s.name), Other),
        Change::AlterSequence { to, .. } => (Changes, format!("sequence {}", to.name), Other),
        Change::CreateFunction(f) => (Leaves, format!("function {}", f.name), Other),
        Change::DropFunction(f) => (Lacks, format!("function {}", f.name), Other),
        Change::ReplaceFunction { to, .. } => (Changes, format!("function {}", to.name), Other),
        Change::CreateTable(t) => (Leaves, format!("table {}", t.name), Definition::Table(t)),
        Change::DropTable(t) => (Lacks, format!("table {}", t.name), Definition::Table(t)),
        Change::AddColumn { table, column } => {
            (Leaves, format!("column {table}.{}", column.name), Other)
        }
        Change::DropColumn { table, column } => {
            (Lacks, format!("column {table}.{}", column.name), Other)
        }
        Change::AlterColumn { table, to, .. } => {
            (Changes, format!("column {table}.{}", to.name), Other)
        }
        Change::AddConstraint { table, constraint } => (
            Leaves,
            format!("{} on {table}", constraint_name(constraint)),
            Definition::Constraint(constraint),
        ),
        Change::DropConstraint { table, constraint } => (
            Lacks,
            format!("{} on {table}", constraint_name(constraint)),
            Definition::Constraint(constraint),
        ),
        Change::SetTableOptions { table, .. } => {
            (Changes, format!("options of table {table}"), Other)
        }
        Change::CreateIndex { index, .. } => (
            Leaves,
            format!("index {}", index.name),
            Definition::Index(index),
        ),
        Change::DropIndex { index, .. } => (
            Lacks,
            format!("index {}", index.name),
            Definition::Index(index),
        ),
        Change::CreateView(v) => (Leaves, view_name(v), Definition::View(v)),
        Change::DropView(v) => (Lacks, view_name(v), Definition::View(v)),
        Change::CreateVirtualTable(v) => (
            Leaves,
            format!("virtual table {}", v.name),
            Definition::VirtualTable(v),
        ),
        Change::DropVirtualTable(v) => (
            Lacks,
            format!("virtual table {}", v.name),
            Definition::VirtualTable(v),
        ),
        Change::CreateTrigger(t) => (Leaves, trigger_name(t), Definition::Trigger(t)),
        Change::DropTrigger(t) => (Lacks, trigger_name(t), Definition::Trigger(t)),
        Change::SetComment { on, from, to } => {
            let deviation = match (from, to) {
                (None, Some(_)) => Leaves,
                (Some(_), None) => Lacks,
                _ => Changes,
            };
            (
                deviation,
                format!("comment on {}", comment_target(on)),
                Other,
            )
        }
    }
}

fn view_name(v: &View) -> String {
    let kind = if v.materialized {
        "materialized view"
    } else {
        "view"
    };
    format!("{kind} {}", v.name)
}

fn policy_name(p: &Policy) -> String {
    format!("policy {} on {}", p.name.name, p.name.on)
}

fn trigger_name(t: &Trigger) -> String {
    format!("trigger {} on {}", t.name.name, t.name.on)
}

/// A constraint by its name, or by what it says when it has none.
fn constraint_name(c: &Constraint) -> String {
    let columns = |columns: &mut dyn Iterator<Item = &str>| columns.collect::<Vec<_>>().join(", ");
    let named = |kind: &str, name: &Option<String>, unnamed: String| match name {
        Some(name) => format!("{kind} {name}"),
        None => format!("{kind} {unnamed}"),
    };
    match c {
        Constraint::PrimaryKey(k) => named(
            "primary key",
            &k.name,
            format!(
                "({})",
                columns(&mut k.columns.iter().map(|k| k.column.as_str()))
            ),
        ),
        Constraint::Unique(u) => named(
            "unique constraint",
            &u.name,
            format!(
                "({})",
                columns(&mut u.columns.iter().map(|k| k.column.as_str()))
            ),
        ),
        Constraint::Check(k) => named("check constraint", &k.name, format!("({})", k.expression)),
        Constraint::ForeignKey(f) => named(
            "foreign key",
            &f.name,
            format!(
                "({}) to {}",
                columns(&mut f.columns.iter().map(String::as_str)),
                f.references
            ),
        ),
        Constraint::Exclusion(x) => format!("exclusion constraint {}", x.name),
    }
}

fn comment_target(on: &CommentOn) -> String {
    match on {
        CommentOn::Relation(name) => name.to_string(),
        CommentOn::Column { table, column } => format!("column {table}.{column}"),
        CommentOn::Index { name, .. } => format!("index {name}"),
        CommentOn::Type(name) => format!("type {name}"),
        CommentOn::Schema(name) => format!("schema {name}"),
        CommentOn::Constraint { table, name } => format!("constraint {name} on {table}"),
        CommentOn::Trigger(t) => format!("trigger {} on {}", t.name, t.on),
        CommentOn::Function(f) => format!("function {f}"),
        CommentOn::Sequence(name) => format!("sequence {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::schema::{IndexKey, IndexPart, Sql, TableOptions, TriggerName};

    fn sql(text: &str) -> Sql {
        Sql::sqlite(text).unwrap()
    }

    fn users(columns: &[&str]) -> Table {
        Table::new(
            ObjectName::bare("users"),
            Columns::new(
                columns
                    .iter()
                    .map(|c| Column::new(*c, Some("TEXT")))
                    .collect(),
            )
            .unwrap(),
            TableOptions::SQLITE,
        )
    }

    fn index(name: &str, column: &str) -> Index {
        Index {
            name: name.into(),
            unique: false,
            parts: vec![IndexPart {
                key: IndexKey::Column(column.into()),
                collation: None,
                opclass: None,
                descending: false,
            }],
            predicate: None,
            method: None,
            include: Vec::new(),
            nulls_not_distinct: false,
        }
    }

    fn view(query: &str) -> View {
        View {
            name: ObjectName::bare("emails"),
            columns: vec!["email".into()],
            query: sql(query),
            materialized: false,
            indexes: Default::default(),
        }
    }

    fn schema(table: Table, views: Vec<View>, triggers: Vec<Trigger>) -> Schema {
        let mut s = Schema::new(Engine::Sqlite);
        s.add(table).unwrap();
        for v in views {
            s.add(v).unwrap();
        }
        for t in triggers {
            s.add_trigger(t).unwrap();
        }
        s
    }

    fn said(expected: &Schema, got: &Schema) -> Vec<String> {
        differences(expected, got)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn each_object_left_lacking_or_changed_is_named() {
        let before = schema(users(&["id", "email"]), Vec::new(), Vec::new());
        assert!(differences(&before, &before).is_empty());

        let mut after = users(&["id", "email", "bio"]);
        after
            .indexes
            .insert("ix_users_email".into(), index("ix_users_email", "email"));
        let trigger = Trigger {
            name: TriggerName {
                on: ObjectName::bare("users"),
                name: "tr_users".into(),
            },
            definition: sql("CREATE TRIGGER tr_users AFTER INSERT ON users BEGIN SELECT 1; END"),
        };
        let after = schema(after, vec![view("SELECT email FROM users")], vec![trigger]);
        assert_eq!(
            said(&before, &after),
            [
                "leaves column users.bio",
                "leaves index ix_users_email",
                "leaves view emails",
                "leaves trigger tr_users on users",
            ]
        );
        assert_eq!(
            said(&after, &before),
            [
                "lacks trigger tr_users on users",
                "lacks view emails",
                "lacks index ix_users_email",
                "lacks column users.bio",
            ]
        );
    }

    #[test]
    fn a_definition_that_differs_is_a_change_and_a_recreation_alone_is_nothing() {
        let with =
            |query: &str, email: &str| schema(users(&["id", email]), vec![view(query)], Vec::new());
        let a = with("SELECT email FROM users", "email");
        let b = with("SELECT email FROM users WHERE email <> ''", "email");
        assert_eq!(said(&a, &b), ["changes view emails"]);

        // A column renamed under a view: the view is dropped and created again, and the diff says so; the
        // difference is the columns alone.
        let renamed = with("SELECT email FROM users", "mail");
        let d = said(&a, &renamed);
        assert!(d.contains(&"lacks column users.email".to_string()), "{d:?}");
        assert!(d.contains(&"leaves column users.mail".to_string()), "{d:?}");
        assert!(!d.iter().any(|d| d.contains("view")), "{d:?}");

        // A column put back last is the same table.
        let reordered = schema(users(&["email", "id"]), Vec::new(), Vec::new());
        let ordered = schema(users(&["id", "email"]), Vec::new(), Vec::new());
        assert_ne!(reordered, ordered);
        assert!(differences(&ordered, &reordered).is_empty());
    }

    #[test]
    fn a_constraint_recreated_around_an_enum_swap_is_no_difference() {
        use crate::schema::{Check, EnumType};
        let with = |labels: &[&str], extra: bool| {
            let mut columns = vec![Column::new("m", Some("mood"))];
            if extra {
                columns.push(Column::new("note", Some("text")));
            }
            let public = |name: &str| ObjectName {
                schema: Some("public".into()),
                name: name.into(),
            };
            let mut t = Table::new(
                public("t"),
                Columns::new(columns).unwrap(),
                TableOptions::Postgres { unlogged: false },
            );
            t.checks.insert(Check {
                expression: Sql::postgres("(m <> 'a'::mood)").unwrap(),
                not_valid: false,
                name: Some("t_m_check".into()),
            });
            let mut s = Schema::new(Engine::Postgresql);
            s.add(t).unwrap();
            let name = public("mood");
            s.enums.insert(
                name.clone(),
                EnumType {
                    name,
                    labels: labels.iter().map(|l| l.to_string()).collect(),
                },
            );
            s
        };
        let d = said(&with(&["a", "b"], false), &with(&["b", "a"], true));
        assert!(
            d.contains(&"leaves column public.t.note".to_string()),
            "{d:?}"
        );
        assert!(!d.iter().any(|d| d.contains("t_m_check")), "{d:?}");
    }
}
