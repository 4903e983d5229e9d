//! Changes made by anyone, as PostgreSQL notifications: migration 0003 notifies
//! `carve_changes` whenever the journal is written, at commit.

use sqlx::postgres::PgListener;

use super::connect::Db;
use super::errors::db_error;
use crate::error::Result;

pub const CHANGES_CHANNEL: &str = "carve_changes";

/// A connection listening for changes.
pub struct ChangeListener(PgListener);

impl ChangeListener {
    pub async fn start(db: &Db) -> Result<ChangeListener> {
        let mut listener = PgListener::connect_with(&db.pool).await.map_err(db_error)?;
        listener.listen(CHANGES_CHANNEL).await.map_err(db_error)?;
        Ok(ChangeListener(listener))
    }

    /// Waits for the next committed change.
    pub async fn next(&mut self) -> Result<()> {
        self.0.recv().await.map_err(db_error)?;
        Ok(())
    }
}
