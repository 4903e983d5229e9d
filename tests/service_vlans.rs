//! A product that gives each service a VLAN of its own (`ipam_config.new_vlan`): taken
//! in the provisioning transaction, put on the service's subnets, kept through
//! re-provisioning, released at cancel; bad configs are refused naming the key.

mod support;

use carve::service::products;
use carve::service::provision::{self, ProvisionRequest};
use serde_json::{Value, json};
use support::TestDb;
use support::site::{order, product, site};

/// Two /64s on the service's new VLAN (from 100-199), and an address from the VLAN 102 pool.
fn l2(range: &str) -> Value {
    json!({ "mode": "full", "new_vlan": {"range": range}, "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "count": 2,
          "pools": ["2001:db8:1::/48"] },
        { "kind": "ip", "family": 4, "vlans": [102], "pools": ["203.0.113.64/26"] } ] })
}

/// The VLAN ids at FRA1.
async fn fra1_vlans(t: &TestDb) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT v.vid FROM vlans v JOIN locations l ON l.id = v.location_id
         WHERE l.name = 'FRA1' ORDER BY v.vid",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

/// `cidr vid` of every subnet the service holds.
async fn service_subnets(t: &TestDb, service: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT s.cidr::text || ' ' || coalesce(v.vid::text, '-') FROM subnets s
         LEFT JOIN vlans v ON v.id = s.vlan_id WHERE s.service_id = $1 ORDER BY s.cidr",
    )
    .bind(service)
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_service_gets_its_own_vlan_on_its_subnets_and_gives_it_back_at_cancel() {
    let t = support::test_db().await;
    let db = site(&t).await;
    t.exec(
        "INSERT INTO vlans (location_id, vid) SELECT id, 100 FROM locations WHERE name = 'FRA1'",
    )
    .await;
    product(&db, "l2", l2("100-199")).await;

    let first = provision::provision(&db, &order("l2", "srv-1"))
        .await
        .unwrap();
    let vlan = first.vlan.as_ref().expect("the outcome names the new VLAN");
    assert_eq!((vlan.vlan.vid, vlan.action), (101, "taken"));
    assert_eq!(vlan.vlan.location, "FRA1");
    let id = first.service.id;
    let subnets = service_subnets(&t, id).await;
    assert_eq!(subnets.len(), 2);
    assert!(subnets.iter().all(|s| s.ends_with(" 101")), "{subnets:?}");
    let address = first
        .allocations
        .iter()
        .find(|h| h.address.is_some())
        .unwrap();
    assert_eq!(address.vlan, Some(102), "an ip rule keeps its own VLANs");
    let second = provision::provision(&db, &order("l2", "srv-1"))
        .await
        .unwrap();
    assert_eq!(second.vlan.unwrap().vlan.vid, 103, "100 and 102 were taken");
    assert_eq!(fra1_vlans(&t).await, [100, 101, 102, 103]);

    let again = provision::reprovision(&db, id, false).await.unwrap();
    let vlan = again.vlan.unwrap();
    assert_eq!((vlan.vlan.vid, vlan.action), (101, "reused"));
    assert!(
        service_subnets(&t, id)
            .await
            .iter()
            .all(|s| s.ends_with(" 101")),
        "re-provisioned space is on the same VLAN"
    );
    assert_eq!(fra1_vlans(&t).await, [100, 101, 102, 103]);

    let cancelled = provision::cancel(&db, id, false).await.unwrap();
    let vlan = cancelled.vlan.unwrap();
    assert_eq!((vlan.vlan.vid, vlan.action), (101, "released"));
    assert!(service_subnets(&t, id).await.is_empty());
    assert_eq!(fra1_vlans(&t).await, [100, 102, 103]);
    assert!(
        cancelled.events.iter().any(|e| e.event == "vlan_release"),
        "{:?}",
        cancelled.events
    );
    let journal = t.journal().await;
    assert_eq!(
        journal.iter().filter(|e| *e == "vlan_add/ok").count(),
        2,
        "{journal:?}"
    );
    assert!(journal.contains(&"vlan_release/ok".to_owned()));
    // The freed id is the lowest free one again.
    let third = provision::provision(&db, &order("l2", "srv-1"))
        .await
        .unwrap();
    assert_eq!(third.vlan.unwrap().vlan.vid, 101);
}

