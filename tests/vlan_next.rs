//! `carve vlan add --next`: the lowest free VLAN id of a range at a location, one each
//! for callers that ask at the same time, and a clear refusal when the range is full.

mod support;

use serde_json::Value;
use support::cli::Cli;

/// `vlan add --next` at FRA1 in 100-199.
const NEXT_IN_100S: [&str; 7] = [
    "vlan",
    "add",
    "--location",
    "FRA1",
    "--next",
    "--range",
    "100-199",
];

fn vids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["vid"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn next_takes_the_lowest_free_id_and_journals_it() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["location", "add", "FRA1"]);
    cli.ok(&["location", "add", "AMS1"]);
    for vid in ["1", "2", "3", "5"] {
        cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", vid]);
    }
    let first = cli.ok(&[
        "vlan",
        "add",
        "--location",
        "FRA1",
        "--next",
        "--name",
        "cust-a",
    ]);
    assert_eq!(first["vid"], 4, "{first}");
    assert_eq!(first["location"], "FRA1");
    assert_eq!(first["name"], "cust-a");
    let second = cli.ok(&["vlan", "add", "--location", "FRA1", "--next"]);
    assert_eq!(second["vid"], 6, "{second}");
    // Another location's ids are its own.
    let elsewhere = cli.ok(&["vlan", "add", "--location", "AMS1", "--next"]);
    assert_eq!(elsewhere["vid"], 1);
    let ranged = cli.ok(&NEXT_IN_100S);
    assert_eq!(ranged["vid"], 100);
    assert_eq!(
        vids(&cli.ok(&["vlan", "list", "--location", "FRA1"])),
        [1, 2, 3, 4, 5, 6, 100]
    );
    let journal = t.journal().await;
    let added: Vec<&String> = journal.iter().filter(|e| e.contains("vlan_add")).collect();
    assert_eq!(added.len(), 8, "every add, --next ones too: {journal:?}");
    let log = cli.ok(&["log"]);
    let newest = &log.as_array().unwrap()[0];
    assert_eq!(newest["event"], "vlan_add");
    assert_eq!(newest["detail"]["vid"], 100);
    assert_eq!(newest["detail"]["location"], "FRA1");
    assert_eq!(newest["detail"]["range"], "100-199");

    // Plain text says what was taken.
    let (code, stdout, stderr) = support::run(
        support::carve(home.path())
            .args(["--database-url", &t.url])
            .args(["vlan", "add", "--location", "FRA1", "--next"]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("FRA1") && stdout.contains(" 7 "),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_full_range_or_a_bad_one_is_refused_and_changes_nothing() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["location", "add", "FRA1"]);
    for vid in ["100", "101"] {
        cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", vid]);
    }
    let before = cli.ok(&["vlan", "list"]);
    let journal = t.journal().await;
    for (range, kind, rule) in [
        (
            "100-101",
            "exhausted",
            "no free VLAN id in 100-101 at location \"FRA1\"",
        ),
        ("0-10", "validation", "\"0\" is not a VLAN id (1-4094)"),
        ("200-100", "validation", "runs backwards"),
        ("100-5000", "validation", "\"5000\" is not a VLAN id"),
    ] {
        let mut next = NEXT_IN_100S;
        next[6] = range;
        let (code, doc, stderr) = cli.json(&next, None);
        assert_eq!(code, 1, "{range}: {doc}");
        assert_eq!(doc["error"]["kind"], kind);
        assert!(stderr.contains(rule), "{range}: {stderr}");
    }
    let (code, _, stderr) = cli.json(&["vlan", "add", "--location", "NOWHERE", "--next"], None);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown location \"NOWHERE\""), "{stderr}");
    // --next and --vid are one or the other; --range only goes with --next.
    for args in [
        &["vlan", "add", "--location", "FRA1", "--next", "--vid", "7"][..],
        &[
            "vlan",
            "add",
            "--location",
            "FRA1",
            "--range",
            "1-9",
            "--vid",
            "7",
        ][..],
        &["vlan", "add", "--location", "FRA1"][..],
    ] {
        let (code, _, _) = support::run(
            support::carve(home.path())
                .args(["--database-url", &t.url])
                .args(args),
        );
        assert_eq!(code, 2, "{args:?}");
    }
    assert_eq!(cli.ok(&["vlan", "list"]), before);
    assert_eq!(t.journal().await, journal);
}

#[tokio::test]
async fn sixteen_callers_at_once_get_sixteen_different_ids() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["location", "add", "FRA1"]);
    cli.ok(&["vlan", "add", "--location", "FRA1", "--vid", "103"]);
    let runs = support::run_concurrently(16, || {
        let mut command = support::carve(home.path());
        command
            .args(["--json", "--database-url", &t.url])
            .args(NEXT_IN_100S);
        command
    });
    let mut taken: Vec<i64> = runs
        .iter()
        .map(|(code, doc, stderr)| {
            assert_eq!(*code, 0, "{stderr}");
            doc["vid"].as_i64().unwrap()
        })
        .collect();
    taken.sort_unstable();
    // The sixteen lowest free ids: none twice, 103 (taken before) skipped.
    let expected: Vec<i64> = (100..=116).filter(|v| *v != 103).collect();
    assert_eq!(taken, expected);
    let listed = vids(&cli.ok(&["vlan", "list", "--location", "FRA1"]));
    assert_eq!(listed.len(), 17, "{listed:?}");
}
