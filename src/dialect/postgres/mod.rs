//! PostgreSQL: everything dbkit says to a PostgreSQL server or its client tools. Connecting (with TLS) is in
//! [`connect`], the session behind the [`Connection`](crate::dialect::Connection) trait in `connection`, the
//! run lock's advisory-lock SQL in [`lock`], and `pg_dump`/`pg_restore` in [`pgtool`].

mod connect;
mod connection;
pub mod lock;
pub(crate) mod pgtool;
mod tls;

#[cfg(test)]
pub(crate) use connect::config;
pub(crate) use connect::{connect, ConnectError};
pub(crate) use connection::db_error;
pub use connection::PgConnection;
