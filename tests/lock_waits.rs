//! Every lock carve waits for has a bounded wait: a session that holds one for good
//! (a role without write rights squatting on the migration key, a table lock left open)
//! makes carve give up within `database.lock_timeout_secs`, naming what it waited for.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::lock_wait::{hold_locations, home_waiting, release};

/// The key carve takes around migrations: "carve" in ASCII.
const MIGRATION_KEY: i64 = i64::from_be_bytes([0, 0, 0, b'c', b'a', b'r', b'v', b'e']);

/// Runs carve and returns (exit code, stderr), or None if it was still waiting after
/// `limit` (then it is killed): a hang fails the test instead of stalling the run.
fn run_within(command: &mut Command, limit: Duration) -> Option<(i32, String)> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start carve");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for carve") {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .ok();
            return Some((status.code().unwrap_or(-1), stderr));
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A login role with no rights on carve's tables, connected as `application`.
async fn squatter(t: &support::TestDb, application: &str) -> (String, sqlx::PgPool) {
    let role = format!("squat_{}", t.name);
    t.exec(&format!("CREATE ROLE {role} LOGIN PASSWORD 'squat'"))
        .await;
    let options = t
        .options
        .clone()
        .username(&role)
        .password("squat")
        .database(&t.name)
        .application_name(application);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    (role, pool)
}

#[tokio::test]
async fn a_role_without_write_rights_holding_the_migration_key_cannot_freeze_carve() {
    let t = support::test_db().await;
    let home = home_waiting(2);
    let (role, pool) = squatter(&t, "squatter").await;
    let mut held = pool.acquire().await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *held)
        .await
        .unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_KEY)
        .execute(&mut *held)
        .await
        .unwrap();
    let carve = |args: &[&str]| {
        let mut command = support::carve(home.path());
        command.args(["--database-url", &t.url]).args(args);
        run_within(&mut command, Duration::from_secs(60))
    };

    // The schema is current: nothing to migrate, so the key is not needed at all.
    let (code, stderr) = carve(&["location", "add", "FRA1"]).expect("carve did not hang");
    assert_eq!(code, 0, "{stderr}");

    // With a migration pending, carve waits for the key, gives up and names its holder.
    t.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        .await;
    let (code, stderr) = carve(&["db", "migrate"]).expect("carve gave up in bounded time");
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    for expected in [
        "waiting for the migration lock".to_owned(),
        format!("pid {pid}"),
        format!("role {role}"),
        "application \"squatter\"".to_owned(),
        "nothing was changed".to_owned(),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} in {stderr}");
    }
    let migrated: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert!(!migrated, "carve migrated without its lock");

    // Once the key is let go, carve migrates.
    drop(held);
    pool.close().await;
    let (code, stderr) = carve(&["db", "migrate"]).expect("carve did not hang");
    assert_eq!(code, 0, "{stderr}");
    t.exec(&format!("DROP ROLE squat_{}", t.name)).await;
}

#[tokio::test]
async fn a_table_lock_left_open_makes_a_change_give_up_saying_so() {
    let t = support::test_db().await;
    let home = home_waiting(2);
    let holder = hold_locations(&t).await;
    let mut command = support::carve(home.path());
    command.args(["--database-url", &t.url, "location", "add", "FRA1"]);
    let (code, stderr) =
        run_within(&mut command, Duration::from_secs(60)).expect("carve gave up in bounded time");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("gave up waiting for a lock that another session holds"),
        "{stderr}"
    );
    assert!(stderr.contains("database.lock_timeout_secs"), "{stderr}");
    release(holder).await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM locations")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was changed");
}

#[test]
fn a_lock_timeout_of_zero_is_refused() {
    let home = home_waiting(0);
    let (code, _, stderr) = support::run(support::carve(home.path()).args(["location", "list"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("database.lock_timeout_secs must be at least 1"),
        "{stderr}"
    );
}

#[tokio::test]
async fn carve_serialises_on_rows_a_read_only_role_cannot_lock() {
    let t = support::test_db().await;
    let home = home_waiting(2);
    let carve = |args: &[&str]| {
        let mut command = support::carve(home.path());
        command.args(["--database-url", &t.url]).args(args);
        run_within(&mut command, Duration::from_secs(60)).expect("carve did not hang")
    };
    let (code, stderr) = carve(&["db", "roles", "--apply"]);
    assert_eq!(code, 0, "{stderr}");
    let (role, pool) = squatter(&t, "squatter").await;
    t.exec(&format!("GRANT carve_readonly TO {role}")).await;
    let mut held = pool.acquire().await.unwrap();
    // The advisory key closing January used to wait for: anyone can take it.
    sqlx::query(
        "SELECT pg_advisory_lock(hashtextextended('carve billing cycle',
                                                   to_char(date '2026-01-01', 'J')::bigint))",
    )
    .execute(&mut *held)
    .await
    .unwrap();
    // carve's own locks are rows the role may read but not lock.
    for attempt in [
        "INSERT INTO carve_locks (name) VALUES ('billing cycle 2026-01-01')",
        "SELECT name FROM carve_locks FOR UPDATE",
        "BEGIN; LOCK TABLE carve_locks IN SHARE ROW EXCLUSIVE MODE",
    ] {
        let refused = sqlx::raw_sql(attempt)
            .execute(&mut *held)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("permission denied"),
            "{attempt}: {refused}"
        );
        sqlx::raw_sql("ROLLBACK").execute(&mut *held).await.ok();
    }
    let (code, stderr) = carve(&["billing", "close", "--cycle", "2026-01"]);
    assert_eq!(
        code, 0,
        "the read-only role held nothing carve waits for: {stderr}"
    );
    drop(held);
    pool.close().await;
    t.exec(&format!("DROP ROLE {role}")).await;
}
