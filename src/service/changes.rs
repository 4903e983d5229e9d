//! Changes made by anyone, heard as they commit: what keeps an open UI current.

use crate::error::{ErrorKind, Result};
use crate::store::Db;
use crate::store::changes::ChangeListener;

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
