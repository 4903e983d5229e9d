//! Figures are true and agree everywhere (issue 17, item 2), and a release leaves nothing
//! of the last holder (item 4). Every figure is read through the real binary and checked
//! against a count made here, independently of carve.

mod support;

use serde_json::Value;
use support::cli::Cli;

/// (used, reserved, parked, free, total) of a utilisation document.
fn figures(u: &Value) -> (u64, u64, u64, u64, u64) {
    let n = |k: &str| u[k].as_u64().unwrap_or_else(|| panic!("{k} in {u}"));
    (n("used"), n("reserved"), n("parked"), n("free"), n("total"))
}

#[tokio::test]
async fn a_pool_is_its_addresses_used_of_usable_in_every_view() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    let empty = cli.ok(&["subnet", "show", "203.0.113.0/24"]);
    assert_eq!(figures(&empty["utilization"]), (0, 0, 0, 254, 254));
    for _ in 0..32 {
        cli.ok(&["ip", "allocate", "--subnet", "203.0.113.0/24"]);
    }
    // NetBox's test: 32 of 254 usable addresses, 12 %.
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM ip_addresses")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(records, 32);
    let want = (32, 0, 0, 222, 254);
    let show = cli.ok(&["subnet", "show", "203.0.113.0/24"]);
    assert_eq!(figures(&show["utilization"]), want);
    let list = cli.ok(&["subnet", "list"]);
    assert_eq!(figures(&list[0]["utilization"]), want);
    let lookup = cli.ok(&["lookup", "203.0.113.70"]);
    assert_eq!(figures(&lookup["subnets"][0]["utilization"]), want);
    let report = cli.ok(&["report", "utilization"]);
    assert_eq!(figures(&report["pools"][0]), want);

    // The human forms say the same, with one rounding rule.
    let (code, text, _) = support::run(support::carve(home.path()).args([
        "--database-url",
        &t.url,
        "subnet",
        "show",
        "203.0.113.0/24",
    ]));
    assert_eq!(code, 0);
    assert!(text.contains("32 of 254 used (12%), 222 free"), "{text}");
    for args in [&["subnet", "list"][..], &["report", "utilization"]] {
        let (_, text, _) = support::run(
            support::carve(home.path())
                .args(["--database-url", &t.url])
                .args(args),
        );
        let row = text
            .lines()
            .find(|l| l.starts_with("203.0.113.0/24"))
            .unwrap();
        assert!(row.contains(" 12%"), "{args:?}: {row}");
    }
}

#[tokio::test]
async fn parked_and_reserved_space_is_counted_apart_from_used() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "198.51.100.0/24"]);
    cli.ok(&["subnet", "allocate", "--cidr", "198.51.100.0/26"]);
    cli.ok(&[
        "subnet",
        "reserve",
        "198.51.100.64/27",
        "--reason",
        "future core",
    ]);
    cli.ok(&["subnet", "split", "198.51.100.128/25", "--to", "29"]);
    cli.ok(&["subnet", "park", "198.51.100.128/29", "--reason", "abuse"]);
    // Counted here from the leaves: 64 allocated, 32 reserved, 8 parked.
    let want = (64, 32, 8, 152, 256);
    let show = cli.ok(&["subnet", "show", "198.51.100.0/24"]);
    assert_eq!(figures(&show["utilization"]), want);
    let report = cli.ok(&["report", "utilization"]);
    assert_eq!(figures(&report["pools"][0]), want);
    // The list (which leaves the structural root out) says the same of each block.
    let list = cli.ok(&["subnet", "list"]);
    let listed = |cidr: &str| {
        let row = list.as_array().unwrap().iter().find(|s| s["cidr"] == cidr);
        figures(&row.unwrap_or_else(|| panic!("{cidr}: {list}"))["utilization"])
    };
    assert_eq!(listed("198.51.100.64/27"), (0, 32, 0, 0, 32));
    assert_eq!(listed("198.51.100.128/29"), (0, 0, 8, 0, 8));
    // A parked block is not used, a reserved one neither.
    let parked = cli.ok(&["subnet", "show", "198.51.100.128/29"]);
    assert_eq!(figures(&parked["utilization"]), (0, 0, 8, 0, 8));
    let reserved = cli.ok(&["subnet", "show", "198.51.100.64/27"]);
    assert_eq!(figures(&reserved["utilization"]), (0, 32, 0, 0, 32));
    assert_eq!(reserved["reserve_reason"], "future core");
    assert!(reserved["description"].is_null(), "{reserved}");
}

#[tokio::test]
async fn a_release_clears_the_holder_and_undo_puts_it_back() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["location", "add", "FRA1"]);
    cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", "102"]);
    cli.ok(&["customer", "add", "acme"]);
    cli.ok(&["customer", "add", "globex"]);
    cli.ok(&["subnet", "add", "203.0.113.0/24", "--location", "FRA1"]);
    cli.ok(&[
        "subnet",
        "allocate",
        "--cidr",
        "203.0.113.104/29",
        "--customer",
        "acme",
        "--description",
        "from cli",
        "--purpose",
        "transit",
        "--vlan",
        "102",
    ]);
    cli.ok(&["subnet", "release", "203.0.113.104/29"]);
    let after = cli.ok(&["subnet", "show", "203.0.113.104/29"]);
    let s = &after;
    for field in [
        "customer",
        "description",
        "purpose",
        "service",
        "device",
        "vlan",
    ] {
        assert!(s[field].is_null(), "{field} survived the release: {after}");
    }
    // The journal keeps what was cleared.
    let log = cli.ok(&["log", "--event", "release", "--limit", "1"]);
    assert_eq!(log[0]["detail"]["description"], "from cli");
    assert_eq!(log[0]["detail"]["purpose"], "transit");
    assert_eq!(log[0]["detail"]["customer"], "acme");
    // The next holder starts clean.
    let again = cli.ok(&[
        "subnet",
        "allocate",
        "--cidr",
        "203.0.113.104/29",
        "--customer",
        "globex",
    ]);
    assert_eq!(again["cidr"], "203.0.113.104/29");
    let shown = cli.ok(&["subnet", "show", "203.0.113.104/29"]);
    assert_eq!(shown["customer"], "globex");
    assert!(shown["description"].is_null(), "{shown}");
    // Undo the new allocation, then the release: acme's block is back as it was.
    cli.ok(&["undo", "--last"]);
    cli.ok(&["undo", "--last"]);
    let back = cli.ok(&["subnet", "show", "203.0.113.104/29"]);
    let s = &back;
    assert_eq!(
        (&s["customer"], &s["description"], &s["purpose"], &s["vlan"]),
        (
            &Value::from("acme"),
            &Value::from("from cli"),
            &Value::from("transit"),
            &Value::from(102)
        ),
        "{back}"
    );

    // A reserve reason is its own field and goes with the release too.
    cli.ok(&[
        "subnet",
        "reserve",
        "203.0.113.200/29",
        "--reason",
        "for the new router",
    ]);
    let reserved = cli.ok(&["subnet", "show", "203.0.113.200/29"]);
    assert_eq!(reserved["reserve_reason"], "for the new router");
    assert!(reserved["description"].is_null());
    cli.ok(&["subnet", "release", "203.0.113.200/29"]);
    let released = cli.ok(&["subnet", "show", "203.0.113.200/29"]);
    assert!(released["reserve_reason"].is_null(), "{released}");
    let log = cli.ok(&["log", "--event", "release", "--limit", "1"]);
    assert_eq!(log[0]["detail"]["reserve_reason"], "for the new router");
}
