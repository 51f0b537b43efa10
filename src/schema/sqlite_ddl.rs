//! What SQLite keeps only in an object's CREATE text. Its pragmas report columns, types, nullability,
//! defaults, key order, index columns and foreign keys, but CHECK constraints, constraint names, collations,
//! AUTOINCREMENT, generated expressions and DEFERRABLE exist nowhere but in the text stored in
//! `sqlite_schema`; index expressions and WHERE clauses, view queries, trigger bodies and virtual-table
//! arguments likewise.
//!
//! This reads that text over the tokens of [`super::tokens`]: a small recursive-descent reader of the column
//! and constraint list of CREATE TABLE and of the heads of the other CREATE statements, which takes
//! expressions as balanced token runs and never interprets them. SQLite has already accepted every text it
//! is given, so the reader only needs to find the parts, not to validate; what it does not know (an
//! `ON CONFLICT` clause, say) is an error naming it, never skipped.

use thiserror::Error;

use super::constraint::{Check, Deferrable, FkAction, ForeignKey, KeyColumn, PrimaryKey, Unique};
use super::name::ObjectName;
use super::tokens::{lex, Kind, LexError, Lexeme, Sql};

/// Why a CREATE text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DdlError {
    #[error(transparent)]
    Lex(#[from] LexError),
    #[error("expected {expected} at byte {offset}, found '{found}'")]
    Unexpected {
        expected: &'static str,
        found: String,
        offset: usize,
    },
    #[error("expected {expected}, found the end of the text")]
    End { expected: &'static str },
    #[error("{0} is not supported yet")]
    Unsupported(&'static str),
    #[error("'{0}' is not a column of the table")]
    UnknownColumn(String),
}

/// The parts of a CREATE TABLE text that its pragmas do not report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableText {
    pub columns: Vec<ColumnText>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub strict: bool,
    pub without_rowid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnText {
    pub name: String,
    /// In upper case: SQLite finds collations without regard to case.
    pub collation: Option<String>,
    pub generated: Option<Sql>,
}

/// A CREATE INDEX text, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexText {
    pub unique: bool,
    pub table: String,
    pub parts: Vec<PartText>,
    pub predicate: Option<Sql>,
}

/// One part of an index as written: an expression, which may be just a column's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartText {
    pub expression: Sql,
    pub collation: Option<String>,
    pub descending: bool,
}

/// A CREATE VIEW text, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewText {
    pub columns: Vec<String>,
    pub query: Sql,
}

/// A CREATE VIRTUAL TABLE text, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualTableText {
    pub module: String,
    pub arguments: Vec<Sql>,
}

/// Reads a `CREATE TABLE` text.
pub fn table(sql: &str) -> Result<TableText, DdlError> {
    let lexemes = lex(sql)?;
    let mut c = Cursor::new(sql, &lexemes);
    c.expect_word("CREATE")?;
    let _ = c.eat_word("TEMP") || c.eat_word("TEMPORARY");
    c.expect_word("TABLE")?;
    c.if_not_exists()?;
    c.qualified_name()?;
    if c.peek_word("AS") {
        // SQLite stores a CREATE TABLE … AS SELECT as the column list it made, so this is never stored.
        return Err(DdlError::Unsupported("CREATE TABLE … AS SELECT"));
    }
    let body = c.group()?;
    let mut t = TableText {
        columns: Vec::new(),
        primary_key: None,
        uniques: Vec::new(),
        checks: Vec::new(),
        foreign_keys: Vec::new(),
        strict: false,
        without_rowid: false,
    };
    loop {
        if c.eat_word("STRICT") {
            t.strict = true;
        } else if c.eat_word("WITHOUT") {
            c.expect_word("ROWID")?;
            t.without_rowid = true;
        } else {
            break;
        }
        if !c.eat_punct(",") {
            break;
        }
    }
    c.expect_end()?;
    for item in split_commas(body) {
        let mut c = Cursor::new(sql, item);
        let constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| c.peek_word(k));
        if constraint {
            table_constraint(&mut c, &mut t)?;
        } else {
            column(&mut c, &mut t)?;
        }
        c.expect_end()?;
    }
    canonical_column_names(&mut t)?;
    Ok(t)
}

