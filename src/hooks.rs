//! Post-write hooks: programs run on every revision file dbkit writes (a SQL formatter such as `pg_format` or
//! `sqlfluff fix`), configured in the ini file's `[post_write_hooks]` section exactly as existing projects
//! already write it:
//!
//! ```ini
//! [post_write_hooks]
//! hooks = pgformat
//! pgformat.type = exec
//! pgformat.executable = pg_format
//! pgformat.options = -i REVISION_SCRIPT_FILENAME
//! ```
//!
//! Only `exec` hooks run: the other types load Python code. The executable is spawned directly with its
//! options split as a POSIX shell splits words (no shell runs, so nothing in them is expanded), and
//! `REVISION_SCRIPT_FILENAME` in them becomes the new file's absolute path (it is put first when the options do
//! not name it). Every hook is checked, and its executable found, before the file is written, so a hook that
//! cannot run leaves no file behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The word in a hook's `options` that stands for the revision file's path.
pub(crate) const REVISION_SCRIPT_TOKEN: &str = "REVISION_SCRIPT_FILENAME";

/// The ini file's section of hooks.
pub(crate) const SECTION: &str = "post_write_hooks";

/// How much of a failed hook's output its error quotes.
const MAX_OUTPUT: usize = 2000;

/// Why a hook could not be run, or failed. Each names the hook as the ini file does.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("post-write hook '{hook}' has no '{hook}.{key}' in [post_write_hooks]")]
    MissingKey { hook: String, key: &'static str },
    #[error(
        "post-write hook '{hook}' has type '{kind}', which runs Python code; dbkit runs hooks of type 'exec' \
         (set '{hook}.type = exec' and name the program in '{hook}.executable')"
    )]
    UnsupportedType { hook: String, kind: String },
    #[error("post-write hook '{hook}': '{hook}.options' does not split into words: {reason}")]
    Options { hook: String, reason: &'static str },
    #[error("post-write hook '{hook}': executable '{executable}' not found: {reason}")]
    NotFound {
        hook: String,
        executable: String,
        reason: String,
    },
    #[error(
        "post-write hook '{hook}' ('{}') could not start: {source}; the revision file '{}' was written \
         and left as it is",
        executable.display(),
        path.display()
    )]
    Spawn {
        hook: String,
        executable: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "post-write hook '{hook}' ('{}') failed ({status}){}; the revision file '{}' was written and is kept \
         as the hook left it",
        executable.display(),
        quoted_output(output),
        path.display()
    )]
    Failed {
        hook: String,
        executable: PathBuf,
        status: std::process::ExitStatus,
        output: String,
        path: PathBuf,
    },
    #[error(
        "post-write hook '{hook}' left the revision file '{}' unreadable or changed its identity: {reason}; \
         fix the hook or the file",
        path.display()
    )]
    BrokeFile {
        hook: String,
        path: PathBuf,
        reason: String,
    },
}

fn quoted_output(output: &str) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!(": {output}")
    }
}

/// One hook as the ini file declares it, checked only by the commands that write a revision, so a hook that is
/// misconfigured never stops one that does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookConfig {
    pub(crate) name: String,
    /// `<name>.type`.
    pub(crate) kind: Option<String>,
    /// `<name>.executable`.
    pub(crate) executable: Option<String>,
    /// `<name>.options`, unsplit.
    pub(crate) options: String,
    /// `<name>.cwd`: where the hook runs; unset is the working directory.
    pub(crate) cwd: Option<String>,
}

/// A hook ready to run: its executable found and its options split.
#[derive(Debug)]
pub(crate) struct Hook {
    name: String,
    executable: PathBuf,
    options: Vec<String>,
    cwd: Option<PathBuf>,
}

/// The hooks the section declares, in `hooks` order, from a lookup of the section's keys (lowercase, as the
/// ini file's keys are).
pub(crate) fn configs<E>(
    get: impl Fn(&str) -> Result<Option<String>, E>,
) -> Result<Vec<HookConfig>, E> {
    let Some(list) = get("hooks")? else {
        return Ok(Vec::new());
    };
    let mut hooks = Vec::new();
    for name in crate::config::list_items(&list) {
        let key = |suffix: &str| get(&format!("{}.{suffix}", name.to_lowercase()));
        hooks.push(HookConfig {
            name: name.to_string(),
            kind: key("type")?,
            executable: key("executable")?,
            options: key("options")?.unwrap_or_default(),
            cwd: key("cwd")?,
        });
    }
    Ok(hooks)
}

