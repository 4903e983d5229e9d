//! Input that used to be read as some other value (issue 18, "Lax parsing that changes
//! values"): each is refused naming the rule, and nothing is stored or journaled as done.

mod support;

fn carve(
    t: &support::TestDb,
    args: &[&str],
    stdin_file: Option<&std::path::Path>,
) -> (i32, String, String) {
    let home = support::reachable_tempdir();
    let mut command = support::carve(home.path());
    command.arg("--database-url").arg(&t.url).args(args);
    if let Some(file) = stdin_file {
        command.stdin(std::fs::File::open(file).unwrap());
    }
    support::run(&mut command)
}

fn ok(t: &support::TestDb, args: &[&str]) {
    let (code, _, stderr) = carve(t, args, None);
    assert_eq!(code, 0, "{args:?}: {stderr}");
}

/// Exit `code`, one `error:` line containing `message`, the tree and the journal's
/// successes as they were.
async fn refused(t: &support::TestDb, args: &[&str], code: i32, message: &str) {
    let (tree, journal) = (t.snapshot().await, done(t).await);
    let (got, stdout, stderr) = carve(t, args, None);
    assert_eq!(got, code, "{args:?}: {stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(message),
        "{args:?}: {stderr}"
    );
    assert_eq!(t.snapshot().await, tree, "{args:?} changed the tree");
    assert_eq!(done(t).await, journal, "{args:?} journaled a change");
}

async fn done(t: &support::TestDb) -> Vec<String> {
    t.journal()
        .await
        .into_iter()
        .filter(|e| e.ends_with("/ok"))
        .collect()
}

#[tokio::test]
async fn values_carve_would_change_are_refused() {
    let t = support::test_db().await;
    ok(&t, &["subnet", "add", "203.0.113.0/24"]);
    let plan: Vec<&str> = "billing plan add edge --model p95 --currency USD"
        .split(' ')
        .collect();
    let tiny = [&plan[..], &["--price-per-mbps", "1e-31"]].concat();
    refused(&t, &tiny, 2, "'1e-31'").await;
    for (price, decimals) in [("0.0000001", 7), ("0.0000000000000000000000000000001", 31)] {
        let fine = [&plan[..], &["--price-per-mbps", price]].concat();
        let rule = format!("has {decimals} decimals: carve keeps prices and quantities to 6");
        refused(&t, &fine, 2, &rule).await;
    }
    for cycle in ["26-01", "0000-01"] {
        let args = ["billing", "close", "--cycle", cycle, "--dry-run"];
        refused(
            &t,
            &args,
            1,
            "is not a month like 2026-11 (YYYY-MM, from 1970)",
        )
        .await;
    }
    refused(
        &t,
        &["subnet", "list", "--family", "5"],
        2,
        "the address family is 4 or 6",
    )
    .await;
    refused(
        &t,
        &["subnet", "add", "::ffff:10.0.0.0/104"],
        1,
        "::ffff:10.0.0.0/104 lies in ::/8, reserved by the IETF",
    )
    .await;
    refused(&t, &["subnet", "add", "fe80::/64"], 1, "link-local").await;
}

#[tokio::test]
async fn an_ipam_config_with_a_key_twice_is_refused_naming_where() {
    let t = support::test_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.json");
    std::fs::write(
        &file,
        r#"{"mode": "disabled", "rules": [{"kind": "a", "kind": "b"}]}"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    refused(
        &t,
        &["product", "add", "colo", "--ipam-config", file],
        1,
        "key \"kind\" appears twice in rules[0]",
    )
    .await;
    let (code, _, stderr) = carve(
        &t,
        &["product", "add", "colo", "--ipam-config", "-"],
        Some(std::path::Path::new(file)),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("stdin:1:") && stderr.contains("appears twice"),
        "{stderr}"
    );
}

#[tokio::test]
async fn ingest_refuses_periods_that_cannot_be_and_unclosed_quotes() {
    let t = support::test_db().await;
    let dir = tempfile::tempdir().unwrap();
    for (row, message) in [
        ("1,1969-12-31T23:55:00Z,1,1", "is before 1970"),
        ("1,2999-01-01T00:00:00Z,1,1", "is in the future"),
        (
            "\"1,2026-01-01T00:00:00Z,1,1",
            "has an unclosed or stray quote",
        ),
    ] {
        let file = dir.path().join("usage.csv");
        std::fs::write(
            &file,
            format!("service,period_start,bytes_in,bytes_out\n{row}\n"),
        )
        .unwrap();
        refused(
            &t,
            &["billing", "ingest", file.to_str().unwrap()],
            1,
            message,
        )
        .await;
    }
}

#[tokio::test]
async fn changes_that_change_nothing_are_refused() {
    let t = support::test_db().await;
    ok(&t, &["subnet", "add", "203.0.113.0/24"]);
    let before = t.journal().await;
    refused(
        &t,
        &["subnet", "set", "203.0.113.0/24"],
        1,
        "nothing to set on 203.0.113.0/24",
    )
    .await;
    assert_eq!(
        t.journal().await,
        before,
        "nothing to set is no attempted change"
    );
    refused(
        &t,
        &["subnet", "unpark", "203.0.113.0/24"],
        1,
        "203.0.113.0/24 is already not parked",
    )
    .await;
    ok(&t, &["subnet", "split", "203.0.113.0/24"]);
    ok(
        &t,
        &["subnet", "park", "203.0.113.0/24", "--reason", "cleanup"],
    );
    refused(&t, &["subnet", "unpark", "203.0.113.0/25"], 1, "parked").await;
}
