//! Products, services and provisioning on real PostgreSQL: every rule in one transaction,
//! rollback with one failure event, dry runs, re-provision and cancel around management
//! space, disabled products, and the location rule.

mod support;

use carve::engine::parse_cidr;
use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::products;
use carve::service::provision::{self, ProvisionRequest, ServiceOutcome};
use carve::service::subnets;
use carve::store::Db;
use serde_json::{Value, json};

fn net(s: &str) -> ipnet::IpNet {
    parse_cidr(s).unwrap()
}

/// FRA1 with VLAN 102, an IPv4 pool on it, an IPv6 block, a device; AMS1 with a device.
async fn site(t: &support::TestDb) -> Db {
    t.exec(
        "INSERT INTO locations (name) VALUES ('FRA1'), ('AMS1');
         INSERT INTO customers (name) VALUES ('cust-7422');
         INSERT INTO vlans (location_id, vid) SELECT id, 102 FROM locations WHERE name = 'FRA1';",
    )
    .await;
    let db = t.db();
    subnets::add_root(
        &db,
        &net("203.0.113.64/26"),
        Some("FRA1"),
        Some(102),
        None,
        true,
    )
    .await
    .unwrap();
    subnets::add_root(
        &db,
        &net("2001:db8:1::/48"),
        Some("FRA1"),
        None,
        None,
        false,
    )
    .await
    .unwrap();
    products::add_device(&db, "srv-1", "FRA1", Some("server"))
        .await
        .unwrap();
    products::add_device(&db, "srv-ams", "AMS1", None)
        .await
        .unwrap();
    db
}

fn dedicated() -> Value {
    json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "count": 1, "purpose": "primary",
          "vlans": [102], "pools": ["203.0.113.64/26"], "strategy": "split" },
        { "kind": "subnet", "family": 6, "prefix_length": 64, "count": 1,
          "pools": ["2001:db8:1::/48"], "strategy": "split" } ] })
}

async fn product(db: &Db, name: &str, config: Value) {
    products::save(db, name, &config, false).await.unwrap();
}

fn order(product: &str, device: &str) -> ProvisionRequest {
    ProvisionRequest {
        customer: "cust-7422".into(),
        product: product.into(),
        device: device.into(),
        dry_run: false,
    }
}

fn space(o: &ServiceOutcome) -> Vec<String> {
    o.allocations
        .iter()
        .map(|h| match (h.cidr, h.address) {
            (Some(c), _) => c.to_string(),
            (_, Some(a)) => a.to_string(),
            _ => unreachable!(),
        })
        .collect()
}

