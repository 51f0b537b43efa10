//! Changes written as PostgreSQL SQL: one statement per change where one does it, names qualified by their
//! schema and quoted only where PostgreSQL needs it, expressions and definitions as the catalog wrote them.
//!
//! What PostgreSQL does not do in one statement is written as a reviewer would:
//! - a new table's foreign keys are added after every new table exists (so tables that reference each other
//!   can be created), and tables that reference each other have those keys dropped before either table is;
//! - a new enum label is `ALTER TYPE … ADD VALUE`, in a step of its own that commits before anything uses
//!   the label; a label removed or moved replaces the type: a new type under a temporary name, every column
//!   converted through `text` (its default dropped before and set again after), the old type dropped and the
//!   new one renamed (the checks and indexes that read such a column are the diff's to drop and recreate
//!   around it);
//! - a column changes in the order PostgreSQL accepts: its default or identity dropped, its type, its
//!   nullability, then its new default or identity; a generated column whose expression changes is dropped
//!   and added again, since PostgreSQL 15 cannot alter the expression.
//!
//! With [`Options::online`] the forms that keep a live table usable: indexes built and dropped
//! `CONCURRENTLY` (outside a transaction), foreign keys and checks added `NOT VALID` and validated in a step
//! of their own (validation takes a lock that lets rows be read and written), `SET NOT NULL` proved first
//! by a validated `CHECK (… IS NOT NULL)` so it need not scan the table under its exclusive lock, and every
//! step that locks a table existing before starts with `SET lock_timeout = '5s'` ([`LOCK_TIMEOUT`]).

use std::collections::BTreeSet;

use super::{Context, Hazard, Options, Renames, Step};
use crate::schema::diff::{is_type, labels_only_added, Change, Constraint};
use crate::schema::rewrite;
use crate::schema::tokens::Token;
use crate::schema::{
    Check, Column, ColumnValue, CommentOn, Deferrable, Domain, EnumType, Exclusion, ForeignKey,
    Function, Identity, Index, IndexKey, KeyColumn, ObjectName, Policy, PrimaryKey, Relation,
    RowSecurity, Schema, Sequence, Sql, Table, TableOptions, Unique, View,
};

/// The `lock_timeout` of online steps: a statement waiting longer than this for its lock gives up, so a
/// migration queued behind a long transaction fails instead of stalling every query queued behind it.
pub const LOCK_TIMEOUT: &str = "5s";

/// The steps that carry out `changes` (a diff from `current` to `desired`), in the changes' order. A table
/// or column named in `renames` whose drop and add the changes hold, with the same definition, is renamed
/// instead.
pub fn render(
    current: &Schema,
    desired: &Schema,
    changes: &[Change],
    renames: &Renames,
    options: Options,
) -> Vec<Step> {
    let r = Renderer {
        cx: Context {
            current,
            desired,
            changes,
            renames,
        },
        online: options.online,
    };
    let first_drop = changes.iter().position(
        |c| matches!(c, Change::DropTable(t) if r.cx.table_renamed_to(&t.name).is_none()),
    );
    let last_table_part = changes.iter().rposition(|c| {
        matches!(
            c,
            Change::CreateTable(_)
                | Change::AddColumn { .. }
                | Change::AlterColumn { .. }
                | Change::AddConstraint { .. }
                | Change::SetTableOptions { .. }
                | Change::CreateIndex { .. }
        )
    });
    let mut steps = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        if Some(i) == first_drop {
            steps.extend(r.cycle_keys_dropped());
        }
        steps.extend(
            r.steps(change)
                .into_iter()
                .map(|s| r.timed(s, r.locks(change))),
        );
        if Some(i) == last_table_part {
            let keys = r.new_tables_keys();
            steps.extend(keys.into_iter().map(|s| r.timed(s, true)));
        }
    }
    // The timeout is the session's: the revisions after this one in the same upgrade get the server's again.
    let timed = steps.iter().any(|s| {
        s.statements
            .first()
            .is_some_and(|sql| sql.starts_with("SET lock_timeout"))
    });
    if timed {
        steps.push(step(vec!["RESET lock_timeout".into()], Vec::new()));
    }
    steps
}

struct Renderer<'a> {
    cx: Context<'a>,
    online: bool,
}

fn step(statements: Vec<String>, hazards: Vec<Hazard>) -> Step {
    Step {
        statements,
        hazards,
        autocommit: false,
    }
}

fn autocommit(statements: Vec<String>, hazards: Vec<Hazard>) -> Step {
    Step {
        statements,
        hazards,
        autocommit: true,
    }
}

