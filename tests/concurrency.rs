//! Many writers at once, and a connection killed mid-allocation.

mod support;

use std::time::Duration;

use carve::engine::parse_cidr;
use carve::error::ErrorKind;
use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::subnets;

fn request(len: u8, pool: Option<&str>) -> SubnetRequest {
    SubnetRequest::length(4, len, pool.map(|p| parse_cidr(p).unwrap()))
}

/// 32 tasks x 50 allocations of mixed lengths; returns (successes, exhausted).
async fn hammer(t: &support::TestDb, pools: &[&str]) -> (usize, usize) {
    let mut tasks = Vec::new();
    for task in 0..32usize {
        let db = t.db();
        let pools: Vec<String> = pools.iter().map(|p| p.to_string()).collect();
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for i in 0..50usize {
                let pool = &pools[(task + i) % pools.len()];
                let len = [30, 29, 31, 28][(task + i) % 4];
                outcomes.push(allocate_subnet(&db, &request(len, Some(pool))).await);
            }
            outcomes
        }));
    }
    let (mut ok, mut exhausted) = (0, 0);
    let mut cidrs = std::collections::HashSet::new();
    for task in tasks {
        for outcome in task.await.unwrap() {
            match outcome {
                Ok(a) => {
                    ok += 1;
                    assert!(cidrs.insert(a.cidr), "{} handed out twice", a.cidr);
                }
                Err(e) if e.kind == ErrorKind::Exhausted => exhausted += 1,
                Err(e) => panic!("an allocation failed for another reason: {e:?}"),
            }
        }
    }
    (ok, exhausted)
}

async fn allocated_in_db(t: &support::TestDb) -> usize {
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM subnets WHERE allocation_status = 'allocated'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    usize::try_from(n).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_in_one_pool_never_overlap() {
    let t = support::test_db().await;
    let db = t.db();
    // A /22 holds 1024 addresses: the 1,600 requests (about 17 addresses each) exhaust it.
    support::add_root(&db, "10.20.0.0/22", false).await;
    let (ok, exhausted) = hammer(&t, &["10.20.0.0/22"]).await;
    assert_eq!(ok + exhausted, 1600);
    assert!(ok > 50 && exhausted > 0, "ok {ok}, exhausted {exhausted}");
    assert_eq!(allocated_in_db(&t).await, ok);
    t.assert_tree_is_sound().await;
    let ok_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM provisioning_logs WHERE event = 'ipam_allocate_subnet' AND outcome = 'ok'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(ok_events as usize, ok, "one success event per allocation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_across_eight_pools_under_one_root_never_overlap() {
    let t = support::test_db().await;
    let db = t.db();
    support::add_root(&db, "10.30.0.0/19", false).await;
    subnets::split(&db, &parse_cidr("10.30.0.0/19").unwrap(), Some(22), false)
        .await
        .unwrap();
    let pools: Vec<String> = (0..8).map(|i| format!("10.30.{}.0/22", i * 4)).collect();
    let pool_refs: Vec<&str> = pools.iter().map(String::as_str).collect();
    let (ok, exhausted) = hammer(&t, &pool_refs).await;
    assert_eq!(ok + exhausted, 1600);
    assert_eq!(allocated_in_db(&t).await, ok);
    t.assert_tree_is_sound().await;
    // Allocations stayed in the pool they asked for.
    let strays: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets WHERE allocation_status = 'allocated' AND masklen(cidr) < 22",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(strays, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_allocation_leaves_the_tree_as_it_was() {
    let t = support::test_db().await;
    let db = t.db();
    support::add_root(&db, "203.0.113.0/24", false).await;
    let before = t.snapshot().await;
    let journal_before = t.journal().await;

    // Hold the journal table so the allocation blocks after its splits, at its journal write.
    let mut blocker = t.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE provisioning_logs IN EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let allocation = tokio::spawn(async move { allocate_subnet(&db, &request(29, None)).await });

    let victim = loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO provisioning_logs%'",
        )
        .fetch_optional(&t.pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            break pid;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // It has split the /24 and marked a /29 by now, uncommitted.
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(victim)
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert!(terminated);
    blocker.rollback().await.unwrap();

    let err = allocation.await.unwrap().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Connection, "{err:?}");
    assert_eq!(t.snapshot().await, before, "no partial change survives");
    assert_eq!(t.journal().await, journal_before);
    t.assert_tree_is_sound().await;
}
