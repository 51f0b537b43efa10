//! Reading the `.ini` configuration files teams already have, with the exact dialect they were
//! written for, so an existing file means the same thing here as it did before.
//!
//! That dialect has rules generic INI readers get wrong: keys are case-insensitive but section
//! names are not, inline comments are part of the value, an indented line continues the previous
//! value, a `[DEFAULT]` section shows through every other section, and values are interpolated
//! when read (`%(here)s`, with `%%` for a literal percent sign). Template strings such as
//! `%%(rev)s` and URL-encoded passwords such as `p%%40ss` depend on that last rule.
//!
//! The parser is written by hand. The `configparser` crate (3.3) was checked and does not fit:
//! it has no interpolation, folds section names to lowercase (or keeps key case too), strips
//! inline comments by default, keeps blank lines inside continued values, accepts keys before any
//! section and lines without a delimiter, does not reject duplicates, and reports most errors
//! without a line number.
//!
//! Values can hold credentials (a database URL), so neither `Debug` nor any error shows a value.

use std::cell::Cell;
use std::fmt;
use std::path::{Path, PathBuf};

/// How deep `%(name)s` references may nest before a cycle is assumed.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// How much work reading one value may take, counted as bytes appended plus references resolved. Ten
/// levels of references that each repeat the next several times grow exponentially (nine keys of eight
/// references are a gigabyte, or a hundred million references to empty values), so the bound is on the
/// work, far above what any real path, URL or template needs.
pub(crate) const MAX_EXPANSION: usize = 1 << 20;

const DEFAULT_SECTION: &str = "DEFAULT";

#[derive(Debug, thiserror::Error)]
pub enum IniError {
    #[error("{}line {line}: {message}", file_prefix(.path))]
    Syntax {
        path: Option<PathBuf>,
        line: usize,
        message: String,
    },
    #[error("cannot read '{}': {error}", .path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("bad interpolation syntax in '{key}' in section '{section}': {reason}")]
    BadInterpolation {
        section: String,
        key: String,
        reason: String,
    },
    #[error("missing interpolation key '{name}' referenced by '{key}' in section '{section}'")]
    MissingReference {
        section: String,
        key: String,
        name: String,
    },
    #[error(
        "interpolation in '{key}' in section '{section}' nests more than \
         {MAX_INTERPOLATION_DEPTH} levels deep; is there a cycle?"
    )]
    TooDeep { section: String, key: String },
    #[error(
        "interpolation in '{key}' in section '{section}' grows past {MAX_EXPANSION} bytes or \
         references; do its references repeat each other?"
    )]
    TooLarge { section: String, key: String },
}

fn file_prefix(path: &Option<PathBuf>) -> String {
    match path {
        Some(path) => format!("'{}' ", path.display()),
        None => String::new(),
    }
}

/// Keys in file order, because callers list them back to users in that order.
#[derive(Clone, Default)]
struct Entries(Vec<(String, String)>);

impl Entries {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, key: String, value: String) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// A parsed configuration file.
#[derive(Clone, Default)]
pub(crate) struct Ini {
    sections: Vec<(String, Entries)>,
    /// The file's `[DEFAULT]` section.
    defaults: Entries,
    /// Defaults supplied by the caller, such as `here`; the file's `[DEFAULT]` overrides them,
    /// just as a file overrides the defaults a parser is constructed with.
    extra: Entries,
}

impl fmt::Debug for Ini {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        map.entry(&DEFAULT_SECTION, &self.keys(DEFAULT_SECTION));
        for (name, entries) in &self.sections {
            map.entry(name, &entries.keys().collect::<Vec<_>>());
        }
        map.finish()
    }
}

/// Where a continued value gets appended.
#[derive(Clone, Copy)]
enum Target {
    Defaults,
    Section(usize),
}

