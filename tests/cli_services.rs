//! The service commands through the real binary: a product from stdin, provisioning with
//! `--json`, re-provision and cancel, and bad input refused with exit 1 and no change.

mod support;

use support::cli::Cli;

#[tokio::test]
async fn a_service_is_provisioned_reprovisioned_and_cancelled_from_the_command_line() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    support::cli_cases::provisioning(&cli);
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
