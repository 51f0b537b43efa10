//! Splits a section of a revision file into single SQL statements.
//!
//! dbkit runs statements one at a time so that a failure can be reported with the line it came from, and
//! offline SQL output prints them one by one. Cutting at every `;` goes wrong as soon as a semicolon sits in a
//! string, a comment, a dollar-quoted body, a `BEGIN ATOMIC` routine body or a SQLite trigger, and a general
//! SQL parser is both heavier and, measured on real revision files, not exact. So this is a small lexer that
//! knows exactly the quoting rules of the two databases dbkit supports and nothing more: it never interprets
//! a statement beyond the few words that change how the text after it is read (`COPY … FROM stdin` with its
//! data block, `SET standard_conforming_strings`), it only finds where each one ends.
//!
//! The lexer makes a single pass over the input and never reads a byte twice: SQLite's own completeness
//! check is followed token by token as a state machine instead of being asked again at every `;`.

use crate::engine::Engine;

/// One statement of a section, borrowed from the section's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement's source text, sliced from the input exactly as written: it starts at the first token
    /// (whitespace and comments before the statement are not included) and runs up to its terminating `;`, so
    /// comments and blanks before the `;` are kept, as the `sqlite3` shell keeps them (SQLite stores that text
    /// in `sqlite_master`). A last statement without `;` ends with its last token or the comments after it; it
    /// never ends inside a `--` comment, so appending a newline and `;` is always safe.
    pub sql: &'a str,
    /// 1-based line number of the statement's first token (counted from the line the input starts on).
    pub line: usize,
    /// For `COPY … FROM stdin` (PostgreSQL): the data block that follows the statement, every line with its
    /// newline, without the closing `\.` line.
    pub copy_data: Option<&'a str>,
    /// The statement changes standard_conforming_strings, and so how the server reads a `'…'` string after
    /// it. PostgreSQL parses a whole multi-statement query before running any of it, so the statements after
    /// this one must not share its round trip.
    pub changes_string_syntax: bool,
}

#[cfg(test)]
impl Statement<'_> {
    /// The statement's first line (for error messages), trimmed.
    pub(crate) fn first_line(&self) -> &str {
        self.sql.lines().next().unwrap_or("").trim()
    }
}

/// Why a section could not be split. Every variant carries the line where the problem starts; the message
/// does not repeat it, because the caller puts the file and line in front.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    /// A line that starts with a backslash command of the interactive client; no database accepts it.
    #[error(
        "psql meta-command '{command}' is not SQL; revision files must contain only SQL statements"
    )]
    MetaCommand { line: usize, command: String },
    /// A `'…'` or `E'…'` string literal that never closes.
    #[error("unterminated quoted string")]
    UnterminatedString { line: usize },
    /// A `"…"`, `[…]` or `` `…` `` identifier that never closes.
    #[error("unterminated quoted identifier")]
    UnterminatedIdentifier { line: usize },
    /// A `$tag$` body that never meets its closing delimiter; `delimiter` is the opening one, dollars included.
    #[error("unterminated dollar-quoted string {delimiter}")]
    UnterminatedDollarQuote { line: usize, delimiter: String },
    /// A `/*` comment that never closes.
    #[error("unterminated block comment")]
    UnterminatedBlockComment { line: usize },
    /// A SQLite `CREATE TRIGGER … BEGIN` whose body never reaches `END;`.
    #[error("CREATE TRIGGER without the 'END;' that closes its body")]
    UnterminatedTrigger { line: usize },
    /// `COPY … FROM stdin` without `;` and a data block closed by a line holding only `\.`.
    #[error("COPY … FROM stdin without its data block: end the statement with ';' and the data with a line holding only '\\.'")]
    UnterminatedCopy { line: usize },
    /// A section that turns standard_conforming_strings off and leaves it off: on the connection the setting
    /// would outlast the section, and the statements that follow (dbkit's bookkeeping in the same transaction,
    /// the next revisions) are written for it on.
    #[error("standard_conforming_strings is turned off here and not back on before the section ends; end the section with 'SET standard_conforming_strings = on'")]
    StringsLeftOff { line: usize },
    /// Text after `COPY … FROM stdin;` on its own line, where it would be neither SQL nor data.
    #[error(
        "text after 'COPY … FROM stdin;' on the same line; the data block starts on the next line"
    )]
    CopyTrailingText { line: usize },
}

