//! One revision file: its header (the revision's identity and place in the graph), its `-- migrate:` sections,
//! and its checksum. The header is a line scan; each section is read with the SQL lexer up to the next marker,
//! because a marker-like line inside a string or a dollar-quoted body is text, not a marker.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::direction::Direction;
use crate::engine::Engine;
use crate::sql::{self, SplitError};

/// A revision id may not contain these, because the revision grammar gives them meaning.
pub(crate) const RESERVED_ID_CHARS: &[char] = &['@', '-', '+', ':'];
/// The width of `alembic_version.version_num`.
pub(crate) const MAX_ID_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// A section's SQL could not be split into statements; the line is the file's.
    #[error("{}:{}: {source}", path.display(), source.line())]
    Sql { path: PathBuf, source: SplitError },
}

/// One `-- migrate:up|down [dialect] [transaction:false]` section.
#[derive(Debug, Clone)]
pub struct Section {
    pub(crate) direction: Direction,
    pub(crate) dialect: Option<Engine>,
    pub(crate) transaction: bool,
    /// Line number (1-based, in the file) of the first line of the body.
    pub(crate) first_line: usize,
    body: std::ops::Range<usize>,
}

/// A parsed revision file.
#[derive(Debug, Clone)]
pub struct Script {
    pub path: PathBuf,
    pub id: String,
    pub down: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    /// The message lines of the header (the first one is the short message).
    pub doc: Vec<String>,
    pub create_date: Option<String>,
    /// `-- User Version: N`: what SQLite's `PRAGMA user_version` becomes once this revision is applied, when the
    /// ini file's `sqlite_user_version` is `header`.
    pub user_version: Option<u32>,
    /// `sha256:<hex>` of the normalised text, computed when first asked for: listing commands never need it.
    checksum: std::sync::OnceLock<String>,
    text: String,
    sections: Vec<Section>,
}

impl Script {
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let io = |source| ScriptError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes = read_small(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| ScriptError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "not valid UTF-8 (byte {}); revision files must be UTF-8 text",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Script::parse(path, &text)
    }

    pub(crate) fn parse(path: &Path, raw: &str) -> Result<Script, ScriptError> {
        let text = normalise(raw);
        let syntax = |line: usize, message: String| ScriptError::Syntax {
            path: path.to_path_buf(),
            line,
            message,
        };

        let mut header = Header::default();
        let mut sections: Vec<Section> = Vec::new();
        // The header: comment lines up to the first marker.
        let mut next_marker = None;
        let mut offset = 0usize;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let content = line.trim_end_matches('\n').trim();
            if looks_like_marker(content) {
                next_marker = Some((offset, index + 1));
                break;
            }
            offset += line.len();
            header
                .line(content)
                .map_err(|message| syntax(index + 1, message))?;
        }
        // Each section runs from its marker to the next marker the lexer finds outside strings and comments.
        while let Some((start, number)) = next_marker {
            let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            let (direction, dialect, transaction) = parse_marker(text[start..line_end].trim())
                .map_err(|message| syntax(number, message))?;
            if let Some(dup) = sections
                .iter()
                .find(|s| s.direction == direction && s.dialect == dialect)
            {
                return Err(syntax(
                    number,
                    format!(
                        "a second '-- migrate:{}{}' section (the first is at line {})",
                        direction.marker(),
                        dialect
                            .map(|d| format!(" {}", d.name()))
                            .unwrap_or_default(),
                        dup.first_line - 1
                    ),
                ));
            }
            let body_start = (line_end + 1).min(text.len());
            // A section without a dialect is read with PostgreSQL's rules, whose quotes (`$$`, `E'…'`) are the
            // ones that span lines in practice.
            let engine = dialect.unwrap_or(Engine::Postgresql);
            let length = sql::section_end(&text[body_start..], engine, number + 1, &|comment| {
                looks_like_marker(comment)
            })
            .map_err(|source| ScriptError::Sql {
                path: path.to_path_buf(),
                source,
            })?;
            let body_end = body_start + length;
            sections.push(Section {
                direction,
                dialect,
                transaction,
                first_line: number + 1,
                body: body_start..body_end,
            });
            next_marker = (body_end < text.len()).then(|| {
                let lines = text[body_start..body_end].matches('\n').count();
                (body_end, number + 1 + lines)
            });
        }

