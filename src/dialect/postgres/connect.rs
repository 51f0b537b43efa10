//! Connecting to PostgreSQL as a parsed URL describes: the client configuration, TLS set up for the
//! sslmode the way PostgreSQL's own client does it, and a connection failure turned into one readable line
//! that says whether waiting may help. The URL parser ([`crate::dburl`]) stays free of I/O; this is where a
//! [`PgTarget`] meets the network.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls;
use crate::dburl::{PgHost, PgTarget, SslMode};

/// The TLS mode to ask the `postgres` crate for. The server refuses TLS over a Unix socket and
/// PostgreSQL's own client never asks for it there, so `require` must not fail on a socket.
fn wire_ssl_mode(target: &PgTarget) -> postgres::config::SslMode {
    let all_sockets = target
        .hosts()
        .iter()
        .all(|h| matches!(h, PgHost::Socket(_)));
    match target.sslmode() {
        _ if all_sockets => postgres::config::SslMode::Disable,
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    }
}

/// The client configuration for a target: every parsed field, and the TLS mode to ask for.
pub(crate) fn config(target: &PgTarget) -> postgres::Config {
    let mut config = postgres::Config::new();
    for (host, port) in target.hosts().iter().zip(target.ports()) {
        match host {
            PgHost::Tcp(name) => config.host(name),
            PgHost::Socket(dir) => config.host_path(dir),
        };
        config.port(*port);
    }
    config.user(target.user()).dbname(target.dbname());
    if let Some(password) = target.password() {
        config.password(password);
    }
    if let Some(name) = target.application_name() {
        config.application_name(name);
    }
    if let Some(timeout) = target.connect_timeout() {
        config.connect_timeout(timeout);
    }
    if let Some(options) = target.options() {
        config.options(options);
    }
    config.ssl_mode(wire_ssl_mode(target));
    config
}

/// Connects with TLS set up for the sslmode. `allow`, `prefer` and `require` encrypt without
/// checking the certificate, `verify-ca` checks it against the trusted roots but not the host
/// name, `verify-full` checks both. As with PostgreSQL's own client, an explicit
/// `sslrootcert` makes `require` behave like `verify-ca` and replaces the system roots;
/// `sslrootcert=system` means the system roots. Without `sslrootcert`, the verify modes use
/// `~/.postgresql/root.crt` if it exists, else the system roots.
pub(crate) fn connect(target: &PgTarget) -> Result<postgres::Client, ConnectError> {
    let config = config(target);
    let result = match config.get_ssl_mode() {
        postgres::config::SslMode::Disable => config.connect(postgres::NoTls),
        _ => {
            let tls = tls_connector(target)
                .map_err(|detail| ConnectError::new(target, detail, None, false))?;
            config.connect(tls)
        }
    };
    result.map_err(|e| ConnectError::from_postgres(target, &e))
}

fn tls_connector(target: &PgTarget) -> Result<MakeRustlsConnect, String> {
    let explicit_root = target
        .sslrootcert()
        .filter(|path| path.as_os_str() != "system");
    let verify = match target.sslmode() {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require => explicit_root.is_some(),
        SslMode::Disable | SslMode::Allow | SslMode::Prefer => false,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    if !verify {
        // Trusted roots are loaded only when a certificate is checked: parsing the system's
        // bundle costs more than the whole connection.
        return Ok(MakeRustlsConnect::new(
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(tls::AnyCertificate(provider)))
                .with_no_client_auth(),
        ));
    }
    let root = match (explicit_root, target.sslrootcert()) {
        (Some(path), _) => Some(path.to_path_buf()),
        (None, Some(_)) => None,
        (None, None) => std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(".postgresql/root.crt"))
            .filter(|path| path.is_file()),
    };
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let pem = std::fs::read(&path)
                .map_err(|e| format!("cannot read sslrootcert '{}': {e}", path.display()))?;
            let certs = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("cannot parse sslrootcert '{}': {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "sslrootcert '{}' holds no PEM certificate",
                    path.display()
                ));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| format!("cannot use sslrootcert '{}': {e}", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(
                    "no trusted root certificates found on this system; name one with sslrootcert"
                        .into(),
                );
            }
        }
    }
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let config = if target.sslmode() == SslMode::VerifyFull {
        builder.with_webpki_verifier(verifier).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(tls::AnyHostName(verifier)))
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

