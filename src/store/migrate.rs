//! Schema migrations: embedded at build time, applied under an advisory lock so
//! concurrent carve processes migrate once. A database whose schema is newer than this
//! binary knows is refused before anything is touched.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{PgConnection, PgPool};

use crate::error::{Error, Result};
use crate::model::MigrationReport;

/// sqlx's own lock is off: ours is held around the whole run, and sqlx's waits without
/// a deadline on a key any role can take.
static MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_locking(false);
    migrator
});

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
    // Advisory keys can be taken by any role, a read-only one too: a current schema is
    // confirmed without the lock (reads see only committed migrations), so holding the
    // key blocks nobody unless there is something to migrate.
    if let Some(report) = current(&mut conn).await? {
        return Ok(report);
    }
    if !apply {
        return migrate_locked(&mut conn, false).await;
    }
    // Holding the lock around the whole read-migrate-read makes the report exact when
    // several carve processes start at once.
    take_migration_lock(&mut conn).await?;
    let result = migrate_locked(&mut conn, apply).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(|e| Error::schema(format!("cannot release the migration lock: {e}")))?;
    result
}

/// "carve" in ASCII: the key of the advisory lock around migrations.
const MIGRATION_LOCK: i64 = 0x63_6172_7665;

/// How long to wait for the migration lock when the session sets no lock_timeout.
const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

/// Takes the migration lock, waiting at most the session's lock_timeout; on giving up,
/// says who holds it (pid, role, application) so the operator can tell whom to ask.
async fn take_migration_lock(conn: &mut PgConnection) -> Result<()> {
    let lock_error = |e: sqlx::Error| Error::schema(format!("cannot take the migration lock: {e}"));
    let timeout_ms: i64 =
        sqlx::query_scalar("SELECT setting::bigint FROM pg_settings WHERE name = 'lock_timeout'")
            .fetch_one(&mut *conn)
            .await
            .map_err(lock_error)?;
    let wait = match timeout_ms {
        0 => DEFAULT_LOCK_WAIT,
        ms => Duration::from_millis(ms.unsigned_abs()),
    };
    let deadline = Instant::now() + wait;
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .fetch_one(&mut *conn)
            .await
            .map_err(lock_error)?;
        if taken {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let holders = migration_lock_holders(conn).await.map_err(lock_error)?;
            return Err(Error::schema(format!(
                "gave up after {} s waiting for the migration lock (advisory lock {MIGRATION_LOCK}), \
                     held by {holders}; nothing was changed: ask them to end that session, or \
                     raise database.lock_timeout_secs",
                wait.as_secs_f64()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The sessions holding the migration key, as `pid 123 (role alice, application psql)`.
async fn migration_lock_holders(conn: &mut PgConnection) -> sqlx::Result<String> {
    // A bigint key is kept as its high and low 32 bits, with objsubid 1.
    let holders: Vec<(i32, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT a.pid, a.usename::text, a.application_name
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint = ($1 >> 32) AND l.objid::bigint = ($1 & 4294967295)
         ORDER BY a.pid",
    )
    .bind(MIGRATION_LOCK)
    .fetch_all(conn)
    .await?;
    if holders.is_empty() {
        return Ok("a session that has since let it go".to_owned());
    }
    Ok(holders
        .into_iter()
        .map(|(pid, role, application)| {
            format!(
                "pid {pid} (role {}, application {:?})",
                role.unwrap_or_else(|| "unknown".to_owned()),
                application.unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", "))
}

/// The report for a schema that is already current, with nothing to write.
async fn current(conn: &mut PgConnection) -> Result<Option<MigrationReport>> {
    let before = applied_versions(conn).await?;
    if before.len() == MIGRATOR.iter().count() && unchanged(conn).await? {
        return Ok(Some(MigrationReport {
            schema_version: known_schema_version(),
            applied: Vec::new(),
        }));
    }
    Ok(None)
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
    if let Some(report) = current(conn).await? {
        return Ok(report);
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
