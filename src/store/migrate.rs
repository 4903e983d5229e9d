//! Schema migrations: embedded at build time, applied under sqlx's advisory lock so
//! concurrent carve processes migrate once. A database whose schema is newer than this
//! binary knows is refused before anything is touched.

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{PgConnection, PgPool};

use crate::error::{Error, Result};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationReport {
    /// The schema version after migrating.
    pub schema_version: i64,
    /// Versions applied by this call (empty when the schema was current).
    pub applied: Vec<i64>,
}

/// The newest schema version this binary carries.
pub fn known_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

pub async fn migrate(pool: &PgPool) -> Result<MigrationReport> {
    migrate_or_check(pool, true).await
}

/// Like [`migrate`] without writing: a schema that needs migrations is an error (for a
/// session that must not change the database, `--read-only`).
pub async fn check_schema(pool: &PgPool) -> Result<MigrationReport> {
    migrate_or_check(pool, false).await
}

async fn migrate_or_check(pool: &PgPool, apply: bool) -> Result<MigrationReport> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| Error::schema(format!("cannot migrate: {e}")))?;
    // sqlx locks inside `run` too; holding our own lock around the whole read-migrate-read
    // makes the report exact when several carve processes start at once.
    lock(&mut conn, "SELECT pg_advisory_lock($1)").await?;
    let result = migrate_locked(&mut conn, apply).await;
    lock(&mut conn, "SELECT pg_advisory_unlock($1)").await?;
    result
}

/// "carve" in ASCII: the key of the advisory lock around migrations.
const MIGRATION_LOCK: i64 = 0x63_6172_7665;

async fn lock(conn: &mut PgConnection, sql: &'static str) -> Result<()> {
    sqlx::query(sql)
        .bind(MIGRATION_LOCK)
        .execute(conn)
        .await
        .map(drop)
        .map_err(|e| Error::schema(format!("cannot take the migration lock: {e}")))
}

async fn migrate_locked(conn: &mut PgConnection, apply: bool) -> Result<MigrationReport> {
    let before = applied_versions(conn).await?;
    let known = known_schema_version();
    if let Some(unknown) = before.iter().find(|v| !MIGRATOR.version_exists(**v)) {
        let newest = before.iter().max().copied().unwrap_or(*unknown);
        return Err(Error::schema(format!(
            "the database schema is at version {newest}, newer than this carve knows \
             (up to {known}): upgrade carve; nothing was changed"
        )));
    }
    // Up to date with every checksum equal: nothing to write, so a read-only role can
    // start carve too (sqlx's migrator would try to create its table first).
    if before.len() == MIGRATOR.iter().count() && unchanged(conn).await? {
        return Ok(MigrationReport {
            schema_version: known,
            applied: Vec::new(),
        });
    }
    if !apply {
        let pending: Vec<String> = MIGRATOR
            .iter()
            .filter(|m| !before.contains(&m.version))
            .map(|m| m.version.to_string())
            .collect();
        let pending = if pending.is_empty() {
            "an applied migration differs from this carve's".to_owned()
        } else {
            format!("pending migrations: {}", pending.join(", "))
        };
        return Err(Error::schema(format!(
            "the database schema is not the one this carve needs ({pending}); carve is \
             read-only here, so it does not migrate: run carve db migrate with write access"
        )));
    }
    MIGRATOR.run(&mut *conn).await.map_err(migrate_error)?;
    let after = applied_versions(conn).await?;
    Ok(MigrationReport {
        schema_version: after.iter().max().copied().unwrap_or(0),
        applied: after.into_iter().filter(|v| !before.contains(v)).collect(),
    })
}

/// Whether every migration this binary carries is applied with the same checksum (an
/// edited migration is left for the migrator to refuse).
async fn unchanged(conn: &mut PgConnection) -> Result<bool> {
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| Error::schema(format!("cannot read the schema version: {e}")))?;
    Ok(MIGRATOR.iter().all(|m| {
        applied
            .iter()
            .any(|(v, sum)| *v == m.version && sum.as_slice() == m.checksum.as_ref())
    }))
}

/// Versions recorded as applied; empty for a database carve has never touched.
async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| Error::schema(format!("cannot read the schema version: {e}")))?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| Error::schema(format!("cannot read the schema version: {e}")))
}

fn migrate_error(error: MigrateError) -> Error {
    match error {
        MigrateError::VersionMismatch(v) => Error::schema(format!(
            "migration {v} differs from the one applied to this database: \
             a landed migration was edited; restore it and add a new migration instead"
        )),
        MigrateError::Dirty(v) => Error::schema(format!(
            "migration {v} failed part-way on an earlier run; fix the database by hand \
             before carve can migrate it"
        )),
        MigrateError::Execute(e) => Error::schema(format!("migration failed: {e}")),
        other => Error::schema(format!("migration failed: {other}")),
    }
}
