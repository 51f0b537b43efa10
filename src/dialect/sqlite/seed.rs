//! Rows for `verify` to watch: SQLite changes most of a table's definition by rebuilding it (create a copy,
//! copy the rows, drop the original, rename the copy), and a rebuild that forgets a column in its copy, or
//! copies with a filter, loses rows without any error. So before each revision runs, every empty table gets
//! one row, and `verify` counts the rows after each step.
//!
//! The row is generic: a column with a default, a generated column, and a nullable column outside the
//! primary key are left to the database (the default, the expression, NULL); a key column (primary or
//! foreign) gets [`KEY`], or `'dbkit'` when its type is text, so that a foreign key finds the row seeded into
//! the table it references; any other NOT NULL column gets 1, or `'dbkit'`. A table whose constraints or
//! triggers refuse that row stays empty, and so does one whose row would point at no parent row (the row is
//! taken out again, so `PRAGMA foreign_key_check` stays clean).

use std::collections::BTreeMap;

use super::SqliteConnection;
use crate::dialect::{quote_literal, Connection, DbError};
use crate::schema::name::bare_or_quoted;
use crate::schema::{ColumnValue, ObjectName, Schema, Table};

/// A seeded key's integer value: far from the small ids a revision's own data is likely to insert.
pub(crate) const KEY: i64 = 1_000_000_007;

/// The text every seeded text column gets.
const TEXT: &str = "dbkit";

/// How many tables one counting query reads (SQLite allows 2,000 result columns by default).
const COUNTED_AT_ONCE: usize = 500;

/// The rows of each table of `schema`, after giving each empty one a row where it can take one.
pub(crate) fn seed(
    conn: &mut SqliteConnection,
    schema: &Schema,
) -> Result<BTreeMap<ObjectName, u64>, DbError> {
    let tables: Vec<&Table> = schema.tables().collect();
    let names: Vec<&ObjectName> = tables.iter().map(|t| &t.name).collect();
    let mut counts = row_counts(conn, &names)?;
    let mut seeded = Vec::new();
    for table in tables {
        if counts.get(&table.name) != Some(&0) {
            continue;
        }
        // A refused row is a table left empty, not an error: the constraint that refused it is the
        // revision's own business.
        if conn.batch(&insert(table)).is_ok() {
            seeded.push(&table.name);
        }
    }
    // A row whose foreign key found no seeded parent is taken out again; taking it out may orphan a row
    // that referenced it in turn, so this repeats until nothing seeded dangles.
    loop {
        let dangling = conn.dangling_references(usize::MAX >> 1)?;
        let orphans: Vec<&ObjectName> = seeded
            .iter()
            .copied()
            .filter(|name| dangling.iter().any(|d| d.table == name.name))
            .collect();
        if orphans.is_empty() {
            break;
        }
        for name in &orphans {
            conn.batch(&format!("DELETE FROM {}", quoted(name)))?;
        }
        seeded.retain(|name| !orphans.contains(name));
    }
    for name in seeded {
        counts.insert(name.clone(), 1);
    }
    Ok(counts)
}

/// The number of rows in each of `tables`.
pub(crate) fn row_counts(
    conn: &mut SqliteConnection,
    tables: &[&ObjectName],
) -> Result<BTreeMap<ObjectName, u64>, DbError> {
    let mut counts = BTreeMap::new();
    for chunk in tables.chunks(COUNTED_AT_ONCE) {
        let sql = chunk
            .iter()
            .map(|name| format!("(SELECT count(*) FROM {})", quoted(name)))
            .collect::<Vec<_>>()
            .join(", ");
        let row = conn.query(&format!("SELECT {sql}"))?;
        let values = row.into_iter().next().unwrap_or_default();
        for (name, value) in chunk.iter().zip(values) {
            let n = value.and_then(|v| v.parse().ok()).unwrap_or(0);
            counts.insert((*name).clone(), n);
        }
    }
    Ok(counts)
}

fn quoted(name: &ObjectName) -> String {
    bare_or_quoted(&name.name, false)
}

/// The INSERT of a table's generic row.
fn insert(table: &Table) -> String {
    let key = |column: &str| {
        let eq = |c: &str| c.eq_ignore_ascii_case(column);
        table
            .primary_key
            .as_ref()
            .is_some_and(|k| k.columns.iter().any(|k| eq(&k.column)))
            || table
                .foreign_keys
                .iter()
                .any(|f| f.columns.iter().any(|c| eq(c)))
    };
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in &table.columns {
        let key = key(&column.name);
        let given = match column.value {
            ColumnValue::None | ColumnValue::Identity(_) => key || !column.nullable,
            ColumnValue::Default(_) => key,
            ColumnValue::Generated { .. } => false,
        };
        if !given {
            continue;
        }
        let text = column
            .data_type
            .as_deref()
            .is_some_and(|t| ["CHAR", "CLOB", "TEXT"].iter().any(|a| t.contains(a)));
        columns.push(bare_or_quoted(&column.name, false));
        values.push(match (text, key) {
            (true, _) => quote_literal(TEXT),
            (false, true) => KEY.to_string(),
            (false, false) => "1".to_string(),
        });
    }
    if columns.is_empty() {
        return format!("INSERT INTO {} DEFAULT VALUES", quoted(&table.name));
    }
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quoted(&table.name),
        columns.join(", "),
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::sqlite::{inspect::inspect, scratch};
    use std::path::Path;

    fn database(sql: &str) -> (SqliteConnection, Schema) {
        let mut conn = scratch::open().unwrap();
        scratch::apply_schema(&mut conn, Path::new("schema.sql"), sql).unwrap();
        let schema = inspect(&conn).unwrap();
        (conn, schema)
    }

    fn counted(counts: &BTreeMap<ObjectName, u64>) -> Vec<(String, u64)> {
        counts.iter().map(|(n, c)| (n.name.clone(), *c)).collect()
    }

    #[test]
    fn every_empty_table_that_can_take_a_generic_row_gets_one_and_references_line_up() {
        let (mut conn, schema) = database(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, bio TEXT, \
                 score INTEGER NOT NULL DEFAULT 0, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
             CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), \
                 body TEXT NOT NULL, words INTEGER GENERATED ALWAYS AS (length(body)));
             CREATE TABLE tags (name TEXT PRIMARY KEY, note_id INTEGER REFERENCES notes (id)) WITHOUT ROWID;
             CREATE TABLE picky (n INTEGER NOT NULL CHECK (n > 5));
             CREATE TABLE orphan (parent_id INTEGER NOT NULL REFERENCES missing (id));
             CREATE TABLE full (id INTEGER PRIMARY KEY);
             INSERT INTO full (id) VALUES (1), (2);",
        );
        let counts = seed(&mut conn, &schema).unwrap();
        assert_eq!(
            counted(&counts),
            [
                ("full".into(), 2),
                ("notes".into(), 1),
                ("orphan".into(), 0),
                ("picky".into(), 0),
                ("tags".into(), 1),
                ("users".into(), 1),
            ]
        );
        assert!(conn.dangling_references(1).unwrap().is_empty());
        let note = conn
            .query("SELECT user_id, body, words FROM notes")
            .unwrap();
        assert_eq!(
            note,
            [[
                Some(KEY.to_string()),
                Some("dbkit".into()),
                Some("5".into())
            ]]
        );
        // Seeding again adds nothing: only empty tables take a row.
        assert_eq!(seed(&mut conn, &schema).unwrap(), counts);
    }
}