/// A failed connection attempt, as one readable line that names the server, user and database.
///
/// The `postgres` error is not kept as a `source`: its text is already part of this message,
/// and the chain would repeat it. Boxed to keep `Result`s small.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "could not connect to {} as '{}' (database '{}'): {}{}",
    .0.target,
    .0.user,
    .0.dbname,
    .0.detail,
    if self.is_missing_database() { "; 'db-init' creates it" } else { "" }
)]
pub struct ConnectError(Box<Failure>);

#[derive(Debug, Clone)]
struct Failure {
    target: String,
    user: String,
    dbname: String,
    detail: String,
    code: Option<String>,
    retryable: bool,
}

impl ConnectError {
    fn new(target: &PgTarget, detail: String, code: Option<String>, retryable: bool) -> Self {
        // Defence in depth: no known server or driver message echoes the password, but one that
        // did would otherwise end up in logs.
        let detail = match target.password() {
            Some(pw) if pw.len() >= 4 => detail.replace(pw, "***"),
            _ => detail,
        };
        ConnectError(Box::new(Failure {
            target: target.host_display(),
            user: target.user().to_string(),
            dbname: target.dbname().to_string(),
            detail,
            code,
            retryable,
        }))
    }

    fn from_postgres(target: &PgTarget, error: &postgres::Error) -> Self {
        let retryable = is_transient(error);
        match error.as_db_error() {
            Some(db) => {
                let code = db.code().code().to_string();
                let detail = format!("{} ({code})", db.message());
                Self::new(target, detail, Some(code), retryable)
            }
            None => Self::new(target, describe_chain(error), None, retryable),
        }
    }

    /// Whether waiting and trying again may help: the server is not up yet, is starting, is
    /// overloaded, or the network timed out. Wrong credentials or a missing database are final.
    pub(crate) fn is_retryable(&self) -> bool {
        self.0.retryable
    }

    /// Whether the server has no database of that name (SQLSTATE 3D000).
    pub(crate) fn is_missing_database(&self) -> bool {
        self.code() == Some("3D000")
    }

    /// The server's SQLSTATE, e.g. `28P01` for a wrong password or `3D000` for a missing database.
    pub(crate) fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The message without the server, user and database prefix.
    pub(crate) fn detail(&self) -> &str {
        &self.0.detail
    }
}

/// The error and its causes joined with `: `, since the `postgres` error's own text is only the
/// outermost layer ("error connecting to server").
fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

