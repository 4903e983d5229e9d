//! One provider serving a reverse zone and a more specific child zone of it (an IPv6 /32
//! and a /64 of it; an IPv4 /24 and an RFC 2317 /26 of it): each address's PTR goes to
//! its most specific zone, in zone files and in a real PowerDNS.

mod support;

use support::powerdns::PowerDns;
use support::rdns::{Home, differences, outbox, pushed};

const V6_PARENT: &str = "8.b.d.0.1.0.0.2.ip6.arpa";
const V6_CHILD: &str = "2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
const V4_PARENT: &str = "113.0.203.in-addr.arpa";
const V4_CHILD: &str = "64/26.113.0.203.in-addr.arpa";

/// A pool only the parent zone covers, and one inside the child zone, per family.
const POOLS: [&str; 4] = [
    "2001:db8:5::/64",
    "2001:db8:1:2::/64",
    "203.0.113.0/26",
    "203.0.113.64/26",
];

fn internal(directory: &std::path::Path) -> String {
    format!(
        r#"
[[rdns.providers]]
name = "zones"
kind = "internal"
prefixes = ["2001:db8:1:2::/64", "2001:db8::/32", "203.0.113.0/24", "203.0.113.64/26"]
nameservers = ["ns1.example.net"]
directory = "{}"
"#,
        directory.display()
    )
}

/// The PTR lines of a zone file.
fn ptr_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains(" IN PTR ")).collect()
}

#[tokio::test]
async fn zone_files_put_each_name_in_its_most_specific_zone() {
    let t = support::test_db().await;
    let dir = support::reachable_tempdir();
    let home = Home::new(&t, &internal(dir.path()));
    for pool in POOLS {
        home.ok(&["subnet", "add", pool, "--pool"]);
    }
    let names = ["parent6", "child6", "parent4", "child4"];
    for (pool, name) in POOLS.iter().zip(names) {
        home.named(pool, &format!("{name}.example.net"));
    }
    let report = home.sync(&[]);
    assert!(
        report["zones"]
            .as_array()
            .unwrap()
            .iter()
            .all(|z| z["error"].is_null()),
        "{report}"
    );
    assert!(
        outbox(&t).await.is_empty(),
        "every zone file written settles its names"
    );

    let file = |zone: &str| {
        std::fs::read_to_string(dir.path().join(format!("{}.zone", zone.replace('/', "-"))))
            .unwrap()
    };
    let (v6_parent, v6_child) = (file(V6_PARENT), file(V6_CHILD));
    assert_eq!(ptr_lines(&v6_parent).len(), 1, "{v6_parent}");
    assert!(ptr_lines(&v6_parent)[0].ends_with("IN PTR parent6.example.net."));
    assert_eq!(ptr_lines(&v6_child).len(), 1, "{v6_child}");
    assert!(ptr_lines(&v6_child)[0].ends_with("IN PTR child6.example.net."));
    // The parent hands the child zone over to the name servers.
    assert!(
        v6_parent.contains("\n2.0.0.0.1.0.0.0 IN NS ns1.example.net.\n"),
        "{v6_parent}"
    );
    let (v4_parent, v4_child) = (file(V4_PARENT), file(V4_CHILD));
    assert_eq!(ptr_lines(&v4_parent), ["1 IN PTR parent4.example.net."]);
    assert_eq!(ptr_lines(&v4_child), ["65 IN PTR child4.example.net."]);
    assert!(
        v4_parent.contains("\n64/26 IN NS ns1.example.net.\n"),
        "{v4_parent}"
    );
    assert!(v4_parent.contains("\n65 IN CNAME 65.64/26.113.0.203.in-addr.arpa.\n"));

    // A real name server loads all four, and answers each name from its zone.
    let pdns = PowerDns::start();
    for zone in [V6_PARENT, V6_CHILD, V4_PARENT, V4_CHILD] {
        let path = dir.path().join(format!("{}.zone", zone.replace('/', "-")));
        pdns.load_zone_file(zone, &path);
        assert_eq!(pdns.ptrs(zone).len(), 1, "{zone}");
    }
}

