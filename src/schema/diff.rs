//! The changes that turn one schema into another, in an order a database can apply them in.
//!
//! [`diff`] compares two models object by object (relations and triggers by name, columns by name whatever
//! their order, constraints by what they say) and lists what is removed, then what is added:
//!
//! 1. triggers and row-level security policies, then views (dependents first), then indexes, constraints
//!    and columns of tables that stay, then virtual tables, then tables (referencing tables first) are
//!    dropped;
//! 2. PostgreSQL's schemas, extensions, enum types, sequences, domains (the domains they are based on first)
//!    and functions are created (or changed), since tables, defaults and triggers use them;
//! 3. tables (referenced tables and partitioned parents first), virtual tables, then columns, constraints and
//!    options of tables that stay, then indexes, then views (the views they read first; a materialized view
//!    with its indexes), then triggers and policies are created (or altered), and comments set;
//! 4. functions, domains, sequences, enum types, extensions and schemas that go are dropped last, once
//!    nothing that used them is left.
//!
//! Removing everything first means nothing added ever depends on something about to go, and a dropped
//! table's foreign keys are gone before what they reference. An object whose definition changed (a view,
//! trigger or index) is dropped and created again, and so is every view that reads a dropped view or
//! table and every trigger on a dropped relation; a column that changed is one change, because how to change
//! it (ALTER, or rebuilding the table) is the engine's to decide when the changes become SQL. Mutual foreign
//! keys between new tables are ordered by name; writing them as tables first, constraints after, is also the
//! engine's part.
//!
//! What only PostgreSQL needs: a view that reads a column whose type changes or that is dropped is dropped
//! and created again around the change (PostgreSQL refuses `ALTER COLUMN … TYPE` and `DROP COLUMN` under a
//! view; SQLite's table rebuild recreates its views itself); checks, exclusions and indexes whose
//! expressions read a column of an enum type that is replaced (or cast to it) are dropped and created again
//! around the replacement, which cannot convert them; a table whose partitioning changes is dropped
//! and created again (with its partitions); a sequence owned by a column goes with its table or column, and
//! a new one is created unowned before its table and owned by the column after it.

use std::collections::{BTreeMap, BTreeSet};

use super::comment::CommentOn;
use super::constraint::{Check, Exclusion, ForeignKey, PrimaryKey, Unique};
use super::domain::Domain;
use super::enum_type::EnumType;
use super::extension::Extension;
use super::function::Function;
use super::index::{Index, IndexKey};
use super::name::ObjectName;
use super::policy::{Policy, RowSecurity};
use super::sequence::Sequence;
use super::table::{Column, ColumnValue, Table, TableOptions};
use super::tokens::Sql;
use super::trigger::Trigger;
use super::view::View;
use super::virtual_table::VirtualTable;
use super::{Relation, Schema};
use crate::engine::Engine;

/// One change. Each carries the whole object it creates or drops, so both the statement and its inverse can
/// be written from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateSchema(String),
    DropSchema(String),
    CreateExtension(Extension),
    DropExtension(Extension),
    CreateEnum(EnumType),
    DropEnum(EnumType),
    /// The labels changed: only added ones (see [`labels_only_added`]), or removed or reordered ones.
    AlterEnum {
        from: EnumType,
        to: EnumType,
    },
    CreateDomain(Domain),
    DropDomain(Domain),
    /// The default, NOT NULL or checks changed; a new base type or collation is a drop and a create.
    AlterDomain {
        from: Domain,
        to: Domain,
    },
    /// A new sequence is created unowned; its `OWNED BY` is an [`Change::AlterSequence`] after its table.
    CreateSequence(Sequence),
    /// A sequence owned by a column that goes is dropped with the column, and has no change of its own.
    DropSequence(Sequence),
    AlterSequence {
        from: Sequence,
        to: Sequence,
    },
    CreateFunction(Function),
    DropFunction(Function),
    /// The same function (name and argument types) with another definition: `CREATE OR REPLACE`.
    ReplaceFunction {
        from: Function,
        to: Function,
    },
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
    /// Row-level security enabled, forced or disabled on a table that stays (a new table carries its own).
    SetRowSecurity {
        table: ObjectName,
        from: RowSecurity,
        to: RowSecurity,
    },
    CreatePolicy(Policy),
    DropPolicy(Policy),
    /// What `ALTER POLICY` changes (see [`Policy::alterable_to`]); any other change is a drop and a create.
    AlterPolicy {
        from: Policy,
        to: Policy,
    },
    /// A comment set, changed or removed (`to` is `None`). An object created again has its comment set again.
    SetComment {
        on: CommentOn,
        from: Option<String>,
        to: Option<String>,
    },
}

