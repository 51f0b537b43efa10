//! SQL text compared the way the database reads it, not the way it was typed.
//!
//! SQLite keeps every CREATE statement as the user wrote it (comments, spacing, the case of keywords), and
//! `ALTER TABLE … RENAME` adds quotes to the names it rewrites. Comparing that text would report changes where
//! the database sees none, so expressions, view queries and trigger bodies are compared as token streams:
//! comments and whitespace dropped, keywords and identifiers case-folded as SQLite folds them (ASCII only),
//! quotes removed where the name needs none, and the two spellings of equality and inequality made one. The
//! original text is kept beside the tokens, for writing the object back exactly.
//!
//! The statement splitter in [`crate::sql`] only finds where statements end and hands out no tokens, so this
//! is a tokenizer of its own, for SQLite's lexical rules.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use thiserror::Error;

/// One token of normalised SQL text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Token {
    /// A keyword, or an identifier that needs no quotes, in ASCII lower case.
    Word(String),
    /// An identifier that needs its quotes (a keyword, or not a plain word): its name, ASCII lower-cased.
    Quoted(String),
    /// A string literal's value, quotes removed and doubled quotes undone.
    String(String),
    /// A numeric literal as written, hexadecimal digits in lower case.
    Number(String),
    /// A blob literal's hexadecimal digits, in lower case.
    Blob(String),
    /// A bound parameter (`?1`, `:name`, `@name`, `$name`).
    Variable(String),
    /// An operator or punctuation; `==` is read as `=` and `<>` as `!=`, as SQLite reads them.
    Punct(&'static str),
    /// A PostgreSQL operator of one or more operator characters (`@>`, `~~*`, `#-`), which has no fixed
    /// list to take a `&'static str` from.
    Operator(String),
}

/// What a lexeme is, before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    QuotedIdent,
    String,
    Number,
    Blob,
    Variable,
    Punct(&'static str),
}

/// One token as it stands in the source text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexeme<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset of `text` in the source.
    pub start: usize,
}

impl Lexeme<'_> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Whether this is the bare word `keyword` (given in any case).
    pub fn is_word(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub fn is_punct(&self, punct: &str) -> bool {
        matches!(self.kind, Kind::Punct(p) if p == punct)
    }

    /// The name this token spells where SQLite expects a name: a word, a quoted identifier, or (as SQLite
    /// allows there) a string literal.
    pub fn identifier(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.to_string()),
            Kind::QuotedIdent | Kind::String => Some(unquote(self.text)),
            _ => None,
        }
    }

    pub fn token(&self) -> Token {
        match self.kind {
            Kind::Word => Token::Word(self.text.to_ascii_lowercase()),
            Kind::QuotedIdent => {
                let name = unquote(self.text);
                if is_plain_word(&name) && !is_keyword(&name) {
                    Token::Word(name.to_ascii_lowercase())
                } else {
                    Token::Quoted(name.to_ascii_lowercase())
                }
            }
            Kind::String => Token::String(unquote(self.text)),
            Kind::Number => Token::Number(self.text.to_ascii_lowercase()),
            Kind::Blob => Token::Blob(self.text[2..self.text.len() - 1].to_ascii_lowercase()),
            Kind::Variable => Token::Variable(self.text.to_string()),
            Kind::Punct(p) => Token::Punct(match p {
                "==" => "=",
                "<>" => "!=",
                other => other,
            }),
        }
    }
}

/// Text the tokenizer could not read. SQLite accepted the text before it was stored, so this means the
/// tokenizer is wrong about some corner of SQLite's syntax, and the object is refused rather than guessed at.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LexError {
    #[error("unterminated {what} at byte {offset}")]
    Unterminated { what: &'static str, offset: usize },
    #[error("unexpected character '{found}' at byte {offset}")]
    Unexpected { found: char, offset: usize },
}

/// SQL text with its normalised tokens: equal, ordered and hashed by the tokens alone, so two spellings of
/// the same SQL are one value; the text is what was written, for writing it back.
#[derive(Clone)]
pub struct Sql {
    text: String,
    tokens: Vec<Token>,
}

