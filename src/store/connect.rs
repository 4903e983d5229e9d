//! Connecting to PostgreSQL: options from a URL (TLS as the URL asks, password from the
//! URL, `PGPASSFILE` or a command; several hosts tried in order, keeping the asked kind
//! of session), and connection failures turned into one clear line.
//! A password never reaches a message or a log: targets are described without it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};

use super::pooler;
use super::targets::{Session, SessionKind, split_hosts};
use crate::error::{Error, Result};
use crate::os::{Secret, run_secret_command};

/// An open connection pool and a password-free description of where it points.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: PgPool,
    pub description: String,
    /// How long released space stays parked (the config's; none unless set).
    pub release_cooldown: crate::config::ReleaseCooldown,
    /// Where new sessions may go when this server stops answering.
    target: Arc<Target>,
    timeout: Duration,
}

/// Where to connect: the URL's hosts in order, and the kind of session to keep.
#[derive(Debug, Clone)]
pub struct Target {
    pub hosts: Vec<PgConnectOptions>,
    pub kind: SessionKind,
    /// Whether a pooler may stand between carve and the server (any URL; never carve's
    /// own cluster): only then is it looked for, at the cost of a second session.
    pub may_pool: bool,
}

impl Target {
    /// One server of carve's own, any session (the embedded cluster, a test's
    /// database): no pooler stands in front of it.
    pub fn single(options: PgConnectOptions) -> Target {
        Target {
            hosts: vec![options],
            kind: SessionKind::Any,
            may_pool: false,
        }
    }

    /// Whether a lost server may mean that another one is to be used now.
    fn may_move(&self) -> bool {
        self.hosts.len() > 1 || self.kind != SessionKind::Any
    }
}

impl Db {
    /// Finds the first host of `target` that gives a session of the asked kind (one
    /// clear error naming what each host said, no retry loop), then opens the pool on
    /// it. Every session waits at most `lock_timeout` for any lock (row, table,
    /// advisory): a session holding one for good makes carve give up, not hang.
    /// Statements themselves are not bounded: an import or an ingest may rightly run long.
    pub async fn connect(
        target: Target,
        timeout: Duration,
        lock_timeout: Duration,
        max_connections: u32,
    ) -> Result<Db> {
        // pgbouncer refuses startup parameters it does not know (`options`,
        // `extra_float_digits`): lock_timeout is set once the session is open, and
        // extra_float_digits is left at the server's default (exact since PostgreSQL 12).
        let target = Target {
            hosts: (target.hosts.into_iter())
                .map(|h| h.extra_float_digits(None))
                .collect(),
            ..target
        };
        let chosen = choose(&target, timeout).await?;
        let description = describe_hosts(&chosen, &target.hosts);
        let kind = target.kind;
        let set_lock_timeout = format!("SET lock_timeout = {}", lock_timeout.as_millis());
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(timeout)
            // A session is checked as it opens: after a failover the host that was
            // chosen may now be the wrong kind.
            .after_connect(move |conn, _| {
                let set_lock_timeout = set_lock_timeout.clone();
                Box::pin(async move {
                    keep_only(kind, conn).await?;
                    sqlx::raw_sql(AssertSqlSafe(set_lock_timeout))
                        .execute(conn)
                        .await
                        .map(drop)
                })
            })
            .connect_lazy_with(chosen);
        Ok(Db {
            pool,
            description,
            release_cooldown: Default::default(),
            target: Arc::new(target),
            timeout,
        })
    }

    /// A handle on a pool opened elsewhere (a test's database): one server, no failover.
    pub fn over(pool: PgPool, description: String) -> Db {
        let target = Target::single((*pool.connect_options()).clone());
        Db {
            pool,
            description,
            release_cooldown: Default::default(),
            target: Arc::new(target),
            timeout: Duration::from_secs(5),
        }
    }

    /// Whether the database answers a trivial query now. When the server does not and
    /// the URL named several hosts (or a kind of session), the hosts are tried again in
    /// order and new sessions go to the one that fits: a standby promoted after the
    /// primary died, say.
    pub async fn answers(&self) -> bool {
        if self.ping().await {
            return true;
        }
        if !self.target.may_move() {
            return false;
        }
        match choose(&self.target, self.timeout).await {
            Ok(chosen) => {
                self.pool.set_connect_options(chosen);
                self.ping().await
            }
            Err(_) => false,
        }
    }

