//! Single addresses in pools, and `lookup`: who holds 203.0.113.70?

mod support;

use std::net::IpAddr;

use carve::engine::parse_cidr;
use carve::service::addresses::{self, Holder, Source};
use carve::service::lookup::{self, LookupResult};
use carve::service::subnets::{self, Changes};
use carve::store::Db;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

async fn pool(db: &Db, cidr: &str, reserve_first: Option<i32>) {
    support::add_root(db, cidr, true).await;
    let net = parse_cidr(cidr).unwrap();
    if reserve_first.is_some() {
        let changes = Changes {
            pool_reserved_first: reserve_first,
            ..Changes::default()
        };
        subnets::set(db, &net, &changes).await.unwrap();
    }
}

async fn next(db: &Db, cidr: &str) -> Result<IpAddr, carve::error::Error> {
    let source = Source::Subnet(parse_cidr(cidr).unwrap());
    addresses::allocate(db, &source, &Holder::default())
        .await
        .map(|o| o.ip.address)
}

#[tokio::test]
async fn addresses_come_in_order_skipping_reserved_parked_and_used_ones() {
    let t = support::test_db().await;
    let db = t.db();
    pool(&db, "192.0.2.0/29", Some(1)).await;
    // .0 is the network, .1 is kept back for the gateway.
    assert_eq!(next(&db, "192.0.2.0/29").await.unwrap(), ip("192.0.2.2"));
    addresses::park(&db, ip("192.0.2.3"), true, Some("broken port".into()))
        .await
        .unwrap();
    assert_eq!(next(&db, "192.0.2.0/29").await.unwrap(), ip("192.0.2.4"));
    assert_eq!(next(&db, "192.0.2.0/29").await.unwrap(), ip("192.0.2.5"));
    addresses::release(&db, ip("192.0.2.2")).await.unwrap();
    assert_eq!(next(&db, "192.0.2.0/29").await.unwrap(), ip("192.0.2.2"));
    assert_eq!(next(&db, "192.0.2.0/29").await.unwrap(), ip("192.0.2.6"));
    // .7 is the broadcast address.
    let err = next(&db, "192.0.2.0/29").await.unwrap_err();
    assert_eq!(err.message, "no free address in pool 192.0.2.0/29");
    // Unparking an address that was only recorded to be parked frees it.
    addresses::park(&db, ip("192.0.2.3"), false, None)
        .await
        .unwrap();
    assert_eq!(next(&db, "192.0.2.0/29").await.unwrap(), ip("192.0.2.3"));
    let journal = t.journal().await;
    assert_eq!(
        journal
            .iter()
            .filter(|e| *e == "ipam_allocate_ip/ok")
            .count(),
        6
    );
    assert_eq!(
        journal
            .iter()
            .filter(|e| *e == "ipam_allocate_ip/failed")
            .count(),
        1
    );
}

#[tokio::test]
async fn ipv6_and_point_to_point_pools() {
    let t = support::test_db().await;
    let db = t.db();
    pool(&db, "2001:db8:1:a::/64", None).await;
    pool(&db, "198.51.100.10/31", None).await;
    assert_eq!(
        next(&db, "2001:db8:1:a::/64").await.unwrap(),
        ip("2001:db8:1:a::1")
    );
    assert_eq!(
        next(&db, "2001:db8:1:a::/64").await.unwrap(),
        ip("2001:db8:1:a::2")
    );
    assert_eq!(
        next(&db, "198.51.100.10/31").await.unwrap(),
        ip("198.51.100.10")
    );
    assert_eq!(
        next(&db, "198.51.100.10/31").await.unwrap(),
        ip("198.51.100.11")
    );
}

#[tokio::test]
async fn holder_fields_are_stored_and_any_pool_inside_a_cidr_serves() {
    let t = support::test_db().await;
    let db = t.db();
    t.exec("INSERT INTO customers (name) VALUES ('cust-7422')")
        .await;
    pool(&db, "203.0.113.64/30", None).await;
    pool(&db, "203.0.113.68/30", None).await;
    let holder = Holder {
        customer: Some("cust-7422".into()),
        purpose: Some("primary".into()),
        rdns: Some("Web1.Example.NET.".into()),
        ..Holder::default()
    };
    let any = Source::Pool(parse_cidr("203.0.113.64/28").unwrap());
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(addresses::allocate(&db, &any, &holder).await.unwrap().ip);
    }
    let addrs: Vec<String> = got.iter().map(|i| i.address.to_string()).collect();
    assert_eq!(
        addrs,
        [
            "203.0.113.65",
            "203.0.113.66",
            "203.0.113.69",
            "203.0.113.70"
        ]
    );
    assert_eq!(got[0].rdns.as_deref(), Some("web1.example.net"));
    assert!(got[0].rdns_updated_at.is_some());

    // The question a NOC engineer asks at 2 a.m.
    let LookupResult::Address {
        record, subnets, ..
    } = lookup::lookup(&db, "203.0.113.70").await.unwrap()
    else {
        panic!("an address lookup");
    };
    let record = record.unwrap();
    assert_eq!(record.customer.as_deref(), Some("cust-7422"));
    assert_eq!(record.purpose.as_deref(), Some("primary"));
    assert_eq!(subnets[0].cidr, parse_cidr("203.0.113.68/30").unwrap());

    let LookupResult::Customer { addresses, .. } = lookup::lookup(&db, "cust-7422").await.unwrap()
    else {
        panic!("a customer lookup");
    };
    assert_eq!(addresses.len(), 4);
    let err = lookup::lookup(&db, "cust-9999").await.unwrap_err();
    assert!(err.message.contains("unknown customer \"cust-9999\""));
}

#[tokio::test]
async fn a_vlan_picks_the_pools_on_that_vlan() {
    let t = support::test_db().await;
    let db = t.db();
    t.exec("INSERT INTO locations (name) VALUES ('EU-FRA')")
        .await;
    t.exec("INSERT INTO vlans (location_id, vid) SELECT id, v FROM locations, (VALUES (102), (103)) x(v)").await;
    for (cidr, vid) in [("203.0.113.64/30", 102), ("203.0.113.68/30", 103)] {
        let net = parse_cidr(cidr).unwrap();
        subnets::add_root(&db, &net, Some("EU-FRA"), Some(vid), None, true)
            .await
            .unwrap();
    }
    let any = Source::Pool(parse_cidr("203.0.113.64/28").unwrap());
    let on = |vid: i32| Holder {
        vlan: Some(vid),
        ..Holder::default()
    };
    let got = addresses::allocate(&db, &any, &on(103)).await.unwrap();
    assert_eq!(
        (got.ip.address, got.ip.vlan),
        (ip("203.0.113.69"), Some(103))
    );
    let got = addresses::allocate(&db, &any, &on(102)).await.unwrap();
    assert_eq!(got.ip.address, ip("203.0.113.65"));
    let err = addresses::allocate(&db, &any, &on(104)).await.unwrap_err();
    assert_eq!(
        err.message,
        "no unparked pool subnet inside 203.0.113.64/28 on VLAN 104"
    );
}
