//! `carve ip reserve` / `carve ip unreserve` (issue 20: an address can be reserved, not
//! only allocated or parked) through the real binary: what they record and journal, the
//! allocator passing reserved addresses by, the usage figures, `carve undo` of both and
//! the palette's held plan. Refusals: tests/ip_reserve_refusals.rs.

mod support;

use serde_json::Value;
use support::cli::Cli;
use support::reserve::{journaled, refused, state};

#[tokio::test]
async fn a_free_address_is_reserved_shown_passed_by_and_freed_again() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.0.0.0/29", "--pool"]);

    let before = state(&t).await;
    let plan = cli.ok(&[
        "ip",
        "reserve",
        "10.0.0.1",
        "--reason",
        "gateway",
        "--dry-run",
    ]);
    assert_eq!(plan["dry_run"], true, "{plan}");
    assert_eq!(plan["status"], "reserved", "{plan}");
    assert_eq!(state(&t).await, before, "a dry run changed something");

    let done = cli.ok(&["ip", "reserve", "10.0.0.1", "--reason", "gateway"]);
    assert_eq!(
        (&done["status"], &done["reserve_reason"], &done["dry_run"]),
        (
            &Value::from("reserved"),
            &Value::from("gateway"),
            &Value::from(false)
        ),
        "{done}"
    );
    assert_eq!(journaled(&t, "reserve", "10.0.0.1").await, 1);
    let shown = cli.ok(&["ip", "show", "10.0.0.1"]);
    assert_eq!(shown["reserved"], true, "{shown}");
    assert_eq!(shown["reserve_reason"], "gateway", "{shown}");
    let (code, text, _) = support::run(support::carve(home.path()).args([
        "--database-url",
        &t.url,
        "ip",
        "show",
        "10.0.0.1",
    ]));
    assert_eq!(code, 0);
    assert!(
        text.contains("reserved") && text.contains("gateway"),
        "{text}"
    );

    // The allocator's next-free search passes it by, and a chosen allocation names it.
    let next = cli.ok(&["ip", "allocate", "--subnet", "10.0.0.0/29"]);
    assert_eq!(next["address"], "10.0.0.2", "{next}");
    let (kind, message) = refused(&cli, &["ip", "allocate", "--address", "10.0.0.1"]);
    assert_eq!(kind, "conflict");
    assert!(
        message.contains("10.0.0.1 is reserved (gateway)")
            && message.contains("carve ip unreserve 10.0.0.1"),
        "{message}"
    );

    let freed = cli.ok(&["ip", "unreserve", "10.0.0.1"]);
    assert_eq!(freed["status"], "free", "{freed}");
    assert_eq!(journaled(&t, "unreserve", "10.0.0.1").await, 1);
    let records: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ip_addresses WHERE address = '10.0.0.1'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(records, 0, "a record that only reserved the address stays");
    let again = cli.ok(&["ip", "allocate", "--subnet", "10.0.0.0/29"]);
    assert_eq!(again["address"], "10.0.0.1", "{again}");
}

#[tokio::test]
async fn a_full_pool_never_hands_out_its_reserved_addresses() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.0.0.0/29", "--pool"]);
    for address in ["10.0.0.3", "10.0.0.5"] {
        cli.ok(&["ip", "reserve", address, "--reason", "DHCP"]);
    }
    let mut handed = Vec::new();
    for _ in 0..4 {
        let ip = cli.ok(&["ip", "allocate", "--subnet", "10.0.0.0/29"]);
        handed.push(ip["address"].as_str().unwrap().to_owned());
    }
    assert_eq!(handed, ["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.6"]);
    let (kind, message) = refused(&cli, &["ip", "allocate", "--subnet", "10.0.0.0/29"]);
    assert_eq!(kind, "exhausted", "{message}");
    let reserved: Vec<String> = sqlx::query_scalar(
        "SELECT host(address) FROM ip_addresses WHERE is_reserved AND customer_id IS NULL
         ORDER BY address",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(reserved, ["10.0.0.3", "10.0.0.5"]);
}

/// (reserved, free) of a utilisation document.
fn reserved_free(u: &Value) -> (u64, u64) {
    let n = |k: &str| u[k].as_u64().unwrap_or_else(|| panic!("{k} in {u}"));
    (n("reserved"), n("free"))
}

