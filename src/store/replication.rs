//! Where a standby stands: how far it has replayed the primary's log, how old what it
//! shows is, and the newest journal row it holds (what a UI reading from a standby
//! follows, since LISTEN does not work there).

use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

/// The primary's current write position in its log (`pg_lsn` as text).
pub async fn wal_position(conn: &mut PgConnection) -> Result<String> {
    sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(conn)
        .await
        .map_err(db_error)
}

/// Whether this server shows everything up to `lsn`: a standby that replayed that far,
/// or a primary (nothing to replay).
pub async fn replayed(conn: &mut PgConnection, lsn: &str) -> Result<bool> {
    sqlx::query_scalar(
        "SELECT NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)",
    )
    .bind(lsn)
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// Whether this server is a standby, and how many seconds behind the primary what it
/// shows is: 0 when it replayed all it received (an idle primary sends nothing, so the
/// last replayed commit's age says nothing then).
pub async fn standing(conn: &mut PgConnection) -> Result<(bool, i64)> {
    sqlx::query_as(
        "SELECT pg_is_in_recovery(),
                CASE WHEN NOT pg_is_in_recovery()
                       OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
                END::bigint",
    )
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// The newest journal row's id (0 when there is none): every change writes one.
pub async fn newest_journal_id(conn: &mut PgConnection) -> Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM provisioning_logs")
        .fetch_one(conn)
        .await
        .map_err(db_error)
}