/// A table's constraint, as one value for the changes that add or drop one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(Unique),
    Check(Check),
    ForeignKey(ForeignKey),
    Exclusion(Exclusion),
}

impl Constraint {
    /// The constraint's name, when the model has one (PostgreSQL's always do).
    pub fn name(&self) -> Option<&str> {
        match self {
            Constraint::PrimaryKey(pk) => pk.name.as_deref(),
            Constraint::Unique(u) => u.name.as_deref(),
            Constraint::Check(c) => c.name.as_deref(),
            Constraint::ForeignKey(fk) => fk.name.as_deref(),
            Constraint::Exclusion(e) => Some(&e.name),
        }
    }

    /// Whether the constraint is `NOT VALID`: it holds for new rows only, until validated.
    pub fn not_valid(&self) -> bool {
        match self {
            Constraint::Check(c) => c.not_valid,
            Constraint::ForeignKey(fk) => fk.not_valid,
            _ => false,
        }
    }
}

/// Whether `to` keeps every label of `from` in the same order and only adds some, which PostgreSQL does in
/// place (`ADD VALUE`); a label removed or moved needs a new type.
pub fn labels_only_added(from: &EnumType, to: &EnumType) -> bool {
    let mut rest = to.labels.iter();
    from.labels.iter().all(|l| rest.any(|m| m == l))
}

/// Whether a column's type (as `format_type` writes it, possibly qualified, quoted or an array) is the type
/// `name`.
pub fn is_type(data_type: &str, name: &ObjectName) -> bool {
    let bare = data_type.trim_end_matches("[]").replace('"', "");
    bare.eq_ignore_ascii_case(&name.name) || bare.eq_ignore_ascii_case(&name.to_string())
}

