//! Release cooldown against real PostgreSQL: released space stays parked until its time
//! is up, is freed by the next allocation after that (once, however many allocate at
//! once), and `--force` takes a block early; through the binary, the config sets it and
//! `subnet show` says how long is left.

mod support;

use std::time::Duration;

use carve::config::ReleaseCooldown;
use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::subnets;
use carve::store::Db;
use support::site::{count, net};

const HOUR: Option<Duration> = Some(Duration::from_secs(3600));

fn cooling(t: &support::TestDb, ips: Option<Duration>, subnets: Option<Duration>) -> Db {
    let mut db = t.db();
    db.release_cooldown = ReleaseCooldown { ips, subnets };
    db
}

/// As if the cooldowns had run out.
async fn time_passes(t: &support::TestDb) {
    t.exec(
        "UPDATE subnets SET cooldown_until = now() - interval '1 second' WHERE cooldown_until IS NOT NULL;
         UPDATE ip_addresses SET cooldown_until = now() - interval '1 second' WHERE cooldown_until IS NOT NULL;",
    )
    .await;
}

async fn take(db: &Db, len: u8) -> carve::error::Result<String> {
    let request = SubnetRequest::length(4, len, Some(net("203.0.113.0/24")));
    allocate_subnet(db, &request)
        .await
        .map(|a| a.cidr.to_string())
}

