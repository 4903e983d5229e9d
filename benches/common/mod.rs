//! What both benchmarks need: a PostgreSQL server to run against.

use carve::store::local::LocalCluster;
use carve::store::{Db, migrate};
use sqlx::ConnectOptions;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// `DATABASE_URL`'s server, else a private cluster under a temp dir (fsync on), stopped
/// and deleted when the guard drops (also on panic).
pub async fn server() -> (Option<ClusterGuard>, PgConnectOptions) {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return (None, url.parse().expect("DATABASE_URL"));
    }
    let dir = tempfile::Builder::new()
        .prefix("carve-bench")
        .tempdir_in("/tmp")
        .expect("temp dir");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let cluster = LocalCluster::new(dir.path(), None).expect("PostgreSQL binaries");
    cluster
        .ensure_running()
        .await
        .expect("start the bench cluster");
    let options = cluster.connect_options("postgres");
    (Some(ClusterGuard { cluster, _dir: dir }), options)
}

pub struct ClusterGuard {
    cluster: LocalCluster,
    _dir: tempfile::TempDir,
}

impl Drop for ClusterGuard {
    fn drop(&mut self) {
        let cluster = self.cluster.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(cluster.stop()).ok()
        })
        .join();
    }
}

/// A new, migrated database `name` on the server (an older one of that name dropped).
pub async fn fresh_db(admin: &PgConnectOptions, name: &str, connections: u32) -> (PgPool, Db) {
    let mut conn = admin.connect().await.expect("connect");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .expect("create the bench database");
    }
    let pg = PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(admin.clone().database(name))
        .await
        .expect("connect to the bench database");
    migrate(&pg).await.expect("migrate");
    let db = Db::over(pg.clone(), name.into());
    (pg, db)
}