impl Sql {
    /// Reads `text` under SQLite's lexical rules.
    pub fn sqlite(text: &str) -> Result<Sql, LexError> {
        let lexemes = lex(text)?;
        Ok(Sql::from_lexemes(text, &lexemes))
    }

    /// Reads `text` as PostgreSQL writes it back from its catalog (`pg_get_expr`, `pg_get_viewdef`, …):
    /// already canonical, so the tokens only need to tell names, literals and operators apart for
    /// [`Sql::mentions`] and to ignore spacing. Unquoted names fold to lower case as PostgreSQL folds them;
    /// quoted ones keep their case.
    pub fn postgres(text: &str) -> Result<Sql, LexError> {
        let mut tokens = lex_postgres(text)?;
        strip_outer_parens(&mut tokens);
        Ok(Sql {
            text: text.trim().to_string(),
            tokens,
        })
    }

    /// The SQL covered by `lexemes`, a run of tokens of `source`.
    pub(crate) fn from_lexemes(source: &str, lexemes: &[Lexeme<'_>]) -> Sql {
        let text = match (lexemes.first(), lexemes.last()) {
            (Some(first), Some(last)) => source[first.start..last.end()].to_string(),
            _ => String::new(),
        };
        let mut tokens: Vec<Token> = lexemes.iter().map(Lexeme::token).collect();
        strip_outer_parens(&mut tokens);
        Sql { text, tokens }
    }

    /// The text as written (comments inside it included), without surrounding whitespace.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The normalised tokens, without parentheses that enclose the whole text.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Whether `name` occurs in the text as a name (quoted or not), in any case.
    pub fn mentions(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Word(w) | Token::Quoted(w) if *w == name))
    }
}

/// `((a > 0))` and `a > 0` are the same expression: SQLite keeps whichever was written (and a DEFAULT read
/// back through `pragma_table_xinfo` loses its outer parentheses).
fn strip_outer_parens(tokens: &mut Vec<Token>) {
    while tokens.len() >= 2
        && tokens[0] == Token::Punct("(")
        && closing_paren(tokens) == Some(tokens.len() - 1)
    {
        tokens.pop();
        tokens.remove(0);
    }
}

/// Where the parenthesis opened by the first token closes.
fn closing_paren(tokens: &[Token]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct("(") => depth += 1,
            Token::Punct(")") => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

impl PartialEq for Sql {
    fn eq(&self, other: &Sql) -> bool {
        self.tokens == other.tokens
    }
}

impl Eq for Sql {}

impl PartialOrd for Sql {
    fn partial_cmp(&self, other: &Sql) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sql {
    fn cmp(&self, other: &Sql) -> Ordering {
        self.tokens.cmp(&other.tokens)
    }
}

impl Hash for Sql {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.tokens.hash(state);
    }
}

impl fmt::Debug for Sql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sql({:?})", self.text)
    }
}

