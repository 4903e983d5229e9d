//! Reverse DNS against a real PowerDNS: names set, changed and removed in carve reach
//! the zones (IPv4, RFC 2317 classless, IPv6) through `carve rdns sync`; drift is found
//! and only pruned on request; 1,000 PTRs go in one sync.

mod support;

use std::time::Instant;

use support::powerdns::PowerDns;
use support::rdns::{Home, differences, outbox, pushed};

const V4_ZONE: &str = "113.0.203.in-addr.arpa";
const CLASSLESS_ZONE: &str = "64/26.100.51.198.in-addr.arpa";
const V6_ZONE: &str = "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";

/// A powerdns provider serving 203.0.113.0/24, 198.51.100.64/26 and 2001:db8::/64.
fn config(pdns: &PowerDns, home: &Home, extra: &str) -> String {
    home.powerdns(
        pdns,
        &format!(
            "prefixes = [\"203.0.113.0/24\", \"2001:db8::/64\"]\nzones = [\"{CLASSLESS_ZONE}\"]\n\
             nameservers = [\"ns1.example.net\"]\nttl = 300\n{extra}"
        ),
    )
}

fn pools(home: &Home) {
    for pool in ["203.0.113.0/24", "198.51.100.64/26", "2001:db8::/64"] {
        home.ok(&["subnet", "add", pool, "--pool"]);
    }
}

fn owner(octet: &str) -> String {
    format!("{octet}.{V4_ZONE}.")
}

#[tokio::test]
async fn names_are_set_changed_and_removed_in_every_kind_of_zone() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    let home = Home::new(&t, "");
    home.configure(&config(&pdns, &home, "create_zones = true"));
    pools(&home);

    let web = home.named("203.0.113.0/24", "Web1.Example.NET.");
    let small = home.named("198.51.100.64/26", "small.example.net");
    let v6 = home.named("2001:db8::/64", "v6.example.net");
    assert_eq!(
        outbox(&t).await.len(),
        3,
        "each change is queued with the change"
    );
    let status = home.ok(&["rdns", "status"]);
    assert_eq!(
        status["providers"][0]["pending"].as_array().unwrap().len(),
        3
    );

    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 3, "{report}");
    assert!(
        report["zones"]
            .as_array()
            .unwrap()
            .iter()
            .all(|z| z["created"] == true)
    );
    let notes: Vec<&str> = report["zones"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|z| z["note"].as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "zone 100.51.198.in-addr.arpa is not on this server: add the RFC 2317 NS and CNAME records for 198.51.100.64/26 there"
        ]
    );
    assert_eq!(pdns.zones(), [V6_ZONE, V4_ZONE, CLASSLESS_ZONE]);
    let last = web.rsplit('.').next().unwrap();
    assert_eq!(pdns.ptrs(V4_ZONE)[&owner(last)], "web1.example.net.");
    let small_owner = format!("{}.{CLASSLESS_ZONE}.", small.rsplit('.').next().unwrap());
    assert_eq!(
        pdns.ptrs(CLASSLESS_ZONE)[&small_owner],
        "small.example.net."
    );
    assert_eq!(
        pdns.ptrs(V6_ZONE).values().collect::<Vec<_>>(),
        ["v6.example.net."]
    );
    assert!(outbox(&t).await.is_empty());
    let again = home.sync(&[]);
    assert_eq!(
        pushed(&again),
        0,
        "a second sync has nothing to do: {again}"
    );
    assert!(differences(&again).is_empty());

    // Changed, then cleared, then an address released: each reaches DNS.
    home.ok(&["ip", "set", &web, "--rdns", "web2.example.net"]);
    assert_eq!(outbox(&t).await, [format!("{web} web2.example.net 0")]);
    let report = home.sync(&[]);
    assert_eq!(differences(&report), [format!("{web} different")]);
    assert_eq!(pdns.ptrs(V4_ZONE)[&owner(last)], "web2.example.net.");
    home.ok(&["ip", "set", &web, "--rdns", ""]);
    home.ok(&["ip", "release", &v6]);
    assert_eq!(outbox(&t).await.len(), 2);
    let report = home.sync(&[]);
    assert_eq!(
        differences(&report),
        [format!("{web} released"), format!("{v6} released")]
    );
    assert!(pdns.ptrs(V4_ZONE).is_empty());
    assert!(pdns.ptrs(V6_ZONE).is_empty());
    assert_eq!(
        pdns.ptrs(CLASSLESS_ZONE).len(),
        1,
        "the others are untouched"
    );
    assert!(outbox(&t).await.is_empty());
}

