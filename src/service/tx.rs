//! Transaction plumbing shared by the use cases: bounded retries when the database
//! reports a serialization failure or deadlock, and failure events journaled in a
//! transaction of their own after the failed one rolled back.

use std::time::Duration;

use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Event;
use crate::store::journal;
use crate::store::{Db, db_error};

const ATTEMPTS: u32 = 8;

/// Counts attempts of one operation and decides whether a failure is worth another.
#[derive(Debug, Default)]
pub struct Retry {
    tries: u32,
}

impl Retry {
    /// True (after a short, growing, jittered pause) when `error` is a serialization
    /// failure or deadlock and attempts remain.
    pub async fn again(&mut self, error: &Error) -> bool {
        self.tries += 1;
        if error.kind != ErrorKind::Busy || self.tries >= ATTEMPTS {
            return false;
        }
        let jitter = u64::from(std::process::id() ^ self.tries) % 7;
        tokio::time::sleep(Duration::from_millis(u64::from(self.tries) * 5 + jitter)).await;
        true
    }
}

/// Evaluates an async attempt until it succeeds, fails for good, or runs out of tries.
/// A macro rather than a function taking a closure, so the futures stay `Send`.
macro_rules! retrying {
    ($attempt:expr) => {{
        let mut retry = $crate::service::tx::Retry::default();
        loop {
            match $attempt.await {
                Err(e) if retry.again(&e).await => continue,
                other => break other,
            }
        }
    }};
}
pub(crate) use retrying;

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

/// Commits, or rolls back when this was a dry run; a command held to a plan it no longer
/// matches is refused here, before commit (see [`super::plan::held_to`]).
pub async fn finish(mut tx: sqlx::Transaction<'_, sqlx::Postgres>, dry_run: bool) -> Result<()> {
    super::plan::check_transaction(&mut tx).await?;
    if dry_run {
        tx.rollback().await.map_err(db_error)
    } else {
        tx.commit().await.map_err(db_error)
    }
}

/// Passes `result` through, journaling its failure on its own first (not for dry runs).
pub async fn journal_if_failed<T>(
    db: &Db,
    event: &'static str,
    request: serde_json::Value,
    dry_run: bool,
    result: Result<T>,
) -> Result<T> {
    if let Err(error) = &result
        && !dry_run
    {
        journal_failure(db, event, error, request).await;
    }
    result
}