impl SplitError {
    /// The line the error points at.
    pub(crate) fn line(&self) -> usize {
        match self {
            SplitError::MetaCommand { line, .. }
            | SplitError::UnterminatedString { line }
            | SplitError::UnterminatedIdentifier { line }
            | SplitError::UnterminatedDollarQuote { line, .. }
            | SplitError::UnterminatedBlockComment { line }
            | SplitError::UnterminatedTrigger { line }
            | SplitError::UnterminatedCopy { line }
            | SplitError::StringsLeftOff { line }
            | SplitError::CopyTrailingText { line } => *line,
        }
    }
}

/// Splits `input` into statements, numbering lines from 1. Pieces that contain only whitespace and comments
/// produce no statement. A final statement without a trailing `;` is still a statement.
pub(crate) fn split(input: &str, engine: Engine) -> Result<Vec<Statement<'_>>, SplitError> {
    split_from(input, engine, 1)
}

/// Like [`split`], for input that starts on line `first_line` of a file, so that statements and errors carry
/// the file's line numbers.
pub(crate) fn split_from(
    input: &str,
    engine: Engine,
    first_line: usize,
) -> Result<Vec<Statement<'_>>, SplitError> {
    Splitter::new(input, engine, first_line, None)
        .run()
        .map(|s| s.statements)
}

/// Where a section of a revision file that starts on line `first_line` ends: at the start of the first line
/// that holds only a `--` comment (outside any string, comment or COPY data) for which `ends_section` says yes,
/// given the comment from its `--` to the end of the line; otherwise at the end of the input. The lexer reads
/// the section exactly as [`split`] would, so errors are found here, but collects no statements: reading a
/// file must stay cheap for commands that never run it.
pub(crate) fn section_end(
    input: &str,
    engine: Engine,
    first_line: usize,
    ends_section: &dyn Fn(&str) -> bool,
) -> Result<usize, SplitError> {
    let mut splitter = Splitter::new(input, engine, first_line, Some(ends_section));
    splitter.collect = false;
    splitter.run().map(|s| s.end)
}

/// What one pass of the lexer found.
struct Split<'a> {
    statements: Vec<Statement<'a>>,
    /// Where the input ended: the start of the line that ended the section, or the input's length.
    end: usize,
}

/// What the lexer hands to the statement tracker. Whitespace and comments never become tokens.
enum Token<'a> {
    Semicolon,
    OpenParen,
    CloseParen,
    Equals,
    Word(&'a str),
    /// A `'…'` literal: the text between the quotes, escapes left as written.
    Literal(&'a str),
    Other,
}

/// Where a PostgreSQL statement's leading words have got to. Only a few statements change how the lexer must
/// read on: `CREATE [OR REPLACE] {FUNCTION | PROCEDURE}` may carry a `BEGIN ATOMIC` body (so only there do
/// `BEGIN`, `CASE` and `END` mean anything), `COPY … FROM stdin` is followed by a data block, and
/// `SET standard_conforming_strings` / `RESET` decide whether a backslash escapes in a plain `'…'` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Start,
    Create,
    CreateOr,
    CreateOrReplace,
    Routine,
    Copy,
    CopyFrom,
    CopyFromStdin,
    Set,
    SetStrings,
    SetStringsTo,
    /// The statement sets standard_conforming_strings to this value when it ends.
    Strings(bool),
    Reset,
    Other,
}

impl Head {
    fn next(self, token: &Token<'_>, paren_depth: usize) -> Head {
        let is = |keyword: &str| matches!(token, Token::Word(w) if w.eq_ignore_ascii_case(keyword));
        match self {
            Head::Start if is("create") => Head::Create,
            Head::Create if is("or") => Head::CreateOr,
            Head::CreateOr if is("replace") => Head::CreateOrReplace,
            Head::Create | Head::CreateOrReplace if is("function") || is("procedure") => {
                Head::Routine
            }
            Head::Routine => Head::Routine,
            Head::Start if is("copy") => Head::Copy,
            // A query in parentheses (`COPY (SELECT … FROM t) TO …`) has FROMs of its own.
            Head::Copy if paren_depth == 0 && is("from") => Head::CopyFrom,
            Head::Copy => Head::Copy,
            Head::CopyFrom if is("stdin") => Head::CopyFromStdin,
            Head::CopyFromStdin => Head::CopyFromStdin,
            Head::Start if is("set") => Head::Set,
            Head::Set if is("session") || is("local") => Head::Set,
            Head::Set if is("standard_conforming_strings") => Head::SetStrings,
            Head::SetStrings if is("to") || matches!(token, Token::Equals) => Head::SetStringsTo,
            Head::SetStringsTo => match token {
                // The server's default is on.
                Token::Word(w) if w.eq_ignore_ascii_case("default") => Head::Strings(true),
                Token::Word(value) | Token::Literal(value) => {
                    parse_bool(value).map_or(Head::Other, Head::Strings)
                }
                _ => Head::Other,
            },
            Head::Start if is("reset") => Head::Reset,
            Head::Reset if is("standard_conforming_strings") || is("all") => Head::Strings(true),
            _ => Head::Other,
        }
    }
}

