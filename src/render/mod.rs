//! The words: the text form of every report the verbs return, for all three binaries, in one place. Verbs and
//! their reports hold data (and serialise as `--json`); what a person reads is built here, from the report
//! alone, so the text and the JSON always say the same thing.
//!
//! `revisions` holds the revision formats existing scripts parse and the listing verbs' text; `migrate` the
//! other `db-migrate` verbs'; `schema` the changes `check` and `schema diff` plan and what autogenerate wrote; `verify` each revision's round trip; `init` the `db-init` report; `backup` the `db-backup` verbs', with the sizes,
//! ages and revision phrases their progress lines share; `progress` the lines a running verb reports on stderr.

pub mod backup;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod lint;
pub(crate) mod migrate;
pub mod progress;
pub(crate) mod revisions;
pub(crate) mod schema;
pub(crate) mod verify;

/// A report's text form, as the binary prints it on stdout when `--json` is not given.
pub trait Render {
    fn text(&self) -> String;
}
