//! Reaching the database the settings name: the tenant's PostgreSQL, or the embedded
//! cluster, started on demand. Every command that needs data goes through `open`.

use crate::config::{DatabaseTarget, Settings};
use crate::error::Result;
use crate::store::local::{DATABASE, LocalCluster};
use crate::store::{self, Db, MigrationReport};

/// The private cluster under the configured data directory (nothing is started).
pub fn local_cluster(settings: &Settings) -> Result<LocalCluster> {
    LocalCluster::new(&settings.data_dir, settings.bin_dir.as_deref())
}

/// Connects to the configured database, starting the embedded cluster if that is the
/// target and it is not running. Does not migrate.
pub async fn connect(settings: &Settings) -> Result<Db> {
    let options = match &settings.database {
        DatabaseTarget::Url { url, source } => {
            store::connect_options_from_url(url, source, settings.password_command.as_deref())?
        }
        DatabaseTarget::Local => {
            let cluster = local_cluster(settings)?;
            cluster.ensure_running().await?;
            cluster.connect_options(DATABASE)
        }
    };
    Db::connect(options, settings.connect_timeout, settings.max_connections).await
}

/// Connects and brings the schema up to date: what every data command starts with.
pub async fn open(settings: &Settings) -> Result<(Db, MigrationReport)> {
    let db = connect(settings).await?;
    let report = store::migrate(&db.pool).await?;
    Ok((db, report))
}

/// Starts the embedded cluster (creating it if needed) and migrates its schema.
/// Returns whether this call started it.
pub async fn start_local(
    settings: &Settings,
    cluster: &LocalCluster,
) -> Result<(bool, MigrationReport)> {
    let started = cluster.ensure_running().await?;
    let db = Db::connect(
        cluster.connect_options(DATABASE),
        settings.connect_timeout,
        1,
    )
    .await?;
    let report = store::migrate(&db.pool).await?;
    db.pool.close().await;
    Ok((started, report))
}
