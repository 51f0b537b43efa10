//! The schema file as text: which of its parts belong to an engine, and the renames it declares. A schema
//! file is plain SQL, shared by both engines unless a marker says otherwise, as a revision file's sections
//! are marked:
//!
//! - `-- schema sqlite` and `-- schema postgresql` start a part for one engine;
//! - `-- schema` starts a shared part again (text before any marker is shared too).
//!
//! A rename is declared beside the new name, so that the schema file says it and the diff writes a rename
//! instead of a drop and an add:
//!
//! - `-- dbkit:renamed-from table.column` on a column's line, or on the line before it: the column was
//!   `column` (in `table`, which keeps its name);
//! - `-- dbkit:renamed-from old_table` before a `CREATE TABLE`: the table was `old_table`.
//!
//! Reading stays textual here (no I/O, no database): the SQL itself is normalised by applying it to a scratch
//! database.

use thiserror::Error;

use super::name::ObjectName;
use super::render::{ColumnRename, Renames, TableRename};
use crate::engine::Engine;

const DIRECTIVE: &str = "dbkit:renamed-from";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SourceError {
    #[error("line {line}: '{text}' looks like a schema marker but names no engine; write '-- schema', '-- schema sqlite' or '-- schema postgresql'")]
    BadMarker { line: usize, text: String },
    #[error("line {line}: '-- {DIRECTIVE}' needs the old name: '-- {DIRECTIVE} table.column' or '-- {DIRECTIVE} old_table'")]
    DirectiveWithoutName { line: usize },
    #[error("line {line}: '-- {DIRECTIVE} {old}' is followed by no column definition to name the new column")]
    NoColumnAfter { line: usize, old: String },
    #[error(
        "line {line}: '-- {DIRECTIVE} {old}' is followed by no CREATE TABLE to name the new table"
    )]
    NoTableAfter { line: usize, old: String },
}

/// The text `engine` applies: the shared parts and its own, with every other line left blank so that line
/// numbers in errors are the file's.
pub fn for_engine(text: &str, engine: Engine) -> Result<String, SourceError> {
    let mut keep = true;
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        match marker(line, i + 1)? {
            Some(part) => {
                keep = part.is_none_or(|e| e == engine);
            }
            None if keep => out.push_str(line),
            None => {}
        }
        out.push('\n');
    }
    Ok(out)
}

/// `Some(None)` for a shared marker, `Some(Some(engine))` for an engine's, `None` for any other line.
fn marker(line: &str, number: usize) -> Result<Option<Option<Engine>>, SourceError> {
    let Some(rest) = line.trim().strip_prefix("--") else {
        return Ok(None);
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [w] if w.eq_ignore_ascii_case("schema") => Ok(Some(None)),
        [w, e] if w.eq_ignore_ascii_case("schema") => {
            if e.eq_ignore_ascii_case("sqlite") {
                Ok(Some(Some(Engine::Sqlite)))
            } else if e.eq_ignore_ascii_case("postgresql") {
                Ok(Some(Some(Engine::Postgresql)))
            } else {
                Err(SourceError::BadMarker {
                    line: number,
                    text: line.trim().to_string(),
                })
            }
        }
        _ => Ok(None),
    }
}

/// The renames the text declares.
pub fn renames(text: &str) -> Result<Renames, SourceError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut renames = Renames::default();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("--") else { continue };
        let comment = line[at + 2..].trim();
        let Some(old) = comment.strip_prefix(DIRECTIVE) else {
            continue;
        };
        let old = old.trim();
        if old.is_empty() {
            return Err(SourceError::DirectiveWithoutName { line: i + 1 });
        }
        // The definition the directive names: its own line's code, else the next line with code.
        let code = std::iter::once(&line[..at])
            .chain(lines[i + 1..].iter().copied())
            .map(|l| l.split("--").next().unwrap_or("").trim())
            .find(|l| !l.is_empty());
        match old.split_once('.') {
            Some((table, column)) => {
                let to = code.and_then(|c| identifier(c).map(|(name, _)| name));
                let Some(to) = to else {
                    return Err(SourceError::NoColumnAfter {
                        line: i + 1,
                        old: old.to_string(),
                    });
                };
                renames.columns.push(ColumnRename {
                    table: ObjectName::bare(unquote(table)),
                    from: unquote(column),
                    to,
                });
            }
            None => {
                let Some(to) = code.and_then(created_table) else {
                    return Err(SourceError::NoTableAfter {
                        line: i + 1,
                        old: old.to_string(),
                    });
                };
                renames.tables.push(TableRename {
                    from: ObjectName::bare(unquote(old)),
                    to: ObjectName::bare(to),
                });
            }
        }
    }
    Ok(renames)
}

