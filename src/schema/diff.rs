//! The changes that turn one schema into another, in an order a database can apply them in.
//!
//! [`diff`] compares two models object by object (relations and triggers by name, columns by name whatever
//! their order, constraints by what they say) and lists what is removed, then what is added:
//!
//! 1. triggers, then views (dependents first), then indexes, constraints and columns of tables that stay,
//!    then virtual tables, then tables (referencing tables first) are dropped;
//! 2. tables (referenced tables first), virtual tables, then columns, constraints and options of tables that
//!    stay, then indexes, then views (the views they read first), then triggers are created.
//!
//! Removing everything first means nothing added ever depends on something about to go, and a dropped
//! table's foreign keys are gone before what they reference. An object whose definition changed (a view,
//! trigger or index) is dropped and created again, and so is every view that reads a dropped view or
//! table and every trigger on a dropped relation; a column that changed is one change, because how to change
//! it (ALTER, or rebuilding the table) is the engine's to decide when the changes become SQL. Mutual foreign
//! keys between new tables are ordered by name; writing them as tables first, constraints after, is also the
//! engine's part.

use std::collections::{BTreeMap, BTreeSet};

use super::constraint::{Check, ForeignKey, PrimaryKey, Unique};
use super::index::Index;
use super::name::ObjectName;
use super::table::{Column, Table, TableOptions};
use super::trigger::Trigger;
use super::view::View;
use super::virtual_table::VirtualTable;
use super::{Relation, Schema};

/// One change. Each carries the whole object it creates or drops, so both the statement and its inverse can
/// be written from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateTable(Table),
    /// Dropping a table drops its indexes and constraints with it; its triggers are changes of their own.
    DropTable(Table),
    AddColumn {
        table: ObjectName,
        column: Column,
    },
    DropColumn {
        table: ObjectName,
        column: Column,
    },
    AlterColumn {
        table: ObjectName,
        from: Column,
        to: Column,
    },
    AddConstraint {
        table: ObjectName,
        constraint: Constraint,
    },
    DropConstraint {
        table: ObjectName,
        constraint: Constraint,
    },
    SetTableOptions {
        table: ObjectName,
        from: TableOptions,
        to: TableOptions,
    },
    CreateIndex {
        table: ObjectName,
        index: Index,
    },
    DropIndex {
        table: ObjectName,
        index: Index,
    },
    CreateView(View),
    DropView(View),
    CreateVirtualTable(VirtualTable),
    DropVirtualTable(VirtualTable),
    CreateTrigger(Trigger),
    DropTrigger(Trigger),
}

/// A table's constraint, as one value for the changes that add or drop one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(Unique),
    Check(Check),
    ForeignKey(ForeignKey),
}

/// The changes that turn `current` into `desired`, in the order described in the module's documentation.
/// Two equal schemas give none.
pub fn diff(current: &Schema, desired: &Schema) -> Vec<Change> {
    let gone = relations_gone(current, desired);
    let mut removed = Vec::new();
    let mut added = Vec::new();

    // Triggers: a changed trigger, or one on a relation that is dropped (and so takes its triggers with it),
    // is dropped and created again.
    let kept = |t: &Trigger, other: &Schema| {
        other.triggers().get(&t.name) == Some(t) && !gone.contains(&t.name.on)
    };
    for t in current.triggers().values() {
        if !kept(t, desired) {
            removed.push(Change::DropTrigger(t.clone()));
        }
    }
    let triggers_added: Vec<Change> = desired
        .triggers()
        .values()
        .filter(|t| !kept(t, current))
        .map(|t| Change::CreateTrigger(t.clone()))
        .collect();

    // Views, dependents dropped first and created last.
    let views_gone: BTreeSet<&ObjectName> = current
        .views()
        .filter(|v| gone.contains(&v.name))
        .map(|v| &v.name)
        .collect();
    for name in view_order(current, &views_gone).into_iter().rev() {
        if let Some(Relation::View(v)) = current.relation(name) {
            removed.push(Change::DropView(v.clone()));
        }
    }
    let views_new: BTreeSet<&ObjectName> = desired
        .views()
        .filter(|v| gone.contains(&v.name) || current.relation(&v.name).is_none())
        .map(|v| &v.name)
        .collect();
    let views_added: Vec<Change> = view_order(desired, &views_new)
        .into_iter()
        .filter_map(|name| match desired.relation(name) {
            Some(Relation::View(v)) => Some(Change::CreateView(v.clone())),
            _ => None,
        })
        .collect();

    // Tables on both sides: their parts.
    let mut indexes_added = Vec::new();
    for from in current.tables() {
        if let Some(to) = desired.table(&from.name) {
            let (r, a, i) = table_changes(from, to);
            removed.extend(r);
            added.extend(a);
            indexes_added.extend(i);
        }
    }

    // Virtual tables: changed arguments mean a new table.
    for v in current.virtual_tables() {
        if gone.contains(&v.name) {
            removed.push(Change::DropVirtualTable(v.clone()));
        }
    }
    let virtual_added: Vec<Change> = desired
        .virtual_tables()
        .filter(|v| gone.contains(&v.name) || current.relation(&v.name).is_none())
        .map(|v| Change::CreateVirtualTable(v.clone()))
        .collect();

    // Tables on one side only (or a table on one side and another kind of relation of that name on the
    // other).
    let tables_gone: BTreeSet<&ObjectName> = current
        .tables()
        .filter(|t| gone.contains(&t.name))
        .map(|t| &t.name)
        .collect();
    for name in table_order(current, &tables_gone).into_iter().rev() {
        if let Some(t) = current.table(name) {
            removed.push(Change::DropTable(t.clone()));
        }
    }
    let tables_new: BTreeSet<&ObjectName> = desired
        .tables()
        .filter(|t| current.table(&t.name).is_none())
        .map(|t| &t.name)
        .collect();
    let mut tables_added = Vec::new();
    for name in table_order(desired, &tables_new) {
        if let Some(t) = desired.table(name) {
            let mut bare = t.clone();
            let indexes = std::mem::take(&mut bare.indexes);
            tables_added.push(Change::CreateTable(bare));
            indexes_added.extend(indexes.into_values().map(|index| Change::CreateIndex {
                table: name.clone(),
                index,
            }));
        }
    }

    let mut changes = removed;
    changes.extend(tables_added);
    changes.extend(virtual_added);
    changes.extend(added);
    changes.extend(indexes_added);
    changes.extend(views_added);
    changes.extend(triggers_added);
    changes
}

