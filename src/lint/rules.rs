//! The catalogue of lint rules, one entry per rule: its stable id (squawk's where squawk has the rule, so a
//! team that knows one knows the other), its severity, the engines it applies to, why the operation is
//! dangerous on a live database and the pattern to use instead.

use serde::Serialize;

use crate::engine::Engine;

/// How bad a finding is: an error makes `lint` exit non-zero; a warning is printed and passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One rule. The order is the order of the catalogue in `docs/verify.md`, and of [`CATALOGUE`], which holds
/// each rule's id, severity, engine and texts at the rule's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    AddingFieldWithDefault,
    AddingNotNullableField,
    RequireConcurrentIndexCreation,
    AddingForeignKeyConstraint,
    ConstraintMissingNotValid,
    ChangingColumnType,
    SettingNotNullableField,
    RequireLockTimeout,
    BanDropColumn,
    BanDropTable,
    RenamingColumn,
    RenamingTable,
    MixedTransactionFalseSection,
    SqliteTableRebuild,
    SqliteDropIndexedColumn,
    /// A `-- dbkit:allow` comment that names no known rule or gives no reason.
    InvalidAllowComment,
}

impl Rule {
    pub const ALL: [Rule; 16] = [
        Rule::AddingFieldWithDefault,
        Rule::AddingNotNullableField,
        Rule::RequireConcurrentIndexCreation,
        Rule::AddingForeignKeyConstraint,
        Rule::ConstraintMissingNotValid,
        Rule::ChangingColumnType,
        Rule::SettingNotNullableField,
        Rule::RequireLockTimeout,
        Rule::BanDropColumn,
        Rule::BanDropTable,
        Rule::RenamingColumn,
        Rule::RenamingTable,
        Rule::MixedTransactionFalseSection,
        Rule::SqliteTableRebuild,
        Rule::SqliteDropIndexedColumn,
        Rule::InvalidAllowComment,
    ];

    /// The rule named `id`, if there is one.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// The rule's line of the catalogue.
    fn entry(self) -> &'static Entry {
        &CATALOGUE[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.entry().id
    }

    /// Errors rewrite a table under its strongest lock, fail on a table with rows, or lose data; warnings hold
    /// a lock for a scan or need the application deployed in step.
    pub fn severity(self) -> Severity {
        self.entry().severity
    }

    /// Whether the rule looks at sections for `engine`.
    pub fn applies_to(self, engine: Engine) -> bool {
        self.entry().engine.is_none_or(|e| e == engine)
    }

    /// Why the operation is dangerous on a live database.
    pub fn why(self) -> &'static str {
        self.entry().why
    }

    /// The pattern to use instead.
    pub fn instead(self) -> &'static str {
        self.entry().instead
    }
}

/// What the catalogue knows of one rule.
struct Entry {
    id: &'static str,
    severity: Severity,
    /// The one engine whose sections the rule looks at, or `None` for both.
    engine: Option<Engine>,
    why: &'static str,
    instead: &'static str,
}