impl Renderer<'_> {
    /// `step` with the lock timeout first, online, when it takes a lock on what exists.
    fn timed(&self, mut step: Step, locks: bool) -> Step {
        if self.online && locks {
            step.statements
                .insert(0, format!("SET lock_timeout = {}", literal(LOCK_TIMEOUT)));
        }
        step
    }

    /// Whether a change waits for a lock on an object in use: not when it makes a new object that touches
    /// nothing existing.
    fn locks(&self, change: &Change) -> bool {
        match change {
            Change::CreateSchema(_)
            | Change::CreateExtension(_)
            | Change::CreateEnum(_)
            | Change::CreateDomain(_)
            | Change::CreateSequence(_)
            | Change::CreateFunction(_)
            | Change::ReplaceFunction { .. } => false,
            Change::CreateTable(t) => t.partition_of.is_some(),
            Change::CreateIndex { table, .. } => self.existing(table),
            _ => true,
        }
    }

    /// Whether `table` (a table or a materialized view) exists before the changes and is not created again
    /// by them: online forms matter only on a relation that may hold rows and be in use.
    fn existing(&self, table: &ObjectName) -> bool {
        let stored = match self.cx.current.relation(table) {
            Some(Relation::Table(_)) => true,
            Some(Relation::View(v)) => v.materialized,
            _ => false,
        };
        stored
            && !self.cx.changes.iter().any(|c| match c {
                Change::CreateTable(t) => t.name == *table,
                Change::CreateView(v) => v.name == *table,
                _ => false,
            })
    }

    /// Whether the changes drop `table` for good (not renaming it).
    fn dropped(&self, table: &ObjectName) -> bool {
        self.cx.changes.iter().any(
            |c| matches!(c, Change::DropTable(t) if t.name == *table && self.cx.table_renamed_to(table).is_none()),
        )
    }

    /// The foreign keys between dropped tables that would outlive the table they reference (the tables
    /// reference each other), dropped before any table is.
    fn cycle_keys_dropped(&self) -> Vec<Step> {
        let order: Vec<&Table> = self
            .cx
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::DropTable(t) if self.dropped(&t.name) => Some(t),
                _ => None,
            })
            .collect();
        let mut steps = Vec::new();
        for (i, t) in order.iter().enumerate() {
            for fk in &t.foreign_keys {
                if order[..i]
                    .iter()
                    .any(|earlier| earlier.name == fk.references)
                {
                    steps.push(step(
                        vec![drop_constraint(
                            &t.name,
                            &Constraint::ForeignKey(fk.clone()),
                        )],
                        vec![],
                    ));
                }
            }
        }
        steps
    }

    /// The foreign keys (and `NOT VALID` checks) of the tables created (not renamed), added once every table
    /// exists.
    fn new_tables_keys(&self) -> Vec<Step> {
        self.cx
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::CreateTable(t) if !self.cx.table_renamed_from(&t.name) => Some(t),
                _ => None,
            })
            .flat_map(|t| {
                let keys = t.foreign_keys.iter().cloned().map(Constraint::ForeignKey);
                let unvalidated = t
                    .checks
                    .iter()
                    .filter(|c| c.not_valid)
                    .cloned()
                    .map(Constraint::Check);
                keys.chain(unvalidated)
                    .map(|c| step(vec![add_constraint(&t.name, &c, "")], vec![]))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The steps of one change; none where another change's steps carry it out (a rename's add).
    fn steps(&self, change: &Change) -> Vec<Step> {
        let one = |sql: String| vec![step(vec![sql], vec![])];
        match change {
            Change::CreateSchema(s) => one(format!("CREATE SCHEMA {}", ident(s))),
            Change::DropSchema(s) => one(format!("DROP SCHEMA {}", ident(s))),
            Change::CreateExtension(e) => one(format!(
                "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
                ident(&e.name),
                ident(&e.schema)
            )),
            Change::DropExtension(e) => one(format!("DROP EXTENSION {}", ident(&e.name))),
            Change::CreateEnum(e) => one(create_enum(e, &e.name)),
            Change::DropEnum(e) => one(format!("DROP TYPE {}", name(&e.name))),
            Change::AlterEnum { from, to } => vec![self.alter_enum(from, to)],
            Change::CreateSequence(s) => one(create_sequence(s)),
            Change::DropSequence(s) => one(format!("DROP SEQUENCE {}", name(&s.name))),
            Change::AlterSequence { from, to } => one(alter_sequence(from, to)),
            Change::CreateFunction(f) => one(create_function(f)),
            // `CREATE OR REPLACE` cannot change what a function returns.
            Change::ReplaceFunction { from, to } if returns(from) != returns(to) => {
                vec![step(vec![drop_function(from), create_function(to)], vec![])]
            }
            Change::ReplaceFunction { to, .. } => one(create_function(to)),
            Change::DropFunction(f) => one(drop_function(f)),
            Change::CreateTable(t) if self.cx.table_renamed_from(&t.name) => vec![],
            Change::CreateTable(t) => {
                let mut statements = vec![create_table(t)];
                statements.extend(row_security(
                    &t.name,
                    RowSecurity::default(),
                    t.row_security,
                ));
                vec![step(statements, vec![])]
            }
            Change::CreateDomain(d) => vec![step(create_domain(d), vec![])],
            Change::DropDomain(d) => one(format!("DROP DOMAIN {}", name(&d.name))),
            Change::AlterDomain { from, to } => vec![alter_domain(from, to)],
            Change::SetRowSecurity { table, from, to } => {
                vec![step(row_security(table, *from, *to), vec![])]
            }
            Change::CreatePolicy(p) => one(create_policy(p)),
            Change::DropPolicy(p) => one(format!(
                "DROP POLICY {} ON {}",
                ident(&p.name.name),
                name(&p.name.on)
            )),
            Change::AlterPolicy { from, to } => one(alter_policy(from, to)),
            Change::DropTable(t) => match self.cx.table_renamed_to(&t.name) {
                Some(new) => vec![step(self.rename_table(t, new), vec![])],
                None => vec![step(
                    vec![format!("DROP TABLE {}", name(&t.name))],
                    vec![Hazard::DropsTable {
                        table: t.name.clone(),
                    }],
                )],
            },
            Change::AddColumn { table, column } => {
                if self.cx.renamed_from(table, &column.name).is_some() {
                    return vec![];
                }
                vec![step(
                    vec![format!(
                        "ALTER TABLE {} ADD COLUMN {}",
                        name(table),
                        column_definition(column)
                    )],
                    add_column_hazards(table, column, self.cx.desired),
                )]
            }
            Change::DropColumn { table, column } => match self.cx.renamed_to(table, &column.name) {
                Some(to) => one(format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    name(table),
                    ident(&column.name),
                    ident(to)
                )),
                None => vec![step(
                    vec![drop_column(table, &column.name)],
                    vec![Hazard::DropsColumn {
                        table: table.clone(),
                        column: column.name.clone(),
                    }],
                )],
            },
            Change::AlterColumn { table, from, to } => self.alter_column(table, from, to),
            Change::AddConstraint { table, constraint } => self.add_constraint(table, constraint),
            Change::DropConstraint { table, constraint } => one(drop_constraint(table, constraint)),
            Change::SetTableOptions { table, to, .. } => match to {
                TableOptions::Postgres { unlogged } => vec![step(
                    vec![format!(
                        "ALTER TABLE {} SET {}",
                        name(table),
                        if *unlogged { "UNLOGGED" } else { "LOGGED" }
                    )],
                    vec![Hazard::RewritesTable {
                        table: table.clone(),
                    }],
                )],
                TableOptions::Sqlite { .. } => vec![],
            },
            Change::CreateIndex { table, index } if self.cx.index_moves(table, &index.name) => {
                vec![]
            }
            Change::CreateIndex { table, index } => {
                let concurrently = self.online && self.existing(table);
                let hazards = if index.unique {
                    vec![Hazard::NewUnique {
                        table: table.clone(),
                        name: index.name.clone(),
                    }]
                } else {
                    vec![]
                };
                let sql = create_index(table, index, concurrently);
                vec![if concurrently {
                    autocommit(vec![sql], hazards)
                } else {
                    step(vec![sql], hazards)
                }]
            }
            Change::DropIndex { table, index } => {
                let at = index_name(table, &index.name);
                if self.online && !self.dropped(table) {
                    vec![autocommit(
                        vec![format!("DROP INDEX CONCURRENTLY {at}")],
                        vec![],
                    )]
                } else {
                    one(format!("DROP INDEX {at}"))
                }
            }
            // A materialized view's indexes are made with it, once it has its rows.
            Change::CreateView(v) => vec![step(
                std::iter::once(create_view(v))
                    .chain(v.indexes.values().map(|i| create_index(&v.name, i, false)))
                    .collect(),
                vec![],
            )],
            Change::DropView(v) => one(format!("DROP {} {}", view_kind(v), name(&v.name))),
            Change::CreateTrigger(t) => one(format!(
                "CREATE TRIGGER {} {}",
                ident(&t.name.name),
                t.definition.text()
            )),
            Change::DropTrigger(t) => one(format!(
                "DROP TRIGGER {} ON {}",
                ident(&t.name.name),
                name(&t.name.on)
            )),
            Change::SetComment { on, to, .. } => one(self.comment(on, to.as_deref())),
            // SQLite's virtual tables: a PostgreSQL schema has none.
            Change::CreateVirtualTable(_) | Change::DropVirtualTable(_) => vec![],
        }
    }

    /// A dropped table renamed to `new`: its indexes that `new` does not have as they are dropped first (the
    /// created ones are changes of their own), then the table renamed, and moved if its schema changes.
    fn rename_table(&self, old: &Table, new: &Table) -> Vec<String> {
        let mut statements: Vec<String> = old
            .indexes
            .values()
            .filter(|i| !self.cx.index_moves(&new.name, &i.name))
            .map(|i| format!("DROP INDEX {}", index_name(&old.name, &i.name)))
            .collect();
        statements.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            name(&old.name),
            ident(&new.name.name)
        ));
        let renamed = |c: &Constraint| constraint_name(&new.name, c);
        let mut matched = BTreeSet::new();
        for c in constraints(new) {
            let twin = constraints(old)
                .into_iter()
                .find(|o| unnamed(o) == unnamed(&c) && !matched.contains(&renamed(o)));
            if let Some(o) = twin {
                matched.insert(renamed(&o));
                if renamed(&o) != renamed(&c) {
                    statements.push(format!(
                        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                        name(&ObjectName {
                            schema: old.name.schema.clone(),
                            name: new.name.name.clone(),
                        }),
                        ident(&renamed(&o)),
                        ident(&renamed(&c))
                    ));
                }
            }
        }
        if old.name.schema != new.name.schema {
            let renamed = ObjectName {
                schema: old.name.schema.clone(),
                name: new.name.name.clone(),
            };
            statements.push(format!(
                "ALTER TABLE {} SET SCHEMA {}",
                name(&renamed),
                ident(new.name.schema.as_deref().unwrap_or("public"))
            ));
        }
        statements
    }

    /// New labels in place (a step of their own, since a label is unusable before its commit); otherwise a
    /// new type that every column of the old one is converted to.
    fn alter_enum(&self, from: &EnumType, to: &EnumType) -> Step {
        let type_name = name(&to.name);
        if labels_only_added(from, to) {
            let statements = to
                .labels
                .iter()
                .enumerate()
                .filter(|(_, l)| !from.labels.contains(l))
                .map(|(i, l)| {
                    let place = match i.checked_sub(1) {
                        Some(before) => format!(" AFTER {}", literal(&to.labels[before])),
                        None => match to.labels.get(1) {
                            Some(next) => format!(" BEFORE {}", literal(next)),
                            None => String::new(),
                        },
                    };
                    format!("ALTER TYPE {type_name} ADD VALUE {}{place}", literal(l))
                })
                .collect();
            return autocommit(statements, vec![]);
        }
        let temporary = ObjectName {
            schema: to.name.schema.clone(),
            name: format!("{}__new", to.name.name),
        };
        let mut statements = vec![create_enum(to, &temporary)];
        let mut hazards = Vec::new();
        let removed: Vec<String> = from
            .labels
            .iter()
            .filter(|l| !to.labels.contains(l))
            .cloned()
            .collect();
        if !removed.is_empty() {
            hazards.push(Hazard::DropsEnumValues {
                name: to.name.clone(),
                labels: removed,
            });
        }
        let mut defaults = Vec::new();
        for (table, column, desired) in self.columns_of_type(&from.name) {
            let at = format!(
                "ALTER TABLE {} ALTER COLUMN {}",
                name(&table),
                ident(&column.name)
            );
            if let ColumnValue::Default(_) = column.value {
                statements.push(format!("{at} DROP DEFAULT"));
                // Set again only where it stays: a changed default is the column's own change, later.
                if let Some(ColumnValue::Default(d)) =
                    desired.map(|d| &d.value).filter(|v| **v == column.value)
                {
                    defaults.push(format!("{at} SET DEFAULT {}", d.text()));
                }
            }
            let arrays = column
                .data_type
                .as_deref()
                .map_or(0, |t| (t.len() - t.trim_end_matches("[]").len()) / 2);
            let new_type = format!("{}{}", name(&temporary), "[]".repeat(arrays));
            statements.push(format!(
                "{at} TYPE {new_type} USING {}::text{}::{new_type}",
                ident(&column.name),
                "[]".repeat(arrays)
            ));
            if !hazards
                .iter()
                .any(|h| matches!(h, Hazard::RewritesTable { table: t } if *t == table))
            {
                hazards.push(Hazard::RewritesTable { table });
            }
        }
        statements.push(format!("DROP TYPE {type_name}"));
        statements.push(format!(
            "ALTER TYPE {} RENAME TO {}",
            name(&temporary),
            ident(&to.name.name)
        ));
        statements.extend(defaults);
        step(statements, hazards)
    }

    /// The columns of type `type_name` when the enum changes (after the drops before it: a renamed table or
    /// column under its new name), each with the table's name then and the column as desired, if it stays.
    fn columns_of_type(
        &self,
        type_name: &ObjectName,
    ) -> Vec<(ObjectName, Column, Option<&Column>)> {
        let mut out = Vec::new();
        for t in self.cx.current.tables() {
            let table = match self
                .cx
                .changes
                .iter()
                .any(|c| matches!(c, Change::DropTable(d) if d.name == t.name))
            {
                false => t.name.clone(),
                true => match self.cx.table_renamed_to(&t.name) {
                    Some(new) => new.name.clone(),
                    None => continue,
                },
            };
            for c in &t.columns {
                if !c
                    .data_type
                    .as_deref()
                    .is_some_and(|d| is_type(d, type_name))
                {
                    continue;
                }
                let dropped = self.cx.changes.iter().any(|ch| {
                    matches!(ch, Change::DropColumn { table: dt, column } if *dt == t.name && column.name == c.name)
                });
                let column_name = match (dropped, self.cx.renamed_to(&t.name, &c.name)) {
                    (false, _) => c.name.clone(),
                    (true, Some(to)) => to.to_string(),
                    (true, None) => continue,
                };
                let desired = self
                    .cx
                    .desired
                    .table(&table)
                    .and_then(|d| d.columns.get(&column_name));
                out.push((
                    table.clone(),
                    Column {
                        name: column_name,
                        ..c.clone()
                    },
                    desired,
                ));
            }
        }
        out
    }

    /// A column's changes, in the order PostgreSQL accepts them.
    fn alter_column(&self, table: &ObjectName, from: &Column, to: &Column) -> Vec<Step> {
        let generated = |c: &Column| matches!(c.value, ColumnValue::Generated { .. });
        if generated(to) && from.value != to.value {
            // PostgreSQL 15 cannot set a generation expression: the column is added again, and computed.
            return vec![step(
                vec![
                    drop_column(table, &from.name),
                    format!(
                        "ALTER TABLE {} ADD COLUMN {}",
                        name(table),
                        column_definition(to)
                    ),
                ],
                vec![
                    Hazard::DropsColumn {
                        table: table.clone(),
                        column: from.name.clone(),
                    },
                    Hazard::RewritesTable {
                        table: table.clone(),
                    },
                ],
            )];
        }
        let at = format!(
            "ALTER TABLE {} ALTER COLUMN {}",
            name(table),
            ident(&to.name)
        );
        let retyped = from.data_type != to.data_type || from.collation != to.collation;
        let mut before = Vec::new();
        let mut hazards = Vec::new();
        match (&from.value, &to.value) {
            (ColumnValue::Default(_), ColumnValue::Default(_)) if !retyped => {}
            (ColumnValue::Default(_), _) if from.value != to.value || retyped => {
                before.push(format!("{at} DROP DEFAULT"))
            }
            (ColumnValue::Identity(_), ColumnValue::Identity(_)) => {}
            (ColumnValue::Identity(_), _) => before.push(format!("{at} DROP IDENTITY")),
            (ColumnValue::Generated { .. }, ColumnValue::Generated { .. }) => {}
            (ColumnValue::Generated { .. }, _) => before.push(format!("{at} DROP EXPRESSION")),
            _ => {}
        }
        if retyped {
            let new_type = to.data_type.as_deref().unwrap_or("text");
            let collate = match (&to.collation, &from.collation) {
                (Some(c), _) => format!(" COLLATE {}", collation(c)),
                (None, Some(_)) => " COLLATE \"default\"".to_string(),
                (None, None) => String::new(),
            };
            // A generated column is computed again under its new type, and takes no USING.
            let using = if generated(to) {
                String::new()
            } else {
                format!(" USING {}::{new_type}", ident(&to.name))
            };
            before.push(format!("{at} TYPE {new_type}{collate}{using}"));
            let (rewrites, narrows) =
                rewrite::type_change(from.data_type.as_deref().unwrap_or(""), new_type);
            if narrows {
                hazards.push(Hazard::NarrowsType {
                    table: table.clone(),
                    column: to.name.clone(),
                    from: from.data_type.clone().unwrap_or_default(),
                    to: new_type.to_string(),
                });
            }
            if rewrites {
                hazards.push(Hazard::RewritesTable {
                    table: table.clone(),
                });
            }
        }
        let mut after = Vec::new();
        if !from.nullable && to.nullable {
            after.push(format!("{at} DROP NOT NULL"));
        }
        match (&from.value, &to.value) {
            (ColumnValue::Identity(a), ColumnValue::Identity(b)) if a != b => {
                after.push(format!("{at} SET GENERATED {}", identity(*b)))
            }
            (ColumnValue::Identity(_), ColumnValue::Identity(_)) => {}
            (_, ColumnValue::Identity(b)) => {
                after.push(format!("{at} ADD GENERATED {} AS IDENTITY", identity(*b)))
            }
            (a, ColumnValue::Default(d)) if a != &to.value || retyped => {
                after.push(format!("{at} SET DEFAULT {}", d.text()))
            }
            _ => {}
        }
        if !from.nullable || to.nullable {
            before.extend(after);
            return vec![step(before, hazards)];
        }
        let not_null = Hazard::SetsNotNull {
            table: table.clone(),
            column: to.name.clone(),
        };
        if !(self.online && self.existing(table)) {
            hazards.push(not_null);
            // NOT NULL before a new identity, which requires it.
            before.push(format!("{at} SET NOT NULL"));
            before.extend(after);
            return vec![step(before, hazards)];
        }
        let check = truncated(format!("{}_{}_not_null", table.name, to.name));
        let t = name(table);
        before.push(format!(
            "ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID",
            ident(&check),
            ident(&to.name)
        ));
        let mut last = vec![
            format!("{at} SET NOT NULL"),
            format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&check)),
        ];
        last.extend(after);
        vec![
            step(before, hazards),
            autocommit(
                vec![format!(
                    "ALTER TABLE {t} VALIDATE CONSTRAINT {}",
                    ident(&check)
                )],
                vec![not_null],
            ),
            step(last, vec![]),
        ]
    }

    /// A constraint added to a table that stays; online, a foreign key or check on a table in use is added
    /// unchecked, then validated in a step of its own.
    fn add_constraint(&self, table: &ObjectName, constraint: &Constraint) -> Vec<Step> {
        if constraint.not_valid() {
            // Wanted unvalidated: the rows already there are not checked, so nothing can fail on them.
            return vec![step(vec![add_constraint(table, constraint, "")], vec![])];
        }
        let hazard = constraint_hazard(table, constraint);
        let online = self.online && self.existing(table);
        let key = match constraint {
            Constraint::PrimaryKey(pk) => Some(("PRIMARY KEY", &pk.columns)),
            Constraint::Unique(u) => Some(("UNIQUE", &u.columns)),
            _ => None,
        };
        if let Some((kind, columns)) = key.filter(|_| online) {
            // The key's index is built without blocking writes, then made the constraint's.
            let index = ident(&constraint_name(table, constraint));
            let nulls = matches!(constraint, Constraint::Unique(u) if u.nulls_not_distinct);
            return vec![
                autocommit(
                    vec![format!(
                        "CREATE UNIQUE INDEX CONCURRENTLY {index} ON {} ({}){}",
                        name(table),
                        key_columns(columns),
                        nulls_not_distinct(nulls)
                    )],
                    vec![hazard],
                ),
                step(
                    vec![format!(
                        "ALTER TABLE {} ADD CONSTRAINT {index} {kind} USING INDEX {index}{}",
                        name(table),
                        super::deferrable(key_deferrable(constraint))
                    )],
                    vec![],
                ),
            ];
        }
        let deferred = matches!(constraint, Constraint::ForeignKey(_) | Constraint::Check(_));
        if !(online && deferred) {
            return vec![step(
                vec![add_constraint(table, constraint, "")],
                vec![hazard],
            )];
        }
        vec![
            step(
                vec![add_constraint(table, constraint, " NOT VALID")],
                vec![],
            ),
            autocommit(
                vec![format!(
                    "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                    name(table),
                    ident(&constraint_name(table, constraint))
                )],
                vec![hazard],
            ),
        ]
    }

    fn comment(&self, on: &CommentOn, text: Option<&str>) -> String {
        let target = match on {
            CommentOn::Relation(n) => {
                let relation = self
                    .cx
                    .desired
                    .relation(n)
                    .or_else(|| self.cx.current.relation(n));
                let kind = match relation {
                    Some(Relation::View(v)) => view_kind(v),
                    _ => "TABLE",
                };
                format!("{kind} {}", name(n))
            }
            CommentOn::Column { table, column } => {
                format!("COLUMN {}.{}", name(table), ident(column))
            }
            CommentOn::Index { table, name: index } => {
                format!("INDEX {}", index_name(table, index))
            }
            CommentOn::Type(n) => {
                let domain = self.cx.desired.domains.contains_key(n)
                    || self.cx.current.domains.contains_key(n);
                let kind = if domain { "DOMAIN" } else { "TYPE" };
                format!("{kind} {}", name(n))
            }
            CommentOn::Schema(s) => format!("SCHEMA {}", ident(s)),
            CommentOn::Constraint { table, name: c } => {
                format!("CONSTRAINT {} ON {}", ident(c), name(table))
            }
            CommentOn::Trigger(t) => format!("TRIGGER {} ON {}", ident(&t.name), name(&t.on)),
            // ROUTINE names a function and a procedure alike.
            CommentOn::Function(f) => format!("ROUTINE {}({})", name(&f.name), f.arguments),
            CommentOn::Sequence(n) => format!("SEQUENCE {}", name(n)),
        };
        format!(
            "COMMENT ON {target} IS {}",
            text.map_or("NULL".to_string(), literal)
        )
    }
}

