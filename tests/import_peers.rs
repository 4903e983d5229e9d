//! Moving in from NetBox and phpIPAM: their exports, as they write them (tests/fixtures/
//! import/peers: NetBox's table-view CSV with its em dashes for empty cells and its
//! bulk-import columns, phpIPAM's subnet export and its address export with a title
//! above each subnet's section, a NOC sheet with a merged Site cell), import through the
//! real binary with the statuses mapped as README documents; what carve cannot carry is
//! reported; each peer's space exports, imports into a fresh database and exports the
//! same again.

mod support;

use support::TestDb;
use support::cli::Cli;
use support::site::count;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/peers/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// FRA1 (VLAN 102) and AMS1, as the fixtures expect.
fn site(cli: &Cli) {
    cli.ok(&["location", "add", "FRA1"]);
    cli.ok(&["location", "add", "AMS1"]);
    cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", "102"]);
}

/// `state customer reason` of one address, as `ip show` says it.
fn address(cli: &Cli, ip: &str) -> String {
    let doc = cli.ok(&["ip", "show", ip]);
    let text = |key: &str| doc[key].as_str().unwrap_or("-").to_owned();
    let reason = match doc["status"].as_str() {
        Some("reserved") => text("reserve_reason"),
        Some("parked") => text("parked_reason"),
        _ => text("purpose"),
    };
    format!("{} {} {reason}", text("status"), text("customer"))
}

/// `state customer reason` of one block, as the database holds it.
async fn block(t: &TestDb, cidr: &str) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws(' ', CASE WHEN s.is_unavailable THEN 'parked' END, s.allocation_status,
                          CASE WHEN s.is_pool THEN 'pool' END, c.name,
                          coalesce(s.reserve_reason, s.unavailable_reason))
         FROM subnets s LEFT JOIN customers c ON c.id = s.customer_id WHERE s.cidr = $1::cidr",
    )
    .bind(cidr)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

/// `carve export` as CSV on stdout (a pipe: exact).
fn export(home: &std::path::Path, url: &str) -> String {
    let (code, csv, stderr) =
        support::run(support::carve(home).args(["--database-url", url, "export"]));
    assert_eq!(code, 0, "{stderr}");
    csv
}

/// The tree of `t` exports, imports into a fresh database, and exports the same again.
async fn round_trip(t: &TestDb, home: &tempfile::TempDir) {
    let first = export(home.path(), &t.url);
    let (copy, copy_home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(copy_home.path(), &copy.url);
    site(&cli);
    cli.import("export.csv", &first);
    copy.assert_tree_is_sound().await;
    assert_eq!(export(copy_home.path(), &copy.url), first);
}

#[tokio::test]
async fn a_netbox_export_imports_with_its_statuses_mapped() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    site(&cli);
    let dry = cli.ok(&["import", "--dry-run", &fixture("netbox_prefixes.csv")]);
    let became: Vec<String> = dry["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{} -> {}", m["status"], m["became"].as_str().unwrap()))
        .collect();
    assert_eq!(
        became,
        [
            "\"Active\" -> allocated",
            "\"Container\" -> block",
            "\"Deprecated\" -> allocated, parked (Deprecated)",
            "\"Reserved\" -> reserved",
        ],
        "{dry}"
    );
    assert_eq!(
        dry["ignored_columns"],
        serde_json::json!(["Children", "Utilization"])
    );
    assert_eq!(
        dry["not_carried"],
        serde_json::json!(["VRF on 1 row(s): \"Cust-A\""])
    );
    cli.ok(&["import", &fixture("netbox_prefixes.csv")]);
    assert_eq!(block(&t, "10.20.0.0/16").await, "subdivided");
    assert_eq!(block(&t, "10.20.0.0/24").await, "allocated Acme");
    assert_eq!(block(&t, "10.20.1.0/24").await, "reserved");
    assert_eq!(
        block(&t, "10.20.2.0/24").await,
        "parked allocated Globex Deprecated"
    );
    let vlan = "SELECT v.vid::bigint FROM subnets s JOIN vlans v ON v.id = s.vlan_id
                WHERE s.cidr = '10.20.0.0/24'";
    assert_eq!(count(&t, vlan).await, 102, "Cust-Edge (102) is VLAN 102");

    // The addresses live in ordinary prefixes: theirs becomes a pool.
    let report = cli.ok(&["import", &fixture("netbox_ip_addresses.csv")]);
    assert_eq!(report["ips"], 7, "{report}");
    assert_eq!(
        report["not_carried"],
        serde_json::json!(["interface on 4 row(s)"])
    );
    assert_eq!(block(&t, "10.20.0.0/24").await, "allocated pool Acme");
    assert_eq!(address(&cli, "10.20.0.1"), "allocated Acme VIP");
    assert_eq!(address(&cli, "10.20.0.6"), "reserved Acme -");
    assert_eq!(address(&cli, "10.20.0.7"), "parked Acme Deprecated");
    assert_eq!(address(&cli, "10.20.0.100"), "reserved - DHCP");
    assert_eq!(address(&cli, "2001:db8:20:1::10"), "allocated Acme SLAAC");
    // 10.20.4.10/24: in the /24 its interface mask names, carved from free space.
    assert_eq!(block(&t, "10.20.4.0/24").await, "unallocated pool");
    t.assert_tree_is_sound().await;

    // The usage line counts reserved addresses as reserved, parked as parked.
    let pool = cli.ok(&["subnet", "show", "10.20.0.0/24"]);
    let u = &pool["utilization"];
    let records = |flag: &str| {
        format!("SELECT count(*) FROM ip_addresses WHERE address << '10.20.0.0/24' AND {flag}")
    };
    let used = count(&t, &records("NOT is_reserved AND NOT is_unavailable")).await;
    let reserved = count(&t, &records("is_reserved AND NOT is_unavailable")).await;
    let parked = count(&t, &records("is_unavailable")).await;
    assert_eq!((used, reserved, parked), (2, 2, 1));
    assert_eq!(
        (
            u["used"].as_i64(),
            u["reserved"].as_i64(),
            u["parked"].as_i64()
        ),
        (Some(used), Some(reserved), Some(parked)),
        "{pool}"
    );
    assert_eq!(u["free"].as_i64(), Some(254 - used - reserved - parked));

    // Both files again: nothing changes.
    let again = cli.ok(&["import", &fixture("netbox_prefixes.csv")]);
    assert_eq!(again["subnets"], 0, "{again}");
    let again = cli.ok(&["import", &fixture("netbox_ip_addresses.csv")]);
    assert_eq!(
        (again["ips"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(7))
    );
    round_trip(&t, &home).await;
}

