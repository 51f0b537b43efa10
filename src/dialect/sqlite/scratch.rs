//! Scratch databases: in-memory SQLite databases, on the same bundled library as every other connection,
//! that a schema is built in so that SQLite itself says what the schema is. The desired schema is the
//! schema file applied to one; the current schema is every revision's up section replayed into another, so
//! no live database is needed. Both are read back with [`inspect`], and so compare as catalogs, never as
//! text.
//!
//! Statements run as the runner runs them: with foreign keys unenforced (as every connection is opened), and
//! `PRAGMA foreign_key_check` after each revision and after the schema file, so a scratch database is one a
//! real run could have made. Replay goes through the runner's own preparation, so a revision reads here as
//! it reads in an upgrade, and a failure names the file, line and statement as the runner's do.
//!
//! [`prove`] is the last check on generated SQL: the upgrade applied to the current schema must give the
//! desired one, and the downgrade must give the current one back, or nothing is written.

use std::path::Path;
use std::time::Duration;

use super::inspect::inspect;
use super::SqliteConnection;
use crate::dburl::SqliteTarget;
use crate::dialect::{Access, Connection, DbError, SQLITE};
use crate::direction::Direction;
use crate::engine::Engine;
use crate::runner;

pub(crate) use crate::dialect::scratch::ScratchError;
use crate::dialect::scratch::{first_line, same};
#[cfg(test)]
use crate::schema::render::Plan;
use crate::schema::render::Step;
#[cfg(test)]
use crate::schema::render::{plan, Options, Renames};
use crate::schema::Schema;
use crate::scripts::Scripts;

/// An empty in-memory database.
pub fn open() -> Result<SqliteConnection, ScratchError> {
    SqliteConnection::open(
        &SqliteTarget::Memory,
        Duration::ZERO,
        Access::CreateIfMissing,
    )
    .map_err(|e| ScratchError::Open(Box::new(e)))
}

