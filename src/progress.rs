//! What a long-running verb tells its caller as it goes, in one shape for every binary: the migration runner's
//! steps, `db-init`'s and `db-backup`'s progress lines, and waits for the run lock all arrive as an [`Event`]
//! through one callback, so each binary decides once where they go and what `-q` silences.

use std::time::Duration;

use crate::runner::Prepared;

/// One thing that happened while a verb ran.
pub enum Event<'a> {
    /// Another process holds the lock the verb needs; the text says which and for how long it waits.
    Waiting(&'a str),
    /// A migration step finished, in this long.
    Done(&'a Prepared<'a>, Duration),
    /// An upgrade found nothing to run; the text says where the database is.
    NothingToDo(&'a str),
    /// A progress line of `db-init` or `db-backup`: what it is doing or did.
    Note(&'a str),
    /// A lint finding in a revision an upgrade is about to apply: a warning, which never stops the upgrade.
    Lint(&'a crate::command::LintFinding),
}