#[tokio::test]
async fn netbox_bulk_import_columns_import_too() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    site(&cli);
    cli.ok(&["import", &fixture("netbox_bulk_prefixes.csv")]);
    cli.ok(&["import", &fixture("netbox_bulk_ip_addresses.csv")]);
    assert_eq!(block(&t, "10.30.0.0/16").await, "subdivided");
    assert_eq!(block(&t, "10.30.1.0/24").await, "allocated pool Acme");
    assert_eq!(
        block(&t, "10.30.3.0/24").await,
        "parked unallocated deprecated"
    );
    assert_eq!(address(&cli, "10.30.1.11"), "reserved - dhcp");
    assert_eq!(address(&cli, "10.30.1.12"), "reserved Acme -");
    t.assert_tree_is_sound().await;
    round_trip(&t, &home).await;
}

#[tokio::test]
async fn a_phpipam_export_imports_with_every_section_reported() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    site(&cli);
    let subnets = cli.ok(&[
        "import",
        "--location",
        "FRA1",
        &fixture("phpipam_subnets.csv"),
    ]);
    assert_eq!(
        subnets["not_carried"],
        serde_json::json!(["VRF on 1 row(s): \"Cust-B\""])
    );
    let dry = cli.ok(&["import", "--dry-run", &fixture("phpipam_addresses.csv")]);
    // The second section's own column is reported too.
    assert_eq!(
        dry["ignored_columns"],
        serde_json::json!(["custom_rack"]),
        "{dry}"
    );
    assert_eq!(
        dry["not_carried"],
        serde_json::json!([
            "MAC address on 3 row(s)",
            "port on 2 row(s)",
            "switch on 2 row(s)"
        ])
    );
    let became: Vec<String> = dry["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let became = m["became"].as_str().unwrap();
            format!("{} -> {became} x{}", m["status"], m["rows"])
        })
        .collect();
    assert_eq!(
        became,
        [
            "\"DHCP\" -> reserved (DHCP) x1",
            "\"Offline\" -> parked (Offline) x1",
            "\"Reserved\" -> reserved x1",
            "\"Used\" -> allocated x3",
        ]
    );
    cli.ok(&["import", &fixture("phpipam_addresses.csv")]);
    assert_eq!(block(&t, "10.40.1.0/24").await, "unallocated pool");
    assert_eq!(address(&cli, "10.40.1.12"), "parked - Offline");
    let note = cli.ok(&["ip", "show", "10.40.1.10"]);
    assert_eq!(note["description"], "web; rack 4", "phpIPAM's note is kept");
    assert_eq!(address(&cli, "10.40.2.5"), "allocated - -");
    t.assert_tree_is_sound().await;
    round_trip(&t, &home).await;
}