fn identity(i: Identity) -> &'static str {
    match i {
        Identity::Always => "ALWAYS",
        Identity::ByDefault => "BY DEFAULT",
    }
}

/// PostgreSQL's limit on a name's length, in bytes.
const NAME_BYTES: usize = 63;

fn truncated(mut name: String) -> String {
    while name.len() > NAME_BYTES {
        name.pop();
    }
    name
}

/// What the risks of a new constraint on a table that holds rows are.
fn constraint_hazard(table: &ObjectName, constraint: &Constraint) -> Hazard {
    match constraint {
        Constraint::PrimaryKey(_) | Constraint::Unique(_) | Constraint::Exclusion(_) => {
            Hazard::NewUnique {
                table: table.clone(),
                name: constraint_name(table, constraint),
            }
        }
        Constraint::Check(c) => Hazard::NewCheck {
            table: table.clone(),
            expression: c.expression.text().to_string(),
        },
        Constraint::ForeignKey(fk) => Hazard::NewForeignKey {
            table: table.clone(),
            columns: fk.columns.join(", "),
        },
    }
}

/// What adding `column` to a table with rows risks: NOT NULL with nothing to fill it fails, and a value
/// computed per row (identity, stored expression, volatile default) rewrites the table, as does a column of
/// a domain with constraints, which PostgreSQL checks row by row. `schema` holds the column's domain, if any.
fn add_column_hazards(table: &ObjectName, column: &Column, schema: &Schema) -> Vec<Hazard> {
    let domain = DomainTraits::of(schema, column.data_type.as_deref().unwrap_or(""));
    let rewrites = domain.constrained
        || match &column.value {
            ColumnValue::None => false,
            ColumnValue::Identity(_) | ColumnValue::Generated { .. } => true,
            ColumnValue::Default(d) => rewrite::default_is_volatile(d.tokens()),
        };
    let mut hazards = Vec::new();
    let not_null = !column.nullable || domain.not_null;
    if not_null && column.value == ColumnValue::None && !domain.default {
        hazards.push(Hazard::NotNullWithoutDefault {
            table: table.clone(),
            column: column.name.clone(),
        });
    }
    if rewrites {
        hazards.push(Hazard::RewritesTable {
            table: table.clone(),
        });
    }
    hazards
}

