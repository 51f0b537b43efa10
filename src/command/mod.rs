//! The verbs of `db-migrate`, one function each, as short glue over the scripts, the graph, the database and
//! the runner. Each returns a report: what a program needs, serialisable as the verb's `--json`, with its text
//! form in [`crate::render`]; so the binary only parses arguments and prints, and other programs (and tests)
//! can call the same functions.
//!
//! One module per family of verbs: `migrate` moves the database, `listing` reads the revisions and where the
//! database is, `validate` checks what ran against the files, `authoring` writes new revision files.

mod authoring;
mod listing;
mod migrate;
mod validate;

use crate::dialect::Connection;
use crate::error::Result;
use crate::lock;
use crate::progress::Event;
use crate::project::Project;

pub use authoring::{init, merge, revision, Generated, NewRevisionArgs, ScriptsFolder};
pub use listing::{
    branches, current, heads, history, show, BranchPoint, Branches, Current, ListingKind,
    RevisionView, Revisions,
};
pub use migrate::{ensure_version, migrate, stamp, Ensured, Migration, RunOptions};
pub use validate::{accept, validate, Accepted, Finding, Findings};

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
