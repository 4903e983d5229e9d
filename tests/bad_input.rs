//! Every command that writes refuses bad input with one clear line that names the input
//! and the rule, exit 1, and leaves the database as it was (DESIGN.md section 7).

mod support;

/// A small tree: EU-FRA with VLAN 102, customer cust-7421, 203.0.113.0/24 split so that
/// .0/26 is allocated and a pool 203.0.113.64/26 exists.
async fn fixture() -> support::TestDb {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    for args in [
        vec!["location", "add", "EU-FRA"],
        vec!["vlan", "add", "--location", "EU-FRA", "--vid", "102"],
        vec!["customer", "add", "cust-7421"],
        vec!["subnet", "add", "203.0.113.0/24", "--location", "EU-FRA"],
        vec![
            "subnet",
            "allocate",
            "--cidr",
            "203.0.113.0/26",
            "--customer",
            "cust-7421",
        ],
        vec!["subnet", "split", "203.0.113.64/26"],
        vec!["subnet", "set", "203.0.113.64/27", "--pool"],
    ] {
        let (code, _, stderr) = support::run(
            support::carve(home.path())
                .arg("--database-url")
                .arg(&t.url)
                .args(&args),
        );
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
    t
}

/// Runs carve, expects exit `code` and one `error:` line containing `message`, and no
/// change to the tree. Returns the number of failure events it journaled.
async fn refused(t: &support::TestDb, args: &[&str], code: i32, message: &str) -> i64 {
    let before = t.snapshot().await;
    let failures_before = failures(t).await;
    let home = support::reachable_tempdir();
    let (got, stdout, stderr) = support::run(
        support::carve(home.path())
            .arg("--database-url")
            .arg(&t.url)
            .args(args),
    );
    assert_eq!(got, code, "{args:?}: {stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(message),
        "{args:?}: {stderr}"
    );
    assert_eq!(t.snapshot().await, before, "{args:?} changed the tree");
    failures(t).await - failures_before
}

async fn failures(t: &support::TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM provisioning_logs WHERE outcome = 'failed'")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_cidrs_and_addresses_name_the_rule() {
    let t = fixture().await;
    let cases: [(&[&str], &str); 7] = [
        (
            &["subnet", "add", "203.0.113.5/24"],
            "203.0.113.5/24 has host bits set (did you mean 203.0.113.0/24?)",
        ),
        (
            &["subnet", "add", "10.0.0.0/7"],
            "/7 is out of range for IPv4 (carve manages /8../32)",
        ),
        (
            &["subnet", "add", "2001:db8::/20"],
            "/20 is out of range for IPv6",
        ),
        (&["subnet", "add", "fish"], "\"fish\" is not a CIDR"),
        (
            &["subnet", "allocate", "--cidr", "203.0.113.1/26"],
            "has host bits set",
        ),
        (
            &["ip", "show", "203.0.113.300"],
            "\"203.0.113.300\" is not an IP address",
        ),
        (&["subnet", "split", "not/a/cidr"], "is not a CIDR"),
    ];
    for (args, message) in cases {
        refused(&t, args, 1, message).await;
    }
}

#[tokio::test]
async fn allocation_refusals_journal_one_failure_each() {
    let t = fixture().await;
    let cases: [(&[&str], &str); 9] = [
        (
            &["subnet", "allocate", "--len", "33"],
            "/33 is out of range for IPv4",
        ),
        (
            &[
                "subnet",
                "allocate",
                "--len",
                "64",
                "--pool",
                "203.0.113.0/24",
                "--family",
                "6",
            ],
            "pool 203.0.113.0/24 is not IPv6",
        ),
        (
            &[
                "subnet",
                "allocate",
                "--len",
                "29",
                "--vlan",
                "999",
                "--location",
                "EU-FRA",
            ],
            "unknown VLAN 999 at EU-FRA",
        ),
        (
            &["subnet", "allocate", "--len", "29", "--location", "MARS"],
            "unknown location \"MARS\"",
        ),
        (
            &["subnet", "allocate", "--len", "29", "--customer", "nobody"],
            "unknown customer \"nobody\"",
        ),
        (
            &[
                "subnet",
                "allocate",
                "--len",
                "24",
                "--pool",
                "203.0.113.0/24",
            ],
            "no free /24 in 203.0.113.0/24 (largest free: /25)",
        ),
        (
            &["subnet", "allocate", "--len", "26", "--strategy", "exact"],
            "no free /26 of IPv4 (largest free: /25) with strategy exact",
        ),
        (
            &[
                "subnet",
                "allocate",
                "--len",
                "29",
                "--pool",
                "198.51.100.0/24",
            ],
            "pool 198.51.100.0/24 is not a subnet carve knows",
        ),
        (
            &["subnet", "allocate", "--cidr", "203.0.113.8/29"],
            "203.0.113.8/29 lies inside 203.0.113.0/26, which is allocated to cust-7421",
        ),
    ];
    for (args, message) in cases {
        assert_eq!(refused(&t, args, 1, message).await, 1, "{args:?}");
    }
    // Exhausted says what is left: only a /25 and /27s are free.
    let largest = refused(
        &t,
        &["subnet", "allocate", "--len", "24"],
        1,
        "no free /24 of IPv4 (largest free: /25)",
    )
    .await;
    assert_eq!(largest, 1);
    // A dry run that fails journals nothing.
    let dry = refused(
        &t,
        &["subnet", "allocate", "--len", "24", "--dry-run"],
        1,
        "no free /24",
    )
    .await;
    assert_eq!(dry, 0);
}

#[tokio::test]
async fn tree_operations_refuse_what_would_break_something() {
    let t = fixture().await;
    let home = support::reachable_tempdir();
    let (code, _, stderr) = support::run(
        support::carve(home.path())
            .arg("--database-url")
            .arg(&t.url)
            .args(["subnet", "add", "10.0.0.0/8"]),
    );
    assert_eq!(code, 0, "{stderr}");
    let cases: [(&[&str], &str); 10] = [
        (
            &["subnet", "add", "203.0.113.128/25"],
            "203.0.113.128/25 lies inside the existing block 203.0.113.0/24",
        ),
        (
            &["subnet", "add", "203.0.112.0/23"],
            "203.0.112.0/23 contains the existing block 203.0.113.0/24",
        ),
        (
            &["subnet", "split", "203.0.113.0/26"],
            "cannot split 203.0.113.0/26: it is allocated to cust-7421",
        ),
        (
            &["subnet", "split", "203.0.113.128/25", "--to", "24"],
            "cannot split 203.0.113.128/25 to /24",
        ),
        (
            &["subnet", "split", "10.0.0.0/8", "--to", "24"],
            "makes more than 4096 pieces",
        ),
        (
            &["subnet", "merge", "203.0.113.0/24"],
            "cannot merge 203.0.113.0/24: 203.0.113.0/26 is allocated to cust-7421",
        ),
        (
            &["subnet", "release", "203.0.113.128/25"],
            "203.0.113.128/25 is unallocated: only allocated or reserved",
        ),
        (
            &["subnet", "release", "10.9.9.0/24"],
            "10.9.9.0/24 is not a subnet carve knows",
        ),
        (
            &["subnet", "set", "203.0.113.0/26", "--vlan", "103"],
            "unknown VLAN 103 at EU-FRA",
        ),
        (
            &["subnet", "unpark", "203.0.113.0/26"],
            "203.0.113.0/26 is already not parked",
        ),
    ];
    for (args, message) in cases {
        assert_eq!(
            refused(&t, args, 1, message).await,
            1,
            "{args:?} journals one failure"
        );
    }
}

#[tokio::test]
async fn address_refusals() {
    let t = fixture().await;
    let cases: [(&[&str], &str); 6] = [
        (
            &["ip", "allocate", "--subnet", "203.0.113.96/27"],
            "203.0.113.96/27 is not a pool",
        ),
        (
            &[
                "ip",
                "allocate",
                "--subnet",
                "203.0.113.64/27",
                "--rdns",
                "bad..name",
            ],
            "has an invalid label",
        ),
        (
            &[
                "ip",
                "allocate",
                "--subnet",
                "203.0.113.64/27",
                "--vlan",
                "4095",
            ],
            "VLAN 4095 is out of range",
        ),
        (
            &["ip", "set", "203.0.113.70", "--purpose", "x"],
            "203.0.113.70 has no record",
        ),
        (
            &["ip", "release", "203.0.113.200"],
            "203.0.113.200 is not inside any pool subnet",
        ),
        (
            &["ip", "unpark", "203.0.113.70"],
            "203.0.113.70 has no record",
        ),
    ];
    for (args, message) in cases {
        refused(&t, args, 1, message).await;
    }
}

#[tokio::test]
async fn catalog_refusals() {
    let t = fixture().await;
    let cases: [(&[&str], &str); 5] = [
        (
            &["location", "add", "EU-FRA"],
            "location \"EU-FRA\" already exists",
        ),
        (&["location", "add", " "], "must not be empty"),
        (
            &["vlan", "add", "--location", "EU-FRA", "--vid", "102"],
            "VLAN 102 already exists",
        ),
        (
            &["vlan", "add", "--location", "EU-FRA", "--vid", "0"],
            "VLAN 0 is out of range (1..4094)",
        ),
        (
            &["vlan", "add", "--location", "NOWHERE", "--vid", "5"],
            "unknown location \"NOWHERE\"",
        ),
    ];
    for (args, message) in cases {
        refused(&t, args, 1, message).await;
    }
}