impl Ini {
    /// Parses the text of a file. Syntax errors name the line, e.g. `line 4: ...`.
    pub(crate) fn parse(text: &str) -> Result<Ini, IniError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ini = Ini::default();
        let mut target: Option<Target> = None;
        // The key a more-indented line would continue, and the indentation of its line.
        let mut open_value: Option<(String, usize)> = None;
        // Blank lines inside a continued value belong to it, as in the files' original format; trailing
        // ones do not.
        let mut blanks = 0usize;

        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let error = |message: String| IniError::Syntax {
                path: None,
                line: number,
                message,
            };
            let content = line.trim();
            // Comment lines do not end a continued value, so entries can be commented out of a
            // multi-line list.
            if content.starts_with('#') || content.starts_with(';') {
                continue;
            }
            if content.is_empty() {
                blanks += 1;
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if let (Some((key, key_indent)), Some(target)) = (&open_value, target) {
                if indent > *key_indent {
                    let entries = ini.entries_mut(target);
                    let value = entries.get(key).unwrap_or_default();
                    let joined = format!("{value}{}\n{content}", "\n".repeat(blanks));
                    blanks = 0;
                    entries.set(key.clone(), joined);
                    continue;
                }
            }
            open_value = None;
            blanks = 0;

            if content.starts_with('[') {
                let end = content.rfind(']').ok_or_else(|| {
                    error(format!("section header '{content}' has no closing ']'"))
                })?;
                let name = &content[1..end];
                if name.is_empty() {
                    return Err(error("empty section name '[]'".to_string()));
                }
                target = Some(if name == DEFAULT_SECTION {
                    Target::Defaults
                } else if ini.section_index(name).is_some() {
                    return Err(error(format!("duplicate section '{name}'")));
                } else {
                    ini.sections.push((name.to_string(), Entries::default()));
                    Target::Section(ini.sections.len() - 1)
                });
                continue;
            }

            let Some(delimiter) = content.find(['=', ':']) else {
                // Without '=' or ':' the line cannot hold a URL's credentials, so it may be quoted.
                return Err(error(format!(
                    "expected 'key = value', '[section]' or a comment, found '{content}'"
                )));
            };
            let key = content[..delimiter].trim().to_lowercase();
            let value = content[delimiter + 1..].trim().to_string();
            if key.is_empty() {
                let symbol = &content[delimiter..=delimiter];
                return Err(error(format!("no key before '{symbol}'")));
            }
            let Some(current) = target else {
                return Err(error(format!(
                    "key '{key}' appears before any [section] header"
                )));
            };
            let entries = ini.entries_mut(current);
            if entries.get(&key).is_some() {
                let section = match current {
                    Target::Defaults => DEFAULT_SECTION,
                    Target::Section(i) => &ini.sections[i].0,
                };
                return Err(error(format!(
                    "duplicate key '{key}' in section '{section}'"
                )));
            }
            entries.set(key.clone(), value);
            open_value = Some((key, indent));
        }
        Ok(ini)
    }

    /// Reads and parses a file, and sets the `here` default to its directory as an absolute path.
    /// Errors name the file.
    pub(crate) fn load(path: &Path) -> Result<Ini, IniError> {
        let text = std::fs::read_to_string(path).map_err(|error| IniError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let mut ini = Ini::parse(&text).map_err(|e| match e {
            IniError::Syntax { line, message, .. } => IniError::Syntax {
                path: Some(path.to_path_buf()),
                line,
                message,
            },
            other => other,
        })?;
        let absolute = std::path::absolute(path).map_err(|error| IniError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let here = absolute.parent().unwrap_or(Path::new("/"));
        // Defaults are raw values, so a '%' in the directory name must not start a reference.
        let here = here.to_string_lossy().replace('%', "%%");
        ini.set_default("here", &here);
        Ok(ini)
    }

    /// Whether the file has this section; names are case-sensitive and `DEFAULT` is not a section.
    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.section_index(section).is_some()
    }

    /// The sections in file order, without `DEFAULT`.
    #[cfg(test)]
    pub(crate) fn sections(&self) -> Vec<&str> {
        self.sections
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// The interpolated value, falling back to `[DEFAULT]` and then the caller's defaults.
    /// `Ok(None)` if the section or the key does not exist.
    pub(crate) fn get(&self, section: &str, key: &str) -> Result<Option<String>, IniError> {
        let key = key.to_lowercase();
        let Some(raw) = self.lookup(section, &key) else {
            return Ok(None);
        };
        let mut out = String::with_capacity(raw.len());
        let scope = Scope {
            ini: self,
            section,
            key: &key,
            spent: Cell::new(0),
        };
        scope.interpolate(raw, None, 1, &mut out)?;
        Ok(Some(out))
    }

    /// The value as written, with the same fallbacks as [`Ini::get`] but no interpolation.
    #[cfg(test)]
    pub(crate) fn get_raw(&self, section: &str, key: &str) -> Option<&str> {
        self.lookup(section, &key.to_lowercase())
    }

    /// The section's keys in file order, followed by the inherited default keys it does not
    /// override (so `here` appears in every section). Empty if the section does not exist.
    pub(crate) fn keys(&self, section: &str) -> Vec<&str> {
        let own = match section {
            DEFAULT_SECTION => None,
            name => match self.section_index(name) {
                Some(i) => Some(&self.sections[i].1),
                None => return Vec::new(),
            },
        };
        let mut keys: Vec<&str> = Vec::new();
        let layers = own.into_iter().chain([&self.defaults, &self.extra]);
        for key in layers.flat_map(Entries::keys) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Adds a default visible in every section, below the file's own `[DEFAULT]`. The value is
    /// raw: `%` must be written `%%`, as in the file.
    pub(crate) fn set_default(&mut self, key: &str, value: &str) {
        self.extra.set(key.to_lowercase(), value.to_string());
    }

    fn section_index(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|(n, _)| n == name)
    }

    fn entries_mut(&mut self, target: Target) -> &mut Entries {
        match target {
            Target::Defaults => &mut self.defaults,
            Target::Section(i) => &mut self.sections[i].1,
        }
    }

    /// `key` must already be lowercase.
    fn lookup(&self, section: &str, key: &str) -> Option<&str> {
        let own = match section {
            DEFAULT_SECTION => None,
            name => Some(self.sections[self.section_index(name)?].1.get(key)),
        };
        own.flatten()
            .or_else(|| self.defaults.get(key))
            .or_else(|| self.extra.get(key))
    }
}

/// The value being read, for resolving references and naming it in errors.
struct Scope<'a> {
    ini: &'a Ini,
    section: &'a str,
    key: &'a str,
    /// See [`MAX_EXPANSION`].
    spent: Cell<usize>,
}