        let invalid = |message: String| ScriptError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let id = header.id.ok_or_else(|| {
            invalid("no '-- Revision ID:' line in the header; is this a revision file?".into())
        })?;
        validate_id(&id).map_err(invalid)?;
        let down = header.revises.ok_or_else(|| {
            invalid(format!(
                "revision '{id}' has no '-- Revises:' line (leave it empty for a first revision)"
            ))
        })?;
        // SQLite keeps user_version as a signed 32-bit number; a negative one reads as a mistake.
        let user_version = header
            .user_version
            .map(|v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|n| i32::try_from(*n).is_ok())
                    .ok_or_else(|| {
                        invalid(format!(
                            "revision '{id}' has '-- User Version: {v}'; it must be a whole number from 0 to {}",
                            i32::MAX
                        ))
                    })
            })
            .transpose()?;
        if !sections.iter().any(|s| s.direction == Direction::Up) && !header.unconverted {
            return Err(invalid(format!(
                "revision '{id}' has no '-- migrate:up' section; a revision file needs '-- migrate:up' and '-- migrate:down' markers"
            )));
        }
        Ok(Script {
            path: path.to_path_buf(),
            id,
            down,
            branch_labels: header.branch_labels,
            depends_on: header.depends_on,
            doc: header.doc,
            create_date: header.create_date,
            user_version,
            checksum: std::sync::OnceLock::new(),
            text,
            sections,
        })
    }

    /// The revision's place in the graph.
    pub(crate) fn revision(&self) -> crate::graph::Revision {
        crate::graph::Revision {
            id: self.id.clone(),
            down: self.down.clone(),
            depends_on: self.depends_on.clone(),
            branch_labels: self.branch_labels.clone(),
        }
    }

    /// `sha256:<hex>` of the file's normalised text: the checksum dbkit recorded before it recorded what ran.
    /// Only an old record is compared with it.
    pub fn file_checksum(&self) -> &str {
        self.checksum
            .get_or_init(|| checksum_of_normalised(&self.text))
    }

    /// The checksum of what an upgrade runs on a dialect (see [`sql_checksum`]). A file without an up section
    /// for the dialect runs nothing there.
    pub(crate) fn up_checksum(&self, dialect: Engine) -> Result<String, ScriptError> {
        let Some(section) = self.section(Direction::Up, dialect) else {
            return Ok(sql_checksum([]));
        };
        let statements = self.statements(section, dialect)?;
        Ok(sql_checksum(statements.iter().map(|s| s.sql)))
    }

    /// The short message (the first header line), as history prints it.
    pub fn message(&self) -> &str {
        self.doc.first().map(String::as_str).unwrap_or("")
    }

    /// Whether the file has a section of its own for `dialect` (not only plain ones).
    pub fn has_section_for(&self, dialect: Engine) -> bool {
        self.sections.iter().any(|s| s.dialect == Some(dialect))
    }

    /// The section to run for a direction on a dialect: the dialect's own section wins over the plain one.
    pub fn section(&self, direction: Direction, dialect: Engine) -> Option<&Section> {
        let mut plain = None;
        for s in self.sections.iter().filter(|s| s.direction == direction) {
            match s.dialect {
                Some(d) if d == dialect => return Some(s),
                None => plain = Some(s),
                Some(_) => {}
            }
        }
        plain
    }

    /// The file's text, normalised as it was read (for the lint's allow comments).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn body(&self, section: &Section) -> &str {
        &self.text[section.body.clone()]
    }

    /// A section's statements under an engine's quoting rules, with the file's line numbers.
    pub fn statements(
        &self,
        section: &Section,
        engine: Engine,
    ) -> Result<Vec<sql::Statement<'_>>, ScriptError> {
        sql::split_from(self.body(section), engine, section.first_line).map_err(|source| {
            ScriptError::Sql {
                path: self.path.clone(),
                source,
            }
        })
    }
}

#[derive(Default)]
struct Header {
    id: Option<String>,
    revises: Option<Vec<String>>,
    create_date: Option<String>,
    user_version: Option<String>,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    /// An `-- Unconverted:` line: what an import could not turn into SQL (the file keeps the source as
    /// comments). Such a file may lack an up section; planning through it then fails, naming the file.
    unconverted: bool,
    doc: Vec<String>,
    doc_closed: bool,
}

impl Header {
    fn line(&mut self, content: &str) -> Result<(), String> {
        if content.is_empty() {
            self.doc_closed |= !self.doc.is_empty();
            return Ok(());
        }
        let Some(comment) = content.strip_prefix("--") else {
            return Err(format!(
                "'{}' comes before the first '-- migrate:up' marker; SQL belongs in a '-- migrate:up' or '-- migrate:down' section",
                truncate(content, 60)
            ));
        };
        let comment = comment.trim();
        if let Some((key, value)) = comment.split_once(':') {
            let value = value.trim();
            let slot = match key.trim() {
                "Revision ID" => Some(&mut self.id),
                "Create Date" => Some(&mut self.create_date),
                "User Version" => Some(&mut self.user_version),
                _ => None,
            };
            if let Some(slot) = slot {
                if slot.is_some() {
                    return Err(format!("'{}' appears twice in the header", key.trim()));
                }
                *slot = Some(value.to_string());
                self.doc_closed = true;
                return Ok(());
            }
            let list = match key.trim() {
                "Revises" => {
                    if self.revises.is_some() {
                        return Err("'Revises' appears twice in the header".into());
                    }
                    self.revises = Some(Vec::new());
                    self.revises.as_mut()
                }
                "Branch Labels" => Some(&mut self.branch_labels),
                "Depends On" => Some(&mut self.depends_on),
                "Unconverted" => {
                    self.unconverted = true;
                    self.doc_closed = true;
                    return Ok(());
                }
                _ => None,
            };
            if let Some(list) = list {
                list.extend(split_list(key.trim(), value)?);
                self.doc_closed = true;
                return Ok(());
            }
        }
        if comment.is_empty() {
            self.doc_closed |= !self.doc.is_empty();
        } else if !self.doc_closed {
            self.doc.push(comment.to_string());
        }
        Ok(())
    }
}

