//! `lint` through the binary: each rule on a minimal revision and silent on its safe pattern, allow comments,
//! the ini file's `lint_disable`, ranges, exit codes, and the warnings `upgrade` prints before it applies.

use crate::both;
use crate::util::*;

/// Writes a revision whose up section is `marker` (e.g. `-- migrate:up postgresql transaction:false`) and `up`.
fn revision(fx: &Fixture, id: &str, revises: &[&str], marker: &str, up: &str) {
    let text = format!(
        "-- revision {id}\n--\n-- Revision ID: {id}\n-- Revises: {}\n\n{marker}\n{up}\n\n-- migrate:down\nSELECT 1;\n",
        revises.join(", ")
    );
    std::fs::write(fx.versions().join(format!("{id}.sql")), text).unwrap();
}

/// `lint --json` with extra arguments: the exit code and the report.
fn lint_json(fx: &Fixture, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["lint", "--json"];
    all.extend_from_slice(args);
    let r = fx.run(&all);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let report = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r.code, report)
}

/// The (rule, file name, line) of each finding.
fn found(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let name = std::path::Path::new(file).file_name().unwrap();
            (
                f["rule"].as_str().unwrap().to_string(),
                name.to_string_lossy().into_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A rule's case: the dialect, the revision before (the existing table), the revision that breaks the rule
/// (its marker and body) and the same change written safely.
struct Case {
    rule: &'static str,
    dialect: &'static str,
    before: &'static str,
    marker: &'static str,
    bad: &'static str,
    safe: &'static str,
    error: bool,
}

const PG: &str = "-- migrate:up postgresql";
const PG_NO_TX: &str = "-- migrate:up postgresql transaction:false";
const LITE: &str = "-- migrate:up sqlite";
const TABLE: &str = "CREATE TABLE t (id integer PRIMARY KEY, a text, c integer, u integer);";

const CASES: &[Case] = &[
    Case {
        rule: "adding-field-with-default",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN token uuid;\nALTER TABLE t ALTER COLUMN token SET DEFAULT gen_random_uuid();",
        error: true,
    },
    Case {
        rule: "adding-not-nullable-field",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN n integer NOT NULL;",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN n integer NOT NULL DEFAULT 0;",
        error: true,
    },
    Case {
        rule: "require-concurrent-index-creation",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nCREATE INDEX ix_t_a ON t (a);",
        safe: "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY ix_t_a ON t (a);",
        error: false,
    },
    Case {
        rule: "adding-foreign-key-constraint",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT fk_t_u FOREIGN KEY (u) REFERENCES t (id);",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT fk_t_u FOREIGN KEY (u) REFERENCES t (id) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT fk_t_u;",
        error: false,
    },
    Case {
        rule: "constraint-missing-not-valid",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT ck_t_c CHECK (c > 0);",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT ck_t_c CHECK (c > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT ck_t_c;",
        error: false,
    },
    Case {
        rule: "changing-column-type",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN c TYPE bigint;",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c_big bigint;",
        error: true,
    },
    Case {
        rule: "setting-not-nullable-field",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_a_nn;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
        error: false,
    },
    Case {
        rule: "require-lock-timeout",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "ALTER TABLE t ADD COLUMN note text;",
        safe: "SET LOCAL lock_timeout = '2s';\nALTER TABLE t ADD COLUMN note text;",
        error: false,
    },
    Case {
        rule: "ban-drop-column",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t DROP COLUMN a;",
        safe: "SET lock_timeout = '2s';\nCREATE TABLE scratch (id integer, a text);\nALTER TABLE scratch DROP COLUMN a;",
        error: true,
    },
    Case {
        rule: "ban-drop-table",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nDROP TABLE t;",
        safe: "CREATE TABLE scratch (id integer);\nDROP TABLE scratch;",
        error: true,
    },
    Case {
        rule: "renaming-column",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t RENAME COLUMN a TO title;",
        safe: "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN title text;",
        error: false,
    },
    Case {
        rule: "renaming-table",
        dialect: "postgresql",
        before: TABLE,
        marker: PG,
        bad: "SET lock_timeout = '2s';\nALTER TABLE t RENAME TO things;",
        safe: "SET lock_timeout = '2s';\nCREATE VIEW things AS SELECT * FROM t;",
        error: false,
    },
    Case {
        rule: "mixed-transaction-false-section",
        dialect: "postgresql",
        before: TABLE,
        marker: PG_NO_TX,
        bad: "CREATE INDEX CONCURRENTLY ix_t_a ON t (a);\nCREATE INDEX CONCURRENTLY ix_t_c ON t (c);",
        safe: "SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY ix_t_a ON t (a);\nRESET lock_timeout;",
        error: true,
    },
    Case {
        rule: "sqlite-table-rebuild",
        dialect: "sqlite",
        before: TABLE,
        marker: LITE,
        bad: "CREATE TABLE t_new (id integer PRIMARY KEY, a text NOT NULL DEFAULT '', c integer, u integer);\nINSERT INTO t_new SELECT id, coalesce(a, ''), c, u FROM t;\nDROP TABLE t;\nALTER TABLE t_new RENAME TO t;",
        safe: "ALTER TABLE t ADD COLUMN a2 text NOT NULL DEFAULT '';",
        error: false,
    },
    Case {
        rule: "sqlite-drop-indexed-column",
        dialect: "sqlite",
        before: "CREATE TABLE t (id integer PRIMARY KEY, a text, c integer);\nCREATE INDEX ix_t_c ON t (c);",
        marker: LITE,
        bad: "-- dbkit:allow ban-drop-column c was never read\nALTER TABLE t DROP COLUMN c;",
        safe: "-- dbkit:allow ban-drop-column c was never read\nDROP INDEX ix_t_c;\nALTER TABLE t DROP COLUMN c;",
        error: true,
    },
];

#[test]
fn each_rule_is_flagged_on_a_minimal_revision_and_silent_on_its_safe_pattern() {
    for case in CASES {
        let fx = Fixture::new(Kind::Sqlite).unwrap();
        let first = format!("-- migrate:up {}\n{}", case.dialect, case.before);
        revision(&fx, "r1", &[], &first, "");
        revision(&fx, "r2", &["r1"], case.marker, case.bad);
        let (code, report) = lint_json(&fx, &["--dialect", case.dialect]);
        let lines = case.bad.lines().count() as u64;
        let hits = found(&report);
        assert_eq!(hits.len(), 1, "{}: {hits:?}", case.rule);
        let (rule, file, line) = &hits[0];
        assert_eq!(rule, case.rule);
        assert_eq!(file, "r2.sql", "{}", case.rule);
        // The finding points into the revision's up section (which starts on line 7).
        assert!((7..7 + lines).contains(line), "{}: line {line}", case.rule);
        let finding = &report["findings"][0];
        assert!(!finding["why"].as_str().unwrap().is_empty());
        assert!(!finding["instead"].as_str().unwrap().is_empty());
        let severity = if case.error { "error" } else { "warning" };
        assert_eq!(finding["severity"], severity, "{}", case.rule);
        assert_eq!(code, if case.error { 8 } else { 0 }, "{}", case.rule);

        revision(&fx, "r2", &["r1"], case.marker, case.safe);
        let (code, report) = lint_json(&fx, &["--dialect", case.dialect]);
        assert_eq!(found(&report), vec![], "{} safe pattern", case.rule);
        assert_eq!(code, 0, "{}", case.rule);
    }
}

#[test]
fn an_allow_comment_silences_one_rule_for_its_revision_and_shows_the_reason() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    revision(&fx, "r1", &[], LITE, TABLE);
    revision(
        &fx,
        "r2",
        &["r1"],
        LITE,
        "-- dbkit:allow ban-drop-column nothing has read a since release 2.3\nALTER TABLE t DROP COLUMN a;\nALTER TABLE t DROP COLUMN c;\nALTER TABLE t RENAME COLUMN u TO owner;",
    );
    // Another revision's drop is not covered by r2's comment.
    revision(&fx, "r3", &["r2"], LITE, "ALTER TABLE t DROP COLUMN owner;");
    let r = fx.run(&["lint"]);
    assert_eq!(r.code, 8, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("allowed: ")
            && r.stdout
                .contains("r2.sql:8: [ban-drop-column, sqlite] DROP COLUMN t.a")
            && r.stdout
                .contains("(allowed at line 7: nothing has read a since release 2.3)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("r2.sql:9: [ban-drop-column, sqlite] DROP COLUMN t.c"),
        "the allow comment covers the rule in its revision, every line:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("warning: ") && r.stdout.contains("r2.sql:10: [renaming-column, sqlite]"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("error: ") && r.stdout.contains("r3.sql:7: [ban-drop-column, sqlite]"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("lint: 1 error(s), 1 warning(s) in 3 revision(s) (sqlite); 2 allowed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("FAILED: lint found 1 error(s)"),
        "{}",
        r.stderr
    );

    // A comment without a reason, or naming no rule, is itself an error.
    revision(&fx, "r3", &["r2"], LITE, "-- dbkit:allow ban-drop-column\n-- dbkit:allow ban-drop-colum typo\nALTER TABLE t DROP COLUMN owner;");
    let (code, report) = lint_json(&fx, &["-r", "r3:"]);
    assert_eq!(code, 8);
    assert_eq!(report["revisions"], 1);
    let rules: Vec<String> = found(&report)
        .into_iter()
        .map(|(r, _, line)| format!("{r}:{line}"))
        .collect();
    assert_eq!(
        rules,
        [
            "invalid-allow-comment:7",
            "invalid-allow-comment:8",
            "ban-drop-column:9"
        ]
    );
    let messages = report["findings"].to_string();
    assert!(
        messages.contains("gives no reason") && messages.contains("names no known rule"),
        "{messages}"
    );
}

#[test]
fn the_ini_file_turns_rules_off_for_the_project() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    revision(&fx, "r1", &[], LITE, TABLE);
    revision(
        &fx,
        "r2",
        &["r1"],
        LITE,
        "ALTER TABLE t DROP COLUMN a;\nDROP TABLE t;",
    );
    let ini = fx.path().join("alembic.ini");
    std::fs::write(
        &ini,
        "[alembic]\nscript_location = %(here)s/alembic\nlint_disable = ban-drop-column, ban-drop-table\n",
    )
    .unwrap();
    let r = fx.ok(&["lint"]);
    assert_eq!(
        r.stdout,
        "lint: no findings in 2 revision(s) (sqlite); disabled in the ini file: ban-drop-column, ban-drop-table\n"
    );
    std::fs::write(
        &ini,
        "[alembic]\nscript_location = %(here)s/alembic\nlint_disable = ban-drop-table, no-such-rule\n",
    )
    .unwrap();
    let r = fx.fails(&["lint"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("lint_disable names 'no-such-rule'"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_range_reports_its_revisions_and_still_reads_the_earlier_ones() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    revision(
        &fx,
        "r1",
        &[],
        LITE,
        "CREATE TABLE t (id integer, c integer);\nCREATE INDEX ix_t_c ON t (c);",
    );
    revision(&fx, "r2", &["r1"], LITE, "DROP TABLE gone;");
    revision(&fx, "r3", &["r2"], LITE, "ALTER TABLE t DROP COLUMN c;");
    let (code, report) = lint_json(&fx, &["-r", "r3:head"]);
    assert_eq!(code, 8);
    assert_eq!(report["revisions"], 1);
    assert_eq!(
        found(&report),
        [
            ("ban-drop-column".to_string(), "r3.sql".to_string(), 7),
            (
                "sqlite-drop-indexed-column".to_string(),
                "r3.sql".to_string(),
                7
            )
        ]
    );
    assert!(report["findings"][1]["message"]
        .as_str()
        .unwrap()
        .contains("ix_t_c"));
    // A table created in an earlier revision is an existing one; one created in the same revision is not.
    let (_, report) = lint_json(&fx, &["-r", "r1:r1"]);
    assert_eq!(found(&report), vec![]);
    let r = fx.fails(&["lint", "-r", "nope:head"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn set_not_null_is_safe_only_after_a_validated_not_null_check() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    let rule = |r: &str| (r.to_string(), "r3.sql".to_string(), 8);
    revision(&fx, "r1", &[], PG, TABLE);
    let not_valid = "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT t_c_nn CHECK (c IS NOT NULL) NOT VALID;";
    revision(&fx, "r2", &["r1"], PG, not_valid);
    revision(
        &fx,
        "r3",
        &["r2"],
        PG,
        "SET lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN c SET NOT NULL;",
    );
    let (code, report) = lint_json(&fx, &["--dialect", "postgresql"]);
    assert_eq!(found(&report), [rule("setting-not-nullable-field")]);
    assert_eq!(code, 0);
    let validated = format!("{not_valid}\nALTER TABLE t VALIDATE CONSTRAINT t_c_nn;");
    revision(&fx, "r2", &["r1"], PG, &validated);
    let (code, report) = lint_json(&fx, &["--dialect", "postgresql"]);
    assert_eq!(found(&report), vec![]);
    assert_eq!(code, 0);
}

#[test]
fn metadata_only_type_changes_pass_and_renames_are_followed() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    revision(
        &fx,
        "r1",
        &[],
        PG,
        "CREATE TABLE t (id integer PRIMARY KEY, name varchar(20), c integer, CONSTRAINT t_c_nn CHECK (c IS NOT NULL));\nALTER TABLE t ADD CONSTRAINT t_c_nn2 CHECK (c IS NOT NULL);",
    );
    revision(
        &fx,
        "r2",
        &["r1"],
        PG,
        "SET lock_timeout = '2s';\nALTER TABLE t RENAME COLUMN name TO title;\nALTER TABLE t RENAME COLUMN c TO d;\nALTER TABLE t RENAME TO u;",
    );
    revision(
        &fx,
        "r3",
        &["r2"],
        PG,
        "SET lock_timeout = '2s';\nALTER TABLE u ALTER COLUMN title TYPE varchar(50);\nALTER TABLE u ALTER COLUMN title TYPE text;\nALTER TABLE u ALTER COLUMN d SET NOT NULL;\nALTER TABLE u ALTER COLUMN d TYPE bigint;",
    );
    let (code, report) = lint_json(&fx, &["--dialect", "postgresql", "-r", "r3:head"]);
    assert_eq!(
        found(&report),
        [("changing-column-type".to_string(), "r3.sql".to_string(), 11)]
    );
    assert!(report["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("u.d changed to bigint"));
    assert_eq!(code, 8);
}

#[test]
fn plain_sections_are_linted_for_the_configured_database_and_every_dialect_the_revisions_have() {
    let fx = Fixture::new(Kind::Sqlite).unwrap();
    fx.revision("r1", &[], TABLE, None);
    fx.revision(
        "r2",
        &["r1"],
        "ALTER TABLE t ADD COLUMN n integer NOT NULL;",
        None,
    );
    // The fixture's database is SQLite: a NOT NULL column without a default is PostgreSQL's rule only.
    let (code, report) = lint_json(&fx, &[]);
    assert_eq!((code, found(&report)), (0, vec![]));
    assert_eq!(report["dialects"], serde_json::json!(["sqlite"]));
    // A revision with a PostgreSQL section of its own makes the project a PostgreSQL one too.
    revision(&fx, "r3", &["r2"], PG, "SELECT 1;");
    let (code, report) = lint_json(&fx, &[]);
    assert_eq!(
        report["dialects"],
        serde_json::json!(["sqlite", "postgresql"])
    );
    let rules: Vec<String> = found(&report).into_iter().map(|(r, ..)| r).collect();
    assert_eq!(rules, ["require-lock-timeout", "adding-not-nullable-field"]);
    assert_eq!(code, 8);
    assert_eq!(report["findings"][1]["dialect"], "postgresql");
}

#[test]
fn the_example_project_passes_lint() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = run_in(root, &["lint"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("; 1 allowed"), "{}", r.stdout);
}

both!(
    upgrade_prints_the_warnings_of_what_it_applies_and_applies_it,
    |fx| {
        fx.revision(
        "r1",
        &[],
        "CREATE TABLE t (id integer PRIMARY KEY, name text);\nINSERT INTO t VALUES (1, 'kept');",
        Some("DROP TABLE t;"),
    );
        fx.ok(&["upgrade"]);
        fx.revision(
        "r2",
        &["r1"],
        "ALTER TABLE t RENAME COLUMN name TO full_name;\nALTER TABLE t DROP COLUMN full_name;\nALTER TABLE t ADD COLUMN full_name text;",
        Some("SELECT 1;"),
    );
        // A dry run shows the same warnings and changes nothing.
        let r = fx.ok(&["upgrade", "--dry-run"]);
        assert!(
            r.stderr.contains("r2.sql:8: [renaming-column, "),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["r1"]);
        let r = fx.ok(&["upgrade", "-q"]);
        assert!(
            r.stderr.contains("WARNING: ")
                && r.stderr.contains("r2.sql:8: [renaming-column, ")
                && r.stderr.contains("    why: "),
            "{}",
            r.stderr
        );
        // An error-level finding warns too: upgrade never stops for lint.
        assert!(
            r.stderr.contains("r2.sql:9: [ban-drop-column, "),
            "{}",
            r.stderr
        );
        // Warnings come before the work, and r1, already applied, is not linted again.
        assert!(!r.stderr.contains("r1.sql"), "{}", r.stderr);
        assert_eq!(fx.heads(), vec!["r2"]);
        assert_eq!(fx.query("SELECT id FROM t"), vec![vec!["1".to_string()]]);
        let r = fx.ok(&["upgrade"]);
        assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
        // The ini file's lint_disable quiets upgrade too.
        fx.revision(
            "r3",
            &["r2"],
            "ALTER TABLE t RENAME COLUMN full_name TO name;",
            Some("SELECT 1;"),
        );
        std::fs::write(
        fx.path().join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/alembic\nlint_disable = renaming-column, require-lock-timeout\n",
    )
    .unwrap();
        let r = fx.ok(&["upgrade"]);
        assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
        assert!(
            r.stderr.contains("Running upgrade r2 -> r3"),
            "{}",
            r.stderr
        );
        assert_eq!(fx.heads(), vec!["r3"]);
    }
);

// `ensure` upgrades as `upgrade` does, with the same warnings for what it is about to apply.
both!(ensure_prints_the_warnings_of_what_it_applies, |fx| {
    fx.revision(
        "r1",
        &[],
        "CREATE TABLE t (id integer PRIMARY KEY, name text);",
        Some("DROP TABLE t;"),
    );
    let r = fx.ok(&["ensure"]);
    assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
    fx.revision(
        "r2",
        &["r1"],
        "ALTER TABLE t RENAME COLUMN name TO full_name;",
        Some("ALTER TABLE t RENAME COLUMN full_name TO name;"),
    );
    let r = fx.ok(&["ensure", "-q"]);
    assert!(
        r.stderr.contains("WARNING: ") && r.stderr.contains("r2.sql:8: [renaming-column, "),
        "{}",
        r.stderr
    );
    assert_eq!(fx.heads(), vec!["r2"]);
    let r = fx.ok(&["ensure"]);
    assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
});

// Before an upgrade, what earlier revisions left counts: a NOT NULL check validated in an applied revision
// makes the pending SET NOT NULL safe, and an index made earlier still blocks a SQLite DROP COLUMN.
both!(
    upgrade_lints_the_pending_revisions_with_what_came_before,
    |fx| {
        fx.revision(
            "r1",
            &[],
            "CREATE TABLE t (id integer PRIMARY KEY, c text);\nCREATE INDEX t_c ON t (c);",
            Some("DROP TABLE t;"),
        );
        let check = match fx.kind {
        Kind::Postgres => {
            "SET lock_timeout = '2s';\nALTER TABLE t ADD CONSTRAINT t_c_not_null CHECK (c IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_c_not_null;"
        }
        Kind::Sqlite => "SELECT 1;",
    };
        fx.revision("r2", &["r1"], check, Some("SELECT 1;"));
        fx.ok(&["upgrade"]);
        let (up, rule) = match fx.kind {
            Kind::Postgres => (
                "SET lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN c SET NOT NULL;",
                "setting-not-nullable-field",
            ),
            Kind::Sqlite => ("ALTER TABLE t DROP COLUMN c;", "sqlite-drop-indexed-column"),
        };
        fx.revision("r3", &["r2"], up, Some("SELECT 1;"));
        let r = fx.run(&["upgrade", "--dry-run"]);
        match fx.kind {
            Kind::Postgres => assert!(!r.stderr.contains(rule), "{}", r.stderr),
            Kind::Sqlite => assert!(r.stderr.contains(rule), "{}", r.stderr),
        }
    }
);