/// The relations of `current` that are dropped: those `desired` lacks or has as another kind of relation,
/// views and virtual tables whose definition changed, and every view that reads one of those (as far as its
/// query mentions the name), since a view cannot outlive what it reads on PostgreSQL and breaks on SQLite.
/// Tables that stay are changed in place, never dropped here.
fn relations_gone(current: &Schema, desired: &Schema) -> BTreeSet<ObjectName> {
    let mut gone: BTreeSet<ObjectName> = current
        .relations()
        .filter(|r| match (r, desired.relation(r.name())) {
            (Relation::Table(_), Some(Relation::Table(_))) => false,
            (r, other) => other != Some(*r),
        })
        .map(|r| r.name().clone())
        .collect();
    loop {
        let readers: Vec<ObjectName> = current
            .views()
            .filter(|v| !gone.contains(&v.name))
            .filter(|v| gone.iter().any(|g| v.query.mentions(&g.name)))
            .map(|v| v.name.clone())
            .collect();
        if readers.is_empty() {
            return gone;
        }
        gone.extend(readers);
    }
}

/// A table on both sides: what it loses (indexes, constraints, then columns), what it gains (columns, then
/// constraints and options), and the indexes it gains, which wait until every table exists.
fn table_changes(from: &Table, to: &Table) -> (Vec<Change>, Vec<Change>, Vec<Change>) {
    let name = &from.name;
    let mut removed = Vec::new();
    let mut added = Vec::new();
    let mut indexes = Vec::new();

    for (key, index) in &from.indexes {
        if to.indexes.get(key) != Some(index) {
            removed.push(Change::DropIndex {
                table: name.clone(),
                index: index.clone(),
            });
        }
    }
    for (key, index) in &to.indexes {
        if from.indexes.get(key) != Some(index) {
            indexes.push(Change::CreateIndex {
                table: name.clone(),
                index: index.clone(),
            });
        }
    }

    let (gone, new) = constraint_changes(from, to);
    removed.extend(gone.into_iter().map(|constraint| Change::DropConstraint {
        table: name.clone(),
        constraint,
    }));

    for column in &from.columns {
        if to.columns.get(&column.name).is_none() {
            removed.push(Change::DropColumn {
                table: name.clone(),
                column: column.clone(),
            });
        }
    }
    for column in &to.columns {
        match from.columns.get(&column.name) {
            None => added.push(Change::AddColumn {
                table: name.clone(),
                column: column.clone(),
            }),
            Some(old) if old != column => added.push(Change::AlterColumn {
                table: name.clone(),
                from: old.clone(),
                to: column.clone(),
            }),
            Some(_) => {}
        }
    }

    added.extend(new.into_iter().map(|constraint| Change::AddConstraint {
        table: name.clone(),
        constraint,
    }));
    if from.options != to.options {
        added.push(Change::SetTableOptions {
            table: name.clone(),
            from: from.options,
            to: to.options,
        });
    }
    (removed, added, indexes)
}