/// The changes that turn `current` into `desired`, in the order described in the module's documentation.
/// Two equal schemas give none.
pub fn diff(current: &Schema, desired: &Schema) -> Vec<Change> {
    let retyped = retyped_enums(current, desired);
    let gone = relations_gone(current, desired, &retyped);
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

    // Policies, as triggers; one `ALTER POLICY` can change stays in place. PostgreSQL refuses to drop or
    // retype a column a policy reads, so such a policy goes before the column changes and comes back after.
    let broken = policies_over_changed_columns(current, desired, &retyped);
    let alter = |p: &Policy| match desired.policies().get(&p.name) {
        Some(d)
            if d != p
                && !gone.contains(&p.name.on)
                && !broken.contains(&p.name)
                && p.alterable_to(d) =>
        {
            Some(d)
        }
        _ => None,
    };
    let policy_kept = |p: &Policy, other: &Schema| {
        other.policies().get(&p.name) == Some(p)
            && !gone.contains(&p.name.on)
            && !broken.contains(&p.name)
    };
    let mut policies_added = Vec::new();
    for p in current.policies().values() {
        match alter(p) {
            Some(d) => policies_added.push(Change::AlterPolicy {
                from: p.clone(),
                to: d.clone(),
            }),
            None if !policy_kept(p, desired) => removed.push(Change::DropPolicy(p.clone())),
            None => {}
        }
    }
    policies_added.extend(
        desired
            .policies()
            .values()
            .filter(|p| !policy_kept(p, current))
            .filter(|p| {
                current
                    .policies()
                    .get(&p.name)
                    .is_none_or(|c| alter(c).is_none())
            })
            .map(|p| Change::CreatePolicy(p.clone())),
    );

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

    // Tables on both sides (and not created again): their parts.
    let mut indexes_added = Vec::new();
    for from in current.tables().filter(|t| !gone.contains(&t.name)) {
        if let Some(to) = desired.table(&from.name) {
            let (r, a, i) = table_changes(from, to, &gone, &retyped);
            removed.extend(r);
            added.extend(a);
            indexes_added.extend(i);
        }
    }

    // Materialized views that stay: their indexes. A view created (again) creates its indexes itself.
    for from in current.views().filter(|v| !gone.contains(&v.name)) {
        if let Some(Relation::View(to)) = desired.relation(&from.name) {
            let (dropped, created) = index_changes(&from.name, &from.indexes, &to.indexes);
            removed.extend(dropped);
            indexes_added.extend(created);
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
    // other, or a table created again).
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
        .filter(|t| current.table(&t.name).is_none() || gone.contains(&t.name))
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

    let objects = object_changes(current, desired, &gone);
    let mut changes = removed;
    changes.extend(objects.before);
    changes.extend(tables_added);
    changes.extend(virtual_added);
    changes.extend(added);
    changes.extend(objects.owned);
    changes.extend(indexes_added);
    changes.extend(views_added);
    changes.extend(triggers_added);
    changes.extend(policies_added);
    // The objects dropped last take their comments with them too; the comments go before those drops.
    let before_last = changes.len();
    changes.extend(objects.last);
    let comments = comment_changes(current, desired, &changes);
    changes.splice(before_last..before_last, comments);
    changes
}

/// The relations of `current` that are dropped: those `desired` lacks or has as another kind of relation,
/// views and virtual tables whose definition changed, tables whose partitioning changed and their partitions,
/// and every view that reads one of those (as far as its query mentions the name), since a view cannot outlive
/// what it reads on PostgreSQL and breaks on SQLite. On PostgreSQL, a view that reads a column that is
/// dropped or changes type goes too. Other tables that stay are changed in place, never dropped here.
fn relations_gone(
    current: &Schema,
    desired: &Schema,
    retyped: &[&ObjectName],
) -> BTreeSet<ObjectName> {
    let mut gone: BTreeSet<ObjectName> = current
        .relations()
        .filter(|r| match (r, desired.relation(r.name())) {
            (Relation::Table(a), Some(Relation::Table(b))) => {
                a.partition_by != b.partition_by || a.partition_of != b.partition_of
            }
            // A materialized view's indexes change on their own (see `index_changes`).
            (Relation::View(a), Some(Relation::View(b))) => !a.same_but_indexes(b),
            (r, other) => other != Some(*r),
        })
        .map(|r| r.name().clone())
        .collect();
    if current.engine == Engine::Postgresql {
        for from in current.tables() {
            let Some(to) = desired.table(&from.name) else {
                continue;
            };
            let columns: Vec<&Column> = breaking_columns(from, to, retyped).collect();
            gone.extend(
                current
                    .views()
                    .filter(|v| {
                        v.query.mentions(&from.name.name)
                            && columns.iter().any(|c| v.query.mentions(&c.name))
                    })
                    .map(|v| v.name.clone()),
            );
        }
    }
    loop {
        let readers: Vec<ObjectName> = current
            .views()
            .filter(|v| !gone.contains(&v.name))
            .filter(|v| gone.iter().any(|g| v.query.mentions(&g.name)))
            .map(|v| v.name.clone())
            .chain(
                current
                    .tables()
                    .filter(|t| !gone.contains(&t.name))
                    .filter(|t| {
                        t.partition_of
                            .as_ref()
                            .is_some_and(|p| gone.contains(&p.parent))
                    })
                    .map(|t| t.name.clone()),
            )
            .collect();
        if readers.is_empty() {
            return gone;
        }
        gone.extend(readers);
    }
}

/// The enum types whose labels change in a way that needs a new type, which every column of the type is
/// altered to.
fn retyped_enums<'a>(current: &'a Schema, desired: &Schema) -> Vec<&'a ObjectName> {
    current
        .enums
        .values()
        .filter(|e| {
            desired
                .enums
                .get(&e.name)
                .is_some_and(|d| !labels_only_added(e, d))
        })
        .map(|e| &e.name)
        .collect()
}

