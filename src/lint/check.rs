//! The rules applied to one up section, statement by statement, with what earlier revisions left behind (the
//! indexes, for SQLite's drop of an indexed column; the `IS NOT NULL` checks, for PostgreSQL's SET NOT NULL;
//! the column types, for PostgreSQL's type changes), under the names later renames gave them.
//!
//! "Existing table" means a table the section did not create itself: one made by an earlier revision may be
//! live and full, one made a few statements before is new and empty, so what is dangerous on the first is
//! fine on the second.

use std::collections::{HashMap, HashSet};

use super::statement::{self, Action, Op};
use super::{Hit, Rule};
use crate::engine::Engine;
use crate::schema::rewrite;

/// What one engine's sections have built so far, in the order the revisions apply.
pub(crate) struct Linter {
    engine: Engine,
    /// Index name → its table and the names it mentions.
    indexes: HashMap<String, (String, Vec<String>)>,
    /// `CHECK (column IS NOT NULL)` constraints by (table, constraint name) → (column, validated). Only a
    /// validated one (added without NOT VALID, or VALIDATEd since) lets SET NOT NULL skip its scan.
    not_null_checks: HashMap<(String, String), (String, bool)>,
    /// (table, column) → the column's type as written, for telling a metadata-only type change from a
    /// rewrite.
    column_types: HashMap<(String, String), String>,
}

/// One section's statements, as (text, line in the file).
pub(crate) type Statements<'a> = [(&'a str, usize)];

