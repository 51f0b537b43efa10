//! The catalogue of lint rules: each one's stable id (squawk's where squawk has the rule, so a team that knows
//! one knows the other), its severity, the engines it applies to, why the operation is dangerous on a live
//! database and the pattern to use instead.

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

/// One rule. The order is the order of the catalogue in `docs/verify.md`.
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

    pub fn id(self) -> &'static str {
        match self {
            Rule::AddingFieldWithDefault => "adding-field-with-default",
            Rule::AddingNotNullableField => "adding-not-nullable-field",
            Rule::RequireConcurrentIndexCreation => "require-concurrent-index-creation",
            Rule::AddingForeignKeyConstraint => "adding-foreign-key-constraint",
            Rule::ConstraintMissingNotValid => "constraint-missing-not-valid",
            Rule::ChangingColumnType => "changing-column-type",
            Rule::SettingNotNullableField => "setting-not-nullable-field",
            Rule::RequireLockTimeout => "require-lock-timeout",
            Rule::BanDropColumn => "ban-drop-column",
            Rule::BanDropTable => "ban-drop-table",
            Rule::RenamingColumn => "renaming-column",
            Rule::RenamingTable => "renaming-table",
            Rule::MixedTransactionFalseSection => "mixed-transaction-false-section",
            Rule::SqliteTableRebuild => "sqlite-table-rebuild",
            Rule::SqliteDropIndexedColumn => "sqlite-drop-indexed-column",
            Rule::InvalidAllowComment => "invalid-allow-comment",
        }
    }

    /// Errors rewrite a table under its strongest lock, fail on a table with rows, or lose data; warnings hold
    /// a lock for a scan or need the application deployed in step.
    pub fn severity(self) -> Severity {
        match self {
            Rule::AddingFieldWithDefault
            | Rule::AddingNotNullableField
            | Rule::ChangingColumnType
            | Rule::BanDropColumn
            | Rule::BanDropTable
            | Rule::MixedTransactionFalseSection
            | Rule::SqliteDropIndexedColumn
            | Rule::InvalidAllowComment => Severity::Error,
            Rule::RequireConcurrentIndexCreation
            | Rule::AddingForeignKeyConstraint
            | Rule::ConstraintMissingNotValid
            | Rule::SettingNotNullableField
            | Rule::RequireLockTimeout
            | Rule::RenamingColumn
            | Rule::RenamingTable
            | Rule::SqliteTableRebuild => Severity::Warning,
        }
    }

    /// Whether the rule looks at sections for `engine`.
    pub fn applies_to(self, engine: Engine) -> bool {
        match self {
            Rule::AddingFieldWithDefault
            | Rule::AddingNotNullableField
            | Rule::RequireConcurrentIndexCreation
            | Rule::AddingForeignKeyConstraint
            | Rule::ConstraintMissingNotValid
            | Rule::ChangingColumnType
            | Rule::SettingNotNullableField
            | Rule::RequireLockTimeout => engine == Engine::Postgresql,
            Rule::SqliteTableRebuild | Rule::SqliteDropIndexedColumn => engine == Engine::Sqlite,
            Rule::BanDropColumn
            | Rule::BanDropTable
            | Rule::RenamingColumn
            | Rule::RenamingTable
            | Rule::MixedTransactionFalseSection
            | Rule::InvalidAllowComment => true,
        }
    }

    /// Why the operation is dangerous on a live database.
    pub fn why(self) -> &'static str {
        match self {
            Rule::AddingFieldWithDefault => "a volatile default (or a stored generated column) makes PostgreSQL rewrite the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until every row is rewritten",
            Rule::AddingNotNullableField => "a NOT NULL column without a default fails on a table that has rows",
            Rule::RequireConcurrentIndexCreation => "CREATE INDEX blocks every write to the table until the index is built",
            Rule::AddingForeignKeyConstraint => "adding a foreign key scans the table while holding a lock that blocks writes to both tables",
            Rule::ConstraintMissingNotValid => "adding a CHECK scans the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it is done",
            Rule::ChangingColumnType => "changing a column's type rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, and breaks code that reads the old type",
            Rule::SettingNotNullableField => "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
            Rule::RequireLockTimeout => "a statement that waits for a table lock (behind one long query) queues every later query on that table behind it; without lock_timeout the outage lasts as long as the wait",
            Rule::BanDropColumn => "the column's data is gone, and application code still reading it fails",
            Rule::BanDropTable => "the table's data is gone, and application code still using it fails",
            Rule::RenamingColumn => "application code still running with the old name fails from the moment the rename commits",
            Rule::RenamingTable => "application code still running with the old name fails from the moment the rename commits",
            Rule::MixedTransactionFalseSection => "a transaction:false section runs its statements one by one; if one fails, those before it stay applied and the revision can be neither retried nor rolled back cleanly",
            Rule::SqliteTableRebuild => "the rebuild copies every row while holding the database's write lock: every other writer waits for the whole copy (the files alone cannot tell how large the table is)",
            Rule::SqliteDropIndexedColumn => "SQLite refuses to drop a column that an index uses, so the revision fails",
            Rule::InvalidAllowComment => "an allow comment must name a rule and say why, so that the next reader knows what was accepted",
        }
    }

    /// The pattern to use instead.
    pub fn instead(self) -> &'static str {
        match self {
            Rule::AddingFieldWithDefault => "add the column without a default (or with a constant one), set the default in a second statement, then fill existing rows in batches",
            Rule::AddingNotNullableField => "add the column nullable (or with a constant default), fill it, add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL",
            Rule::RequireConcurrentIndexCreation => "CREATE INDEX CONCURRENTLY, alone in a '-- migrate:up postgresql transaction:false' section",
            Rule::AddingForeignKeyConstraint => "ADD CONSTRAINT … FOREIGN KEY … NOT VALID, then VALIDATE CONSTRAINT in a later statement or revision",
            Rule::ConstraintMissingNotValid => "ADD CONSTRAINT … CHECK (…) NOT VALID, then VALIDATE CONSTRAINT in a later statement or revision",
            Rule::ChangingColumnType => "add a column of the new type, fill it in batches, switch the application to it, then drop the old column",
            Rule::SettingNotNullableField => "ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips the scan)",
            Rule::RequireLockTimeout => "start the section with SET lock_timeout = '2s' (or SET LOCAL), and retry the upgrade if it times out",
            Rule::BanDropColumn => "stop using the column in the application and deploy that first; keep a backup; then drop it",
            Rule::BanDropTable => "stop using the table in the application and deploy that first; keep a backup; then drop it",
            Rule::RenamingColumn => "add the new column, write both, backfill, switch reads, then drop the old one in a later revision",
            Rule::RenamingTable => "create the new table (or a view under the old name), move the application over, then drop the old one in a later revision",
            Rule::MixedTransactionFalseSection => "keep one statement per transaction:false section, and move the others into a revision of their own",
            Rule::SqliteTableRebuild => "run it when writers can wait (a maintenance window), or for a large table keep the old table and move rows in batches",
            Rule::SqliteDropIndexedColumn => "DROP INDEX the indexes that use the column earlier in the same section",
            Rule::InvalidAllowComment => "write '-- dbkit:allow <rule> <reason>' with a rule id from 'db-migrate lint --help' or docs/verify.md",
        }
    }
}
