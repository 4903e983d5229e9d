//! Migrations: idempotent, refused against a newer schema or an edited migration, and
//! the binary says so in one line with exit 2.

mod support;

use carve::error::ErrorKind;
use carve::store::{known_schema_version, migrate};

#[tokio::test]
async fn migrating_a_current_schema_changes_nothing() {
    let db = support::test_db().await;
    let report = migrate(&db.pool).await.unwrap();
    assert_eq!(report.schema_version, known_schema_version());
    assert!(report.applied.is_empty(), "{report:?}");
    let again = migrate(&db.pool).await.unwrap();
    assert_eq!(again, report);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    // One row per migration file (numbers are handed out ahead, so they may have gaps).
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count();
    assert_eq!(rows, i64::try_from(files).unwrap());
}

#[tokio::test]
async fn an_empty_database_is_migrated_from_scratch_by_concurrent_processes() {
    let db = support::test_db().await;
    // Start from nothing: drop what the template put there.
    sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        .execute(&db.pool)
        .await
        .unwrap();
    let home = support::reachable_tempdir();
    let runs = support::run_concurrently(4, || {
        let mut command = support::carve(home.path());
        command.args(["--json", "--database-url", &db.url, "db", "migrate"]);
        command
    });
    let mut applied_by = 0;
    for (code, doc, stderr) in runs {
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(doc["schema_version"], known_schema_version());
        if !doc["applied"].as_array().unwrap().is_empty() {
            applied_by += 1;
        }
    }
    assert_eq!(applied_by, 1, "exactly one process applies the migrations");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN
         ('locations','vlans','subnets','ip_addresses','customers','devices','provisioning_logs')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(tables, 7);
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused_untouched() {
    let db = support::test_db().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', true, '\\x00', 0)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let err = migrate(&db.pool).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Schema);
    assert!(err.message.contains("version 99999"), "{err}");
    assert!(err.message.contains("upgrade carve"), "{err}");

    let home = support::reachable_tempdir();
    let (code, stdout, stderr) = support::run(support::carve(home.path()).args([
        "--database-url",
        &db.url,
        "db",
        "migrate",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: the database schema is at version 99999"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let db = support::test_db().await;
    sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = 1")
        .execute(&db.pool)
        .await
        .unwrap();
    let err = migrate(&db.pool).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Schema);
    assert!(err.message.contains("migration 1 differs"), "{err}");
}

#[tokio::test]
async fn a_read_only_session_never_migrates() {
    let db = support::test_db().await;
    let newest = known_schema_version();
    // As if this database had not seen the newest migration yet.
    let forget = format!("DELETE FROM _sqlx_migrations WHERE version = {newest}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(forget))
        .execute(&db.pool)
        .await
        .unwrap();
    let applied_before: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let home = support::reachable_tempdir();
    let (code, _, stderr) = support::run(support::carve(home.path()).args([
        "--read-only",
        "--database-url",
        &db.url,
        "subnet",
        "list",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("pending migrations: {newest}"))
            && stderr.contains("read-only here, so it does not migrate"),
        "{stderr}"
    );
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(applied, applied_before, "nothing was applied");
}
