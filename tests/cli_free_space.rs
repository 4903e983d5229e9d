//! What is available, through the real binary: `ip allocate --address` takes one chosen
//! free address (or names the rule that keeps it), `ip free` lists a pool's free
//! ranges and `subnet free` the free blocks of a region, as the allocators see them.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Runs carve with a config that keeps released addresses cooling for two hours.
struct Carve<'a> {
    home: &'a Path,
    config: PathBuf,
    url: &'a str,
}

impl<'a> Carve<'a> {
    fn new(home: &'a Path, url: &'a str) -> Self {
        let config = home.join("carve.toml");
        std::fs::write(
            &config,
            "[allocation]\nrelease_cooldown = { ips = \"2h\" }\n",
        )
        .unwrap();
        Carve { home, config, url }
    }

    fn run(&self, json: bool, args: &[&str]) -> (i32, String, String) {
        let mut command = support::carve(self.home);
        command.arg("--config").arg(&self.config);
        if json {
            command.arg("--json");
        }
        command.args(["--database-url", self.url]).args(args);
        support::run(&mut command)
    }

    fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let (code, stdout, stderr) = self.run(true, args);
        let doc =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout:?} {stderr}"));
        (code, doc, stderr)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (code, doc, stderr) = self.json(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        doc
    }
}

/// 203.0.113.0/26 a pool keeping 2 back, .64/26 a parked pool, the rest plain space;
/// 2001:db8::/64 a pool.
fn pools(c: &Carve) {
    c.ok(&["location", "add", "FRA1"]);
    c.ok(&["customer", "add", "cust-7422"]);
    c.ok(&["subnet", "add", "203.0.113.0/24", "--location", "FRA1"]);
    c.ok(&["subnet", "split", "203.0.113.0/24", "--to", "26"]);
    c.ok(&[
        "subnet",
        "set",
        "203.0.113.0/26",
        "--pool",
        "--reserve-first",
        "2",
    ]);
    c.ok(&["subnet", "set", "203.0.113.64/26", "--pool"]);
    c.ok(&["subnet", "park", "203.0.113.64/26", "--reason", "lab"]);
    c.ok(&["subnet", "add", "2001:db8::/64", "--pool"]);
}

