//! Reaching the database the settings name: the tenant's PostgreSQL, or the embedded
//! cluster, started on demand. Every command that needs data goes through `open`.

use crate::config::{DatabaseTarget, Settings};
use crate::error::{Error, ErrorKind, Result};
use crate::model::MigrationReport;
use crate::store::local::{DATABASE, LocalCluster};
use crate::store::{self, Db, Target};

/// The private cluster under the configured data directory (nothing is started).
pub(super) fn local_cluster(settings: &Settings) -> Result<LocalCluster> {
    LocalCluster::new(&settings.data_dir, settings.bin_dir.as_deref())
}

/// Connects to the configured database, starting the embedded cluster if that is the
/// target and it is not running. Does not migrate.
pub async fn connect(settings: &Settings) -> Result<Db> {
    let target = match &settings.database {
        DatabaseTarget::Url { url, source } => {
            store::target_from_url(url, source, settings.password_command.as_deref())?
        }
        DatabaseTarget::Local => {
            let cluster = local_cluster(settings)?;
            cluster.ensure_running().await?;
            Target::single(cluster.connect_options(DATABASE))
        }
    };
    let mut db = Db::connect(
        target,
        settings.connect_timeout,
        settings.lock_timeout,
        settings.max_connections,
    )
    .await?;
    db.release_cooldown = settings.release_cooldown;
    Ok(db)
}

/// Connects and brings the schema up to date: what every data command starts with. A
/// read-only session (`--read-only`, the config or the profile) writes nothing, schema
/// included: a schema behind this carve is then an error.
pub async fn open(settings: &Settings) -> Result<(Db, MigrationReport)> {
    let db = connect(settings).await?;
    let report = schema(settings, &db).await?;
    if !settings.read_only {
        // Space whose release cooldown ended is freed whenever carve starts to work.
        super::cooldown::expire(&db).await;
    }
    Ok((db, report))
}

/// Migrates the schema, or (read-only session) only checks it is current.
pub(super) async fn schema(settings: &Settings, db: &Db) -> Result<MigrationReport> {
    if settings.read_only {
        store::check_schema(&db.pool).await
    } else {
        store::migrate(&db.pool).await
    }
}

/// Why this session may not change data, if it may not: `--read-only` /
/// `database.read_only`, or a database role without write privileges.
pub async fn read_only_reason(settings: &Settings, db: &Db) -> Result<Option<String>> {
    if settings.read_only {
        return Ok(Some(
            "carve is read-only here (--read-only, database.read_only or the profile's read_only)"
                .to_owned(),
        ));
    }
    let mut conn = db.pool.acquire().await.map_err(store::db_error)?;
    if store::roles::can_write(&mut conn).await? {
        return Ok(None);
    }
    let role = store::roles::current_role(&mut conn).await?;
    Ok(Some(format!(
        "role {role} may not change carve's data (the database refuses it too)"
    )))
}

/// Refuses a command that changes data when the session is read-only; else says which
/// database it will change (user@host/database, no password).
pub async fn ensure_writable(settings: &Settings) -> Result<String> {
    // Connect only: migrating is the command's own business (`db migrate` reports it).
    let db = connect(settings).await?;
    let reason = read_only_reason(settings, &db).await;
    db.pool.close().await;
    match reason? {
        None => Ok(db.description),
        Some(why) => Err(Error::new(
            ErrorKind::ReadOnly,
            format!("{why}: this command changes data; nothing was done"),
        )),
    }
}

/// The SQL that creates the read-only and operator roles and grants them their rights.
pub fn roles_sql() -> String {
    store::roles::roles_sql()
}

/// Creates and grants the read-only and operator roles in this database.
pub async fn apply_roles(db: &Db) -> Result<()> {
    let mut conn = db.pool.acquire().await.map_err(store::db_error)?;
    store::roles::apply_roles(&mut conn).await
}

/// Whether the command `command_id` committed its change: after a lost connection, this
/// tells a retry from a repeat.
pub async fn command_committed(db: &Db, command_id: &str) -> Result<bool> {
    let mut conn = db.pool.acquire().await.map_err(store::db_error)?;
    store::journal::command_committed(&mut conn, command_id).await
}