/// Whether expression `e` on table `table` reads a column of an enum type in `retyped` or names such a type
/// (a cast): PostgreSQL cannot convert it when the type is replaced (`ALTER COLUMN … TYPE` finds no operator
/// between the new type and the old one's constants, and the old type cannot be dropped while the
/// expression uses it), so it is dropped before and created again after.
fn uses_retyped(table: &Table, e: &Sql, retyped: &[&ObjectName]) -> bool {
    retyped.iter().any(|t| e.mentions(&t.name))
        || table.columns.iter().any(|c| {
            c.data_type
                .as_deref()
                .is_some_and(|d| retyped.iter().any(|t| is_type(d, t)))
                && e.mentions(&c.name)
        })
}

/// The policies of `current` whose expressions mention a column that is dropped or changes type (as far as
/// the text tells), or name an enum type that is replaced.
fn policies_over_changed_columns<'a>(
    current: &'a Schema,
    desired: &Schema,
    retyped: &[&ObjectName],
) -> BTreeSet<&'a super::policy::PolicyName> {
    current
        .policies()
        .values()
        .filter(|p| {
            let (Some(from), Some(to)) = (current.table(&p.name.on), desired.table(&p.name.on))
            else {
                return false;
            };
            let columns: Vec<&Column> = breaking_columns(from, to, retyped).collect();
            [&p.using, &p.with_check].into_iter().flatten().any(|e| {
                retyped.iter().any(|t| e.mentions(&t.name))
                    || columns.iter().any(|c| e.mentions(&c.name))
            })
        })
        .map(|p| &p.name)
        .collect()
}

/// The columns of `from` that its table `to` drops or changes in a way that breaks what reads them.
fn breaking_columns<'a>(
    from: &'a Table,
    to: &'a Table,
    retyped: &'a [&ObjectName],
) -> impl Iterator<Item = &'a Column> + 'a {
    from.columns
        .iter()
        .filter(move |c| column_breaks_views(c, to.columns.get(&c.name), retyped))
}

/// Whether PostgreSQL refuses to change column `from` into `to` (`None`: dropped) under a view that reads
/// it: a drop, a new type or collation (an enum type replaced included), or a generated expression, which
/// is changed by dropping the column and adding it again.
fn column_breaks_views(from: &Column, to: Option<&Column>, retyped: &[&ObjectName]) -> bool {
    let Some(to) = to else {
        return true;
    };
    let generated = |c: &Column| matches!(c.value, ColumnValue::Generated { .. });
    from.data_type != to.data_type
        || from.collation != to.collation
        || ((generated(from) || generated(to)) && from.value != to.value)
        || from
            .data_type
            .as_deref()
            .is_some_and(|t| retyped.iter().any(|e| is_type(t, e)))
}

/// PostgreSQL's objects outside tables, by where they go in the changes.
struct ObjectChanges {
    /// Schemas, extensions, enum types, sequences, domains and functions created or changed, before the
    /// tables.
    before: Vec<Change>,
    /// New sequences' `OWNED BY`, once their columns exist.
    owned: Vec<Change>,
    /// Functions, domains, sequences, enum types, extensions and schemas dropped, after everything else.
    last: Vec<Change>,
}

