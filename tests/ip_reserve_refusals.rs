//! `carve ip reserve` / `unreserve` refused (issue 20): every bad input and every address
//! that cannot be reserved or freed gets an error naming the input and the rule, and
//! nothing changes.

mod support;

use support::cli::Cli;
use support::reserve::{refused, state};

#[tokio::test]
async fn what_cannot_be_reserved_is_refused_naming_why_and_nothing_changes() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["customer", "add", "acme"]);
    cli.ok(&["subnet", "add", "10.0.0.0/29", "--pool"]);
    cli.ok(&["subnet", "add", "10.0.1.0/24"]);
    cli.ok(&["subnet", "add", "198.51.100.0/24"]);
    cli.ok(&[
        "subnet",
        "allocate",
        "--cidr",
        "198.51.100.0/29",
        "--customer",
        "acme",
    ]);
    cli.ok(&["subnet", "set", "198.51.100.0/29", "--pool"]);
    cli.ok(&[
        "ip",
        "allocate",
        "--address",
        "10.0.0.2",
        "--customer",
        "acme",
    ]);
    cli.ok(&["ip", "park", "10.0.0.3", "--reason", "broken"]);
    cli.ok(&["ip", "reserve", "10.0.0.4", "--reason", "gateway"]);
    let long = "x".repeat(4097);
    // (address, reason, --pool, kind, what the message says)
    let reserve: &[(&str, &str, Option<&str>, &str, &str)] = &[
        (
            "10.0.0.2",
            "r",
            None,
            "conflict",
            "10.0.0.2 is already allocated (customer acme)",
        ),
        (
            "10.0.0.3",
            "r",
            None,
            "conflict",
            "10.0.0.3 is parked (broken)",
        ),
        (
            "10.0.0.4",
            "r",
            None,
            "conflict",
            "10.0.0.4 is already reserved (gateway)",
        ),
        (
            "10.0.1.7",
            "r",
            None,
            "not_found",
            "10.0.1.7 is not inside any pool subnet",
        ),
        (
            "198.51.100.3",
            "r",
            None,
            "conflict",
            "pool 198.51.100.0/29 is held for customer acme",
        ),
        (
            "10.0.0.0",
            "r",
            None,
            "validation",
            "network address of pool 10.0.0.0/29",
        ),
        (
            "10.0.0.300",
            "r",
            None,
            "validation",
            "\"10.0.0.300\" is not an IP address",
        ),
        (
            "10.0.0.5",
            "  ",
            None,
            "validation",
            "--reason: a reservation says why",
        ),
        (
            "10.0.0.5",
            &long,
            None,
            "validation",
            "is 4097 characters long: a reserve reason is at most 4096",
        ),
        (
            "10.0.0.5",
            "r",
            Some("10.9.0.0/29"),
            "not_found",
            "10.9.0.0/29 is not a subnet carve knows",
        ),
        (
            "10.0.0.5",
            "r",
            Some("10.0.1.0/24"),
            "validation",
            "10.0.1.0/24 is not a pool",
        ),
        (
            "10.0.0.5",
            "r",
            Some("198.51.100.0/29"),
            "validation",
            "10.0.0.5 is not inside pool 198.51.100.0/29",
        ),
    ];
    let unreserve: &[(&str, &str, &str)] = &[
        (
            "10.0.0.5",
            "conflict",
            "10.0.0.5 is not reserved: it is free",
        ),
        (
            "10.0.0.2",
            "conflict",
            "10.0.0.2 is not reserved: it is allocated",
        ),
        (
            "nonsense",
            "validation",
            "\"nonsense\" is not an IP address",
        ),
    ];
    let mut cases: Vec<(Vec<&str>, &str, &str)> = reserve
        .iter()
        .map(|(address, reason, pool, kind, words)| {
            let mut args = vec!["ip", "reserve", address, "--reason", reason];
            args.extend(pool.iter().flat_map(|p| ["--pool", p]));
            (args, *kind, *words)
        })
        .collect();
    cases.extend(
        unreserve
            .iter()
            .map(|(address, kind, words)| (vec!["ip", "unreserve", address], *kind, *words)),
    );
    let before = state(&t).await;
    for (args, kind, words) in &cases {
        let (got, message) = refused(&cli, args);
        assert_eq!(&got, kind, "{args:?}: {message}");
        assert!(
            message.contains(words),
            "{args:?}: {message:?} lacks {words:?}"
        );
        assert_eq!(state(&t).await, before, "{args:?} changed something");
    }
    // Without --reason, clap names the missing option (a usage error).
    let (code, _, stderr) = cli.json(&["ip", "reserve", "10.0.0.5"], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--reason"), "{stderr}");
    assert_eq!(state(&t).await, before);
}
