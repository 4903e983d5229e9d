//! A service's life after provisioning on real PostgreSQL: re-provision and cancel
//! around management space, and products refused for a bad ipam_config.

mod support;

use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::products;
use carve::service::provision;
use serde_json::json;
use support::site::{count, dedicated, net, order, product, provisioned, site, space};

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
    let released: Vec<String> = again.released.iter().map(|h| h.space()).collect();
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
async fn space_released_by_a_cancel_loses_the_allocations_vlan_and_merges_back() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(
        &db,
        "tagged",
        json!({ "mode": "full", "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "vlans": [102] } ] }),
    )
    .await;
    let service = provision::provision(&db, &order("tagged", "srv-1"))
        .await
        .unwrap()
        .service;
    let tagged = count(
        &t,
        "SELECT count(*) FROM subnets WHERE cidr = '2001:db8:1::/64' AND vlan_id IS NOT NULL",
    )
    .await;
    assert_eq!(tagged, 1);
    provision::cancel(&db, service.id, false).await.unwrap();
    let untagged = count(&t, "SELECT count(*) FROM subnets WHERE cidr = '2001:db8:1::/64'
                               AND vlan_id IS NULL AND effective_vlan_id IS NULL AND NOT vlan_from_allocation").await;
    assert_eq!(untagged, 1);
    carve::service::subnets::merge(&db, &net("2001:db8:1::/48"), false)
        .await
        .unwrap();
    assert_eq!(
        t.leaves().await,
        ["203.0.113.64/26:unallocated", "2001:db8:1::/48:unallocated"]
    );
}

#[tokio::test]
async fn a_failed_reprovision_keeps_what_the_wipe_would_have_released() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let service = provisioned(&db).await;
    // The product now asks for more addresses than the pool has.
    let mut greedy = dedicated();
    greedy["rules"][0]["count"] = json!(100);
    products::save(&db, "dedicated", &greedy, true)
        .await
        .unwrap();
    let before = (t.snapshot().await, t.journal().await);
    let error = provision::reprovision(&db, service.id, false)
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Exhausted);
    assert_eq!(
        t.snapshot().await,
        before.0,
        "the wipe rolled back with the rest"
    );
    assert_eq!(
        t.journal().await[before.1.len()..],
        ["service_reprovision/failed"]
    );
    // Dry runs of re-provision and cancel change nothing either.
    products::save(&db, "dedicated", &dedicated(), true)
        .await
        .unwrap();
    let before = (t.snapshot().await, t.journal().await.len());
    let plan = provision::reprovision(&db, service.id, true).await.unwrap();
    assert_eq!((plan.released.len(), plan.allocations.len()), (2, 2));
    let plan = provision::cancel(&db, service.id, true).await.unwrap();
    assert_eq!(plan.released.len(), 2);
    assert_eq!((t.snapshot().await, t.journal().await.len()), before);
    let active = count(
        &t,
        &format!(
            "SELECT count(*) FROM services WHERE id = {} AND status = 'active'",
            service.id
        ),
    )
    .await;
    assert_eq!(active, 1);
}

#[tokio::test]
async fn a_parked_address_stays_parked_when_its_service_is_cancelled() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let service = provisioned(&db).await;
    let address = "203.0.113.65".parse().unwrap();
    addresses::park(&db, address, true, Some("abuse report".into()))
        .await
        .unwrap();
    let cancelled = provision::cancel(&db, service.id, false).await.unwrap();
    assert!(
        cancelled.released.iter().all(|h| h.address.is_none()),
        "{:?}",
        cancelled.released
    );
    let parked = addresses::show(&db, address).await.unwrap();
    assert_eq!((parked.parked, parked.service), (true, None));
    assert_eq!(parked.parked_reason.as_deref(), Some("abuse report"));
}