/// Reads a `CREATE INDEX` text.
pub fn index(sql: &str) -> Result<IndexText, DdlError> {
    let lexemes = lex(sql)?;
    let mut c = Cursor::new(sql, &lexemes);
    c.expect_word("CREATE")?;
    let unique = c.eat_word("UNIQUE");
    c.expect_word("INDEX")?;
    c.if_not_exists()?;
    c.qualified_name()?;
    c.expect_word("ON")?;
    let table = c.name()?;
    let parts = split_commas(c.group()?)
        .into_iter()
        .map(|part| index_part(sql, part))
        .collect::<Result<Vec<_>, _>>()?;
    let predicate = if c.eat_word("WHERE") {
        Some(c.rest_as_sql("the WHERE clause's expression")?)
    } else {
        c.expect_end()?;
        None
    };
    Ok(IndexText {
        unique,
        table,
        parts,
        predicate,
    })
}

/// Reads a `CREATE VIEW` text.
pub fn view(sql: &str) -> Result<ViewText, DdlError> {
    let lexemes = lex(sql)?;
    let mut c = Cursor::new(sql, &lexemes);
    c.expect_word("CREATE")?;
    let _ = c.eat_word("TEMP") || c.eat_word("TEMPORARY");
    c.expect_word("VIEW")?;
    c.if_not_exists()?;
    c.qualified_name()?;
    let columns = if c.peek_punct("(") {
        names(sql, c.group()?)?
    } else {
        Vec::new()
    };
    c.expect_word("AS")?;
    Ok(ViewText {
        columns,
        query: c.rest_as_sql("the view's query")?,
    })
}

/// Reads a `CREATE TRIGGER` text: everything after the trigger's name.
pub fn trigger(sql: &str) -> Result<Sql, DdlError> {
    let lexemes = lex(sql)?;
    let mut c = Cursor::new(sql, &lexemes);
    c.expect_word("CREATE")?;
    let _ = c.eat_word("TEMP") || c.eat_word("TEMPORARY");
    c.expect_word("TRIGGER")?;
    c.if_not_exists()?;
    c.qualified_name()?;
    c.rest_as_sql("the trigger's definition")
}

/// Reads a `CREATE VIRTUAL TABLE` text.
pub fn virtual_table(sql: &str) -> Result<VirtualTableText, DdlError> {
    let lexemes = lex(sql)?;
    let mut c = Cursor::new(sql, &lexemes);
    c.expect_word("CREATE")?;
    c.expect_word("VIRTUAL")?;
    c.expect_word("TABLE")?;
    c.if_not_exists()?;
    c.qualified_name()?;
    c.expect_word("USING")?;
    let module = c.name()?.to_ascii_lowercase();
    let arguments = if c.peek_punct("(") {
        split_commas(c.group()?)
            .into_iter()
            .map(|arg| Sql::from_lexemes(sql, arg))
            .collect()
    } else {
        Vec::new()
    };
    c.expect_end()?;
    Ok(VirtualTableText { module, arguments })
}

/// A declared column type as `pragma_table_xinfo` reports it (as written), normalised: words in upper case
/// and one space apart, no space inside the parentheses, one after a comma (`varchar ( 10 )` becomes
/// `VARCHAR(10)`). SQLite finds a type's affinity, and STRICT checks a type, without regard to case or
/// spacing. An empty type is none.
pub fn type_name(text: &str) -> Result<Option<String>, DdlError> {
    let lexemes = lex(text)?;
    let mut out = String::new();
    let mut previous: Option<&Lexeme<'_>> = None;
    for l in &lexemes {
        let wordlike = |l: &Lexeme<'_>| !matches!(l.kind, Kind::Punct(_));
        let space = match previous {
            Some(p) => (wordlike(p) && wordlike(l)) || p.is_punct(","),
            None => false,
        };
        if space {
            out.push(' ');
        }
        match l.kind {
            Kind::Word => out.push_str(&l.text.to_ascii_uppercase()),
            _ => out.push_str(l.text),
        }
        previous = Some(l);
    }
    Ok((!out.is_empty()).then_some(out))
}

/// Words that end a column's type and start one of its constraints.
const COLUMN_CONSTRAINT_WORDS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

