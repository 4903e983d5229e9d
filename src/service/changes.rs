//! Changes made by anyone, heard as they commit: what keeps an open UI current.

use crate::error::Result;
use crate::store::Db;
use crate::store::changes::ChangeListener;

/// A session that hears every committed change to carve's data.
pub struct Changes(ChangeListener);

impl Changes {
    pub async fn start(db: &Db) -> Result<Changes> {
        Ok(Changes(ChangeListener::start(db).await?))
    }

    /// Waits for the next committed change, by anyone.
    pub async fn next(&mut self) -> Result<()> {
        self.0.next().await
    }
}