/// What a column of a type gets from the domain the type names and the domains that one is based on
/// (nothing for a type that is no domain of `schema`).
#[derive(Debug, Default)]
struct DomainTraits {
    /// A NOT NULL or a CHECK somewhere in the chain.
    constrained: bool,
    not_null: bool,
    default: bool,
}

impl DomainTraits {
    fn of(schema: &Schema, data_type: &str) -> DomainTraits {
        let mut traits = DomainTraits::default();
        let mut data_type = data_type.to_string();
        // Bounded by the number of domains, so a cycle (which PostgreSQL refuses anyway) cannot loop.
        for _ in 0..schema.domains.len() {
            let Some(d) = schema
                .domains
                .values()
                .find(|d| is_type(&data_type, &d.name))
            else {
                break;
            };
            traits.constrained |= d.not_null || !d.checks.is_empty();
            traits.not_null |= d.not_null;
            traits.default |= d.default.is_some();
            data_type.clone_from(&d.base);
        }
        traits
    }
}

/// A name as PostgreSQL writes it: bare when it is a lower-case identifier and no keyword that needs
/// quoting, in double quotes otherwise.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && KEYWORDS.binary_search(&name).is_err();
    crate::schema::name::bare_or_quoted(name, plain)
}

/// PostgreSQL's keywords that cannot stand bare for every kind of name (reserved, type or function names,
/// column names), which its own `quote_ident` quotes; sorted.
const KEYWORDS: [&str; 151] = [
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// A qualified name: `schema.name`, each part quoted where needed.
fn name(n: &ObjectName) -> String {
    match &n.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&n.name)),
        None => ident(&n.name),
    }
}

