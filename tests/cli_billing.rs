//! Billing through the real binary: a plan, an assignment, usage from stdin and from a
//! file, a cycle closed and its invoice as JSON and text, the chart as plain text, and
//! bad input refused with the right exit code and nothing changed.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};

use support::billing::{MBPS, OCT};
use support::cli::Cli;

fn text(home: &std::path::Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let mut command: Command = support::carve(home);
    command.args(["--database-url", url]).args(args);
    support::run(&mut command)
}

#[tokio::test]
async fn transit_is_billed_from_the_command_line() {
    let t = support::test_db().await;
    let db = support::site::site(&t).await;
    let id = support::site::transit_services(&db, 1).await[0].to_string();
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    let plan = cli.ok(&[
        "billing",
        "plan",
        "add",
        "edge",
        "--model",
        "p95",
        "--currency",
        "usd",
        "--price-per-mbps",
        "1.25",
    ]);
    assert_eq!(
        (&plan["currency"], &plan["price_per_mbps"]),
        (&"USD".into(), &"1.25".into())
    );
    let (code, doc, _) = cli.json(
        &[
            "billing",
            "plan",
            "add",
            "x",
            "--model",
            "xyz",
            "--currency",
            "EUR",
        ],
        None,
    );
    assert_eq!((code, &doc["error"]["kind"]), (1, &"validation".into()));
    cli.ok(&[
        "billing",
        "assign",
        &id,
        "--plan",
        "edge",
        "--direction",
        "out",
    ]);

    // 80 Mbps out in every period of October, from stdin.
    let mut usage = String::from("service,period_start,bytes_in,bytes_out\n");
    for i in 0..8928 {
        usage.push_str(&format!("{id},{},0,{}\n", OCT + 300 * i, 80 * MBPS));
    }
    let (code, doc, stderr) = cli.json(&["billing", "ingest", "-"], Some(&usage));
    assert_eq!((code, &doc["ingested"]), (0, &8928.into()), "{stderr}");

    // A file with a bad row: exit 1, the row named, nothing stored.
    let file = home.path().join("late.csv");
    std::fs::write(
        &file,
        format!("{id},2026-10-02T00:00:00Z,1,1\n{id},2026-10-02T00:01:00Z,1,1\n"),
    )
    .unwrap();
    let (code, doc, _) = cli.json(&["billing", "ingest", file.to_str().unwrap()], None);
    assert_eq!(code, 1);
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("row 2: period_start") && message.contains("nothing ingested"),
        "{message}"
    );
    let (code, _, stderr) = cli.json(&["billing", "ingest", "/nonexistent.csv"], None);
    assert!(
        code == 1 && stderr.contains("cannot read /nonexistent.csv"),
        "{stderr}"
    );

    // Read-only: a dry run is allowed, an ingest or a close is not.
    let dry = cli.ok(&[
        "--read-only",
        "billing",
        "close",
        "--cycle",
        "2026-10",
        "--dry-run",
    ]);
    assert_eq!(dry["invoices"][0]["status"], "draft");
    let (code, doc, _) = cli.json(
        &["--read-only", "billing", "close", "--cycle", "2026-10"],
        None,
    );
    assert_eq!((code, &doc["error"]["kind"]), (1, &"read_only".into()));

    let closed = cli.ok(&["billing", "close", "--cycle", "2026-10"]);
    assert_eq!(closed["invoices"][0]["total"], "100.00");
    let invoice = cli.ok(&["billing", "invoice", &id, "--cycle", "2026-10"]);
    assert_eq!(invoice["working"]["rank"], 8482);
    assert_eq!(invoice["lines"][0]["amount"], "100.00");
    assert_eq!(invoice["status"], "issued");

    let (code, out, _) = text(
        home.path(),
        &t.url,
        &["billing", "invoice", &id, "--cycle", "2026-10"],
    );
    assert_eq!(code, 0);
    for needle in [
        "95th percentile (out)",
        "80 Mbps",
        "total USD   100.00",
        "8482 = ceil(0.95 x 8928)",
    ] {
        assert!(out.contains(needle), "{needle}:\n{out}");
    }
    // Not a terminal: the chart comes as plain text, legend included.
    let (code, chart, _) = text(
        home.path(),
        &t.url,
        &["billing", "graph", &id, "--cycle", "2026-10"],
    );
    assert_eq!(code, 0);
    assert!(
        chart.contains("out Mbps per 5 minutes (direction out); 95th 80.00 Mbps")
            && chart.contains("day of 2026-10"),
        "{chart}"
    );

    // A reader that stops early (`| head`) ends carve quietly, not with a panic. The JSON
    // (8,928 rates) is larger than a pipe's buffer, so carve is still writing.
    let mut command = support::carve(home.path());
    command
        .args([
            "--json",
            "--database-url",
            &t.url,
            "billing",
            "graph",
            &id,
            "--cycle",
            "2026-10",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut first = [0_u8; 10];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");

    let (code, doc, _) = cli.json(&["billing", "invoice", &id, "--cycle", "2026-13"], None);
    assert_eq!(code, 1);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a month like 2026-11")
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_samples")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(count, 8928);
}