/// A boolean setting as PostgreSQL reads one: `on`, `off`, `1`, `0`, or any prefix of `true`, `false`, `yes`,
/// `no`, in any case.
fn parse_bool(value: &str) -> Option<bool> {
    let v = value.to_ascii_lowercase();
    let prefix_of = |word: &str| !v.is_empty() && word.starts_with(v.as_str());
    if v == "on" || v == "1" || prefix_of("true") || prefix_of("yes") {
        Some(true)
    } else if (v.len() >= 2 && prefix_of("off"))
        || v == "0"
        || prefix_of("false")
        || prefix_of("no")
    {
        Some(false)
    } else {
        None
    }
}

/// The states of SQLite's `sqlite3_complete()`, which decides whether a `;` ends a statement: only inside a
/// `CREATE [TEMP] TRIGGER` body does it not, until `END;`. Following it token by token gives the same answer
/// as asking SQLite at every `;`, without re-reading the statement each time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lite {
    Start,
    Normal,
    Explain,
    Create,
    Trigger,
    /// A `;` inside a trigger body.
    Semi,
    /// `END` right after such a `;`.
    End,
}

/// The tokens `sqlite3_complete()` tells apart; whitespace and comments never change its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LiteToken {
    Semi,
    Explain,
    Create,
    Temp,
    Trigger,
    End,
    Other,
}

impl LiteToken {
    fn of(token: &Token<'_>) -> LiteToken {
        let Token::Word(word) = token else {
            return match token {
                Token::Semicolon => LiteToken::Semi,
                _ => LiteToken::Other,
            };
        };
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
        if is("explain") {
            LiteToken::Explain
        } else if is("create") {
            LiteToken::Create
        } else if is("temp") || is("temporary") {
            LiteToken::Temp
        } else if is("trigger") {
            LiteToken::Trigger
        } else if is("end") {
            LiteToken::End
        } else {
            LiteToken::Other
        }
    }
}

impl Lite {
    /// One transition of the table in SQLite's complete.c.
    fn next(self, token: LiteToken) -> Lite {
        use LiteToken as T;
        match (self, token) {
            (Lite::Trigger, T::Semi) => Lite::Semi,
            (Lite::Trigger, _) => Lite::Trigger,
            (Lite::Semi, T::Semi) => Lite::Semi,
            (Lite::Semi, T::End) => Lite::End,
            (Lite::Semi, _) => Lite::Trigger,
            (Lite::End, T::Semi) => Lite::Start,
            (Lite::End, _) => Lite::Trigger,
            (_, T::Semi) => Lite::Start,
            (Lite::Start, T::Explain) => Lite::Explain,
            (Lite::Start | Lite::Explain, T::Create) => Lite::Create,
            (Lite::Explain, T::Other) => Lite::Explain,
            (Lite::Create, T::Temp) => Lite::Create,
            (Lite::Create, T::Trigger) => Lite::Trigger,
            _ => Lite::Normal,
        }
    }
}

/// The statement being collected.
struct Current {
    start: usize,
    line: usize,
    /// The end of its last token.
    end: usize,
    /// The end of the comments after its last token (a `--` comment with its newline).
    tail: usize,
}

struct Splitter<'a, 's> {
    src: &'a str,
    bytes: &'a [u8],
    engine: Engine,
    pos: usize,
    line: usize,
    /// Nothing but blanks seen since the last newline; decides whether a backslash starts a client command and
    /// whether a `--` comment can end the section.
    at_line_start: bool,
    /// Where the current line starts.
    line_start: usize,
    ends_section: Option<&'s dyn Fn(&str) -> bool>,
    /// Whether to keep the statements or only find where the input ends.
    collect: bool,
    current: Option<Current>,
    out: Vec<Statement<'a>>,
    head: Head,
    paren_depth: usize,
    /// Open `BEGIN ATOMIC` and nested `CASE` blocks; a `;` inside one belongs to the routine body.
    atomic_depth: usize,
    /// The previous token was a `BEGIN` that may open an atomic body if `ATOMIC` follows.
    pending_begin: bool,
    /// PostgreSQL's standard_conforming_strings as the section's own `SET`s leave it: `Some(line of the SET)`
    /// while it is off, when a backslash escapes the next character in a plain `'…'` string too.
    strings_off_since: Option<usize>,
    lite: Lite,
}