/// An index's qualified name: in its table's schema.
fn index_name(table: &ObjectName, index: &str) -> String {
    name(&ObjectName {
        schema: table.schema.clone(),
        name: index.to_string(),
    })
}

/// A string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A collation as a name, unless it already is one written out (qualified or quoted).
fn collation(c: &str) -> String {
    if c.contains('"') || c.contains('.') {
        c.to_string()
    } else {
        ident(c)
    }
}

/// `(expression)`, without adding a second pair around text that already has one.
fn parenthesised(sql: &Sql) -> String {
    super::parenthesised(sql, Sql::postgres)
}

fn key_columns(columns: &[KeyColumn]) -> String {
    columns
        .iter()
        .map(|k| ident(&k.column))
        .collect::<Vec<_>>()
        .join(", ")
}

fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column as `CREATE TABLE` or `ADD COLUMN` writes it.
fn column_definition(column: &Column) -> String {
    let mut s = ident(&column.name);
    if let Some(t) = &column.data_type {
        s.push(' ');
        s.push_str(t);
    }
    if let Some(c) = &column.collation {
        s.push_str(&format!(" COLLATE {}", collation(c)));
    }
    // An identity column is NOT NULL by definition.
    if !column.nullable && !matches!(column.value, ColumnValue::Identity(_)) {
        s.push_str(" NOT NULL");
    }
    match &column.value {
        ColumnValue::None => {}
        ColumnValue::Default(d) => s.push_str(&format!(" DEFAULT {}", d.text())),
        ColumnValue::Generated {
            expression,
            storage,
        } => s.push_str(&super::generated(expression, *storage, Sql::postgres)),
        ColumnValue::Identity(i) => s.push_str(&format!(" GENERATED {} AS IDENTITY", identity(*i))),
    }
    s
}

