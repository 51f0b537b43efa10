//! The rules applied to one up section, statement by statement, with what earlier revisions left behind (the
//! indexes, for SQLite's drop of an indexed column; the `IS NOT NULL` checks, for PostgreSQL's SET NOT NULL).
//!
//! "Existing table" means a table the section did not create itself: one made by an earlier revision may be
//! live and full, one made a few statements before is new and empty, so what is dangerous on the first is
//! fine on the second.

use std::collections::{HashMap, HashSet};

use super::statement::{self, Action, Op};
use super::{Hit, Rule};
use crate::engine::Engine;

/// What one engine's sections have built so far, in the order the revisions apply.
pub(crate) struct Linter {
    engine: Engine,
    /// Index name → its table and the names it mentions.
    indexes: HashMap<String, (String, Vec<String>)>,
    /// (table, column) pairs that have a `CHECK (column IS NOT NULL)`.
    not_null_checks: HashSet<(String, String)>,
}

/// One section's statements, as (text, line in the file).
pub(crate) type Statements<'a> = [(&'a str, usize)];

impl Linter {
    pub(crate) fn new(engine: Engine) -> Linter {
        Linter {
            engine,
            indexes: HashMap::new(),
            not_null_checks: HashSet::new(),
        }
    }

    /// The findings of one up section, by line; `transactional` is false for a `transaction:false` section.
    pub(crate) fn section(&mut self, statements: &Statements<'_>, transactional: bool) -> Vec<Hit> {
        let mut s = Section::default();
        for &(sql, line) in statements {
            let op = statement::read(sql, self.engine);
            if !matches!(op, Op::Setting | Op::SetLockTimeout | Op::ResetLockTimeout) {
                s.work += 1;
                if !transactional && s.work == 2 {
                    s.hit(
                        Rule::MixedTransactionFalseSection,
                        line,
                        "a second statement in a transaction:false section".into(),
                    );
                }
            }
            self.statement(&mut s, op, line);
        }
        s.finish(self.engine)
    }

    fn statement(&mut self, s: &mut Section, op: Op, line: usize) {
        match op {
            Op::SetLockTimeout => s.lock_timeout = true,
            Op::ResetLockTimeout => s.lock_timeout = false,
            Op::Setting | Op::Other => {}
            Op::CreateTable { name } => {
                s.created.insert(name);
            }
            Op::CreateIndex {
                name,
                table,
                concurrently,
                mentions,
            } => {
                if !concurrently && !s.created.contains(&table) {
                    let shown = name.as_deref().unwrap_or("(unnamed)");
                    s.hit(
                        Rule::RequireConcurrentIndexCreation,
                        line,
                        format!(
                            "CREATE INDEX {shown} on existing table {table} without CONCURRENTLY"
                        ),
                    );
                    s.locks(line, &format!("CREATE INDEX on {table}"));
                }
                if let Some(name) = name {
                    self.indexes.insert(name, (table, mentions));
                }
            }
            Op::DropIndex { names } => {
                for name in names {
                    self.indexes.remove(&name);
                }
            }
            Op::DropTable { names } => {
                for name in names {
                    self.indexes.retain(|_, (table, _)| *table != name);
                    if !s.created.remove(&name) {
                        s.locks(line, &format!("DROP TABLE {name}"));
                        s.drops.push((name, line));
                    }
                }
            }
            Op::AlterTable { table, actions } => {
                let existing = !s.created.contains(&table);
                if existing {
                    s.locks(line, &format!("ALTER TABLE {table}"));
                }
                for action in actions {
                    self.action(s, &table, existing, action, line);
                }
            }
        }
    }

