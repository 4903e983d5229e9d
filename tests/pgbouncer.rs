//! carve behind a real pgbouncer (Debian's 1.18). Session pooling works: the CLI suite's
//! allocation and provisioning cases pass through it, concurrent writers serialise, an
//! open UI hears changes (LISTEN), and a lock held elsewhere still makes carve give up
//! after `lock_timeout`. Transaction and statement pooling would mix carve's named
//! prepared statements and session settings between clients: they are refused at start
//! with one line saying what to change.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use carve::os::Secret;
use carve::service::changes::Changes;
use carve::store::{Db, target_from_url};

use support::cli::Cli;
use support::lock_wait::{hold_locations, home_waiting, release};
use support::pgbouncer::Bouncer;

#[tokio::test]
async fn session_pooling_carries_the_allocation_case() {
    let t = support::test_db().await;
    let bouncer = Bouncer::start(&t, "session");
    let (home, url) = (support::reachable_tempdir(), bouncer.url(&t));
    support::cli_cases::allocation(&Cli::of(home.path(), &url));
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn session_pooling_carries_the_provisioning_case() {
    let t = support::test_db().await;
    let bouncer = Bouncer::start(&t, "session");
    let (home, url) = (support::reachable_tempdir(), bouncer.url(&t));
    support::cli_cases::provisioning(&Cli::of(home.path(), &url));
}

#[tokio::test]
async fn concurrent_writers_through_session_pooling_get_distinct_blocks() {
    let t = support::test_db().await;
    let bouncer = Bouncer::start(&t, "session");
    let (home, url) = (support::reachable_tempdir(), bouncer.url(&t));
    Cli::of(home.path(), &url).ok(&["subnet", "add", "198.51.100.0/24"]);
    let results = support::run_concurrently(8, || {
        let mut command = support::carve(home.path());
        command.args([
            "--json",
            "--database-url",
            &url,
            "subnet",
            "allocate",
            "--len",
            "28",
        ]);
        command
    });
    let mut blocks = HashSet::new();
    for (code, doc, stderr) in &results {
        assert_eq!(*code, 0, "{stderr}");
        blocks.insert(doc["cidr"].as_str().unwrap().to_owned());
    }
    assert_eq!(blocks.len(), 8, "{blocks:?}");
    let allocated = t.leaves().await;
    let allocated = allocated.iter().filter(|l| l.ends_with(":allocated"));
    assert_eq!(allocated.count(), 8);
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn an_open_ui_hears_a_change_made_through_session_pooling() {
    let t = support::test_db().await;
    let bouncer = Bouncer::start(&t, "session");
    let (home, url) = (support::reachable_tempdir(), bouncer.url(&t));
    let target = target_from_url(&Secret::new(&url), "test", None).unwrap();
    let db = Db::connect(target, Duration::from_secs(5), Duration::from_secs(5), 2)
        .await
        .unwrap();
    let mut changes = Changes::start(&db).await.unwrap();
    Cli::of(home.path(), &url).ok(&["location", "add", "FRA1"]);
    tokio::time::timeout(Duration::from_secs(30), changes.next())
        .await
        .expect("the change was heard")
        .unwrap();
}

#[tokio::test]
async fn a_lock_held_elsewhere_still_bounds_the_wait_behind_session_pooling() {
    let t = support::test_db().await;
    let bouncer = Bouncer::start(&t, "session");
    let home = home_waiting(1);
    let holder = hold_locations(&t).await;
    let mut command = support::carve(home.path());
    command.args([
        "--database-url",
        &bouncer.url(&t),
        "location",
        "add",
        "FRA1",
    ]);
    let (code, _, stderr) = support::run(&mut command);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("gave up waiting for a lock that another session holds"),
        "{stderr}"
    );
    release(holder).await;
}

#[tokio::test]
async fn transaction_and_statement_pooling_are_refused_at_start_saying_what_to_change() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    for mode in ["transaction", "statement"] {
        let bouncer = Bouncer::start(&t, mode);
        let url = bouncer.url(&t);
        let before = t.snapshot().await;
        for args in [
            &["subnet", "add", "198.51.100.0/24"][..],
            &["subnet", "list"],
        ] {
            let mut command = support::carve(home.path());
            command.args(["--database-url", &url]).args(args);
            let (code, stdout, stderr) = support::run(&mut command);
            assert_eq!(code, 2, "{mode} {args:?}: {stdout}{stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
            for expected in [
                "transaction or statement pooling",
                "pool_mode = session",
                "connect to PostgreSQL directly",
            ] {
                assert!(stderr.contains(expected), "{expected:?} in {stderr}");
            }
        }
        let (code, doc, stderr) =
            Cli::of(home.path(), &url).json(&["subnet", "add", "198.51.100.0/24"], None);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(doc["error"]["kind"], "connection", "{doc}");
        assert_eq!(t.snapshot().await, before, "{mode}: nothing was changed");
    }
}