fn column(c: &mut Cursor<'_, '_>, t: &mut TableText) -> Result<(), DdlError> {
    let name = c.name()?;
    // The type's words and size are reported by pragma_table_xinfo; here they are only skipped.
    while c.peek().is_some_and(|l| {
        matches!(l.kind, Kind::Word | Kind::QuotedIdent | Kind::String)
            && !COLUMN_CONSTRAINT_WORDS.iter().any(|k| l.is_word(k))
    }) {
        c.pos += 1;
    }
    if c.peek_punct("(") {
        c.group()?;
    }
    let mut col = ColumnText {
        name: name.clone(),
        collation: None,
        generated: None,
    };
    while !c.at_end() {
        let constraint_name = if c.eat_word("CONSTRAINT") {
            Some(c.name()?)
        } else {
            None
        };
        if c.eat_word("PRIMARY") {
            c.expect_word("KEY")?;
            let descending = c.sort_order();
            c.no_conflict_clause()?;
            let autoincrement = c.eat_word("AUTOINCREMENT");
            t.primary_key = Some(PrimaryKey {
                name: constraint_name,
                columns: vec![KeyColumn {
                    column: name.clone(),
                    collation: None,
                    descending,
                }],
                autoincrement,
            });
        } else if c.eat_word("NOT") {
            // Nullability is reported by the pragma; a name on it has no effect in SQLite.
            c.expect_word("NULL")?;
            c.no_conflict_clause()?;
        } else if c.eat_word("NULL") {
            c.no_conflict_clause()?;
        } else if c.eat_word("UNIQUE") {
            c.no_conflict_clause()?;
            t.uniques.push(Unique {
                columns: vec![KeyColumn::new(name.clone())],
                name: constraint_name,
            });
        } else if c.eat_word("CHECK") {
            let expression = c.group_as_sql()?;
            t.checks.push(Check {
                expression,
                name: constraint_name,
            });
        } else if c.eat_word("DEFAULT") {
            // The value is reported by the pragma; here it is only skipped.
            if c.peek_punct("(") {
                c.group()?;
            } else {
                let _ = c.eat_punct("+") || c.eat_punct("-");
                c.next("a default value")?;
            }
        } else if c.eat_word("COLLATE") {
            col.collation = Some(c.name()?.to_ascii_uppercase());
        } else if c.eat_word("REFERENCES") {
            let fk = foreign_key(c, vec![name.clone()], constraint_name)?;
            t.foreign_keys.push(fk);
        } else if c.peek_word("GENERATED") || c.peek_word("AS") {
            if c.eat_word("GENERATED") {
                c.expect_word("ALWAYS")?;
            }
            c.expect_word("AS")?;
            col.generated = Some(c.group_as_sql()?);
            // Stored or virtual is reported by the pragma.
            let _ = c.eat_word("STORED") || c.eat_word("VIRTUAL");
        } else {
            return Err(c.unexpected("a column constraint"));
        }
    }
    t.columns.push(col);
    Ok(())
}

fn table_constraint(c: &mut Cursor<'_, '_>, t: &mut TableText) -> Result<(), DdlError> {
    let name = if c.eat_word("CONSTRAINT") {
        Some(c.name()?)
    } else {
        None
    };
    if c.eat_word("PRIMARY") {
        c.expect_word("KEY")?;
        let (columns, autoincrement) = key_columns(c.src, c.group()?)?;
        c.no_conflict_clause()?;
        t.primary_key = Some(PrimaryKey {
            name,
            columns,
            autoincrement,
        });
    } else if c.eat_word("UNIQUE") {
        let (columns, _) = key_columns(c.src, c.group()?)?;
        c.no_conflict_clause()?;
        t.uniques.push(Unique { columns, name });
    } else if c.eat_word("CHECK") {
        let expression = c.group_as_sql()?;
        c.no_conflict_clause()?;
        t.checks.push(Check { expression, name });
    } else if c.eat_word("FOREIGN") {
        c.expect_word("KEY")?;
        let columns = names(c.src, c.group()?)?;
        c.expect_word("REFERENCES")?;
        let fk = foreign_key(c, columns, name)?;
        t.foreign_keys.push(fk);
    } else {
        return Err(c.unexpected("a table constraint"));
    }
    Ok(())
}