impl fmt::Display for Sql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Removes the quotes around a quoted identifier or string and undoes doubled quote characters; `[…]`
/// has no escape.
fn unquote(text: &str) -> String {
    let open = text.as_bytes()[0];
    let inner = &text[1..text.len() - 1];
    match open {
        b'[' => inner.to_string(),
        b'"' => inner.replace("\"\"", "\""),
        b'`' => inner.replace("``", "`"),
        _ => inner.replace("''", "'"),
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Whether `name` could be written without quotes, keywords aside.
fn is_plain_word(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty() && is_ident_start(bytes[0]) && bytes.iter().all(|&b| is_ident_char(b))
}

/// SQLite's keywords (`sqlite3_keyword_name`), in upper case and sorted. A name that is one of them keeps its
/// quotes; the list is checked against the bundled library's own in the SQLite inspection tests.
pub(crate) const SQLITE_KEYWORDS: [&str; 147] = [
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

pub(crate) fn is_keyword(word: &str) -> bool {
    SQLITE_KEYWORDS
        .binary_search_by(|k| k.bytes().cmp(word.bytes().map(|b| b.to_ascii_uppercase())))
        .is_ok()
}

/// Operators, longest first so that `->>` is not read as `->` then `>`.
const PUNCTS: [&str; 29] = [
    "->>", "==", "<=", ">=", "<>", "!=", "<<", ">>", "||", "->", "(", ")", ";", ",", ".", "+", "-",
    "*", "/", "%", "=", "<", ">", "&", "|", "~", "?", ":", "@",
];

/// Splits `src` into SQLite's tokens, dropping whitespace and comments.
pub(crate) fn lex(src: &str) -> Result<Vec<Lexeme<'_>>, LexError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        // SQLite accepts a block comment left open at the end of the text.
        if let Some(end) = blank_end(src, i, true)? {
            i = end;
            continue;
        }
        let kind = match b {
            b'\'' => {
                i = quoted_end(bytes, i, b'\'', "string")?;
                Kind::String
            }
            b'"' | b'`' => {
                i = quoted_end(bytes, i, b, "quoted identifier")?;
                Kind::QuotedIdent
            }
            b'[' => {
                i = src[i..]
                    .find(']')
                    .map(|n| i + n + 1)
                    .ok_or(LexError::Unterminated {
                        what: "quoted identifier",
                        offset: i,
                    })?;
                Kind::QuotedIdent
            }
            b'x' | b'X' if bytes.get(i + 1) == Some(&b'\'') => {
                i = quoted_end(bytes, i + 1, b'\'', "blob")?;
                Kind::Blob
            }
            _ if starts_number(bytes, i) => {
                i = number_end(bytes, i);
                Kind::Number
            }
            b'?' => {
                i = run_end(bytes, i + 1, |c| c.is_ascii_digit());
                Kind::Variable
            }
            b':' | b'@' | b'$' if bytes.get(i + 1).is_some_and(|&c| is_ident_char(c)) => {
                i = run_end(bytes, i + 1, is_ident_char);
                Kind::Variable
            }
            _ if is_ident_start(b) => {
                i = run_end(bytes, i, is_ident_char);
                Kind::Word
            }
            _ => match PUNCTS.iter().find(|p| src[i..].starts_with(**p)) {
                Some(p) => {
                    i += p.len();
                    Kind::Punct(p)
                }
                None => {
                    return Err(LexError::Unexpected {
                        found: src[i..].chars().next().unwrap_or('?'),
                        offset: i,
                    })
                }
            },
        };
        out.push(Lexeme {
            kind,
            text: &src[start..i],
            start,
        });
    }
    Ok(out)
}

/// PostgreSQL's operator characters: a run of them is one operator.
const PG_OPERATOR_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?";

/// Splits `src` into tokens under PostgreSQL's lexical rules: `'…'` strings (an `E` prefix is a word of
/// its own, which is enough to compare them), `$tag$…$tag$` strings, `"…"` names, `$1` parameters, `::`,
/// brackets, and runs of operator characters.
fn lex_postgres(src: &str) -> Result<Vec<Token>, LexError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if let Some(end) = blank_end(src, i, false)? {
            i = end;
            continue;
        }
        let token = match b {
            b'\'' => {
                i = quoted_end(bytes, i, b'\'', "string")?;
                Token::String(unquote(&src[start..i]))
            }
            b'"' => {
                i = quoted_end(bytes, i, b'"', "quoted identifier")?;
                let name = unquote(&src[start..i]);
                let plain = is_plain_word(&name) && name.bytes().all(|c| !c.is_ascii_uppercase());
                if plain {
                    Token::Word(name)
                } else {
                    Token::Quoted(name)
                }
            }
            b'$' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = run_end(bytes, i + 1, |c| c.is_ascii_digit());
                Token::Variable(src[start..i].to_string())
            }
            b'$' => {
                // A dollar-quoted string: `$tag$` … `$tag$`, the tag possibly empty.
                let tag_end =
                    src[i + 1..]
                        .find('$')
                        .map(|n| i + 1 + n + 1)
                        .ok_or(LexError::Unexpected {
                            found: '$',
                            offset: i,
                        })?;
                let tag = &src[start..tag_end];
                let body_end = src[tag_end..].find(tag).map(|n| tag_end + n).ok_or(
                    LexError::Unterminated {
                        what: "dollar-quoted string",
                        offset: i,
                    },
                )?;
                i = body_end + tag.len();
                Token::String(src[tag_end..body_end].to_string())
            }
            _ if starts_number(bytes, i) => {
                i = number_end(bytes, i);
                Token::Number(src[start..i].to_ascii_lowercase())
            }
            _ if is_ident_start(b) => {
                i = run_end(bytes, i, is_ident_char);
                Token::Word(src[start..i].to_ascii_lowercase())
            }
            b':' if bytes.get(i + 1) == Some(&b':') => {
                i += 2;
                Token::Punct("::")
            }
            b'(' | b')' | b'[' | b']' | b',' | b';' | b'.' | b':' => {
                i += 1;
                Token::Punct(match b {
                    b'(' => "(",
                    b')' => ")",
                    b'[' => "[",
                    b']' => "]",
                    b',' => ",",
                    b';' => ";",
                    b'.' => ".",
                    _ => ":",
                })
            }
            _ if PG_OPERATOR_CHARS.contains(&b) => {
                i = run_end(bytes, i, |c| PG_OPERATOR_CHARS.contains(&c));
                Token::Operator(src[start..i].to_string())
            }
            _ => {
                return Err(LexError::Unexpected {
                    found: src[i..].chars().next().unwrap_or('?'),
                    offset: i,
                })
            }
        };
        out.push(token);
    }
    Ok(out)
}