/// Runs the SQL of a schema file (`path` names it in errors), then checks its foreign keys.
pub fn apply_schema(
    conn: &mut SqliteConnection,
    path: &Path,
    text: &str,
) -> Result<(), ScratchError> {
    let statements =
        crate::sql::split(text, Engine::Sqlite).map_err(|source| ScratchError::Split {
            path: path.to_path_buf(),
            source,
        })?;
    for st in &statements {
        conn.batch(st.sql)
            .map_err(|cause| ScratchError::Statement {
                path: path.to_path_buf(),
                line: st.line,
                statement: first_line(st.sql),
                cause,
            })?;
    }
    let shown = crate::error::DanglingReferences::SHOWN;
    let references = conn
        .dangling_references(shown)
        .map_err(crate::Error::db("could not check the foreign keys"))?;
    if !references.is_empty() {
        return Err(ScratchError::DanglingReferences {
            path: path.to_path_buf(),
            references: references
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    Ok(())
}

/// Replays the up section of every revision, from base to the heads, as an upgrade would run them.
pub(crate) fn replay(
    conn: &mut SqliteConnection,
    scripts: &Scripts,
    steps: Vec<crate::graph::Step>,
) -> Result<(), ScratchError> {
    for p in runner::prepare(scripts, &SQLITE, steps)? {
        for st in &p.statements {
            conn.batch(&st.sql)
                .map_err(|cause| runner::failed_statement(&p, st, cause))?;
        }
        runner::check_references(conn, &p)?;
    }
    Ok(())
}

/// The desired schema: the schema file applied to a new scratch database, with that database. The verbs
/// apply a schema directory file by file through [`apply_schema`]; this is the one-file form the tests use.
#[cfg(test)]
pub fn desired(path: &Path, text: &str) -> Result<(SqliteConnection, Schema), ScratchError> {
    let mut conn = open()?;
    apply_schema(&mut conn, path, text)?;
    let schema = inspect(&conn)?;
    Ok((conn, schema))
}

/// The current schema: every revision replayed into a new scratch database, with that database.
#[cfg(test)]
pub(crate) fn current(scripts: &Scripts) -> Result<(SqliteConnection, Schema), ScratchError> {
    let mut conn = open()?;
    replay(
        &mut conn,
        scripts,
        crate::dialect::scratch::upgrade_steps(scripts, None)?,
    )?;
    let schema = inspect(&conn)?;
    Ok((conn, schema))
}

/// Plans the migration from the schema in `conn` to `desired` and proves it on `conn`: the upgrade must
/// turn it into `desired` and the downgrade must turn it back. `conn` is left as it was (at the current
/// schema) when the proof holds. The verbs plan and [`verify`] in two steps; this is the form the tests use.
#[cfg(test)]
pub fn prove(
    conn: &mut SqliteConnection,
    desired: &Schema,
    renames: &Renames,
) -> Result<Plan, ScratchError> {
    let current = inspect(conn)?;
    let migration = plan(&current, desired, renames, Options::default());
    verify(conn, &current, desired, &migration)?;
    Ok(migration)
}

/// The proof of [`prove`] for a migration already planned from `current`, the schema `conn` holds.
#[cfg(test)]
pub fn verify(
    conn: &mut SqliteConnection,
    current: &Schema,
    desired: &Schema,
    migration: &Plan,
) -> Result<(), ScratchError> {
    prove_steps(conn, &migration.up, Direction::Up, desired)?;
    prove_steps(conn, &migration.down, Direction::Down, current)
}

/// Proves one direction of a migration: `steps` run on `conn` must give exactly `wanted`.
pub fn prove_steps(
    conn: &mut SqliteConnection,
    steps: &[Step],
    direction: Direction,
    wanted: &Schema,
) -> Result<(), ScratchError> {
    apply(conn, steps, direction)?;
    same(&inspect(conn)?, wanted, direction)
}

/// Runs generated steps as a revision runs: in one transaction, foreign keys checked before it commits.
fn apply(
    conn: &mut SqliteConnection,
    steps: &[Step],
    direction: Direction,
) -> Result<(), ScratchError> {
    let failed = |statement: &str| {
        let statement = first_line(statement);
        move |cause| ScratchError::Generated {
            direction,
            statement,
            cause,
        }
    };
    conn.batch(SQLITE.begin).map_err(failed("BEGIN"))?;
    let ran = (|| {
        for sql in steps.iter().flat_map(|s| &s.statements) {
            conn.batch(sql).map_err(failed(sql))?;
        }
        let references = conn
            .dangling_references(1)
            .map_err(failed("PRAGMA foreign_key_check"))?;
        if let Some(r) = references.first() {
            return Err(ScratchError::Generated {
                direction,
                statement: "PRAGMA foreign_key_check".into(),
                cause: DbError {
                    message: r.to_string(),
                    code: None,
                },
            });
        }
        conn.batch("COMMIT").map_err(failed("COMMIT"))
    })();
    if ran.is_err() {
        let _ = conn.batch("ROLLBACK");
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::render::{ColumnRename, Hazard, TableRename};
    use crate::schema::ObjectName;

    fn database(sql: &str) -> SqliteConnection {
        let mut conn = open().unwrap();
        apply_schema(&mut conn, Path::new("current.sql"), sql).unwrap();
        conn
    }

    fn schema_of(sql: &str) -> Schema {
        desired(Path::new("schema.sql"), sql).unwrap().1
    }

    /// Proves the migration both ways between two schemas and returns it.
    fn proven(current: &str, desired: &str) -> Plan {
        let mut conn = database(current);
        let migration = prove(&mut conn, &schema_of(desired), &Renames::default())
            .unwrap_or_else(|e| panic!("{current}\n=>\n{desired}\n: {e}"));
        assert!(
            !migration.is_empty(),
            "{current}\n=>\n{desired}\n: no change"
        );
        migration
    }

    fn statements(steps: &[Step]) -> Vec<&str> {
        steps
            .iter()
            .flat_map(|s| &s.statements)
            .map(String::as_str)
            .collect()
    }

    fn hazards(steps: &[Step]) -> Vec<&Hazard> {
        steps.iter().flat_map(|s| &s.hazards).collect()
    }

    fn rows(conn: &SqliteConnection, sql: &str) -> Vec<String> {
        let mut stmt = conn.inner().prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join("|"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    const PARENT: &str = "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);";

    #[test]
    fn every_kind_of_object_is_added_and_dropped_both_ways() {
        let cases = [
            ("", PARENT),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, note TEXT DEFAULT 'none');",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, n INTEGER NOT NULL DEFAULT -1);",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, at TEXT DEFAULT CURRENT_TIMESTAMP);",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, k TEXT NOT NULL);",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, up TEXT GENERATED ALWAYS AS (upper(name)));",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, up TEXT AS (upper(name)) STORED);",
            ),
            (
                PARENT,
                &format!("{PARENT} CREATE INDEX parent_name ON parent (name COLLATE NOCASE DESC);"),
            ),
            (
                PARENT,
                &format!("{PARENT} CREATE UNIQUE INDEX parent_lower ON parent (lower(name)) WHERE name IS NOT NULL;"),
            ),
            (
                &format!("{PARENT} CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER);"),
                &format!("{PARENT} CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);"),
            ),
            (
                &format!("{PARENT} CREATE TABLE child (id INTEGER PRIMARY KEY);"),
                &format!("{PARENT} CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));"),
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, CONSTRAINT one_name UNIQUE (name));",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT CHECK (length(name) > 0));",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT) STRICT, WITHOUT ROWID;",
            ),
            (
                PARENT,
                "CREATE TABLE parent (id INTEGER, name TEXT NOT NULL COLLATE NOCASE, PRIMARY KEY (id, name));",
            ),
            (PARENT, &format!("{PARENT} CREATE VIEW names AS SELECT name FROM parent;")),
            (
                PARENT,
                &format!("{PARENT} CREATE TRIGGER parent_ins AFTER INSERT ON parent BEGIN UPDATE parent SET name = trim(name) WHERE id = new.id; END;"),
            ),
            (
                PARENT,
                &format!("{PARENT} CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter');"),
            ),
            (
                "CREATE TABLE \"order\" (\"from\" TEXT, \"a b\" INTEGER);",
                "CREATE TABLE \"order\" (\"from\" TEXT NOT NULL DEFAULT '', \"a b\" INTEGER);",
            ),
        ];
        for (before, after) in cases {
            proven(before, after);
            proven(after, before);
        }
    }

    #[test]
    fn alter_table_is_used_where_sqlite_can_and_a_rebuild_elsewhere() {
        let m = proven(
            PARENT,
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, note TEXT DEFAULT 'none');",
        );
        assert_eq!(
            statements(&m.up),
            ["ALTER TABLE parent ADD COLUMN note TEXT DEFAULT 'none'"]
        );
        assert_eq!(statements(&m.down), ["ALTER TABLE parent DROP COLUMN note"]);
        assert_eq!(
            hazards(&m.down),
            [&Hazard::DropsColumn {
                table: ObjectName::bare("parent"),
                column: "note".into()
            }]
        );

        let child = "CREATE TABLE child (id INTEGER PRIMARY KEY";
        let m = proven(
            &format!("{PARENT} {child});"),
            &format!("{PARENT} {child}, parent_id INTEGER REFERENCES parent (id));"),
        );
        assert_eq!(
            statements(&m.up),
            ["ALTER TABLE child ADD COLUMN parent_id INTEGER REFERENCES parent (id)"]
        );

        let m = proven(
            PARENT,
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');",
        );
        assert_eq!(
            statements(&m.up),
            [
                "CREATE TABLE new_parent (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL DEFAULT ''\n)",
                "INSERT INTO new_parent (id, name)\nSELECT id, coalesce(name, '')\nFROM parent",
                "DROP TABLE parent",
                "ALTER TABLE new_parent RENAME TO parent",
            ]
        );
        assert_eq!(
            hazards(&m.up),
            [&Hazard::RebuildsTable {
                table: ObjectName::bare("parent")
            }]
        );
        let m = proven(
            PARENT,
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        );
        assert!(hazards(&m.up).contains(&&Hazard::NotNullWithoutDefault {
            table: ObjectName::bare("parent"),
            column: "name".into()
        }));
    }

    #[test]
    fn a_not_null_change_keeps_every_row_and_every_object() {
        let around = "
            CREATE INDEX parent_name ON parent (name);
            CREATE TRIGGER parent_audit AFTER UPDATE ON parent BEGIN INSERT INTO audit (what) VALUES (new.name); END;
            CREATE VIEW parent_names AS SELECT id, name FROM parent;
            CREATE VIEW parent_names_2 AS SELECT * FROM parent_names;
            CREATE TABLE audit (what TEXT);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);
            CREATE INDEX child_parent ON child (parent_id);";
        let current = format!("{PARENT}{around}");
        let desired = format!(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'anonymous');{around}"
        );
        let mut conn = database(&current);
        conn.batch(
            "INSERT INTO parent VALUES (1, 'a'), (2, NULL), (3, 'c');
             INSERT INTO child VALUES (10, 1), (20, 2), (30, 2), (40, 3);
             INSERT INTO audit VALUES ('seed');",
        )
        .unwrap();
        let wanted = schema_of(&desired);
        let migration = prove(&mut conn, &wanted, &Renames::default()).unwrap();
        assert!(hazards(&migration.up).contains(&&Hazard::RebuildsTable {
            table: ObjectName::bare("parent")
        }));
        // The proof went up and down again; go up once more and look at the rows.
        apply(&mut conn, &migration.up, Direction::Up).unwrap();
        assert_eq!(inspect(&conn).unwrap(), wanted);
        assert_eq!(
            rows(&conn, "SELECT id, name FROM parent ORDER BY id"),
            [
                "Integer(1)|Text(\"a\")",
                "Integer(2)|Text(\"anonymous\")",
                "Integer(3)|Text(\"c\")"
            ]
        );
        assert_eq!(
            rows(&conn, "SELECT id, parent_id FROM child ORDER BY id"),
            [
                "Integer(10)|Integer(1)",
                "Integer(20)|Integer(2)",
                "Integer(30)|Integer(2)",
                "Integer(40)|Integer(3)"
            ]
        );
        assert_eq!(rows(&conn, "SELECT what FROM audit"), ["Text(\"seed\")"]);
        assert_eq!(
            rows(&conn, "SELECT count(*) FROM parent_names_2"),
            ["Integer(3)"]
        );
        // The trigger, the view and the cascade all still work on the new table.
        conn.batch("PRAGMA foreign_keys = ON; UPDATE parent SET name = 'b' WHERE id = 2; DELETE FROM parent WHERE id = 2;")
            .unwrap();
        assert_eq!(
            rows(&conn, "SELECT what FROM audit ORDER BY rowid"),
            ["Text(\"seed\")", "Text(\"b\")"]
        );
        assert_eq!(rows(&conn, "SELECT count(*) FROM child"), ["Integer(2)"]);
    }

    #[test]
    fn a_given_column_rename_is_a_rename_and_keeps_the_values() {
        let rename = Renames {
            tables: vec![],
            columns: vec![ColumnRename {
                table: ObjectName::bare("parent"),
                from: "name".into(),
                to: "handle".into(),
            }],
        };
        let current = format!("{PARENT} CREATE INDEX parent_name ON parent (name);");
        let desired = "CREATE TABLE parent (id INTEGER PRIMARY KEY, handle TEXT);
            CREATE INDEX parent_name ON parent (handle);";
        let mut conn = database(&current);
        conn.batch("INSERT INTO parent VALUES (1, 'a'), (2, 'b')")
            .unwrap();
        let m = prove(&mut conn, &schema_of(desired), &rename).unwrap();
        assert_eq!(
            statements(&m.up),
            [
                "DROP INDEX parent_name",
                "ALTER TABLE parent RENAME COLUMN name TO handle",
                "CREATE INDEX parent_name ON parent (handle)",
            ]
        );
        assert_eq!(
            statements(&m.down)[1],
            "ALTER TABLE parent RENAME COLUMN handle TO name"
        );
        assert_eq!(hazards(&m.up), Vec::<&Hazard>::new());
        apply(&mut conn, &m.up, Direction::Up).unwrap();
        assert_eq!(
            rows(&conn, "SELECT handle FROM parent ORDER BY id"),
            ["Text(\"a\")", "Text(\"b\")"]
        );

        // A rename in a table that is rebuilt anyway is copied from the old column.
        let desired = "CREATE TABLE parent (id INTEGER PRIMARY KEY, handle TEXT, CHECK (id > 0));";
        let mut conn = database(PARENT);
        conn.batch("INSERT INTO parent VALUES (1, 'a'), (2, 'b')")
            .unwrap();
        let m = prove(&mut conn, &schema_of(desired), &rename).unwrap();
        assert!(!hazards(&m.up)
            .iter()
            .any(|h| matches!(h, Hazard::DropsColumn { .. })));
        apply(&mut conn, &m.up, Direction::Up).unwrap();
        assert_eq!(
            rows(&conn, "SELECT handle FROM parent ORDER BY id"),
            ["Text(\"a\")", "Text(\"b\")"]
        );

        // Without the rename, the same change drops the column and its values.
        let m = proven(
            PARENT,
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, handle TEXT);",
        );
        assert_eq!(
            statements(&m.up),
            [
                "ALTER TABLE parent DROP COLUMN name",
                "ALTER TABLE parent ADD COLUMN handle TEXT",
            ]
        );
    }

    #[test]
    fn a_given_table_rename_is_a_rename_and_keeps_the_rows() {
        let rename = Renames {
            tables: vec![TableRename {
                from: ObjectName::bare("parent"),
                to: ObjectName::bare("people"),
            }],
            columns: vec![],
        };
        let around = |t: &str| {
            format!(
                "CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT);
                 CREATE INDEX parent_name ON {t} (name);
                 CREATE INDEX parent_lower ON {t} (lower(name));
                 CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES {t} (id) ON DELETE CASCADE);
                 CREATE VIEW names AS SELECT name FROM {t};"
            )
        };
        let desired = around("people").replace(
            "CREATE INDEX parent_lower ON people (lower(name));",
            "CREATE INDEX parent_lower ON people (upper(name));",
        );
        let mut conn = database(&around("parent"));
        conn.batch(
            "INSERT INTO parent VALUES (1, 'a'), (2, 'b'); INSERT INTO child VALUES (10, 1), (20, 2);",
        )
        .unwrap();
        let wanted = schema_of(&desired);
        let m = prove(&mut conn, &wanted, &rename).unwrap();
        let up = statements(&m.up);
        assert!(
            up.contains(&"ALTER TABLE parent RENAME TO people"),
            "{up:#?}"
        );
        assert!(up.contains(&"DROP INDEX parent_lower"), "{up:#?}");
        assert!(
            !up.iter().any(|s| s.contains("CREATE TABLE people")),
            "{up:#?}"
        );
        assert!(!hazards(&m.up)
            .iter()
            .chain(hazards(&m.down).iter())
            .any(|h| matches!(h, Hazard::DropsTable { .. })));
        apply(&mut conn, &m.up, Direction::Up).unwrap();
        assert_eq!(inspect(&conn).unwrap(), wanted);
        assert_eq!(rows(&conn, "SELECT count(*) FROM people"), ["Integer(2)"]);
        assert_eq!(rows(&conn, "SELECT count(*) FROM child"), ["Integer(2)"]);
    }

    #[test]
    fn foreign_key_cycles_are_created_and_dropped() {
        let cycle = "
            CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id));
            CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));";
        proven("", cycle);
        proven(cycle, "");
        // A cycle closed by a column added to a table that exists.
        proven(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b (id));
             CREATE TABLE b (id INTEGER PRIMARY KEY);",
            cycle,
        );
    }

    #[test]
    fn shadow_tables_never_appear() {
        let fts = "CREATE VIRTUAL TABLE docs USING fts5(title, body);";
        let m = proven(fts, &format!("{fts} {PARENT}"));
        let m2 = proven("", fts);
        for sql in statements(&m.up)
            .into_iter()
            .chain(statements(&m.down))
            .chain(statements(&m2.up))
            .chain(statements(&m2.down))
        {
            assert!(!sql.contains("docs_"), "{sql}");
        }
        assert_eq!(
            statements(&m2.up),
            ["CREATE VIRTUAL TABLE docs USING fts5(title, body)"]
        );
        assert_eq!(
            hazards(&m2.down),
            [&Hazard::DropsTable {
                table: ObjectName::bare("docs")
            }]
        );
    }

    #[test]
    fn a_proof_that_fails_names_what_is_still_different() {
        let e = same(&schema_of(""), &schema_of(PARENT), Direction::Down).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the generated downgrade does not give the schema it was generated for; still different:\n\
             CREATE TABLE parent (\n    id INTEGER PRIMARY KEY,\n    name TEXT\n);"
        );
    }

    #[test]
    fn equal_schemas_need_nothing() {
        let text = format!("{PARENT} CREATE VIEW v AS SELECT * FROM parent;");
        let mut conn = database(&text);
        assert!(prove(&mut conn, &schema_of(&text), &Renames::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_failing_schema_statement_names_the_file_and_line() {
        let mut conn = open().unwrap();
        let e = apply_schema(
            &mut conn,
            Path::new("schema.sql"),
            "CREATE TABLE a (id INTEGER);\n\nCREATE TABLE a (id INTEGER);",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "schema.sql:3: `CREATE TABLE a (id INTEGER)` failed: table a already exists"
        );
        let e = apply_schema(&mut conn, Path::new("schema.sql"), "SELECT 'x").unwrap_err();
        assert_eq!(e.to_string(), "schema.sql:1: unterminated quoted string");
        let e = apply_schema(
            &mut open().unwrap(),
            Path::new("schema.sql"),
            "CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE c (p INTEGER REFERENCES p (id));
             INSERT INTO c VALUES (7);",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("schema.sql: PRAGMA foreign_key_check: table 'c'"),
            "{e}"
        );
    }

    #[test]
    fn the_example_revisions_replay_into_the_schema_they_build() {
        let versions = Path::new(env!("CARGO_MANIFEST_DIR")).join("alembic/versions");
        let scripts = Scripts::load(&[versions]).unwrap();
        let (_conn, schema) = current(&scripts).unwrap();
        assert!(schema.table(&ObjectName::bare("users")).is_some());
        assert!(schema.table(&ObjectName::bare("notes")).is_some());
        // The replayed database is a starting point like any other: nothing is needed to reach itself.
        let (mut conn, schema) = current(&scripts).unwrap();
        assert!(prove(&mut conn, &schema, &Renames::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_failing_revision_names_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.sql"),
            "-- a\n--\n-- Revision ID: a\n-- Revises:\n\n-- migrate:up\nCREATE TABLE t (id INTEGER);\nCREATE TABLE t (id INTEGER);\n\n-- migrate:down\nDROP TABLE t;\n",
        )
        .unwrap();
        let scripts = Scripts::load(&[dir.path().to_path_buf()]).unwrap();
        let e = current(&scripts).err().unwrap().to_string();
        assert!(
            e.contains("a.sql:8: upgrade of revision 'a' failed at `CREATE TABLE t (id INTEGER)`: table t already exists"),
            "{e}"
        );
    }
}