impl Linter {
    pub(crate) fn new(engine: Engine) -> Linter {
        Linter {
            engine,
            indexes: HashMap::new(),
            not_null_checks: HashMap::new(),
            column_types: HashMap::new(),
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
            Op::CreateTable { name, columns } => {
                self.forget_table(&name);
                for (column, type_name) in columns {
                    self.column_types.insert((name.clone(), column), type_name);
                }
                s.created.insert(name);
            }
            Op::RenameIndex { from, to } => {
                if let Some(index) = self.indexes.remove(&from) {
                    self.indexes.insert(to, index);
                }
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
                    self.forget_table(&name);
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

    /// Drops what is known of a table that is dropped (or created again).
    fn forget_table(&mut self, name: &str) {
        self.indexes.retain(|_, (table, _)| table != name);
        self.not_null_checks.retain(|(table, _), _| table != name);
        self.column_types.retain(|(table, _), _| table != name);
    }

    /// Follows `ALTER TABLE from RENAME TO to` in what is known of the table.
    fn rename_table(&mut self, from: &str, to: &str) {
        for (t, _) in self.indexes.values_mut() {
            if t == from {
                *t = to.to_string();
            }
        }
        let rename = |key: (String, String)| {
            if key.0 == from {
                (to.to_string(), key.1)
            } else {
                key
            }
        };
        self.not_null_checks = std::mem::take(&mut self.not_null_checks)
            .into_iter()
            .map(|(k, v)| (rename(k), v))
            .collect();
        self.column_types = std::mem::take(&mut self.column_types)
            .into_iter()
            .map(|(k, v)| (rename(k), v))
            .collect();
    }

    /// Follows `ALTER TABLE table RENAME COLUMN from TO to` in what is known of the column.
    fn rename_column(&mut self, table: &str, from: &str, to: &str) {
        for (t, mentions) in self.indexes.values_mut() {
            if t == table {
                for m in mentions.iter_mut().filter(|m| *m == from) {
                    *m = to.to_string();
                }
            }
        }
        for ((t, _), (column, _)) in &mut self.not_null_checks {
            if t == table && column == from {
                *column = to.to_string();
            }
        }
        if let Some(type_name) = self
            .column_types
            .remove(&(table.to_string(), from.to_string()))
        {
            self.column_types
                .insert((table.to_string(), to.to_string()), type_name);
        }
    }

    /// Whether a validated `CHECK (column IS NOT NULL)` is known on the column.
    fn validated_not_null(&self, table: &str, column: &str) -> bool {
        self.not_null_checks
            .iter()
            .any(|((t, _), (c, validated))| t == table && c == column && *validated)
    }

    /// Whether changing the column to `type_name` is metadata only: its type is known and the new one is
    /// binary-coercible from it (a longer `varchar`, `text`, a wider `numeric`, `inet` from `cidr`), with no
    /// USING expression to compute and no new collation.
    fn type_change_is_metadata_only(
        &self,
        table: &str,
        column: &str,
        type_name: &str,
        using_or_collate: bool,
    ) -> bool {
        !using_or_collate
            && self
                .column_types
                .get(&(table.to_string(), column.to_string()))
                .is_some_and(|from| !rewrite::type_change(from, type_name).0)
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
                type_name,
                not_null,
                has_default,
                rewrites,
            } => {
                self.column_types
                    .insert((table.to_string(), column.clone()), type_name);
                if existing && rewrites {
                    s.hit(
                        Rule::AddingFieldWithDefault,
                        line,
                        format!("ADD COLUMN {column} on existing table {table} computes a value for every row"),
                    );
                } else if existing && not_null && !has_default {
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
                name,
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
                    // PostgreSQL's own name for an unnamed check on one column.
                    let name = name.unwrap_or_else(|| format!("{table}_{column}_check"));
                    self.not_null_checks
                        .insert((table.to_string(), name), (column, !not_valid));
                }
            }
            Action::ValidateConstraint { name } => {
                if let Some((_, validated)) =
                    self.not_null_checks.get_mut(&(table.to_string(), name))
                {
                    *validated = true;
                }
            }
            Action::AlterType {
                column,
                type_name,
                using_or_collate,
            } => {
                if existing
                    && !self.type_change_is_metadata_only(
                        table,
                        &column,
                        &type_name,
                        using_or_collate,
                    )
                {
                    s.hit(
                        Rule::ChangingColumnType,
                        line,
                        format!("type of {table}.{column} changed to {type_name}"),
                    );
                }
                self.column_types
                    .insert((table.to_string(), column), type_name);
            }
            Action::SetNotNull { column }
                if existing && !self.validated_not_null(table, &column) =>
            {
                s.hit(
                    Rule::SettingNotNullableField,
                    line,
                    format!("SET NOT NULL on {table}.{column} without a CHECK ({column} IS NOT NULL) before it"),
                );
            }
            Action::DropColumn { column } => {
                // PostgreSQL drops the checks on a dropped column with it.
                self.not_null_checks
                    .retain(|(t, _), (c, _)| !(t == table && *c == column));
                self.column_types
                    .remove(&(table.to_string(), column.clone()));
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
            Action::RenameColumn { from, to } => {
                self.rename_column(table, &from, &to);
                if existing {
                    s.hit(
                        Rule::RenamingColumn,
                        line,
                        format!("column {table}.{from} renamed to {to}"),
                    );
                }
            }
            Action::RenameTable { to } => {
                self.rename_table(table, &to);
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

    /// The rule ids of each section in turn, one linter across them all (revisions in order).
    fn sections(engine: Engine, sections: &[&str]) -> Vec<Vec<&'static str>> {
        let mut linter = Linter::new(engine);
        sections
            .iter()
            .map(|sql| {
                let statements: Vec<(&str, usize)> =
                    sql.lines().enumerate().map(|(i, l)| (l, i + 1)).collect();
                linter
                    .section(&statements, true)
                    .into_iter()
                    .map(|h| h.rule.id())
                    .collect()
            })
            .collect()
    }

    fn pg_sections(sql: &[&str]) -> Vec<Vec<&'static str>> {
        let with_timeout: Vec<String> = sql
            .iter()
            .map(|s| format!("SET lock_timeout = '2s'\n{s}"))
            .collect();
        let refs: Vec<&str> = with_timeout.iter().map(String::as_str).collect();
        sections(Engine::Postgresql, &refs)
    }

    #[test]
    fn only_a_validated_not_null_check_makes_set_not_null_safe() {
        let none: Vec<&str> = Vec::new();
        // Never validated: PostgreSQL still scans the table.
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID\nALTER TABLE t ALTER COLUMN c SET NOT NULL"),
            vec!["setting-not-nullable-field"]
        );
        assert_eq!(
            pg_sections(&[
                "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ]),
            vec![none.clone(), vec!["setting-not-nullable-field"]]
        );
        // Validated in a later revision, or under PostgreSQL's own name for an unnamed check.
        assert_eq!(
            pg_sections(&[
                "ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID",
                "ALTER TABLE t VALIDATE CONSTRAINT c_nn",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ]),
            vec![none.clone(), none.clone(), none.clone()]
        );
        assert_eq!(
            pg("ALTER TABLE t ADD CHECK (c IS NOT NULL) NOT VALID\nALTER TABLE t VALIDATE CONSTRAINT t_c_check\nALTER TABLE t ALTER COLUMN c SET NOT NULL"),
            none
        );
        // Another constraint validated is not this one.
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID\nALTER TABLE t VALIDATE CONSTRAINT other\nALTER TABLE t ALTER COLUMN c SET NOT NULL"),
            vec!["setting-not-nullable-field"]
        );
        // Added valid: scanned then, so SET NOT NULL is not.
        assert_eq!(
            pg("ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL)\nALTER TABLE t ALTER COLUMN c SET NOT NULL"),
            vec!["constraint-missing-not-valid"]
        );
    }

    #[test]
    fn binary_coercible_type_changes_are_not_rewrites() {
        let none: Vec<&str> = Vec::new();
        let created =
            "CREATE TABLE t (v character varying(20), w varchar, n numeric(10, 2), a cidr, i int)";
        for change in [
            "ALTER TABLE t ALTER COLUMN v TYPE text",
            "ALTER TABLE t ALTER COLUMN v TYPE varchar(50)",
            "ALTER TABLE t ALTER COLUMN w TYPE text",
            "ALTER TABLE t ALTER COLUMN n TYPE numeric",
            "ALTER TABLE t ALTER COLUMN n TYPE numeric(12, 2)",
            "ALTER TABLE t ALTER COLUMN a SET DATA TYPE inet",
        ] {
            assert_eq!(
                pg_sections(&[created, change]),
                vec![none.clone(), none.clone()],
                "{change}"
            );
        }
        for change in [
            "ALTER TABLE t ALTER COLUMN v TYPE varchar(10)",
            "ALTER TABLE t ALTER COLUMN v TYPE text USING upper(v)",
            "ALTER TABLE t ALTER COLUMN v TYPE text COLLATE \"C\"",
            "ALTER TABLE t ALTER COLUMN n TYPE numeric(10, 3)",
            "ALTER TABLE t ALTER COLUMN i TYPE bigint",
            "ALTER TABLE t ALTER COLUMN unknown TYPE text",
        ] {
            assert_eq!(
                pg_sections(&[created, change]),
                vec![none.clone(), vec!["changing-column-type"]],
                "{change}"
            );
        }
        // A clause after the definitions is not read into the last column's type.
        assert_eq!(
            pg_sections(&[
                "CREATE TABLE p (a int, b varchar(10)) PARTITION BY RANGE (a)",
                "ALTER TABLE p ALTER COLUMN b TYPE varchar(20)",
            ]),
            vec![none.clone(), none.clone()]
        );
        // A column added later, and the type a change left behind, are known too.
        assert_eq!(
            pg_sections(&[
                "ALTER TABLE t ADD COLUMN c varchar(5)",
                "ALTER TABLE t ALTER COLUMN c TYPE varchar(10)\nALTER TABLE t ALTER COLUMN c TYPE text",
            ]),
            vec![none.clone(), none]
        );
    }

    #[test]
    fn renames_are_followed_by_the_later_rules() {
        let none: Vec<&str> = Vec::new();
        // An index on the column follows the column and table renames to the drop.
        let found = sections(
            Engine::Sqlite,
            &[
                "CREATE TABLE t (id INTEGER, c TEXT)\nCREATE INDEX ix ON t (c)",
                "ALTER TABLE t RENAME COLUMN c TO d\nALTER TABLE t RENAME TO u\nALTER TABLE u DROP COLUMN d",
            ],
        );
        assert_eq!(
            found,
            vec![
                none.clone(),
                vec![
                    "renaming-column",
                    "renaming-table",
                    "ban-drop-column",
                    "sqlite-drop-indexed-column"
                ]
            ]
        );
        // A renamed index is dropped under its new name.
        let mut linter = Linter::new(Engine::Postgresql);
        linter.section(
            &[
                ("CREATE INDEX ix ON t (c)", 1),
                ("ALTER INDEX ix RENAME TO iy", 2),
                ("DROP INDEX iy", 3),
            ],
            true,
        );
        assert!(linter.indexes.is_empty(), "{:?}", linter.indexes);
        // A validated NOT NULL check and a column's type follow the renames.
        assert_eq!(
            pg_sections(&[
                "CREATE TABLE t (c varchar(10))\nALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL)",
                "ALTER TABLE t RENAME c TO d\nALTER TABLE t RENAME TO u",
                "ALTER TABLE u ALTER COLUMN d SET NOT NULL\nALTER TABLE u ALTER COLUMN d TYPE text",
            ]),
            vec![none.clone(), vec!["renaming-column", "renaming-table"], none.clone()]
        );
        // The old name knows nothing any more.
        assert_eq!(
            pg_sections(&[
                "CREATE TABLE t (c varchar(10))\nALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL)\nALTER TABLE t RENAME TO u",
                "ALTER TABLE t ADD COLUMN e int",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ]),
            vec![none.clone(), none, vec!["setting-not-nullable-field"]]
        );
        // A table made in the section is still new under its new name.
        assert!(pg("CREATE TABLE n (a int)\nALTER TABLE n RENAME TO m\nCREATE INDEX ix ON m (a)\nALTER TABLE m ALTER COLUMN a TYPE bigint").is_empty());
    }
}
