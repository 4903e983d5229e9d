//! What the lock-wait cases share: a home whose config bounds carve's wait for a lock,
//! and a session holding a table lock open.

use sqlx::pool::PoolConnection;

use super::TestDb;

/// A home whose config sets `lock_timeout_secs`.
pub fn home_waiting(secs: u64) -> tempfile::TempDir {
    let home = super::reachable_tempdir();
    let dir = home.path().join("config/carve");
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!("[database]\nlock_timeout_secs = {secs}\n");
    std::fs::write(dir.join("config.toml"), config).unwrap();
    home
}

/// A session with a transaction open holding `locations` in EXCLUSIVE mode: every
/// change to locations waits for it. Let go with [`release`].
pub async fn hold_locations(t: &TestDb) -> PoolConnection<sqlx::Postgres> {
    let mut holder = t.pool.acquire().await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE locations IN EXCLUSIVE MODE")
        .execute(&mut *holder)
        .await
        .unwrap();
    holder
}

pub async fn release(mut holder: PoolConnection<sqlx::Postgres>) {
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *holder)
        .await
        .unwrap();
}