/// The table a `CREATE TABLE [IF NOT EXISTS] name` line creates.
fn created_table(code: &str) -> Option<String> {
    let mut rest = code;
    for word in ["CREATE", "TABLE"] {
        let (w, r) = identifier(rest)?;
        if !w.eq_ignore_ascii_case(word) {
            return None;
        }
        rest = r;
    }
    let (name, r) = identifier(rest)?;
    if !name.eq_ignore_ascii_case("IF") {
        return Some(name);
    }
    let (_, r) = identifier(r)?; // NOT
    let (_, r) = identifier(r)?; // EXISTS
    identifier(r).map(|(name, _)| name)
}

/// The identifier at the start of `text` (bare, or quoted with `"`, `` ` `` or `[ ]`) and what follows it.
fn identifier(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let close = match text.chars().next()? {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        _ => {
            let end = text
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(text.len());
            return (end > 0).then(|| (text[..end].to_string(), &text[end..]));
        }
    };
    let end = text[1..].find(close)? + 1;
    Some((text[1..end].to_string(), &text[end + 1..]))
}

/// A name as the directive writes it, without its quotes.
fn unquote(name: &str) -> String {
    identifier(name)
        .map(|(n, _)| n)
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_keeps_shared_parts_and_its_own_with_line_numbers_kept() {
        let text = "CREATE TABLE a (x);\n-- schema sqlite\nCREATE TABLE s (x);\n-- schema postgresql\nCREATE TABLE p (x);\n-- schema\nCREATE TABLE b (x);\n";
        assert_eq!(
            for_engine(text, Engine::Sqlite).unwrap(),
            "CREATE TABLE a (x);\n\nCREATE TABLE s (x);\n\n\n\nCREATE TABLE b (x);\n"
        );
        assert_eq!(
            for_engine(text, Engine::Postgresql).unwrap(),
            "CREATE TABLE a (x);\n\n\n\nCREATE TABLE p (x);\n\nCREATE TABLE b (x);\n"
        );
    }

    #[test]
    fn a_marker_for_no_engine_is_an_error_and_prose_is_a_comment() {
        assert_eq!(
            for_engine("-- schema mysql\n", Engine::Sqlite),
            Err(SourceError::BadMarker {
                line: 1,
                text: "-- schema mysql".into()
            })
        );
        assert!(for_engine("-- schema of the users\n", Engine::Sqlite).is_ok());
    }

    #[test]
    fn directives_name_the_old_column_and_the_old_table() {
        let text = "-- dbkit:renamed-from people\nCREATE TABLE IF NOT EXISTS \"users\" (\n    id INTEGER,\n    -- dbkit:renamed-from users.username\n    login TEXT,\n    email TEXT -- dbkit:renamed-from users.mail\n);\n";
        let r = renames(text).unwrap();
        assert_eq!(
            r.tables,
            vec![TableRename {
                from: ObjectName::bare("people"),
                to: ObjectName::bare("users"),
            }]
        );
        assert_eq!(
            r.columns,
            vec![
                ColumnRename {
                    table: ObjectName::bare("users"),
                    from: "username".into(),
                    to: "login".into(),
                },
                ColumnRename {
                    table: ObjectName::bare("users"),
                    from: "mail".into(),
                    to: "email".into(),
                },
            ]
        );
    }

    #[test]
    fn a_directive_with_nothing_to_name_is_an_error() {
        assert_eq!(
            renames("-- dbkit:renamed-from\n"),
            Err(SourceError::DirectiveWithoutName { line: 1 })
        );
        assert_eq!(
            renames("-- dbkit:renamed-from old\nSELECT 1;\n"),
            Err(SourceError::NoTableAfter {
                line: 1,
                old: "old".into()
            })
        );
    }
}