fn is_transient(error: &postgres::Error) -> bool {
    use std::io::ErrorKind;
    if let Some(db) = error.as_db_error() {
        // 57P03: the database system is starting up (or shutting down);
        // 53300: too many connections, which clears as clients leave.
        return matches!(db.code().code(), "57P03" | "53300");
    }
    // A connection dropped mid-startup ("error communicating with the server") usually means a
    // port that accepts before the server behind it listens, as container port forwarding does.
    if error.is_closed()
        || error.to_string() == "timeout waiting for server"
        || error.to_string() == "error communicating with the server"
    {
        return true;
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            let transient_kind = matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::TimedOut
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::AddrNotAvailable
                    // A socket file that does not exist yet: the server has not started.
                    | ErrorKind::NotFound
            );
            // Name resolution fails while a container's peer is still being created; a
            // caller's overall deadline bounds the wait for a name that never appears.
            if transient_kind || io.to_string().contains("failed to lookup address") {
                return true;
            }
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dburl::DatabaseUrl;

    fn pg(url: &str) -> PgTarget {
        match url.parse() {
            Ok(DatabaseUrl::Postgres(target)) => target,
            other => panic!("{url} should be PostgreSQL, got {other:?}"),
        }
    }

    #[test]
    fn a_socket_connection_never_asks_for_tls() {
        let target = pg("postgresql:///app?sslmode=require");
        assert_eq!(
            config(&target).get_ssl_mode(),
            postgres::config::SslMode::Disable
        );
    }

    #[test]
    fn the_config_carries_every_parsed_field() {
        let config = config(&pg(
            "postgresql://app:pw@db:6000/appdb?application_name=x&options=-c%20a%3Db",
        ));
        assert_eq!(config.get_user(), Some("app"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_dbname(), Some("appdb"));
        assert_eq!(config.get_ports(), &[6000]);
        assert_eq!(config.get_application_name(), Some("x"));
        assert_eq!(config.get_options(), Some("-c a=b"));
        assert_eq!(
            config.get_hosts(),
            &[postgres::config::Host::Tcp("db".into())]
        );
    }

    /// The live-server tests need the local server; under CI they must fail rather than skip.
    fn server_is_up(addr: &str) -> bool {
        let up = match addr.strip_prefix("unix:") {
            Some(path) => std::os::unix::net::UnixStream::connect(path).is_ok(),
            None => std::net::TcpStream::connect_timeout(
                &addr.parse().expect("socket address"),
                Duration::from_secs(3),
            )
            .is_ok(),
        };
        if !up {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI is set but no PostgreSQL server answers at {addr}"
            );
            eprintln!("skipping: no PostgreSQL server answers at {addr}");
        }
        up
    }

    fn local_tcp() -> bool {
        server_is_up("127.0.0.1:5432")
    }

    fn connect_to(url: &str) -> postgres::Client {
        connect(&pg(url)).unwrap_or_else(|e| panic!("connecting with {url}: {e}"))
    }

    fn uses_tls(client: &mut postgres::Client) -> bool {
        client
            .query_one(
                "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
                &[],
            )
            .expect("pg_stat_ssl")
            .get(0)
    }

    fn server_has_ssl() -> bool {
        let mut client = connect_to("postgresql://postgres@127.0.0.1/postgres?sslmode=disable");
        let ssl: String = client.query_one("show ssl", &[]).unwrap().get(0);
        ssl == "on"
    }

    #[test]
    fn sslmode_disable_connects_in_plain_text() {
        if !local_tcp() {
            return;
        }
        let mut client = connect_to("postgresql://postgres@127.0.0.1/postgres?sslmode=disable");
        assert!(!uses_tls(&mut client));
    }

    #[test]
    fn sslmode_prefer_uses_tls_when_the_server_offers_it_without_verifying() {
        if !local_tcp() {
            return;
        }
        let has_ssl = server_has_ssl();
        let mut client = connect_to("postgresql://postgres@127.0.0.1/postgres?sslmode=prefer");
        assert_eq!(uses_tls(&mut client), has_ssl);
    }

    #[test]
    fn sslmode_require_encrypts_without_verifying_the_certificate() {
        if !local_tcp() {
            return;
        }
        let target = pg("postgresql://postgres@127.0.0.1/postgres?sslmode=require");
        if server_has_ssl() {
            let mut client = connect(&target).expect("require against a self-signed server");
            assert!(uses_tls(&mut client));
        } else {
            let e = connect(&target).err().expect("require without server TLS");
            assert!(e.to_string().contains("server does not support TLS"), "{e}");
        }
    }

    #[test]
    fn sslmode_verify_full_rejects_an_untrusted_certificate() {
        if !local_tcp() || !server_has_ssl() {
            return;
        }
        let e = connect(&pg(
            "postgresql://postgres@127.0.0.1/postgres?sslmode=verify-full",
        ))
        .err()
        .expect("the server's certificate is not signed by a system root");
        let message = e.to_string();
        assert!(
            message.starts_with("could not connect to 127.0.0.1:5432 as 'postgres'"),
            "{message}"
        );
        assert!(message.contains("TLS"), "{message}");
        assert!(!e.is_retryable());
    }

    #[test]
    fn sslrootcert_lets_verify_ca_and_verify_full_trust_a_self_signed_server() {
        let cert = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
        if !local_tcp() || !server_has_ssl() || !Path::new(cert).exists() {
            return;
        }
        let mut client = connect_to(&format!(
            "postgresql://postgres@127.0.0.1/postgres?sslmode=verify-ca&sslrootcert={cert}"
        ));
        assert!(uses_tls(&mut client));
        let mut client = connect_to(&format!(
            "postgresql://postgres@localhost/postgres?sslmode=verify-full&sslrootcert={cert}"
        ));
        assert!(uses_tls(&mut client));
        // The certificate names localhost, not 127.0.0.1.
        let e = connect(&pg(&format!(
            "postgresql://postgres@127.0.0.1/postgres?sslmode=verify-full&sslrootcert={cert}"
        )))
        .err()
        .expect("host name mismatch");
        assert!(!e.is_retryable(), "{e}");
    }

    #[test]
    fn the_unix_socket_is_reachable_through_the_host_parameter() {
        if !server_is_up("unix:/var/run/postgresql/.s.PGSQL.5432") {
            return;
        }
        let mut client =
            connect_to("postgresql://postgres@/postgres?host=/var/run/postgresql&sslmode=require");
        let row = client
            .query_one("select inet_client_addr() is null", &[])
            .unwrap();
        assert!(
            row.get::<_, bool>(0),
            "a socket connection has no client address"
        );
        assert!(!uses_tls(&mut client));
    }

    #[test]
    fn a_missing_database_gives_a_final_3d000_error() {
        if !local_tcp() {
            return;
        }
        let e = connect(&pg(
            "postgresql://postgres:topsecret@127.0.0.1/dbkit_no_such_db?sslmode=disable",
        ))
        .err()
        .expect("the database does not exist");
        assert_eq!(
            e.to_string(),
            "could not connect to 127.0.0.1:5432 as 'postgres' (database 'dbkit_no_such_db'): \
             database \"dbkit_no_such_db\" does not exist (3D000); 'db-init' creates it"
        );
        assert!(e.is_missing_database());
        assert_eq!(e.code(), Some("3D000"));
        assert!(!e.is_retryable());
        assert!(!e.to_string().contains("topsecret"));
    }

    #[test]
    fn a_wrong_password_is_rejected_with_28p01_and_never_shown() {
        // The role that must log in with a password, on the server the tests run against
        // (scripts/test-postgres.sh starts a private one); the machine's own server is never changed.
        let Ok(url) = std::env::var("TEST_DATABASE_PASSWORD_URL") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI sets TEST_DATABASE_PASSWORD_URL"
            );
            return;
        };
        let target = pg(&url);
        let (Some(PgHost::Tcp(host)), Some(port)) =
            (target.hosts().first(), target.ports().first())
        else {
            panic!("TEST_DATABASE_PASSWORD_URL is not a TCP address");
        };
        let role = target.user().to_string();
        let e = connect(&pg(&format!(
            "postgresql://{role}:wrong-password@{host}:{port}/postgres?sslmode=disable"
        )))
        .err()
        .expect("a wrong password");
        assert_eq!(
            e.to_string(),
            format!(
                "could not connect to {host}:{port} as '{role}' (database 'postgres'): \
                 password authentication failed for user \"{role}\" (28P01)"
            )
        );
        assert_eq!(e.code(), Some("28P01"));
        assert!(!e.is_retryable());
        assert!(!e.to_string().contains("wrong-password"));
    }

    #[test]
    fn a_refused_connection_is_retryable() {
        // Port 1 on loopback has no listener on any sane machine.
        let e = connect(&pg(
            "postgresql://app:topsecret@127.0.0.1:1/app?sslmode=disable",
        ))
        .err()
        .expect("nothing listens on port 1");
        let message = e.to_string();
        assert!(
            message.starts_with("could not connect to 127.0.0.1:1 as 'app' (database 'app'): "),
            "{message}"
        );
        assert!(message.contains("Connection refused"), "{message}");
        assert!(!message.contains("topsecret"));
        assert!(e.is_retryable());
    }

    #[test]
    fn a_server_that_hangs_up_during_startup_is_retryable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hang_up = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // A partial message, then the connection closes.
            std::io::Write::write_all(&mut stream, b"R").unwrap();
        });
        let e = connect(&pg(&format!(
            "postgresql://app@127.0.0.1:{port}/app?sslmode=disable"
        )))
        .err()
        .expect("the peer hangs up");
        hang_up.join().unwrap();
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("could not connect to 127.0.0.1:{port} as 'app'")),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_host_is_reported_by_name() {
        let e = connect(&pg(
            "postgresql://app@no-such-host.invalid/app?sslmode=disable",
        ))
        .err()
        .expect("the .invalid domain never resolves");
        let message = e.to_string();
        assert!(
            message.starts_with(
                "could not connect to no-such-host.invalid:5432 as 'app' (database 'app'): "
            ),
            "{message}"
        );
        assert!(message.contains("lookup"), "{message}");
    }

    #[test]
    fn a_missing_socket_is_retryable() {
        let e = connect(&pg("postgresql://app@/app?host=/nonexistent-dbkit-dir"))
            .err()
            .expect("no socket there");
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.to_string()
                .starts_with("could not connect to /nonexistent-dbkit-dir as 'app'"),
            "{e}"
        );
    }
}
