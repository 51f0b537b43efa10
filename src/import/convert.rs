//! From what Alembic's offline mode printed for one revision to dbkit's revision file: the SQL of each section
//! (Alembic's `BEGIN;`/`COMMIT;` turned into dbkit's own transaction handling) and the file's text. Pure: the
//! text in, the text out.

use crate::direction::Direction;
use crate::engine::Engine;
use crate::runner::{transaction_control, TransactionControl};
use crate::sql::{self, SplitError};

/// One direction of one revision, rendered for one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// The statements, each ending with `;` and separated by a blank line.
    pub(crate) sql: String,
    /// False when Alembic ran part of it outside a transaction (`autocommit_block`).
    pub(crate) transaction: bool,
    /// Part ran in a transaction and part outside: dbkit runs the whole section statement by statement.
    pub(crate) mixed: bool,
}

/// What Alembic printed for a revision's `upgrade()` or `downgrade()` on `engine`, as a dbkit section.
///
/// Alembic's offline output wraps each revision in `BEGIN;`/`COMMIT;` on engines with transactional DDL, and
/// an `autocommit_block()` shows as `COMMIT;` … `BEGIN;` inside it. dbkit runs each section in its own
/// transaction and may not see those statements in one, so they are dropped; the statements that ran between
/// a `COMMIT;` and the next `BEGIN;` make the section `transaction:false`.
pub(crate) fn section(rendered: &str, engine: Engine) -> Result<Section, SplitError> {
    let mut sql = String::new();
    let (mut inside, mut outside) = (false, false);
    let mut autocommit = false;
    for st in sql::split(rendered, engine)? {
        // Alembic's own BEGIN and COMMIT; a ROLLBACK is the revision's, kept for the runner to refuse.
        match transaction_control(st.sql) {
            Some(TransactionControl::Begin) => autocommit = false,
            Some(TransactionControl::Commit) => autocommit = true,
            Some(TransactionControl::Rollback) | None => {
                if autocommit {
                    outside = true;
                } else {
                    inside = true;
                }
                if !sql.is_empty() {
                    sql.push('\n');
                }
                sql.push_str(st.sql);
                sql.push_str(";\n");
                if let Some(data) = st.copy_data {
                    sql.push_str(data);
                    sql.push_str("\\.\n");
                }
            }
        }
    }
    Ok(Section {
        sql,
        transaction: !outside,
        mixed: inside && outside,
    })
}

/// The sections of one direction: one plain section when every dialect gave the same SQL, else one per
/// dialect that rendered. `None` for a dialect that could not render.
pub(crate) fn sections_text(
    direction: Direction,
    rendered: &[(Engine, Option<&Section>)],
) -> String {
    let rendered_all: Vec<(Engine, &Section)> = rendered
        .iter()
        .filter_map(|(e, s)| s.map(|s| (*e, s)))
        .collect();
    let same =
        rendered_all.len() == rendered.len() && rendered_all.windows(2).all(|w| w[0].1 == w[1].1);
    let mut out = String::new();
    let mut push = |dialect: Option<Engine>, s: &Section| {
        out.push_str("-- migrate:");
        out.push_str(direction.marker());
        if let Some(d) = dialect {
            out.push(' ');
            out.push_str(d.name());
        }
        if !s.transaction {
            out.push_str(" transaction:false");
        }
        out.push('\n');
        if s.mixed {
            out.push_str(
                "-- Alembic ran part of this outside a transaction (autocommit_block), so all of it runs\n\
                 -- statement by statement here; if it fails midway, what ran before stays applied.\n",
            );
        }
        out.push_str(&s.sql);
        out.push('\n');
    };
    match rendered_all.as_slice() {
        [(_, first), ..] if same => push(None, first),
        _ => {
            for (engine, s) in &rendered_all {
                push(Some(*engine), s);
            }
        }
    }
    out
}

/// A part of a revision that Alembic could not render offline, kept in the file for a person to write.
#[derive(Debug, Clone)]
pub(crate) struct Unrendered<'a> {
    pub(crate) direction: Direction,
    pub(crate) engines: Vec<Engine>,
    pub(crate) reason: String,
    /// The Python function's source, when Alembic could give it.
    pub(crate) python: Option<&'a str>,
}