#[tokio::test]
async fn a_failed_or_dry_provisioning_takes_no_vlan() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let before = fra1_vlans(&t).await;
    let snapshot = t.snapshot().await;

    // The second rule cannot be met (the first took part of the /48): the VLAN goes back too.
    let unmet = json!({ "mode": "full", "new_vlan": {}, "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "pools": ["2001:db8:1::/48"] },
        { "kind": "subnet", "family": 6, "prefix_length": 48, "pools": ["2001:db8:1::/48"] } ] });
    product(&db, "unmet", unmet).await;
    let error = provision::provision(&db, &order("unmet", "srv-1"))
        .await
        .unwrap_err();
    assert!(error.message.starts_with("rules[1]"), "{}", error.message);
    assert_eq!(fra1_vlans(&t).await, before);
    assert_eq!(t.snapshot().await, snapshot);

    // A full range: refused, naming the key, the range and the location.
    product(&db, "full", l2("102-102")).await;
    let error = provision::provision(&db, &order("full", "srv-1"))
        .await
        .unwrap_err();
    assert!(
        error
            .message
            .contains("new_vlan: no free VLAN id in 102-102 at location \"FRA1\""),
        "{}",
        error.message
    );
    assert_eq!(fra1_vlans(&t).await, before);
    assert_eq!(t.snapshot().await, snapshot);

    // A dry run shows the VLAN it would take and keeps none.
    product(&db, "l2", l2("100-199")).await;
    let dry = ProvisionRequest {
        dry_run: true,
        ..order("l2", "srv-1")
    };
    let plan = provision::provision(&db, &dry).await.unwrap();
    assert_eq!(plan.vlan.unwrap().vlan.vid, 100);
    assert_eq!(fra1_vlans(&t).await, before);
    assert_eq!(t.snapshot().await, snapshot);
}

#[tokio::test]
async fn a_vlan_that_management_space_still_carries_stays_at_cancel() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let config = json!({ "mode": "full", "new_vlan": {"range": "200-299"}, "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "purpose": "management",
          "pools": ["2001:db8:1::/48"] } ] });
    product(&db, "managed", config).await;
    let service = provision::provision(&db, &order("managed", "srv-1"))
        .await
        .unwrap()
        .service;
    let cancelled = provision::cancel(&db, service.id, false).await.unwrap();
    let vlan = cancelled.vlan.unwrap();
    assert_eq!((vlan.vlan.vid, vlan.action), (200, "kept"));
    assert_eq!(fra1_vlans(&t).await, [102, 200]);
}

#[tokio::test]
async fn bad_new_vlan_configs_are_refused_naming_the_key() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let subnet = json!({ "kind": "subnet", "family": 6, "prefix_length": 64 });
    let ip = json!({ "kind": "ip", "family": 4 });
    for (config, fault) in [
        (
            json!({"mode": "full", "new_vlan": {"range": "0-99"}, "rules": [subnet]}),
            "new_vlan.range: VLAN range \"0-99\": \"0\" is not a VLAN id (1-4094)",
        ),
        (
            json!({"mode": "full", "new_vlan": {"range": "300-200"}, "rules": [subnet]}),
            "new_vlan.range: VLAN range \"300-200\" runs backwards",
        ),
        (
            json!({"mode": "full", "new_vlan": {"range": 100}, "rules": [subnet]}),
            "new_vlan.range: 100 is not a range of VLAN ids like \"100-199\"",
        ),
        (
            json!({"mode": "full", "new_vlan": true, "rules": [subnet]}),
            "new_vlan: true is not an object like {\"range\": \"100-199\"}",
        ),
        (
            json!({"mode": "full", "new_vlan": {"rnage": "1-9"}, "rules": [subnet]}),
            "new_vlan.rnage: unknown key (expected one of: range)",
        ),
        (
            json!({"mode": "full", "new_vlan": {}, "rules": [ip]}),
            "new_vlan: the new VLAN goes on the service's subnets, and no rule allocates one",
        ),
        (
            json!({"mode": "full", "new_vlan": {}, "rules": [ip,
                { "kind": "subnet", "family": 6, "prefix_length": 64, "vlans": [102] }]}),
            "rules[1].vlans: a subnet rule goes on the service's new VLAN (new_vlan)",
        ),
    ] {
        let error = products::save(&db, "bad", &config, false)
            .await
            .unwrap_err();
        assert!(
            error
                .message
                .contains("product \"bad\": ipam_config refused")
                && error.message.contains(fault),
            "{config}: {}",
            error.message
        );
    }
    assert!(products::list(&db).await.unwrap().is_empty());
}