/// The constraints `from` has and `to` lacks, and the other way round.
fn constraint_changes(from: &Table, to: &Table) -> (Vec<Constraint>, Vec<Constraint>) {
    fn sets<T: Ord + Clone>(
        a: &BTreeSet<T>,
        b: &BTreeSet<T>,
        wrap: fn(T) -> Constraint,
        gone: &mut Vec<Constraint>,
        new: &mut Vec<Constraint>,
    ) {
        gone.extend(a.difference(b).cloned().map(wrap));
        new.extend(b.difference(a).cloned().map(wrap));
    }
    let mut gone = Vec::new();
    let mut new = Vec::new();
    if from.primary_key != to.primary_key {
        gone.extend(from.primary_key.clone().map(Constraint::PrimaryKey));
        new.extend(to.primary_key.clone().map(Constraint::PrimaryKey));
    }
    sets(
        &from.foreign_keys,
        &to.foreign_keys,
        Constraint::ForeignKey,
        &mut gone,
        &mut new,
    );
    sets(
        &from.uniques,
        &to.uniques,
        Constraint::Unique,
        &mut gone,
        &mut new,
    );
    sets(
        &from.checks,
        &to.checks,
        Constraint::Check,
        &mut gone,
        &mut new,
    );
    (gone, new)
}

/// `names` (tables of `schema`) ordered so that a table comes after the tables its foreign keys reference.
fn table_order<'a>(schema: &Schema, names: &BTreeSet<&'a ObjectName>) -> Vec<&'a ObjectName> {
    topological(names, |name| {
        schema
            .table(name)
            .into_iter()
            .flat_map(|t| t.foreign_keys.iter())
            .map(|fk| fk.references.clone())
            .filter(|r| r != name)
            .collect()
    })
}

/// `names` (views of `schema`) ordered so that a view comes after the views its query mentions.
fn view_order<'a>(schema: &Schema, names: &BTreeSet<&'a ObjectName>) -> Vec<&'a ObjectName> {
    topological(names, |name| match schema.relation(name) {
        Some(Relation::View(v)) => schema
            .views()
            .filter(|other| other.name != *name && v.query.mentions(&other.name.name))
            .map(|other| other.name.clone())
            .collect(),
        _ => Vec::new(),
    })
}