/// The part of a foreign key after REFERENCES.
fn foreign_key(
    c: &mut Cursor<'_, '_>,
    columns: Vec<String>,
    name: Option<String>,
) -> Result<ForeignKey, DdlError> {
    let table = c.name()?;
    let referenced_columns = if c.peek_punct("(") {
        names(c.src, c.group()?)?
    } else {
        Vec::new()
    };
    let mut fk = ForeignKey {
        columns,
        references: ObjectName::bare(table),
        referenced_columns,
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        deferrable: Deferrable::No,
        name,
    };
    loop {
        if c.eat_word("ON") {
            let on_delete = if c.eat_word("DELETE") {
                true
            } else {
                c.expect_word("UPDATE")?;
                false
            };
            let action = if c.eat_word("SET") {
                if c.eat_word("NULL") {
                    FkAction::SetNull
                } else {
                    c.expect_word("DEFAULT")?;
                    FkAction::SetDefault
                }
            } else if c.eat_word("CASCADE") {
                FkAction::Cascade
            } else if c.eat_word("RESTRICT") {
                FkAction::Restrict
            } else {
                c.expect_word("NO")?;
                c.expect_word("ACTION")?;
                FkAction::NoAction
            };
            if on_delete {
                fk.on_delete = action;
            } else {
                fk.on_update = action;
            }
        } else if c.eat_word("MATCH") {
            // SQLite reads MATCH and ignores it: every foreign key matches as SIMPLE.
            c.name()?;
        } else {
            break;
        }
    }
    // SQLite checks every constraint that is not INITIALLY DEFERRED at once (it has no SET CONSTRAINTS), so
    // NOT DEFERRABLE, DEFERRABLE and DEFERRABLE INITIALLY IMMEDIATE all mean the same there.
    let not = c.eat_word("NOT");
    if c.eat_word("DEFERRABLE") {
        let deferred = if c.eat_word("INITIALLY") {
            if c.eat_word("DEFERRED") {
                true
            } else {
                c.expect_word("IMMEDIATE")?;
                false
            }
        } else {
            false
        };
        if deferred && !not {
            fk.deferrable = Deferrable::InitiallyDeferred;
        }
    } else if not {
        return Err(c.unexpected("DEFERRABLE"));
    }
    Ok(fk)
}

/// The columns of a table-level PRIMARY KEY or UNIQUE, and whether AUTOINCREMENT follows them.
fn key_columns(src: &str, list: &[Lexeme<'_>]) -> Result<(Vec<KeyColumn>, bool), DdlError> {
    let mut autoincrement = false;
    let mut columns = Vec::new();
    for item in split_commas(list) {
        let mut c = Cursor::new(src, item);
        let column = c.name()?;
        let collation = if c.eat_word("COLLATE") {
            Some(c.name()?.to_ascii_uppercase())
        } else {
            None
        };
        let descending = c.sort_order();
        autoincrement |= c.eat_word("AUTOINCREMENT");
        if !c.at_end() {
            // SQLite itself refuses an expression here.
            return Err(c.unexpected("a column name"));
        }
        columns.push(KeyColumn {
            column,
            collation,
            descending,
        });
    }
    Ok((columns, autoincrement))
}

fn index_part(src: &str, part: &[Lexeme<'_>]) -> Result<PartText, DdlError> {
    let mut end = part.len();
    let descending = match part.last() {
        Some(l) if l.is_word("DESC") => {
            end -= 1;
            true
        }
        Some(l) if l.is_word("ASC") => {
            end -= 1;
            false
        }
        _ => false,
    };
    let mut collation = None;
    if end >= 3 && part[end - 2].is_word("COLLATE") {
        collation = part[end - 1].identifier().map(|n| n.to_ascii_uppercase());
        end -= 2;
    }
    if end == 0 {
        return Err(DdlError::End {
            expected: "an index expression",
        });
    }
    Ok(PartText {
        expression: Sql::from_lexemes(src, &part[..end]),
        collation,
        descending,
    })
}

/// A parenthesised list of names.
fn names(src: &str, list: &[Lexeme<'_>]) -> Result<Vec<String>, DdlError> {
    split_commas(list)
        .into_iter()
        .map(|item| {
            let mut c = Cursor::new(src, item);
            let name = c.name()?;
            c.expect_end()?;
            Ok(name)
        })
        .collect()
}

/// Names in keys are written in whatever case the writer chose; the model uses the column's own spelling.
fn canonical_column_names(t: &mut TableText) -> Result<(), DdlError> {
    let declared: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
    let canonical = |name: &mut String| -> Result<(), DdlError> {
        match declared.iter().find(|d| d.eq_ignore_ascii_case(name)) {
            Some(d) => {
                name.clone_from(d);
                Ok(())
            }
            None => Err(DdlError::UnknownColumn(name.clone())),
        }
    };
    for k in t
        .primary_key
        .iter_mut()
        .flat_map(|pk| pk.columns.iter_mut())
    {
        canonical(&mut k.column)?;
    }
    for u in &mut t.uniques {
        for k in &mut u.columns {
            canonical(&mut k.column)?;
        }
    }
    for fk in &mut t.foreign_keys {
        for col in &mut fk.columns {
            canonical(col)?;
        }
    }
    Ok(())
}

/// Splits a run of tokens at the commas outside any parentheses.
fn split_commas<'s, 'a>(lexemes: &'s [Lexeme<'a>]) -> Vec<&'s [Lexeme<'a>]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, l) in lexemes.iter().enumerate() {
        if l.is_punct("(") {
            depth += 1;
        } else if l.is_punct(")") {
            depth = depth.saturating_sub(1);
        } else if l.is_punct(",") && depth == 0 {
            out.push(&lexemes[start..i]);
            start = i + 1;
        }
    }
    if start < lexemes.len() || !out.is_empty() {
        out.push(&lexemes[start..]);
    }
    out
}