#[tokio::test]
async fn a_released_block_waits_out_its_cooldown() {
    let t = support::test_db().await;
    let db = cooling(&t, None, HOUR);
    subnets::add_root(&db, &net("203.0.113.0/24"), None, None, None, false)
        .await
        .unwrap();
    assert_eq!(take(&db, 26).await.unwrap(), "203.0.113.0/26");
    subnets::release(&db, &net("203.0.113.0/26"), false)
        .await
        .unwrap();
    let shown = carve::service::lookup::show(&db, &net("203.0.113.0/26"), false)
        .await
        .unwrap();
    assert!(shown.subnet.parked && shown.subnet.cooldown_left.is_some_and(|s| s > 3500));
    // Not handed out again while cooling, by length or by CIDR.
    assert_eq!(take(&db, 26).await.unwrap(), "203.0.113.64/26");
    let exact = SubnetRequest::cidr(net("203.0.113.0/26"));
    let e = allocate_subnet(&db, &exact).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(
        e.message.contains("release cooldown until") && e.message.contains("--force"),
        "{}",
        e.message
    );

    // Its time up, the next allocation frees it first and takes it (lowest address).
    time_passes(&t).await;
    assert_eq!(take(&db, 26).await.unwrap(), "203.0.113.0/26");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM provisioning_logs WHERE event = 'cooldown_end'"
        )
        .await,
        1
    );
    let release = count(
        &t,
        "SELECT count(*) FROM provisioning_logs WHERE event = 'release' AND detail->>'cooldown_until' IS NOT NULL",
    )
    .await;
    assert_eq!(release, 1, "the release event says until when");
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn force_takes_a_cooling_block_early() {
    let t = support::test_db().await;
    let db = cooling(&t, None, HOUR);
    subnets::add_root(&db, &net("203.0.113.0/24"), None, None, None, false)
        .await
        .unwrap();
    take(&db, 26).await.unwrap();
    subnets::release(&db, &net("203.0.113.0/26"), false)
        .await
        .unwrap();
    let mut forced = SubnetRequest::cidr(net("203.0.113.0/28"));
    forced.force = true;
    forced.dry_run = true;
    let plan = allocate_subnet(&db, &forced).await.unwrap();
    assert_eq!(plan.events[0].event, "cooldown_forced", "the plan shows it");
    forced.dry_run = false;
    let a = allocate_subnet(&db, &forced).await.unwrap();
    assert_eq!(a.cidr, net("203.0.113.0/28"));
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM provisioning_logs WHERE event = 'cooldown_forced'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM subnets WHERE cooldown_until IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_released_address_is_not_handed_out_until_its_cooldown_ends() {
    let t = support::test_db().await;
    let db = cooling(&t, HOUR, None);
    subnets::add_root(&db, &net("198.51.100.0/29"), None, None, None, true)
        .await
        .unwrap();
    let pool = Source::Subnet(net("198.51.100.0/29"));
    let holder = Holder {
        customer: None,
        ..Holder::default()
    };
    let first = addresses::allocate(&db, &pool, &holder)
        .await
        .unwrap()
        .ip
        .address;
    let released = addresses::release(&db, first).await.unwrap();
    assert!(released.ip.parked && released.ip.cooldown_left.is_some());
    let second = addresses::allocate(&db, &pool, &holder)
        .await
        .unwrap()
        .ip
        .address;
    assert_ne!(second, first);
    time_passes(&t).await;
    let third = addresses::allocate(&db, &pool, &holder)
        .await
        .unwrap()
        .ip
        .address;
    assert_eq!(third, first, "free again once the cooldown ended");
    // Unparking ends a cooldown early, for an address and for a block.
    addresses::release(&db, third).await.unwrap();
    addresses::park(&db, third, false, None).await.unwrap();
    assert_eq!(
        addresses::allocate(&db, &pool, &holder)
            .await
            .unwrap()
            .ip
            .address,
        third
    );
    let blocks = cooling(&t, None, HOUR);
    subnets::add_root(&blocks, &net("203.0.113.0/24"), None, None, None, false)
        .await
        .unwrap();
    take(&blocks, 26).await.unwrap();
    subnets::release(&blocks, &net("203.0.113.0/26"), false)
        .await
        .unwrap();
    subnets::park(&blocks, &net("203.0.113.0/26"), false, None)
        .await
        .unwrap();
    assert_eq!(take(&blocks, 26).await.unwrap(), "203.0.113.0/26");
    // Without a cooldown a released address is free at once.
    let plain = t.db();
    addresses::release(&plain, second).await.unwrap();
    assert_eq!(
        addresses::allocate(&plain, &pool, &holder)
            .await
            .unwrap()
            .ip
            .address,
        second
    );
}

#[tokio::test]
async fn ended_cooldowns_are_freed_once_under_concurrent_allocations() {
    let t = support::test_db().await;
    let db = cooling(&t, None, HOUR);
    subnets::add_root(&db, &net("203.0.113.0/24"), None, None, None, false)
        .await
        .unwrap();
    for _ in 0..8 {
        take(&db, 29).await.unwrap();
    }
    for i in 0..8 {
        let cidr = net(&format!("203.0.113.{}/29", i * 8));
        subnets::release(&db, &cidr, false).await.unwrap();
    }
    time_passes(&t).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { take(&db, 29).await })
        })
        .collect();
    let mut taken = Vec::new();
    for task in tasks {
        taken.push(task.await.unwrap().unwrap());
    }
    taken.sort();
    taken.dedup();
    assert_eq!(taken.len(), 8, "eight different blocks");
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM provisioning_logs WHERE event = 'cooldown_end'"
        )
        .await,
        8
    );
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn the_config_sets_the_cooldown_and_show_says_what_is_left() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let config = home.path().join("carve.toml");
    std::fs::write(
        &config,
        "[allocation]\nrelease_cooldown = { subnets = \"2h\" }\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut command = support::carve(home.path());
        command
            .arg("--config")
            .arg(&config)
            .args(["--database-url", &t.url])
            .args(args);
        support::run(&mut command)
    };
    assert_eq!(run(&["subnet", "add", "203.0.113.0/24"]).0, 0);
    assert_eq!(
        run(&["subnet", "allocate", "--cidr", "203.0.113.0/26"]).0,
        0
    );
    assert_eq!(run(&["subnet", "release", "203.0.113.0/26"]).0, 0);
    let (code, shown, _) = run(&["subnet", "show", "203.0.113.0/26"]);
    assert_eq!(code, 0);
    assert!(
        shown.contains("release cooldown until")
            && (shown.contains("2h 0m left") || shown.contains("1h 59m left")),
        "{shown}"
    );
    let (code, _, stderr) = run(&["subnet", "allocate", "--cidr", "203.0.113.0/26"]);
    assert!(
        code == 1 && stderr.contains("--force takes it early"),
        "{stderr}"
    );
    assert_eq!(
        run(&["subnet", "allocate", "--cidr", "203.0.113.0/26", "--force"]).0,
        0
    );
    // Once the time is up, any carve that starts to work frees it, a `show` too.
    assert_eq!(run(&["subnet", "release", "203.0.113.0/26"]).0, 0);
    time_passes(&t).await;
    let (_, shown, _) = run(&["subnet", "show", "203.0.113.0/26"]);
    assert!(
        !shown.contains("parked") && !shown.contains("cooldown"),
        "{shown}"
    );
    std::fs::write(&config, "[allocation]\nrelease_cooldown = \"soon\"\n").unwrap();
    let (code, _, stderr) = run(&["subnet", "list"]);
    assert!(
        code == 2 && stderr.contains("allocation.release_cooldown \"soon\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn what_was_parked_by_hand_stays_parked_and_cooling_records_are_left_alone() {
    let t = support::test_db().await;
    let db = cooling(&t, HOUR, HOUR);
    subnets::add_root(&db, &net("203.0.113.0/24"), None, None, None, false)
        .await
        .unwrap();
    take(&db, 26).await.unwrap();
    let block = net("203.0.113.0/26");
    subnets::park(&db, &block, true, Some("listed by spamhaus".into()))
        .await
        .unwrap();
    subnets::release(&db, &block, false).await.unwrap();
    time_passes(&t).await;
    take(&db, 26).await.unwrap();
    let shown = carve::service::lookup::show(&db, &block, false)
        .await
        .unwrap();
    assert!(
        shown.subnet.parked,
        "still parked after the cooldown would have ended"
    );
    assert_eq!(
        shown.subnet.parked_reason.as_deref(),
        Some("listed by spamhaus")
    );

    // A cooling block parked by hand stays parked when the cooldown would have ended.
    take(&db, 26).await.unwrap();
    let other = net("203.0.113.64/26");
    subnets::release(&db, &other, false).await.unwrap();
    subnets::park(&db, &other, true, Some("customer dispute".into()))
        .await
        .unwrap();
    time_passes(&t).await;
    take(&db, 28).await.unwrap();
    let kept = carve::service::lookup::show(&db, &other, false)
        .await
        .unwrap();
    assert!(kept.subnet.parked && kept.subnet.cooldown_left.is_none());

    subnets::add_root(&db, &net("198.51.100.0/29"), None, None, None, true)
        .await
        .unwrap();
    let pool = Source::Subnet(net("198.51.100.0/29"));
    let holder = Holder {
        rdns: Some("web1.example.net".into()),
        ..Holder::default()
    };
    let ip = addresses::allocate(&db, &pool, &holder)
        .await
        .unwrap()
        .ip
        .address;
    let cooled = addresses::release(&db, ip).await.unwrap();
    assert_eq!(cooled.ip.rdns, None, "the former holder's PTR name goes");
    let again = addresses::release(&db, ip).await.unwrap_err();
    assert!(
        again.message.contains("waits out its cooldown") && again.message.contains("ip unpark"),
        "{}",
        again.message
    );
    let edit = addresses::set(
        &db,
        ip,
        &Holder {
            description: Some("x".into()),
            ..Holder::default()
        },
    )
    .await;
    assert_eq!(edit.unwrap_err().kind, ErrorKind::Conflict);
}

#[tokio::test]
async fn a_cancelled_service_leaves_its_addresses_cooling() {
    let t = support::test_db().await;
    let site = support::site::site(&t).await;
    let service = support::site::provisioned(&site).await;
    let db = cooling(&t, HOUR, HOUR);
    carve::service::provision::cancel(&db, service.id, false)
        .await
        .unwrap();
    let cooling_rows = count(
        &t,
        "SELECT count(*) FROM ip_addresses WHERE cooldown_until IS NOT NULL",
    )
    .await;
    let cooling_blocks = count(
        &t,
        "SELECT count(*) FROM subnets WHERE cooldown_until IS NOT NULL",
    )
    .await;
    assert_eq!(
        (cooling_rows, cooling_blocks),
        (1, 1),
        "the primary address and the /64"
    );
}