#[tokio::test]
async fn drift_is_reported_fixed_and_pruned_only_on_request() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    pdns.create_zone(V4_ZONE);
    let home = Home::new(&t, "");
    home.configure(&config(&pdns, &home, "create_zones = true"));
    pools(&home);
    let a = home.named("203.0.113.0/24", "a.example.net");
    let b = home.named("203.0.113.0/24", "b.example.net");
    home.sync(&[]);

    // Outside carve: one PTR changed, one deleted, one added.
    pdns.put_ptr(
        V4_ZONE,
        &owner(a.rsplit('.').next().unwrap()),
        "evil.example.org",
    );
    pdns.delete_ptr(V4_ZONE, &owner(b.rsplit('.').next().unwrap()));
    pdns.put_ptr(V4_ZONE, &owner("200"), "hand-made.example.org");
    let before = pdns.ptrs(V4_ZONE);
    let dry = home.sync(&["--dry-run"]);
    assert_eq!(
        differences(&dry),
        [
            format!("{a} different"),
            format!("{b} missing"),
            "203.0.113.200 extra".to_owned()
        ]
    );
    assert_eq!(pdns.ptrs(V4_ZONE), before, "a dry run writes nothing");

    let report = home.sync(&[]);
    assert_eq!(
        pushed(&report),
        2,
        "the extra is kept without --prune: {report}"
    );
    let ptrs = pdns.ptrs(V4_ZONE);
    assert_eq!(
        ptrs[&owner(a.rsplit('.').next().unwrap())],
        "a.example.net."
    );
    assert_eq!(ptrs[&owner("200")], "hand-made.example.org.");
    // The pane shows what the last sync left different.
    let detail =
        carve::service::browse::detail(&t.db(), &support::site::net("203.0.113.0/24"), None)
            .await
            .unwrap();
    let extra = detail
        .ptrs
        .iter()
        .find(|p| p.address.addr().to_string() == "203.0.113.200");
    let extra = extra.expect("the extra is listed");
    assert!(extra.drift && extra.rdns.is_none(), "{extra:?}");
    assert_eq!(extra.dns.as_deref(), Some("hand-made.example.org"));
    assert!(
        detail
            .ptrs
            .iter()
            .filter(|p| p.rdns.is_some())
            .all(|p| !p.drift && !p.pending)
    );

    let pruned = home.sync(&["--prune"]);
    assert_eq!(differences(&pruned), ["203.0.113.200 extra"]);
    assert_eq!(pdns.ptrs(V4_ZONE).len(), 2);
    let detail =
        carve::service::browse::detail(&t.db(), &support::site::net("203.0.113.0/24"), None)
            .await
            .unwrap();
    assert!(detail.ptrs.iter().all(|p| !p.drift), "{:?}", detail.ptrs);
}

#[tokio::test]
async fn a_thousand_names_go_in_one_sync() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    let home = Home::new(&t, "");
    let provider = home.powerdns(&pdns, "prefixes = [\"10.20.0.0/22\"]\ncreate_zones = true");
    home.configure(&provider);
    home.ok(&["subnet", "add", "10.20.0.0/22", "--pool"]);
    let mut csv = String::from("address,rdns\n");
    for i in 1..=1000u32 {
        csv += &format!("10.20.{}.{},host-{i}.example.net\n", i / 256, i % 256);
    }
    let file = home.path().join("names.csv");
    std::fs::write(&file, csv).unwrap();
    home.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(outbox(&t).await.len(), 1000);

    let started = Instant::now();
    let report = home.sync(&[]);
    let took = started.elapsed();
    println!("rdns sync of 1000 PTRs into PowerDNS (4 zones created): {took:.2?}");
    assert_eq!(pushed(&report), 1000);
    let total: usize = pdns.zones().iter().map(|z| pdns.ptrs(z).len()).sum();
    assert_eq!(total, 1000);
    assert!(outbox(&t).await.is_empty());
    assert_eq!(pushed(&home.sync(&[])), 0);
}

#[tokio::test]
async fn a_classless_zone_carve_creates_is_delegated_from_its_parent_on_the_same_server() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    pdns.create_zone("100.51.198.in-addr.arpa");
    let home = Home::new(&t, "");
    home.configure(&config(&pdns, &home, "create_zones = true"));
    home.ok(&["subnet", "add", "198.51.100.64/26", "--pool"]);
    let small = home.named("198.51.100.64/26", "small.example.net");
    let report = home.sync(&["--provider", "pdns"]);
    let classless = report["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone"] == CLASSLESS_ZONE)
        .unwrap();
    assert_eq!(
        classless["note"],
        "delegated from zone 100.51.198.in-addr.arpa"
    );
    let host = small.rsplit('.').next().unwrap();
    let aliases = pdns.records("100.51.198.in-addr.arpa", "CNAME");
    assert_eq!(aliases.len(), 64, "one per address of the block");
    assert_eq!(
        aliases[&format!("{host}.100.51.198.in-addr.arpa.")],
        format!("{host}.{CLASSLESS_ZONE}.")
    );
    assert_eq!(
        pdns.records("100.51.198.in-addr.arpa", "NS")[&format!("{CLASSLESS_ZONE}.")],
        "ns1.example.net."
    );
    // A zone on an octet boundary needs nothing from its parent in carve's hands.
    let v4 = report["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zone"] == V4_ZONE)
        .unwrap();
    assert!(v4["note"].is_null(), "{v4}");
}