#[tokio::test]
async fn a_chosen_free_address_is_taken_and_every_rule_that_keeps_one_is_named() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let c = Carve::new(home.path(), &t.url);
    pools(&c);

    let taken = c.ok(&[
        "ip",
        "allocate",
        "--address",
        "203.0.113.10",
        "--customer",
        "cust-7422",
        "--purpose",
        "primary",
        "--rdns",
        "host-10.example.net",
    ]);
    assert_eq!(taken["address"], "203.0.113.10");
    assert_eq!(taken["subnet"], "203.0.113.0/26");
    assert_eq!(taken["customer"], "cust-7422");
    assert_eq!(taken["rdns"], "host-10.example.net");
    assert_eq!(taken["events"][0]["event"], "ipam_allocate_ip");
    let log = c.ok(&["log", "--event", "ipam_allocate_ip"]);
    assert_eq!(log[0]["address"], "203.0.113.10/32", "{log}");
    assert_eq!(log[0]["outcome"], "ok");

    let before = t.snapshot().await;
    let planned = c.ok(&["ip", "allocate", "--address", "203.0.113.11", "--dry-run"]);
    assert_eq!(
        (&planned["address"], &planned["dry_run"]),
        (&"203.0.113.11".into(), &true.into())
    );
    assert_eq!(t.snapshot().await, before, "a dry run changes nothing");

    c.ok(&["ip", "park", "203.0.113.20", "--reason", "broken port"]);
    c.ok(&["ip", "allocate", "--address", "203.0.113.30"]);
    c.ok(&["ip", "release", "203.0.113.30"]);
    let before = t.snapshot().await;
    let refused = [
        ("198.51.100.1", "198.51.100.1 is not inside any pool subnet"),
        (
            "203.0.113.200",
            "203.0.113.200 is not inside any pool subnet",
        ),
        ("203.0.113.70", "pool 203.0.113.64/26 is parked (lab)"),
        (
            "203.0.113.0",
            "203.0.113.0 is the network address of pool 203.0.113.0/26",
        ),
        (
            "203.0.113.63",
            "203.0.113.63 is the broadcast address of pool 203.0.113.0/26",
        ),
        (
            "203.0.113.2",
            "pool 203.0.113.0/26 keeps its first 2 usable addresses back",
        ),
        (
            "203.0.113.10",
            "203.0.113.10 is already allocated (customer cust-7422)",
        ),
        ("203.0.113.20", "203.0.113.20 is parked (broken port)"),
        (
            "203.0.113.30",
            "203.0.113.30 was released and waits out its cooldown",
        ),
        (
            "2001:db8::",
            "2001:db8:: is the subnet-router anycast address of pool 2001:db8::/64",
        ),
    ];
    for (address, message) in refused {
        let (code, doc, stderr) = c.json(&["ip", "allocate", "--address", address]);
        assert_eq!(code, 1, "{address}: {stderr}");
        assert!(
            doc["error"]["message"].as_str().unwrap().contains(message),
            "{address}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let (code, _, stderr) = c.run(false, &["ip", "allocate", "--address", "203.0.113.999"]);
    assert!(
        code == 1 && stderr.contains("\"203.0.113.999\" is not an IP address"),
        "{stderr}"
    );
    let (code, _, stderr) = c.run(
        false,
        &[
            "ip",
            "allocate",
            "--address",
            "203.0.113.12",
            "--subnet",
            "203.0.113.0/26",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(t.snapshot().await, before, "a refusal changes nothing");
    let failed = c.ok(&["log", "--event", "ipam_allocate_ip", "--limit", "1"]);
    assert_eq!(failed[0]["outcome"], "failed", "refusals are journaled");
}

#[tokio::test]
async fn a_pools_free_ranges_leave_out_what_its_allocator_would_never_hand_out() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let c = Carve::new(home.path(), &t.url);
    pools(&c);
    c.ok(&["ip", "allocate", "--address", "203.0.113.10"]);
    c.ok(&["ip", "park", "203.0.113.20"]);
    c.ok(&["ip", "allocate", "--address", "203.0.113.30"]);
    c.ok(&["ip", "release", "203.0.113.30"]);

    let free = c.ok(&["ip", "free", "203.0.113.0/26"]);
    let ranges: Vec<(String, String, u64)> = free["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["first"].as_str().unwrap().to_owned(),
                r["last"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("203.0.113.3", "203.0.113.9", 7),
        ("203.0.113.11", "203.0.113.19", 9),
        ("203.0.113.21", "203.0.113.29", 9),
        ("203.0.113.31", "203.0.113.62", 32),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(a, b, n)| ((*a).to_owned(), (*b).to_owned(), *n))
        .collect();
    assert_eq!(ranges, expected);
    assert_eq!(free["free"], 57);
    assert_eq!(free["more"], false);
    // The first range starts where the allocator would take the next address.
    let next = c.ok(&["ip", "allocate", "--subnet", "203.0.113.0/26", "--dry-run"]);
    assert_eq!(next["address"], "203.0.113.3");

    let limited = c.ok(&["ip", "free", "203.0.113.0/26", "--limit", "2"]);
    assert_eq!(limited["ranges"].as_array().unwrap().len(), 2);
    assert_eq!(
        (&limited["more"], &limited["free"]),
        (&true.into(), &57.into())
    );
    let (code, text, _) = c.run(false, &["ip", "free", "203.0.113.0/26", "--limit", "2"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("203.0.113.11") && text.contains("203.0.113.19"),
        "{text}"
    );
    assert!(
        text.contains("57 free") && text.contains("--limit"),
        "{text}"
    );

    c.ok(&["ip", "allocate", "--address", "2001:db8::1"]);
    let v6 = c.ok(&["ip", "free", "2001:db8::/64"]);
    assert_eq!(v6["ranges"][0]["first"], "2001:db8::2");
    assert_eq!(v6["ranges"][0]["last"], "2001:db8::ffff:ffff:ffff:ffff");
    assert_eq!(v6["free"], u64::MAX - 1);
    assert_eq!(v6["ranges"][0]["count"], u64::MAX - 1);

    let before = t.snapshot().await;
    for (args, message) in [
        (
            vec!["ip", "free", "203.0.113.64/26"],
            "pool 203.0.113.64/26 is parked",
        ),
        (
            vec!["ip", "free", "203.0.113.128/26"],
            "203.0.113.128/26 is not a pool",
        ),
        (
            vec!["ip", "free", "198.51.100.0/24"],
            "198.51.100.0/24 is not a subnet carve knows",
        ),
        (
            vec!["ip", "free", "203.0.113.0/26", "--limit", "0"],
            "--limit 0 must be at least 1",
        ),
    ] {
        let (code, _, stderr) = c.run(false, &args);
        assert!(code == 1 && stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn free_blocks_are_listed_as_they_are_and_counted_as_an_allocation_could_take_them() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let c = Carve::new(home.path(), &t.url);
    c.ok(&["subnet", "add", "198.51.100.0/24"]);
    c.ok(&["subnet", "allocate", "--cidr", "198.51.100.0/27"]);
    c.ok(&["subnet", "park", "198.51.100.64/26"]);
    let blocks = |doc: &Value, key: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_owned())
            .collect()
    };

    let free = c.ok(&["subnet", "free", "198.51.100.0/24"]);
    assert_eq!(
        blocks(&free, "free"),
        ["198.51.100.32/27", "198.51.100.128/25"]
    );
    assert_eq!(free["addresses"], 32 + 128);
    let (code, text, _) = c.run(false, &["subnet", "free", "198.51.100.0/24"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("198.51.100.32/27") && text.contains("198.51.100.128/25"),
        "{text}"
    );
    assert!(
        !text.contains("198.51.100.64/26"),
        "parked space is not free: {text}"
    );

    let by27 = c.ok(&["subnet", "free", "198.51.100.0/24", "--len", "27"]);
    assert_eq!(by27["count"], 5);
    assert_eq!(
        blocks(&by27, "first")[..3],
        ["198.51.100.32/27", "198.51.100.128/27", "198.51.100.160/27"]
    );
    let (code, text, _) = c.run(false, &["subnet", "free", "198.51.100.0/24", "--len", "27"]);
    assert_eq!(code, 0);
    assert!(text.contains("5 free /27"), "{text}");

    // Four free /27s under one /25: an allocation merges them back.
    c.ok(&["subnet", "split", "198.51.100.128/25", "--to", "27"]);
    let by25 = c.ok(&["subnet", "free", "198.51.100.0/24", "--len", "25"]);
    assert_eq!(
        (&by25["count"], &by25["first"][0]),
        (&1.into(), &"198.51.100.128/25".into())
    );
    let allocate_25 = [
        "subnet",
        "allocate",
        "--len",
        "25",
        "--pool",
        "198.51.100.0/24",
        "--dry-run",
    ];
    let taken = c.ok(&allocate_25);
    assert_eq!(taken["cidr"], "198.51.100.128/25");
    // A description on a block inside keeps the allocator from merging over it.
    c.ok(&[
        "subnet",
        "set",
        "198.51.100.128/26",
        "--description",
        "racks 1-4",
    ]);
    let by25 = c.ok(&["subnet", "free", "198.51.100.0/24", "--len", "25"]);
    assert_eq!(by25["count"], 0);
    let (code, _, stderr) = c.run(false, &allocate_25);
    assert_eq!(code, 1, "{stderr}");
    let by26 = c.ok(&["subnet", "free", "198.51.100.0/24", "--len", "26"]);
    assert_eq!(
        blocks(&by26, "first"),
        ["198.51.100.128/26", "198.51.100.192/26"]
    );

    // A region inside one free block is free as a whole.
    let inside = c.ok(&["subnet", "free", "198.51.100.160/28"]);
    assert_eq!(blocks(&inside, "free"), ["198.51.100.160/28"]);

    let before = t.snapshot().await;
    for (args, message) in [
        (
            vec!["subnet", "free", "198.51.100.0/24", "--len", "23"],
            "/23 is shorter than 198.51.100.0/24",
        ),
        (
            vec!["subnet", "free", "198.51.100.0/24", "--len", "33"],
            "/33 is out of range for IPv4",
        ),
        (
            vec!["subnet", "free", "192.0.2.0/24"],
            "192.0.2.0/24 is not inside any block carve manages",
        ),
        (
            vec!["subnet", "free", "198.51.100.1/24"],
            "has host bits set",
        ),
    ] {
        let (code, _, stderr) = c.run(false, &args);
        assert!(code == 1 && stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_eq!(t.snapshot().await, before);
}
