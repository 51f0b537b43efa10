//! Changes written as SQLite SQL. SQLite's `ALTER TABLE` renames tables and columns (only where the user
//! declared the rename), adds a column only under conditions and drops one only when nothing refers to it;
//! every other change to a table is made by the table rebuild SQLite
//! documents (<https://www.sqlite.org/lang_altertable.html#otheralter>): create the new table, copy the
//! rows, drop the old one, rename the new one into its place, then create again what dropping the old one
//! took with it. The changes of one table that need a rebuild are made by one rebuild, at the place of the
//! first of them, so a table is copied once however much of it changes.
//!
//! A rebuild runs with foreign keys unenforced (the runner's setting), so referencing tables keep their
//! rows and their `REFERENCES` find the new table by its name. Views and triggers that name the table are
//! dropped first and created again after, because renaming a table checks every view and trigger of the
//! schema and fails on one that names a missing table.

use std::collections::BTreeSet;

use super::{Context, Hazard, Renames, Step};
use crate::schema::diff::{Change, Constraint};
use crate::schema::tokens::{is_keyword, Token};
use crate::schema::{
    Check, Column, ColumnValue, Conflict, ForeignKey, Index, IndexKey, KeyColumn, ObjectName,
    PrimaryKey, Schema, Sql, Storage, Table, TableOptions, Trigger, Unique, View, VirtualTable,
};

/// The steps that carry out `changes` (a diff from `current` to `desired`), in the changes' order. A table
/// or column named in `renames` whose drop and add the changes hold, with the same definition, is renamed
/// instead.
pub fn render(
    current: &Schema,
    desired: &Schema,
    changes: &[Change],
    renames: &Renames,
) -> Vec<Step> {
    let context = Context {
        current,
        desired,
        changes,
        renames,
    };
    let rebuilt: BTreeSet<&ObjectName> = changes
        .iter()
        .filter_map(table_part)
        .filter(|name| !context.alterable(name))
        .collect();
    let mut done: BTreeSet<&ObjectName> = BTreeSet::new();
    let mut steps = Vec::new();
    for change in changes {
        if let Some(name) = table_part(change) {
            if rebuilt.contains(name) {
                if done.insert(name) {
                    steps.push(context.rebuild(name));
                }
                continue;
            }
        }
        if let Some(step) = context.step(change) {
            steps.push(step);
        }
    }
    steps
}

/// The table a change alters in place (as opposed to creating or dropping an object of its own).
fn table_part(change: &Change) -> Option<&ObjectName> {
    match change {
        Change::AddColumn { table, .. }
        | Change::DropColumn { table, .. }
        | Change::AlterColumn { table, .. }
        | Change::AddConstraint { table, .. }
        | Change::DropConstraint { table, .. }
        | Change::SetTableOptions { table, .. } => Some(table),
        _ => None,
    }
}