/// A comma-separated header list. Empty (or Alembic's `None`) is no entries; an empty entry between commas is a
/// typo, and reading it as nothing would silently turn `Revises: , ,` into a root.
fn split_list(key: &str, value: &str) -> Result<Vec<String>, String> {
    if value.is_empty() || value == "None" {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(str::trim)
        .map(|entry| {
            if entry.is_empty() || entry == "None" {
                Err(format!(
                    "'{key}: {value}' has an empty entry; list ids separated by commas, or leave it empty for none"
                ))
            } else {
                Ok(entry.to_string())
            }
        })
        .collect()
}

type Marker = Result<(Direction, Option<Engine>, bool), String>;

/// The word that starts every marker.
const MIGRATE: &str = "migrate";

/// Whether `line` is meant as a marker: a `--` comment whose first word starts with `migrat` in any letter case
/// and either is the whole comment, is `migrate` followed by `:`, or is followed (after any of `:` `_` `-` `.`
/// and blanks) by the word `up` or `down`. Such a line is a valid marker or an error, never a comment, so that a
/// misspelt `-- migrate down` or `-- migrations:down` cannot let the down section run as part of the up; prose
/// such as `-- migrate the users table` or `-- migration notes: …` stays a comment.
fn looks_like_marker(line: &str) -> bool {
    fn split_word(text: &str) -> (&str, &str) {
        text.split_at(
            text.find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(text.len()),
        )
    }
    let Some(comment) = line.strip_prefix("--") else {
        return false;
    };
    let (word, rest) = split_word(comment.trim_start());
    if !word
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("migrat"))
    {
        return false;
    }
    if word.eq_ignore_ascii_case(MIGRATE) && rest.trim_start().starts_with(':') {
        return true;
    }
    let rest =
        rest.trim_start_matches(|c: char| matches!(c, ':' | '_' | '-' | '.') || c.is_whitespace());
    let (next, _) = split_word(rest);
    rest.is_empty() || next.eq_ignore_ascii_case("up") || next.eq_ignore_ascii_case("down")
}

/// Reads `-- migrate:up [sqlite|postgresql] [transaction:false]`, in any letter case, from a line that
/// [`looks_like_marker`].
fn parse_marker(line: &str) -> Marker {
    let not_a_marker =
        || format!("'{line}' is not a valid marker; expected '-- migrate:up' or '-- migrate:down'");
    let comment = line.strip_prefix("--").unwrap_or(line).trim_start();
    // `-- migrate down`, `-- migrate :up` and `-- migrate: up` are near misses, not other spellings.
    let rest = comment
        .get(..MIGRATE.len())
        .filter(|word| word.eq_ignore_ascii_case(MIGRATE))
        .and_then(|_| comment[MIGRATE.len()..].strip_prefix(':'))
        .ok_or_else(not_a_marker)?;
    if rest.starts_with(char::is_whitespace) {
        return Err(not_a_marker());
    }
    let mut words = rest.split_whitespace();
    let first = words.next().unwrap_or("");
    let direction = if first.eq_ignore_ascii_case("up") {
        Direction::Up
    } else if first.eq_ignore_ascii_case("down") {
        Direction::Down
    } else {
        return Err(format!(
            "unknown marker '-- migrate:{first}'; expected '-- migrate:up' or '-- migrate:down'"
        ));
    };
    let mut dialect = None;
    let mut transaction = true;
    for word in words {
        match word.to_ascii_lowercase().as_str() {
            "sqlite" => dialect = Some(Engine::Sqlite),
            "postgresql" | "postgres" => dialect = Some(Engine::Postgresql),
            "transaction:false" => transaction = false,
            "transaction:true" => transaction = true,
            _ => {
                return Err(format!(
                    "unknown option '{word}' on '-- migrate:{}'; expected 'sqlite', 'postgresql' or 'transaction:false'",
                    direction.marker()
                ))
            }
        }
    }
    Ok((direction, dialect, transaction))
}

