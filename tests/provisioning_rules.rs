//! How a rule picks its space: pools are never carved by a subnet rule, allow-lists are
//! tried in order, and a rule's strategy limits how far the allocator may go.

mod support;

use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::provision;
use carve::service::subnets;
use serde_json::json;
use support::site::{full_pool, net, order, product, site, space};

#[tokio::test]
async fn a_pool_is_never_carved_by_a_subnet_allocation() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let source = Source::Subnet(net("203.0.113.64/26"));
    addresses::allocate(&db, &source, &Holder::default())
        .await
        .unwrap();
    // The only IPv4 space at FRA1 is the pool: a /29 "anywhere" finds nothing.
    product(
        &db,
        "v4-net",
        json!({ "mode": "full", "rules": [
        { "kind": "subnet", "family": 4, "prefix_length": 29 } ] }),
    )
    .await;
    let before = t.snapshot().await;
    let error = provision::provision(&db, &order("v4-net", "srv-1"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Exhausted);
    assert_eq!(
        error.message,
        "rules[0] (subnet /29 of IPv4): no free /29 of IPv4 at FRA1 (nothing free)"
    );
    let manual = allocate_subnet(&db, &SubnetRequest::length(4, 28, None))
        .await
        .unwrap_err();
    assert_eq!(manual.kind, ErrorKind::Exhausted);
    let inside = allocate_subnet(&db, &SubnetRequest::cidr(net("203.0.113.64/29")))
        .await
        .unwrap_err();
    assert_eq!(
        inside.message,
        "203.0.113.64/29 lies inside pool 203.0.113.64/26, which hands out single addresses"
    );
    let split = subnets::split(&db, &net("203.0.113.64/26"), None, false)
        .await
        .unwrap_err();
    assert!(
        split
            .message
            .contains("it is a pool that hands out single addresses"),
        "{}",
        split.message
    );
    assert_eq!(t.snapshot().await, before);
    // The database refuses it too.
    let refused = sqlx::query(
        "UPDATE subnets SET allocation_status = 'subdivided' WHERE cidr = '203.0.113.64/26'",
    )
    .execute(&t.pool)
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("subnets_pool_not_subdivided"),
        "{refused}"
    );
}

#[tokio::test]
async fn allow_lists_are_tried_in_order() {
    let t = support::test_db().await;
    let db = site(&t).await;
    full_pool(&db).await;
    t.exec(
        "INSERT INTO vlans (location_id, vid) SELECT id, 103 FROM locations WHERE name = 'FRA1'",
    )
    .await;
    product(
        &db,
        "fallback",
        json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "pools": ["198.51.100.0/30", "203.0.113.64/26"] },
        { "kind": "subnet", "family": 6, "prefix_length": 64, "vlans": [999, 103, 102] } ] }),
    )
    .await;
    let done = provision::provision(&db, &order("fallback", "srv-1"))
        .await
        .unwrap();
    assert_eq!(
        space(&done),
        ["203.0.113.65", "2001:db8:1::/64"],
        "the full pool is skipped"
    );
    // VLAN 999 does not exist at FRA1; 103 is the next allowed one.
    assert_eq!(done.allocations[1].vlan, Some(103));
    let vid: i32 = sqlx::query_scalar(
        "SELECT v.vid FROM subnets s JOIN vlans v ON v.id = s.vlan_id WHERE s.cidr = '2001:db8:1::/64'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(vid, 103);
}

#[tokio::test]
async fn a_rules_strategy_limits_the_allocator() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(
        &db,
        "exact-only",
        json!({ "mode": "full", "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "strategy": "exact" } ] }),
    )
    .await;
    let error = provision::provision(&db, &order("exact-only", "srv-1"))
        .await
        .unwrap_err();
    assert_eq!(
        error.message,
        "rules[0] (subnet /64 of IPv6): no free /64 of IPv6 at FRA1 (largest free: /48) with strategy exact"
    );
    // Once a free /64 exists, exact takes it without splitting anything.
    let taken = allocate_subnet(&db, &SubnetRequest::cidr(net("2001:db8:1::/64")))
        .await
        .unwrap();
    subnets::release(&db, &taken.cidr, false).await.unwrap();
    let done = provision::provision(&db, &order("exact-only", "srv-1"))
        .await
        .unwrap();
    assert_eq!(space(&done), ["2001:db8:1::/64"]);
    assert_eq!(
        done.allocations[0].strategy.map(|s| s.as_str()),
        Some("exact")
    );
}