impl Context<'_> {
    fn parts_of<'c>(&'c self, name: &'c ObjectName) -> impl Iterator<Item = &'c Change> + 'c {
        self.changes
            .iter()
            .filter(move |c| table_part(c) == Some(name))
    }

    /// Whether every change to the table's parts is one `ALTER TABLE` can make.
    fn alterable(&self, name: &ObjectName) -> bool {
        self.parts_of(name).all(|change| match change {
            Change::AddColumn { column, .. } if self.renamed_from(name, &column.name).is_some() => {
                true
            }
            Change::DropColumn { column, .. } if self.renamed_to(name, &column.name).is_some() => {
                true
            }
            Change::AddColumn { column, .. } => {
                let fk = self.folded_key(name, &column.name);
                add_column_allowed(self.desired.table(name), column, fk.is_some())
            }
            Change::DropColumn { column, .. } => self.drop_column_allowed(name, &column.name),
            Change::AddConstraint {
                constraint: Constraint::ForeignKey(fk),
                ..
            } => fk.columns.len() == 1 && self.folded_key(name, &fk.columns[0]).is_some(),
            _ => false,
        })
    }

    /// The new foreign key on exactly `column`, when `column` is added and the key is the only one added on
    /// it: `ADD COLUMN` can carry it as a column constraint.
    fn folded_key<'c>(&'c self, table: &'c ObjectName, column: &str) -> Option<&'c ForeignKey> {
        let added = self.parts_of(table).any(
            |c| matches!(c, Change::AddColumn { column: col, .. } if col.name.eq_ignore_ascii_case(column)),
        );
        if !added {
            return None;
        }
        let mut keys = self.parts_of(table).filter_map(|c| match c {
            Change::AddConstraint {
                constraint: Constraint::ForeignKey(fk),
                ..
            } if fk.columns.iter().any(|c| c.eq_ignore_ascii_case(column)) => Some(fk),
            _ => None,
        });
        match (keys.next(), keys.next()) {
            (Some(fk), None) if fk.columns.len() == 1 => Some(fk),
            _ => None,
        }
    }

    /// SQLite's conditions for `DROP COLUMN`: the column is in no key, index, CHECK, foreign key, generated
    /// column, view or trigger (the last two as far as their text names it).
    fn drop_column_allowed(&self, name: &ObjectName, column: &str) -> bool {
        let Some(table) = self.current.table(name) else {
            return false;
        };
        let same = |c: &str| c.eq_ignore_ascii_case(column);
        let in_key = |cols: &[KeyColumn]| cols.iter().any(|k| same(&k.column));
        if table
            .primary_key
            .as_ref()
            .is_some_and(|pk| in_key(&pk.columns))
            || table.uniques.iter().any(|u| in_key(&u.columns))
            || table.checks.iter().any(|c| c.expression.mentions(column))
            || table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.iter().any(|c| same(c)))
        {
            return false;
        }
        let indexed = table.indexes.values().any(|i| {
            i.predicate.as_ref().is_some_and(|p| p.mentions(column))
                || i.parts.iter().any(|p| match &p.key {
                    IndexKey::Column(c) => same(c),
                    IndexKey::Expression(e) => e.mentions(column),
                })
        });
        let generated = table.columns.iter().any(|c| match &c.value {
            ColumnValue::Generated { expression, .. } => expression.mentions(column),
            _ => false,
        });
        let referenced = self.current.tables().any(|t| {
            t.foreign_keys
                .iter()
                .any(|fk| fk.references == *name && fk.referenced_columns.iter().any(|c| same(c)))
        });
        let named = self.current.views().any(|v| v.query.mentions(column))
            || self
                .current
                .triggers()
                .values()
                .any(|t| t.definition.mentions(column));
        !(indexed || generated || referenced || named)
    }

    /// The step of a change that is not a rebuild; `None` for a foreign key carried by its `ADD COLUMN`.
    fn step(&self, change: &Change) -> Option<Step> {
        let (sql, hazards) = match change {
            Change::AddColumn { table, column }
                if self.renamed_from(table, &column.name).is_some() =>
            {
                return None
            }
            Change::DropColumn { table, column } => match self.renamed_to(table, &column.name) {
                Some(to) => (
                    format!(
                        "ALTER TABLE {} RENAME COLUMN {} TO {}",
                        name(table),
                        ident(&column.name),
                        ident(to)
                    ),
                    vec![],
                ),
                None => (
                    format!(
                        "ALTER TABLE {} DROP COLUMN {}",
                        name(table),
                        ident(&column.name)
                    ),
                    vec![Hazard::DropsColumn {
                        table: table.clone(),
                        column: column.name.clone(),
                    }],
                ),
            },
            Change::CreateTable(t) if self.table_renamed_from(&t.name) => return None,
            Change::CreateTable(t) => (create_table(t, &t.name), vec![]),
            Change::DropTable(t) => match self.table_renamed_to(&t.name) {
                Some(new) => {
                    // The indexes go with the table; those the new table does not have as they are go
                    // first, and are created again after.
                    let mut statements: Vec<String> = t
                        .indexes
                        .values()
                        .filter(|i| !self.index_moves(&new.name, &i.name))
                        .map(|i| format!("DROP INDEX {}", ident(&i.name)))
                        .collect();
                    statements.push(format!(
                        "ALTER TABLE {} RENAME TO {}",
                        name(&t.name),
                        name(&new.name)
                    ));
                    return Some(Step {
                        statements,
                        hazards: vec![],
                        autocommit: false,
                    });
                }
                None => (
                    format!("DROP TABLE {}", name(&t.name)),
                    vec![Hazard::DropsTable {
                        table: t.name.clone(),
                    }],
                ),
            },
            Change::AddColumn { table, column } => (
                format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    name(table),
                    column_definition(column, None, self.folded_key(table, &column.name))
                ),
                vec![],
            ),
            Change::AddConstraint { .. } => return None,
            Change::AlterColumn { .. }
            | Change::DropConstraint { .. }
            | Change::SetTableOptions { .. } => {
                unreachable!("changes ALTER TABLE cannot make are made by a rebuild")
            }
            Change::CreateIndex { table, index } if self.index_moves(table, &index.name) => {
                return None
            }
            Change::CreateIndex { table, index } => (
                create_index(table, index),
                if index.unique {
                    vec![Hazard::NewUnique {
                        table: table.clone(),
                        name: index.name.clone(),
                    }]
                } else {
                    vec![]
                },
            ),
            Change::DropIndex { index, .. } => {
                (format!("DROP INDEX {}", ident(&index.name)), vec![])
            }
            Change::CreateView(v) => (create_view(v), vec![]),
            Change::DropView(v) => (format!("DROP VIEW {}", name(&v.name)), vec![]),
            Change::CreateVirtualTable(v) => (create_virtual_table(v), vec![]),
            Change::DropVirtualTable(v) => (
                format!("DROP TABLE {}", name(&v.name)),
                vec![Hazard::DropsTable {
                    table: v.name.clone(),
                }],
            ),
            Change::CreateTrigger(t) => (create_trigger(t), vec![]),
            Change::DropTrigger(t) => (format!("DROP TRIGGER {}", ident(&t.name.name)), vec![]),
            // PostgreSQL's objects: a SQLite schema has none.
            Change::CreateSchema(_)
            | Change::DropSchema(_)
            | Change::CreateExtension(_)
            | Change::DropExtension(_)
            | Change::CreateEnum(_)
            | Change::DropEnum(_)
            | Change::AlterEnum { .. }
            | Change::CreateSequence(_)
            | Change::DropSequence(_)
            | Change::AlterSequence { .. }
            | Change::CreateFunction(_)
            | Change::DropFunction(_)
            | Change::ReplaceFunction { .. }
            | Change::CreateDomain(_)
            | Change::DropDomain(_)
            | Change::AlterDomain { .. }
            | Change::SetRowSecurity { .. }
            | Change::CreatePolicy(_)
            | Change::DropPolicy(_)
            | Change::AlterPolicy { .. }
            | Change::SetComment { .. } => return None,
        };
        Some(Step {
            statements: vec![sql],
            hazards,
            autocommit: false,
        })
    }

    /// SQLite's table rebuild, making every change to the table's parts at once.
    fn rebuild(&self, table: &ObjectName) -> Step {
        let from = self
            .current
            .table(table)
            .expect("a changed table is in the current schema");
        let to = self
            .desired
            .table(table)
            .expect("a changed table is in the desired schema");
        let dropped_views: BTreeSet<&ObjectName> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::DropView(v) => Some(&v.name),
                _ => None,
            })
            .collect();
        let dropped_triggers: BTreeSet<&str> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::DropTrigger(t) => Some(t.name.name.as_str()),
                _ => None,
            })
            .collect();

        // The views that read the table, and the views that read those, in the order they are created.
        let mut names: BTreeSet<&ObjectName> = BTreeSet::new();
        loop {
            let more: Vec<&ObjectName> = self
                .current
                .views()
                .filter(|v| !dropped_views.contains(&v.name) && !names.contains(&v.name))
                .filter(|v| {
                    v.query.mentions(&table.name) || names.iter().any(|n| v.query.mentions(&n.name))
                })
                .map(|v| &v.name)
                .collect();
            if more.is_empty() {
                break;
            }
            names.extend(more);
        }
        let views = creation_order(self.current, &names);
        let triggers: Vec<&Trigger> = self
            .current
            .triggers()
            .values()
            .filter(|t| !dropped_triggers.contains(t.name.name.as_str()))
            .filter(|t| {
                t.name.on == *table
                    || names.contains(&t.name.on)
                    || t.definition.mentions(&table.name)
                    || names.iter().any(|n| t.definition.mentions(&n.name))
            })
            .collect();

        let new_name = ObjectName {
            schema: table.schema.clone(),
            name: format!("new_{}", table.name),
        };
        let mut bare = to.clone();
        bare.indexes.clear();
        let (targets, sources): (Vec<String>, Vec<String>) = to
            .columns
            .iter()
            .filter(|c| !matches!(c.value, ColumnValue::Generated { .. }))
            .filter_map(|c| {
                let old = self
                    .renamed_from(table, &c.name)
                    .or_else(|| from.columns.get(&c.name))?;
                if matches!(old.value, ColumnValue::Generated { .. }) {
                    return None;
                }
                let source = match &c.value {
                    ColumnValue::Default(d) if old.nullable && !c.nullable => {
                        format!("coalesce({}, {})", ident(&old.name), default_text(d))
                    }
                    _ => ident(&old.name),
                };
                Some((ident(&c.name), source))
            })
            .unzip();

        let mut statements = Vec::new();
        statements.extend(
            triggers
                .iter()
                .map(|t| format!("DROP TRIGGER {}", ident(&t.name.name))),
        );
        statements.extend(
            views
                .iter()
                .rev()
                .map(|v| format!("DROP VIEW {}", name(&v.name))),
        );
        statements.push(create_table(&bare, &new_name));
        statements.push(format!(
            "INSERT INTO {} ({})\nSELECT {}\nFROM {}",
            name(&new_name),
            targets.join(", "),
            sources.join(", "),
            name(table)
        ));
        statements.push(format!("DROP TABLE {}", name(table)));
        statements.push(format!(
            "ALTER TABLE {} RENAME TO {}",
            name(&new_name),
            name(table)
        ));
        statements.extend(
            from.indexes
                .iter()
                .filter(|(key, index)| to.indexes.get(*key) == Some(index))
                .map(|(_, index)| create_index(table, index)),
        );
        statements.extend(views.iter().map(|v| create_view(v)));
        statements.extend(triggers.iter().map(|t| create_trigger(t)));

        let mut hazards = vec![Hazard::RebuildsTable {
            table: table.clone(),
        }];
        for change in self.parts_of(table) {
            let renamed = match change {
                Change::AddColumn { column, .. } => {
                    self.renamed_from(table, &column.name).is_some()
                }
                Change::DropColumn { column, .. } => self.renamed_to(table, &column.name).is_some(),
                _ => false,
            };
            if !renamed {
                hazards.extend(part_hazards(table, change));
            }
        }
        Step {
            statements,
            hazards,
            autocommit: false,
        }
    }
}