    fn action(
        &mut self,
        s: &mut Section,
        table: &str,
        existing: bool,
        action: Action,
        line: usize,
    ) {
        match action {
            Action::AddColumn {
                column,
                not_null,
                has_default,
                rewrites,
            } if existing => {
                if rewrites {
                    s.hit(
                        Rule::AddingFieldWithDefault,
                        line,
                        format!("ADD COLUMN {column} on existing table {table} computes a value for every row"),
                    );
                } else if not_null && !has_default {
                    s.hit(
                        Rule::AddingNotNullableField,
                        line,
                        format!("ADD COLUMN {column} NOT NULL without a default on existing table {table}"),
                    );
                }
            }
            Action::AddForeignKey { not_valid: false } if existing => s.hit(
                Rule::AddingForeignKeyConstraint,
                line,
                format!("FOREIGN KEY on existing table {table} without NOT VALID"),
            ),
            Action::AddCheck {
                not_valid,
                not_null_of,
            } => {
                if existing && !not_valid {
                    s.hit(
                        Rule::ConstraintMissingNotValid,
                        line,
                        format!("CHECK on existing table {table} without NOT VALID"),
                    );
                }
                if let Some(column) = not_null_of {
                    self.not_null_checks.insert((table.to_string(), column));
                }
            }
            Action::AlterType { column } if existing => s.hit(
                Rule::ChangingColumnType,
                line,
                format!("type of {table}.{column} changed"),
            ),
            Action::SetNotNull { column }
                if existing
                    && !self
                        .not_null_checks
                        .contains(&(table.to_string(), column.clone())) =>
            {
                s.hit(
                    Rule::SettingNotNullableField,
                    line,
                    format!("SET NOT NULL on {table}.{column} without a CHECK ({column} IS NOT NULL) before it"),
                );
            }
            Action::DropColumn { column } => {
                if existing {
                    s.hit(
                        Rule::BanDropColumn,
                        line,
                        format!("DROP COLUMN {table}.{column}"),
                    );
                }
                let mut users: Vec<&str> = self
                    .indexes
                    .iter()
                    .filter(|(_, (t, mentions))| t == table && mentions.contains(&column))
                    .map(|(name, _)| name.as_str())
                    .collect();
                users.sort_unstable();
                if !users.is_empty() {
                    s.hit(
                        Rule::SqliteDropIndexedColumn,
                        line,
                        format!(
                            "DROP COLUMN {table}.{column}, which index {} uses",
                            users.join(", ")
                        ),
                    );
                }
            }
            Action::RenameColumn { from, to } if existing => s.hit(
                Rule::RenamingColumn,
                line,
                format!("column {table}.{from} renamed to {to}"),
            ),
            Action::RenameTable { to } => {
                for (t, _) in self.indexes.values_mut() {
                    if t == table {
                        t.clone_from(&to);
                    }
                }
                if existing {
                    s.renamed.push((table.to_string(), to, line));
                } else {
                    s.created.remove(table);
                    s.created.insert(to.clone());
                    s.renamed_into.insert(to);
                }
            }
            _ => {}
        }
    }
}

/// What one section has done so far.
#[derive(Default)]
struct Section {
    hits: Vec<Hit>,
    /// Tables the section created (under their current names).
    created: HashSet<String>,
    /// Names that a table created here was renamed to.
    renamed_into: HashSet<String>,
    /// Existing tables dropped, with the line.
    drops: Vec<(String, usize)>,
    /// Existing tables renamed: (from, to, line).
    renamed: Vec<(String, String, usize)>,
    lock_timeout: bool,
    lock_reported: bool,
    /// Statements other than settings.
    work: usize,
}

impl Section {
    fn hit(&mut self, rule: Rule, line: usize, message: String) {
        self.hits.push(Hit {
            rule,
            line,
            message,
        });
    }

    /// A statement that takes a strong lock on an existing table: the first one with no lock_timeout set
    /// before it is reported, once per section.
    fn locks(&mut self, line: usize, what: &str) {
        if !self.lock_timeout && !self.lock_reported {
            self.lock_reported = true;
            self.hit(
                Rule::RequireLockTimeout,
                line,
                format!("{what} with no lock_timeout set before it in the section"),
            );
        }
    }

