//! A primary and a hot standby streaming from it: two of carve's own embedded clusters
//! on this machine (unix sockets only), for multi-host URLs and failover.

use std::path::Path;
use std::time::Duration;

use carve::os::Secret;
use carve::store::local::{LocalCluster, SUPERUSER};
use carve::store::{Db, target_from_url};
use sqlx::{ConnectOptions, Connection};

use super::reachable_tempdir;

pub struct Pair {
    pub dir: tempfile::TempDir,
    pub primary: LocalCluster,
    pub standby: LocalCluster,
}

impl Pair {
    /// Starts a primary, copies it with `pg_basebackup -R` (streaming, with the standby's
    /// connection to it written down) and starts the copy as a hot standby.
    pub async fn start() -> Pair {
        let dir = reachable_tempdir();
        let primary = LocalCluster::new(&dir.path().join("a"), None).expect("PostgreSQL");
        primary.ensure_running().await.expect("start the primary");
        let standby = LocalCluster::new(&dir.path().join("b"), None).expect("PostgreSQL");
        standby.prepare_data_dir().expect("the standby's dirs");
        let out = standby
            .tool("pg_basebackup")
            .arg("-h")
            .arg(&primary.socket_dir)
            .args(["-U", SUPERUSER, "-R", "-X", "stream", "-c", "fast", "-D"])
            .arg(&standby.pgdata)
            .output()
            .await
            .expect("run pg_basebackup");
        assert!(
            out.status.success(),
            "pg_basebackup: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        standby.ensure_running().await.expect("start the standby");
        // Synchronous: a commit the primary acknowledged is on the standby, so a
        // failover loses no change a client was told was done.
        let mut primary_conn = primary.connect_options("postgres").connect().await.unwrap();
        for sql in [
            "ALTER SYSTEM SET synchronous_standby_names = '*'",
            "SELECT pg_reload_conf()",
        ] {
            sqlx::query(sql).execute(&mut primary_conn).await.unwrap();
        }
        primary_conn.close().await.ok();
        Pair {
            dir,
            primary,
            standby,
        }
    }

    /// `postgres://carve@<socket>,<socket>/carve?<query>`, one host per socket dir.
    pub fn url(&self, sockets: &[&Path], query: &str) -> String {
        let hosts: Vec<String> = sockets
            .iter()
            .map(|s| s.display().to_string().replace('/', "%2F"))
            .collect();
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!("postgres://{SUPERUSER}@{}/carve{query}", hosts.join(","))
    }

    /// What pg_auto_failover or Patroni would do when the primary dies: it is stopped
    /// hard, and the standby promoted.
    pub async fn fail_over(&self) {
        self.kill_primary().await;
        self.promote().await;
    }

    pub async fn kill_primary(&self) {
        pg_ctl(&self.primary, &["stop", "-m", "immediate"]).await;
    }

    pub async fn promote(&self) {
        pg_ctl(&self.standby, &["promote", "-w"]).await;
    }
}

async fn pg_ctl(cluster: &LocalCluster, args: &[&str]) {
    let out = cluster
        .tool("pg_ctl")
        .args(args)
        .arg("-D")
        .arg(&cluster.pgdata)
        .output()
        .await
        .expect("run pg_ctl");
    assert!(
        out.status.success(),
        "pg_ctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Pair {
    fn drop(&mut self) {
        for cluster in [&self.primary, &self.standby] {
            let mut stop = cluster.tool("pg_ctl");
            stop.args(["stop", "-m", "immediate", "-D"])
                .arg(&cluster.pgdata);
            let _ = stop.as_std_mut().output();
        }
    }
}

/// A handle on `url` as carve opens one (hosts tried in order, the kind kept).
pub async fn try_connect(url: &str) -> carve::error::Result<Db> {
    let target = target_from_url(&Secret::new(url), "test", None)?;
    Db::connect(target, Duration::from_secs(5), Duration::from_secs(30), 4).await
}

pub async fn connect(url: &str) -> Db {
    try_connect(url).await.expect("connect")
}
