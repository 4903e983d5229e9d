use super::*;

fn net(text: &str) -> IpNet {
    text.parse().unwrap()
}

fn addr(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn names(prefix: &str) -> Vec<String> {
    Zone::for_prefix(net(prefix))
        .into_iter()
        .map(|z| z.name)
        .collect()
}

#[test]
fn prefixes_become_the_zones_that_serve_them() {
    assert_eq!(names("203.0.113.0/24"), ["113.0.203.in-addr.arpa"]);
    assert_eq!(names("10.0.0.0/8"), ["10.in-addr.arpa"]);
    assert_eq!(
        names("198.51.0.0/23"),
        ["0.51.198.in-addr.arpa", "1.51.198.in-addr.arpa"]
    );
    assert_eq!(names("203.0.113.64/26"), ["64/26.113.0.203.in-addr.arpa"]);
    assert_eq!(names("2001:db8::/32"), ["8.b.d.0.1.0.0.2.ip6.arpa"]);
    assert_eq!(
        names("2001:db8:fe00::/39"),
        [
            "e.f.8.b.d.0.1.0.0.2.ip6.arpa",
            "f.f.8.b.d.0.1.0.0.2.ip6.arpa"
        ]
    );
    assert_eq!(Zone::for_prefix(net("10.128.0.0/9")).len(), 128);
}

#[test]
fn zone_names_parse_back_to_their_prefix() {
    for prefix in [
        "203.0.113.0/24",
        "10.0.0.0/8",
        "172.16.0.0/16",
        "203.0.113.64/26",
        "203.0.113.7/32",
        "2001:db8::/32",
        "2001:db8:1:2::/64",
        "2001:db8::1/128",
    ] {
        let zone = &Zone::for_prefix(net(prefix))[0];
        assert_eq!(Zone::parse(&zone.name).unwrap(), *zone, "{prefix}");
        assert_eq!(
            Zone::parse(&format!("{}.", zone.name.to_uppercase())).unwrap(),
            *zone
        );
    }
}

#[test]
fn bad_zone_names_say_why() {
    for (name, rule) in [
        ("example.com", "in-addr.arpa or ip6.arpa"),
        ("300.0.203.in-addr.arpa", "not an octet"),
        ("1.2.3.4.in-addr.arpa", "1 to 3 octets"),
        ("65/26.113.0.203.in-addr.arpa", "host bits"),
        ("64/24.113.0.203.in-addr.arpa", "LEN 25-32"),
        ("g.8.b.d.0.1.0.0.2.ip6.arpa", "not a hex digit"),
        ("10.8.b.d.0.1.0.0.2.ip6.arpa", "not a hex digit"),
    ] {
        let error = Zone::parse(name).unwrap_err();
        assert!(error.contains(rule), "{name}: {error}");
    }
}

#[test]
fn owners_round_trip_through_their_zone() {
    let v4 = &Zone::for_prefix(net("203.0.113.0/24"))[0];
    assert_eq!(v4.owner(addr("203.0.113.70")), "70.113.0.203.in-addr.arpa");
    let classless = &Zone::for_prefix(net("203.0.113.64/26"))[0];
    assert_eq!(
        classless.owner(addr("203.0.113.70")),
        "70.64/26.113.0.203.in-addr.arpa"
    );
    let v6 = &Zone::for_prefix(net("2001:db8::/32"))[0];
    let one = addr("2001:db8::1");
    assert_eq!(
        v6.owner(one),
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    );
    for (zone, address) in [
        (v4, "203.0.113.70"),
        (classless, "203.0.113.127"),
        (v6, "2001:db8::1"),
    ] {
        let address = addr(address);
        assert_eq!(
            zone.address_of(&format!("{}.", zone.owner(address))),
            Some(address)
        );
    }
    // Names that are no address of the zone: its apex, another block, garbage.
    assert_eq!(classless.address_of("5.64/26.113.0.203.in-addr.arpa"), None);
    assert_eq!(classless.address_of(&classless.name), None);
    assert_eq!(v4.address_of("113.0.203.in-addr.arpa."), None);
    assert_eq!(v4.address_of("70.114.0.203.in-addr.arpa"), None);
    assert_eq!(v6.address_of("x.ip6.arpa"), None);
}
