//! The embedded cluster under the data directory, as `carve db local` runs it.

use super::database::{local_cluster, schema};
use crate::config::Settings;
use crate::error::Result;
use crate::model::{ClusterPlace, ClusterState, MigrationReport};
use crate::store::local::{DATABASE, LocalCluster};
use crate::store::{Db, Target};

/// The private cluster the settings name (finding it starts nothing).
pub struct Local(LocalCluster);

impl Local {
    pub fn of(settings: &Settings) -> Result<Local> {
        Ok(Local(local_cluster(settings)?))
    }

    pub fn place(&self) -> ClusterPlace {
        ClusterPlace {
            data_dir: self.0.pgdata.clone(),
            socket_dir: self.0.socket_dir.clone(),
            bin_dir: self.0.binaries.dir.clone(),
            log_file: self.0.log_file.clone(),
        }
    }

    pub async fn state(&self) -> Result<ClusterState> {
        self.0.state().await
    }

    /// Starts the cluster (creating it if needed) and migrates its schema. Returns
    /// whether this call started it.
    pub async fn start(&self, settings: &Settings) -> Result<(bool, MigrationReport)> {
        let started = self.0.ensure_running().await?;
        let db = Db::connect(
            Target::single(self.0.connect_options(DATABASE)),
            settings.connect_timeout,
            settings.lock_timeout,
            1,
        )
        .await?;
        let report = schema(settings, &db).await?;
        db.pool.close().await;
        Ok((started, report))
    }

    /// Stops the cluster (fast shutdown); whether it was running.
    pub async fn stop(&self) -> Result<bool> {
        self.0.stop().await
    }
}
