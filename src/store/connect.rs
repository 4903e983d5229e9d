//! Connecting to PostgreSQL: options from a URL (TLS as the URL asks, password from the
//! URL, `PGPASSFILE` or a command), and connection failures turned into one clear line.
//! A password never reaches a message or a log: targets are described without it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::error::{Error, Result};
use crate::os::{Secret, run_secret_command};

/// An open connection pool and a password-free description of where it points.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: PgPool,
    pub description: String,
    /// How long released space stays parked (the config's; none unless set).
    pub release_cooldown: crate::config::ReleaseCooldown,
}

impl Db {
    /// Connects once to surface a bad target as one clear error (no retry loop), then
    /// opens the pool. Every session waits at most `lock_timeout` for any lock (row,
    /// table, advisory): a session holding one for good makes carve give up, not hang.
    /// Statements themselves are not bounded: an import or an ingest may rightly run long.
    pub async fn connect(
        options: PgConnectOptions,
        timeout: Duration,
        lock_timeout: Duration,
        max_connections: u32,
    ) -> Result<Db> {
        let options =
            options.options([("lock_timeout", format!("{}ms", lock_timeout.as_millis()))]);
        let description = describe_options(&options);
        let probe = tokio::time::timeout(timeout, options.connect())
            .await
            .map_err(|_| {
                Error::connection(format!(
                    "cannot connect to PostgreSQL at {description}: no answer within {} s",
                    timeout.as_secs()
                ))
            })?
            .map_err(|e| connect_error(&description, &e))?;
        probe.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(timeout)
            .connect_lazy_with(options);
        Ok(Db {
            pool,
            description,
            release_cooldown: Default::default(),
        })
    }

    /// Whether the database answers a trivial query now.
    pub async fn answers(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Builds connection options from a `postgres://` URL. `password_command`, when set and
/// the URL carries no password, runs through `sh -c` and its first output line is used.
pub fn connect_options_from_url(
    url: &Secret,
    source: &str,
    password_command: Option<&str>,
) -> Result<PgConnectOptions> {
    // The parser's message never repeats the URL, so it is safe to show.
    let mut options = PgConnectOptions::from_str(url.expose()).map_err(|e| {
        Error::config(format!(
            "the database URL from {source} is not a valid postgres:// URL: {e}"
        ))
    })?;
    if let Some(command) = password_command
        && !url_has_password(url.expose())
    {
        let password = run_secret_command("database.password_command", command)?;
        options = options.password(password.expose());
    }
    Ok(options.application_name("carve"))
}

fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// `user@host:port/database` or `user@socket:/dir/database`: enough to know which
/// tenant you are in, never the password.
pub fn describe_options(options: &PgConnectOptions) -> String {
    let database = options.get_database().unwrap_or(options.get_username());
    match options.get_socket() {
        Some(dir) => format!("{}@[{}]/{database}", options.get_username(), dir.display()),
        None => format!(
            "{}@{}:{}/{database}",
            options.get_username(),
            options.get_host(),
            options.get_port()
        ),
    }
}

fn connect_error(target: &str, error: &sqlx::Error) -> Error {
    let reason = match error {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused (is PostgreSQL running and listening there?)".to_owned()
            }
            std::io::ErrorKind::NotFound => "no server socket there".to_owned(),
            _ => io.to_string(),
        },
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") => "password authentication failed".to_owned(),
            Some("3D000") => "that database does not exist".to_owned(),
            _ => db.message().to_owned(),
        },
        sqlx::Error::Tls(e) => format!("TLS failed: {e}"),
        other => other.to_string(),
    };
    Error::connection(format!(
        "cannot connect to PostgreSQL at {target}: {reason}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_contain_the_password() {
        let url = Secret::new("postgres://noc:hunter2@db.example:6432/ipam?sslmode=require");
        let options = connect_options_from_url(&url, "test", None).unwrap();
        let text = describe_options(&options);
        assert_eq!(text, "noc@db.example:6432/ipam");
    }

    #[test]
    fn password_in_url_is_detected() {
        assert!(url_has_password("postgres://u:p@h/db"));
        assert!(!url_has_password("postgres://u@h/db"));
        assert!(!url_has_password("postgres://h/db?user=a:b@c"));
    }

    #[test]
    fn password_command_supplies_the_password_and_failures_stay_quiet() {
        let url = Secret::new("postgres://u@h/db");
        assert!(connect_options_from_url(&url, "t", Some("echo s3cret")).is_ok());
        let err = connect_options_from_url(&url, "t", Some("echo s3cret; exit 3")).unwrap_err();
        assert!(err.message.contains("password_command failed"), "{err}");
        assert!(!err.message.contains("s3cret"));
    }

    #[test]
    fn a_bad_url_is_a_config_error_without_the_url() {
        let err = connect_options_from_url(&Secret::new("postgres://u:pw@[::1/db"), "t", None)
            .unwrap_err();
        assert_eq!(err.kind.exit_code(), 2);
        assert!(!err.message.contains("pw"), "{err}");
    }
}