    async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// The first host of `target` whose session is of the asked kind (for a preference, a
/// pass for it first, then one for any); else an error saying what each host said.
async fn choose(target: &Target, timeout: Duration) -> Result<PgConnectOptions> {
    let mut said = Vec::new();
    for pass in target.kind.passes() {
        said.clear();
        for host in &target.hosts {
            match try_host(target, host, *pass, timeout).await {
                Ok(()) => return Ok(host.clone()),
                Err(why) => said.push((describe_options(host), why)),
            }
        }
    }
    Err(match said.as_slice() {
        [(host, why)] => {
            Error::connection(format!("cannot connect to PostgreSQL at {host}: {why}"))
        }
        _ => Error::connection(format!(
            "cannot connect to PostgreSQL ({} session wanted): {}",
            target.kind.as_str(),
            said.iter()
                .map(|(host, why)| format!("{host}: {why}"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    })
}

/// Connects to one host and checks its session is of kind `pass`; else why not.
async fn try_host(
    target: &Target,
    host: &PgConnectOptions,
    pass: SessionKind,
    timeout: Duration,
) -> std::result::Result<(), String> {
    let mut conn = tokio::time::timeout(timeout, host.connect())
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
        .map_err(|e| refusal(&e))?;
    let checked = check(target, host, &mut conn, pass, timeout).await;
    conn.close().await.ok();
    checked
}

/// Whether the session `conn` opened on `host` is one carve can use: not through a
/// pooler sharing server sessions (checked first, where one may stand: its answers are
/// wrong there), and of kind `pass`.
async fn check(
    target: &Target,
    host: &PgConnectOptions,
    conn: &mut PgConnection,
    pass: SessionKind,
    timeout: Duration,
) -> std::result::Result<(), String> {
    if target.may_pool {
        match pooler::shares_sessions(host, conn, timeout).await {
            Ok(false) => {}
            Ok(true) => return Err(pooler::REFUSAL.to_owned()),
            Err(e) => return Err(refusal(&e)),
        }
    }
    let asked = target.kind;
    if pass == SessionKind::Any {
        return Ok(());
    }
    match Session::of(conn).await {
        Ok(session) if pass.accepts(session) => Ok(()),
        Ok(session) => Err(format!("{}, not {}", session.describe(), asked.as_str())),
        Err(e) => Err(refusal(&e)),
    }
}

/// Refuses a new session that is not of the asked kind.
async fn keep_only(kind: SessionKind, conn: &mut PgConnection) -> sqlx::Result<()> {
    if kind == SessionKind::Any || kind == SessionKind::PreferStandby {
        return Ok(());
    }
    let session = Session::of(conn).await?;
    if kind.accepts(session) {
        return Ok(());
    }
    // An I/O error, so that it reads as a lost connection: the UI then waits and
    // finds the right server again.
    Err(sqlx::Error::Io(std::io::Error::other(format!(
        "the server is now {}, not {}",
        session.describe(),
        kind.as_str()
    ))))
}

/// Where a `postgres://` URL points: each of its hosts (libpq's `h1:p1,h2:p2`) with the
/// rest of the URL, and the kind of session it asks for (`target_session_attrs`, else
/// `PGTARGETSESSIONATTRS`, else any). `password_command`, when set and the URL carries
/// no password, runs through `sh -c` and its first output line is used.
pub fn target_from_url(
    url: &Secret,
    source: &str,
    password_command: Option<&str>,
) -> Result<Target> {
    let (urls, kind) = split_hosts(url.expose());
    let kind = match kind.or_else(|| std::env::var("PGTARGETSESSIONATTRS").ok()) {
        Some(text) => SessionKind::parse(&text)
            .map_err(|e| Error::config(format!("the database URL from {source}: {e}")))?,
        None => SessionKind::Any,
    };
    let password = match password_command {
        Some(command) if !url_has_password(url.expose()) => {
            Some(run_secret_command("database.password_command", command)?)
        }
        _ => None,
    };
    let mut hosts = Vec::new();
    for one in urls {
        // The parser's message never repeats the URL, so it is safe to show.
        let mut options = PgConnectOptions::from_str(&one).map_err(|e| {
            Error::config(format!(
                "the database URL from {source} is not a valid postgres:// URL: {e}"
            ))
        })?;
        if let Some(password) = &password {
            options = options.password(password.expose());
        }
        hosts.push(options.application_name("carve"));
    }
    Ok(Target {
        hosts,
        kind,
        may_pool: true,
    })
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
    describe_hosts(options, std::slice::from_ref(options))
}

/// `user@db1:5432,db2:5432/database`: a target of several hosts, which names the tenant
/// whichever host serves it now (a failover does not make it stale).
fn describe_hosts(first: &PgConnectOptions, hosts: &[PgConnectOptions]) -> String {
    let database = first.get_database().unwrap_or(first.get_username());
    let hosts: Vec<String> = hosts
        .iter()
        .map(|host| match host.get_socket() {
            Some(dir) => format!("[{}]", dir.display()),
            None => format!("{}:{}", host.get_host(), host.get_port()),
        })
        .collect();
    format!("{}@{}/{database}", first.get_username(), hosts.join(","))
}

/// Why a server refused a session, in words.
fn refusal(error: &sqlx::Error) -> String {
    match error {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_never_contain_the_password() {
        let url = Secret::new("postgres://noc:hunter2@db.example:6432/ipam?sslmode=require");
        let target = target_from_url(&url, "test", None).unwrap();
        let text = describe_options(&target.hosts[0]);
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
        assert!(target_from_url(&url, "t", Some("echo s3cret")).is_ok());
        let err = target_from_url(&url, "t", Some("echo s3cret; exit 3")).unwrap_err();
        assert!(err.message.contains("password_command failed"), "{err}");
        assert!(!err.message.contains("s3cret"));
    }

    #[test]
    fn a_bad_url_is_a_config_error_without_the_url() {
        let err = target_from_url(&Secret::new("postgres://u:pw@[::1/db"), "t", None).unwrap_err();
        assert_eq!(err.kind.exit_code(), 2);
        assert!(!err.message.contains("pw"), "{err}");
    }
}
