//! `carve db backup` and `carve db restore`: carve's whole database to one file and
//! back, from and into the embedded cluster or any URL, so a NOC that started with
//! `carve db local` can move to its tenant server.

use std::path::Path;

use super::database;
use super::progress::Progress;
use crate::config::{DatabaseTarget, Settings};
use crate::error::{Error, Result};
use crate::model::{Contents, MigrationReport};
use crate::store;
use crate::store::backup::{self, ClientTarget, DumpTools};
use crate::store::local::DATABASE;

#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupReport {
    pub database: String,
    pub file: String,
    pub schema_version: i64,
    pub bytes: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    pub database: String,
    pub file: String,
    /// The schema version the backup was taken at.
    pub backup_schema_version: i64,
    /// After migrating an older backup up to this carve's schema.
    #[serde(flatten)]
    pub migration: MigrationReport,
    pub restored: Contents,
}

/// Dumps the configured database into `file` (a new file, owner-only).
pub async fn backup(
    settings: &Settings,
    file: &Path,
    progress: &dyn Progress,
) -> Result<BackupReport> {
    let tools = DumpTools::find(settings.bin_dir.as_deref())?;
    // Reaches (and for the embedded default, starts) the database with carve's own
    // connection first, so a wrong target fails as clearly as for any other command.
    let db = database::connect(settings).await?;
    db.pool.close().await;
    progress.stage("backing up", 0);
    let versions = tools
        .dump(&client(settings)?, file, &|line| step(progress, line))
        .await?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport {
        database: db.description,
        file: file.display().to_string(),
        schema_version: versions.into_iter().max().unwrap_or(0),
        bytes,
    })
}

/// Restores `file` into the configured database, which must be empty, then migrates
/// it to this carve's schema. A backup newer than this carve is refused untouched.
pub async fn restore(
    settings: &Settings,
    file: &Path,
    progress: &dyn Progress,
) -> Result<RestoreReport> {
    let tools = DumpTools::find(settings.bin_dir.as_deref())?;
    if !file.is_file() {
        return Err(Error::not_found(format!(
            "no backup file {}: name a file carve db backup wrote",
            file.display()
        )));
    }
    let versions = tools.schema_versions(file).await?;
    let Some(&version) = versions.iter().max() else {
        return Err(Error::validation(format!(
            "{} holds no carve schema (no _sqlx_migrations rows): not a carve backup; nothing was changed",
            file.display()
        )));
    };
    let known = store::known_schema_version();
    if version > known {
        return Err(Error::schema(format!(
            "the backup {} has schema version {version}, newer than this carve knows (up to \
             {known}): restore it with a newer carve; nothing was changed",
            file.display()
        )));
    }
    let db = database::connect(settings).await?;
    let mut conn = db.pool.acquire().await.map_err(store::db_error)?;
    let (count, first) = backup::occupants(&mut conn).await?;
    if count > 0 {
        return Err(Error::conflict(format!(
            "the database {} is not empty ({count} object(s): {}{}): carve restores only into \
             an empty database; create a new one and point --database-url at it; nothing was changed",
            db.description,
            first.join(", "),
            if count > first.len() as i64 {
                ", ..."
            } else {
                ""
            }
        )));
    }
    drop(conn);
    progress.stage("restoring", 0);
    tools
        .restore(&client(settings)?, file, &|line| step(progress, line))
        .await?;
    progress.stage("migrating", 0);
    let migration = store::migrate(&db.pool).await?;
    let mut conn = db.pool.acquire().await.map_err(store::db_error)?;
    let restored = backup::contents(&mut conn).await?;
    Ok(RestoreReport {
        database: db.description.clone(),
        file: file.display().to_string(),
        backup_schema_version: version,
        migration,
        restored,
    })
}

/// A line of pg_dump's or pg_restore's `--verbose` report is one step: the object it
/// is at, without the tool's name in front.
fn step(progress: &dyn Progress, line: &str) {
    progress.advance(1);
    progress.detail(line.split_once(": ").map_or(line, |(_, what)| what));
}

/// How pg_dump and pg_restore reach the configured database.
fn client(settings: &Settings) -> Result<ClientTarget> {
    match &settings.database {
        DatabaseTarget::Url { url, source } => {
            ClientTarget::from_url(url, source, settings.password_command.as_deref())
        }
        DatabaseTarget::Local => Ok(ClientTarget::trusted(
            database::local_cluster(settings)?.url(DATABASE),
        )),
    }
}