fn object_changes(
    current: &Schema,
    desired: &Schema,
    gone: &BTreeSet<ObjectName>,
) -> ObjectChanges {
    let mut before = Vec::new();
    let mut owned = Vec::new();
    let mut last = Vec::new();

    before.extend(
        desired
            .schemas
            .difference(&current.schemas)
            .cloned()
            .map(Change::CreateSchema),
    );
    for (name, e) in &desired.extensions {
        match current.extensions.get(name) {
            Some(old) if old == e => continue,
            // Moved to another schema: dropped and created again.
            Some(old) => before.push(Change::DropExtension(old.clone())),
            None => {}
        }
        before.push(Change::CreateExtension(e.clone()));
    }
    for e in desired.enums.values() {
        match current.enums.get(&e.name) {
            None => before.push(Change::CreateEnum(e.clone())),
            Some(old) if old != e => before.push(Change::AlterEnum {
                from: old.clone(),
                to: e.clone(),
            }),
            Some(_) => {}
        }
    }

    // A sequence owned by a column goes with the column's table (or the column); one whose table is created
    // again is created again too.
    let owner_goes = |s: &Sequence| {
        s.owned_by.as_ref().is_some_and(|(t, c)| {
            gone.contains(t) || desired.table(t).is_none_or(|d| d.columns.get(c).is_none())
        })
    };
    for s in desired.sequences.values() {
        let create = |before: &mut Vec<Change>, owned: &mut Vec<Change>| {
            let unowned = Sequence {
                owned_by: None,
                ..s.clone()
            };
            before.push(Change::CreateSequence(unowned.clone()));
            if s.owned_by.is_some() {
                owned.push(Change::AlterSequence {
                    from: unowned,
                    to: s.clone(),
                });
            }
        };
        match current.sequences.get(&s.name) {
            None => create(&mut before, &mut owned),
            Some(old)
                if old
                    .owned_by
                    .as_ref()
                    .is_some_and(|(t, _)| gone.contains(t) && desired.table(t).is_some()) =>
            {
                create(&mut before, &mut owned)
            }
            Some(old) if old != s => {
                let change = Change::AlterSequence {
                    from: old.clone(),
                    to: s.clone(),
                };
                // Disowned before its column can go; owned once its column exists.
                if s.owned_by.is_none() {
                    before.push(change);
                } else {
                    owned.push(change);
                }
            }
            Some(_) => {}
        }
    }
    // Domains: a new base type or collation drops and creates the domain again (which PostgreSQL refuses
    // while a column is of it); the rest is altered in place.
    let retyped: BTreeSet<&ObjectName> = current
        .domains
        .values()
        .filter(|d| desired.domains.get(&d.name).is_some_and(|n| d.retyped(n)))
        .map(|d| &d.name)
        .collect();
    for name in domain_order(current, &retyped).into_iter().rev() {
        before.push(Change::DropDomain(current.domains[name].clone()));
    }
    let created: BTreeSet<&ObjectName> = desired
        .domains
        .keys()
        .filter(|n| !current.domains.contains_key(*n) || retyped.contains(n))
        .collect();
    for name in domain_order(desired, &created) {
        before.push(Change::CreateDomain(desired.domains[name].clone()));
    }
    for d in desired.domains.values() {
        match current.domains.get(&d.name) {
            Some(old) if old != d && !retyped.contains(&d.name) => {
                before.push(Change::AlterDomain {
                    from: old.clone(),
                    to: d.clone(),
                })
            }
            _ => {}
        }
    }

    for f in desired.functions.values() {
        match current.functions.get(&f.name) {
            None => before.push(Change::CreateFunction(f.clone())),
            Some(old) if old != f => before.push(Change::ReplaceFunction {
                from: old.clone(),
                to: f.clone(),
            }),
            Some(_) => {}
        }
    }

    last.extend(
        dropped(&current.functions, &desired.functions, |f| &f.name)
            .cloned()
            .map(Change::DropFunction),
    );
    let domains_gone: BTreeSet<&ObjectName> =
        dropped(&current.domains, &desired.domains, |d| &d.name)
            .map(|d| &d.name)
            .collect();
    for name in domain_order(current, &domains_gone).into_iter().rev() {
        last.push(Change::DropDomain(current.domains[name].clone()));
    }
    last.extend(
        dropped(&current.sequences, &desired.sequences, |s| &s.name)
            .filter(|s| !owner_goes(s))
            .cloned()
            .map(Change::DropSequence),
    );
    last.extend(
        dropped(&current.enums, &desired.enums, |e| &e.name)
            .cloned()
            .map(Change::DropEnum),
    );
    last.extend(
        dropped(&current.extensions, &desired.extensions, |e| &e.name)
            .cloned()
            .map(Change::DropExtension),
    );
    last.extend(
        current
            .schemas
            .difference(&desired.schemas)
            .cloned()
            .map(Change::DropSchema),
    );
    ObjectChanges {
        before,
        owned,
        last,
    }
}

