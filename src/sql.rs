//! Splits a section of a revision file into single SQL statements.
//!
//! dbkit runs statements one at a time so that a failure can be reported with the line it came from, and
//! offline SQL output prints them one by one. Cutting at every `;` goes wrong as soon as a semicolon sits in a
//! string, a comment, a dollar-quoted body, a `BEGIN ATOMIC` routine body or a SQLite trigger, and a general
//! SQL parser is both heavier and, measured on real revision files, not exact. So this is a small lexer that
//! knows exactly the quoting rules of the two databases dbkit supports and nothing more: it never interprets
//! a statement, it only finds where each one ends.
//!
//! The lexer makes a single pass over the input. The only re-reading is the SQLite confirmation of a `;`,
//! which looks at the current statement alone.

use std::ffi::CString;

/// The database whose lexical rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Sqlite,
    Postgres,
}

/// One statement of a section, borrowed from the section's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement's source text, sliced from the input: it starts at the first token (leading whitespace and
    /// comments before the statement are not included) and ends with its last token, before the terminating `;`.
    /// Comments between the last token and the `;` are left out too, so that appending `;` to `sql` can never
    /// land inside a line comment.
    pub sql: &'a str,
    /// 1-based line number, within the input, of the statement's first token.
    pub line: usize,
}

impl Statement<'_> {
    /// The statement's first line (for error messages), trimmed.
    pub fn first_line(&self) -> &str {
        self.sql.lines().next().unwrap_or("").trim()
    }
}

/// Why a section could not be split. Every variant carries the 1-based line where the problem starts.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    /// A line that starts with a backslash command of the interactive client; no database accepts it.
    #[error(
        "line {line}: psql meta-command '{command}' is not SQL; revision files must contain only SQL statements"
    )]
    MetaCommand { line: usize, command: String },
    /// A `'…'` or `E'…'` string literal that never closes.
    #[error("line {line}: unterminated quoted string")]
    UnterminatedString { line: usize },
    /// A `"…"`, `[…]` or `` `…` `` identifier that never closes.
    #[error("line {line}: unterminated quoted identifier")]
    UnterminatedIdentifier { line: usize },
    /// A `$tag$` body that never meets its closing delimiter; `delimiter` is the opening one, dollars included.
    #[error("line {line}: unterminated dollar-quoted string {delimiter}")]
    UnterminatedDollarQuote { line: usize, delimiter: String },
    /// A `/*` comment that never closes.
    #[error("line {line}: unterminated block comment")]
    UnterminatedBlockComment { line: usize },
}

impl SplitError {
    /// The 1-based line the error points at.
    pub fn line(&self) -> usize {
        match self {
            SplitError::MetaCommand { line, .. }
            | SplitError::UnterminatedString { line }
            | SplitError::UnterminatedIdentifier { line }
            | SplitError::UnterminatedDollarQuote { line, .. }
            | SplitError::UnterminatedBlockComment { line } => *line,
        }
    }
}

/// Splits `input` into statements. Pieces that contain only whitespace and comments produce no statement.
/// A final statement without a trailing `;` is still a statement.
pub fn split(input: &str, flavor: Flavor) -> Result<Vec<Statement<'_>>, SplitError> {
    Splitter::new(input, flavor).run()
}

/// What the lexer hands to the statement tracker. Whitespace and comments never become tokens.
enum Token<'a> {
    Semicolon,
    OpenParen,
    CloseParen,
    Word(&'a str),
    Other,
}

/// How far the statement's leading words match `CREATE [OR REPLACE] {FUNCTION | PROCEDURE}`. Only such
/// statements can carry a `BEGIN ATOMIC` body, so only in them do `BEGIN`, `CASE` and `END` mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Start,
    Create,
    CreateOr,
    CreateOrReplace,
    Routine,
    Other,
}