/// What a change made by a rebuild risks besides the copy.
fn part_hazards(table: &ObjectName, change: &Change) -> Vec<Hazard> {
    let not_null = |column: &Column| Hazard::NotNullWithoutDefault {
        table: table.clone(),
        column: column.name.clone(),
    };
    let no_default = |c: &Column| matches!(c.value, ColumnValue::None);
    match change {
        Change::DropColumn { column, .. } => vec![Hazard::DropsColumn {
            table: table.clone(),
            column: column.name.clone(),
        }],
        Change::AddColumn { column, .. } if !column.nullable && no_default(column) => {
            vec![not_null(column)]
        }
        Change::AlterColumn { from, to, .. } if from.nullable && !to.nullable && no_default(to) => {
            vec![not_null(to)]
        }
        Change::AddConstraint { constraint, .. } => vec![match constraint {
            Constraint::PrimaryKey(_) => Hazard::NewUnique {
                table: table.clone(),
                name: "primary key".into(),
            },
            Constraint::Unique(u) => Hazard::NewUnique {
                table: table.clone(),
                name: u
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("({})", key_columns(&u.columns))),
            },
            Constraint::Check(c) => Hazard::NewCheck {
                table: table.clone(),
                expression: c.expression.text().to_string(),
            },
            Constraint::ForeignKey(fk) => Hazard::NewForeignKey {
                table: table.clone(),
                columns: fk.columns.join(", "),
            },
            Constraint::Exclusion(e) => Hazard::NewUnique {
                table: table.clone(),
                name: e.name.clone(),
            },
        }],
        _ => vec![],
    }
}

