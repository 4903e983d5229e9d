//! Locks that serialise a kind of work until the caller's transaction ends. They are
//! rows of carve_locks, taken by an upsert: only a role that may write carve's data can
//! take (or hold) one, where an advisory key could be squatted on by any role, a
//! read-only one included. Waits end at the session's lock_timeout.

use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

pub async fn hold_until_commit(conn: &mut PgConnection, name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO carve_locks (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name",
    )
    .bind(name)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}
