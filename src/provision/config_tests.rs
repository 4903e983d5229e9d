use serde_json::json;

use super::*;

fn faults(value: serde_json::Value) -> Vec<String> {
    parse(&value)
        .expect_err("the config should be refused")
        .iter()
        .map(Fault::to_string)
        .collect()
}

#[test]
fn the_example_of_the_issue_reads_with_defaults_filled_in() {
    let config = parse(&json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "count": 1, "purpose": "primary",
          "vlans": [102], "pools": ["203.0.113.0/24"], "strategy": "split" },
        { "kind": "subnet", "family": 6, "prefix_length": 64,
          "pools": ["2001:db8:1::/48"] } ] }))
    .unwrap();
    assert_eq!(config.mode, Mode::Full);
    assert_eq!(config.rules.len(), 2);
    let ip = &config.rules[0];
    assert_eq!(
        (ip.kind, ip.family, ip.count),
        (RuleKind::Ip, Family::V4, 1)
    );
    assert_eq!(ip.vlans, vec![102]);
    assert_eq!(ip.purpose.as_deref(), Some("primary"));
    let subnet = &config.rules[1];
    assert_eq!(subnet.prefix_length, Some(64));
    assert_eq!(subnet.count, 1, "count defaults to 1");
    assert_eq!(
        subnet.strategy,
        Strategy::Split,
        "strategy defaults to split"
    );
    assert_eq!(
        subnet.pools,
        vec!["2001:db8:1::/48".parse::<IpNet>().unwrap()]
    );
}

#[test]
fn disabled_needs_no_rules() {
    let config = parse(&json!({"mode": "disabled"})).unwrap();
    assert_eq!(config.mode, Mode::Disabled);
    assert!(config.rules.is_empty());
}

#[test]
fn every_fault_is_reported_with_its_json_path() {
    let found = faults(json!({ "mode": "full", "colour": "red", "rules": [
        { "kind": "ip", "family": 4 },
        { "kind": "subnet", "family": 6, "prefix_length": 129, "count": 0,
          "pools": ["2001:db8:1::1/48", "10.0.0.0/8"], "vlans": [0, 102, "x"],
          "strategy": "best", "purpose": "" },
        "nonsense",
        { "kind": "vm", "family": 5, "prefix_length": 24, "sieze": 1 } ] }));
    let expected = [
        "colour: unknown key (expected one of: mode, rules, new_vlan)",
        "rules[1].prefix_length: 129 is out of range for IPv6 (carve manages /32../128)",
        "rules[1].count: 0 is not a whole number from 1 to 1024",
        "rules[1].purpose: \"\" is not a non-empty string",
        "rules[1].vlans[0]: 0 is not a VLAN id (1..4094)",
        "rules[1].vlans[2]: \"x\" is not a VLAN id (1..4094)",
        "rules[1].pools[0]: 2001:db8:1::1/48 has host bits set (did you mean 2001:db8:1::/48?)",
        "rules[1].pools[1]: 10.0.0.0/8 is not IPv6, the rule's family",
        "rules[1].strategy: \"best\" is not \"exact\", \"merge\" or \"split\"",
        "rules[2]: \"nonsense\" is not a rule object",
        "rules[3].sieze: unknown key (expected one of: kind, family, count, prefix_length, purpose, vlans, pools, strategy)",
        "rules[3].kind: \"vm\" is not \"ip\" or \"subnet\"",
        "rules[3].family: 5 is not 4 or 6",
    ];
    for fault in expected {
        assert!(
            found.iter().any(|f| f == fault),
            "missing {fault:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn kind_specific_fields_are_checked() {
    let found = faults(json!({ "mode": "full", "rules": [
        { "kind": "subnet", "family": 4 },
        { "kind": "ip", "family": 4, "prefix_length": 32 },
        { "kind": "subnet", "family": 4, "prefix_length": 29, "pools": ["203.0.113.0/30"] } ] }));
    assert_eq!(
        found,
        vec![
            "rules[0].prefix_length: missing (a subnet rule needs the length it allocates)",
            "rules[1].prefix_length: only subnet rules take a prefix_length (an ip rule hands out single addresses)",
            "rules[2].pools[0]: 203.0.113.0/30 is smaller than the /29 the rule asks for",
        ]
    );
}

#[test]
fn the_top_level_shape_is_checked() {
    assert_eq!(
        faults(json!([1, 2])),
        vec!["$: the config must be a JSON object with \"mode\" and \"rules\""]
    );
    assert_eq!(
        faults(json!({"rules": []})),
        vec!["mode: missing (\"full\" or \"disabled\")"]
    );
    assert_eq!(
        faults(json!({"mode": "full", "rules": {}})),
        vec!["rules: {} is not a list of rules"]
    );
    assert_eq!(
        faults(json!({"mode": "full", "rules": []})),
        vec!["rules: mode \"full\" needs at least one rule (or use mode \"disabled\")"]
    );
    assert_eq!(
        faults(json!({"mode": "FULL"})),
        vec!["mode: \"FULL\" is not \"full\" or \"disabled\""]
    );
}

#[test]
fn the_bundled_example_product_reads() {
    let value = serde_json::from_str(include_str!("../../examples/dedicated-server.json")).unwrap();
    let config = parse(&value).unwrap();
    assert_eq!(config.rules.len(), 3);
    assert_eq!(config.rules[1].purpose.as_deref(), Some("management"));
}

#[test]
fn an_allow_list_entry_given_twice_is_a_fault() {
    let found = faults(json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "vlans": [102, 103, 102], "pools": ["203.0.113.0/24", "203.0.113.0/24"] } ] }));
    assert_eq!(
        found,
        vec![
            "rules[0].vlans[2]: 102 is listed twice",
            "rules[0].pools[1]: 203.0.113.0/24 is listed twice"
        ]
    );
}