    /// Drops and renames of existing tables, now that the whole section is known: on SQLite a drop or a
    /// rename that is one half of a table rebuild (a new table created, filled and given the old name) is
    /// reported as the rebuild.
    fn finish(mut self, engine: Engine) -> Vec<Hit> {
        let sqlite = engine == Engine::Sqlite;
        let mut rebuilt_by_rename = HashSet::new();
        for (name, line) in std::mem::take(&mut self.drops) {
            // The old table moved aside (`RENAME t TO t_old`), a new `t` created, `t_old` dropped.
            let moved_aside = self
                .renamed
                .iter()
                .find(|(from, to, _)| *to == name && self.created.contains(from))
                .map(|(from, _, l)| (from.clone(), *l));
            if sqlite && self.renamed_into.contains(&name) {
                self.hit(
                    Rule::SqliteTableRebuild,
                    line,
                    format!("table {name} is rebuilt: a new table is filled from it, it is dropped, and the new one takes its name"),
                );
            } else if let (true, Some((original, rename_line))) = (sqlite, moved_aside) {
                rebuilt_by_rename.insert(rename_line);
                self.hit(
                    Rule::SqliteTableRebuild,
                    rename_line,
                    format!("table {original} is rebuilt: it is renamed to {name}, a new {original} is filled from it, and {name} is dropped"),
                );
            } else {
                self.hit(Rule::BanDropTable, line, format!("DROP TABLE {name}"));
            }
        }
        for (from, to, line) in std::mem::take(&mut self.renamed) {
            if !rebuilt_by_rename.contains(&line) {
                self.hit(
                    Rule::RenamingTable,
                    line,
                    format!("table {from} renamed to {to}"),
                );
            }
        }
        let mut hits: Vec<Hit> = self
            .hits
            .into_iter()
            .filter(|h| h.rule.applies_to(engine))
            .collect();
        hits.sort_by_key(|h| h.line);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule ids a section gets, one statement per line.
    fn ids(engine: Engine, transactional: bool, sql: &str) -> Vec<&'static str> {
        let statements: Vec<(&str, usize)> = sql
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (l, i + 1))
            .collect();
        Linter::new(engine)
            .section(&statements, transactional)
            .into_iter()
            .map(|h| h.rule.id())
            .collect()
    }

    fn pg(sql: &str) -> Vec<&'static str> {
        ids(
            Engine::Postgresql,
            true,
            &format!("SET lock_timeout = '2s'\n{sql}"),
        )
    }

    fn sqlite(sql: &str) -> Vec<&'static str> {
        ids(Engine::Sqlite, true, sql)
    }

    #[test]
    fn each_postgres_rule_fires_on_an_existing_table_and_not_on_its_safe_pattern() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "adding-field-with-default",
                "ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()",
                "ALTER TABLE t ADD COLUMN c text DEFAULT 'x'",
            ),
            (
                "adding-not-nullable-field",
                "ALTER TABLE t ADD COLUMN c int NOT NULL",
                "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0",
            ),
            (
                "require-concurrent-index-creation",
                "CREATE INDEX ix ON t (c)",
                "CREATE INDEX CONCURRENTLY ix ON t (c)",
            ),
            (
                "adding-foreign-key-constraint",
                "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id)",
                "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID",
            ),
            (
                "constraint-missing-not-valid",
                "ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0)",
                "ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID",
            ),
            (
                "changing-column-type",
                "ALTER TABLE t ALTER COLUMN c TYPE bigint",
                "ALTER TABLE t ADD COLUMN c2 bigint",
            ),
            (
                "setting-not-nullable-field",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
                "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID\nALTER TABLE t VALIDATE CONSTRAINT c_nn\nALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ),
            ("ban-drop-column", "ALTER TABLE t DROP COLUMN c", "ALTER TABLE t DROP CONSTRAINT k"),
            ("ban-drop-table", "DROP TABLE t", "CREATE TABLE n (a int)\nDROP TABLE n"),
            (
                "renaming-column",
                "ALTER TABLE t RENAME COLUMN a TO b",
                "ALTER TABLE t RENAME CONSTRAINT a TO b",
            ),
            ("renaming-table", "ALTER TABLE t RENAME TO u", "CREATE TABLE n (a int)\nALTER TABLE n RENAME TO m"),
        ];
        for (rule, bad, safe) in cases {
            assert_eq!(pg(bad), vec![*rule], "{bad}");
            assert_eq!(pg(safe), Vec::<&str>::new(), "{safe}");
        }
    }

    #[test]
    fn tables_created_in_the_section_are_not_existing_ones() {
        assert_eq!(
            pg("CREATE TABLE t (id int)\nALTER TABLE t ADD COLUMN c int NOT NULL\nCREATE INDEX ix ON t (c)\nALTER TABLE t ALTER COLUMN c TYPE bigint"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn lock_timeout_is_wanted_once_per_section_before_the_first_lock() {
        let rules = ids(
            Engine::Postgresql,
            true,
            "ALTER TABLE t ADD COLUMN c text\nALTER TABLE t ADD COLUMN d text",
        );
        assert_eq!(rules, vec!["require-lock-timeout"]);
        let rules = ids(
            Engine::Postgresql,
            true,
            "SET LOCAL lock_timeout = '1s'\nALTER TABLE t ADD COLUMN c text",
        );
        assert!(rules.is_empty(), "{rules:?}");
        // Reset, the timeout is the server's again: none, by default.
        let rules = ids(
            Engine::Postgresql,
            true,
            "SET lock_timeout = '1s'\nRESET lock_timeout\nALTER TABLE t ADD COLUMN c text",
        );
        assert_eq!(rules, vec!["require-lock-timeout"]);
        let rules = ids(
            Engine::Postgresql,
            true,
            "CREATE TABLE t (id int)\nINSERT INTO t VALUES (1)",
        );
        assert!(rules.is_empty(), "{rules:?}");
    }

    #[test]
    fn a_transaction_false_section_holds_one_statement_besides_settings() {
        let one =
            "SET lock_timeout = '2s'\nCREATE INDEX CONCURRENTLY ix ON t (c)\nRESET lock_timeout";
        assert!(ids(Engine::Postgresql, false, one).is_empty());
        let two = "SET lock_timeout = '2s'\nCREATE INDEX CONCURRENTLY ix ON t (c)\nCREATE INDEX CONCURRENTLY iy ON t (d)";
        assert_eq!(
            ids(Engine::Postgresql, false, two),
            vec!["mixed-transaction-false-section"]
        );
    }

    #[test]
    fn sqlite_rebuilds_are_one_finding_whichever_way_they_are_written() {
        let copy_then_swap = "CREATE TABLE t_new (id INTEGER, c TEXT NOT NULL)\nINSERT INTO t_new SELECT id, c FROM t\nDROP TABLE t\nALTER TABLE t_new RENAME TO t\nCREATE INDEX ix ON t (c)";
        assert_eq!(sqlite(copy_then_swap), vec!["sqlite-table-rebuild"]);
        let move_aside = "ALTER TABLE t RENAME TO t_old\nCREATE TABLE t (id INTEGER)\nINSERT INTO t SELECT id FROM t_old\nDROP TABLE t_old";
        assert_eq!(sqlite(move_aside), vec!["sqlite-table-rebuild"]);
        assert_eq!(sqlite("DROP TABLE t"), vec!["ban-drop-table"]);
        assert_eq!(sqlite("ALTER TABLE t RENAME TO u"), vec!["renaming-table"]);
        // PostgreSQL rules say nothing on SQLite.
        assert!(sqlite(
            "CREATE INDEX ix ON t (c)\nALTER TABLE t ADD COLUMN d INTEGER NOT NULL DEFAULT 0"
        )
        .is_empty());
    }

    #[test]
    fn sqlite_drop_of_an_indexed_column_sees_indexes_from_earlier_sections() {
        let mut linter = Linter::new(Engine::Sqlite);
        assert!(linter
            .section(&[("CREATE INDEX ix_t_c ON t (lower(c))", 1)], true)
            .is_empty());
        let hits = linter.section(&[("ALTER TABLE t DROP COLUMN c", 9)], true);
        let found: Vec<(&str, usize)> = hits.iter().map(|h| (h.rule.id(), h.line)).collect();
        assert_eq!(
            found,
            vec![("ban-drop-column", 9), ("sqlite-drop-indexed-column", 9)]
        );
        assert!(hits[1].message.contains("ix_t_c"), "{}", hits[1].message);
        // Dropping the index first is the safe pattern.
        let hits = linter.section(
            &[("DROP INDEX ix_t_c", 1), ("ALTER TABLE t DROP COLUMN c", 2)],
            true,
        );
        let found: Vec<&str> = hits.iter().map(|h| h.rule.id()).collect();
        assert_eq!(found, vec!["ban-drop-column"]);
    }
}
