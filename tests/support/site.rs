//! A small site for provisioning tests: FRA1 with VLAN 102, an IPv4 pool on it and an
//! IPv6 block, a device there and one at AMS1; a product like the example.

use carve::engine::parse_cidr;
use carve::model::Service;
use carve::service::addresses::{self, Holder, Source};
use carve::service::products;
use carve::service::provision::{self, ProvisionRequest, ServiceOutcome};
use carve::service::subnets;
use carve::store::Db;
use serde_json::{Value, json};

use super::TestDb;

pub fn net(s: &str) -> ipnet::IpNet {
    parse_cidr(s).unwrap()
}

/// FRA1 with VLAN 102, an IPv4 pool on it, an IPv6 block, a device; AMS1 with a device.
pub async fn site(t: &TestDb) -> Db {
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

pub fn dedicated() -> Value {
    json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "count": 1, "purpose": "primary",
          "vlans": [102], "pools": ["203.0.113.64/26"], "strategy": "split" },
        { "kind": "subnet", "family": 6, "prefix_length": 64, "count": 1,
          "pools": ["2001:db8:1::/48"], "strategy": "split" } ] })
}

pub async fn product(db: &Db, name: &str, config: Value) {
    products::save(db, name, &config, false).await.unwrap();
}

/// The `dedicated` product, provisioned for cust-7422 on srv-1.
pub async fn provisioned(db: &Db) -> Service {
    product(db, "dedicated", dedicated()).await;
    provision::provision(db, &order("dedicated", "srv-1"))
        .await
        .unwrap()
        .service
}

/// A /30 pool at FRA1 with both of its addresses taken.
pub async fn full_pool(db: &Db) -> ipnet::IpNet {
    let pool = net("198.51.100.0/30");
    subnets::add_root(db, &pool, Some("FRA1"), None, None, true)
        .await
        .unwrap();
    for _ in 0..2 {
        addresses::allocate(db, &Source::Subnet(pool), &Holder::default())
            .await
            .unwrap();
    }
    pool
}

pub fn order(product: &str, device: &str) -> ProvisionRequest {
    ProvisionRequest {
        customer: "cust-7422".into(),
        product: product.into(),
        device: device.into(),
        dry_run: false,
    }
}

pub fn space(o: &ServiceOutcome) -> Vec<String> {
    o.allocations.iter().map(|h| h.space()).collect()
}

pub async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

/// `n` transit services (a product without address rules) for cust-7422 on srv-1.
pub async fn transit_services(db: &Db, n: usize) -> Vec<i64> {
    product(db, "transit", json!({"mode": "disabled"})).await;
    let mut ids = Vec::new();
    for _ in 0..n {
        let outcome = provision::provision(db, &order("transit", "srv-1")).await;
        ids.push(outcome.unwrap().service.id);
    }
    ids
}