/// Checks an id given with `--rev-id` or found in a header.
pub(crate) fn validate_id(id: &str) -> Result<(), String> {
    let bad: String = id
        .chars()
        .filter(|c| RESERVED_ID_CHARS.contains(c))
        .collect();
    if !bad.is_empty() {
        return Err(format!(
            "Character(s) '{bad}' not allowed in revision identifier '{id}'"
        ));
    }
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(format!(
            "revision identifier '{id}' is empty or contains white space"
        ));
    }
    if escapes_folder(id) {
        return Err(format!(
            "revision identifier '{id}' contains '/', '\\' or '..'; an id becomes part of a file name in the versions folder"
        ));
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "revision identifier '{id}' is {} characters long; the version table holds at most {MAX_ID_LEN}",
            id.len()
        ));
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A whole file in as few system calls as possible (open, read, read to see the end, close): a whole-file
/// read first asks for the size, and with thousands of revision files each call counts.
fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Line endings and a byte-order mark are editor accidents, not changes: they must not change a checksum.
fn normalise(raw: &str) -> String {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    if !raw.contains('\r') {
        return raw.to_string();
    }
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn checksum_of_normalised(text: &str) -> String {
    let mut out = String::from("sha256:");
    push_hex(&mut out, &Sha256::digest(text.as_bytes()));
    out
}

/// The checksum of a file's text as dbkit recorded it before it recorded what ran (see [`Script::file_checksum`]).
pub fn file_checksum(raw: &str) -> String {
    checksum_of_normalised(&normalise(raw))
}

/// How a checksum of statements starts; a recorded checksum without it is an older checksum of the whole file.
pub(crate) const SQL_CHECKSUM_PREFIX: &str = "sql-sha256:";

/// `sql-sha256:<hex>` of the statements a step sends to the database, in order. Only what runs counts: the
/// header, comments between statements, the other direction and other dialects' sections do not, so editing
/// them leaves the checksum of an applied revision alone.
pub(crate) fn sql_checksum<'a>(statements: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for statement in statements {
        // The terminator keeps `a; b` apart from `a b;`.
        hasher.update(statement.as_bytes());
        hasher.update(b"\n;\n");
    }
    let mut out = String::from(SQL_CHECKSUM_PREFIX);
    push_hex(&mut out, &hasher.finalize());
    out
}

/// Whether a checksum of statements is that of none: the step ran no SQL.
pub(crate) fn is_empty_sql(checksum: &str) -> bool {
    checksum == sql_checksum([])
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    use std::fmt::Write;
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
}

/// What a new revision file says.
pub(crate) struct NewRevision<'a> {
    pub(crate) id: &'a str,
    pub(crate) message: &'a str,
    pub(crate) down: &'a [String],
    pub(crate) branch_labels: &'a [String],
    pub(crate) depends_on: &'a [String],
    pub(crate) create_date: &'a str,
    /// The sections, from their first marker on; `None` for empty plain `up` and `down` sections.
    pub(crate) sections: Option<&'a str>,
}

/// The text of a new revision: its header, then its sections (empty ones unless given).
pub(crate) fn render(new: &NewRevision<'_>) -> String {
    let message = new.message.replace(['\r', '\n'], " ");
    let mut out = format!(
        "-- {message}\n--\n-- Revision ID: {}\n-- Revises: {}\n-- Create Date: {}\n",
        new.id,
        new.down.join(", "),
        new.create_date
    );
    if !new.branch_labels.is_empty() {
        out.push_str(&format!(
            "-- Branch Labels: {}\n",
            new.branch_labels.join(", ")
        ));
    }
    if !new.depends_on.is_empty() {
        out.push_str(&format!("-- Depends On: {}\n", new.depends_on.join(", ")));
    }
    out.push('\n');
    out.push_str(
        new.sections
            .unwrap_or("-- migrate:up\n\n\n-- migrate:down\n\n"),
    );
    out
}

/// Checks a new revision's message, which becomes the header's first comment line: one that reads as a
/// section marker (`migrate: …`, `migrate down`) would make the new file an error.
pub(crate) fn validate_message(message: &str) -> Result<(), String> {
    if looks_like_marker(&format!("-- {message}")) {
        return Err(format!(
            "the message '{message}' would read as a section marker ('-- migrate:up', '-- migrate:down') in the revision file; reword it"
        ));
    }
    Ok(())
}

/// The slug of a message: its words joined by `_`, lower-cased, cut at a word boundary.
pub(crate) fn slug(message: &str, truncate_len: usize) -> String {
    let words: Vec<String> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let slug = words.join("_");
    if slug.chars().count() <= truncate_len {
        return slug;
    }
    let cut: String = slug.chars().take(truncate_len).collect();
    match cut.rfind('_') {
        Some(i) => format!("{}_", &cut[..i]),
        None => format!("{cut}_"),
    }
}