impl Scope<'_> {
    /// Appends `value` to `out` with references resolved. `inner` names the referenced key whose
    /// value this is, when not the requested key's own.
    fn interpolate(
        &self,
        value: &str,
        inner: Option<&str>,
        depth: usize,
        out: &mut String,
    ) -> Result<(), IniError> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(IniError::TooDeep {
                section: self.section.to_string(),
                key: self.key.to_string(),
            });
        }
        let mut rest = value;
        while let Some(percent) = rest.find('%') {
            self.spend(percent + 1)?;
            out.push_str(&rest[..percent]);
            rest = &rest[percent..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
                continue;
            }
            let reference = rest
                .strip_prefix("%(")
                .and_then(|r| r.split_once(')'))
                .filter(|(name, after)| !name.is_empty() && after.starts_with('s'));
            let Some((name, after)) = reference else {
                // The value itself is not quoted: it may be a URL with a password in it.
                let position = value[..value.len() - rest.len()].chars().count() + 1;
                let place = match inner {
                    Some(inner) => format!("character {position} of the value of '{inner}'"),
                    None => format!("character {position}"),
                };
                return Err(IniError::BadInterpolation {
                    section: self.section.to_string(),
                    key: self.key.to_string(),
                    reason: format!(
                        "'%' at {place} must be followed by '%' or '(name)s'; \
                         write '%%' for a literal '%'"
                    ),
                });
            };
            let name = name.to_lowercase();
            let Some(referenced) = self.ini.lookup(self.section, &name) else {
                return Err(IniError::MissingReference {
                    section: self.section.to_string(),
                    key: self.key.to_string(),
                    name,
                });
            };
            if referenced.contains('%') {
                self.interpolate(referenced, Some(&name), depth + 1, out)?;
            } else {
                self.spend(referenced.len())?;
                out.push_str(referenced);
            }
            rest = &after[1..];
        }
        self.spend(rest.len())?;
        out.push_str(rest);
        Ok(())
    }

    /// Counts work before it is done: every append, and every reference (which may append nothing).
    fn spend(&self, amount: usize) -> Result<(), IniError> {
        let spent = self.spent.get() + amount;
        self.spent.set(spent);
        if spent > MAX_EXPANSION {
            return Err(IniError::TooLarge {
                section: self.section.to_string(),
                key: self.key.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERIC: &str = "\
# A generic, single database configuration.
[alembic]
# path to migration scripts
script_location = %(here)s/alembic
file_template = %%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s
prepend_sys_path = .
version_locations =
    %(here)s/alembic/versions
    %(here)s/other/versions
truncate_slug_length = 40
sqlalchemy.url = driver://user:pass@localhost/dbname

[post_write_hooks]
hooks = black
black.type = console_scripts

[loggers]
keys = root,sqlalchemy,alembic

[formatter_generic]
format = %%(levelname)-5.5s [%%(name)s] %%(message)s
datefmt = %%H:%%M:%%S
";

    /// A directory of its own under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("dbkit-ini-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn parse(text: &str) -> Ini {
        Ini::parse(text).unwrap_or_else(|e| panic!("should parse: {e}"))
    }

    fn get(ini: &Ini, section: &str, key: &str) -> String {
        ini.get(section, key)
            .unwrap_or_else(|e| panic!("{section}.{key}: {e}"))
            .unwrap_or_else(|| panic!("{section}.{key} should exist"))
    }

    fn error(text: &str) -> String {
        match Ini::parse(text) {
            Ok(ini) => panic!("should be rejected, got {ini:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_generic_template_loads_with_here_set_to_its_directory() {
        let dir = TempDir::new("generic");
        let path = dir.0.join("alembic.ini");
        std::fs::write(&path, GENERIC).unwrap();
        let ini = Ini::load(&path).unwrap();
        let here = dir.0.display().to_string();

        assert_eq!(
            get(&ini, "alembic", "script_location"),
            format!("{here}/alembic")
        );
        assert_eq!(
            get(&ini, "alembic", "file_template"),
            "%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d_%(rev)s_%(slug)s"
        );
        assert_eq!(
            get(&ini, "alembic", "version_locations"),
            format!("\n{here}/alembic/versions\n{here}/other/versions")
        );
        assert_eq!(get(&ini, "alembic", "truncate_slug_length"), "40");
        assert_eq!(get(&ini, "alembic", "prepend_sys_path"), ".");
        assert_eq!(
            get(&ini, "alembic", "sqlalchemy.url"),
            "driver://user:pass@localhost/dbname"
        );
        assert_eq!(get(&ini, "post_write_hooks", "hooks"), "black");
        assert_eq!(
            get(&ini, "post_write_hooks", "black.type"),
            "console_scripts"
        );
        assert_eq!(get(&ini, "loggers", "keys"), "root,sqlalchemy,alembic");
        assert_eq!(
            get(&ini, "formatter_generic", "format"),
            "%(levelname)-5.5s [%(name)s] %(message)s"
        );
        assert_eq!(get(&ini, "formatter_generic", "datefmt"), "%H:%M:%S");
        assert_eq!(
            ini.sections(),
            [
                "alembic",
                "post_write_hooks",
                "loggers",
                "formatter_generic"
            ]
        );
        assert_eq!(ini.keys("loggers"), ["keys", "here"]);
    }

    #[test]
    fn raw_values_keep_their_percent_signs() {
        let ini = parse(GENERIC);
        assert_eq!(
            ini.get_raw("alembic", "script_location"),
            Some("%(here)s/alembic")
        );
        assert_eq!(
            ini.get_raw("formatter_generic", "datefmt"),
            Some("%%H:%%M:%%S")
        );
    }

    #[test]
    fn a_doubled_percent_in_a_url_comes_back_single() {
        let ini = parse("[alembic]\nsqlalchemy.url = postgresql://u:p%%40ss@h/db\n");
        assert_eq!(
            get(&ini, "alembic", "sqlalchemy.url"),
            "postgresql://u:p%40ss@h/db"
        );
    }

    #[test]
    fn a_single_percent_is_bad_interpolation_syntax_that_does_not_echo_the_value() {
        let ini = parse("[alembic]\nsqlalchemy.url = postgresql://u:s3cr%40t@h/db\n");
        let message = ini
            .get("alembic", "sqlalchemy.url")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "bad interpolation syntax in 'sqlalchemy.url' in section 'alembic': '%' at character \
             20 must be followed by '%' or '(name)s'; write '%%' for a literal '%'"
        );
        assert!(!message.contains("s3cr"));
        // Reading it raw still works, for callers that want the literal text.
        assert_eq!(
            ini.get_raw("alembic", "sqlalchemy.url"),
            Some("postgresql://u:s3cr%40t@h/db")
        );
    }

    #[test]
    fn bad_syntax_inside_a_referenced_value_names_that_value() {
        let ini = parse("[a]\nbase = 100%\nlabel = %(base)s done\n");
        let message = ini.get("a", "label").unwrap_err().to_string();
        assert!(
            message.starts_with(
                "bad interpolation syntax in 'label' in section 'a': \
                 '%' at character 4 of the value of 'base'"
            ),
            "{message}"
        );
    }

    #[test]
    fn an_unterminated_reference_is_bad_syntax() {
        for value in ["%(name", "%(name)d", "%()s", "50%"] {
            let ini = parse(&format!("[a]\nname = x\nv = {value}\n"));
            let message = ini.get("a", "v").unwrap_err().to_string();
            assert!(
                message.starts_with("bad interpolation syntax in 'v'"),
                "{value}: {message}"
            );
        }
    }

    #[test]
    fn a_reference_to_a_missing_key_names_it() {
        let ini = parse("[alembic]\nscript_location = %(nowhere)s/alembic\n");
        let message = ini
            .get("alembic", "script_location")
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "missing interpolation key 'nowhere' referenced by 'script_location' \
             in section 'alembic'"
        );
    }

    #[test]
    fn a_missing_key_or_section_reads_as_none() {
        let ini = parse(GENERIC);
        assert_eq!(ini.get("alembic", "nope").unwrap(), None);
        assert_eq!(ini.get("nope", "script_location").unwrap(), None);
        assert_eq!(ini.get_raw("alembic", "nope"), None);
        assert!(ini.keys("nope").is_empty());
        assert!(!ini.has_section("nope"));
    }

    #[test]
    fn references_resolve_recursively_through_the_default_section() {
        let ini = parse(
            "[DEFAULT]\nroot = %(base)s/app\nbase = /srv\n\n\
             [alembic]\nscript_location = %(root)s/migrations\n",
        );
        assert_eq!(
            get(&ini, "alembic", "script_location"),
            "/srv/app/migrations"
        );
        assert_eq!(get(&ini, "alembic", "root"), "/srv/app");
        assert_eq!(get(&ini, "DEFAULT", "base"), "/srv");
        assert!(!ini.has_section("DEFAULT"));
        assert_eq!(ini.keys("alembic"), ["script_location", "root", "base"]);
    }

    #[test]
    fn a_section_value_overrides_the_default_for_references_too() {
        let ini = parse("[DEFAULT]\nenv = prod\nname = db_%(env)s\n[test]\nenv = test\n");
        assert_eq!(get(&ini, "test", "name"), "db_test");
    }

    #[test]
    fn the_caller_defaults_sit_below_the_file_default_section() {
        let mut ini = parse("[DEFAULT]\nhere = /from/file\n[a]\nx = %(here)s %(there)s\n");
        ini.set_default("here", "/from/caller");
        ini.set_default("There", "far");
        assert_eq!(get(&ini, "a", "x"), "/from/file far");
    }

    #[test]
    fn a_percent_in_the_directory_of_a_loaded_file_is_literal() {
        let dir = TempDir::new("100%");
        let path = dir.0.join("alembic.ini");
        std::fs::write(&path, "[alembic]\nscript_location = %(here)s/alembic\n").unwrap();
        let ini = Ini::load(&path).unwrap();
        assert_eq!(
            get(&ini, "alembic", "script_location"),
            format!("{}/alembic", dir.0.display())
        );
    }

    #[test]
    fn self_reference_stops_at_the_depth_limit() {
        let ini = parse("[a]\nloop = x%(loop)s\n");
        let message = ini.get("a", "loop").unwrap_err().to_string();
        assert_eq!(
            message,
            "interpolation in 'loop' in section 'a' nests more than 10 levels deep; \
             is there a cycle?"
        );
        let chain: String = (0..10)
            .map(|i| format!("k{i} = %(k{})s\n", i + 1))
            .collect();
        let ini = parse(&format!("[a]\n{chain}k10 = end\n"));
        assert_eq!(get(&ini, "a", "k1"), "end");
    }

    /// Nine keys that each reference the one before eight times: 8^9 copies of the first.
    fn exponential(first: &str) -> String {
        let mut text = format!("[a]\nk0 = {first}\n");
        for i in 1..=9 {
            let reference = format!("%(k{})s", i - 1);
            text.push_str(&format!("k{i} = {}\n", reference.repeat(8)));
        }
        text
    }

    #[test]
    fn exponential_expansion_stops_at_the_bound() {
        for first in ["x", ""] {
            let ini = parse(&exponential(first));
            let message = ini.get("a", "k9").unwrap_err().to_string();
            assert_eq!(
                message,
                format!(
                    "interpolation in 'k9' in section 'a' grows past {MAX_EXPANSION} bytes or \
                     references; do its references repeat each other?"
                ),
                "first = {first:?}"
            );
        }
        // A value just under the bound still reads.
        let big = "y".repeat(MAX_EXPANSION / 2 - 10);
        let ini = parse(&format!("[a]\nbig = {big}\ntwice = %(big)s%(big)s\n"));
        assert_eq!(get(&ini, "a", "twice").len(), big.len() * 2);
    }

    #[test]
    fn keys_are_case_insensitive_but_section_names_are_not() {
        let ini = parse("[Alembic]\nScript_Location = a\n");
        assert_eq!(ini.get_raw("Alembic", "script_location"), Some("a"));
        assert_eq!(ini.get_raw("Alembic", "SCRIPT_LOCATION"), Some("a"));
        assert_eq!(ini.keys("Alembic"), ["script_location"]);
        assert!(ini.has_section("Alembic"));
        assert!(!ini.has_section("alembic"));
    }

    #[test]
    fn colons_delimit_and_whitespace_is_trimmed() {
        let ini = parse("[a]\n  key1 :  value one  \nkey2=v=2\nurl = sqlite:///x.db\nempty =\n");
        assert_eq!(ini.get_raw("a", "key1"), Some("value one"));
        assert_eq!(ini.get_raw("a", "key2"), Some("v=2"));
        assert_eq!(ini.get_raw("a", "url"), Some("sqlite:///x.db"));
        assert_eq!(ini.get_raw("a", "empty"), Some(""));
    }

    #[test]
    fn comments_are_skipped_but_inline_comment_characters_stay_in_the_value() {
        let ini = parse(
            "# top\n; also\n[a]\n  # indented comment\nkey = value # not a comment ; nor this\n",
        );
        assert_eq!(ini.keys("a"), ["key"]);
        assert_eq!(
            ini.get_raw("a", "key"),
            Some("value # not a comment ; nor this")
        );
    }

    #[test]
    fn indented_lines_continue_a_value_across_blank_lines() {
        let ini = parse(
            "[a]\nlist = one\n    two\n  # a commented-out entry\n\tthree\n\n\
             next = 1\n  [not a section]\n",
        );
        assert_eq!(ini.get_raw("a", "list"), Some("one\ntwo\nthree"));
        assert_eq!(ini.get_raw("a", "next"), Some("1\n[not a section]"));
        let ini = parse("[a]\nlist = one\n\n    two\n\nnext = 2\n");
        assert_eq!(ini.get_raw("a", "list"), Some("one\n\ntwo"));
        assert_eq!(ini.get_raw("a", "next"), Some("2"));
    }

    #[test]
    fn a_continuation_must_be_indented_more_than_its_key() {
        let ini = parse("[a]\n  k = v\n  j = w\n    more\n");
        assert_eq!(ini.get_raw("a", "k"), Some("v"));
        assert_eq!(ini.get_raw("a", "j"), Some("w\nmore"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        assert_eq!(
            error("\nkey = postgresql://u:secret@h/db\n"),
            "line 2: key 'key' appears before any [section] header"
        );
        assert_eq!(
            error("[a]\n[b\n"),
            "line 2: section header '[b' has no closing ']'"
        );
        assert_eq!(error("[a]\nx = 1\n[a]\n"), "line 3: duplicate section 'a'");
        assert_eq!(
            error("[a]\nx = 1\nX = 2\n"),
            "line 3: duplicate key 'x' in section 'a'"
        );
        assert_eq!(error("[a]\n = 2\n"), "line 2: no key before '='");
        assert_eq!(error("[]\n"), "line 1: empty section name '[]'");
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = TempDir::new("errors");
        let missing = dir.0.join("missing.ini");
        let message = Ini::load(&missing).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("cannot read '{}': ", missing.display())),
            "{message}"
        );
        let broken = dir.0.join("broken.ini");
        std::fs::write(&broken, "[a]\nnot a pair\n").unwrap();
        assert_eq!(
            Ini::load(&broken).unwrap_err().to_string(),
            format!(
                "'{}' line 2: expected 'key = value', '[section]' or a comment, found 'not a pair'",
                broken.display()
            )
        );
    }

    #[test]
    fn debug_output_shows_keys_but_no_values() {
        let ini = parse("[alembic]\nsqlalchemy.url = postgresql://u:hunter2@h/db\n");
        let debug = format!("{ini:?}");
        assert!(debug.contains("sqlalchemy.url"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn windows_line_endings_and_a_byte_order_mark_are_accepted() {
        let ini = parse("\u{feff}[a]\r\nk = v\r\nlist =\r\n  x\r\n");
        assert_eq!(ini.get_raw("a", "k"), Some("v"));
        assert_eq!(ini.get_raw("a", "list"), Some("\nx"));
    }
}