/// The `-- Unconverted:` header lines and the Python of each unrendered part, as comments; they go between
/// the header and the first marker. The Python's lines start with `--|` so that none of them reads as a
/// marker or a header key.
pub(crate) fn unconverted_text(parts: &[Unrendered<'_>]) -> String {
    let mut out = String::new();
    for part in parts {
        let engines: Vec<&str> = part.engines.iter().map(|e| e.name()).collect();
        out.push_str(&format!(
            "-- Unconverted: {} on {}: {}\n",
            part.direction.marker(),
            engines.join(", "),
            one_line(&part.reason)
        ));
    }
    for part in parts {
        if let Some(python) = part.python {
            out.push_str(&format!(
                "--\n-- The Python of the {} Alembic could not render as SQL; write its SQL in a\n\
                 -- '-- migrate:{}' section:\n",
                part.direction.verb(),
                part.direction.marker()
            ));
            for line in python.lines() {
                out.push_str("--| ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alembic_transaction_statements_are_dropped() {
        let s = section(
            "\nBEGIN;\n\nCREATE TABLE t (id INTEGER);\n\nINSERT INTO t VALUES (1);\n\nCOMMIT;\n\n",
            Engine::Postgresql,
        )
        .unwrap();
        assert_eq!(
            s.sql,
            "CREATE TABLE t (id INTEGER);\n\nINSERT INTO t VALUES (1);\n"
        );
        assert!(s.transaction);
        assert!(!s.mixed);
    }

    #[test]
    fn an_autocommit_block_makes_the_section_transactionless() {
        let alone = section(
            "\nCOMMIT;\n\nCREATE INDEX CONCURRENTLY ix ON t (a);\n\nBEGIN;\n\n",
            Engine::Postgresql,
        )
        .unwrap();
        assert_eq!(alone.sql, "CREATE INDEX CONCURRENTLY ix ON t (a);\n");
        assert!(!alone.transaction);
        assert!(!alone.mixed);
        let mixed = section(
            "ALTER TABLE t ADD b INT;\nCOMMIT;\nALTER TYPE mood ADD VALUE 'x';\nBEGIN;\n",
            Engine::Postgresql,
        )
        .unwrap();
        assert!(!mixed.transaction);
        assert!(mixed.mixed);
    }

    #[test]
    fn strings_and_function_bodies_stay_whole() {
        let s = section(
            "CREATE FUNCTION f() RETURNS int AS $$ BEGIN; RETURN 1; END $$ LANGUAGE plpgsql;\nINSERT INTO t VALUES ('COMMIT;');\n",
            Engine::Postgresql,
        )
        .unwrap();
        assert_eq!(
            s.sql,
            "CREATE FUNCTION f() RETURNS int AS $$ BEGIN; RETURN 1; END $$ LANGUAGE plpgsql;\n\nINSERT INTO t VALUES ('COMMIT;');\n"
        );
        assert!(s.transaction);
    }

    #[test]
    fn an_empty_rendering_is_an_empty_section() {
        let s = section("\n", Engine::Sqlite).unwrap();
        assert_eq!(s.sql, "");
        assert!(s.transaction);
    }

    fn plain(sql: &str) -> Section {
        Section {
            sql: sql.into(),
            transaction: true,
            mixed: false,
        }
    }

    #[test]
    fn the_same_sql_on_every_dialect_is_one_plain_section() {
        let a = plain("CREATE TABLE t (id INTEGER);\n");
        let text = sections_text(
            Direction::Up,
            &[(Engine::Sqlite, Some(&a)), (Engine::Postgresql, Some(&a))],
        );
        assert_eq!(text, "-- migrate:up\nCREATE TABLE t (id INTEGER);\n\n");
    }

    #[test]
    fn different_sql_or_a_missing_dialect_gives_sections_per_dialect() {
        let a = plain("CREATE TABLE t (id INTEGER);\n");
        let b = Section {
            sql: "CREATE INDEX CONCURRENTLY ix ON t (id);\n".into(),
            transaction: false,
            mixed: false,
        };
        let text = sections_text(
            Direction::Up,
            &[(Engine::Sqlite, Some(&a)), (Engine::Postgresql, Some(&b))],
        );
        assert_eq!(
            text,
            "-- migrate:up sqlite\nCREATE TABLE t (id INTEGER);\n\n-- migrate:up postgresql transaction:false\nCREATE INDEX CONCURRENTLY ix ON t (id);\n\n"
        );
        let one = sections_text(
            Direction::Down,
            &[(Engine::Sqlite, Some(&a)), (Engine::Postgresql, None)],
        );
        assert_eq!(
            one,
            "-- migrate:down sqlite\nCREATE TABLE t (id INTEGER);\n\n"
        );
        assert_eq!(
            sections_text(Direction::Down, &[(Engine::Sqlite, None)]),
            ""
        );
    }

    #[test]
    fn unrendered_python_is_kept_as_comments_no_line_of_which_is_a_marker() {
        let text = unconverted_text(&[Unrendered {
            direction: Direction::Up,
            engines: vec![Engine::Sqlite, Engine::Postgresql],
            reason: "AttributeError: 'NoneType' object\n has no attribute 'fetchall'".into(),
            python: Some("def upgrade():\n    migrate_down()\n    # Revision ID: x\n"),
        }]);
        assert!(text.starts_with(
            "-- Unconverted: up on sqlite, postgresql: AttributeError: 'NoneType' object has no attribute 'fetchall'\n"
        ));
        assert!(text.contains("--|     migrate_down()\n"));
        // The file still reads: the header keeps its keys, the Python stays comments.
        let file = format!("-- m\n--\n-- Revision ID: abc\n-- Revises:\n\n{text}-- migrate:down\n");
        let script = crate::script::Script::parse(std::path::Path::new("x.sql"), &file).unwrap();
        assert_eq!(script.id, "abc");
        assert!(script.depends_on.is_empty());
    }
}
