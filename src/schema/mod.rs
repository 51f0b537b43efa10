//! The schema engine's pure core: a model of a database schema as one engine's catalog describes it, and the
//! normalisation that lets two catalogs be compared. Nothing here does I/O: each engine's code under
//! [`crate::dialect`] reads its catalog into this model, and everything that compares, orders or writes SQL
//! works on the model alone, so it is tested on models written inline.
//!
//! The model is keyed and ordered by name (`BTreeMap`, `BTreeSet`), so every walk over it comes out in the
//! same order. Tables, views and virtual tables share one map because they share one namespace: a name is
//! one kind of relation, never two. Text the database keeps as written (expressions, view queries, trigger
//! bodies) is held as [`Sql`], which compares by normalised tokens.
//!
//! - [`name`]: how objects are named and keyed;
//! - [`table`]: tables, columns and storage options; [`constraint`]: keys, unique, check, foreign keys,
//!   exclusion; [`index`]: indexes; [`view`], [`trigger`], [`virtual_table`]: the other relations' objects;
//! - PostgreSQL's objects outside tables: [`enum_type`], [`domain`], [`sequence`], [`function`],
//!   [`extension`], and [`comment`]s on any of them; a table's row-level security [`policy`]s;
//! - [`tokens`]: SQL text as comparable tokens; [`sqlite_ddl`]: what SQLite keeps only in CREATE text;
//!   [`rewrite`]: which defaults and type changes make PostgreSQL rewrite a table;
//! - [`diff`]: the ordered changes from one model to another; [`difference`]: how two models differ, object by
//!   object, in words; [`render`]: those changes as one engine's SQL,
//!   with what each risks; [`source`]: the schema file's engine parts and declared renames.

pub mod comment;
pub mod constraint;
pub mod diff;
pub mod difference;
pub mod domain;
pub mod enum_type;
pub mod extension;
pub mod function;
pub mod index;
pub mod name;
pub mod policy;
pub mod render;
pub mod rewrite;
pub mod sequence;
pub mod source;
pub mod sqlite_ddl;
pub mod table;
pub mod tokens;
pub mod trigger;
pub mod view;
pub mod virtual_table;

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::engine::Engine;

pub use comment::CommentOn;
pub use constraint::{
    Check, Conflict, Deferrable, Exclusion, FkAction, ForeignKey, KeyColumn, PrimaryKey, Unique,
};
pub use domain::{Domain, DomainCheck};
pub use enum_type::EnumType;
pub use extension::Extension;
pub use function::{Function, FunctionName};
pub use index::{Index, IndexKey, IndexPart};
pub use name::ObjectName;
pub use policy::{Policy, PolicyCommand, PolicyName, RowSecurity};
pub use sequence::Sequence;
pub use table::{
    Column, ColumnValue, Columns, Identity, PartitionOf, Storage, Table, TableOptions,
};
pub use tokens::Sql;
pub use trigger::{Trigger, TriggerName};
pub use view::View;
pub use virtual_table::VirtualTable;

/// One database's schema on one engine. The maps after `triggers` hold what only PostgreSQL has, and stay
/// empty on SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub engine: Engine,
    relations: BTreeMap<ObjectName, Relation>,
    triggers: BTreeMap<TriggerName, Trigger>,
    /// Row-level security policies, keyed by their table then name; PostgreSQL only.
    policies: BTreeMap<PolicyName, Policy>,
    /// The namespaces besides the ones every database has (`public` included: an empty database has it).
    pub schemas: BTreeSet<String>,
    pub extensions: BTreeMap<String, Extension>,
    pub enums: BTreeMap<ObjectName, EnumType>,
    pub domains: BTreeMap<ObjectName, Domain>,
    pub sequences: BTreeMap<ObjectName, Sequence>,
    pub functions: BTreeMap<FunctionName, Function>,
    pub comments: BTreeMap<CommentOn, String>,
}

/// What a name in the relation namespace stands for.
// Most relations are tables, so boxing the large variant would cost an allocation for nearly every one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    Table(Table),
    View(View),
    VirtualTable(VirtualTable),
}

