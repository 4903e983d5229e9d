//! Catalog changes (locations, customers, VLANs, devices) are journaled like subnet
//! changes: one row per change, in its transaction, naming what changed and who did it.

mod support;

use serde_json::{Value, json};

#[tokio::test]
async fn every_catalog_change_is_journaled_with_what_it_changed() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let carve = |args: &[&str]| {
        let (code, stdout, stderr) = support::run(
            support::carve(home.path())
                .args(["--json", "--database-url", &t.url])
                .args(args),
        );
        assert_eq!(code, 0, "{args:?}: {stderr}");
        serde_json::from_str::<Value>(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    let changes: [&[&str]; 6] = [
        &["location", "add", "FRA1"],
        &["customer", "add", "Acme"],
        &[
            "vlan",
            "add",
            "--location",
            "FRA1",
            "--vid",
            "42",
            "--name",
            "mgmt",
        ],
        &["vlan", "disable", "--location", "FRA1", "--vid", "42"],
        &["vlan", "enable", "--location", "FRA1", "--vid", "42"],
        &[
            "device",
            "add",
            "sw1",
            "--location",
            "FRA1",
            "--kind",
            "switch",
        ],
    ];
    for args in changes {
        carve(args);
    }
    let log = carve(&["log"]);
    let mut rows: Vec<(String, Value)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert!(row["os_user"].is_string(), "who did it: {row}");
            (
                row["event"].as_str().unwrap().to_owned(),
                row["detail"].clone(),
            )
        })
        .collect();
    rows.reverse();
    let subset = |detail: &Value, keys: &[&str]| -> Value {
        keys.iter()
            .map(|k| (k.to_string(), detail[k].clone()))
            .collect()
    };
    let seen: Vec<(String, Value)> = rows
        .iter()
        .map(|(event, detail)| {
            let keys: &[&str] = match event.as_str() {
                "location_add" | "customer_add" => &["name"],
                "vlan_add" => &["location", "vid", "name"],
                "vlan_enable" | "vlan_disable" => &["location", "vid"],
                "device_add" => &["device", "location", "kind"],
                other => panic!("unexpected event {other}: {detail}"),
            };
            (event.clone(), subset(detail, keys))
        })
        .collect();
    let expected = vec![
        ("location_add".to_owned(), json!({"name": "FRA1"})),
        ("customer_add".to_owned(), json!({"name": "Acme"})),
        (
            "vlan_add".to_owned(),
            json!({"location": "FRA1", "vid": 42, "name": "mgmt"}),
        ),
        (
            "vlan_disable".to_owned(),
            json!({"location": "FRA1", "vid": 42}),
        ),
        (
            "vlan_enable".to_owned(),
            json!({"location": "FRA1", "vid": 42}),
        ),
        (
            "device_add".to_owned(),
            json!({"device": "sw1", "location": "FRA1", "kind": "switch"}),
        ),
    ];
    assert_eq!(seen, expected);

    // A refused change journals nothing.
    let (code, _, _) = support::run(
        support::carve(home.path())
            .args(["--json", "--database-url", &t.url])
            .args(["location", "add", "FRA1"]),
    );
    assert_ne!(code, 0, "a duplicate location is refused");
    let again = carve(&["log"]);
    assert_eq!(again.as_array().unwrap().len(), rows.len());
}
