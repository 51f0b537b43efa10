//! PostgreSQL: everything dbkit says to a PostgreSQL server or its client tools. Connecting (with TLS) is in
//! [`connect`], the session behind the [`Connection`](crate::dialect::Connection) trait in `connection`, the
//! run lock's advisory-lock SQL in [`lock`], and `pg_dump`/`pg_restore` in [`pgtool`]. The catalog is read
//! into the schema model by [`inspect`], and schemas are built in throwaway databases by [`scratch`].

mod connect;
mod connection;
pub mod inspect;
pub mod lock;
pub(crate) mod pgtool;
pub mod scratch;
mod tls;

#[cfg(test)]
pub(crate) use connect::config;
pub(crate) use connect::{connect, ConnectError};
pub(crate) use connection::db_error;
pub use connection::PgConnection;