/// The statement being collected.
struct Current {
    start: usize,
    line: usize,
    end: usize,
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    flavor: Flavor,
    pos: usize,
    line: usize,
    /// Nothing but blanks seen since the last newline; decides whether a backslash starts a client command.
    at_line_start: bool,
    current: Option<Current>,
    out: Vec<Statement<'a>>,
    head: Head,
    paren_depth: usize,
    /// Open `BEGIN ATOMIC` and nested `CASE` blocks; a `;` inside one belongs to the routine body.
    atomic_depth: usize,
    /// The previous token was a `BEGIN` that may open an atomic body if `ATOMIC` follows.
    pending_begin: bool,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str, flavor: Flavor) -> Self {
        Splitter {
            src,
            bytes: src.as_bytes(),
            flavor,
            pos: 0,
            line: 1,
            at_line_start: true,
            current: None,
            out: Vec::new(),
            head: Head::Start,
            paren_depth: 0,
            atomic_depth: 0,
            pending_begin: false,
        }
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn run(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        while let Some(b) = self.peek(0) {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                    self.at_line_start = true;
                    continue;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    self.pos += 1;
                    continue;
                }
                b'-' if self.peek(1) == Some(b'-') => {
                    // The newline is left for the loop so that it counts the line and resets `at_line_start`.
                    self.pos = self.bytes[self.pos..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(self.bytes.len(), |n| self.pos + n);
                    continue;
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    self.block_comment()?;
                    self.at_line_start = false;
                    continue;
                }
                _ => {}
            }
            let (start, line) = (self.pos, self.line);
            let token = self.token(b)?;
            self.at_line_start = false;
            self.accept(token, start, line);
        }
        if let Some(current) = self.current.take() {
            self.push(current);
        }
        Ok(self.out)
    }

    /// Lexes the significant token starting with byte `b` at `self.pos`.
    fn token(&mut self, b: u8) -> Result<Token<'a>, SplitError> {
        let line = self.line;
        let postgres = self.flavor == Flavor::Postgres;
        match b {
            b'\\' if self.at_line_start => {
                let rest = &self.src[self.pos..];
                let end = rest
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(rest.len());
                Err(SplitError::MetaCommand {
                    line,
                    command: rest[..end].to_string(),
                })
            }
            b';' => {
                self.pos += 1;
                Ok(Token::Semicolon)
            }
            b'(' => {
                self.pos += 1;
                Ok(Token::OpenParen)
            }
            b')' => {
                self.pos += 1;
                Ok(Token::CloseParen)
            }
            b'\'' => {
                self.quoted(b'\'', false)
                    .ok_or(SplitError::UnterminatedString { line })?;
                Ok(Token::Other)
            }
            b'"' => {
                self.quoted(b'"', false)
                    .ok_or(SplitError::UnterminatedIdentifier { line })?;
                Ok(Token::Other)
            }
            b'`' if !postgres => {
                self.quoted(b'`', false)
                    .ok_or(SplitError::UnterminatedIdentifier { line })?;
                Ok(Token::Other)
            }
            b'[' if !postgres => {
                // SQLite's bracketed identifiers have no escape: the first `]` closes them.
                let close = self.bytes[self.pos..].iter().position(|&c| c == b']');
                let close = close.ok_or(SplitError::UnterminatedIdentifier { line })?;
                self.skip_to(self.pos + close + 1);
                Ok(Token::Other)
            }
            b'$' if postgres => {
                if let Some(len) = self.dollar_delimiter_len() {
                    self.dollar_quoted(len)?;
                } else {
                    // `$1` and a lone `$`: the digits that follow lex as a word of their own, which is harmless.
                    self.pos += 1;
                }
                Ok(Token::Other)
            }
            _ if is_word_start(b) => {
                let start = self.pos;
                let len = self.bytes[start..]
                    .iter()
                    .position(|&c| !is_word_char(c))
                    .unwrap_or(self.bytes.len() - start);
                self.pos += len;
                let word = &self.src[start..self.pos];
                if postgres && (word == "E" || word == "e") && self.peek(0) == Some(b'\'') {
                    self.quoted(b'\'', true)
                        .ok_or(SplitError::UnterminatedString { line })?;
                    return Ok(Token::Other);
                }
                Ok(Token::Word(word))
            }
            _ => {
                // Every byte that is not ASCII is a word character, so this steps over exactly one char.
                self.pos += 1;
                Ok(Token::Other)
            }
        }
    }

    /// Moves to `to`, counting the newlines passed over.
    fn skip_to(&mut self, to: usize) {
        self.line += count_newlines(&self.bytes[self.pos..to]);
        self.pos = to;
    }

    /// Skips a literal opened by `quote` at `self.pos`, where a doubled `quote` stands for itself and, if
    /// `backslash` is set, a backslash escapes the next byte. Returns `None` if the input ends first.
    fn quoted(&mut self, quote: u8, backslash: bool) -> Option<()> {
        let mut i = self.pos + 1;
        loop {
            let c = *self.bytes.get(i)?;
            if c == quote {
                if self.bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                self.skip_to(i + 1);
                return Some(());
            }
            i += if backslash && c == b'\\' { 2 } else { 1 };
        }
    }

    /// Skips a block comment starting at `self.pos`. PostgreSQL nests block comments; SQLite ends one at the
    /// first `*/`, and its own statement-completeness check does the same, so the lexer must agree with it.
    fn block_comment(&mut self) -> Result<(), SplitError> {
        let line = self.line;
        let nests = self.flavor == Flavor::Postgres;
        let mut depth = 1usize;
        let mut i = self.pos + 2;
        while i < self.bytes.len() {
            match (self.bytes[i], self.bytes.get(i + 1)) {
                (b'*', Some(b'/')) => {
                    i += 2;
                    depth -= 1;
                    if depth == 0 {
                        self.skip_to(i);
                        return Ok(());
                    }
                }
                (b'/', Some(b'*')) if nests => {
                    i += 2;
                    depth += 1;
                }
                _ => i += 1,
            }
        }
        Err(SplitError::UnterminatedBlockComment { line })
    }

    /// The length of a `$tag$` delimiter at `self.pos`, if there is one. The tag is empty or an identifier
    /// without dollars, so `$1` is a parameter and not a delimiter.
    fn dollar_delimiter_len(&self) -> Option<usize> {
        let rest = &self.bytes[self.pos + 1..];
        let tag = match rest.first() {
            Some(&c) if is_tag_start(c) => rest.iter().position(|&c| !is_tag_char(c))?,
            _ => 0,
        };
        (rest.get(tag) == Some(&b'$')).then_some(tag + 2)
    }

    /// Skips a dollar-quoted string whose opening delimiter is `len` bytes long. Only the same delimiter closes
    /// it, wherever it appears, so other tags inside are plain content.
    fn dollar_quoted(&mut self, len: usize) -> Result<(), SplitError> {
        let delimiter = &self.src[self.pos..self.pos + len];
        let body = self.pos + len;
        match self.src[body..].find(delimiter) {
            Some(n) => {
                self.skip_to(body + n + len);
                Ok(())
            }
            None => Err(SplitError::UnterminatedDollarQuote {
                line: self.line,
                delimiter: delimiter.to_string(),
            }),
        }
    }

    /// Adds the token that started at `start` on `line` to the statement being collected, or ends the statement.
    fn accept(&mut self, token: Token<'a>, start: usize, line: usize) {
        if let Token::Semicolon = token {
            if let Some(current) = self.current.take() {
                if self.semicolon_ends(&current, start) {
                    self.push(current);
                    self.head = Head::Start;
                    self.paren_depth = 0;
                    self.atomic_depth = 0;
                    self.pending_begin = false;
                    return;
                }
                self.current = Some(current);
            } else {
                // A `;` with nothing before it is an empty statement, which dbkit has no reason to run.
                return;
            }
        }
        let current = self.current.get_or_insert(Current {
            start,
            line,
            end: start,
        });
        current.end = self.pos;
        if self.flavor == Flavor::Postgres {
            self.track_routine(&token);
        }
    }

    fn semicolon_ends(&self, current: &Current, semicolon: usize) -> bool {
        match self.flavor {
            // A `;` inside parentheses belongs to the statement, which is how a rule with several actions
            // `DO (…; …)` stays whole.
            Flavor::Postgres => self.paren_depth == 0 && self.atomic_depth == 0,
            // A trigger body holds `;`-terminated statements between BEGIN and END; SQLite itself knows best
            // when a statement is complete.
            Flavor::Sqlite => sqlite_complete(&self.src[current.start..=semicolon]),
        }
    }

    fn track_routine(&mut self, token: &Token<'a>) {
        let pending_begin = std::mem::take(&mut self.pending_begin);
        let word = match token {
            Token::Word(word) => *word,
            Token::OpenParen => {
                self.paren_depth += 1;
                return;
            }
            Token::CloseParen => {
                self.paren_depth = self.paren_depth.saturating_sub(1);
                return;
            }
            Token::Semicolon | Token::Other => {
                if self.head != Head::Routine {
                    self.head = Head::Other;
                }
                return;
            }
        };
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
        self.head = match self.head {
            Head::Start if is("create") => Head::Create,
            Head::Create if is("or") => Head::CreateOr,
            Head::CreateOr if is("replace") => Head::CreateOrReplace,
            Head::Create | Head::CreateOrReplace if is("function") || is("procedure") => {
                Head::Routine
            }
            Head::Routine => Head::Routine,
            _ => Head::Other,
        };
        // Parameter names and defaults live in parentheses, and a CASE and its END never straddle one, so
        // keywords inside parentheses are ignored.
        if self.head != Head::Routine || self.paren_depth > 0 {
            return;
        }
        if self.atomic_depth == 0 {
            if is("begin") {
                self.pending_begin = true;
            } else if pending_begin && is("atomic") {
                self.atomic_depth = 1;
            }
        } else if is("case") {
            self.atomic_depth += 1;
        } else if is("end") {
            self.atomic_depth -= 1;
        }
    }

    fn push(&mut self, current: Current) {
        self.out.push(Statement {
            sql: &self.src[current.start..current.end],
            line: current.line,
        });
    }
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Both databases allow `$` inside an identifier, which is why `foo$bar$` never opens a dollar quote.
fn is_word_char(b: u8) -> bool {
    is_word_start(b) || b == b'$'
}

