//! SQLite: everything dbkit says to a SQLite database, which is a file (or memory) rather than a server. The
//! connection behind the [`Connection`](crate::dialect::Connection) trait is in `connection`, and the run lock,
//! a file lock beside the database, in [`lock`].

mod connection;
// Called by the schema verbs, which are not written yet (see `crate::schema`).
#[allow(dead_code)]
pub(crate) mod inspect;
pub(crate) mod lock;
// Called by the schema verbs, which are not written yet (see `crate::schema`).
#[allow(dead_code)]
pub(crate) mod scratch;

pub(crate) use connection::SqliteConnection;
