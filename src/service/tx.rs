//! Transaction plumbing shared by the use cases: bounded retries when the database
//! reports a serialization failure or deadlock, and failure events journaled in a
//! transaction of their own after the failed one rolled back.

use std::time::Duration;

use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::store::journal::{self, Event};
use crate::store::{Db, db_error};

const ATTEMPTS: u32 = 8;

/// Runs `attempt` until it succeeds, fails for a reason other than `Busy`, or has been
/// tried `ATTEMPTS` times.
pub async fn with_retries<T>(mut attempt: impl AsyncFnMut() -> Result<T>) -> Result<T> {
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(e) if e.kind == ErrorKind::Busy && tries < ATTEMPTS => {
                // Back off a little more each time, with jitter so retries spread out.
                let jitter = u64::from(std::process::id() ^ tries) % 7;
                tokio::time::sleep(Duration::from_millis(u64::from(tries) * 5 + jitter)).await;
            }
            Err(e) if e.kind == ErrorKind::Busy => {
                return Err(Error::new(
                    ErrorKind::Busy,
                    format!(
                        "gave up after {ATTEMPTS} tries, the database stayed busy: {}",
                        e.message
                    ),
                ));
            }
            other => return other,
        }
    }
}

/// Journals that `event` failed, with the reason and the request, on its own. A failure
/// to journal is logged, never allowed to hide the original error.
pub async fn journal_failure(
    db: &Db,
    event: &'static str,
    error: &Error,
    request: serde_json::Value,
) {
    if error.kind == ErrorKind::Connection {
        return;
    }
    let entry = Event::new(
        event,
        json!({"reason": error.message, "kind": error.kind.as_str(), "request": request}),
    )
    .failed();
    let outcome = async {
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        journal::record(&mut tx, &entry).await?;
        tx.commit().await.map_err(db_error)
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!("could not journal the failure of {event}: {}", e.message);
    }
}

/// Commits, or rolls back when this was a dry run.
pub async fn finish(tx: sqlx::Transaction<'_, sqlx::Postgres>, dry_run: bool) -> Result<()> {
    if dry_run {
        tx.rollback().await.map_err(db_error)
    } else {
        tx.commit().await.map_err(db_error)
    }
}