/// The comments to set: those that differ, and those of objects `changes` drops and creates again (whose
/// comment went with them). A comment on an object that goes needs no change.
/// The objects of `current` that `desired` has none of the same name of, in name order.
fn dropped<'a, K: Ord, V>(
    current: &'a BTreeMap<K, V>,
    desired: &'a BTreeMap<K, V>,
    name: fn(&V) -> &K,
) -> impl Iterator<Item = &'a V> {
    current
        .values()
        .filter(move |v| !desired.contains_key(name(v)))
}

fn comment_changes(current: &Schema, desired: &Schema, changes: &[Change]) -> Vec<Change> {
    let owner = |n: &ObjectName| current.sequences.get(n).and_then(|s| s.owned_by.as_ref());
    let dropped = |on: &CommentOn| {
        changes.iter().any(|c| match (on, c) {
            (CommentOn::Relation(n), Change::DropTable(t)) => t.name == *n,
            (CommentOn::Relation(n), Change::DropView(v)) => v.name == *n,
            (CommentOn::Column { table, .. }, Change::DropTable(t)) => t.name == *table,
            (
                CommentOn::Column { table, column },
                Change::DropColumn {
                    table: t,
                    column: c,
                },
            ) => t == table && c.name == *column,
            (CommentOn::Index { table, .. }, Change::DropTable(t)) => t.name == *table,
            (CommentOn::Index { table, .. }, Change::DropView(v)) => v.name == *table,
            (CommentOn::Index { table, name }, Change::DropIndex { table: t, index }) => {
                t == table && index.name == *name
            }
            (CommentOn::Type(n), Change::DropEnum(e)) => e.name == *n,
            (CommentOn::Type(n), Change::DropDomain(d)) => d.name == *n,
            (CommentOn::Type(n), Change::AlterEnum { from, to }) => {
                from.name == *n && !labels_only_added(from, to)
            }
            (CommentOn::Schema(s), Change::DropSchema(d)) => s == d,
            (CommentOn::Constraint { table, .. }, Change::DropTable(t)) => t.name == *table,
            (
                CommentOn::Constraint { table, name },
                Change::DropConstraint {
                    table: t,
                    constraint,
                },
            ) => t == table && constraint.name() == Some(name.as_str()),
            (CommentOn::Trigger(n), Change::DropTrigger(t)) => t.name == *n,
            // A function whose result type changes is dropped and created again: its comment is set
            // again either way.
            (CommentOn::Function(n), Change::DropFunction(f))
            | (CommentOn::Function(n), Change::ReplaceFunction { from: f, .. }) => f.name == *n,
            (CommentOn::Sequence(n), Change::DropSequence(s)) => s.name == *n,
            // A sequence owned by a column goes with the column, or its table.
            (CommentOn::Sequence(n), Change::DropTable(t)) => {
                owner(n).is_some_and(|(o, _)| *o == t.name)
            }
            (CommentOn::Sequence(n), Change::DropColumn { table, column }) => {
                owner(n).is_some_and(|(o, c)| o == table && *c == column.name)
            }
            _ => false,
        })
    };
    let on: BTreeSet<&CommentOn> = current
        .comments
        .keys()
        .chain(desired.comments.keys())
        .collect();
    on.into_iter()
        .filter_map(|on| {
            let from = current.comments.get(on).filter(|_| !dropped(on)).cloned();
            let to = desired.comments.get(on).cloned();
            (from != to).then(|| Change::SetComment {
                on: on.clone(),
                from,
                to,
            })
        })
        .collect()
}