async fn count(t: &support::TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

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
    // A /30 pool has two usable addresses; take both.
    subnets::add_root(&db, &net("198.51.100.0/30"), Some("FRA1"), None, None, true)
        .await
        .unwrap();
    for _ in 0..2 {
        let source = Source::Subnet(net("198.51.100.0/30"));
        addresses::allocate(&db, &source, &Holder::default())
            .await
            .unwrap();
    }
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
async fn reprovision_keeps_management_space_and_replaces_the_rest() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let mut config = dedicated();
    config["rules"].as_array_mut().unwrap().push(
        json!({ "kind": "ip", "family": 4, "purpose": "management", "pools": ["203.0.113.64/26"] }),
    );
    product(&db, "dedicated", config).await;
    let first = provision::provision(&db, &order("dedicated", "srv-1"))
        .await
        .unwrap();
    assert_eq!(
        space(&first),
        ["203.0.113.65", "2001:db8:1::/64", "203.0.113.66"]
    );
    // A BMC address recorded on the device by hand, outside any service.
    let bmc = Holder {
        device: Some("srv-1".into()),
        purpose: Some("management".into()),
        ..Holder::default()
    };
    let bmc = addresses::allocate(&db, &Source::Subnet(net("203.0.113.64/26")), &bmc)
        .await
        .unwrap();
    assert_eq!(bmc.ip.address.to_string(), "203.0.113.67");
    // The product now asks for a /56 instead of a /64.
    let mut config = dedicated();
    config["rules"][1]["prefix_length"] = json!(56);
    products::save(&db, "dedicated", &config, true)
        .await
        .unwrap();
    let again = provision::reprovision(&db, first.service.id, false)
        .await
        .unwrap();
    let released: Vec<String> = again
        .released
        .iter()
        .map(|h| {
            h.cidr
                .map_or_else(|| h.address.unwrap().to_string(), |c| c.to_string())
        })
        .collect();
    assert_eq!(released, ["203.0.113.65", "2001:db8:1::/64"]);
    // The /56 beside the old split chain is a free leaf of exactly that length.
    assert_eq!(space(&again), ["203.0.113.65", "2001:db8:1:100::/56"]);
    let shown = provision::show(&db, first.service.id).await.unwrap();
    let mut held: Vec<String> = shown
        .addresses
        .iter()
        .map(|a| a.address.to_string())
        .collect();
    held.extend(shown.subnets.iter().map(|s| s.cidr.to_string()));
    assert_eq!(
        held,
        ["203.0.113.65", "203.0.113.66", "2001:db8:1:100::/56"]
    );
    assert_eq!(
        addresses::show(&db, "203.0.113.67".parse().unwrap())
            .await
            .unwrap()
            .device
            .as_deref(),
        Some("srv-1"),
        "the hand-made management address stays"
    );
    let journal = t.journal().await;
    let wipe = journal
        .iter()
        .position(|e| e == "ipam_wipe_device/ok")
        .unwrap();
    assert!(journal[wipe..].contains(&"service_reprovision/ok".to_owned()));
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn cancel_releases_all_but_management_and_a_second_cancel_is_refused() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let mut config = dedicated();
    config["rules"][0]["purpose"] = json!("management");
    product(&db, "dedicated", config).await;
    let service = provision::provision(&db, &order("dedicated", "srv-1"))
        .await
        .unwrap()
        .service;
    let cancelled = provision::cancel(&db, service.id, false).await.unwrap();
    assert_eq!(cancelled.service.status, "cancelled");
    let released: Vec<String> = cancelled
        .released
        .iter()
        .filter_map(|h| h.cidr)
        .map(|c| c.to_string())
        .collect();
    assert_eq!(released, ["2001:db8:1::/64"]);
    assert_eq!(
        cancelled
            .events
            .iter()
            .filter(|e| e.event == "release")
            .count(),
        1
    );
    let leaf = count(&t, "SELECT count(*) FROM subnets WHERE cidr = '2001:db8:1::/64'
                          AND allocation_status = 'unallocated' AND service_id IS NULL AND device_id IS NULL").await;
    assert_eq!(leaf, 1, "the released subnet is free again");
    let mgmt = addresses::show(&db, "203.0.113.65".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (mgmt.device.as_deref(), mgmt.service),
        (Some("srv-1"), None)
    );
    let before = (t.snapshot().await, t.journal().await.len());
    let again = provision::cancel(&db, service.id, false).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::Conflict);
    assert!(
        again
            .message
            .starts_with(&format!("service #{} was cancelled at", service.id)),
        "{}",
        again.message
    );
    assert_eq!(t.snapshot().await, before.0);
    assert_eq!(
        t.journal().await.len(),
        before.1 + 1,
        "only the refusal is journaled"
    );
    let refused = provision::reprovision(&db, service.id, false)
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Conflict);
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
async fn a_bad_ipam_config_is_refused_with_the_json_path_of_every_fault() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let bad = json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "pools": ["192.0.2.0/24"] },
        { "kind": "subnet", "family": 6, "prefix_length": 129 } ] });
    let error = products::save(&db, "broken", &bad, false)
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Validation);
    assert_eq!(
        error.message,
        "product \"broken\": ipam_config refused (1 fault): \
         rules[1].prefix_length: 129 is out of range for IPv6 (carve manages /32../128)"
    );
    let unknown_pool = json!({ "mode": "full", "rules": [{ "kind": "ip", "family": 4, "pools": ["192.0.2.0/24"] }] });
    let error = products::save(&db, "broken", &unknown_pool, false)
        .await
        .unwrap_err();
    assert!(
        error.message.ends_with(
            "rules[0].pools[0]: 192.0.2.0/24 is not a subnet carve knows (add it first)"
        ),
        "{}",
        error.message
    );
    assert_eq!(count(&t, "SELECT count(*) FROM products").await, 0);
    // Replacing a good config with a bad one keeps the good one.
    product(&db, "dedicated", dedicated()).await;
    products::save(&db, "dedicated", &bad, true)
        .await
        .unwrap_err();
    assert_eq!(
        products::show(&db, "dedicated")
            .await
            .unwrap()
            .product
            .ipam_config,
        dedicated()
    );
    let missing = products::save(&db, "ghost", &dedicated(), true)
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    let duplicate = products::save(&db, "dedicated", &dedicated(), false)
        .await
        .unwrap_err();
    assert_eq!(duplicate.kind, ErrorKind::Conflict);
    // The database keeps even a hand-written row to the shape carve reads.
    let refused = sqlx::query(
        "INSERT INTO products (name, ipam_config) VALUES ('x', '{\"mode\": \"some\"}')",
    )
    .execute(&t.pool)
    .await;
    assert!(refused.is_err());
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
