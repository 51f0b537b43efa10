//! SQLite: everything dbkit says to a SQLite database, which is a file (or memory) rather than a server. The
//! connection behind the [`Connection`](crate::dialect::Connection) trait is in `connection`, and the run lock,
//! a file lock beside the database, in [`lock`].

mod connection;
pub(crate) mod inspect;
pub(crate) mod lock;
pub(crate) mod scratch;
pub(crate) mod seed;

pub(crate) use connection::SqliteConnection;