/// Values a `file_template` may use.
pub(crate) struct TemplateValues<'a> {
    pub(crate) rev: &'a str,
    pub(crate) slug: &'a str,
    pub(crate) time: chrono::NaiveDateTime,
    pub(crate) epoch: i64,
}

/// Whether a name given for a file in the versions folder could reach outside it.
fn escapes_folder(name: &str) -> bool {
    name.contains(['/', '\\']) || name.contains("..")
}

/// Expands a `%(name)s`-style file template, as the ini file writes it after interpolation. The result names a
/// file directly in the versions folder: a path separator or `..` in it is an error, never a file elsewhere.
pub(crate) fn render_file_template(
    template: &str,
    values: &TemplateValues<'_>,
) -> Result<String, String> {
    let name = expand_file_template(template, values)?;
    if name.is_empty() || escapes_folder(&name) {
        return Err(format!(
            "file_template '{template}' gives the file name '{name}', which is empty or contains '/', '\\' or '..'; new revisions are written directly in the versions folder"
        ));
    }
    Ok(name)
}

fn expand_file_template(template: &str, values: &TemplateValues<'_>) -> Result<String, String> {
    use chrono::{Datelike, Timelike};
    let mut out = String::new();
    let mut rest = template;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        if let Some(r) = rest.strip_prefix('%') {
            out.push('%');
            rest = r;
            continue;
        }
        let bad = || format!("bad file_template '{template}': expected %(name)s or %(name)d");
        let r = rest.strip_prefix('(').ok_or_else(bad)?;
        let close = r.find(')').ok_or_else(bad)?;
        let name = &r[..close];
        let r = &r[close + 1..];
        let conv_at = r.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
        let spec = &r[..conv_at];
        let conv = r.as_bytes()[conv_at] as char;
        rest = &r[conv_at + 1..];
        let t = values.time;
        let number = match name {
            "year" => Some(i64::from(t.year())),
            "month" => Some(i64::from(t.month())),
            "day" => Some(i64::from(t.day())),
            "hour" => Some(i64::from(t.hour())),
            "minute" => Some(i64::from(t.minute())),
            "second" => Some(i64::from(t.second())),
            "epoch" => Some(values.epoch),
            _ => None,
        };
        let text = match (name, number) {
            ("rev", _) => values.rev.to_string(),
            ("slug", _) => values.slug.to_string(),
            (_, Some(n)) => n.to_string(),
            _ => {
                return Err(format!(
                    "unknown token '%({name})' in file_template; known: rev, slug, epoch, year, month, day, hour, minute, second"
                ))
            }
        };
        out.push_str(&apply_format_spec(&text, spec, conv == 'd').ok_or_else(bad)?);
    }
    out.push_str(rest);
    Ok(out)
}

