//! `carve import` through the real binary on the fixtures in tests/fixtures/import (made
//! by make_fixtures.py there): a clean sheet, a messy Latin-1 one, an XLSX with two
//! sheets, XLS and ODS, a file of conflicts (every bad row listed, nothing changed),
//! hostile text (stored as given, never shown raw), dry runs and bad files.

mod support;

use serde_json::Value;
use support::TestDb;
use support::cli::Cli;
use support::site::count;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn cli_of<'a>(t: &'a TestDb, home: &'a tempfile::TempDir) -> Cli<'a> {
    Cli {
        home: home.path(),
        url: &t.url,
    }
}

/// FRA1 with VLANs 102 and 200, as every fixture expects.
fn site(cli: &Cli) {
    cli.ok(&["location", "add", "FRA1"]);
    cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", "102"]);
    cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", "200"]);
}

/// Blocks that carry meaning, as `cidr status customer`, in address order.
async fn meaningful(t: &TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT concat_ws(' ', s.cidr, s.allocation_status, c.name) FROM subnets s
         LEFT JOIN customers c ON c.id = s.customer_id
         WHERE s.parent_id IS NULL OR s.customer_id IS NOT NULL OR s.description IS NOT NULL
            OR s.allocation_status IN ('allocated', 'reserved') OR s.is_pool
         ORDER BY s.cidr",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn clean_and_messy_sheets_import_and_again_change_nothing() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = cli_of(&t, &home);
    site(&cli);
    let report = cli.ok(&["import", &fixture("clean.csv")]);
    assert_eq!(
        (report["rows"].as_u64(), report["ips"].as_u64()),
        (Some(9), Some(3))
    );
    assert_eq!(
        meaningful(&t).await,
        [
            "198.51.100.0/24 subdivided",
            "198.51.100.0/26 allocated Acme",
            "198.51.100.64/26 reserved",
            "2001:db8:100::/48 subdivided",
            "2001:db8:100:1::/64 allocated Acme",
        ]
    );
    let ip = cli.ok(&["ip", "show", "198.51.100.10"]);
    assert_eq!(ip["rdns"], "web1.acme.example");
    assert_eq!(ip["vlan"], 102);
    t.assert_tree_is_sound().await;

    // The same file again: everything is in place, nothing changes, nothing journaled.
    let tree = t.snapshot().await;
    let again = cli.ok(&["import", &fixture("clean.csv")]);
    assert_eq!(
        (again["subnets"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(9))
    );
    assert_eq!(t.snapshot().await, tree);
    let imports = "SELECT count(*) FROM provisioning_logs WHERE event = 'import'";
    assert_eq!(count(&t, imports).await, 1);

    let messy = cli.ok(&["import", &fixture("messy.csv")]);
    assert_eq!(messy["ignored_columns"], serde_json::json!(["Rack"]));
    let expected = [
        "10.20.0.0/16 subdivided",
        "10.20.1.0/24 allocated Müller GmbH",
        "10.20.2.0/24 allocated Müller GmbH",
        "10.20.4.0/23 unallocated",
        "10.20.8.0/22 allocated Globex",
        "2001:db8:20::/48 subdivided",
        "2001:db8:20:1::/64 allocated Globex",
    ];
    let all = meaningful(&t).await;
    for row in expected {
        assert!(all.iter().any(|r| r == row), "{row} missing from {all:?}");
    }
    let gateway = cli.ok(&["ip", "show", "10.20.1.5"]);
    assert_eq!(gateway["rdns"], "gw.mueller.example");
    assert_eq!(gateway["customer"], "Müller GmbH");
    let vlan = "SELECT v.vid::bigint FROM subnets s JOIN vlans v ON v.id = s.vlan_id WHERE s.cidr = '10.20.8.0/22'";
    assert_eq!(count(&t, vlan).await, 200);
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn workbooks_import_every_sheet_or_the_one_asked_for() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = cli_of(&t, &home);
    site(&cli);
    let only = cli.ok(&["import", &fixture("two_sheets.xlsx"), "--sheet", "IPv6"]);
    assert_eq!(only["subnets_from_rows"], 2);
    let both = cli.ok(&["import", &fixture("two_sheets.xlsx")]);
    assert_eq!(both["subnets_from_rows"], 3, "{both}");
    assert_eq!(both["unchanged"], 2);
    assert_eq!(both["ignored_sheets"], serde_json::json!(["Notes"]));
    // VLAN 102 was a number in the workbook (and 102.0 on the next row).
    let tagged =
        "SELECT count(*) FROM subnets s JOIN vlans v ON v.id = s.vlan_id WHERE v.vid = 102";
    assert_eq!(count(&t, tagged).await, 2);
    cli.ok(&["import", &fixture("legacy.xls")]);
    cli.ok(&["import", &fixture("inventory.ods")]);
    let hooli = "SELECT count(*) FROM subnets s JOIN customers c ON c.id = s.customer_id WHERE c.name = 'Hooli'";
    assert_eq!(count(&t, hooli).await, 2);
    t.assert_tree_is_sound().await;

    // Exported as XLSX (and as JSON), the tree imports into an empty database as it was.
    let file = home.path().join("out.xlsx");
    let path = file.to_str().unwrap();
    let (code, _, stderr) = support::run(
        support::carve(home.path())
            .args(["--database-url", &t.url])
            .args(["export", "--format", "xlsx", "--output", path]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("subnets and 0 addresses to"), "{stderr}");
    let json = cli.ok(&["export"]);
    let first = &json.as_array().unwrap()[0];
    assert_eq!(
        (first["subnet"].as_str(), first["status"].as_str()),
        (Some("100.64.0.0/24"), Some("allocated"))
    );
    let copy = support::test_db().await;
    let into = cli_of(&copy, &home);
    site(&into);
    into.ok(&["import", path]);
    let csv = |url: &str| {
        support::run(
            support::carve(home.path())
                .args(["--database-url", url])
                .arg("export"),
        )
        .1
    };
    assert_eq!(csv(&copy.url), csv(&t.url));
    assert_eq!(meaningful(&copy).await, meaningful(&t).await);
}

#[tokio::test]
async fn a_file_with_conflicts_lists_every_bad_row_and_changes_nothing() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = cli_of(&t, &home);
    site(&cli);
    let before = t.snapshot().await;
    let (code, doc, stderr) = cli.json(&["import", &fixture("conflicts.csv")], None);
    assert_eq!(
        (code, doc["error"]["kind"].as_str()),
        (1, Some("validation"))
    );
    for line in [
        "row 3: 192.0.2.0/26 for \"Globex\" overlaps 192.0.2.0/24, held for \"Acme\" (on row 2)",
        "row 4: 192.0.2.0/24 is on row 2 already (a duplicate)",
        "row 5: 192.0.2.77/26 has host bits set (did you mean 192.0.2.64/26?)",
        "row 6: unknown VLAN 999 at FRA1",
        "row 7: unknown location \"AMS9\"",
        "row 8: \"banana\"",
    ] {
        assert!(stderr.contains(line), "{line:?} not in {stderr}");
    }
    let (code, _, stderr) = cli.json(&["import", &fixture("conflicts_ips.csv")], None);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("row 2: 192.0.2.10 is outside every subnet"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 3: 192.0.2.10 is on row 2 already"),
        "{stderr}"
    );
    assert!(
        stderr.contains("row 4: \"not-an-ip\" is not an IP address"),
        "{stderr}"
    );
    assert_eq!(t.snapshot().await, before);
    let customers = count(&t, "SELECT count(*) FROM customers").await;
    assert_eq!(customers, 0, "not even the customers were created");

    // A dry run lists the same problems with what would be created; exit 1, no change.
    let (code, plan, _) = cli.json(&["import", &fixture("conflicts.csv"), "--dry-run"], None);
    assert_eq!(code, 1);
    assert_eq!(plan["problems"].as_array().unwrap().len(), 6);
    assert_eq!(t.snapshot().await, before);
    let (code, plan, _) = cli.json(&["import", &fixture("clean.csv"), "--dry-run"], None);
    assert_eq!(code, 0);
    let changes: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        changes.contains(&"create subnet 198.51.100.0/26 allocated customer=Acme pool"),
        "{changes:?}"
    );
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn hostile_text_is_stored_as_given_and_never_shown_raw() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = cli_of(&t, &home);
    cli.ok(&["import", &fixture("malicious.csv")]);
    let stored = "SELECT count(*) FROM customers WHERE name = E'Evil\\x1b[2J\\x1b[31mCorp'";
    assert_eq!(count(&t, stored).await, 1, "stored exactly as given");
    let long = "SELECT length(description)::bigint FROM subnets WHERE cidr = '10.66.1.0/24'";
    assert_eq!(count(&t, long).await, 3000);
    let (code, listing, _) = support::run(
        support::carve(home.path())
            .args(["--database-url", &t.url])
            .args(["subnet", "list"]),
    );
    assert_eq!(code, 0);
    assert!(
        !listing.contains('\u{1b}') && !listing.contains('\u{7}'),
        "{listing:?}"
    );
    assert!(
        listing.lines().all(|l| l.chars().count() < 200),
        "a listing line is too long"
    );
    // Exported to CSV, formula-looking cells cannot run in a spreadsheet.
    let (code, csv, _) = support::run(
        support::carve(home.path())
            .args(["--database-url", &t.url])
            .args(["export"]),
    );
    assert_eq!(code, 0);
    assert!(csv.contains("'=HYPERLINK(\"\"http://x\"\")"), "{csv}");
    assert!(
        csv.contains("'@import") && csv.contains("'+SUM(1)"),
        "{csv}"
    );
}