/// A constraint's name; PostgreSQL names every constraint, and a model without one gets the name
/// PostgreSQL would have given.
fn constraint_name(table: &ObjectName, constraint: &Constraint) -> String {
    let (given, columns, suffix) = match constraint {
        Constraint::PrimaryKey(pk) => (pk.name.clone(), vec![], "pkey"),
        Constraint::Unique(u) => (
            u.name.clone(),
            u.columns.iter().map(|k| k.column.clone()).collect(),
            "key",
        ),
        Constraint::Check(c) => (c.name.clone(), vec![], "check"),
        Constraint::ForeignKey(fk) => (fk.name.clone(), fk.columns.clone(), "fkey"),
        Constraint::Exclusion(e) => (Some(e.name.clone()), vec![], "excl"),
    };
    given.unwrap_or_else(|| {
        let mut parts = vec![table.name.clone()];
        parts.extend(columns);
        parts.push(suffix.to_string());
        truncated(parts.join("_"))
    })
}

/// Every constraint of a table, its foreign keys included.
fn constraints(table: &Table) -> Vec<Constraint> {
    table
        .primary_key
        .iter()
        .cloned()
        .map(Constraint::PrimaryKey)
        .chain(table.uniques.iter().cloned().map(Constraint::Unique))
        .chain(table.checks.iter().cloned().map(Constraint::Check))
        .chain(table.exclusions.iter().cloned().map(Constraint::Exclusion))
        .chain(
            table
                .foreign_keys
                .iter()
                .cloned()
                .map(Constraint::ForeignKey),
        )
        .collect()
}

/// A constraint without its name, to match it by what it says.
fn unnamed(c: &Constraint) -> Constraint {
    match c.clone() {
        Constraint::PrimaryKey(pk) => Constraint::PrimaryKey(PrimaryKey { name: None, ..pk }),
        Constraint::Unique(u) => Constraint::Unique(Unique { name: None, ..u }),
        Constraint::Check(k) => Constraint::Check(Check { name: None, ..k }),
        Constraint::ForeignKey(fk) => Constraint::ForeignKey(ForeignKey { name: None, ..fk }),
        Constraint::Exclusion(e) => Constraint::Exclusion(Exclusion {
            name: String::new(),
            ..e
        }),
    }
}

/// ` NULLS NOT DISTINCT` of a unique key or index that has it, which PostgreSQL before 15 cannot write; a
/// key without it is written as before.
fn nulls_not_distinct(yes: bool) -> &'static str {
    if yes {
        " NULLS NOT DISTINCT"
    } else {
        ""
    }
}

/// When a key is checked, for the statement that makes it.
fn key_deferrable(constraint: &Constraint) -> Deferrable {
    match constraint {
        Constraint::PrimaryKey(pk) => pk.deferrable,
        Constraint::Unique(u) => u.deferrable,
        Constraint::ForeignKey(fk) => fk.deferrable,
        Constraint::Check(_) | Constraint::Exclusion(_) => Deferrable::No,
    }
}

/// The constraint as a table constraint: `CONSTRAINT name …`.
fn constraint_clause(table: &ObjectName, constraint: &Constraint) -> String {
    let body = match constraint {
        Constraint::PrimaryKey(pk) => format!(
            "PRIMARY KEY ({}){}",
            key_columns(&pk.columns),
            super::deferrable(pk.deferrable)
        ),
        Constraint::Unique(u) => format!(
            "UNIQUE{} ({}){}",
            nulls_not_distinct(u.nulls_not_distinct),
            key_columns(&u.columns),
            super::deferrable(u.deferrable)
        ),
        Constraint::Check(c) => format!("CHECK {}", parenthesised(&c.expression)),
        Constraint::ForeignKey(fk) => {
            format!("FOREIGN KEY ({}) {}", idents(&fk.columns), references(fk))
        }
        Constraint::Exclusion(e) => e.definition.text().to_string(),
    };
    format!(
        "CONSTRAINT {} {body}",
        ident(&constraint_name(table, constraint))
    )
}

fn add_constraint(table: &ObjectName, constraint: &Constraint, suffix: &str) -> String {
    let suffix = if constraint.not_valid() {
        " NOT VALID"
    } else {
        suffix
    };
    format!(
        "ALTER TABLE {} ADD {}{suffix}",
        name(table),
        constraint_clause(table, constraint)
    )
}

fn drop_constraint(table: &ObjectName, constraint: &Constraint) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        name(table),
        ident(&constraint_name(table, constraint))
    )
}

fn drop_column(table: &ObjectName, column: &str) -> String {
    format!("ALTER TABLE {} DROP COLUMN {}", name(table), ident(column))
}

/// `REFERENCES t (c) MATCH FULL ON DELETE … ON UPDATE … DEFERRABLE …`, leaving out what is the default.
fn references(fk: &ForeignKey) -> String {
    let mut s = format!("REFERENCES {}", name(&fk.references));
    if !fk.referenced_columns.is_empty() {
        s.push_str(&format!(" ({})", idents(&fk.referenced_columns)));
    }
    if fk.match_full {
        s.push_str(" MATCH FULL");
    }
    s + &super::actions(fk)
}

