//! The embedded default database: a private PostgreSQL cluster under carve's data
//! directory, reachable only through a unix socket in a 0700 directory (no TCP port).
//!
//! Layout of the data directory:
//! - `pg/`            the cluster (PGDATA)
//! - `run/`           the socket directory (elsewhere when that path is too long)
//! - `postgres.log`   the server's log
//! - `cluster.lock`   serialises start-up between concurrent carve processes

mod data_dir;

use std::path::{Path, PathBuf};
use std::process::Output;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::process::Command;

use super::binaries::PgBinaries;
use super::system_user::SystemUser;
use crate::error::{Error, Result};
use crate::model::ClusterState;
use crate::os::running_as_root;

/// The superuser initdb creates and carve connects as.
pub const SUPERUSER: &str = "carve";
/// The database carve keeps its data in.
pub const DATABASE: &str = "carve";

/// A unix socket path is limited to about 107 bytes (`sun_path`); keep a margin.
const MAX_SOCKET_PATH: usize = 100;
const SOCKET_FILE: &str = ".s.PGSQL.5432";

#[derive(Debug, Clone)]
pub struct LocalCluster {
    pub data_dir: PathBuf,
    pub pgdata: PathBuf,
    pub socket_dir: PathBuf,
    pub log_file: PathBuf,
    pub binaries: PgBinaries,
    /// Set when carve runs as root: the cluster then runs as this user.
    pub(super) run_as: Option<SystemUser>,
}

impl LocalCluster {
    /// Describes the cluster under `data_dir`; finds the server binaries but starts nothing.
    pub fn new(data_dir: &Path, bin_dir: Option<&Path>) -> Result<LocalCluster> {
        let binaries = PgBinaries::find(bin_dir)?;
        let run_as = if running_as_root() {
            Some(SystemUser::postgres()?)
        } else {
            None
        };
        Ok(LocalCluster {
            data_dir: data_dir.to_path_buf(),
            pgdata: data_dir.join("pg"),
            socket_dir: socket_dir_for(data_dir),
            log_file: data_dir.join("postgres.log"),
            binaries,
            run_as,
        })
    }

    pub async fn state(&self) -> Result<ClusterState> {
        if !self.pgdata.join("PG_VERSION").is_file() {
            return Ok(ClusterState::Uninitialised);
        }
        let out = self
            .run(
                self.tool("pg_ctl")
                    .arg("status")
                    .arg("-D")
                    .arg(&self.pgdata),
            )
            .await?;
        // pg_ctl status: 0 running, 3 not running; anything else is a real problem.
        match out.status.code() {
            Some(0) => Ok(ClusterState::Running {
                pid: parse_pid(&String::from_utf8_lossy(&out.stdout)).unwrap_or(0),
            }),
            Some(3) => Ok(ClusterState::Stopped),
            _ => Err(self.failure("pg_ctl status", &out)),
        }
    }

    /// Creates the cluster if needed and starts it if it is not running. Returns true when
    /// this call started it. Safe to call from several carve processes at once.
    pub async fn ensure_running(&self) -> Result<bool> {
        self.prepare_data_dir()?;
        let lock = self.data_dir.join("cluster.lock");
        let _guard = tokio::task::spawn_blocking(move || data_dir::lock_file(&lock))
            .await
            .map_err(|e| Error::internal(format!("cluster lock task failed: {e}")))??;
        match self.state().await? {
            ClusterState::Running { .. } => Ok(false),
            ClusterState::Stopped => {
                self.start_server().await?;
                Ok(true)
            }
            ClusterState::Uninitialised => {
                self.initdb().await?;
                self.start_server().await?;
                Ok(true)
            }
        }
    }

    /// Stops the cluster; returns false when it was not running.
    pub async fn stop(&self) -> Result<bool> {
        if !matches!(self.state().await?, ClusterState::Running { .. }) {
            return Ok(false);
        }
        let out = self
            .run(
                self.tool("pg_ctl")
                    .args(["stop", "-w", "-m", "fast", "-D"])
                    .arg(&self.pgdata),
            )
            .await?;
        if !out.status.success() {
            return Err(self.failure("pg_ctl stop", &out));
        }
        Ok(true)
    }