/// One entry per rule, in the order of [`Rule`]'s variants (a rule is its entry's index).
const CATALOGUE: [Entry; 16] = [
    Entry {
        id: "adding-field-with-default",
        severity: Severity::Error,
        engine: Some(Engine::Postgresql),
        why: "a volatile default (or a stored generated column) makes PostgreSQL rewrite the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until every row is rewritten",
        instead: "add the column without a default (or with a constant one), set the default in a second statement, then fill existing rows in batches",
    },
    Entry {
        id: "adding-not-nullable-field",
        severity: Severity::Error,
        engine: Some(Engine::Postgresql),
        why: "a NOT NULL column without a default fails on a table that has rows",
        instead: "add the column nullable (or with a constant default), fill it, add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
    },
    Entry {
        id: "require-concurrent-index-creation",
        severity: Severity::Warning,
        engine: Some(Engine::Postgresql),
        why: "CREATE INDEX blocks every write to the table until the index is built",
        instead: "CREATE INDEX CONCURRENTLY, alone in a '-- migrate:up postgresql transaction:false' section",
    },
    Entry {
        id: "adding-foreign-key-constraint",
        severity: Severity::Warning,
        engine: Some(Engine::Postgresql),
        why: "adding a foreign key scans the table while holding a lock that blocks writes to both tables",
        instead: "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later statement or revision",
    },
    Entry {
        id: "constraint-missing-not-valid",
        severity: Severity::Warning,
        engine: Some(Engine::Postgresql),
        why: "adding a CHECK scans the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it is done",
        instead: "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later statement or revision",
    },
    Entry {
        id: "changing-column-type",
        severity: Severity::Error,
        engine: Some(Engine::Postgresql),
        why: "changing a column's type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and breaks code that reads the old type",
        instead: "add a column of the new type, fill it in batches, switch the application to it, then drop the old column",
    },
    Entry {
        id: "setting-not-nullable-field",
        severity: Severity::Warning,
        engine: Some(Engine::Postgresql),
        why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
        instead: "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips the scan)",
    },
    Entry {
        id: "require-lock-timeout",
        severity: Severity::Warning,
        engine: Some(Engine::Postgresql),
        why: "a statement that waits for a table lock (behind one long query) queues every later query on that table behind it; without lock_timeout the outage lasts as long as the wait",
        instead: "start the section with SET lock_timeout = '2s' (or SET LOCAL), and retry the upgrade if it times out",
    },
    Entry {
        id: "ban-drop-column",
        severity: Severity::Error,
        engine: None,
        why: "the column's data is gone, and application code still reading it fails",
        instead: "stop using the column in the application and deploy that first; keep a backup; then drop it",
    },
    Entry {
        id: "ban-drop-table",
        severity: Severity::Error,
        engine: None,
        why: "the table's data is gone, and application code still using it fails",
        instead: "stop using the table in the application and deploy that first; keep a backup; then drop it",
    },
    Entry {
        id: "renaming-column",
        severity: Severity::Warning,
        engine: None,
        why: "application code still running with the old name fails from the moment the rename commits",
        instead: "add the new column, write both, backfill, switch reads, then drop the old one in a later revision",
    },
    Entry {
        id: "renaming-table",
        severity: Severity::Warning,
        engine: None,
        why: "application code still running with the old name fails from the moment the rename commits",
        instead: "create the new table (or a view under the old name), move the application over, then drop the old one in a later revision",
    },
    Entry {
        id: "mixed-transaction-false-section",
        severity: Severity::Error,
        engine: None,
        why: "a transaction:false section runs its statements one by one; if one fails, those before it stay applied and the revision can be neither retried nor rolled back cleanly",
        instead: "keep one statement per transaction:false section, and move the others into a revision of their own",
    },
    Entry {
        id: "sqlite-table-rebuild",
        severity: Severity::Warning,
        engine: Some(Engine::Sqlite),
        why: "the rebuild copies every row while holding the database's write lock: every other writer waits for the whole copy (the files alone cannot tell how large the table is)",
        instead: "run it when writers can wait (a maintenance window), or for a large table keep the old table and move rows in batches",
    },
    Entry {
        id: "sqlite-drop-indexed-column",
        severity: Severity::Error,
        engine: Some(Engine::Sqlite),
        why: "SQLite refuses to drop a column that an index uses, so the revision fails",
        instead: "DROP INDEX the indexes that use the column earlier in the same section",
    },
    Entry {
        id: "invalid-allow-comment",
        severity: Severity::Error,
        engine: None,
        why: "an allow comment must name a rule and say why, so that the next reader knows what was accepted",
        instead: "write '-- dbkit:allow <rule> <reason>' with a rule id from 'db-migrate lint --help' or docs/verify.md",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_in_the_order_of_the_rules() {
        for (i, rule) in Rule::ALL.into_iter().enumerate() {
            assert_eq!(rule as usize, i);
            // The entry at the rule's index is the rule's own: its id is the variant's name in kebab case.
            let mut kebab = String::new();
            for c in format!("{rule:?}").chars() {
                if c.is_ascii_uppercase() && !kebab.is_empty() {
                    kebab.push('-');
                }
                kebab.push(c.to_ascii_lowercase());
            }
            assert_eq!(CATALOGUE[i].id, kebab);
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
        }
        assert_eq!(Rule::ChangingColumnType.id(), "changing-column-type");
        assert_eq!(Rule::SqliteDropIndexedColumn.severity(), Severity::Error);
        assert!(
            Rule::BanDropTable.applies_to(Engine::Sqlite)
                && Rule::BanDropTable.applies_to(Engine::Postgresql)
        );
        assert!(!Rule::RequireLockTimeout.applies_to(Engine::Sqlite));
    }
}
