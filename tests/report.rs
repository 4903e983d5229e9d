//! `carve report utilization` on a hand-made tree: the figures, the threshold check
//! that monitoring runs, the filters, and bad input.

mod support;

use serde_json::Value;

#[tokio::test]
async fn the_utilization_report_and_its_threshold_check() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let run = |args: &[&str]| {
        support::run(
            support::carve(home.path())
                .args(["--json", "--database-url", &t.url])
                .args(args),
        )
    };
    let ok = |args: &[&str]| {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    for args in [
        &["location", "add", "FRA1"][..],
        &["location", "add", "AMS1"],
        &["subnet", "add", "203.0.113.0/24", "--location", "FRA1"],
        &["subnet", "allocate", "--cidr", "203.0.113.0/26"],
        &["subnet", "allocate", "--cidr", "203.0.113.64/27"],
        &[
            "subnet",
            "add",
            "192.0.2.0/29",
            "--location",
            "FRA1",
            "--pool",
        ],
        &["subnet", "set", "192.0.2.0/29", "--reserve-first", "1"],
        &["subnet", "add", "2001:db8::/48", "--location", "AMS1"],
        &[
            "subnet",
            "allocate",
            "--len",
            "64",
            "--pool",
            "2001:db8::/48",
        ],
    ] {
        ok(args);
    }
    for _ in 0..3 {
        ok(&["ip", "allocate", "--subnet", "192.0.2.0/29"]);
    }
    let report = ok(&["report", "utilization"]);
    let pools = report["pools"].as_array().unwrap();
    let by = |cidr: &str| {
        pools
            .iter()
            .find(|p| p["cidr"] == cidr)
            .unwrap_or_else(|| panic!("{cidr}: {report}"))
    };
    // .0/26 and .64/27 used; .96/27 and .128/25 free.
    let block = by("203.0.113.0/24");
    assert_eq!(
        (
            block["kind"].as_str(),
            block["total"].as_u64(),
            block["free"].as_u64()
        ),
        (Some("block"), Some(256), Some(160))
    );
    assert_eq!(block["percent_used"], 37.5);
    assert_eq!(block["largest_free"], 25);
    assert_eq!(block["fragmentation"], 0.2);
    assert_eq!(block["free_blocks"], serde_json::json!([[25, 1], [27, 1]]));
    // 6 usable addresses in a /29 (used of usable, as NetBox counts), one of them kept
    // back: reserved, not used; 3 taken.
    let pool = by("192.0.2.0/29");
    assert_eq!(
        (
            pool["kind"].as_str(),
            pool["total"].as_u64(),
            pool["used"].as_u64(),
            pool["reserved"].as_u64(),
            pool["free"].as_u64()
        ),
        (Some("addresses"), Some(6), Some(3), Some(1), Some(2))
    );
    assert_eq!(pool["percent_used"], 50.0);
    let v6 = by("2001:db8::/48");
    assert_eq!(
        (v6["total_64s"].as_u64(), v6["free_64s"].as_u64()),
        (Some(65536), Some(65535))
    );
    assert_eq!(v6["location"], "AMS1");

    // The check: exit 1 when any pool is fuller than the threshold, still one document.
    let (code, stdout, stderr) = run(&["report", "utilization", "--threshold", "40"]);
    assert_eq!(code, 1, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("exactly one JSON document");
    assert_eq!(doc["over"], serde_json::json!(["192.0.2.0/29"]));
    assert_eq!(
        stderr.trim_end(),
        "error: 1 pool(s) over 40% used: 192.0.2.0/29"
    );
    assert!(
        ok(&["report", "utilization", "--threshold", "90"])["over"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let only = |args: &[&str]| -> Vec<String> {
        ok(args)["pools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["cidr"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        only(&["report", "utilization", "--family", "6"]),
        ["2001:db8::/48"]
    );
    assert_eq!(
        only(&["report", "utilization", "--location", "FRA1"]),
        ["203.0.113.0/24", "192.0.2.0/29"]
    );

    for (args, message) in [
        (
            &["report", "utilization", "--threshold", "150"][..],
            "--threshold 150 is not a percentage (0 to 100)",
        ),
        (
            &["report", "utilization", "--family", "5"],
            "--family 5 is not 4 or 6",
        ),
        (
            &["report", "utilization", "--location", "MARS"],
            "unknown location \"MARS\"",
        ),
    ] {
        let (code, _, stderr) = run(args);
        assert_eq!(code, 1, "{args:?}");
        assert!(stderr.contains(message), "{stderr}");
    }
}
