//! The verbs of `db-migrate`, one function each, as short glue over the scripts, the graph, the database and
//! the runner. They write what a person reads to `out` and return what a program needs, so the binary only
//! parses arguments and other programs (and tests) can call the same functions.
//!
//! One module per family of verbs: `migrate` moves the database, `listing` reads the revisions and where the
//! database is, `validate` checks what ran against the files, `authoring` writes new revision files.

mod authoring;
mod listing;
mod migrate;
mod validate;

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::dialect::Connection;
use crate::error::{Error, Result};
use crate::lock;
use crate::project::Project;
use crate::runner::Event;

pub use authoring::{init, merge, new_rev_id, revision, write_new_file, NewRevisionArgs};
pub use listing::{branches, current, heads, history, show, Current};
pub use migrate::{ensure_version, migrate, stamp, RunOptions, Verb};
pub use validate::{validate, Finding};

fn stdout_err(source: std::io::Error) -> Error {
    Error::Io {
        path: PathBuf::from("<stdout>"),
        source,
    }
}

fn emit<T: Serialize>(out: &mut dyn Write, json: bool, value: &T, text: &str) -> Result<()> {
    if json {
        let mut s = serde_json::to_string_pretty(value).expect("plain data serialises");
        s.push('\n');
        out.write_all(s.as_bytes()).map_err(stdout_err)
    } else {
        out.write_all(text.as_bytes()).map_err(stdout_err)
    }
}

/// The run lock for the project's version table (see [`lock`]), announcing a wait through `events`.
fn take_lock(
    p: &Project,
    conn: &mut dyn Connection,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<lock::Guard> {
    lock::acquire(
        conn,
        &p.version_table().qualified(),
        p.settings.lock_timeout,
        &mut |m| events(Event::Waiting(m)),
    )
}
