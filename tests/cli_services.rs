//! The service commands through the real binary: a product from stdin, provisioning with
//! `--json`, re-provision and cancel, and bad input refused with exit 1 and no change.

mod support;

use support::cli::Cli;

const CONFIG: &str = r#"{ "mode": "full", "rules": [
    { "kind": "ip", "family": 4, "purpose": "primary", "vlans": [102], "pools": ["203.0.113.64/26"] },
    { "kind": "ip", "family": 4, "purpose": "management", "pools": ["203.0.113.64/26"] },
    { "kind": "subnet", "family": 6, "prefix_length": 64, "pools": ["2001:db8:1::/48"] } ] }"#;

#[tokio::test]
async fn a_service_is_provisioned_reprovisioned_and_cancelled_from_the_command_line() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
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
        Some(CONFIG),
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

#[tokio::test]
async fn bad_input_to_the_service_commands_is_refused_and_changes_nothing() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    cli.site();
    cli.ok(&["device", "add", "srv-1", "--location", "FRA1"]);
    let before = (t.snapshot().await, t.journal().await.len());
    let broken = home.path().join("broken.json");
    std::fs::write(
        &broken,
        "{ \"mode\": \"full\",\n  \"rules\": [ { \"kind\": \"ip\" ]\n}",
    )
    .unwrap();
    let broken = broken.to_str().unwrap().to_owned();
    let bad_rules = r#"{ "mode": "full", "rules": [ { "kind": "subnet", "family": 6, "prefix_length": 129 } ] }"#;
    let cases: Vec<(Vec<&str>, Option<&str>, &str, &str)> = vec![
        (
            vec!["product", "add", "p", "--ipam-config", &broken],
            None,
            "validation",
            ":2:29: not valid JSON: expected `,` or `}`",
        ),
        (
            vec!["product", "add", "p", "--ipam-config", "-"],
            Some(bad_rules),
            "validation",
            "rules[0].prefix_length: 129 is out of range for IPv6",
        ),
        (
            vec![
                "product",
                "add",
                "p",
                "--ipam-config",
                "/nonexistent/p.json",
            ],
            None,
            "validation",
            "cannot read /nonexistent/p.json",
        ),
        (
            vec!["product", "show", "p"],
            None,
            "not_found",
            "unknown product \"p\"",
        ),
        (
            vec!["device", "add", "srv-2", "--location", "MARS"],
            None,
            "not_found",
            "unknown location \"MARS\"",
        ),
        (
            vec!["device", "add", "srv-1", "--location", "FRA1"],
            None,
            "conflict",
            "device \"srv-1\" already exists",
        ),
        (
            vec![
                "service",
                "provision",
                "--customer",
                "cust-7422",
                "--product",
                "p",
                "--device",
                "srv-1",
            ],
            None,
            "not_found",
            "unknown product \"p\"",
        ),
        (
            vec!["service", "cancel", "abc"],
            None,
            "validation",
            "\"abc\" is not a service number",
        ),
        (
            vec!["service", "reprovision", "999"],
            None,
            "not_found",
            "service #999 does not exist",
        ),
        (
            vec!["service", "list", "--status", "gone"],
            None,
            "validation",
            "\"gone\" is not a service status",
        ),
    ];
    for (args, stdin, kind, message) in cases {
        let (code, doc, stderr) = cli.json(&args, stdin);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert_eq!(doc["error"]["kind"], kind, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert_eq!(t.snapshot().await, before.0);
    let products: i64 = sqlx::query_scalar("SELECT (SELECT count(*) FROM products) + (SELECT count(*) FROM services) + (SELECT count(*) FROM devices)")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(products, 1, "only the device of the set-up");
}