impl Relation {
    pub fn name(&self) -> &ObjectName {
        match self {
            Relation::Table(t) => &t.name,
            Relation::View(v) => &v.name,
            Relation::VirtualTable(v) => &v.name,
        }
    }
}

/// A model that would not describe any database.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    #[error("two columns are named '{0}'")]
    DuplicateColumn(String),
    #[error("'{0}' names two objects")]
    DuplicateName(String),
    #[error("trigger '{trigger}' is on '{on}', which is not a table or view of the schema")]
    TriggerWithoutRelation { trigger: String, on: String },
    #[error("policy '{policy}' is on '{on}', which is not a table of the schema")]
    PolicyWithoutTable { policy: String, on: String },
}

impl Schema {
    pub fn new(engine: Engine) -> Schema {
        Schema {
            engine,
            relations: BTreeMap::new(),
            triggers: BTreeMap::new(),
            policies: BTreeMap::new(),
            schemas: BTreeSet::new(),
            extensions: BTreeMap::new(),
            enums: BTreeMap::new(),
            domains: BTreeMap::new(),
            sequences: BTreeMap::new(),
            functions: BTreeMap::new(),
            comments: BTreeMap::new(),
        }
    }

    /// Adds a table, view or virtual table; a name already taken is refused.
    pub fn add(&mut self, relation: impl Into<Relation>) -> Result<(), ModelError> {
        let relation = relation.into();
        let name = relation.name().clone();
        if self.relations.contains_key(&name) {
            return Err(ModelError::DuplicateName(name.to_string()));
        }
        self.relations.insert(name, relation);
        Ok(())
    }

    /// Adds a trigger on a table or view already in the schema.
    pub fn add_trigger(&mut self, trigger: Trigger) -> Result<(), ModelError> {
        match self.relations.get(&trigger.name.on) {
            Some(Relation::Table(_) | Relation::View(_)) => {}
            _ => {
                return Err(ModelError::TriggerWithoutRelation {
                    trigger: trigger.name.name.clone(),
                    on: trigger.name.on.to_string(),
                })
            }
        }
        if self.triggers.contains_key(&trigger.name) {
            return Err(ModelError::DuplicateName(trigger.name.name.clone()));
        }
        self.triggers.insert(trigger.name.clone(), trigger);
        Ok(())
    }

    /// Adds a row-level security policy on a table already in the schema.
    pub fn add_policy(&mut self, policy: Policy) -> Result<(), ModelError> {
        if self.table(&policy.name.on).is_none() {
            return Err(ModelError::PolicyWithoutTable {
                policy: policy.name.name.clone(),
                on: policy.name.on.to_string(),
            });
        }
        if self.policies.contains_key(&policy.name) {
            return Err(ModelError::DuplicateName(policy.name.name.clone()));
        }
        self.policies.insert(policy.name.clone(), policy);
        Ok(())
    }

    /// Every policy, keyed by the table each is on, then by name.
    pub fn policies(&self) -> &BTreeMap<PolicyName, Policy> {
        &self.policies
    }

    /// Every relation, in name order.
    pub fn relations(&self) -> impl Iterator<Item = &Relation> {
        self.relations.values()
    }

    /// Every trigger, keyed by the relation each is on, then by name.
    pub fn triggers(&self) -> &BTreeMap<TriggerName, Trigger> {
        &self.triggers
    }

    pub fn relation(&self, name: &ObjectName) -> Option<&Relation> {
        self.relations.get(name)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.relations.values().filter_map(|r| match r {
            Relation::Table(t) => Some(t),
            _ => None,
        })
    }