/// The end of the whitespace character or comment that starts at `i`, if one does; `open_comment` says
/// whether a block comment may run on to the end of the text rather than be an error.
fn blank_end(src: &str, i: usize, open_comment: bool) -> Result<Option<usize>, LexError> {
    let bytes = src.as_bytes();
    Ok(Some(match bytes[i] {
        b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => i + 1,
        b'-' if bytes.get(i + 1) == Some(&b'-') => {
            src[i..].find('\n').map_or(bytes.len(), |n| i + n + 1)
        }
        b'/' if bytes.get(i + 1) == Some(&b'*') => match src[i + 2..].find("*/") {
            Some(n) => i + 2 + n + 2,
            None if open_comment => bytes.len(),
            None => {
                return Err(LexError::Unterminated {
                    what: "comment",
                    offset: i,
                })
            }
        },
        _ => return Ok(None),
    }))
}

/// The end of a literal quoted by `quote` that opens at `open`, where a doubled quote stands for itself.
fn quoted_end(bytes: &[u8], open: usize, quote: u8, what: &'static str) -> Result<usize, LexError> {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(LexError::Unterminated { what, offset: open })
}

/// The end of the run of bytes from `start` on that `part` accepts.
fn run_end(bytes: &[u8], start: usize, part: impl Fn(u8) -> bool) -> usize {
    start + bytes[start..].iter().take_while(|&&c| part(c)).count()
}

/// Whether a numeric literal opens at `i`: a digit, or a point before one.
fn starts_number(bytes: &[u8], i: usize) -> bool {
    bytes[i].is_ascii_digit()
        || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
}

