//! Whether a server is reached through a pooler that hands one server session to
//! several clients in turn (pgbouncer's transaction or statement pooling). carve keeps
//! state in its sessions (sqlx's named prepared statements, lock_timeout, LISTEN for the
//! UI), which such a pooler mixes up between clients: it is refused at start, with what
//! to change, instead of failing later on statements "already existing".
//!
//! The probe uses the simple query protocol only: a named statement is what such a
//! pooler breaks.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, Row};

/// Why carve refuses a pooler that shares server sessions, and what to change.
pub const REFUSAL: &str = "this is a connection pooler in transaction or statement pooling \
    mode (two client sessions shared one server session), which carve cannot use: set \
    pool_mode = session for this database in pgbouncer, or connect to PostgreSQL directly";

/// Whether `host`, already open as `first`, shares server sessions between clients.
/// Directly and under session pooling two open sessions never share a server backend
/// and a session never changes backend; under transaction pooling `first`'s backend is
/// free between statements, so a second client's statement gets it (a pooler reuses
/// its most recently freed server first), or `first` moves to another one.
pub async fn shares_sessions(
    host: &PgConnectOptions,
    first: &mut PgConnection,
    timeout: Duration,
) -> sqlx::Result<bool> {
    let before = backend(first).await?;
    let Some(other) = second_backend(host, timeout).await else {
        // No second session (the server's connection limit, or one that waited for a
        // server while `first` sat idle, so `first` holds its own): nothing shared seen.
        return Ok(false);
    };
    let after = backend(first).await?;
    Ok(other == before || after != before)
}

/// The backend a second session's statement runs on, if it gets one within `timeout`.
async fn second_backend(host: &PgConnectOptions, timeout: Duration) -> Option<i32> {
    let probe = async {
        let mut second = host.connect().await.ok()?;
        let pid = backend(&mut second).await.ok();
        second.close().await.ok();
        pid
    };
    tokio::time::timeout(timeout, probe).await.ok().flatten()
}

async fn backend(conn: &mut PgConnection) -> sqlx::Result<i32> {
    sqlx::raw_sql("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await?
        .try_get(0)
}
