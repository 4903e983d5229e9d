//! `carve export`: the whole tree and every address record as rows `carve import` reads
//! back, from one consistent snapshot.

use super::progress::Progress;
use crate::error::Result;
use crate::import::export;
use crate::store::import as store;
use crate::store::{Db, db_error};

/// The rows of an export, header first.
pub async fn rows(db: &Db, progress: &dyn Progress) -> Result<Vec<[String; 11]>> {
    progress.stage("reading the tree", 0);
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    store::snapshot(&mut tx).await?;
    let roots = store::roots(&mut tx).await?;
    let tree = store::existing(&mut tx, &roots).await?;
    tx.rollback().await.map_err(db_error)?;
    progress.stage("making rows", 0);
    Ok(export::rows(&tree))
}