/// The indexes of a table or materialized view on both sides: those to drop (gone or changed) and those to
/// create (new or changed).
fn index_changes(
    owner: &ObjectName,
    from: &BTreeMap<String, Index>,
    to: &BTreeMap<String, Index>,
) -> (Vec<Change>, Vec<Change>) {
    let dropped = from
        .iter()
        .filter(|(key, index)| to.get(*key) != Some(*index))
        .map(|(_, index)| Change::DropIndex {
            table: owner.clone(),
            index: index.clone(),
        })
        .collect();
    let created = to
        .iter()
        .filter(|(key, index)| from.get(*key) != Some(*index))
        .map(|(_, index)| Change::CreateIndex {
            table: owner.clone(),
            index: index.clone(),
        })
        .collect();
    (dropped, created)
}

/// A table on both sides: what it loses (indexes, constraints, then columns), what it gains (columns, then
/// constraints and options), and the indexes it gains, which wait until every table exists. Its foreign keys
/// to a table created again go and come back with it, and so do its checks, exclusions and indexes over an
/// enum type in `retyped` (see [`uses_retyped`]).
fn table_changes(
    from: &Table,
    to: &Table,
    gone: &BTreeSet<ObjectName>,
    retyped: &[&ObjectName],
) -> (Vec<Change>, Vec<Change>, Vec<Change>) {
    let name = &from.name;
    let mut added = Vec::new();
    let (mut removed, mut indexes) = index_changes(name, &from.indexes, &to.indexes);
    let uses = |e: &Sql| uses_retyped(from, e, retyped);
    for (key, index) in &from.indexes {
        let over_enum = index.predicate.iter().any(uses)
            || index.parts.iter().any(|p| match &p.key {
                IndexKey::Expression(e) => uses(e),
                IndexKey::Column(_) => false,
            });
        if over_enum && to.indexes.get(key) == Some(index) {
            removed.push(Change::DropIndex {
                table: name.clone(),
                index: index.clone(),
            });
            indexes.push(Change::CreateIndex {
                table: name.clone(),
                index: index.clone(),
            });
        }
    }

    let (mut lost, mut new) = constraint_changes(from, to, gone);
    let over_enum = from
        .checks
        .intersection(&to.checks)
        .filter(|c| uses(&c.expression))
        .cloned()
        .map(Constraint::Check)
        .chain(
            from.exclusions
                .intersection(&to.exclusions)
                .filter(|x| uses(&x.definition))
                .cloned()
                .map(Constraint::Exclusion),
        );
    for constraint in over_enum {
        lost.push(constraint.clone());
        new.push(constraint);
    }
    removed.extend(lost.into_iter().map(|constraint| Change::DropConstraint {
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
    if from.row_security != to.row_security {
        added.push(Change::SetRowSecurity {
            table: name.clone(),
            from: from.row_security,
            to: to.row_security,
        });
    }
    (removed, added, indexes)
}

/// The constraints `from` has and `to` lacks, and the other way round; a foreign key to a table in `gone`
/// is on both lists.
fn constraint_changes(
    from: &Table,
    to: &Table,
    gone: &BTreeSet<ObjectName>,
) -> (Vec<Constraint>, Vec<Constraint>) {
    fn sets<T: Ord + Clone>(
        a: &BTreeSet<T>,
        b: &BTreeSet<T>,
        wrap: fn(T) -> Constraint,
        lost: &mut Vec<Constraint>,
        new: &mut Vec<Constraint>,
    ) {
        lost.extend(a.difference(b).cloned().map(wrap));
        new.extend(b.difference(a).cloned().map(wrap));
    }
    let mut lost = Vec::new();
    let mut new = Vec::new();
    if from.primary_key != to.primary_key {
        lost.extend(from.primary_key.clone().map(Constraint::PrimaryKey));
        new.extend(to.primary_key.clone().map(Constraint::PrimaryKey));
    }
    let recreated = |a: &Table, b: &Table| -> Vec<Constraint> {
        a.foreign_keys
            .iter()
            .filter(|fk| b.foreign_keys.contains(fk) && gone.contains(&fk.references))
            .cloned()
            .map(Constraint::ForeignKey)
            .collect()
    };
    lost.extend(recreated(from, to));
    new.extend(recreated(to, from));
    sets(
        &from.foreign_keys,
        &to.foreign_keys,
        Constraint::ForeignKey,
        &mut lost,
        &mut new,
    );
    sets(
        &from.uniques,
        &to.uniques,
        Constraint::Unique,
        &mut lost,
        &mut new,
    );
    sets(
        &from.checks,
        &to.checks,
        Constraint::Check,
        &mut lost,
        &mut new,
    );
    sets(
        &from.exclusions,
        &to.exclusions,
        Constraint::Exclusion,
        &mut lost,
        &mut new,
    );
    (lost, new)
}

/// `names` (tables of `schema`) ordered so that a table comes after the tables its foreign keys reference,
/// and a partition after the table it is a partition of.
fn table_order<'a>(schema: &Schema, names: &BTreeSet<&'a ObjectName>) -> Vec<&'a ObjectName> {
    topological(names, |name| {
        schema
            .table(name)
            .into_iter()
            .flat_map(|t| {
                t.foreign_keys
                    .iter()
                    .map(|fk| fk.references.clone())
                    .chain(t.partition_of.iter().map(|p| p.parent.clone()))
            })
            .filter(|r| r != name)
            .collect()
    })
}

/// `names` (domains of `schema`) ordered so that a domain comes after the domain it is based on.
fn domain_order<'a>(schema: &Schema, names: &BTreeSet<&'a ObjectName>) -> Vec<&'a ObjectName> {
    topological(names, |name| match schema.domains.get(name) {
        Some(d) => schema
            .domains
            .keys()
            .filter(|other| *other != name && is_type(&d.base, other))
            .cloned()
            .collect(),
        None => Vec::new(),
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
            deferrable: Deferrable::No,
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
            not_valid: false,
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
            indexes: Default::default(),
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
                Change::CreateSchema(s) => format!("create schema {s}"),
                Change::DropSchema(s) => format!("drop schema {s}"),
                Change::CreateExtension(e) => format!("create extension {}", e.name),
                Change::DropExtension(e) => format!("drop extension {}", e.name),
                Change::CreateEnum(e) => format!("create enum {}", e.name),
                Change::DropEnum(e) => format!("drop enum {}", e.name),
                Change::AlterEnum { to, .. } => format!("alter enum {}", to.name),
                Change::CreateSequence(s) => format!("create sequence {}", s.name),
                Change::DropSequence(s) => format!("drop sequence {}", s.name),
                Change::AlterSequence { to, .. } => format!("alter sequence {}", to.name),
                Change::CreateFunction(f) => format!("create function {}", f.name),
                Change::DropFunction(f) => format!("drop function {}", f.name),
                Change::ReplaceFunction { to, .. } => format!("replace function {}", to.name),
                Change::SetComment { on, to, .. } => format!("comment on {on:?}: {to:?}"),
                Change::CreateDomain(d) => format!("create domain {}", d.name),
                Change::DropDomain(d) => format!("drop domain {}", d.name),
                Change::AlterDomain { to, .. } => format!("alter domain {}", to.name),
                Change::SetRowSecurity { table, .. } => format!("set row security of {table}"),
                Change::CreatePolicy(p) => format!("create policy {}", p.name.name),
                Change::DropPolicy(p) => format!("drop policy {}", p.name.name),
                Change::AlterPolicy { to, .. } => format!("alter policy {}", to.name.name),
            })
            .collect()
    }

    fn kind(c: &Constraint) -> &'static str {
        match c {
            Constraint::PrimaryKey(_) => "primary key",
            Constraint::Unique(_) => "unique",
            Constraint::Check(_) => "check",
            Constraint::ForeignKey(_) => "foreign key",
            Constraint::Exclusion(_) => "exclusion",
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
                nulls_not_distinct: false,
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
            not_valid: false,
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
                nulls_not_distinct: false,
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