fn is_tag_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_tag_char(b: u8) -> bool {
    is_tag_start(b) || b.is_ascii_digit()
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Asks SQLite whether `text`, which ends with a `;` the lexer saw outside any quote or comment, is a complete
/// statement. It says no inside a trigger body that has not reached its `END;`.
fn sqlite_complete(text: &str) -> bool {
    // A NUL would end the C string early; a space lexes the same way everywhere it can appear.
    let bytes: Vec<u8> = text
        .bytes()
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    let text = CString::new(bytes).expect("NUL bytes were replaced");
    // SAFETY: `text` is a valid NUL-terminated string that outlives the call, which only reads it.
    unsafe { rusqlite::ffi::sqlite3_complete(text.as_ptr()) != 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(input: &str, flavor: Flavor) -> Vec<&str> {
        split(input, flavor)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    fn pg(input: &str) -> Vec<&str> {
        sqls(input, Flavor::Postgres)
    }

    fn lite(input: &str) -> Vec<&str> {
        sqls(input, Flavor::Sqlite)
    }

    fn both(input: &str) -> Vec<&str> {
        let postgres = pg(input);
        assert_eq!(postgres, lite(input), "flavours disagree on {input:?}");
        postgres
    }

    fn pg_err(input: &str) -> SplitError {
        split(input, Flavor::Postgres).unwrap_err()
    }

    fn lite_err(input: &str) -> SplitError {
        split(input, Flavor::Sqlite).unwrap_err()
    }

    // Statements and their boundaries

    #[test]
    fn semicolons_separate_statements() {
        assert_eq!(both("SELECT 1; SELECT 2;"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn a_final_statement_without_a_semicolon_is_still_a_statement() {
        assert_eq!(both("SELECT 1;\nSELECT 2\n"), ["SELECT 1", "SELECT 2"]);
    }

    #[test]
    fn empty_input_gives_no_statements() {
        assert!(both("").is_empty());
        assert!(both(" \n\t\r\n").is_empty());
    }

    #[test]
    fn comment_only_input_gives_no_statements() {
        assert!(both("-- nothing here\n/* nor here */\n-- end").is_empty());
    }

    #[test]
    fn empty_statements_between_semicolons_are_dropped() {
        assert_eq!(both(";; SELECT 1;;\n;"), ["SELECT 1"]);
    }

    #[test]
    fn leading_comments_are_not_part_of_the_statement() {
        assert_eq!(
            both("-- make t\n/* really */ CREATE TABLE t (a int);"),
            ["CREATE TABLE t (a int)"]
        );
    }

    #[test]
    fn comments_between_the_last_token_and_the_semicolon_are_left_out() {
        assert_eq!(both("SELECT 1 -- one\n;"), ["SELECT 1"]);
        assert_eq!(both("SELECT 2 /* two */ ;"), ["SELECT 2"]);
    }

    #[test]
    fn a_trailing_comment_after_a_final_statement_is_left_out() {
        assert_eq!(both("SELECT 1\n-- the end\n"), ["SELECT 1"]);
    }

    #[test]
    fn comments_inside_a_statement_are_kept() {
        assert_eq!(both("SELECT 1, -- first\n 2;"), ["SELECT 1, -- first\n 2"]);
    }

    #[test]
    fn statements_are_slices_of_the_input() {
        let input = "SELECT 1;\nSELECT 2;";
        let statements = split(input, Flavor::Sqlite).unwrap();
        let offset = statements[1].sql.as_ptr() as usize - input.as_ptr() as usize;
        assert_eq!(offset, 10);
    }

    // Line numbers

    #[test]
    fn the_first_statement_is_on_line_one() {
        let statements = split("SELECT 1;", Flavor::Postgres).unwrap();
        assert_eq!(statements[0].line, 1);
    }

    #[test]
    fn later_statements_report_the_line_of_their_first_token() {
        let input = "SELECT 1;\n\n-- comment\nSELECT\n 2;\n  /* x\n y */ SELECT 3;";
        let lines: Vec<usize> = split(input, Flavor::Postgres)
            .unwrap()
            .iter()
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [1, 4, 7]);
    }

    #[test]
    fn line_numbers_count_newlines_inside_strings_and_dollar_quotes() {
        let input = "SELECT 'a\nb';\nDO $$\n\n$$;\nSELECT 3;";
        let lines: Vec<usize> = split(input, Flavor::Postgres)
            .unwrap()
            .iter()
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [1, 3, 6]);
    }

    #[test]
    fn crlf_line_endings_count_one_line_each() {
        let input = "SELECT 1;\r\n\r\nSELECT 2;\r\n";
        let statements = split(input, Flavor::Sqlite).unwrap();
        assert_eq!(statements[1].line, 3);
        assert_eq!(statements[1].sql, "SELECT 2");
    }

    #[test]
    fn first_line_is_the_trimmed_first_line_of_the_statement() {
        let statements = split("  CREATE TABLE t (  \r\n  a int\n);", Flavor::Postgres).unwrap();
        assert_eq!(statements[0].first_line(), "CREATE TABLE t (");
    }

    #[test]
    fn first_line_of_a_single_line_statement_is_the_statement() {
        let statements = split("SELECT 1;", Flavor::Sqlite).unwrap();
        assert_eq!(statements[0].first_line(), "SELECT 1");
    }

    // Strings and quoted identifiers

    #[test]
    fn a_semicolon_in_a_string_does_not_split() {
        assert_eq!(
            both("SELECT 'a;b'; SELECT 2;"),
            ["SELECT 'a;b'", "SELECT 2"]
        );
    }

    #[test]
    fn doubled_single_quotes_stay_inside_the_string() {
        assert_eq!(
            both("SELECT 'it''s; fine'; SELECT 2;"),
            ["SELECT 'it''s; fine'", "SELECT 2"]
        );
    }

    #[test]
    fn a_plain_postgres_string_has_no_backslash_escapes() {
        assert_eq!(pg(r"SELECT 'a\'; SELECT 2;"), [r"SELECT 'a\'", "SELECT 2"]);
    }

    #[test]
    fn a_postgres_escape_string_honours_backslash_quote() {
        assert_eq!(
            pg(r"SELECT E'it\'s;'; SELECT 2;"),
            [r"SELECT E'it\'s;'", "SELECT 2"]
        );
    }

    #[test]
    fn a_lowercase_escape_string_prefix_works_too() {
        assert_eq!(
            pg(r"SELECT e'it\'s;'; SELECT 2;"),
            [r"SELECT e'it\'s;'", "SELECT 2"]
        );
    }

    #[test]
    fn an_escaped_backslash_does_not_escape_the_closing_quote() {
        assert_eq!(
            pg(r"SELECT E'\\'; SELECT 2;"),
            [r"SELECT E'\\'", "SELECT 2"]
        );
    }

    #[test]
    fn an_escape_string_also_accepts_doubled_quotes() {
        assert_eq!(
            pg(r"SELECT E'a''b;'; SELECT 2;"),
            [r"SELECT E'a''b;'", "SELECT 2"]
        );
    }

    #[test]
    fn a_word_ending_in_e_before_a_quote_is_not_an_escape_string() {
        assert_eq!(
            pg(r"SELECT xe'a\'; SELECT 2;"),
            [r"SELECT xe'a\'", "SELECT 2"]
        );
    }

    #[test]
    fn sqlite_has_no_escape_strings() {
        assert_eq!(
            lite(r"SELECT E'a\'; SELECT 2;"),
            [r"SELECT E'a\'", "SELECT 2"]
        );
    }

    #[test]
    fn a_unicode_escape_string_is_a_plain_string() {
        assert_eq!(
            pg(r"SELECT U&'d\0061t\+000061;'; SELECT 2;"),
            [r"SELECT U&'d\0061t\+000061;'", "SELECT 2"]
        );
    }

    #[test]
    fn a_semicolon_in_a_quoted_identifier_does_not_split() {
        assert_eq!(
            both(r#"CREATE TABLE "a;""b" (x int); SELECT 2;"#),
            [r#"CREATE TABLE "a;""b" (x int)"#, "SELECT 2"]
        );
    }

    #[test]
    fn sqlite_bracketed_identifiers_can_hold_a_semicolon() {
        assert_eq!(
            lite("CREATE TABLE [weird;name] (x int); SELECT 2;"),
            ["CREATE TABLE [weird;name] (x int)", "SELECT 2"]
        );
    }

    #[test]
    fn sqlite_backquoted_identifiers_can_hold_a_semicolon_and_doubled_backquotes() {
        assert_eq!(
            lite("CREATE TABLE `a;``b` (x int); SELECT 2;"),
            ["CREATE TABLE `a;``b` (x int)", "SELECT 2"]
        );
    }

    #[test]
    fn a_postgres_array_subscript_is_not_a_quote() {
        assert_eq!(
            pg("SELECT a[1] FROM t; SELECT 2;"),
            ["SELECT a[1] FROM t", "SELECT 2"]
        );
    }

    #[test]
    fn an_unmatched_bracket_in_postgres_is_not_an_unterminated_identifier() {
        assert_eq!(pg("SELECT '[';\nSELECT a[1;"), ["SELECT '['", "SELECT a[1"]);
    }

    #[test]
    fn non_ascii_text_is_carried_through_unchanged() {
        assert_eq!(
            both("SELECT 'é;ü', ключ; SELECT 2;"),
            ["SELECT 'é;ü', ключ", "SELECT 2"]
        );
    }

    // Dollar quoting

    #[test]
    fn a_do_block_in_dollar_quotes_is_one_statement() {
        let input = "DO $$\nBEGIN\n  PERFORM 1;\n  RAISE NOTICE 'x';\nEND\n$$;\nSELECT 2;";
        assert_eq!(
            pg(input),
            [
                "DO $$\nBEGIN\n  PERFORM 1;\n  RAISE NOTICE 'x';\nEND\n$$",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn a_dollar_quote_with_an_apostrophe_and_semicolon_is_one_string() {
        assert_eq!(
            pg("COMMENT ON TABLE t IS $$it's; fine$$; SELECT 2;"),
            ["COMMENT ON TABLE t IS $$it's; fine$$", "SELECT 2"]
        );
    }

    #[test]
    fn a_tagged_dollar_quote_ends_only_at_its_own_tag() {
        let input = "CREATE FUNCTION f() RETURNS int AS $body$ SELECT $$;$$; $x$ ; $body$ LANGUAGE sql; SELECT 2;";
        assert_eq!(
            pg(input),
            [
                "CREATE FUNCTION f() RETURNS int AS $body$ SELECT $$;$$; $x$ ; $body$ LANGUAGE sql",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn nested_different_tags_are_plain_content() {
        assert_eq!(
            pg("SELECT $a$ $$ ; $$ ; $a$; SELECT 2;"),
            ["SELECT $a$ $$ ; $$ ; $a$", "SELECT 2"]
        );
    }

    #[test]
    fn a_positional_parameter_is_not_a_dollar_quote() {
        assert_eq!(
            pg("PREPARE p AS SELECT $1, $2; SELECT 2;"),
            ["PREPARE p AS SELECT $1, $2", "SELECT 2"]
        );
    }

    #[test]
    fn a_dollar_after_an_identifier_character_is_part_of_the_identifier() {
        assert_eq!(
            pg("SELECT foo$bar$ FROM t; SELECT 2;"),
            ["SELECT foo$bar$ FROM t", "SELECT 2"]
        );
    }

    #[test]
    fn a_dollar_tag_may_contain_digits_and_underscores() {
        assert_eq!(
            pg("SELECT $_t1$ ; $_t1$; SELECT 2;"),
            ["SELECT $_t1$ ; $_t1$", "SELECT 2"]
        );
    }

    #[test]
    fn dollars_in_sqlite_are_not_quotes() {
        assert_eq!(lite("SELECT $$; SELECT 2;"), ["SELECT $$", "SELECT 2"]);
    }

    // Comments

    #[test]
    fn a_semicolon_in_a_line_comment_does_not_split() {
        assert_eq!(
            both("SELECT 1 -- a; b\n, 2; SELECT 3;"),
            ["SELECT 1 -- a; b\n, 2", "SELECT 3"]
        );
    }

    #[test]
    fn a_semicolon_in_a_block_comment_does_not_split() {
        assert_eq!(
            both("SELECT 1 /* a; b */ + 2; SELECT 3;"),
            ["SELECT 1 /* a; b */ + 2", "SELECT 3"]
        );
    }

    #[test]
    fn postgres_block_comments_nest() {
        assert_eq!(
            pg("/* a /* b */ still comment; */ SELECT 1; SELECT 2;"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn sqlite_block_comments_end_at_the_first_close_as_sqlite_does() {
        assert_eq!(
            lite("/* a /* b */ SELECT 1; SELECT 2;"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn a_quote_inside_a_comment_is_ignored() {
        assert_eq!(
            both("-- don't\nSELECT 1; /* \"x */ SELECT 2;"),
            ["SELECT 1", "SELECT 2"]
        );
    }

    // BEGIN ATOMIC routine bodies

    #[test]
    fn a_begin_atomic_body_with_case_is_one_statement() {
        let input = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;\nSELECT 2;";
        let statements = split(input, Flavor::Postgres).unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(
            statements[0].sql,
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END"
        );
        assert_eq!(statements[1].sql, "SELECT 2");
        assert_eq!(statements[1].line, 2);
    }

    #[test]
    fn begin_atomic_is_found_in_create_or_replace_procedure_in_any_case() {
        let input = "create or replace procedure p() language sql begin atomic insert into t values (1); end; select 2;";
        assert_eq!(
            pg(input),
            [
                "create or replace procedure p() language sql begin atomic insert into t values (1); end",
                "select 2"
            ]
        );
    }

    #[test]
    fn begin_and_atomic_may_be_separated_by_comments() {
        let input = "CREATE FUNCTION f() RETURNS int BEGIN -- body\n /* here */ ATOMIC SELECT 1; END; SELECT 2;";
        assert_eq!(pg(input).len(), 2);
    }

    #[test]
    fn a_plain_begin_is_an_ordinary_statement() {
        assert_eq!(
            pg("BEGIN; SELECT 1; COMMIT;"),
            ["BEGIN", "SELECT 1", "COMMIT"]
        );
    }

    #[test]
    fn begin_atomic_outside_a_routine_does_not_hold_semicolons() {
        assert_eq!(
            pg("SELECT begin atomic; SELECT 2;"),
            ["SELECT begin atomic", "SELECT 2"]
        );
    }

    #[test]
    fn keywords_inside_quotes_and_comments_do_not_count() {
        let input = "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 'end'; SELECT \"end\"; /* end; */ SELECT 1; END; SELECT 2;";
        assert_eq!(pg(input).len(), 2);
    }

    #[test]
    fn keywords_only_match_whole_words() {
        let input = "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT end_date FROM t; SELECT weekend; END; SELECT 2;";
        assert_eq!(pg(input).len(), 2);
    }

    #[test]
    fn a_parameter_named_like_a_keyword_does_not_open_a_body() {
        let input = "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1; SELECT 2;";
        assert_eq!(pg(input).len(), 2);
    }

    #[test]
    fn a_return_case_outside_a_body_does_not_hold_semicolons() {
        let input = "CREATE FUNCTION f() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 1 END; SELECT 2;";
        assert_eq!(pg(input).len(), 2);
    }

    #[test]
    fn a_postgres_rule_with_several_actions_in_parentheses_is_one_statement() {
        let input = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2;";
        assert_eq!(pg(input).len(), 2);
    }

    // SQLite triggers

    #[test]
    fn a_sqlite_trigger_body_is_one_statement() {
        let input = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES (1);\n  DELETE FROM q;\nEND;\nSELECT 2;";
        let statements = split(input, Flavor::Sqlite).unwrap();
        assert_eq!(statements.len(), 2);
        assert!(statements[0].sql.ends_with("DELETE FROM q;\nEND"));
        assert_eq!(statements[1].line, 5);
    }

    #[test]
    fn a_sqlite_trigger_with_case_end_and_a_semicolon_string_is_one_statement() {
        let input = "CREATE TEMP TRIGGER tr AFTER UPDATE ON t BEGIN\n  UPDATE t SET a = CASE WHEN new.a > 0 THEN ';' ELSE 'x' END;\n  SELECT ';';\nEND;\nSELECT 2;";
        let statements = split(input, Flavor::Sqlite).unwrap();
        assert_eq!(statements.len(), 2);
        assert!(statements[0].sql.starts_with("CREATE TEMP TRIGGER"));
        assert!(statements[0].sql.ends_with("SELECT ';';\nEND"));
        assert_eq!(statements[1].sql, "SELECT 2");
    }

    #[test]
    fn an_unfinished_sqlite_trigger_runs_to_the_end_of_the_input() {
        let input = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;";
        assert_eq!(lite(input), [input]);
    }

    #[test]
    fn a_nul_byte_does_not_upset_the_sqlite_check() {
        assert_eq!(lite("SELECT '\0'; SELECT 2;"), ["SELECT '\0'", "SELECT 2"]);
    }

    // Client meta-commands

    #[test]
    fn a_meta_command_line_is_an_error_naming_the_command_and_line() {
        let err = pg_err("SELECT 1;\n\\connect other\nSELECT 2;");
        assert_eq!(
            err,
            SplitError::MetaCommand {
                line: 2,
                command: "\\connect".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "line 2: psql meta-command '\\connect' is not SQL; revision files must contain only SQL statements"
        );
    }

    #[test]
    fn an_indented_meta_command_is_an_error() {
        assert_eq!(
            pg_err("  \t\\set ON_ERROR_STOP on"),
            SplitError::MetaCommand {
                line: 1,
                command: "\\set".into()
            }
        );
    }

    #[test]
    fn a_meta_command_at_the_end_of_the_input_is_an_error() {
        assert_eq!(
            pg_err("\\i").to_string().split(';').next(),
            Some("line 1: psql meta-command '\\i' is not SQL")
        );
    }

    #[test]
    fn a_meta_command_after_crlf_is_an_error() {
        let err = lite_err("SELECT 1;\r\n\\restrict abc\r\n");
        assert_eq!(
            err,
            SplitError::MetaCommand {
                line: 2,
                command: "\\restrict".into()
            }
        );
    }

    #[test]
    fn a_backslash_inside_a_string_or_comment_is_fine() {
        assert_eq!(
            pg("SELECT '\n\\connect x';\n-- \\set\n/*\n\\i file\n*/ SELECT $$\n\\q\n$$;"),
            ["SELECT '\n\\connect x'", "SELECT $$\n\\q\n$$"]
        );
    }

    // Unterminated constructs

    #[test]
    fn an_unterminated_string_reports_its_opening_line() {
        let err = both_err("SELECT 1;\n\nSELECT 'abc;\n");
        assert_eq!(err, SplitError::UnterminatedString { line: 3 });
        assert_eq!(err.to_string(), "line 3: unterminated quoted string");
    }

    #[test]
    fn an_escape_string_ending_in_a_backslash_is_unterminated() {
        assert_eq!(
            pg_err(r"SELECT E'abc\';"),
            SplitError::UnterminatedString { line: 1 }
        );
    }

    #[test]
    fn an_unterminated_quoted_identifier_is_an_error() {
        let err = both_err("SELECT \"abc;");
        assert_eq!(err.to_string(), "line 1: unterminated quoted identifier");
        assert_eq!(
            lite_err("\nSELECT [abc;"),
            SplitError::UnterminatedIdentifier { line: 2 }
        );
        assert_eq!(
            lite_err("SELECT `abc;"),
            SplitError::UnterminatedIdentifier { line: 1 }
        );
    }

    #[test]
    fn an_unterminated_dollar_quote_names_its_delimiter() {
        let err = pg_err("SELECT 1;\n\nDO $body$ BEGIN END $$;");
        assert_eq!(
            err,
            SplitError::UnterminatedDollarQuote {
                line: 3,
                delimiter: "$body$".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "line 3: unterminated dollar-quoted string $body$"
        );
    }

    #[test]
    fn an_unterminated_block_comment_is_an_error() {
        let err = both_err("SELECT 1;\n\n/* never closed;\n");
        assert_eq!(err, SplitError::UnterminatedBlockComment { line: 3 });
        assert_eq!(err.to_string(), "line 3: unterminated block comment");
    }

    #[test]
    fn a_postgres_comment_needs_one_close_per_open() {
        assert_eq!(
            pg_err("/* a /* b */ SELECT 1;"),
            SplitError::UnterminatedBlockComment { line: 1 }
        );
    }

    #[test]
    fn errors_expose_their_line() {
        assert_eq!(pg_err("\n\n\\q").line(), 3);
    }

    fn both_err(input: &str) -> SplitError {
        let postgres = pg_err(input);
        assert_eq!(postgres, lite_err(input), "flavours disagree on {input:?}");
        postgres
    }

    // Cost

    #[test]
    fn long_inputs_split_in_linear_time() {
        let input = "INSERT INTO t VALUES ('a;b', $$c$$); -- x;\n".repeat(20_000);
        let start = std::time::Instant::now();
        assert_eq!(pg(&input).len(), 20_000);
        assert_eq!(lite(&input).len(), 20_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