    pub fn table(&self, name: &ObjectName) -> Option<&Table> {
        match self.relations.get(name) {
            Some(Relation::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// The table named `name`, to change in place (adding an index, say).
    pub fn table_mut(&mut self, name: &ObjectName) -> Option<&mut Table> {
        match self.relations.get_mut(name) {
            Some(Relation::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// The view named `name`, to change in place (adding an index to a materialized view, say).
    pub fn view_mut(&mut self, name: &ObjectName) -> Option<&mut View> {
        match self.relations.get_mut(name) {
            Some(Relation::View(v)) => Some(v),
            _ => None,
        }
    }

    /// The schema less the relations `dropped` picks, with their triggers, comments and owned sequences
    /// (dbkit's own bookkeeping tables, say, which no revision creates).
    pub fn without(&self, dropped: impl Fn(&ObjectName) -> bool) -> Schema {
        let mut kept = self.clone();
        kept.relations.retain(|name, _| !dropped(name));
        kept.triggers.retain(|t, _| !dropped(&t.on));
        kept.policies.retain(|p, _| !dropped(&p.on));
        kept.sequences
            .retain(|_, s| !s.owned_by.as_ref().is_some_and(|(table, _)| dropped(table)));
        kept.comments.retain(|on, _| match on {
            CommentOn::Relation(name)
            | CommentOn::Column { table: name, .. }
            | CommentOn::Index { table: name, .. }
            | CommentOn::Constraint { table: name, .. }
            | CommentOn::Trigger(TriggerName { on: name, .. }) => !dropped(name),
            CommentOn::Sequence(name) => kept.sequences.contains_key(name),
            CommentOn::Type(_) | CommentOn::Schema(_) | CommentOn::Function(_) => true,
        });
        kept
    }

    pub fn views(&self) -> impl Iterator<Item = &View> {
        self.relations.values().filter_map(|r| match r {
            Relation::View(v) => Some(v),
            _ => None,
        })
    }

    pub fn virtual_tables(&self) -> impl Iterator<Item = &VirtualTable> {
        self.relations.values().filter_map(|r| match r {
            Relation::VirtualTable(v) => Some(v),
            _ => None,
        })
    }
}

impl From<Table> for Relation {
    fn from(t: Table) -> Relation {
        Relation::Table(t)
    }
}

impl From<View> for Relation {
    fn from(v: View) -> Relation {
        Relation::View(v)
    }
}

impl From<VirtualTable> for Relation {
    fn from(v: VirtualTable) -> Relation {
        Relation::VirtualTable(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> Table {
        Table::new(
            ObjectName::bare(name),
            Columns::new(vec![Column::new("id", Some("INTEGER"))]).unwrap(),
            TableOptions::SQLITE,
        )
    }

    #[test]
    fn a_name_is_one_relation() {
        let mut s = Schema::new(Engine::Sqlite);
        s.add(table("t")).unwrap();
        let view = View {
            name: ObjectName::bare("t"),
            columns: vec![],
            query: Sql::sqlite("SELECT 1").unwrap(),
            materialized: false,
            indexes: Default::default(),
        };
        assert_eq!(s.add(view), Err(ModelError::DuplicateName("t".into())));
    }

    #[test]
    fn relations_come_out_in_name_order_whatever_the_order_they_went_in() {
        let mut a = Schema::new(Engine::Sqlite);
        let mut b = Schema::new(Engine::Sqlite);
        for n in ["b", "c", "a"] {
            a.add(table(n)).unwrap();
        }
        for n in ["a", "b", "c"] {
            b.add(table(n)).unwrap();
        }
        assert_eq!(a, b);
        let names: Vec<String> = a.tables().map(|t| t.name.to_string()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn a_trigger_needs_its_relation() {
        let mut s = Schema::new(Engine::Sqlite);
        let trigger = Trigger {
            name: TriggerName {
                on: ObjectName::bare("t"),
                name: "tr".into(),
            },
            definition: Sql::sqlite("AFTER INSERT ON t BEGIN SELECT 1; END").unwrap(),
        };
        assert!(matches!(
            s.add_trigger(trigger.clone()),
            Err(ModelError::TriggerWithoutRelation { .. })
        ));
        s.add(table("t")).unwrap();
        s.add_trigger(trigger).unwrap();
        assert_eq!(s.triggers().len(), 1);
    }
}
