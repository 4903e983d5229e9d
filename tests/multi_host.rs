//! A libpq multi-host URL on a real primary and hot standby: carve tries the hosts in
//! order and keeps only the kind of session `target_session_attrs` (or
//! `PGTARGETSESSIONATTRS`) asks for; a handle whose primary died finds the promoted
//! standby. Errors say what each host said, never a password.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::subnets;
use carve::store::{Db, migrate};
use support::site::net;
use support::standby::{Pair, try_connect};

async fn in_recovery(db: &Db) -> bool {
    sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Waits until the standby has replayed everything the primary wrote so far.
async fn caught_up(pair: &Pair) {
    let primary = try_connect(&pair.url(&[&pair.primary.socket_dir], ""))
        .await
        .unwrap();
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&primary.pool)
        .await
        .unwrap();
    let standby = try_connect(&pair.url(&[&pair.standby.socket_dir], ""))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let replayed: bool = sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn")
            .bind(&lsn)
            .fetch_one(&standby.pool)
            .await
            .unwrap();
        if replayed {
            return;
        }
        assert!(Instant::now() < deadline, "the standby did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The data directory of the server that serves `db` now.
async fn served_by(db: &Db) -> PathBuf {
    let dir: String = sqlx::query_scalar("SELECT current_setting('data_directory')")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    PathBuf::from(dir)
}

#[tokio::test]
async fn the_hosts_are_tried_in_order_for_the_kind_of_session_asked_for() {
    let pair = Pair::start().await;
    let (primary, standby) = (&pair.primary.socket_dir, &pair.standby.socket_dir);
    let nothing = pair.dir.path().join("nothing-listens");
    std::fs::create_dir(&nothing).unwrap();

    // The first host is down: the next one is used.
    let db = try_connect(&pair.url(&[&nothing, primary], ""))
        .await
        .unwrap();
    assert_eq!(served_by(&db).await, pair.primary.pgdata);
    // Described as the tenant, every host: true whichever serves it after a failover.
    assert!(
        db.description.contains(&nothing.display().to_string())
            && db.description.contains(&primary.display().to_string()),
        "{}",
        db.description
    );
    migrate(&db.pool).await.unwrap();

    // libpq's form with the socket in the query and no host in the URL.
    let url = format!("postgres://carve@/carve?host={}", primary.display());
    assert_eq!(
        served_by(&try_connect(&url).await.unwrap()).await,
        pair.primary.pgdata
    );

    // The first host is a standby: any session takes it, read-write skips it.
    let db = try_connect(&pair.url(&[standby, primary], ""))
        .await
        .unwrap();
    assert!(in_recovery(&db).await);
    let db = try_connect(&pair.url(&[standby, primary], "target_session_attrs=read-write"))
        .await
        .unwrap();
    assert_eq!(served_by(&db).await, pair.primary.pgdata);
    assert!(!in_recovery(&db).await);
    for (kind, wanted) in [
        ("primary", false),
        ("standby", true),
        ("read-only", true),
        ("prefer-standby", true),
    ] {
        let url = pair.url(&[primary, standby], &format!("target_session_attrs={kind}"));
        let db = try_connect(&url).await.unwrap();
        assert_eq!(in_recovery(&db).await, wanted, "{kind}");
    }
    // With no standby to prefer, a preference takes the primary.
    let url = pair.url(&[&nothing, primary], "target_session_attrs=prefer-standby");
    assert!(!in_recovery(&try_connect(&url).await.unwrap()).await);

    // Nothing fits: one line saying what each host said.
    let err = try_connect(&pair.url(&[&nothing, standby], "target_session_attrs=read-write"))
        .await
        .unwrap_err();
    assert_eq!(err.kind.exit_code(), 2);
    assert!(err.message.contains("read-write session wanted"), "{err}");
    assert!(err.message.contains("no server socket there"), "{err}");
    assert!(
        err.message
            .contains("a standby (in recovery), not read-write"),
        "{err}"
    );
    assert!(
        err.message.contains(&standby.display().to_string()),
        "{err}"
    );

    let err = try_connect(&pair.url(&[primary], "target_session_attrs=master"))
        .await
        .unwrap_err();
    assert_eq!(err.kind.exit_code(), 2);
    assert!(err.message.contains("\"master\" is not one of"), "{err}");
}

#[tokio::test]
async fn the_carve_binary_writes_through_a_multi_host_url_and_reads_from_the_standby() {
    let pair = Pair::start().await;
    let (primary, standby) = (&pair.primary.socket_dir, &pair.standby.socket_dir);
    let home = tempfile::tempdir().unwrap();
    let write = pair.url(&[standby, primary], "target_session_attrs=read-write");
    let (code, out, err) = support::run(
        support::carve(home.path())
            .args(["--json", "--database-url", &write])
            .args(["location", "add", "FRA1"]),
    );
    assert_eq!(code, 0, "{out}{err}");
    caught_up(&pair).await;

    // The same URL with the kind from the environment: the standby serves the read.
    let read = pair.url(&[primary, standby], "");
    let (code, out, err) = support::run(
        support::carve(home.path())
            .env("PGTARGETSESSIONATTRS", "standby")
            .args(["--json", "--read-only", "--database-url", &read])
            .args(["location", "list"]),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("FRA1"), "{out}");

    // Asked to write where only a standby is listed: refused before anything.
    let only_standby = pair.url(&[standby], "target_session_attrs=read-write");
    let (code, out, err) = support::run(
        support::carve(home.path())
            .args(["--database-url", &only_standby])
            .args(["location", "add", "AMS1"]),
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("a standby (in recovery), not read-write"),
        "{err}"
    );
}

#[tokio::test]
async fn a_handle_whose_primary_died_writes_to_the_promoted_standby() {
    let pair = Pair::start().await;
    let url = pair.url(
        &[&pair.primary.socket_dir, &pair.standby.socket_dir],
        "target_session_attrs=read-write",
    );
    let db = try_connect(&url).await.unwrap();
    migrate(&db.pool).await.unwrap();
    let root = net("203.0.113.0/24");
    subnets::add_root(&db, &root, None, None, None, false)
        .await
        .unwrap();
    caught_up(&pair).await;

    pair.fail_over().await;
    let promoted = Instant::now();
    let deadline = promoted + Duration::from_secs(60);
    while !db.answers().await {
        assert!(
            Instant::now() < deadline,
            "no server answered after the promotion"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let request = SubnetRequest::length(4, 26, Some(root));
    let done = allocate_subnet(&db, &request).await.unwrap();
    println!(
        "promotion to the first successful allocation: {} ms",
        promoted.elapsed().as_millis()
    );
    assert!(!in_recovery(&db).await);
    let held: i64 = sqlx::query_scalar("SELECT count(*) FROM subnets WHERE cidr = $1")
        .bind(done.cidr)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(held, 1);
}