#[tokio::test]
async fn bad_files_and_options_are_refused_with_a_reason() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = cli_of(&t, &home);
    let no_address = home.path().join("names.csv");
    std::fs::write(&no_address, "name,rack\nweb1,r1\n").unwrap();
    let (clean, workbook, xls) = (
        fixture("clean.csv"),
        fixture("two_sheets.xlsx"),
        fixture("legacy.xls"),
    );
    let cases = [
        (
            vec!["import", "/nonexistent.csv"],
            "cannot read /nonexistent.csv",
        ),
        (
            vec!["import", no_address.to_str().unwrap()],
            "no sheet has a column",
        ),
        (
            vec!["import", &clean, "--sheet", "IPv4"],
            "it has no sheets",
        ),
        (
            vec!["import", &workbook, "--sheet", "Nope"],
            "has no sheet \"Nope\" (it has \"IPv4\", \"IPv6\", \"Notes\")",
        ),
        (
            vec!["import", &xls, "--location", "MARS"],
            "--location \"MARS\" is not a location carve knows",
        ),
    ];
    for (args, words) in cases {
        let (code, doc, _) = cli.json(&args, None);
        assert_eq!(code, 1, "{args:?}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{args:?}: {message}");
    }
    assert_eq!(count(&t, "SELECT count(*) FROM subnets").await, 0);
}
