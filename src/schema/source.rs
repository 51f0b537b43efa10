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
use super::tokens::{lex, LexError, Lexeme};
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
    /// The lexer finds where comments are; text it cannot read would fail when applied anyway.
    #[error("cannot read the SQL to find its comments: {source}")]
    Unreadable { source: LexError },
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

/// The renames the text declares. Comments are found with the SQL lexer, so a `--` inside a string or a
/// quoted name is never taken for one.
pub fn renames(text: &str) -> Result<Renames, SourceError> {
    let lexemes = lex(text).map_err(|source| SourceError::Unreadable { source })?;
    let mut renames = Renames::default();
    for (at, comment) in line_comments(text, &lexemes) {
        let Some(old) = comment.trim().strip_prefix(DIRECTIVE) else {
            continue;
        };
        let line = text[..at].matches('\n').count() + 1;
        let old = old.trim();
        if old.is_empty() {
            return Err(SourceError::DirectiveWithoutName { line });
        }
        // The definition the directive names: its own line's code, else the code after it.
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        let first = lexemes
            .iter()
            .position(|l| l.start >= line_start)
            .filter(|&k| lexemes[k].start < at)
            .or_else(|| lexemes.iter().position(|l| l.start > at));
        let code = first.map_or(&[][..], |k| &lexemes[k..]);
        match old.split_once('.') {
            Some((table, column)) => {
                let Some(to) = code.first().and_then(Lexeme::identifier) else {
                    return Err(SourceError::NoColumnAfter {
                        line,
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
                let Some(to) = created_table(code) else {
                    return Err(SourceError::NoTableAfter {
                        line,
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

/// The `--` comments of `text` (whose tokens are `lexemes`): each one's byte offset and its text after the
/// dashes. Between two tokens there is only whitespace and comments, so that is where they are looked for.
fn line_comments<'a>(text: &'a str, lexemes: &[Lexeme<'_>]) -> Vec<(usize, &'a str)> {
    let mut out = Vec::new();
    let mut from = 0;
    let spans = lexemes.iter().map(|l| (l.start, l.end()));
    for (start, end) in spans.chain(std::iter::once((text.len(), text.len()))) {
        let mut i = from;
        while i < start {
            let gap = &text[i..start];
            if gap.starts_with("--") {
                let stop = gap.find('\n').map_or(start, |n| i + n);
                out.push((i, &text[i + 2..stop]));
                i = stop;
            } else if let Some(body) = gap.strip_prefix("/*") {
                i = body.find("*/").map_or(start, |n| i + 2 + n + 2);
            } else {
                i += gap.chars().next().map_or(1, char::len_utf8);
            }
        }
        from = end;
    }
    out
}

/// A rename given on the command line (`--rename`), meaning what the directive in the schema file means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rename {
    Table(TableRename),
    Column(ColumnRename),
}

/// A `--rename` value that is not `table.column=new_column`, `table.column=table.new_column` or
/// `old_table=new_table`.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RenameFlagError {
    #[error("--rename '{value}': write 'table.column=new_column' to rename a column, 'old_table=new_table' to rename a table")]
    Malformed { value: String },
    #[error("--rename '{value}': a renamed column stays in its table; a table is renamed with a --rename of its own (old_table=new_table)")]
    ColumnMovesTable { value: String },
}

/// Reads a `--rename` value: `table.column=new_column` (or `table.column=table.new_column`) renames a
/// column, `old_table=new_table` a table. Names may be quoted as in SQL.
pub fn rename_flag(value: &str) -> Result<Rename, RenameFlagError> {
    let malformed = || RenameFlagError::Malformed {
        value: value.to_string(),
    };
    let lexemes = lex(value).map_err(|_| malformed())?;
    let mut sides = lexemes.split(|l| l.is_punct("="));
    let (Some(old), Some(new), None) = (sides.next(), sides.next(), sides.next()) else {
        return Err(malformed());
    };
    let names = |side: &[Lexeme<'_>]| -> Option<Vec<String>> {
        let names: Vec<String> = side
            .iter()
            .step_by(2)
            .map(Lexeme::identifier)
            .collect::<Option<_>>()?;
        let dotted = side.iter().skip(1).step_by(2).all(|l| l.is_punct("."));
        (dotted && side.len() % 2 == 1 && side.len() <= 3).then_some(names)
    };
    let (old, new) = names(old).zip(names(new)).ok_or_else(malformed)?;
    match (old.as_slice(), new.as_slice()) {
        ([from], [to]) => Ok(Rename::Table(TableRename {
            from: ObjectName::bare(from.as_str()),
            to: ObjectName::bare(to.as_str()),
        })),
        ([table, from], [to]) => Ok(Rename::Column(ColumnRename {
            table: ObjectName::bare(table.as_str()),
            from: from.clone(),
            to: to.clone(),
        })),
        ([table, from], [other, to]) if other.eq_ignore_ascii_case(table) => {
            Ok(Rename::Column(ColumnRename {
                table: ObjectName::bare(table.as_str()),
                from: from.clone(),
                to: to.clone(),
            }))
        }
        ([_, _], [_, _]) => Err(RenameFlagError::ColumnMovesTable {
            value: value.to_string(),
        }),
        _ => Err(malformed()),
    }
}

/// The table a `CREATE TABLE [IF NOT EXISTS] name` statement creates, from its tokens.
fn created_table(code: &[Lexeme<'_>]) -> Option<String> {
    let [create, table, rest @ ..] = code else {
        return None;
    };
    if !create.is_word("CREATE") || !table.is_word("TABLE") {
        return None;
    }
    let rest = match rest {
        [i, n, e, rest @ ..] if i.is_word("IF") && n.is_word("NOT") && e.is_word("EXISTS") => rest,
        _ => rest,
    };
    rest.first().and_then(Lexeme::identifier)
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

    #[test]
    fn dashes_in_a_string_or_a_quoted_name_are_no_comment() {
        let text = "CREATE TABLE t (\n    a TEXT DEFAULT '-- dbkit:renamed-from t.x',\n    \"b--c\" TEXT /* -- dbkit:renamed-from t.y */,\n    c TEXT DEFAULT '--x' -- dbkit:renamed-from t.z\n);\n";
        let r = renames(text).unwrap();
        assert_eq!(
            r.columns,
            vec![ColumnRename {
                table: ObjectName::bare("t"),
                from: "z".into(),
                to: "c".into(),
            }]
        );
        assert!(r.tables.is_empty());
    }

    #[test]
    fn rename_flags_name_a_column_or_a_table() {
        let column = Rename::Column(ColumnRename {
            table: ObjectName::bare("users"),
            from: "username".into(),
            to: "handle".into(),
        });
        assert_eq!(rename_flag("users.username=handle"), Ok(column.clone()));
        assert_eq!(
            rename_flag("users.username=USERS.handle"),
            Ok(column.clone())
        );
        assert_eq!(rename_flag("\"users\".username = \"handle\""), Ok(column));
        assert_eq!(
            rename_flag("people=users"),
            Ok(Rename::Table(TableRename {
                from: ObjectName::bare("people"),
                to: ObjectName::bare("users"),
            }))
        );
        for bad in [
            "users", "a=b=c", "=b", "a=", "a.b.c=d", "a=b.c", "a.=b", "a b=c", "'x",
        ] {
            assert_eq!(
                rename_flag(bad),
                Err(RenameFlagError::Malformed { value: bad.into() }),
                "{bad}"
            );
        }
        assert_eq!(
            rename_flag("users.a=people.b"),
            Err(RenameFlagError::ColumnMovesTable {
                value: "users.a=people.b".into()
            })
        );
    }
}