/// `CREATE TABLE` with its columns and constraints, but not its foreign keys (added once every new table
/// exists) nor its `NOT VALID` checks (added with them) nor its indexes (changes of their own).
fn create_table(table: &Table) -> String {
    let t = &table.name;
    let mut lines: Vec<String> = if table.partition_of.is_some() {
        // A partition's columns are its parent's.
        vec![]
    } else {
        table.columns.iter().map(column_definition).collect()
    };
    lines.extend(
        constraints(table)
            .iter()
            // `NOT VALID` is ignored in CREATE TABLE: an unvalidated check is added after, as the keys are.
            .filter(|c| !matches!(c, Constraint::ForeignKey(_)) && !c.not_valid())
            .map(|c| constraint_clause(t, c)),
    );
    let unlogged = matches!(table.options, TableOptions::Postgres { unlogged: true });
    let head = format!(
        "CREATE {}TABLE {}",
        if unlogged { "UNLOGGED " } else { "" },
        name(t)
    );
    let body = if lines.is_empty() {
        String::new()
    } else {
        format!(" (\n    {}\n)", lines.join(",\n    "))
    };
    let mut sql = match &table.partition_of {
        Some(p) => format!(
            "{head} PARTITION OF {}{body} {}",
            name(&p.parent),
            p.bound.text()
        ),
        None if lines.is_empty() => format!("{head} ()"),
        None => format!("{head}{body}"),
    };
    if let Some(by) = &table.partition_by {
        sql.push_str(&format!(" PARTITION BY {}", by.text()));
    }
    sql
}

fn create_index(table: &ObjectName, index: &Index, concurrently: bool) -> String {
    let parts: Vec<String> = index
        .parts
        .iter()
        .map(|p| {
            let mut s = match &p.key {
                IndexKey::Column(c) => ident(c),
                IndexKey::Expression(e) if is_call(e) => e.text().to_string(),
                IndexKey::Expression(e) => parenthesised(e),
            };
            if let Some(c) = &p.collation {
                s.push_str(&format!(" COLLATE {}", collation(c)));
            }
            if let Some(o) = &p.opclass {
                s.push_str(&format!(" {o}"));
            }
            if p.descending {
                s.push_str(" DESC");
            }
            s
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {}",
        if index.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        ident(&index.name),
        name(table),
    );
    if let Some(m) = index.method.as_deref().filter(|m| *m != "btree") {
        sql.push_str(&format!(" USING {m}"));
    }
    sql.push_str(&format!(" ({})", parts.join(", ")));
    if !index.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", idents(&index.include)));
    }
    sql.push_str(nulls_not_distinct(index.nulls_not_distinct));
    if let Some(p) = &index.predicate {
        sql.push_str(&format!(" WHERE {}", parenthesised(p)));
    }
    sql
}

/// Whether an expression is one function call (`lower(email)`), which an index takes without the
/// parentheses any other expression needs.
fn is_call(e: &Sql) -> bool {
    let tokens = e.tokens();
    let mut depth = 0usize;
    match tokens {
        [Token::Word(_), Token::Punct("("), .., Token::Punct(")")] => {
            tokens[1..].iter().enumerate().all(|(i, t)| {
                match t {
                    Token::Punct("(") => depth += 1,
                    Token::Punct(")") => depth = depth.saturating_sub(1),
                    _ => {}
                }
                depth > 0 || i == tokens.len() - 2
            })
        }
        _ => false,
    }
}