#[tokio::test]
async fn reserved_addresses_count_as_reserved_and_leave_the_free_figure() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "192.0.2.0/29", "--pool"]);
    cli.ok(&["ip", "allocate", "--subnet", "192.0.2.0/29"]);
    let show = |cli: &Cli| cli.ok(&["subnet", "show", "192.0.2.0/29"])["utilization"].clone();
    let report = |cli: &Cli| cli.ok(&["report", "utilization"])["pools"][0].clone();
    let (_, free_before) = reserved_free(&show(&cli));
    assert_eq!(reserved_free(&report(&cli)), (0, free_before));

    cli.ok(&["ip", "reserve", "192.0.2.4", "--reason", "printer"]);
    cli.ok(&[
        "ip",
        "reserve",
        "192.0.2.6",
        "--reason",
        "printer",
        "--pool",
        "192.0.2.0/29",
    ]);
    // Counted here without carve: the pool's records that are reserved, and its usable
    // addresses (a /29 without network and broadcast) that have no record.
    let (reserved, free): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE is_reserved AND NOT is_unavailable),
                6 - count(*)
         FROM ip_addresses WHERE address << '192.0.2.0/29'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(reserved, 2);
    let want = (reserved as u64, free as u64);
    assert_eq!(want.1, free_before - 2);
    assert_eq!(reserved_free(&show(&cli)), want);
    assert_eq!(reserved_free(&report(&cli)), want);
    assert_eq!(show(&cli)["used"], 1);
}

#[tokio::test]
async fn a_record_nobody_holds_is_reserved_and_keeps_what_it_carries() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.0.0.0/29", "--pool"]);
    cli.ok(&[
        "ip",
        "allocate",
        "--address",
        "10.0.0.4",
        "--description",
        "spare uplink",
    ]);
    let done = cli.ok(&["ip", "reserve", "10.0.0.4", "--reason", "uplink"]);
    assert_eq!(done["status"], "reserved", "{done}");
    assert_eq!(done["description"], "spare uplink", "{done}");
    let freed = cli.ok(&["ip", "unreserve", "10.0.0.4"]);
    assert_eq!(
        (&freed["status"], &freed["reserved"], &freed["description"]),
        (
            &Value::from("allocated"),
            &Value::from(false),
            &Value::from("spare uplink")
        ),
        "{freed}"
    );

    // Parked while reserved: unparking leaves the reservation (and the record) in place.
    cli.ok(&["ip", "reserve", "10.0.0.5", "--reason", "lab"]);
    cli.ok(&["ip", "park", "10.0.0.5", "--reason", "broken port"]);
    cli.ok(&["ip", "unpark", "10.0.0.5"]);
    let shown = cli.ok(&["ip", "show", "10.0.0.5"]);
    assert_eq!(
        (&shown["status"], &shown["reserve_reason"]),
        (&Value::from("reserved"), &Value::from("lab")),
        "{shown}"
    );
}

#[tokio::test]
async fn a_reservation_and_its_end_are_undone() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.0.0.0/29", "--pool"]);
    cli.ok(&["ip", "reserve", "10.0.0.6", "--reason", "DHCP"]);
    let reserved: Value = cli.ok(&["ip", "show", "10.0.0.6"]);
    cli.ok(&["undo", "--last"]);
    let (code, _, _) = cli.json(&["ip", "show", "10.0.0.6"], None);
    assert_eq!(code, 1, "the undone reservation left a record");

    // Undoing the undo puts the reservation back.
    let undo: i64 =
        sqlx::query_scalar("SELECT max(id) FROM provisioning_logs WHERE event = 'undo'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    cli.ok(&["undo", &undo.to_string()]);
    let back = cli.ok(&["ip", "show", "10.0.0.6"]);
    assert_eq!(back["reserve_reason"], reserved["reserve_reason"]);
    cli.ok(&["ip", "unreserve", "10.0.0.6"]);
    cli.ok(&["undo", "--last"]);
    let again = cli.ok(&["ip", "show", "10.0.0.6"]);
    assert_eq!(
        (&again["status"], &again["reserve_reason"]),
        (&Value::from("reserved"), &Value::from("DHCP")),
        "{again}"
    );
}

#[tokio::test]
async fn the_palette_plan_of_a_reservation_is_the_reservation_made() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.0.0.0/29", "--pool"]);
    let args = ["ip", "reserve", "10.0.0.2", "--reason", "DHCP"];
    let (code, _, stderr) = cli.json(&[&args[..], &["--dry-run", "--print-plan"]].concat(), None);
    assert_eq!(code, 0, "{stderr}");
    let fingerprint = stderr
        .lines()
        .find_map(|l| l.strip_prefix("carve-plan: "))
        .unwrap_or_else(|| panic!("no plan printed: {stderr}"))
        .to_owned();
    // Held to that plan, a run that would do something else (another address) is
    // refused and changes nothing; the planned one goes through.
    let before = state(&t).await;
    let other = ["ip", "reserve", "10.0.0.3", "--reason", "DHCP"];
    let (kind, _) = refused(
        &cli,
        &[&other[..], &["--expect-plan", &fingerprint]].concat(),
    );
    assert_eq!(kind, "changed");
    assert_eq!(state(&t).await, before);
    cli.ok(&[&args[..], &["--expect-plan", &fingerprint]].concat());
    assert_eq!(journaled(&t, "reserve", "10.0.0.2").await, 1);
}