    /// Options that reach `database` in this cluster through its socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username(SUPERUSER)
            .database(database)
    }

    /// A URL for `database` in this cluster (for a child carve process): the socket
    /// directory as the host. It holds no password: the socket is reachable by its
    /// owner only.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@localhost/{database}?host={}",
            self.socket_dir.display()
        )
    }

    async fn initdb(&self) -> Result<()> {
        let out = self
            .run(
                self.tool("initdb")
                    .arg("-D")
                    .arg(&self.pgdata)
                    .args(["-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--no-locale"])
                    .arg("--no-instructions"),
            )
            .await?;
        if !out.status.success() {
            return Err(self.failure("initdb", &out));
        }
        tracing::info!(pgdata = %self.pgdata.display(), "created local cluster");
        Ok(())
    }

    async fn start_server(&self) -> Result<()> {
        let server_options = format!(
            "-k {} -c listen_addresses='' -c unix_socket_permissions=0700",
            self.socket_dir.display()
        );
        let out = self
            .run(
                self.tool("pg_ctl")
                    .args(["start", "-w", "-t", "60", "-D"])
                    .arg(&self.pgdata)
                    .arg("-l")
                    .arg(&self.log_file)
                    .arg("-o")
                    .arg(server_options),
            )
            .await?;
        if !out.status.success() {
            return Err(self.failure("pg_ctl start", &out));
        }
        tracing::info!(pgdata = %self.pgdata.display(), "started local cluster");
        self.create_database().await
    }

    /// initdb creates only `postgres`; carve's data goes into its own database.
    async fn create_database(&self) -> Result<()> {
        self.create_database_named(DATABASE, false).await
    }

    /// Creates database `name` in this cluster (dropping it first when `replace`).
    /// `name` must be a plain identifier.
    pub async fn create_database_named(&self, name: &str, replace: bool) -> Result<()> {
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(Error::internal(format!(
                "{name:?} is not a plain database name"
            )));
        }
        let fail = |e: sqlx::Error| Error::local_cluster(format!("local cluster: {e}"));
        let mut conn = self
            .connect_options("postgres")
            .connect()
            .await
            .map_err(|e| Error::local_cluster(format!("cannot reach the local cluster: {e}")))?;
        if replace {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .map_err(fail)?;
        }
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await
                .map_err(fail)?;
        if !exists {
            // The name was checked above to be a plain identifier.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .map_err(fail)?;
        }
        conn.close().await.ok();
        Ok(())
    }

    /// One of the server's programs, run as the cluster's user.
    pub fn tool(&self, name: &str) -> Command {
        let mut command = Command::new(self.binaries.tool(name));
        if let Some(user) = &self.run_as {
            command.uid(user.uid).gid(user.gid);
        }
        // The server must not inherit our working directory (it may be unreachable).
        command.current_dir("/");
        command
    }

    async fn run(&self, command: &mut Command) -> Result<Output> {
        command.stdin(std::process::Stdio::null());
        command.output().await.map_err(|e| {
            Error::local_cluster(format!(
                "cannot run {}: {e}",
                command.as_std().get_program().to_string_lossy()
            ))
        })
    }

    fn failure(&self, what: &str, out: &Output) -> Error {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let detail = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Error::local_cluster(format!(
            "{what} failed ({}): {} (server log: {})",
            out.status,
            detail.trim(),
            self.log_file.display()
        ))
    }
}

/// `<data_dir>/run` when that socket path fits in `sun_path`, else a short directory
/// under /tmp named after the data directory.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let preferred = data_dir.join("run");
    if preferred.join(SOCKET_FILE).as_os_str().len() <= MAX_SOCKET_PATH {
        return preferred;
    }
    let uid = crate::os::effective_uid().unwrap_or(0);
    PathBuf::from(format!(
        "/tmp/carve-{uid}-{:016x}",
        crate::os::fnv1a(data_dir.as_os_str().as_encoded_bytes())
    ))
}

/// pg_ctl status prints `pg_ctl: server is running (PID: 1234)`.
fn parse_pid(status: &str) -> Option<u32> {
    let start = status.find("PID: ")? + 5;
    let digits: String = status[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_comes_from_pg_ctl_status() {
        assert_eq!(
            parse_pid("pg_ctl: server is running (PID: 4242)\n/usr/lib/..."),
            Some(4242)
        );
        assert_eq!(parse_pid("pg_ctl: no server running"), None);
    }

    #[test]
    fn long_data_dirs_get_a_short_socket_dir() {
        let short = socket_dir_for(Path::new("/var/lib/carve"));
        assert_eq!(short, PathBuf::from("/var/lib/carve/run"));
        let long = Path::new("/home").join("x".repeat(120));
        let dir = socket_dir_for(&long);
        assert!(
            dir.to_string_lossy().starts_with("/tmp/carve-"),
            "{}",
            dir.display()
        );
        assert!(dir.join(SOCKET_FILE).as_os_str().len() <= MAX_SOCKET_PATH);
        assert_eq!(dir, socket_dir_for(&long), "stable for the same data dir");
    }
}