/// `names` (views of `schema`) ordered so that a view comes after the views its query names; views left in
/// a cycle follow by name.
fn creation_order<'a>(schema: &'a Schema, names: &BTreeSet<&ObjectName>) -> Vec<&'a View> {
    let mut waiting: Vec<&View> = schema.views().filter(|v| names.contains(&v.name)).collect();
    let mut order: Vec<&View> = Vec::with_capacity(waiting.len());
    while !waiting.is_empty() {
        let free = waiting.iter().position(|v| {
            !waiting
                .iter()
                .any(|w| w.name != v.name && v.query.mentions(&w.name.name))
        });
        order.push(waiting.remove(free.unwrap_or(0)));
    }
    order
}

/// SQLite's conditions for `ADD COLUMN`: not in the primary key, a constant default (non-NULL when the
/// column is NOT NULL or references another table), a generated column only when virtual.
fn add_column_allowed(table: Option<&Table>, column: &Column, references: bool) -> bool {
    let in_key = table
        .and_then(|t| t.primary_key.as_ref())
        .is_some_and(|pk| {
            pk.columns
                .iter()
                .any(|k| k.column.eq_ignore_ascii_case(&column.name))
        });
    let value_allowed = match &column.value {
        ColumnValue::None => column.nullable,
        ColumnValue::Default(d) => {
            let null = d.tokens() == [Token::Word("null".into())];
            is_constant(d) && (column.nullable || !null) && (!references || null)
        }
        ColumnValue::Generated { storage, .. } => *storage == Storage::Virtual,
        ColumnValue::Identity(_) => false,
    };
    !in_key && value_allowed
}

