//! Provisioning on real PostgreSQL: every rule in one transaction, rollback with one
//! failure event, dry runs, disabled products, and the location rule.

mod support;

use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::provision::{self, ProvisionRequest};
use serde_json::{Value, json};
use support::site::{count, dedicated, full_pool, net, order, product, site, space};

#[tokio::test]
async fn provisioning_fulfils_every_rule_in_one_transaction_with_its_events() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(&db, "dedicated", dedicated()).await;
    let done = provision::provision(&db, &order("dedicated", "srv-1"))
        .await
        .unwrap();
    assert_eq!(space(&done), ["203.0.113.65", "2001:db8:1::/64"]);
    let ip = &done.allocations[0];
    assert_eq!(
        (ip.vlan, ip.purpose.as_deref()),
        (Some(102), Some("primary"))
    );
    assert!(ip.allocation_id.is_some());
    let names: Vec<&str> = done.events.iter().map(|e| e.event).collect();
    assert_eq!(names.first(), Some(&"ipam_allocate_ip"));
    assert_eq!(
        names.iter().filter(|n| **n == "ipam_subnet_split").count(),
        16
    );
    assert_eq!(names.last(), Some(&"ipam_allocate_subnet"));
    // The space is linked to the service and device in the database.
    let id = done.service.id;
    let linked = count(
        &t,
        &format!(
            "SELECT (SELECT count(*) FROM subnets s JOIN devices d ON d.id = s.device_id
                 WHERE s.service_id = {id} AND d.name = 'srv-1' AND s.cidr = '2001:db8:1::/64')
              + (SELECT count(*) FROM ip_addresses a JOIN devices d ON d.id = a.device_id
                 WHERE a.service_id = {id} AND d.name = 'srv-1' AND a.address = '203.0.113.65')"
        ),
    )
    .await;
    assert_eq!(linked, 2);
    let journal = t.journal().await;
    assert_eq!(
        journal.last().map(String::as_str),
        Some("service_provision/ok")
    );
    assert!(journal.contains(&"ipam_allocate_ip/ok".to_owned()));
    let shown = provision::show(&db, id).await.unwrap();
    assert_eq!(shown.subnets[0].cidr, net("2001:db8:1::/64"));
    assert_eq!(shown.addresses[0].address.to_string(), "203.0.113.65");
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn a_rule_that_cannot_be_met_rolls_back_everything_with_one_failure_event() {
    let t = support::test_db().await;
    let db = site(&t).await;
    full_pool(&db).await;
    product(
        &db,
        "two-rules",
        json!({ "mode": "full", "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "pools": ["2001:db8:1::/48"] },
        { "kind": "ip", "family": 4, "pools": ["198.51.100.0/30"] } ] }),
    )
    .await;
    let before = (t.snapshot().await, t.journal().await);
    let error = provision::provision(&db, &order("two-rules", "srv-1"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Exhausted);
    assert_eq!(
        error.message,
        "rules[1] (IPv4 address): no free address in pool inside 198.51.100.0/30 at FRA1 (device srv-1)"
    );
    assert_eq!(
        t.snapshot().await,
        before.0,
        "no allocation, no split survives"
    );
    let journal = t.journal().await;
    assert_eq!(journal[..before.1.len()], before.1[..]);
    assert_eq!(journal[before.1.len()..], ["service_provision/failed"]);
    let detail: Value = sqlx::query_scalar(
        "SELECT detail FROM provisioning_logs WHERE event = 'service_provision' AND outcome = 'failed'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(detail["request"]["rule"]["index"], 1);
    assert_eq!(detail["request"]["rule"]["rule"]["kind"], "ip");
    assert_eq!(count(&t, "SELECT count(*) FROM services").await, 0);
}

#[tokio::test]
async fn a_dry_run_shows_the_whole_plan_and_changes_nothing() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(&db, "dedicated", dedicated()).await;
    let before = (t.snapshot().await, t.journal().await);
    let mut request = order("dedicated", "srv-1");
    request.dry_run = true;
    let plan = provision::provision(&db, &request).await.unwrap();
    assert!(plan.dry_run);
    assert_eq!(space(&plan), ["203.0.113.65", "2001:db8:1::/64"]);
    assert_eq!(plan.events.len(), 18, "one address, 16 splits, one subnet");
    assert_eq!((t.snapshot().await, t.journal().await), before);
    assert_eq!(count(&t, "SELECT count(*) FROM services").await, 0);
}

#[tokio::test]
async fn a_disabled_product_changes_nothing_in_ipam() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(&db, "colo", json!({"mode": "disabled"})).await;
    let before = t.snapshot().await;
    let done = provision::provision(&db, &order("colo", "srv-1"))
        .await
        .unwrap();
    assert!(done.allocations.is_empty());
    assert!(done.skipped.as_deref().unwrap().contains("disabled"));
    assert_eq!(t.snapshot().await, before);
    provision::reprovision(&db, done.service.id, false)
        .await
        .unwrap();
    assert_eq!(t.snapshot().await, before);
    let detail: Value = sqlx::query_scalar(
        "SELECT detail FROM provisioning_logs WHERE event = 'service_provision' AND outcome = 'ok'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(detail["skipped"].as_str().unwrap().contains("disabled"));
}

#[tokio::test]
async fn only_pools_at_the_devices_location_serve_it() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(&db, "dedicated", dedicated()).await;
    let before = t.snapshot().await;
    let error = provision::provision(&db, &order("dedicated", "srv-ams"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Exhausted);
    assert!(
        error.message.starts_with("rules[0] (IPv4 address): ")
            && error.message.contains("at AMS1 (device srv-ams)"),
        "{}",
        error.message
    );
    assert_eq!(t.snapshot().await, before);
    // Unknown names are refused before anything happens.
    for (request, expected) in [
        (order("dedicated", "srv-9"), "unknown device \"srv-9\""),
        (order("nope", "srv-1"), "unknown product \"nope\""),
        (
            ProvisionRequest {
                customer: "cust-1".into(),
                ..order("dedicated", "srv-1")
            },
            "unknown customer \"cust-1\"",
        ),
    ] {
        let error = provision::provision(&db, &request).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotFound);
        assert!(error.message.starts_with(expected), "{}", error.message);
    }
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn manual_allocations_for_a_device_stay_at_its_location() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let mut request = carve::service::allocate::SubnetRequest::length(6, 64, None);
    request.device = Some("srv-1".into());
    let taken = carve::service::allocate::allocate_subnet(&db, &request)
        .await
        .unwrap();
    assert_eq!(taken.cidr, net("2001:db8:1::/64"));
    let device: Option<String> =
        sqlx::query_scalar("SELECT d.name FROM subnets s JOIN devices d ON d.id = s.device_id WHERE s.cidr = '2001:db8:1::/64'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(device.as_deref(), Some("srv-1"));
    let before = t.snapshot().await;
    request.device = Some("srv-ams".into());
    let error = carve::service::allocate::allocate_subnet(&db, &request)
        .await
        .unwrap_err();
    assert_eq!(error.message, "no free /64 of IPv6 at AMS1 (nothing free)");
    let any = Source::Pool(net("203.0.113.0/24"));
    let ams = Holder {
        device: Some("srv-ams".into()),
        ..Holder::default()
    };
    let error = addresses::allocate(&db, &any, &ams).await.unwrap_err();
    assert_eq!(
        error.message,
        "no unparked pool subnet inside 203.0.113.0/24 at AMS1 (device srv-ams)"
    );
    assert_eq!(t.snapshot().await, before);
}