/// The end of a numeric literal: hexadecimal, or decimal with a fraction and an exponent, `_` between digits.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    if bytes[i] == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
        return run_end(bytes, i + 2, |c| c.is_ascii_hexdigit() || c == b'_');
    }
    let digits = |i: usize| run_end(bytes, i, |c| c.is_ascii_digit() || c == b'_');
    i = digits(i);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str) -> Sql {
        Sql::sqlite(text).unwrap()
    }

    #[test]
    fn spacing_comments_case_and_needless_quotes_do_not_matter() {
        let a = sql("SELECT a, \"b\" FROM [t] WHERE `c` == 1 -- why\n");
        let b = sql("select A,b /* note */ from T\n  where c=1");
        assert_eq!(a, b);
        assert_eq!(a.text(), "SELECT a, \"b\" FROM [t] WHERE `c` == 1");
    }

    #[test]
    fn quotes_that_are_needed_and_literals_stay_distinct() {
        assert_ne!(sql("SELECT \"order\" FROM t"), sql("SELECT order FROM t"));
        assert_ne!(sql("SELECT \"a b\""), sql("SELECT a b"));
        assert_ne!(sql("SELECT 'a'"), sql("SELECT a"));
        assert_ne!(sql("SELECT 'A'"), sql("SELECT 'a'"));
        assert_ne!(sql("a < b"), sql("a <= b"));
        assert_eq!(sql("a <> b"), sql("a != b"));
        assert_eq!(sql("x'AB'"), sql("X'ab'"));
    }

    #[test]
    fn enclosing_parentheses_do_not_matter_but_inner_ones_do() {
        assert_eq!(sql("((a > 0))"), sql("a > 0"));
        assert_eq!(sql("(1)"), sql("1"));
        assert_ne!(sql("(a) + (b)"), sql("a) + (b"));
        assert_eq!(sql("(a) + (b)").tokens().len(), 7);
    }

    #[test]
    fn tokens_cover_strings_numbers_variables_and_operators() {
        let t = sql("'it''s' 1.5e3 0xFF .5 ?1 :n @m $o ->> || x'00' \"a\"\"b\"");
        assert_eq!(
            t.tokens(),
            [
                Token::String("it's".into()),
                Token::Number("1.5e3".into()),
                Token::Number("0xff".into()),
                Token::Number(".5".into()),
                Token::Variable("?1".into()),
                Token::Variable(":n".into()),
                Token::Variable("@m".into()),
                Token::Variable("$o".into()),
                Token::Punct("->>"),
                Token::Punct("||"),
                Token::Blob("00".into()),
                Token::Quoted("a\"b".into()),
            ]
        );
    }

    #[test]
    fn mentions_finds_names_quoted_or_not() {
        let s = sql("SELECT x FROM \"Parent\" p");
        assert!(s.mentions("parent"));
        assert!(s.mentions("X"));
        assert!(!s.mentions("child"));
    }

    #[test]
    fn unreadable_text_is_an_error() {
        assert_eq!(
            Sql::sqlite("SELECT 'open").unwrap_err(),
            LexError::Unterminated {
                what: "string",
                offset: 7
            }
        );
        assert!(matches!(
            Sql::sqlite("a ! b"),
            Err(LexError::Unexpected { found: '!', .. })
        ));
    }

    #[test]
    fn postgres_text_reads_casts_operators_arrays_and_dollar_quotes() {
        let pg = |t: &str| Sql::postgres(t).unwrap();
        assert_eq!(
            pg("(now() + '1 day'::interval)"),
            pg("now()  +  '1 day'::interval")
        );
        let t = pg("tags @> ARRAY['a'::text] AND \"Name\" ~~* $1 AND $f$x$f$ = \"plain\"");
        assert_eq!(
            t.tokens(),
            [
                Token::Word("tags".into()),
                Token::Operator("@>".into()),
                Token::Word("array".into()),
                Token::Punct("["),
                Token::String("a".into()),
                Token::Punct("::"),
                Token::Word("text".into()),
                Token::Punct("]"),
                Token::Word("and".into()),
                Token::Quoted("Name".into()),
                Token::Operator("~~*".into()),
                Token::Variable("$1".into()),
                Token::Word("and".into()),
                Token::String("x".into()),
                Token::Operator("=".into()),
                Token::Word("plain".into()),
            ]
        );
        assert!(t.mentions("tags") && !t.mentions("name"));
        assert!(Sql::postgres("'open").is_err());
    }

    #[test]
    fn the_keyword_list_is_sorted() {
        assert!(SQLITE_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_keyword("select") && is_keyword("Without") && !is_keyword("users"));
    }
}