/// A literal, possibly signed: what SQLite accepts as the default of an added column.
fn is_constant(sql: &Sql) -> bool {
    let literal = |t: &Token| match t {
        Token::Number(_) | Token::String(_) | Token::Blob(_) => true,
        Token::Word(w) => matches!(w.as_str(), "null" | "true" | "false"),
        _ => false,
    };
    match sql.tokens() {
        [one] => literal(one),
        [Token::Punct("+" | "-"), Token::Number(_)] => true,
        _ => false,
    }
}

/// A default as a column definition writes it: a literal or `CURRENT_*` as it is, an expression in
/// parentheses.
fn default_text(d: &Sql) -> String {
    let bare =
        is_constant(d) || matches!(d.tokens(), [Token::Word(w)] if w.starts_with("current_"));
    if bare {
        d.text().to_string()
    } else {
        parenthesised(d)
    }
}

/// `(expression)`, without adding a second pair around text that already has one.
fn parenthesised(sql: &Sql) -> String {
    super::parenthesised(sql, Sql::sqlite)
}

/// A name as SQL writes it: bare when it can be, in double quotes otherwise.
fn ident(name: &str) -> String {
    let bytes = name.as_bytes();
    let plain = bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && !is_keyword(name);
    crate::schema::name::bare_or_quoted(name, plain)
}

fn name(n: &ObjectName) -> String {
    match &n.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&n.name)),
        None => ident(&n.name),
    }
}