/// A position in a run of tokens.
struct Cursor<'s, 'a> {
    src: &'a str,
    lexemes: &'s [Lexeme<'a>],
    pos: usize,
}

impl<'s, 'a> Cursor<'s, 'a> {
    fn new(src: &'a str, lexemes: &'s [Lexeme<'a>]) -> Cursor<'s, 'a> {
        Cursor {
            src,
            lexemes,
            pos: 0,
        }
    }

    fn peek(&self) -> Option<&'s Lexeme<'a>> {
        self.lexemes.get(self.pos)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.lexemes.len()
    }

    fn peek_word(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|l| l.is_word(keyword))
    }

    fn peek_punct(&self, punct: &str) -> bool {
        self.peek().is_some_and(|l| l.is_punct(punct))
    }

    fn eat_word(&mut self, keyword: &str) -> bool {
        let found = self.peek_word(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    fn eat_punct(&mut self, punct: &str) -> bool {
        let found = self.peek_punct(punct);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect_word(&mut self, keyword: &'static str) -> Result<(), DdlError> {
        if self.eat_word(keyword) {
            Ok(())
        } else {
            Err(self.unexpected(keyword))
        }
    }

    fn expect_end(&self) -> Result<(), DdlError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.unexpected("the end of the text"))
        }
    }

    fn next(&mut self, expected: &'static str) -> Result<&'s Lexeme<'a>, DdlError> {
        let l = self.peek().ok_or(DdlError::End { expected })?;
        self.pos += 1;
        Ok(l)
    }

    fn unexpected(&self, expected: &'static str) -> DdlError {
        match self.peek() {
            Some(l) => DdlError::Unexpected {
                expected,
                found: l.text.to_string(),
                offset: l.start,
            },
            None => DdlError::End { expected },
        }
    }

    fn name(&mut self) -> Result<String, DdlError> {
        match self.peek().and_then(Lexeme::identifier) {
            Some(name) => {
                self.pos += 1;
                Ok(name)
            }
            None => Err(self.unexpected("a name")),
        }
    }

    /// `[schema.]name`; the schema is always the one the text was read from.
    fn qualified_name(&mut self) -> Result<String, DdlError> {
        let name = self.name()?;
        if self.eat_punct(".") {
            return self.name();
        }
        Ok(name)
    }

    fn if_not_exists(&mut self) -> Result<(), DdlError> {
        if self.eat_word("IF") {
            self.expect_word("NOT")?;
            self.expect_word("EXISTS")?;
        }
        Ok(())
    }

