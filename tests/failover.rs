//! A failover under a running carve, on a real primary and hot standby (synchronous
//! replication, as pg_auto_failover or Patroni would run them): eight CLI writers keep
//! allocating while the primary is stopped hard and the standby promoted, and an open
//! UI's controller carries a change through it. Nothing reported done is lost or doubled.

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carve::service::allocate::SubnetRequest;
use carve::service::subnets;
use carve::store::migrate;
use carve::tui::ops::{Effect, Msg, Op};
use support::messages::{done, wait_for};
use support::site::net;
use support::standby::{Pair, connect};

const WRITERS: usize = 8;
/// Longer than any allocation may take, failover included: a writer past it hung.
const HUNG: Duration = Duration::from_secs(60);

struct Attempt {
    finished: Instant,
    code: i32,
    cidr: Option<String>,
}

/// Runs `command` to its end, or kills it once it has run for [`HUNG`] (None).
fn run_bounded(mut command: Command) -> Option<(i32, String)> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start carve");
    let started = Instant::now();
    while child.try_wait().expect("wait for carve").is_none() {
        if started.elapsed() > HUNG {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("carve's output");
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_cli_writers_ride_out_a_failover_and_every_block_reported_is_there_once() {
    let pair = Pair::start().await;
    let url = pair.url(
        &[&pair.primary.socket_dir, &pair.standby.socket_dir],
        "target_session_attrs=read-write",
    );
    let home = tempfile::tempdir().unwrap();
    let carve = |args: &[&str]| {
        let mut command = support::carve(home.path());
        command.args(["--json", "--database-url", &url]).args(args);
        command
    };
    assert_eq!(
        support::run(&mut carve(&["subnet", "add", "10.0.0.0/16"])).0,
        0
    );

    let stop = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let hung = Arc::new(Mutex::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (stop, attempts, hung) = (stop.clone(), attempts.clone(), hung.clone());
            let (home, url) = (home.path().to_owned(), url.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let mut command = support::carve(&home);
                    command.args(["--json", "--database-url", &url]).args([
                        "subnet",
                        "allocate",
                        "--len",
                        "29",
                        "--pool",
                        "10.0.0.0/16",
                    ]);
                    let Some((code, stdout)) = run_bounded(command) else {
                        *hung.lock().unwrap() += 1;
                        continue;
                    };
                    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
                    attempts.lock().unwrap().push(Attempt {
                        finished: Instant::now(),
                        code,
                        cidr: doc["cidr"].as_str().map(str::to_owned),
                    });
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(3)).await;
    pair.kill_primary().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    pair.promote().await;
    let promoted = Instant::now();
    // Until every writer could have had a few allocations on the new primary.
    let deadline = promoted + Duration::from_secs(90);
    loop {
        let after = (attempts.lock().unwrap().iter())
            .filter(|a| a.finished > promoted && a.code == 0)
            .count();
        if after >= 3 * WRITERS || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }

    let attempts = std::mem::take(&mut *attempts.lock().unwrap());
    assert_eq!(*hung.lock().unwrap(), 0, "a writer hung");
    let codes: BTreeSet<i32> = attempts.iter().map(|a| a.code).collect();
    assert!(codes.is_subset(&[0, 2].into()), "exit codes {codes:?}");
    let done: Vec<&str> = (attempts.iter())
        .filter(|a| a.code == 0)
        .map(|a| {
            a.cidr
                .as_deref()
                .expect("a done allocation names its block")
        })
        .collect();
    let distinct: BTreeSet<&str> = done.iter().copied().collect();
    assert_eq!(distinct.len(), done.len(), "a block was reported twice");
    let first_after = (attempts.iter())
        .filter(|a| a.finished > promoted && a.code == 0)
        .map(|a| a.finished - promoted)
        .min()
        .expect("allocations succeed on the promoted standby");
    let before = (attempts.iter())
        .filter(|a| a.finished <= promoted && a.code == 0)
        .count();
    let failed = attempts.iter().filter(|a| a.code != 0).count();
    println!(
        "failover: {before} allocations before, {failed} refused while no primary, {} after; \
         promotion to the first successful allocation: {} ms",
        done.len() - before,
        first_after.as_millis()
    );

    let db = connect(&url).await;
    let allocated: Vec<String> =
        sqlx::query_scalar("SELECT cidr::text FROM subnets WHERE allocation_status = 'allocated'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let allocated: BTreeSet<&str> = allocated.iter().map(String::as_str).collect();
    let missing: Vec<&&str> = distinct
        .iter()
        .filter(|c| !allocated.contains(**c))
        .collect();
    assert!(
        missing.is_empty(),
        "reported done, not on the new primary: {missing:?}"
    );
    support::assert_tree_is_sound(&db.pool).await;
}

#[tokio::test]
async fn an_open_ui_follows_the_failover_and_applies_its_change_once() {
    let pair = Pair::start().await;
    let url = pair.url(
        &[&pair.primary.socket_dir, &pair.standby.socket_dir],
        "target_session_attrs=read-write",
    );
    let db = connect(&url).await;
    migrate(&db.pool).await.unwrap();
    let root = net("203.0.113.0/24");
    subnets::add_root(&db, &root, None, None, None, false)
        .await
        .unwrap();

    let (controller, mut rx) = support::messages::open_ui(&db);
    pair.kill_primary().await;
    controller.run(Effect::Run {
        id: 1,
        op: Op::Allocate(SubnetRequest::length(4, 26, Some(root))),
        plan: None,
    });
    wait_for(&mut rx, Duration::from_secs(30), |m| {
        matches!(m, Msg::Connection { up: false })
    })
    .await;
    pair.promote().await;
    let outcome = done(&mut rx, 1, Duration::from_secs(60))
        .await
        .expect("applied on the promoted standby");
    assert!(
        outcome.summary.contains("203.0.113.0/26"),
        "{}",
        outcome.summary
    );

    // The screen's next read comes from the new primary, with the change in it.
    controller.run(Effect::LoadLevel {
        parent: None,
        full: false,
        generation: 7,
    });
    let level = wait_for(&mut rx, Duration::from_secs(30), |m| {
        matches!(m, Msg::Level { .. })
    })
    .await;
    assert!(format!("{level:?}").contains("203.0.113.0/24"), "{level:?}");
    let (recovering, allocated, journaled): (bool, i64, i64) = sqlx::query_as(
        "SELECT pg_is_in_recovery(),
                (SELECT count(*) FROM subnets WHERE allocation_status = 'allocated'),
                (SELECT count(*) FROM provisioning_logs
                  WHERE event = 'ipam_allocate_subnet' AND outcome = 'ok')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (recovering, allocated, journaled),
        (false, 1, 1),
        "applied exactly once"
    );
}