fn view_kind(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

fn create_view(view: &View) -> String {
    let columns = if view.columns.is_empty() {
        String::new()
    } else {
        format!(" ({})", idents(&view.columns))
    };
    format!(
        "CREATE {} {}{columns} AS\n{}",
        view_kind(view),
        name(&view.name),
        view.query.text().trim_end_matches(';').trim()
    )
}

/// `CREATE DOMAIN` with its checks; one `NOT VALID` (which `CREATE DOMAIN` cannot say) is added after it,
/// in the same step.
fn create_domain(d: &Domain) -> Vec<String> {
    let mut sql = format!("CREATE DOMAIN {} AS {}", name(&d.name), d.base);
    if let Some(c) = &d.collation {
        sql.push_str(&format!(" COLLATE {}", collation(c)));
    }
    if let Some(default) = &d.default {
        sql.push_str(&format!(" DEFAULT {}", default.text()));
    }
    if d.not_null {
        sql.push_str(" NOT NULL");
    }
    for (check, c) in d.checks.iter().filter(|(_, c)| !c.not_valid) {
        sql.push_str(&format!(
            "\n    CONSTRAINT {} {}",
            ident(check),
            c.definition.text()
        ));
    }
    let mut statements = vec![sql];
    for (check, c) in d.checks.iter().filter(|(_, c)| c.not_valid) {
        statements.push(format!(
            "ALTER DOMAIN {} ADD CONSTRAINT {} {} NOT VALID",
            name(&d.name),
            ident(check),
            c.definition.text()
        ));
    }
    statements
}

/// A domain's default, NOT NULL and checks changed in place: checks that go or change dropped first, new
/// ones added last, each of those and a new NOT NULL marked, since every column of the domain is checked.
fn alter_domain(from: &Domain, to: &Domain) -> Step {
    let at = format!("ALTER DOMAIN {}", name(&to.name));
    let mut statements = Vec::new();
    let mut hazards = Vec::new();
    for (check, _) in from
        .checks
        .iter()
        .filter(|(n, c)| to.checks.get(*n) != Some(c))
    {
        statements.push(format!("{at} DROP CONSTRAINT {}", ident(check)));
    }
    if from.not_null && !to.not_null {
        statements.push(format!("{at} DROP NOT NULL"));
    }
    if from.default != to.default {
        statements.push(match &to.default {
            Some(d) => format!("{at} SET DEFAULT {}", d.text()),
            None => format!("{at} DROP DEFAULT"),
        });
    }
    if !from.not_null && to.not_null {
        statements.push(format!("{at} SET NOT NULL"));
        hazards.push(Hazard::DomainNotNull {
            domain: to.name.clone(),
        });
    }
    for (check, c) in to
        .checks
        .iter()
        .filter(|(n, c)| from.checks.get(*n) != Some(c))
    {
        let not_valid = if c.not_valid { " NOT VALID" } else { "" };
        statements.push(format!(
            "{at} ADD CONSTRAINT {} {}{not_valid}",
            ident(check),
            c.definition.text()
        ));
        if !c.not_valid {
            hazards.push(Hazard::NewDomainCheck {
                domain: to.name.clone(),
                check: c.definition.text().to_string(),
            });
        }
    }
    step(statements, hazards)
}

/// The `ALTER TABLE`s that turn row-level security `from` into `to`.
fn row_security(table: &ObjectName, from: RowSecurity, to: RowSecurity) -> Vec<String> {
    let mut statements = Vec::new();
    if from.enabled != to.enabled {
        let verb = if to.enabled { "ENABLE" } else { "DISABLE" };
        statements.push(format!(
            "ALTER TABLE {} {verb} ROW LEVEL SECURITY",
            name(table)
        ));
    }
    if from.forced != to.forced {
        let verb = if to.forced { "FORCE" } else { "NO FORCE" };
        statements.push(format!(
            "ALTER TABLE {} {verb} ROW LEVEL SECURITY",
            name(table)
        ));
    }
    statements
}

/// A policy's roles, `PUBLIC` for every role.
fn policy_roles(p: &Policy) -> String {
    p.roles
        .iter()
        .map(|r| {
            if r == "public" {
                "PUBLIC".to_string()
            } else {
                ident(r)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE POLICY`, leaving out what is the default (`AS PERMISSIVE`, `FOR ALL`, `TO PUBLIC`).
fn create_policy(p: &Policy) -> String {
    let mut sql = format!(
        "CREATE POLICY {} ON {}",
        ident(&p.name.name),
        name(&p.name.on)
    );
    if !p.permissive {
        sql.push_str(" AS RESTRICTIVE");
    }
    if p.command != crate::schema::PolicyCommand::All {
        sql.push_str(&format!(" FOR {}", p.command.sql()));
    }
    if p.roles != ["public"] {
        sql.push_str(&format!(" TO {}", policy_roles(p)));
    }
    if let Some(e) = &p.using {
        sql.push_str(&format!(" USING {}", parenthesised(e)));
    }
    if let Some(e) = &p.with_check {
        sql.push_str(&format!(" WITH CHECK {}", parenthesised(e)));
    }
    sql
}

/// `ALTER POLICY` with what changed (see [`Policy::alterable_to`]).
fn alter_policy(from: &Policy, to: &Policy) -> String {
    let mut sql = format!(
        "ALTER POLICY {} ON {}",
        ident(&to.name.name),
        name(&to.name.on)
    );
    if from.roles != to.roles {
        sql.push_str(&format!(" TO {}", policy_roles(to)));
    }
    if let Some(e) = to.using.as_ref().filter(|_| from.using != to.using) {
        sql.push_str(&format!(" USING {}", parenthesised(e)));
    }
    if let Some(e) = to
        .with_check
        .as_ref()
        .filter(|_| from.with_check != to.with_check)
    {
        sql.push_str(&format!(" WITH CHECK {}", parenthesised(e)));
    }
    sql
}

fn create_enum(e: &EnumType, as_name: &ObjectName) -> String {
    let labels: Vec<String> = e.labels.iter().map(|l| literal(l)).collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        name(as_name),
        labels.join(", ")
    )
}

/// The options a sequence of its type and direction has when none is given.
fn sequence_defaults(s: &Sequence) -> (i64, i64, i64) {
    let (low, high) = match s.data_type.to_ascii_lowercase().as_str() {
        "smallint" => (i16::MIN as i64, i16::MAX as i64),
        "integer" => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    let (min, max) = if s.increment > 0 {
        (1, high)
    } else {
        (low, -1)
    };
    let start = if s.increment > 0 { min } else { max };
    (min, max, start)
}

/// The options of `to` that differ from `from`'s (or, without `from`, from the defaults), as `CREATE` and
/// `ALTER SEQUENCE` write them.
fn sequence_options(from: Option<&Sequence>, to: &Sequence) -> Vec<String> {
    let (min, max, start) = sequence_defaults(to);
    let was = |f: fn(&Sequence) -> i64, default: i64| from.map_or(default, f);
    let retyped = from.is_some_and(|f| !f.data_type.eq_ignore_ascii_case(&to.data_type));
    let mut options = Vec::new();
    if from.map_or(!to.data_type.eq_ignore_ascii_case("bigint"), |_| retyped) {
        options.push(format!("AS {}", to.data_type));
    }
    if to.increment != was(|s| s.increment, 1) {
        options.push(format!("INCREMENT BY {}", to.increment));
    }
    // A new type moves limits left at the old type's own, unless they are given.
    if retyped || to.min_value != was(|s| s.min_value, min) {
        options.push(format!("MINVALUE {}", to.min_value));
    }
    if retyped || to.max_value != was(|s| s.max_value, max) {
        options.push(format!("MAXVALUE {}", to.max_value));
    }
    if to.start != was(|s| s.start, start) {
        options.push(format!("START WITH {}", to.start));
    }
    if to.cache != was(|s| s.cache, 1) {
        options.push(format!("CACHE {}", to.cache));
    }
    if to.cycle != from.is_some_and(|s| s.cycle) {
        options.push(if to.cycle { "CYCLE" } else { "NO CYCLE" }.to_string());
    }
    if to.owned_by != from.and_then(|s| s.owned_by.clone()) {
        options.push(match &to.owned_by {
            Some((table, column)) => format!("OWNED BY {}.{}", name(table), ident(column)),
            None => "OWNED BY NONE".to_string(),
        });
    }
    options
}

fn create_sequence(s: &Sequence) -> String {
    let options = sequence_options(None, s);
    let mut sql = format!("CREATE SEQUENCE {}", name(&s.name));
    for o in options {
        sql.push(' ');
        sql.push_str(&o);
    }
    sql
}

fn alter_sequence(from: &Sequence, to: &Sequence) -> String {
    format!(
        "ALTER SEQUENCE {} {}",
        name(&to.name),
        sequence_options(Some(from), to).join(" ")
    )
}

/// The definition as `pg_get_functiondef` writes it: already a `CREATE OR REPLACE` statement.
fn create_function(f: &Function) -> String {
    f.definition
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .to_string()
}

/// The `RETURNS …` line of a function's definition (none for a procedure).
fn returns(f: &Function) -> Option<&str> {
    f.definition
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("RETURNS "))
}

fn drop_function(f: &Function) -> String {
    let procedure = f
        .definition
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("CREATE OR REPLACE PROCEDURE");
    format!(
        "DROP {} {}({})",
        if procedure { "PROCEDURE" } else { "FUNCTION" },
        name(&f.name.name),
        f.name.arguments
    )
}

#[cfg(test)]
#[path = "postgres_tests.rs"]
mod tests;