#[tokio::test]
async fn powerdns_gets_each_name_in_its_most_specific_zone() {
    let t = support::test_db().await;
    let pdns = PowerDns::start();
    let home = Home::new(&t, "");
    // The child first: its sync's drift must survive the parent's sync after it.
    home.configure(&home.powerdns(
        &pdns,
        "prefixes = [\"2001:db8:1:2::/64\", \"2001:db8::/32\"]\ncreate_zones = true",
    ));
    for pool in &POOLS[..2] {
        home.ok(&["subnet", "add", pool, "--pool"]);
    }
    let parent = home.named(POOLS[0], "parent6.example.net");
    let child = home.named(POOLS[1], "child6.example.net");
    let report = home.sync(&[]);
    assert_eq!(pushed(&report), 2, "{report}");
    assert_eq!(pdns.zones(), [V6_CHILD, V6_PARENT]);
    assert_eq!(
        pdns.ptrs(V6_PARENT).into_values().collect::<Vec<_>>(),
        ["parent6.example.net."]
    );
    assert_eq!(
        pdns.ptrs(V6_CHILD).into_values().collect::<Vec<_>>(),
        ["child6.example.net."]
    );
    let again = home.sync(&[]);
    assert_eq!(pushed(&again), 0, "{again}");
    assert!(differences(&again).is_empty(), "{again}");

    // A PTR added behind carve's back in the child zone stays reported as drift.
    let stray = format!("{}.{V6_CHILD}.", "f.".repeat(16).trim_end_matches('.'));
    pdns.put_ptr(V6_CHILD, &stray, "hand-made.example.org");
    let report = home.sync(&[]);
    assert_eq!(
        differences(&report),
        ["2001:db8:1:2:ffff:ffff:ffff:ffff extra"]
    );
    let detail = carve::service::browse::detail(&t.db(), &support::site::net(POOLS[1]), None)
        .await
        .unwrap();
    assert!(
        detail
            .ptrs
            .iter()
            .any(|p| p.drift && p.dns.as_deref() == Some("hand-made.example.org")),
        "{:?}",
        detail.ptrs
    );

    home.ok(&["ip", "release", &child]);
    home.ok(&["ip", "set", &parent, "--rdns", "renamed.example.net"]);
    let report = home.sync(&[]);
    let mut found = differences(&report);
    found.sort();
    let mut expected = [
        format!("{child} released"),
        format!("{parent} different"),
        "2001:db8:1:2:ffff:ffff:ffff:ffff extra".to_owned(),
    ];
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(
        pdns.ptrs(V6_CHILD).into_values().collect::<Vec<_>>(),
        ["hand-made.example.org."]
    );
    assert_eq!(
        pdns.ptrs(V6_PARENT).into_values().collect::<Vec<_>>(),
        ["renamed.example.net."]
    );
}

#[tokio::test]
async fn only_one_provider_may_hold_a_zone_and_its_child_and_not_twice() {
    let t = support::test_db().await;
    let home = Home::new(&t, "");
    let provider = |name: &str, prefixes: &str| {
        format!(
            "[[rdns.providers]]\nname = \"{name}\"\nkind = \"internal\"\nprefixes = [{prefixes}]\n"
        )
    };
    home.configure(&provider("p", "\"2001:db8::/32\", \"2001:db8:1:2::/64\""));
    let status = home.ok(&["rdns", "status"]);
    assert_eq!(
        status["providers"][0]["zones"],
        serde_json::json!([V6_PARENT, V6_CHILD])
    );
    for (config, rule) in [
        (
            provider("p", "\"2001:db8::/32\"") + &provider("q", "\"2001:db8:1:2::/64\""),
            "zone 8.b.d.0.1.0.0.2.ip6.arpa of provider \"p\" overlaps zone \
             2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa of provider \"q\": each address needs one provider",
        ),
        (
            provider("p", "\"203.0.113.0/24\", \"203.0.113.0/24\""),
            "provider \"p\" serves zone 113.0.203.in-addr.arpa twice",
        ),
    ] {
        home.configure(&config);
        let (code, doc, stderr) = home.json(&["rdns", "status"]);
        assert_eq!(code, 2, "{config}: {doc}");
        assert!(stderr.contains(rule), "{config}: {stderr}");
    }
}
