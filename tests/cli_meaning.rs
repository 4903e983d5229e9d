//! The command line says what it means: a status filter lists what its word says, a
//! malformed address is called one, a refused `subnet set --pool` names the rule,
//! `--json` never changes an export file's format, and an unparked address reads free.

mod support;

use support::cli::Cli;

#[tokio::test]
async fn status_filters_list_what_their_word_says() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    support::cli_cases::allocation(&cli);

    let before = t.snapshot().await;
    let (code, stdout, stderr) = support::run(support::carve(home.path()).args([
        "--database-url",
        &t.url,
        "subnet",
        "list",
        "--status",
        "gone",
    ]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("'gone'") && stderr.contains("free") && stderr.contains("parked"),
        "{stderr}"
    );
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn a_malformed_address_is_called_one_not_an_unknown_customer() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "203.0.113.0/24"]);
    for (query, family) in [("203.0.113.300", "IPv4"), ("2001:db8::g1", "IPv6")] {
        let (code, doc, stderr) = cli.json(&["lookup", query], None);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(doc["error"]["kind"], "validation");
        assert!(
            stderr.contains(&format!("{query:?} is not a valid {family} address")),
            "{stderr}"
        );
        assert!(!stderr.contains("customer"), "{stderr}");
    }
    // A customer whose name merely has digits is still found.
    cli.ok(&["customer", "add", "as64500"]);
    let found = cli.ok(&["lookup", "as64500"]);
    assert_eq!(found["kind"], "customer");
}

#[tokio::test]
async fn a_subdivided_block_cannot_become_a_pool() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "203.0.113.0/24"]);
    cli.ok(&["subnet", "split", "203.0.113.0/24"]);
    let before = t.snapshot().await;
    let (code, doc, stderr) = cli.json(&["subnet", "set", "203.0.113.0/24", "--pool"], None);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["error"]["kind"], "conflict", "{stderr}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("203.0.113.0/24 is subdivided")
            && message.contains("a pool is a leaf")
            && message.contains("carve subnet merge 203.0.113.0/24"),
        "{message}"
    );
    assert_eq!(t.snapshot().await, before);
    // Its halves are leaves and can be.
    let half = cli.ok(&["subnet", "set", "203.0.113.128/25", "--pool"]);
    assert_eq!(half["subnet"]["pool"], true);
}

#[tokio::test]
async fn json_is_about_stdout_never_the_export_files_format() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    cli.ok(&["ip", "allocate", "--subnet", "203.0.113.0/24"]);
    let file = home.path().join("tree.csv");
    let file_arg = file.to_str().unwrap();
    let summary = cli.ok(&["export", "--format", "csv", "--output", file_arg]);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("subnet,ip,"), "{written}");
    assert!(written.contains("203.0.113.1"), "{written}");
    assert_eq!(summary["output"], file_arg);
    assert_eq!(summary["format"], "csv");
    assert_eq!(
        (&summary["subnets"], &summary["addresses"]),
        (&1.into(), &1.into())
    );

    // Without --output, --json prints the rows as JSON; asking for CSV there as well is
    // a contradiction, refused.
    let rows = cli.ok(&["export"]);
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let (code, doc, stderr) = cli.json(&["export", "--format", "csv"], None);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--output FILE"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_unparked_cooling_address_reads_free_without_the_old_reason() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let config = home.path().join("carve.toml");
    std::fs::write(
        &config,
        "[allocation]\nrelease_cooldown = { ips = \"2h\" }\n",
    )
    .unwrap();
    let run = |json: bool, args: &[&str]| {
        let mut command = support::carve(home.path());
        command.arg("--config").arg(&config);
        if json {
            command.arg("--json");
        }
        command.args(["--database-url", &t.url]).args(args);
        support::run(&mut command)
    };
    assert_eq!(
        run(false, &["subnet", "add", "203.0.113.0/24", "--pool"]).0,
        0
    );
    for address in ["203.0.113.1", "203.0.113.2"] {
        let args = ["ip", "allocate", "--subnet", "203.0.113.0/24"];
        assert_eq!(run(false, &args).0, 0);
        assert_eq!(run(false, &["ip", "release", address]).0, 0);
    }
    let (code, text, stderr) = run(false, &["ip", "unpark", "203.0.113.1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(text.contains("state") && text.contains("free"), "{text}");
    assert!(
        !text.contains("parked for") && !text.contains("cooldown"),
        "{text}"
    );
    let (code, doc, stderr) = run(true, &["ip", "unpark", "203.0.113.2"]);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["status"], "free");
    assert!(doc.get("parked_reason").is_none(), "{doc}");
    assert!(doc.get("cooldown_left").is_none(), "{doc}");
}