/// Width and precision as a `%-format` applies them: for integers the precision is a minimum digit count,
/// and a leading `0` pads with zeros.
fn apply_format_spec(text: &str, spec: &str, integer: bool) -> Option<String> {
    let (flags_width, precision) = match spec.split_once('.') {
        Some((a, b)) => (a, Some(b.parse::<usize>().ok()?)),
        None => (spec, None),
    };
    let left = flags_width.starts_with('-');
    let zero = flags_width.trim_start_matches('-').starts_with('0');
    let width_text = flags_width.trim_start_matches(['-', '0']);
    let width = if width_text.is_empty() {
        0
    } else {
        width_text.parse::<usize>().ok()?
    };
    let mut value = text.to_string();
    if let Some(p) = precision {
        if integer {
            let (sign, digits) = value
                .strip_prefix('-')
                .map_or(("", value.as_str()), |d| ("-", d));
            value = format!("{sign}{digits:0>p$}");
        } else {
            value = value.chars().take(p).collect();
        }
    }
    let len = value.chars().count();
    if len < width {
        let pad = width - len;
        value = if left {
            format!("{value}{}", " ".repeat(pad))
        } else if zero && integer {
            format!("{}{value}", "0".repeat(pad))
        } else {
            format!("{}{value}", " ".repeat(pad))
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "-- add user profile fields\n--\n-- Revision ID: 3f2a9c1b7d4e\n-- Revises: 8a1b2c3d4e5f\n-- Create Date: 2026-11-21 14:30:00.123456\n-- Branch Labels: accounts\n-- Depends On: 5f0e1d2c3b4a\n\n-- migrate:up\nALTER TABLE users ADD COLUMN bio TEXT;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN bio;\n";

    fn parse(text: &str) -> Result<Script, ScriptError> {
        Script::parse(Path::new("v/x.sql"), text)
    }

    #[test]
    fn the_documented_example_parses_into_header_and_sections() {
        let s = parse(EXAMPLE).unwrap();
        assert_eq!(s.id, "3f2a9c1b7d4e");
        assert_eq!(s.down, vec!["8a1b2c3d4e5f"]);
        assert_eq!(s.branch_labels, vec!["accounts"]);
        assert_eq!(s.depends_on, vec!["5f0e1d2c3b4a"]);
        assert_eq!(s.message(), "add user profile fields");
        let up = s.section(Direction::Up, Engine::Sqlite).unwrap();
        assert_eq!(up.first_line, 10);
        assert_eq!(s.body(up).trim(), "ALTER TABLE users ADD COLUMN bio TEXT;");
        let down = s.section(Direction::Down, Engine::Postgresql).unwrap();
        assert_eq!(s.body(down).trim(), "ALTER TABLE users DROP COLUMN bio;");
    }

    #[test]
    fn an_empty_revises_line_makes_a_root_and_a_comma_list_a_merge() {
        let root = parse(&EXAMPLE.replace("Revises: 8a1b2c3d4e5f", "Revises:")).unwrap();
        assert!(root.down.is_empty());
        let merge =
            parse(&EXAMPLE.replace("Revises: 8a1b2c3d4e5f", "Revises: aaaa, bbbb")).unwrap();
        assert_eq!(merge.down, vec!["aaaa", "bbbb"]);
    }

    #[test]
    fn a_dialect_section_wins_over_the_plain_one() {
        let text = "-- m\n-- Revision ID: a1\n-- Revises:\n-- migrate:up\nplain;\n-- migrate:up postgresql transaction:false\npg;\n-- migrate:down sqlite\nsq;\n";
        let s = parse(text).unwrap();
        let pg = s.section(Direction::Up, Engine::Postgresql).unwrap();
        assert_eq!(s.body(pg).trim(), "pg;");
        assert!(!pg.transaction);
        let sq = s.section(Direction::Up, Engine::Sqlite).unwrap();
        assert_eq!(s.body(sq).trim(), "plain;");
        assert!(s.section(Direction::Down, Engine::Postgresql).is_none());
    }

    #[test]
    fn a_file_without_markers_is_an_error_naming_the_file() {
        let err = parse("-- m\n-- Revision ID: a1\n-- Revises:\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("v/x.sql: "), "{err}");
        assert!(err.contains("no '-- migrate:up' section"), "{err}");
    }

    #[test]
    fn sql_before_the_first_marker_names_the_line() {
        let err = parse(
            "-- m\n-- Revision ID: a1\n-- Revises:\nCREATE TABLE t (a int);\n-- migrate:up\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("v/x.sql:4: "), "{err}");
    }

    #[test]
    fn a_missing_revision_id_or_revises_line_is_an_error() {
        assert!(parse("-- m\n-- migrate:up\n")
            .unwrap_err()
            .to_string()
            .contains("Revision ID"));
        assert!(parse("-- m\n-- Revision ID: a1\n-- migrate:up\n")
            .unwrap_err()
            .to_string()
            .contains("Revises"));
    }

    #[test]
    fn unknown_marker_options_and_duplicate_sections_are_errors() {
        let err = parse("-- Revision ID: a1\n-- Revises:\n-- migrate:up mysql\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":3: unknown option 'mysql'"), "{err}");
        let err = parse("-- Revision ID: a1\n-- Revises:\n-- migrate:up\n-- migrate:up\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":4: a second '-- migrate:up' section"),
            "{err}"
        );
    }

    #[test]
    fn markers_are_read_in_any_letter_case() {
        let s = parse("-- Revision ID: a1\n-- Revises:\n-- MIGRATE:UP SQLite Transaction:False\nup;\n-- Migrate:Down\ndown;\n").unwrap();
        let up = s.section(Direction::Up, Engine::Sqlite).unwrap();
        assert!(!up.transaction);
        assert_eq!(s.body(up), "up;\n");
        let down = s.section(Direction::Down, Engine::Sqlite).unwrap();
        assert_eq!((down.first_line, s.body(down)), (6, "down;\n"));
    }

    #[test]
    fn a_marker_like_line_that_is_not_a_marker_is_an_error_naming_its_line() {
        for line in NEAR_MISSES {
            let text = format!("-- Revision ID: a1\n-- Revises:\n-- migrate:up\nup;\n{line}\n");
            let err = parse(&text).unwrap_err();
            assert!(
                matches!(err, ScriptError::Syntax { line: 5, .. }),
                "{line}: {err}"
            );
        }
        for comment in PROSE {
            let text = format!("-- Revision ID: a1\n-- Revises:\n-- migrate:up\n{comment}\nup;\n");
            let s = parse(&text).unwrap_or_else(|e| panic!("{comment}: {e}"));
            assert_eq!(s.sections.len(), 1, "{comment}");
        }
    }

    /// Lines meant as markers but not valid ones.
    const NEAR_MISSES: [&str; 15] = [
        "-- migrate: down",
        "-- Migrate :down",
        "--migrate:sideways",
        "-- migrate down",
        "-- Migrate Down",
        "-- migrate_down",
        "-- migrate-down",
        "-- migrations:down",
        "-- migration:down",
        "-- migrate.down",
        "-- migrate",
        "-- MIGRATE UP postgresql",
        "-- migrating up",
        "--migrate:",
        "-- migrate  ",
    ];

    /// Comments that mention migrating and are no markers.
    const PROSE: [&str; 6] = [
        "-- migrate the users table to the new layout",
        "-- migration notes: keep the old column for a week",
        "-- migrated the data",
        "-- Migrations upgrade the schema",
        "-- migrate 2 tables",
        "-- the migrate:down below drops it",
    ];

    #[test]
    fn a_marker_in_a_string_or_dollar_body_is_text_and_lines_stay_right() {
        let text = "-- Revision ID: a1\n-- Revises:\n-- migrate:up\nSELECT '\n-- migrate:down\n';\nDO $x$\n-- migrate:down\n$x$;\n-- migrate:down\ndown;\n";
        let s = parse(text).unwrap();
        let up = s.section(Direction::Up, Engine::Postgresql).unwrap();
        assert_eq!(s.statements(up, Engine::Postgresql).unwrap().len(), 2);
        let down = s.section(Direction::Down, Engine::Postgresql).unwrap();
        assert_eq!((down.first_line, s.body(down)), (11, "down;\n"));
    }

    #[test]
    fn sql_errors_name_the_files_line() {
        let text = "-- Revision ID: a1\n-- Revises:\n-- migrate:up\nSELECT 1;\nSELECT 'x;\n";
        let err = parse(text).unwrap_err();
        assert!(
            matches!(
                &err,
                ScriptError::Sql {
                    source: SplitError::UnterminatedString { line: 5 },
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.to_string(), "v/x.sql:5: unterminated quoted string");
    }

    #[test]
    fn empty_entries_in_header_lists_are_errors() {
        for revises in [", ,", "a,", ",a", "a,,b"] {
            let err =
                parse(&EXAMPLE.replace("Revises: 8a1b2c3d4e5f", &format!("Revises: {revises}")))
                    .unwrap_err();
            assert!(
                matches!(err, ScriptError::Syntax { line: 4, .. }),
                "{revises}: {err}"
            );
        }
        let root = parse(&EXAMPLE.replace("Revises: 8a1b2c3d4e5f", "Revises: None")).unwrap();
        assert!(root.down.is_empty());
    }

    #[test]
    fn a_message_that_reads_as_a_marker_is_refused() {
        for line in NEAR_MISSES {
            let message = line.trim_start_matches('-').trim_start();
            assert!(validate_message(message).is_err(), "{message}");
        }
        for line in PROSE {
            let message = line.trim_start_matches('-').trim_start();
            assert!(validate_message(message).is_ok(), "{message}");
        }
        assert!(validate_message("Migrate: users").is_err());
        assert!(validate_message("migrate users").is_ok());
    }

    #[test]
    fn ids_and_file_names_stay_inside_the_versions_folder() {
        for id in ["../x", "a/b", "a\\b", "..", "a..b"] {
            assert!(
                validate_id(id).unwrap_err().contains("'/', '\\' or '..'"),
                "{id}"
            );
        }
        let time = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        let values = TemplateValues {
            rev: "abc",
            slug: "s",
            time,
            epoch: 0,
        };
        for template in ["../../%(rev)s", "sub/%(rev)s", "%(rev)s\\x", ""] {
            assert!(
                render_file_template(template, &values).is_err(),
                "{template}"
            );
        }
    }

    #[test]
    fn reserved_characters_and_long_ids_are_rejected() {
        assert!(validate_id("a-b")
            .unwrap_err()
            .contains("Character(s) '-' not allowed"));
        assert!(validate_id(&"a".repeat(33)).is_err());
        assert!(validate_id("001_add_documents").is_ok());
    }

    #[test]
    fn crlf_and_a_byte_order_mark_do_not_change_the_checksum() {
        let crlf = EXAMPLE.replace('\n', "\r\n");
        let bom = format!("\u{feff}{EXAMPLE}");
        assert_eq!(file_checksum(EXAMPLE), file_checksum(&crlf));
        assert_eq!(file_checksum(EXAMPLE), file_checksum(&bom));
        assert_ne!(
            file_checksum(EXAMPLE),
            file_checksum(&EXAMPLE.replace("bio", "about"))
        );
        assert!(file_checksum(EXAMPLE).starts_with("sha256:"));
        assert_eq!(file_checksum(EXAMPLE).len(), 7 + 64);
        let up = |text: &str| parse(text).unwrap().up_checksum(Engine::Sqlite).unwrap();
        assert_eq!(up(EXAMPLE), up(&crlf));
        assert_eq!(up(EXAMPLE), up(&bom));
    }

    #[test]
    fn the_up_checksum_covers_only_the_statements_a_dialect_runs() {
        let up = |text: &str, d| parse(text).unwrap().up_checksum(d).unwrap();
        let sqlite = up(EXAMPLE, Engine::Sqlite);
        assert!(sqlite.starts_with(SQL_CHECKSUM_PREFIX));
        assert_eq!(sqlite.len(), SQL_CHECKSUM_PREFIX.len() + 64);
        assert_eq!(
            sqlite,
            sql_checksum(["ALTER TABLE users ADD COLUMN bio TEXT"])
        );
        for unchanged in [
            EXAMPLE.replace("add user profile fields", "add a bio"),
            EXAMPLE.replace("DROP COLUMN bio;", "DROP COLUMN IF EXISTS bio;"),
            EXAMPLE.replace("-- migrate:up\n", "-- migrate:up\n-- why: profiles\n\n"),
            format!("{EXAMPLE}\n-- migrate:up postgresql\nALTER TABLE users ADD COLUMN bio TEXT NULL;\n"),
        ] {
            assert_eq!(up(&unchanged, Engine::Sqlite), sqlite, "{unchanged}");
        }
        let edited = EXAMPLE.replace("bio TEXT", "bio VARCHAR(200)");
        assert_ne!(up(&edited, Engine::Sqlite), sqlite);
        let split = EXAMPLE.replace("ADD COLUMN bio TEXT;", "ADD COLUMN bio TEXT; SELECT 1;");
        assert_ne!(up(&split, Engine::Sqlite), sqlite);
        let own = format!("{EXAMPLE}\n-- migrate:up sqlite\nSELECT 1;\n");
        assert_ne!(up(&own, Engine::Sqlite), sqlite);
        assert_eq!(up(&own, Engine::Postgresql), sqlite);
    }

    #[test]
    fn an_empty_or_absent_up_section_has_the_checksum_of_no_sql() {
        let empty = "-- m\n-- Revision ID: a1\n-- Revises:\n-- migrate:up\n\n-- only a comment\n-- migrate:down\n";
        let s = parse(empty).unwrap();
        assert!(is_empty_sql(&s.up_checksum(Engine::Sqlite).unwrap()));
        let pg_only =
            "-- m\n-- Revision ID: a1\n-- Revises:\n-- migrate:up postgresql\nSELECT 1;\n";
        let s = parse(pg_only).unwrap();
        assert!(is_empty_sql(&s.up_checksum(Engine::Sqlite).unwrap()));
        assert!(!is_empty_sql(&s.up_checksum(Engine::Postgresql).unwrap()));
    }

    #[test]
    fn an_up_section_that_does_not_split_is_an_error_naming_the_file_and_line() {
        let text = "-- m\n-- Revision ID: a1\n-- Revises:\n-- migrate:up\nSELECT 'open;\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.starts_with("v/x.sql:5: "), "{err}");
    }

    #[test]
    fn a_rendered_revision_parses_back() {
        let down = vec!["aaaa".to_string(), "bbbb".to_string()];
        let text = render(&NewRevision {
            id: "0123456789ab",
            message: "merge heads",
            down: &down,
            branch_labels: &[],
            depends_on: &[],
            create_date: "2026-11-21 14:30:00.123456",
            sections: None,
        });
        let s = parse(&text).unwrap();
        assert_eq!(s.id, "0123456789ab");
        assert_eq!(s.down, down);
        assert_eq!(s.message(), "merge heads");
        assert_eq!(
            s.body(s.section(Direction::Up, Engine::Sqlite).unwrap())
                .trim(),
            ""
        );
    }

    #[test]
    fn slugs_are_lowercase_words_cut_at_a_word_boundary() {
        assert_eq!(
            slug("Add user profile fields!", 40),
            "add_user_profile_fields"
        );
        assert_eq!(
            slug("add a very long message that goes well past the limit", 20),
            "add_a_very_long_"
        );
        assert_eq!(slug("", 40), "");
    }

    #[test]
    fn the_default_file_template_expands_with_padding() {
        let time = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        let values = TemplateValues {
            rev: "3f2a9c1b7d4e",
            slug: "add_user",
            time,
            epoch: 1767322245,
        };
        let name = render_file_template(
            "%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d_%(rev)s_%(slug)s",
            &values,
        )
        .unwrap();
        assert_eq!(name, "20260102_0304_3f2a9c1b7d4e_add_user");
        assert_eq!(
            render_file_template("%(epoch)d_%(second)02d", &values).unwrap(),
            "1767322245_05"
        );
        assert!(render_file_template("%(nope)s", &values).is_err());
    }
}