#[tokio::test]
async fn a_merged_site_cell_fills_down_and_bare_hosts_are_addresses() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    site(&cli);
    let file = fixture("noc_merged_site.csv");
    let dry = cli.ok(&["import", "--dry-run", "--fill-down", "Site", &file]);
    let filled: Vec<String> = dry["filled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} from {}", f["at"]["row"], f["value"], f["from_row"]))
        .collect();
    assert_eq!(
        filled,
        [
            "3 \"FRA1\" from 2",
            "4 \"FRA1\" from 2",
            "5 \"FRA1\" from 2",
            "7 \"AMS1\" from 6"
        ]
    );
    cli.ok(&["import", "--fill-down", "Site", &file]);
    let at = "SELECT count(*) FROM subnets s JOIN locations l ON l.id = s.location_id
              WHERE s.cidr = '10.50.1.0/24' AND l.name = 'FRA1'";
    assert_eq!(count(&t, at).await, 1);
    // A bare host in the subnet column is an address of the block holding it; the
    // customer's block stays whole, as their pool.
    assert_eq!(block(&t, "10.50.1.0/24").await, "allocated pool Globex");
    assert_eq!(address(&cli, "10.50.1.1"), "allocated Globex -");
    let carved = "SELECT count(*) FROM subnets WHERE cidr << '10.50.1.0/24'";
    assert_eq!(count(&t, carved).await, 0);
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn refused_rows_name_the_row_and_the_fix() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    site(&cli);
    let tree = t.snapshot().await;
    let sheet = home.path().join("bad.csv");
    std::fs::write(
        &sheet,
        "Subnet,Customer,Status,VLAN\n\
         10.70.0.0/24,Acme,,\n\
         10.80.0.1,,,\n\
         web1.example.net,,,\n\
         10.70.1.0/24,,Retired,\n\
         10.70.2.0/24,,,Cust-Edge\n",
    )
    .unwrap();
    let (code, _, stderr) = cli.json(&["import", sheet.to_str().unwrap()], None);
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "row 3: 10.80.0.1 in the subnet column has no prefix length and lies in no block \
         of the file or of carve: write it as ADDRESS/LENGTH",
        "row 4: \"web1.example.net\" is neither a prefix (ADDRESS/LENGTH) nor an address",
        "row 5: status \"Retired\" is not one carve knows",
        "row 6: \"Cust-Edge\" is not a VLAN (102, VLAN102, or a name and its VID: Cust-Edge (102))",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected:?} missing from {stderr}"
        );
    }
    // An address for another customer in Acme's block names the block and the fix.
    let ips = home.path().join("ips.csv");
    std::fs::write(
        &ips,
        "Subnet,IP,Customer,Status\n10.70.0.0/24,,Acme,\n,10.70.0.9,Globex,used\n",
    )
    .unwrap();
    let (code, _, stderr) = cli.json(&["import", ips.to_str().unwrap()], None);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "row 3: 10.70.0.9 for \"Globex\" lies in 10.70.0.0/24, held for \"Acme\" (on row 2): \
             name \"Acme\" on the row, or no customer"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = cli.json(
        &["import", "--fill-down", "Rack", ips.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--fill-down \"Rack\": no header of the file names that column"),
        "{stderr}"
    );
    assert_eq!(t.snapshot().await, tree, "nothing changed");
}

#[tokio::test]
async fn the_database_holds_an_address_reservation_to_its_rules() {
    let (t, home) = (support::test_db().await, support::reachable_tempdir());
    let cli = Cli::of(home.path(), &t.url);
    site(&cli);
    cli.import(
        "pool.csv",
        "subnet,ip,status\n10.90.0.0/29,,\n,10.90.0.2,used\n,10.90.0.3,reserved\n",
    );
    for (change, rule) in [
        (
            "UPDATE ip_addresses SET reserve_reason = 'x' WHERE address = '10.90.0.2'",
            "ip_addresses_reserve_reason_only_reserved",
        ),
        (
            "UPDATE ip_addresses SET is_unavailable = true, cooldown_until = now()
             WHERE address = '10.90.0.3'",
            "ip_addresses_cooling_not_reserved",
        ),
    ] {
        let err = sqlx::query(change).execute(&t.pool).await.unwrap_err();
        assert!(err.to_string().contains(rule), "{change}: {err}");
    }
    assert_eq!(address(&cli, "10.90.0.3"), "reserved - -");
}
