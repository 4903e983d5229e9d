//! Changes made by anyone, heard as they commit (LISTEN on the primary) or seen in the
//! journal of a standby: what keeps an open UI current.

use std::time::{Duration, Instant};

use crate::error::{ErrorKind, Result};
use crate::store::changes::ChangeListener;
use crate::store::{Db, db_error, replication};

/// A session that hears every committed change to carve's data.
pub struct Changes(ChangeListener);

impl Changes {
    /// Listens; when the server is gone, the database's hosts are tried again first
    /// (after a failover the promoted standby is the one to listen on).
    pub async fn start(db: &Db) -> Result<Changes> {
        match ChangeListener::start(db).await {
            Err(e) if e.kind == ErrorKind::Connection && db.answers().await => {
                Ok(Changes(ChangeListener::start(db).await?))
            }
            other => Ok(Changes(other?)),
        }
    }

    /// Waits for the next committed change, by anyone.
    pub async fn next(&mut self) -> Result<()> {
        self.0.next().await
    }
}

/// Where the database a UI reads from stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// A standby (where LISTEN does not work: the journal is followed instead).
    pub standby: bool,
    /// How many seconds what it shows lags the primary.
    pub lag_secs: i64,
    /// The newest journal row it holds: a new one means something changed.
    pub newest: i64,
}

pub async fn standing(db: &Db) -> Result<Standing> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let (standby, lag_secs) = replication::standing(&mut conn).await?;
    let newest = replication::newest_journal_id(&mut conn).await?;
    Ok(Standing {
        standby,
        lag_secs,
        newest,
    })
}

/// Waits (up to `within`) until `reads` shows everything `primary` has written so far:
/// after a change, the screen read from a standby then shows it. Whether it did.
pub async fn caught_up(primary: &Db, reads: &Db, within: Duration) -> Result<bool> {
    let lsn = {
        let mut conn = primary.pool.acquire().await.map_err(db_error)?;
        replication::wal_position(&mut conn).await?
    };
    let deadline = Instant::now() + within;
    let mut conn = reads.pool.acquire().await.map_err(db_error)?;
    loop {
        if replication::replayed(&mut conn, &lsn).await? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