    /// ASC or DESC, if either is there: whether the order is descending.
    fn sort_order(&mut self) -> bool {
        if self.eat_word("DESC") {
            true
        } else {
            let _ = self.eat_word("ASC");
            false
        }
    }

    fn no_conflict_clause(&self) -> Result<(), DdlError> {
        if self.peek_word("ON") {
            Err(DdlError::Unsupported("an ON CONFLICT clause"))
        } else {
            Ok(())
        }
    }

    /// The tokens inside the parentheses that open here, which the cursor moves past.
    fn group(&mut self) -> Result<&'s [Lexeme<'a>], DdlError> {
        if !self.peek_punct("(") {
            return Err(self.unexpected("("));
        }
        let open = self.pos;
        let mut depth = 0usize;
        while let Some(l) = self.peek() {
            self.pos += 1;
            if l.is_punct("(") {
                depth += 1;
            } else if l.is_punct(")") {
                depth -= 1;
                if depth == 0 {
                    return Ok(&self.lexemes[open + 1..self.pos - 1]);
                }
            }
        }
        Err(DdlError::End { expected: ")" })
    }

    fn group_as_sql(&mut self) -> Result<Sql, DdlError> {
        let inner = self.group()?;
        Ok(Sql::from_lexemes(self.src, inner))
    }

    /// Everything left, which must not be empty.
    fn rest_as_sql(&mut self, expected: &'static str) -> Result<Sql, DdlError> {
        if self.at_end() {
            return Err(DdlError::End { expected });
        }
        let rest = &self.lexemes[self.pos..];
        self.pos = self.lexemes.len();
        Ok(Sql::from_lexemes(self.src, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str) -> Sql {
        Sql::sqlite(text).unwrap()
    }

    #[test]
    fn a_table_s_constraints_names_collations_and_generated_columns_are_read() {
        let t = table(
            "CREATE TABLE IF NOT EXISTS main.\"t\" (
               id INTEGER CONSTRAINT pk PRIMARY KEY DESC AUTOINCREMENT,
               email varchar ( 10 ) NOT NULL COLLATE nocase UNIQUE,
               parent INT REFERENCES p(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
               n INT DEFAULT -1 CHECK (n > 0),
               twice AS (n * 2) STORED, -- a comment
               CONSTRAINT positive CHECK ((twice >= 0)),
               UNIQUE (Email COLLATE binary DESC, n),
               FOREIGN KEY (n) REFERENCES q ON UPDATE SET NULL
             ) STRICT, WITHOUT ROWID",
        )
        .unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "email", "parent", "n", "twice"]);
        assert_eq!(t.columns[1].collation.as_deref(), Some("NOCASE"));
        assert_eq!(t.columns[4].generated, Some(sql("n*2")));
        assert_eq!(
            t.primary_key,
            Some(PrimaryKey {
                name: Some("pk".into()),
                columns: vec![KeyColumn {
                    column: "id".into(),
                    collation: None,
                    descending: true
                }],
                autoincrement: true,
            })
        );
        assert_eq!(
            t.uniques,
            [
                Unique {
                    columns: vec![KeyColumn::new("email")],
                    name: None
                },
                Unique {
                    columns: vec![
                        KeyColumn {
                            column: "email".into(),
                            collation: Some("BINARY".into()),
                            descending: true
                        },
                        KeyColumn::new("n")
                    ],
                    name: None
                },
            ]
        );
        assert_eq!(
            t.checks,
            [
                Check {
                    expression: sql("n > 0"),
                    name: None
                },
                Check {
                    expression: sql("twice >= 0"),
                    name: Some("positive".into())
                },
            ]
        );
        assert_eq!(
            t.foreign_keys,
            [
                ForeignKey {
                    columns: vec!["parent".into()],
                    references: ObjectName::bare("p"),
                    referenced_columns: vec!["id".into()],
                    on_delete: FkAction::Cascade,
                    on_update: FkAction::NoAction,
                    deferrable: Deferrable::InitiallyDeferred,
                    name: None,
                },
                ForeignKey {
                    columns: vec!["n".into()],
                    references: ObjectName::bare("q"),
                    referenced_columns: vec![],
                    on_delete: FkAction::NoAction,
                    on_update: FkAction::SetNull,
                    deferrable: Deferrable::No,
                    name: None,
                },
            ]
        );
        assert!(t.strict && t.without_rowid);
    }

    #[test]
    fn type_names_are_normalised() {
        assert_eq!(
            type_name("varchar ( 10 )").unwrap().as_deref(),
            Some("VARCHAR(10)")
        );
        assert_eq!(
            type_name("unsigned  big int").unwrap().as_deref(),
            Some("UNSIGNED BIG INT")
        );
        assert_eq!(
            type_name("decimal(10,-2)").unwrap().as_deref(),
            Some("DECIMAL(10, -2)")
        );
        assert_eq!(type_name("").unwrap(), None);
    }

    #[test]
    fn a_table_primary_key_may_carry_autoincrement_inside_its_parentheses() {
        let t = table("CREATE TABLE t (id INTEGER, PRIMARY KEY (id AUTOINCREMENT))").unwrap();
        let pk = t.primary_key.unwrap();
        assert!(pk.autoincrement);
        assert_eq!(pk.columns, [KeyColumn::new("id")]);
    }

    #[test]
    fn immediate_foreign_keys_are_all_one_in_sqlite() {
        for clause in [
            "",
            "NOT DEFERRABLE",
            "DEFERRABLE",
            "DEFERRABLE INITIALLY IMMEDIATE",
        ] {
            let t = table(&format!("CREATE TABLE t (a REFERENCES p {clause})")).unwrap();
            assert_eq!(t.foreign_keys[0].deferrable, Deferrable::No, "{clause}");
        }
    }

    #[test]
    fn what_is_not_understood_is_an_error() {
        assert_eq!(
            table("CREATE TABLE t (a INT UNIQUE ON CONFLICT REPLACE)").unwrap_err(),
            DdlError::Unsupported("an ON CONFLICT clause")
        );
        assert!(matches!(
            table("CREATE TABLE t (a INT DEFAULT 1 SOMETHING)").unwrap_err(),
            DdlError::Unexpected { .. }
        ));
        assert_eq!(
            table("CREATE TABLE t (a INT, UNIQUE (b))").unwrap_err(),
            DdlError::UnknownColumn("b".into())
        );
        assert!(matches!(
            table("CREATE TABLE t (a INT) WITHOUT").unwrap_err(),
            DdlError::End { .. }
        ));
    }

    #[test]
    fn an_index_s_parts_collations_order_and_predicate_are_read() {
        let i = index(
            "CREATE UNIQUE INDEX IF NOT EXISTS i ON \"t\" (lower(email) COLLATE NoCase DESC, id ASC, (a + b)) \
             WHERE email IS NOT NULL",
        )
        .unwrap();
        assert!(i.unique);
        assert_eq!(i.table, "t");
        assert_eq!(
            i.parts,
            [
                PartText {
                    expression: sql("lower(email)"),
                    collation: Some("NOCASE".into()),
                    descending: true
                },
                PartText {
                    expression: sql("id"),
                    collation: None,
                    descending: false
                },
                PartText {
                    expression: sql("a+b"),
                    collation: None,
                    descending: false
                },
            ]
        );
        assert_eq!(i.predicate, Some(sql("email IS NOT NULL")));
        assert_eq!(index("CREATE INDEX j ON t(a)").unwrap().predicate, None);
    }

    #[test]
    fn views_triggers_and_virtual_tables_are_read_after_their_names() {
        let v = view("CREATE VIEW IF NOT EXISTS v (a, \"b\") AS SELECT 1, 2").unwrap();
        assert_eq!(v.columns, ["a", "b"]);
        assert_eq!(v.query, sql("select 1,2"));
        assert_eq!(
            trigger("CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END").unwrap(),
            sql("AFTER INSERT ON t BEGIN SELECT 1; END")
        );
        let vt =
            virtual_table("CREATE VIRTUAL TABLE docs USING FTS5(title, body, tokenize = 'porter')")
                .unwrap();
        assert_eq!(vt.module, "fts5");
        assert_eq!(
            vt.arguments,
            [sql("title"), sql("body"), sql("tokenize='porter'")]
        );
        assert!(virtual_table("CREATE VIRTUAL TABLE r USING m")
            .unwrap()
            .arguments
            .is_empty());
    }
}