impl HookConfig {
    /// Checks the hook and finds its executable (a path, or a name looked up on `PATH`), without running it.
    pub(crate) fn prepare(&self) -> Result<Hook, HookError> {
        let hook = || self.name.clone();
        let kind = self.kind.as_deref().ok_or(HookError::MissingKey {
            hook: hook(),
            key: "type",
        })?;
        if kind != "exec" {
            return Err(HookError::UnsupportedType {
                hook: hook(),
                kind: kind.to_string(),
            });
        }
        let executable = self.executable.as_deref().ok_or(HookError::MissingKey {
            hook: hook(),
            key: "executable",
        })?;
        let cwd = self.cwd.as_ref().map(PathBuf::from);
        // A relative path with a directory in it is relative to where the hook runs, as when it is spawned.
        let found = match &cwd {
            Some(dir) if executable.contains('/') && !executable.starts_with('/') => {
                which::which(dir.join(executable))
            }
            _ => which::which(executable),
        };
        let executable_path = found.map_err(|e| HookError::NotFound {
            hook: hook(),
            executable: executable.to_string(),
            reason: e.to_string(),
        })?;
        let options = split_options(&self.options).map_err(|reason| HookError::Options {
            hook: hook(),
            reason,
        })?;
        Ok(Hook {
            name: self.name.clone(),
            executable: executable_path,
            options,
            cwd,
        })
    }
}

/// Splits `options` into words as a POSIX shell does, with [`REVISION_SCRIPT_TOKEN`] first when it does not
/// appear (so a formatter that takes the file as its only argument needs no options at all).
fn split_options(options: &str) -> Result<Vec<String>, &'static str> {
    let mut words = shlex::split(options)
        .ok_or("an unclosed quote or a trailing backslash (quote words as a POSIX shell does)")?;
    if !options.contains(REVISION_SCRIPT_TOKEN) {
        words.insert(0, REVISION_SCRIPT_TOKEN.to_string());
    }
    Ok(words)
}

impl Hook {
    /// Runs the hook on `path` (absolute) and waits for it. Its output is captured, and quoted in the error
    /// when it fails: standard output is where dbkit prints the new file's path, or its JSON.
    pub(crate) fn run(&self, path: &Path) -> Result<(), HookError> {
        let file = path.to_string_lossy();
        let args = self
            .options
            .iter()
            .map(|word| word.replace(REVISION_SCRIPT_TOKEN, &file));
        let mut command = Command::new(&self.executable);
        command.args(args).stdin(Stdio::null());
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        let out = command.output().map_err(|source| HookError::Spawn {
            hook: self.name.clone(),
            executable: self.executable.clone(),
            path: path.to_path_buf(),
            source,
        })?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let said = if stderr.trim().is_empty() {
            stdout.trim()
        } else {
            stderr.trim()
        };
        Err(HookError::Failed {
            hook: self.name.clone(),
            executable: self.executable.clone(),
            status: out.status,
            output: truncate(said, MAX_OUTPUT),
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// The last `max` bytes or so of `text`, where a tool says what went wrong.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Vec<HookConfig> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        configs(|key| Ok::<_, ()>(map.get(key).cloned())).unwrap()
    }

    #[test]
    fn hooks_are_read_in_the_order_the_list_names_them() {
        let hooks = config(&[
            ("hooks", "fmt,  lint other"),
            ("fmt.type", "exec"),
            ("fmt.executable", "pg_format"),
            ("fmt.options", "-i REVISION_SCRIPT_FILENAME"),
            ("lint.type", "console_scripts"),
            ("lint.entrypoint", "sqlfluff"),
        ]);
        let names: Vec<&str> = hooks.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["fmt", "lint", "other"]);
        assert_eq!(hooks[0].executable.as_deref(), Some("pg_format"));
        assert_eq!(hooks[0].options, "-i REVISION_SCRIPT_FILENAME");
        assert!(matches!(
            hooks[1].prepare(),
            Err(HookError::UnsupportedType { hook, kind }) if hook == "lint" && kind == "console_scripts"
        ));
        assert!(matches!(
            hooks[2].prepare(),
            Err(HookError::MissingKey { key: "type", .. })
        ));
        assert!(config(&[]).is_empty());
    }

    #[test]
    fn options_split_like_a_shell_with_the_file_first_unless_placed() {
        assert_eq!(
            split_options("--config 'my file.cfg' REVISION_SCRIPT_FILENAME").unwrap(),
            ["--config", "my file.cfg", "REVISION_SCRIPT_FILENAME"]
        );
        assert_eq!(
            split_options("-i").unwrap(),
            ["REVISION_SCRIPT_FILENAME", "-i"]
        );
        assert_eq!(split_options("").unwrap(), ["REVISION_SCRIPT_FILENAME"]);
        assert!(split_options("'unclosed").is_err());
    }
}