/// `nodes` ordered so that each comes after those of its dependencies that are among them; among nodes that
/// are free at the same time, by name. Nodes left in a cycle follow, by name, so a cycle never loses a node.
fn topological<'a>(
    nodes: &BTreeSet<&'a ObjectName>,
    dependencies: impl Fn(&ObjectName) -> Vec<ObjectName>,
) -> Vec<&'a ObjectName> {
    let mut waiting: BTreeMap<&'a ObjectName, BTreeSet<&'a ObjectName>> = nodes
        .iter()
        .map(|&n| {
            let deps = dependencies(n);
            let deps = nodes
                .iter()
                .copied()
                .filter(|m| deps.iter().any(|d| d == *m))
                .collect();
            (n, deps)
        })
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    loop {
        let free: Vec<&ObjectName> = waiting
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(&n, _)| n)
            .collect();
        let Some(&next) = free.first() else {
            break;
        };
        waiting.remove(next);
        for deps in waiting.values_mut() {
            deps.remove(next);
        }
        order.push(next);
    }
    order.extend(waiting.into_keys());
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::schema::{Columns, Deferrable, FkAction, IndexPart, KeyColumn, Sql, TriggerName};

    fn sql(text: &str) -> Sql {
        Sql::sqlite(text).unwrap()
    }

    fn bare(name: &str) -> ObjectName {
        ObjectName::bare(name)
    }

    fn table(name: &str, columns: &[&str]) -> Table {
        let mut t = Table::new(
            bare(name),
            Columns::new(
                columns
                    .iter()
                    .map(|c| Column::new(*c, Some("INTEGER")))
                    .collect(),
            )
            .unwrap(),
            TableOptions::SQLITE,
        );
        t.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec![KeyColumn::new(columns[0])],
            autoincrement: false,
        });
        t
    }

    fn fk(column: &str, references: &str) -> ForeignKey {
        ForeignKey {
            columns: vec![column.into()],
            references: bare(references),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
            deferrable: Deferrable::No,
            match_full: false,
            name: None,
        }
    }

    fn with_fk(mut t: Table, column: &str, references: &str) -> Table {
        t.foreign_keys.insert(fk(column, references));
        t
    }

    fn view(name: &str, query: &str) -> View {
        View {
            name: bare(name),
            columns: vec![],
            query: sql(query),
            materialized: false,
        }
    }

    fn trigger(name: &str, on: &str, definition: &str) -> Trigger {
        Trigger {
            name: TriggerName {
                on: bare(on),
                name: name.into(),
            },
            definition: sql(definition),
        }
    }

    fn schema(relations: Vec<Relation>, triggers: Vec<Trigger>) -> Schema {
        let mut s = Schema::new(Engine::Sqlite);
        for r in relations {
            s.add(r).unwrap();
        }
        for t in triggers {
            s.add_trigger(t).unwrap();
        }
        s
    }

    /// Each change as a short line, to compare orders at a glance.
    fn summary(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                Change::CreateTable(t) => format!("create table {}", t.name),
                Change::DropTable(t) => format!("drop table {}", t.name),
                Change::AddColumn { table, column } => {
                    format!("add column {table}.{}", column.name)
                }
                Change::DropColumn { table, column } => {
                    format!("drop column {table}.{}", column.name)
                }
                Change::AlterColumn { table, to, .. } => {
                    format!("alter column {table}.{}", to.name)
                }
                Change::AddConstraint { table, constraint } => {
                    format!("add {} on {table}", kind(constraint))
                }
                Change::DropConstraint { table, constraint } => {
                    format!("drop {} on {table}", kind(constraint))
                }
                Change::SetTableOptions { table, .. } => format!("set options of {table}"),
                Change::CreateIndex { index, .. } => format!("create index {}", index.name),
                Change::DropIndex { index, .. } => format!("drop index {}", index.name),
                Change::CreateView(v) => format!("create view {}", v.name),
                Change::DropView(v) => format!("drop view {}", v.name),
                Change::CreateVirtualTable(v) => format!("create virtual table {}", v.name),
                Change::DropVirtualTable(v) => format!("drop virtual table {}", v.name),
                Change::CreateTrigger(t) => format!("create trigger {}", t.name.name),
                Change::DropTrigger(t) => format!("drop trigger {}", t.name.name),
            })
            .collect()
    }

    fn kind(c: &Constraint) -> &'static str {
        match c {
            Constraint::PrimaryKey(_) => "primary key",
            Constraint::Unique(_) => "unique",
            Constraint::Check(_) => "check",
            Constraint::ForeignKey(_) => "foreign key",
        }
    }

    /// A parent with an index, a child and a grandchild referencing it, a view chain over them and a trigger:
    /// `full()` with the parent, the first view's query and the trigger's body given.
    fn family(parent: Table, v1: &str, trigger_body: &str) -> Schema {
        schema(
            vec![
                parent.into(),
                with_fk(table("child", &["id", "parent_id"]), "parent_id", "parent").into(),
                with_fk(
                    table("grandchild", &["id", "child_id"]),
                    "child_id",
                    "child",
                )
                .into(),
                view("v1", v1).into(),
                view("v2", "SELECT * FROM v1 JOIN child").into(),
            ],
            vec![trigger("guard", "parent", trigger_body)],
        )
    }

    fn full() -> Schema {
        let mut parent = table("parent", &["id", "name"]);
        parent.indexes.insert(
            "parent_name".into(),
            Index {
                name: "parent_name".into(),
                unique: false,
                parts: vec![IndexPart::column("name")],
                predicate: None,
                method: None,
                include: Vec::new(),
            },
        );
        family(
            parent,
            "SELECT * FROM parent",
            "BEFORE DELETE ON parent BEGIN SELECT 1; END",
        )
    }

    #[test]
    fn equal_schemas_need_no_change() {
        assert_eq!(diff(&full(), &full()), []);
    }

    #[test]
    fn creates_follow_dependencies_and_drops_reverse_them() {
        let empty = Schema::new(Engine::Sqlite);
        assert_eq!(
            summary(&diff(&empty, &full())),
            [
                "create table parent",
                "create table child",
                "create table grandchild",
                "create index parent_name",
                "create view v1",
                "create view v2",
                "create trigger guard",
            ]
        );
        assert_eq!(
            summary(&diff(&full(), &empty)),
            [
                "drop trigger guard",
                "drop view v2",
                "drop view v1",
                "drop table grandchild",
                "drop table child",
                "drop table parent",
            ]
        );
    }

    #[test]
    fn a_foreign_key_cycle_keeps_every_table_in_name_order() {
        let cycle = schema(
            vec![
                with_fk(table("b", &["id", "a_id"]), "a_id", "a").into(),
                with_fk(table("a", &["id", "b_id"]), "b_id", "b").into(),
                with_fk(table("c", &["id", "a_id"]), "a_id", "a").into(),
            ],
            vec![],
        );
        assert_eq!(
            summary(&diff(&Schema::new(Engine::Sqlite), &cycle)),
            ["create table a", "create table b", "create table c"]
        );
    }

    #[test]
    fn columns_constraints_and_options_of_a_kept_table() {
        let from = schema(vec![table("t", &["id", "a", "b"]).into()], vec![]);
        let mut t = table("t", &["id", "b", "c"]);
        let mut b = t.columns.get("b").unwrap().clone();
        b.nullable = false;
        t.columns = Columns::new(vec![
            t.columns.get("id").unwrap().clone(),
            b,
            t.columns.get("c").unwrap().clone(),
        ])
        .unwrap();
        t.checks.insert(Check {
            expression: sql("c > 0"),
            name: None,
        });
        t.options = TableOptions::Sqlite {
            strict: true,
            without_rowid: false,
        };
        let to = schema(vec![t.into()], vec![]);
        assert_eq!(
            summary(&diff(&from, &to)),
            [
                "drop column t.a",
                "alter column t.b",
                "add column t.c",
                "add check on t",
                "set options of t",
            ]
        );
    }

    #[test]
    fn column_order_alone_is_no_change() {
        let a = schema(vec![table("t", &["id", "a", "b"]).into()], vec![]);
        let b = schema(vec![table("t", &["id", "b", "a"]).into()], vec![]);
        assert_eq!(diff(&a, &b), []);
    }

    #[test]
    fn a_changed_view_index_or_trigger_is_dropped_and_created_again() {
        let mut parent = full().table(&bare("parent")).unwrap().clone();
        parent.indexes.get_mut("parent_name").unwrap().unique = true;
        let changed = family(
            parent,
            "SELECT id FROM parent",
            "BEFORE DELETE ON parent BEGIN SELECT 2; END",
        );
        assert_eq!(
            summary(&diff(&full(), &changed)),
            [
                "drop trigger guard",
                "drop view v2",
                "drop view v1",
                "drop index parent_name",
                "create index parent_name",
                "create view v1",
                "create view v2",
                "create trigger guard",
            ]
        );
    }

    #[test]
    fn a_trigger_on_a_view_that_is_created_again_is_created_again_with_it() {
        let with = |query: &str| {
            schema(
                vec![
                    table("t", &["id"]).into(),
                    view("v", query).into(),
                    view("w", "SELECT id FROM t").into(),
                ],
                vec![
                    trigger("v_ins", "v", "INSTEAD OF INSERT ON v BEGIN SELECT 1; END"),
                    trigger("w_ins", "w", "INSTEAD OF INSERT ON w BEGIN SELECT 1; END"),
                ],
            )
        };
        assert_eq!(
            summary(&diff(&with("SELECT * FROM t"), &with("SELECT id FROM t"))),
            [
                "drop trigger v_ins",
                "drop view v",
                "create view v",
                "create trigger v_ins",
            ]
        );
    }

    #[test]
    fn a_new_table_s_indexes_and_a_foreign_key_to_it_come_after_it() {
        let from = schema(vec![table("t", &["id", "other_id"]).into()], vec![]);
        let mut other = table("other", &["id"]);
        other.indexes.insert(
            "other_id".into(),
            Index {
                name: "other_id".into(),
                unique: true,
                parts: vec![IndexPart::column("id")],
                predicate: None,
                method: None,
                include: Vec::new(),
            },
        );
        let to = schema(
            vec![
                with_fk(table("t", &["id", "other_id"]), "other_id", "other").into(),
                other.into(),
            ],
            vec![],
        );
        assert_eq!(
            summary(&diff(&from, &to)),
            [
                "create table other",
                "add foreign key on t",
                "create index other_id",
            ]
        );
        assert_eq!(
            summary(&diff(&to, &from)),
            ["drop foreign key on t", "drop table other"]
        );
    }

    #[test]
    fn a_relation_that_changes_kind_is_dropped_then_created() {
        let from = schema(vec![table("x", &["id"]).into()], vec![]);
        let to = schema(vec![view("x", "SELECT 1").into()], vec![]);
        assert_eq!(
            summary(&diff(&from, &to)),
            ["drop table x", "create view x"]
        );
        let fts = VirtualTable {
            name: bare("x"),
            module: "fts5".into(),
            arguments: vec![sql("body")],
        };
        let to = schema(vec![fts.into()], vec![]);
        assert_eq!(
            summary(&diff(&from, &to)),
            ["drop table x", "create virtual table x"]
        );
    }
}
