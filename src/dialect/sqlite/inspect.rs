//! Reads a SQLite database's catalog into the [`Schema`] model. What SQLite reports through its pragmas
//! (columns, declared types, nullability, defaults, key order, index columns, foreign keys and their
//! actions, table kinds and options) is taken from the pragmas; what exists only in the stored CREATE text
//! (CHECK, constraint names, collations, AUTOINCREMENT, generated expressions, DEFERRABLE, index expressions
//! and predicates, view queries, trigger bodies, virtual-table arguments) is read from it by
//! [`crate::schema::sqlite_ddl`], and where both say something they must agree.
//!
//! Only the `main` database is read. SQLite's own objects (`sqlite_*`) and the shadow tables a virtual
//! table keeps its data in are not part of a schema. Anything else it cannot read is an error naming the
//! object: a schema that silently left something out would make a diff that drops it.

use std::collections::HashMap;

use thiserror::Error;

use crate::dialect::sqlite::SqliteConnection;
use crate::engine::Engine;
use crate::schema::sqlite_ddl::{self, DdlError};
use crate::schema::{
    Column, ColumnValue, Columns, FkAction, ForeignKey, Index, IndexKey, IndexPart, ModelError,
    ObjectName, PrimaryKey, Schema, Sql, Storage, Table, TableOptions, Trigger, TriggerName, View,
    VirtualTable,
};

#[derive(Debug, Error)]
pub enum InspectError {
    #[error("could not read the schema: {0}")]
    Query(#[from] rusqlite::Error),
    #[error("cannot read {kind} '{name}': {what} is not supported yet")]
    Unsupported {
        kind: &'static str,
        name: String,
        what: String,
    },
    #[error("cannot read the CREATE text of {kind} '{name}': {source}")]
    Text {
        kind: &'static str,
        name: String,
        source: DdlError,
    },
    #[error(
        "cannot read {kind} '{name}': its CREATE text and SQLite's catalog disagree on {what}"
    )]
    Disagree {
        kind: &'static str,
        name: String,
        what: &'static str,
    },
    #[error("cannot read the schema: {0}")]
    Model(#[from] ModelError),
}