impl<'a, 's> Splitter<'a, 's> {
    fn new(
        src: &'a str,
        engine: Engine,
        first_line: usize,
        ends_section: Option<&'s dyn Fn(&str) -> bool>,
    ) -> Self {
        Splitter {
            src,
            bytes: src.as_bytes(),
            engine,
            pos: 0,
            line: first_line,
            at_line_start: true,
            line_start: 0,
            ends_section,
            collect: true,
            current: None,
            out: Vec::new(),
            head: Head::Start,
            paren_depth: 0,
            atomic_depth: 0,
            pending_begin: false,
            strings_off_since: None,
            lite: Lite::Start,
        }
    }

    fn peek(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    /// Where the line that `from` is on ends (its newline, or the end of the input).
    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.bytes.len(), |n| from + n)
    }

    fn run(mut self) -> Result<Split<'a>, SplitError> {
        while let Some(b) = self.peek(0) {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                    self.at_line_start = true;
                    self.line_start = self.pos;
                    continue;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    self.pos += 1;
                    continue;
                }
                b'-' if self.peek(1) == Some(b'-') => {
                    let end = self.line_end(self.pos);
                    if self.at_line_start
                        && self
                            .ends_section
                            .is_some_and(|ends| ends(&self.src[self.pos..end]))
                    {
                        let end = self.line_start;
                        return self.finish(end);
                    }
                    // The newline belongs to the comment, but is left for the loop to count.
                    if let (Some(current), true) = (&mut self.current, end < self.bytes.len()) {
                        current.tail = end + 1;
                    }
                    self.pos = end;
                    continue;
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    self.block_comment()?;
                    if let Some(current) = &mut self.current {
                        current.tail = self.pos;
                    }
                    self.at_line_start = false;
                    continue;
                }
                _ => {}
            }
            let (start, line) = (self.pos, self.line);
            let token = self.token(b)?;
            self.at_line_start = false;
            self.accept(token, start, line)?;
        }
        let end = self.bytes.len();
        self.finish(end)
    }

    /// Ends the input at `end`: the statement in progress is the last one.
    fn finish(mut self, end: usize) -> Result<Split<'a>, SplitError> {
        if let Some(current) = self.current.take() {
            let line = current.line;
            if matches!(self.lite, Lite::Trigger | Lite::Semi) {
                return Err(SplitError::UnterminatedTrigger { line });
            }
            if self.head == Head::CopyFromStdin {
                return Err(SplitError::UnterminatedCopy { line });
            }
            let until = current.end.max(current.tail);
            self.push(&current, until);
            if let Head::Strings(on) = self.head {
                self.set_strings(on, line);
            }
        }
        if let Some(line) = self.strings_off_since {
            return Err(SplitError::StringsLeftOff { line });
        }
        Ok(Split {
            statements: self.out,
            end,
        })
    }

    /// Lexes the significant token starting with byte `b` at `self.pos`.
    fn token(&mut self, b: u8) -> Result<Token<'a>, SplitError> {
        let line = self.line;
        let postgres = self.engine == Engine::Postgresql;
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
            b'=' => {
                self.pos += 1;
                Ok(Token::Equals)
            }
            b'\'' => {
                let start = self.pos;
                let backslash = postgres && self.strings_off_since.is_some();
                self.quoted(b'\'', backslash)
                    .ok_or(SplitError::UnterminatedString { line })?;
                Ok(Token::Literal(&self.src[start + 1..self.pos - 1]))
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
    /// first `*/`.
    fn block_comment(&mut self) -> Result<(), SplitError> {
        let line = self.line;
        let nests = self.engine == Engine::Postgresql;
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
    fn accept(&mut self, token: Token<'a>, start: usize, line: usize) -> Result<(), SplitError> {
        if let Token::Semicolon = token {
            let Some(current) = self.current.take() else {
                // A `;` with nothing before it is an empty statement, which dbkit has no reason to run.
                return Ok(());
            };
            let ends = match self.engine {
                // A `;` inside parentheses belongs to the statement, which is how a rule with several actions
                // `DO (…; …)` stays whole.
                Engine::Postgresql => self.paren_depth == 0 && self.atomic_depth == 0,
                Engine::Sqlite => {
                    self.lite = self.lite.next(LiteToken::Semi);
                    self.lite == Lite::Start
                }
            };
            if ends {
                return self.end_statement(&current, start);
            }
            self.current = Some(current);
        }
        let current = self.current.get_or_insert(Current {
            start,
            line,
            end: start,
            tail: start,
        });
        current.end = self.pos;
        current.tail = self.pos;
        match self.engine {
            Engine::Postgresql => self.track_postgres(&token),
            Engine::Sqlite if !matches!(token, Token::Semicolon) => {
                self.lite = self.lite.next(LiteToken::of(&token));
            }
            Engine::Sqlite => {}
        }
        Ok(())
    }

    /// Ends the statement at the `;` at `semicolon`, and reads the data block of a `COPY … FROM stdin`.
    fn end_statement(&mut self, current: &Current, semicolon: usize) -> Result<(), SplitError> {
        self.push(current, semicolon);
        let head = std::mem::replace(&mut self.head, Head::Start);
        self.paren_depth = 0;
        self.atomic_depth = 0;
        self.pending_begin = false;
        self.lite = Lite::Start;
        match head {
            Head::Strings(on) => self.set_strings(on, current.line),
            Head::CopyFromStdin => {
                let data = self.copy_data()?;
                if let Some(statement) = self.out.last_mut() {
                    statement.copy_data = Some(data);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Applies a `SET standard_conforming_strings` on `line`, the last statement pushed.
    fn set_strings(&mut self, on: bool, line: usize) {
        self.strings_off_since = (!on).then_some(line);
        if let Some(statement) = self.out.last_mut() {
            statement.changes_string_syntax = true;
        }
    }

    /// The data block after `COPY … FROM stdin;`, as psql reads it: every line after the statement's own up
    /// to a line holding only `\.`, which is consumed too.
    fn copy_data(&mut self) -> Result<&'a str, SplitError> {
        let eol = self.line_end(self.pos);
        if !self.src[self.pos..eol].trim().is_empty() {
            return Err(SplitError::CopyTrailingText { line: self.line });
        }
        let line = self.line;
        let data_start = (eol + 1).min(self.bytes.len());
        let mut at = data_start;
        while at < self.bytes.len() {
            let end = self.line_end(at);
            if &self.src[at..end] == "\\." {
                let data = &self.src[data_start..at];
                self.skip_to((end + 1).min(self.bytes.len()));
                self.at_line_start = true;
                self.line_start = self.pos;
                return Ok(data);
            }
            at = end + 1;
        }
        Err(SplitError::UnterminatedCopy { line })
    }

    fn track_postgres(&mut self, token: &Token<'a>) {
        let pending_begin = std::mem::take(&mut self.pending_begin);
        match token {
            Token::OpenParen => {
                self.paren_depth += 1;
                return;
            }
            Token::CloseParen => {
                self.paren_depth = self.paren_depth.saturating_sub(1);
                return;
            }
            _ => {}
        }
        self.head = self.head.next(token, self.paren_depth);
        let Token::Word(word) = token else {
            return;
        };
        // Parameter names and defaults live in parentheses, and a CASE and its END never straddle one, so
        // keywords inside parentheses are ignored.
        if self.head != Head::Routine || self.paren_depth > 0 {
            return;
        }
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
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

    fn push(&mut self, current: &Current, end: usize) {
        if !self.collect {
            return;
        }
        self.out.push(Statement {
            sql: &self.src[current.start..end],
            line: current.line,
            copy_data: None,
            changes_string_syntax: false,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(input: &str, engine: Engine) -> Vec<&str> {
        split(input, engine)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    fn pg(input: &str) -> Vec<&str> {
        sqls(input, Engine::Postgresql)
    }

    fn lite(input: &str) -> Vec<&str> {
        sqls(input, Engine::Sqlite)
    }

    fn both(input: &str) -> Vec<&str> {
        let postgres = pg(input);
        assert_eq!(postgres, lite(input), "flavours disagree on {input:?}");
        postgres
    }

    fn pg_err(input: &str) -> SplitError {
        split(input, Engine::Postgresql).unwrap_err()
    }

    fn lite_err(input: &str) -> SplitError {
        split(input, Engine::Sqlite).unwrap_err()
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
    fn comments_and_blanks_before_the_semicolon_are_kept_as_written() {
        assert_eq!(both("SELECT 1 -- one\n;"), ["SELECT 1 -- one\n"]);
        assert_eq!(both("SELECT 2  /* two */ ;"), ["SELECT 2  /* two */ "]);
    }

    #[test]
    fn a_final_statement_keeps_its_trailing_comments_but_not_the_blanks_after_them() {
        assert_eq!(both("SELECT 1\n-- the end\n\n"), ["SELECT 1\n-- the end\n"]);
        assert_eq!(both("SELECT 1 /* x */  \n"), ["SELECT 1 /* x */"]);
    }

    #[test]
    fn a_final_statement_never_ends_inside_a_line_comment() {
        assert_eq!(both("SELECT 1 -- no newline"), ["SELECT 1"]);
    }

    #[test]
    fn comments_inside_a_statement_are_kept() {
        assert_eq!(both("SELECT 1, -- first\n 2;"), ["SELECT 1, -- first\n 2"]);
    }

    #[test]
    fn statements_are_slices_of_the_input() {
        let input = "SELECT 1;\nSELECT 2;";
        let statements = split(input, Engine::Sqlite).unwrap();
        let offset = statements[1].sql.as_ptr() as usize - input.as_ptr() as usize;
        assert_eq!(offset, 10);
    }

    // Line numbers

    #[test]
    fn the_first_statement_is_on_line_one() {
        let statements = split("SELECT 1;", Engine::Postgresql).unwrap();
        assert_eq!(statements[0].line, 1);
    }

    #[test]
    fn later_statements_report_the_line_of_their_first_token() {
        let input = "SELECT 1;\n\n-- comment\nSELECT\n 2;\n  /* x\n y */ SELECT 3;";
        let lines: Vec<usize> = split(input, Engine::Postgresql)
            .unwrap()
            .iter()
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [1, 4, 7]);
    }

    #[test]
    fn line_numbers_count_newlines_inside_strings_and_dollar_quotes() {
        let input = "SELECT 'a\nb';\nDO $$\n\n$$;\nSELECT 3;";
        let lines: Vec<usize> = split(input, Engine::Postgresql)
            .unwrap()
            .iter()
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [1, 3, 6]);
    }

    #[test]
    fn crlf_line_endings_count_one_line_each() {
        let input = "SELECT 1;\r\n\r\nSELECT 2;\r\n";
        let statements = split(input, Engine::Sqlite).unwrap();
        assert_eq!(statements[1].line, 3);
        assert_eq!(statements[1].sql, "SELECT 2");
    }

    #[test]
    fn first_line_is_the_trimmed_first_line_of_the_statement() {
        let statements = split("  CREATE TABLE t (  \r\n  a int\n);", Engine::Postgresql).unwrap();
        assert_eq!(statements[0].first_line(), "CREATE TABLE t (");
    }

    #[test]
    fn first_line_of_a_single_line_statement_is_the_statement() {
        let statements = split("SELECT 1;", Engine::Sqlite).unwrap();
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
        let statements = split(input, Engine::Postgresql).unwrap();
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
        let statements = split(input, Engine::Sqlite).unwrap();
        assert_eq!(statements.len(), 2);
        assert!(statements[0].sql.ends_with("DELETE FROM q;\nEND"));
        assert_eq!(statements[1].line, 5);
    }

    #[test]
    fn a_sqlite_trigger_with_case_end_and_a_semicolon_string_is_one_statement() {
        let input = "CREATE TEMP TRIGGER tr AFTER UPDATE ON t BEGIN\n  UPDATE t SET a = CASE WHEN new.a > 0 THEN ';' ELSE 'x' END;\n  SELECT ';';\nEND;\nSELECT 2;";
        let statements = split(input, Engine::Sqlite).unwrap();
        assert_eq!(statements.len(), 2);
        assert!(statements[0].sql.starts_with("CREATE TEMP TRIGGER"));
        assert!(statements[0].sql.ends_with("SELECT ';';\nEND"));
        assert_eq!(statements[1].sql, "SELECT 2");
    }

    #[test]
    fn an_unfinished_sqlite_trigger_is_an_error_naming_its_line() {
        let input = "SELECT 0;\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;";
        assert_eq!(lite_err(input), SplitError::UnterminatedTrigger { line: 2 });
        let input = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1";
        assert_eq!(lite_err(input), SplitError::UnterminatedTrigger { line: 1 });
    }

    #[test]
    fn a_sqlite_trigger_whose_end_has_no_semicolon_is_the_last_statement() {
        let input = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END";
        assert_eq!(lite(input), [input]);
    }

    #[test]
    fn the_trigger_state_machine_agrees_with_sqlite3_complete() {
        let inputs = [
            "SELECT 1;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;",
            "create temp trigger t after insert on x begin select 1; end ;",
            "CREATE TEMPORARY TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;\n end\n;",
            "EXPLAIN CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;",
            "EXPLAIN QUERY PLAN SELECT 1;",
            "CREATE TABLE trigger_log (a);",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT CASE WHEN 1 THEN 2 END; END;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'end;'; END;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; end_x; END;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; -- c\n END /* d */ ;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;; END;",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END x;",
            "CREATE VIEW v AS SELECT 1;",
            "CREATE TEMP VIEW v AS SELECT 1;",
            "CREATE [trigger] AS SELECT 1;",
            "CREATE INDEX i ON t(a) WHERE a = ';';",
        ];
        for input in inputs {
            let mut lite = Lite::Start;
            let mut splitter = Splitter::new(input, Engine::Sqlite, 1, None);
            while let Some(b) = splitter.peek(0) {
                if b.is_ascii_whitespace() {
                    splitter.pos += 1;
                    continue;
                }
                if b == b'-' && splitter.peek(1) == Some(b'-') {
                    splitter.pos = splitter.line_end(splitter.pos);
                    continue;
                }
                if b == b'/' && splitter.peek(1) == Some(b'*') {
                    splitter.block_comment().unwrap();
                    continue;
                }
                let token = splitter.token(b).unwrap();
                lite = lite.next(LiteToken::of(&token));
            }
            let text = std::ffi::CString::new(input).unwrap();
            // SAFETY: a valid NUL-terminated string that outlives the call, which only reads it.
            let sqlite = unsafe { rusqlite::ffi::sqlite3_complete(text.as_ptr()) } != 0;
            assert_eq!(lite == Lite::Start, sqlite, "{input}");
        }
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
            "psql meta-command '\\connect' is not SQL; revision files must contain only SQL statements"
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
            Some("psql meta-command '\\i' is not SQL")
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
        assert_eq!(err.to_string(), "unterminated quoted string");
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
        assert_eq!(err.to_string(), "unterminated quoted identifier");
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
        assert_eq!(err.to_string(), "unterminated dollar-quoted string $body$");
    }

    #[test]
    fn an_unterminated_block_comment_is_an_error() {
        let err = both_err("SELECT 1;\n\n/* never closed;\n");
        assert_eq!(err, SplitError::UnterminatedBlockComment { line: 3 });
        assert_eq!(err.to_string(), "unterminated block comment");
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

    // COPY … FROM stdin

    #[test]
    fn a_copy_from_stdin_carries_its_data_block() {
        let input = "COPY public.t (a, b) FROM stdin;\n1\tx;y\n\\N\t'\n\\.\nSELECT 2;";
        let statements = split(input, Engine::Postgresql).unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0].sql, "COPY public.t (a, b) FROM stdin");
        assert_eq!(statements[0].copy_data, Some("1\tx;y\n\\N\t'\n"));
        assert_eq!(statements[1].sql, "SELECT 2");
        assert_eq!(statements[1].line, 5);
        assert_eq!(statements[1].copy_data, None);
    }

    #[test]
    fn a_copy_with_options_and_no_rows_has_an_empty_block() {
        let statements = split(
            "copy t from STDIN with (format csv);\n\\.\n",
            Engine::Postgresql,
        )
        .unwrap();
        assert_eq!(statements[0].copy_data, Some(""));
    }

    #[test]
    fn other_copies_have_no_data_block() {
        let input = "COPY (SELECT a FROM stdin) TO STDOUT; COPY t FROM '/tmp/x'; SELECT 2;";
        let statements = split(input, Engine::Postgresql).unwrap();
        assert_eq!(statements.len(), 3);
        assert!(statements.iter().all(|s| s.copy_data.is_none()));
    }

    #[test]
    fn a_copy_without_its_end_marker_or_semicolon_is_an_error() {
        assert_eq!(
            pg_err("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n"),
            SplitError::UnterminatedCopy { line: 2 }
        );
        assert_eq!(
            pg_err("COPY t FROM stdin"),
            SplitError::UnterminatedCopy { line: 1 }
        );
        assert_eq!(
            pg_err("COPY t FROM stdin; SELECT 1;\n\\.\n"),
            SplitError::CopyTrailingText { line: 1 }
        );
    }

    #[test]
    fn copy_data_in_sqlite_is_a_meta_command() {
        assert!(matches!(
            lite_err("COPY t FROM stdin;\n1\n\\.\n"),
            SplitError::MetaCommand { line: 3, .. }
        ));
    }

    // standard_conforming_strings

    #[test]
    fn with_standard_conforming_strings_off_a_backslash_escapes_a_quote() {
        let input = "SET standard_conforming_strings = off;\nINSERT INTO t VALUES ('it\\'s; fine');\nSET standard_conforming_strings = on";
        assert_eq!(
            pg(input),
            [
                "SET standard_conforming_strings = off",
                "INSERT INTO t VALUES ('it\\'s; fine')",
                "SET standard_conforming_strings = on"
            ]
        );
    }

    #[test]
    fn a_section_may_not_leave_standard_conforming_strings_off() {
        let input = "SELECT 1;\nset local standard_conforming_strings to 'off';\nSELECT 'a\\'';";
        assert_eq!(pg_err(input), SplitError::StringsLeftOff { line: 2 });
    }

    #[test]
    fn a_statement_that_changes_the_setting_says_so() {
        let statements = split(
            "SET standard_conforming_strings = off; SELECT 1; RESET ALL; SET search_path = x",
            Engine::Postgresql,
        )
        .unwrap();
        let flags: Vec<bool> = statements.iter().map(|s| s.changes_string_syntax).collect();
        assert_eq!(flags, [true, false, true, false]);
    }

    #[test]
    fn standard_conforming_strings_can_be_turned_back_on() {
        for on in [
            "SET standard_conforming_strings TO on",
            "set session standard_conforming_strings = 'true'",
            "SET LOCAL standard_conforming_strings TO DEFAULT",
            "RESET standard_conforming_strings",
            "RESET ALL",
        ] {
            let input =
                format!("SET standard_conforming_strings = 'of';\n{on};\nSELECT 'a\\'; SELECT 2;");
            assert_eq!(pg(&input).len(), 4, "{on}");
        }
    }

    #[test]
    fn the_setting_only_counts_as_a_whole_statement() {
        let input = "SELECT 'SET standard_conforming_strings = off'; SELECT 'a\\'; SELECT 2;";
        assert_eq!(pg(input).len(), 3);
        assert!(parse_bool("o").is_none());
        assert_eq!(parse_bool("No"), Some(false));
        assert_eq!(parse_bool("t"), Some(true));
    }

    #[test]
    fn sqlite_ignores_standard_conforming_strings() {
        let input = "SET standard_conforming_strings = off; SELECT 'a\\'; SELECT 2;";
        assert_eq!(lite(input).len(), 3);
    }

    // Sections of a revision file

    fn is_marker(comment: &str) -> bool {
        comment.starts_with("-- migrate:")
    }

    #[test]
    fn a_section_ends_at_a_marker_comment_on_a_line_of_its_own() {
        let input = "SELECT 1;\n  -- migrate:down\nDROP TABLE t;\n";
        assert_eq!(
            section_end(input, Engine::Postgresql, 7, &is_marker),
            Ok(10)
        );
        let statements = split_from(&input[..10], Engine::Postgresql, 7).unwrap();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0].line, 7);
    }

    #[test]
    fn a_marker_inside_a_string_a_body_or_a_comment_does_not_end_the_section() {
        for input in [
            "INSERT INTO t VALUES ('\n-- migrate:down\n');\n",
            "DO $$\n-- migrate:down\n$$;\n",
            "/*\n-- migrate:down\n*/ SELECT 1;\n",
            "SELECT 1; -- migrate:down\n",
        ] {
            let end = section_end(input, Engine::Postgresql, 1, &is_marker);
            assert_eq!(end, Ok(input.len()), "{input:?}");
        }
    }

    #[test]
    fn errors_in_a_section_carry_the_file_line() {
        let err =
            section_end("SELECT 1;\n\nSELECT 'x;\n", Engine::Sqlite, 10, &is_marker).unwrap_err();
        assert_eq!(err, SplitError::UnterminatedString { line: 12 });
    }

    #[test]
    fn an_unterminated_trigger_before_a_marker_is_an_error() {
        let input = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;\n-- migrate:down\n";
        assert_eq!(
            section_end(input, Engine::Sqlite, 4, &is_marker).unwrap_err(),
            SplitError::UnterminatedTrigger { line: 4 }
        );
    }

    // Cost

    #[test]
    fn an_unterminated_trigger_before_many_statements_is_found_in_one_pass() {
        let input = format!(
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n{}",
            "INSERT INTO t VALUES (1);\n".repeat(80_000)
        );
        // Quadratic, this took minutes; linear, it takes milliseconds. How fast is the benchmark's business:
        // a regression shows as a suite that does not finish.
        assert_eq!(
            lite_err(&input),
            SplitError::UnterminatedTrigger { line: 1 }
        );
    }

    #[test]
    fn long_inputs_split_in_linear_time() {
        let input = "INSERT INTO t VALUES ('a;b', $$c$$); -- x;\n".repeat(20_000);
        assert_eq!(pg(&input).len(), 20_000);
        assert_eq!(lite(&input).len(), 20_000);
    }
}
