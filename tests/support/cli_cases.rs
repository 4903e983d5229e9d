//! The CLI suite's core allocation and provisioning cases, run against any URL: directly
//! (tests/cli_meaning.rs, tests/cli_services.rs) and through pgbouncer
//! (tests/pgbouncer.rs).

use serde_json::Value;

use super::cli::Cli;

fn cidrs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["cidr"].as_str().unwrap().to_owned())
        .collect()
}

/// A /24 split into /26s, one allocated and one parked: each status filter lists what
/// its word says.
pub fn allocation(cli: &Cli) {
    cli.ok(&["subnet", "add", "203.0.113.0/24"]);
    cli.ok(&["subnet", "split", "203.0.113.0/24", "--to", "26"]);
    cli.ok(&["subnet", "allocate", "--cidr", "203.0.113.0/26"]);
    cli.ok(&["subnet", "park", "203.0.113.64/26", "--reason", "lab"]);

    let free = cli.ok(&["subnet", "list", "--status", "free"]);
    assert_eq!(cidrs(&free), ["203.0.113.128/26", "203.0.113.192/26"]);
    let parked = cli.ok(&["subnet", "list", "--status", "parked"]);
    assert_eq!(cidrs(&parked), ["203.0.113.64/26"]);
    let allocated = cli.ok(&["subnet", "list", "--status", "allocated"]);
    assert_eq!(cidrs(&allocated), ["203.0.113.0/26"]);
}

const PRODUCT: &str = r#"{ "mode": "full", "rules": [
    { "kind": "ip", "family": 4, "purpose": "primary", "vlans": [102], "pools": ["203.0.113.64/26"] },
    { "kind": "ip", "family": 4, "purpose": "management", "pools": ["203.0.113.64/26"] },
    { "kind": "subnet", "family": 6, "prefix_length": 64, "pools": ["2001:db8:1::/48"] } ] }"#;

/// A product from stdin, a service provisioned, re-provisioned and cancelled, with what
/// each step allocated and released.
pub fn provisioning(cli: &Cli) {
    cli.site();
    cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", "102"]);
    cli.ok(&[
        "subnet",
        "add",
        "203.0.113.64/26",
        "--location",
        "FRA1",
        "--vlan",
        "102",
        "--pool",
    ]);
    cli.ok(&["subnet", "add", "2001:db8:1::/48", "--location", "FRA1"]);
    let device = cli.ok(&[
        "device",
        "add",
        "srv-1",
        "--location",
        "FRA1",
        "--kind",
        "server",
    ]);
    assert_eq!(
        (&device["name"], &device["location"]),
        (&"srv-1".into(), &"FRA1".into())
    );
    let (code, product, stderr) = cli.json(
        &["product", "add", "dedicated", "--ipam-config", "-"],
        Some(PRODUCT),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(product["rules"]["rules"][2]["prefix_length"], 64);

    let order = [
        "service",
        "provision",
        "--customer",
        "cust-7422",
        "--product",
        "dedicated",
        "--device",
        "srv-1",
    ];
    let done = cli.ok(&order);
    let id = done["service"]["id"].as_i64().unwrap().to_string();
    let allocations = done["allocations"].as_array().unwrap();
    assert_eq!(allocations[0]["address"], "203.0.113.65");
    assert_eq!(allocations[0]["vlan"], 102);
    assert_eq!(allocations[1]["purpose"], "management");
    assert_eq!(allocations[2]["cidr"], "2001:db8:1::/64");
    assert!(done["events"].as_array().unwrap().len() >= 3);
    let listed = cli.ok(&["service", "list", "--device", "srv-1"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let again = cli.ok(&["service", "reprovision", &id]);
    let released: Vec<&str> = again["released"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["address"].as_str().or(h["cidr"].as_str()).unwrap())
        .collect();
    assert_eq!(
        released,
        ["203.0.113.65", "2001:db8:1::/64"],
        "management stays"
    );
    let cancelled = cli.ok(&["service", "cancel", &format!("#{id}")]);
    assert_eq!(cancelled["service"]["status"], "cancelled");
    let shown = cli.ok(&["service", "show", &id]);
    assert_eq!(shown["addresses"].as_array().unwrap().len(), 0);
    let mgmt = cli.ok(&["ip", "show", "203.0.113.66"]);
    assert_eq!(
        (&mgmt["device"], &mgmt["purpose"]),
        (&"srv-1".into(), &"management".into())
    );

    let (code, doc, stderr) = cli.json(&["service", "cancel", &id], None);
    assert_eq!(code, 1);
    assert_eq!(doc["error"]["kind"], "conflict");
    assert!(
        stderr.starts_with(&format!("error: service #{id} was cancelled at ")),
        "{stderr}"
    );
}