/// One row of `sqlite_schema`.
struct Entry {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

/// Tables and indexes already read, by their CREATE text. Everything SQLite's pragmas say of a table is
/// derived from its CREATE text, and of an index from its own and its table's, so an object whose text has
/// not changed reads the same again. A scratch database keeps one: `verify` and `ensure` read its schema after
/// every revision, and a revision changes a table or two of many.
#[derive(Default)]
pub struct Cache {
    /// By name and CREATE text.
    tables: HashMap<(String, String), Table>,
    /// By name, CREATE text and the CREATE text of its table.
    indexes: HashMap<(String, String, String), Index>,
}

/// What `cache` holds under `key`, else what `read` gives, kept there.
fn cached<K: std::hash::Hash + Eq, V: Clone>(
    cache: &mut HashMap<K, V>,
    key: K,
    read: impl FnOnce() -> Result<V, InspectError>,
) -> Result<V, InspectError> {
    if let Some(v) = cache.get(&key) {
        return Ok(v.clone());
    }
    let v = read()?;
    cache.insert(key, v.clone());
    Ok(v)
}

/// Reads the schema of the connection's `main` database.
pub fn inspect(conn: &SqliteConnection) -> Result<Schema, InspectError> {
    read(conn, None)
}

/// Reads the schema as [`inspect`] does, reading again only the tables and indexes that `cache` does not
/// hold as they are now, and keeping those in it.
pub fn inspect_cached(conn: &SqliteConnection, cache: &mut Cache) -> Result<Schema, InspectError> {
    read(conn, Some(cache))
}

fn read(conn: &SqliteConnection, mut cache: Option<&mut Cache>) -> Result<Schema, InspectError> {
    let conn = conn.inner();
    let kinds: HashMap<String, String> = conn
        .prepare("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let entries: Vec<Entry> = conn
        .prepare(
            "SELECT type, name, tbl_name, sql FROM main.sqlite_schema \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?
        .query_map([], |r| {
            Ok(Entry {
                kind: r.get(0)?,
                name: r.get(1)?,
                table: r.get(2)?,
                sql: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;

    let mut schema = Schema::new(Engine::Sqlite);
    // Relations first, so that indexes and triggers find what they belong to.
    for e in entries
        .iter()
        .filter(|e| matches!(e.kind.as_str(), "table" | "view"))
    {
        let sql = text_of(e)?;
        if e.kind == "view" {
            schema.add(view(e, sql)?)?;
            continue;
        }
        match kinds.get(&e.name).map(String::as_str) {
            Some("table") => {
                let table = match cache.as_deref_mut() {
                    None => table(conn, e, sql)?,
                    Some(cache) => {
                        cached(&mut cache.tables, (e.name.clone(), sql.to_string()), || {
                            table(conn, e, sql)
                        })?
                    }
                };
                schema.add(table)?
            }
            Some("virtual") => schema.add(virtual_table(e, sql)?)?,
            Some("shadow") => {}
            other => {
                return Err(InspectError::Unsupported {
                    kind: "table",
                    name: e.name.clone(),
                    what: format!("a table of type '{}'", other.unwrap_or("unknown")),
                })
            }
        }
    }
    canonical_references(&mut schema);
    // Each table's CREATE text, by name in lower case, for the indexes' keys in the cache.
    let table_texts: HashMap<String, &str> = match cache.is_some() {
        true => entries
            .iter()
            .filter(|e| e.kind == "table")
            .map(|e| (e.name.to_ascii_lowercase(), e.sql.as_deref().unwrap_or("")))
            .collect(),
        false => HashMap::new(),
    };
    for e in &entries {
        match e.kind.as_str() {
            "table" | "view" => {}
            "index" => {
                let sql = text_of(e)?;
                let index = match cache.as_deref_mut() {
                    None => index(conn, e, sql)?,
                    Some(cache) => {
                        let table_sql = table_texts
                            .get(&e.table.to_ascii_lowercase())
                            .copied()
                            .unwrap_or_default();
                        let key = (e.name.clone(), sql.to_string(), table_sql.to_string());
                        cached(&mut cache.indexes, key, || index(conn, e, sql))?
                    }
                };
                let Some(table) = schema.table_mut(&relation_named(&schema, &e.table)) else {
                    let on = match kinds.get(&e.table).map(String::as_str) {
                        Some("shadow") => "the shadow table ",
                        Some("virtual") => "the virtual table ",
                        _ => "",
                    };
                    return Err(InspectError::Unsupported {
                        kind: "index",
                        name: e.name.clone(),
                        what: format!("an index on {on}'{}'", e.table),
                    });
                };
                table.indexes.insert(index.name.clone(), index);
            }
            "trigger" => {
                let definition =
                    sqlite_ddl::trigger(text_of(e)?).map_err(|source| InspectError::Text {
                        kind: "trigger",
                        name: e.name.clone(),
                        source,
                    })?;
                schema.add_trigger(Trigger {
                    name: TriggerName {
                        on: relation_named(&schema, &e.table),
                        name: e.name.clone(),
                    },
                    definition,
                })?;
            }
            other => {
                return Err(InspectError::Unsupported {
                    kind: "object",
                    name: e.name.clone(),
                    what: format!("an object of type '{other}'"),
                })
            }
        }
    }
    Ok(schema)
}

/// The relation `name` refers to. SQLite finds names without regard to ASCII case and keeps a trigger's
/// `ON` name as written, so `ON Parent` is a trigger on `parent`.
fn relation_named(schema: &Schema, name: &str) -> ObjectName {
    schema
        .relations()
        .map(|r| r.name())
        .find(|n| n.name.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| ObjectName::bare(name))
}

/// Foreign keys name the table and columns they reference as written (`REFERENCES PARENT(ID)`); they are
/// given the referenced table's own spelling where that table exists, so the spelling is not a difference.
fn canonical_references(schema: &mut Schema) {
    let tables: HashMap<String, (ObjectName, Vec<String>)> = schema
        .tables()
        .map(|t| {
            let columns = t.columns.iter().map(|c| c.name.clone()).collect();
            (t.name.name.to_ascii_lowercase(), (t.name.clone(), columns))
        })
        .collect();
    for (name, _) in tables.values() {
        let Some(table) = schema.table_mut(name) else {
            continue;
        };
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut fk| {
                if let Some((target, columns)) =
                    tables.get(&fk.references.name.to_ascii_lowercase())
                {
                    fk.references = target.clone();
                    for c in &mut fk.referenced_columns {
                        if let Some(own) = columns.iter().find(|own| own.eq_ignore_ascii_case(c)) {
                            c.clone_from(own);
                        }
                    }
                }
                fk
            })
            .collect();
    }
}

fn kind_of(e: &Entry) -> &'static str {
    match e.kind.as_str() {
        "table" => "table",
        "view" => "view",
        "index" => "index",
        "trigger" => "trigger",
        _ => "object",
    }
}

fn text_of(e: &Entry) -> Result<&str, InspectError> {
    e.sql.as_deref().ok_or_else(|| InspectError::Unsupported {
        kind: kind_of(e),
        name: e.name.clone(),
        what: "an object without CREATE text".into(),
    })
}

fn text_error(e: &Entry) -> impl Fn(DdlError) -> InspectError + '_ {
    move |source| InspectError::Text {
        kind: kind_of(e),
        name: e.name.clone(),
        source,
    }
}

fn disagree(e: &Entry, what: &'static str) -> InspectError {
    InspectError::Disagree {
        kind: kind_of(e),
        name: e.name.clone(),
        what,
    }
}

fn table(conn: &rusqlite::Connection, e: &Entry, sql: &str) -> Result<Table, InspectError> {
    let text = sqlite_ddl::table(sql).map_err(text_error(e))?;
    let (strict, without_rowid): (bool, bool) = conn.query_row(
        "SELECT strict, wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
        [&e.name],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;

    struct Info {
        name: String,
        data_type: String,
        not_null: bool,
        default: Option<String>,
        pk: i64,
        hidden: i64,
    }
    let infos: Vec<Info> = conn
        .prepare(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
             FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
        )?
        .query_map([&e.name], |r| {
            Ok(Info {
                name: r.get(0)?,
                data_type: r.get(1)?,
                not_null: r.get(2)?,
                default: r.get(3)?,
                pk: r.get(4)?,
                hidden: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    if infos.len() != text.columns.len()
        || infos
            .iter()
            .zip(&text.columns)
            .any(|(i, t)| !i.name.eq_ignore_ascii_case(&t.name))
    {
        return Err(disagree(e, "its columns"));
    }

    let mut columns = Vec::with_capacity(infos.len());
    for (info, written) in infos.iter().zip(&text.columns) {
        let value = match (info.hidden, &written.generated) {
            (0, None) => match &info.default {
                Some(d) => ColumnValue::Default(
                    Sql::sqlite(d).map_err(|l| text_error(e)(DdlError::Lex(l)))?,
                ),
                None => ColumnValue::None,
            },
            (2 | 3, Some(expression)) => ColumnValue::Generated {
                expression: expression.clone(),
                storage: if info.hidden == 2 {
                    Storage::Virtual
                } else {
                    Storage::Stored
                },
            },
            (0 | 2 | 3, _) => return Err(disagree(e, "which columns are generated")),
            (other, _) => {
                return Err(InspectError::Unsupported {
                    kind: "table",
                    name: e.name.clone(),
                    what: format!("a hidden column of kind {other}"),
                })
            }
        };
        columns.push(Column {
            name: info.name.clone(),
            data_type: sqlite_ddl::type_name(&info.data_type).map_err(text_error(e))?,
            nullable: !info.not_null,
            value,
            collation: written.collation.clone(),
            not_null_conflict: written.not_null_conflict,
        });
    }

    let mut key: Vec<(i64, &str)> = infos
        .iter()
        .filter(|i| i.pk > 0)
        .map(|i| (i.pk, i.name.as_str()))
        .collect();
    key.sort();
    let primary_key = match text.primary_key {
        None if key.is_empty() => None,
        Some(pk)
            if pk.columns.len() == key.len()
                && pk
                    .columns
                    .iter()
                    .zip(&key)
                    .all(|(c, (_, name))| c.column.eq_ignore_ascii_case(name)) =>
        {
            Some(PrimaryKey {
                columns: pk
                    .columns
                    .into_iter()
                    .zip(&key)
                    .map(|(mut c, (_, name))| {
                        c.column = name.to_string();
                        c
                    })
                    .collect(),
                ..pk
            })
        }
        _ => return Err(disagree(e, "the primary key")),
    };

    let foreign_keys = foreign_keys(conn, e, text.foreign_keys)?;
    let mut t = Table::new(
        ObjectName::bare(&e.name),
        Columns::new(columns)?,
        TableOptions::Sqlite {
            strict,
            without_rowid,
        },
    );
    t.primary_key = primary_key;
    t.uniques = text.uniques.into_iter().collect();
    t.checks = text.checks.into_iter().collect();
    t.foreign_keys = foreign_keys.into_iter().collect();
    Ok(t)
}

/// The table's foreign keys as `pragma_foreign_key_list` reports them, each with the name and DEFERRABLE
/// of the one in the text that says the same.
fn foreign_keys(
    conn: &rusqlite::Connection,
    e: &Entry,
    mut written: Vec<ForeignKey>,
) -> Result<Vec<ForeignKey>, InspectError> {
    struct Row {
        id: i64,
        table: String,
        from: String,
        to: Option<String>,
        on_update: String,
        on_delete: String,
    }
    let rows: Vec<Row> = conn
        .prepare(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
             FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq",
        )?
        .query_map([&e.name], |r| {
            Ok(Row {
                id: r.get(0)?,
                table: r.get(1)?,
                from: r.get(2)?,
                to: r.get(3)?,
                on_update: r.get(4)?,
                on_delete: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let action = |text: &str| {
        FkAction::parse(text).ok_or_else(|| InspectError::Unsupported {
            kind: "table",
            name: e.name.clone(),
            what: format!("the foreign key action '{text}'"),
        })
    };
    let mut keys = Vec::new();
    for group in rows.chunk_by(|a, b| a.id == b.id) {
        let first = &group[0];
        let columns: Vec<String> = group.iter().map(|r| r.from.clone()).collect();
        // Without a column list the key refers to the other table's primary key, and `to` is NULL.
        let referenced: Vec<String> = group.iter().filter_map(|r| r.to.clone()).collect();
        let position = written.iter().position(|w| {
            w.columns == columns
                && w.references.name.eq_ignore_ascii_case(&first.table)
                && w.referenced_columns.len() == referenced.len()
                && w.referenced_columns
                    .iter()
                    .zip(&referenced)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        });
        let Some(position) = position else {
            return Err(disagree(e, "its foreign keys"));
        };
        let w = written.remove(position);
        keys.push(ForeignKey {
            columns,
            references: ObjectName::bare(&first.table),
            referenced_columns: referenced,
            on_delete: action(&first.on_delete)?,
            on_update: action(&first.on_update)?,
            deferrable: w.deferrable,
            match_full: false,
            not_valid: false,
            name: w.name,
        });
    }
    if !written.is_empty() {
        return Err(disagree(e, "its foreign keys"));
    }
    Ok(keys)
}

fn index(conn: &rusqlite::Connection, e: &Entry, sql: &str) -> Result<Index, InspectError> {
    let text = sqlite_ddl::index(sql).map_err(text_error(e))?;
    let (unique, origin, partial): (bool, String, bool) = conn.query_row(
        "SELECT \"unique\", origin, partial FROM pragma_index_list(?1, 'main') WHERE name = ?2",
        [&e.table, &e.name],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if origin != "c" || partial != text.predicate.is_some() || unique != text.unique {
        return Err(disagree(e, "what kind of index it is"));
    }
    let keys: Vec<(i64, Option<String>, bool)> = conn
        .prepare(
            "SELECT cid, name, \"desc\" FROM pragma_index_xinfo(?1, 'main') WHERE key ORDER BY seqno",
        )?
        .query_map([&e.name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if keys.len() != text.parts.len() {
        return Err(disagree(e, "its columns"));
    }
    let mut parts = Vec::with_capacity(keys.len());
    for ((cid, name, descending), written) in keys.into_iter().zip(text.parts) {
        let key = match (cid, name) {
            (-2, _) => IndexKey::Expression(written.expression),
            (cid, Some(name)) if cid >= 0 => IndexKey::Column(name),
            _ => {
                return Err(InspectError::Unsupported {
                    kind: "index",
                    name: e.name.clone(),
                    what: "an index on the rowid".into(),
                })
            }
        };
        if descending != written.descending {
            return Err(disagree(e, "the order of its columns"));
        }
        parts.push(IndexPart {
            key,
            collation: written.collation,
            opclass: None,
            descending,
        });
    }
    Ok(Index {
        name: e.name.clone(),
        unique,
        parts,
        predicate: text.predicate,
        method: None,
        include: Vec::new(),
        nulls_not_distinct: false,
    })
}

fn view(e: &Entry, sql: &str) -> Result<View, InspectError> {
    let text = sqlite_ddl::view(sql).map_err(text_error(e))?;
    Ok(View {
        name: ObjectName::bare(&e.name),
        columns: text.columns,
        query: text.query,
        materialized: false,
        indexes: Default::default(),
    })
}

fn virtual_table(e: &Entry, sql: &str) -> Result<VirtualTable, InspectError> {
    let text = sqlite_ddl::virtual_table(sql).map_err(|source| InspectError::Text {
        kind: "virtual table",
        name: e.name.clone(),
        source,
    })?;
    Ok(VirtualTable {
        name: ObjectName::bare(&e.name),
        module: text.module,
        arguments: text.arguments,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dburl::SqliteTarget;
    use crate::dialect::Access;
    use crate::schema::{Check, Deferrable, FkAction, KeyColumn, Relation, Unique};

    fn database(sql: &str) -> SqliteConnection {
        let conn = SqliteConnection::open(
            &SqliteTarget::Memory,
            Duration::ZERO,
            Access::CreateIfMissing,
        )
        .unwrap();
        conn.inner().execute_batch(sql).unwrap();
        conn
    }

    fn schema_of(sql: &str) -> Schema {
        inspect(&database(sql)).unwrap()
    }

    #[test]
    fn a_cached_read_is_a_full_read_whatever_changed() {
        let conn = database(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
             CREATE INDEX ix_users_email ON users (email);
             CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
        );
        let mut cache = Cache::default();
        assert_eq!(
            inspect_cached(&conn, &mut cache).unwrap(),
            inspect(&conn).unwrap()
        );
        for change in [
            "ALTER TABLE users ADD COLUMN bio TEXT",
            "ALTER TABLE users RENAME COLUMN email TO mail",
            // The same index text on a table rebuilt with another collation for its column.
            "CREATE TABLE new_users (id INTEGER PRIMARY KEY, mail TEXT COLLATE NOCASE, name TEXT, bio TEXT);
             INSERT INTO new_users SELECT * FROM users; DROP TABLE users;
             ALTER TABLE new_users RENAME TO users; CREATE INDEX ix_users_email ON users (mail);",
            "DROP TABLE notes",
        ] {
            conn.inner().execute_batch(change).unwrap();
            assert_eq!(
                inspect_cached(&conn, &mut cache).unwrap(),
                inspect(&conn).unwrap(),
                "{change}"
            );
        }
    }

    fn sql(text: &str) -> Sql {
        Sql::sqlite(text).unwrap()
    }

    fn bare(name: &str) -> ObjectName {
        ObjectName::bare(name)
    }

    #[test]
    fn tables_are_read_with_their_columns_keys_and_constraints() {
        let s = schema_of(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL COLLATE NOCASE UNIQUE, code varchar ( 10 ));
             CREATE TABLE child (
               id INTEGER NOT NULL,
               parent_id INTEGER CONSTRAINT to_parent REFERENCES parent (id) ON DELETE CASCADE,
               qty INTEGER DEFAULT (0) CHECK (qty >= 0),
               created TEXT DEFAULT CURRENT_TIMESTAMP,
               twice INTEGER GENERATED ALWAYS AS (qty * 2) VIRTUAL,
               PRIMARY KEY (id DESC),
               CONSTRAINT small CHECK (qty < 100)
             ) STRICT, WITHOUT ROWID;",
        );
        let parent = s.table(&bare("parent")).unwrap();
        assert_eq!(
            parent.primary_key,
            Some(PrimaryKey {
                name: None,
                columns: vec![KeyColumn::new("id")],
                autoincrement: true,
                deferrable: Deferrable::No,
            })
        );
        let name = parent.columns.get("name").unwrap();
        assert!(!name.nullable);
        assert_eq!(name.collation.as_deref(), Some("NOCASE"));
        assert_eq!(
            parent.uniques.iter().collect::<Vec<_>>(),
            [&Unique {
                columns: vec![KeyColumn::new("name")],
                name: None,
                on_conflict: None,
                nulls_not_distinct: false,
                deferrable: Deferrable::No,
            }]
        );
        assert_eq!(parent.options, TableOptions::SQLITE);

        let child = s.table(&bare("child")).unwrap();
        assert_eq!(
            child.options,
            TableOptions::Sqlite {
                strict: true,
                without_rowid: true
            }
        );
        let code = parent.columns.get("code").unwrap();
        assert_eq!(code.data_type.as_deref(), Some("VARCHAR(10)"));
        let cols: Vec<_> = child.columns.iter().collect();
        assert_eq!(cols[2].value, ColumnValue::Default(sql("0")));
        assert_eq!(
            cols[3].value,
            ColumnValue::Default(sql("CURRENT_TIMESTAMP"))
        );
        assert_eq!(
            cols[4].value,
            ColumnValue::Generated {
                expression: sql("qty * 2"),
                storage: Storage::Virtual
            }
        );
        assert_eq!(
            child.primary_key.as_ref().unwrap().columns,
            [KeyColumn {
                column: "id".into(),
                collation: None,
                descending: true
            }]
        );
        assert_eq!(
            child.checks.iter().cloned().collect::<Vec<_>>(),
            [
                Check {
                    expression: sql("qty < 100"),
                    not_valid: false,
                    name: Some("small".into())
                },
                Check {
                    expression: sql("qty >= 0"),
                    not_valid: false,
                    name: None
                },
            ]
        );
        assert_eq!(
            child.foreign_keys.iter().cloned().collect::<Vec<_>>(),
            [ForeignKey {
                columns: vec!["parent_id".into()],
                references: bare("parent"),
                referenced_columns: vec!["id".into()],
                on_delete: FkAction::Cascade,
                on_update: FkAction::NoAction,
                deferrable: Deferrable::No,
                match_full: false,
                not_valid: false,
                name: Some("to_parent".into()),
            }]
        );
        // SQLite's own bookkeeping (sqlite_sequence for AUTOINCREMENT, the autoindexes) is not schema.
        assert_eq!(s.relations().count(), 2);
        assert!(parent.indexes.is_empty());
    }

    #[test]
    fn indexes_views_and_triggers_are_read() {
        let s = schema_of(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, n INT);
             CREATE UNIQUE INDEX t_email ON t (lower(email) COLLATE NOCASE DESC, n) WHERE email IS NOT NULL;
             CREATE INDEX t_n ON t (n);
             CREATE VIEW v (a, b) AS SELECT id, email FROM t;
             CREATE TRIGGER t_touch AFTER UPDATE ON t BEGIN UPDATE t SET n = n + 1 WHERE id = new.id; END;
             CREATE TRIGGER v_insert INSTEAD OF INSERT ON v BEGIN INSERT INTO t (email) VALUES (new.b); END;",
        );
        let t = s.table(&bare("t")).unwrap();
        assert_eq!(
            t.indexes["t_email"],
            Index {
                name: "t_email".into(),
                unique: true,
                parts: vec![
                    IndexPart {
                        key: IndexKey::Expression(sql("lower(email)")),
                        collation: Some("NOCASE".into()),
                        opclass: None,
                        descending: true,
                    },
                    IndexPart::column("n"),
                ],
                predicate: Some(sql("email IS NOT NULL")),
                method: None,
                include: Vec::new(),
                nulls_not_distinct: false,
            }
        );
        assert_eq!(t.indexes["t_n"].parts, [IndexPart::column("n")]);
        assert_eq!(
            s.relation(&bare("v")),
            Some(&Relation::View(View {
                name: bare("v"),
                columns: vec!["a".into(), "b".into()],
                query: sql("SELECT id, email FROM t"),
                materialized: false,
                indexes: Default::default(),
            }))
        );
        let triggers: Vec<String> = s
            .triggers()
            .keys()
            .map(|k| format!("{}.{}", k.on, k.name))
            .collect();
        assert_eq!(triggers, ["t.t_touch", "v.v_insert"]);
    }

    #[test]
    fn virtual_tables_are_read_and_their_shadow_tables_never_appear() {
        let s = schema_of(
            "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter');
             CREATE VIRTUAL TABLE places USING rtree(id, min_x, max_x);
             INSERT INTO docs VALUES ('a', 'b');",
        );
        let names: Vec<String> = s.relations().map(|r| r.name().to_string()).collect();
        assert_eq!(names, ["docs", "places"]);
        let docs: Vec<_> = s.virtual_tables().collect();
        assert_eq!(docs[0].module, "fts5");
        assert_eq!(
            docs[0].arguments,
            [sql("title"), sql("body"), sql("tokenize='porter'")]
        );
        assert_eq!(s.tables().count(), 0);
    }

    /// The property the schema engine rests on: the catalog read back does not depend on how the schema was
    /// written, only on what it says.
    #[test]
    fn one_schema_written_two_ways_reads_back_equal() {
        let plain = schema_of(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x' CHECK (length(name) > 0));
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
             CREATE INDEX parent_name ON parent (lower(name)) WHERE name <> '';
             CREATE VIEW named AS SELECT p.id, p.name FROM parent p JOIN child c ON c.parent_id = p.id;
             CREATE TRIGGER parent_guard BEFORE DELETE ON parent BEGIN SELECT RAISE(ABORT, 'no'); END;",
        );
        // Other spacing, comments, quoting and keyword case; the parent table built under another name and
        // renamed into place, which makes SQLite rewrite (and quote) every reference to it.
        let written_otherwise = schema_of(
            "create table \"old_parent\" ( -- the parents
                [id]   integer primary key,
                name text not null default ('x') check ((LENGTH(name)>0)) /* must not be empty */
             );
             CREATE TABLE `child`(id INTEGER PRIMARY KEY,parent_id INTEGER REFERENCES old_parent(id) on delete cascade);
             create index parent_name on old_parent(LOWER( name )) where name != '';
             create view named as
               select p.id, p.name -- both
               from old_parent p join child c on c.parent_id = p.id;
             create trigger parent_guard before delete on old_parent begin select raise(ABORT,'no'); end;
             ALTER TABLE old_parent RENAME TO parent;",
        );
        assert_eq!(plain, written_otherwise);
        assert_eq!(crate::schema::diff::diff(&plain, &written_otherwise), []);
        // And the texts really did differ: the equality is the normalisation's doing.
        let child = written_otherwise.table(&bare("child")).unwrap();
        assert_eq!(
            child.foreign_keys.iter().next().unwrap().references,
            bare("parent")
        );
    }

    #[test]
    fn composite_and_deferred_foreign_keys_keep_their_column_order() {
        let s = schema_of(
            "CREATE TABLE p (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
             CREATE TABLE c (x INTEGER, y INTEGER,
               CONSTRAINT to_p FOREIGN KEY (y, x) REFERENCES p (b, a)
                 ON UPDATE RESTRICT ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED);",
        );
        let c = s.table(&bare("c")).unwrap();
        assert_eq!(
            c.foreign_keys.iter().cloned().collect::<Vec<_>>(),
            [ForeignKey {
                columns: vec!["y".into(), "x".into()],
                references: bare("p"),
                referenced_columns: vec!["b".into(), "a".into()],
                on_delete: FkAction::SetDefault,
                on_update: FkAction::Restrict,
                deferrable: Deferrable::InitiallyDeferred,
                match_full: false,
                not_valid: false,
                name: Some("to_p".into()),
            }]
        );
        let p = s.table(&bare("p")).unwrap();
        assert_eq!(
            p.primary_key.as_ref().unwrap().columns,
            [KeyColumn::new("a"), KeyColumn::new("b")]
        );
    }

    #[test]
    fn defaults_and_types_compare_as_sqlite_reads_them() {
        assert_eq!(
            schema_of("CREATE TABLE t (a DECIMAL(10,2) DEFAULT -1, b TEXT DEFAULT ('x'));"),
            schema_of("CREATE TABLE t (a decimal ( 10 , 2 ) DEFAULT (-1), b text DEFAULT 'x');"),
        );
        assert_ne!(
            schema_of("CREATE TABLE t (a TEXT DEFAULT 'x');"),
            schema_of("CREATE TABLE t (a TEXT DEFAULT 'X');"),
        );
    }

    #[test]
    fn names_are_found_in_any_case_as_sqlite_finds_them() {
        let plain = schema_of(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
             CREATE TRIGGER t AFTER INSERT ON parent BEGIN SELECT 1; END;",
        );
        let shouted = schema_of(
            "CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES PARENT (ID));
             CREATE TRIGGER t AFTER INSERT ON Parent BEGIN SELECT 1; END;",
        );
        assert_eq!(plain, shouted);
    }

    #[test]
    fn schemas_that_differ_read_back_different() {
        let base = "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);";
        let a = schema_of(base);
        for other in [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT DEFAULT '');",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT COLLATE NOCASE);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT CHECK (s <> ''));",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT) STRICT;",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s BLOB);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, UNIQUE (s));",
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, s TEXT);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT); CREATE INDEX i ON t (s);",
        ] {
            assert_ne!(a, schema_of(other), "{other}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_an_error_naming_the_object() {
        let e = inspect(&database(
            "CREATE TABLE t (a INTEGER PRIMARY KEY ON CONFLICT REPLACE);",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read the CREATE text of table 't': an ON CONFLICT clause on a PRIMARY KEY is not supported yet"
        );
        let e = inspect(&database(
            "CREATE VIRTUAL TABLE docs USING fts5(body); CREATE INDEX i ON docs_data (block);",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read index 'i': an index on the shadow table 'docs_data' is not supported yet"
        );
    }

    #[test]
    fn the_keyword_list_is_the_bundled_sqlite_s() {
        use std::ffi::{c_char, c_int};
        let count = unsafe { rusqlite::ffi::sqlite3_keyword_count() };
        let mut words: Vec<String> = (0..count)
            .map(|i| {
                let mut name: *const c_char = std::ptr::null();
                let mut len: c_int = 0;
                unsafe {
                    rusqlite::ffi::sqlite3_keyword_name(i, &mut name, &mut len);
                    let bytes = std::slice::from_raw_parts(name.cast::<u8>(), len as usize);
                    String::from_utf8(bytes.to_vec()).unwrap()
                }
            })
            .collect();
        words.sort();
        assert_eq!(words, crate::schema::tokens::SQLITE_KEYWORDS);
    }
}