fn key_columns(columns: &[KeyColumn]) -> String {
    columns
        .iter()
        .map(|k| {
            let mut s = ident(&k.column);
            if let Some(c) = &k.collation {
                s.push_str(&format!(" COLLATE {}", ident(c)));
            }
            if k.descending {
                s.push_str(" DESC");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn named(constraint: &Option<String>) -> String {
    match constraint {
        Some(n) => format!("CONSTRAINT {} ", ident(n)),
        None => String::new(),
    }
}

/// A column as `CREATE TABLE` or `ADD COLUMN` writes it; `key` is the primary key when the column carries
/// it itself (AUTOINCREMENT can be written nowhere else), `reference` a foreign key it carries.
fn column_definition(
    column: &Column,
    key: Option<&PrimaryKey>,
    reference: Option<&ForeignKey>,
) -> String {
    let mut s = ident(&column.name);
    if let Some(t) = &column.data_type {
        s.push(' ');
        s.push_str(t);
    }
    if let Some(pk) = key {
        s.push_str(&format!(" {}PRIMARY KEY", named(&pk.name)));
        if pk.columns[0].descending {
            s.push_str(" DESC");
        }
        if pk.autoincrement {
            s.push_str(" AUTOINCREMENT");
        }
    }
    if !column.nullable {
        s.push_str(" NOT NULL");
        s.push_str(&on_conflict(column.not_null_conflict));
    }
    match &column.value {
        ColumnValue::None => {}
        ColumnValue::Default(d) => s.push_str(&format!(" DEFAULT {}", default_text(d))),
        ColumnValue::Generated {
            expression,
            storage,
        } => s.push_str(&super::generated(expression, *storage, Sql::sqlite)),
        // SQLite has no identity columns; a SQLite model never holds one.
        ColumnValue::Identity(_) => {}
    }
    if let Some(c) = &column.collation {
        s.push_str(&format!(" COLLATE {}", ident(c)));
    }
    if let Some(fk) = reference {
        s.push_str(&format!(" {}{}", named(&fk.name), references(fk)));
    }
    s
}

/// ` ON CONFLICT …` after a constraint, or nothing for the default (ABORT).
fn on_conflict(conflict: Option<Conflict>) -> String {
    conflict.map_or(String::new(), |c| format!(" ON CONFLICT {}", c.sql()))
}

/// `REFERENCES t (c) ON DELETE … ON UPDATE … DEFERRABLE …`, leaving out what is the default.
fn references(fk: &ForeignKey) -> String {
    let mut s = format!("REFERENCES {}", name(&fk.references));
    if !fk.referenced_columns.is_empty() {
        let cols: Vec<String> = fk.referenced_columns.iter().map(|c| ident(c)).collect();
        s.push_str(&format!(" ({})", cols.join(", ")));
    }
    s + &super::actions(fk)
}

/// `CREATE TABLE` for `table` under the name `as_name`, without its indexes, one line per part.
fn create_table(table: &Table, as_name: &ObjectName) -> String {
    // A one-column key is written on its column, as people write it (and AUTOINCREMENT can be written
    // nowhere else); but not a descending one, which SQLite reads differently there (as no rowid alias),
    // nor one with a collation of its own.
    let column_key = table.primary_key.as_ref().filter(|pk| {
        pk.columns.len() == 1
            && (pk.autoincrement
                || (!pk.columns[0].descending && pk.columns[0].collation.is_none()))
    });
    let mut lines: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let key = column_key.filter(|pk| pk.columns[0].column.eq_ignore_ascii_case(&c.name));
            column_definition(c, key, None)
        })
        .collect();
    if let Some(pk) = table.primary_key.as_ref().filter(|_| column_key.is_none()) {
        lines.push(format!(
            "{}PRIMARY KEY ({})",
            named(&pk.name),
            key_columns(&pk.columns)
        ));
    }
    lines.extend(table.uniques.iter().map(|u: &Unique| {
        let columns = key_columns(&u.columns);
        format!(
            "{}UNIQUE ({columns}){}",
            named(&u.name),
            on_conflict(u.on_conflict)
        )
    }));
    lines.extend(
        table
            .checks
            .iter()
            .map(|c: &Check| format!("{}CHECK {}", named(&c.name), parenthesised(&c.expression))),
    );
    lines.extend(table.foreign_keys.iter().map(|fk| {
        let cols: Vec<String> = fk.columns.iter().map(|c| ident(c)).collect();
        format!(
            "{}FOREIGN KEY ({}) {}",
            named(&fk.name),
            cols.join(", "),
            references(fk)
        )
    }));
    let (strict, without_rowid) = match table.options {
        TableOptions::Sqlite {
            strict,
            without_rowid,
        } => (strict, without_rowid),
        TableOptions::Postgres { .. } => (false, false),
    };
    let options: Vec<&str> = [(without_rowid, "WITHOUT ROWID"), (strict, "STRICT")]
        .into_iter()
        .filter_map(|(on, option)| on.then_some(option))
        .collect();
    let mut sql = format!(
        "CREATE TABLE {} (\n    {}\n)",
        name(as_name),
        lines.join(",\n    ")
    );
    if !options.is_empty() {
        sql.push(' ');
        sql.push_str(&options.join(", "));
    }
    sql
}

fn create_index(table: &ObjectName, index: &Index) -> String {
    let parts: Vec<String> = index
        .parts
        .iter()
        .map(|p| {
            let mut s = match &p.key {
                IndexKey::Column(c) => ident(c),
                IndexKey::Expression(e) => e.text().to_string(),
            };
            if let Some(c) = &p.collation {
                s.push_str(&format!(" COLLATE {}", ident(c)));
            }
            if p.descending {
                s.push_str(" DESC");
            }
            s
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {} ON {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        ident(&index.name),
        name(table),
        parts.join(", ")
    );
    if let Some(p) = &index.predicate {
        sql.push_str(&format!(" WHERE {}", p.text()));
    }
    sql
}

fn create_view(view: &View) -> String {
    let columns = if view.columns.is_empty() {
        String::new()
    } else {
        let cols: Vec<String> = view.columns.iter().map(|c| ident(c)).collect();
        format!(" ({})", cols.join(", "))
    };
    format!(
        "CREATE VIEW {}{columns} AS\n{}",
        name(&view.name),
        view.query.text()
    )
}

fn create_trigger(trigger: &Trigger) -> String {
    format!(
        "CREATE TRIGGER {} {}",
        ident(&trigger.name.name),
        trigger.definition.text()
    )
}

fn create_virtual_table(table: &VirtualTable) -> String {
    let mut sql = format!(
        "CREATE VIRTUAL TABLE {} USING {}",
        name(&table.name),
        table.module
    );
    if !table.arguments.is_empty() {
        let args: Vec<&str> = table.arguments.iter().map(Sql::text).collect();
        sql.push_str(&format!("({})", args.join(", ")));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str) -> Sql {
        Sql::sqlite(text).unwrap()
    }

    #[test]
    fn names_are_quoted_only_when_they_must_be() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("_x1"), "_x1");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("1st"), "\"1st\"");
        assert_eq!(ident("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn defaults_are_bare_when_literal_and_parenthesised_otherwise() {
        assert_eq!(default_text(&sql("'x'")), "'x'");
        assert_eq!(default_text(&sql("-1")), "-1");
        assert_eq!(default_text(&sql("CURRENT_TIMESTAMP")), "CURRENT_TIMESTAMP");
        assert_eq!(default_text(&sql("1 + 2")), "(1 + 2)");
        assert_eq!(default_text(&sql("(1 + 2)")), "(1 + 2)");
        assert_eq!(default_text(&sql("(1) + (2)")), "((1) + (2))");
    }

    #[test]
    fn add_column_is_refused_where_sqlite_refuses_it() {
        let column = |nullable: bool, value: ColumnValue| Column {
            name: "c".into(),
            data_type: Some("TEXT".into()),
            nullable,
            value,
            collation: None,
            not_null_conflict: None,
        };
        let default = |text: &str| ColumnValue::Default(sql(text));
        assert!(add_column_allowed(
            None,
            &column(true, ColumnValue::None),
            false
        ));
        assert!(add_column_allowed(
            None,
            &column(false, default("''")),
            false
        ));
        assert!(!add_column_allowed(
            None,
            &column(false, ColumnValue::None),
            false
        ));
        assert!(!add_column_allowed(
            None,
            &column(false, default("NULL")),
            false
        ));
        assert!(!add_column_allowed(
            None,
            &column(true, default("CURRENT_TIMESTAMP")),
            false
        ));
        assert!(!add_column_allowed(
            None,
            &column(true, default("(1 + 2)")),
            false
        ));
        assert!(add_column_allowed(
            None,
            &column(true, default("NULL")),
            true
        ));
        assert!(!add_column_allowed(None, &column(true, default("0")), true));
        let generated = |storage| ColumnValue::Generated {
            expression: sql("1"),
            storage,
        };
        assert!(add_column_allowed(
            None,
            &column(true, generated(Storage::Virtual)),
            false
        ));
        assert!(!add_column_allowed(
            None,
            &column(true, generated(Storage::Stored)),
            false
        ));
    }
}
