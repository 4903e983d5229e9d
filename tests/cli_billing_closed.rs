//! Billing as the README tells it, through the real binary: a closed cycle refuses the
//! samples of every service until it is reopened and closing it again changes nothing; a
//! service that is not billed is told why; zero keeps its currency's decimals; a bad row
//! is one bad row however many faults it has.

mod support;

use serde_json::Value;
use support::billing::{MBPS, OCT};
use support::cli::Cli;

fn text(cli: &Cli, args: &[&str]) -> (i32, String, String) {
    let mut command = support::carve(cli.home);
    command.args(["--database-url", cli.url]).args(args);
    support::run(&mut command)
}

/// A usage file of rows (service, period index in October, Mbps in, Mbps out).
fn usage(rows: &[(i64, i64, i64, i64)]) -> String {
    rows.iter()
        .map(|(s, i, m_in, m_out)| {
            format!("{s},{},{},{}\n", OCT + 300 * i, m_in * MBPS, m_out * MBPS)
        })
        .collect()
}

async fn samples(t: &support::TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM usage_samples")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

async fn invoices(t: &support::TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invoices")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

/// `carve billing ingest -` fed `file`: the exit code and the document.
fn ingest(cli: &Cli, file: &str) -> (i32, Value) {
    let (code, doc, _) = cli.json(&["billing", "ingest", "-"], Some(file));
    (code, doc)
}

/// A p95 plan at 2 per Mbps.
fn p95_plan(cli: &Cli, name: &str, currency: &str) {
    cli.ok(&[
        "billing",
        "plan",
        "add",
        name,
        "--model",
        "p95",
        "--currency",
        currency,
        "--price-per-mbps",
        "2",
    ]);
}

fn message(doc: &Value) -> &str {
    doc["error"]["message"].as_str().unwrap_or_default()
}

/// Three services: the first two on one plan, only the first with samples in October;
/// the third without a plan.
async fn services(t: &support::TestDb, cli: &Cli<'_>) -> [String; 3] {
    let db = support::site::site(t).await;
    let ids = support::site::transit_services(&db, 3).await;
    let [a, b, c] = [0, 1, 2].map(|i| ids[i].to_string());
    p95_plan(cli, "edge", "EUR");
    for s in [&a, &b] {
        cli.ok(&["billing", "assign", s, "--plan", "edge"]);
    }
    let (code, doc) = ingest(cli, &usage(&[(ids[0], 0, 10, 10)]));
    assert_eq!(code, 0, "{doc}");
    [a, b, c]
}

#[tokio::test]
async fn a_closed_cycle_refuses_every_services_samples_until_reopened() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    let [a, b, _] = services(&t, &cli).await;
    let closed = cli.ok(&["billing", "close", "--cycle", "2026-10"]);
    assert_eq!(closed["issued"], 1, "only a has samples: {closed}");
    let (before_samples, before_invoices) = (samples(&t).await, invoices(&t).await);

    // b has no invoice in October, but October is closed: its sample is refused, and so
    // is the whole file (September is open, its row is not stored either).
    let b_id: i64 = b.parse().unwrap();
    let file = format!(
        "{}{b},2026-09-10T00:00:00Z,1,1\n",
        usage(&[(b_id, 1152, 1, 1)])
    );
    let (code, doc) = ingest(&cli, &file);
    assert_eq!(code, 1, "{doc}");
    let m = message(&doc);
    for needle in [
        format!("service {b} period 2026-10-05T00:00Z"),
        "cycle 2026-10 is closed".into(),
        "nothing ingested".into(),
    ] {
        assert!(m.contains(&needle), "{needle}: {m}");
    }
    assert_eq!(samples(&t).await, before_samples);
    // The database itself refuses it too.
    let e = sqlx::query("INSERT INTO usage_samples VALUES ($1, to_timestamp($2), 1, 1)")
        .bind(b_id)
        .bind((OCT + 300 * 1152) as f64)
        .execute(&t.pool)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("cycle 2026-10 of service {b} is closed")),
        "{e}"
    );

    // Closing again changes nothing, and says so.
    let again = cli.ok(&["billing", "close", "--cycle", "2026-10"]);
    assert_eq!(
        (&again["issued"], &again["already_closed"]),
        (&0.into(), &true.into())
    );
    let (code, out, _) = text(&cli, &["billing", "close", "--cycle", "2026-10"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("cycle 2026-10 was already closed: nothing changed"),
        "{out}"
    );
    assert_eq!(invoices(&t).await, before_invoices);
    let closes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM provisioning_logs WHERE event = 'billing_close' AND outcome = 'ok'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(closes, 1, "one close journaled");

    // Reopening b alone lets its sample in; a's cycle stays closed.
    let reopened = cli.ok(&["billing", "reopen", "--cycle", "2026-10", "--service", &b]);
    assert_eq!(
        reopened.as_array().map(Vec::len),
        Some(0),
        "b had no invoice: {reopened}"
    );
    let (code, doc) = ingest(&cli, &usage(&[(b_id, 1152, 1, 1)]));
    assert_eq!((code, &doc["ingested"]), (0, &1.into()), "{doc}");
    let a_id: i64 = a.parse().unwrap();
    let (code, doc) = ingest(&cli, &usage(&[(a_id, 5, 1, 1)]));
    assert!(
        code == 1 && message(&doc).contains(&format!("service {a}")),
        "{doc}"
    );
    // Closing the cycle again closes it for b too, and only b's invoice is new.
    let closed = cli.ok(&["billing", "close", "--cycle", "2026-10"]);
    assert_eq!(
        (&closed["issued"], &closed["unchanged"]),
        (&1.into(), &1.into())
    );
    let (code, doc) = ingest(&cli, &usage(&[(b_id, 7, 1, 1)]));
    assert!(
        code == 1 && message(&doc).contains("cycle 2026-10 is closed"),
        "{doc}"
    );

    // One service's cycle closed: only that service's samples are refused.
    let sept = |s: &str, day: u8| format!("{s},2026-09-{day:02}T00:00:00Z,1,1\n");
    let (code, doc) = ingest(&cli, &sept(&a, 1));
    assert_eq!(code, 0, "{doc}");
    cli.ok(&["billing", "close", "--cycle", "2026-09", "--service", &a]);
    let (code, doc) = ingest(&cli, &sept(&a, 10));
    assert!(
        code == 1 && message(&doc).contains("cycle 2026-09 is closed"),
        "{doc}"
    );
    let (code, doc) = ingest(&cli, &sept(&b, 10));
    assert_eq!(code, 0, "{doc}");
    let again = cli.ok(&["billing", "close", "--cycle", "2026-09", "--service", &a]);
    assert_eq!(again["already_closed"], true);

    // Reopening what is not closed is refused and changes nothing.
    let (code, doc, _) = cli.json(&["billing", "reopen", "--cycle", "2026-08"], None);
    assert!(
        code == 1 && message(&doc).contains("cycle 2026-08 is not closed"),
        "{doc}"
    );
    let (code, doc, _) = cli.json(
        &["billing", "reopen", "--cycle", "2026-09", "--service", &b],
        None,
    );
    assert!(
        code == 1
            && message(&doc).contains(&format!("cycle 2026-09 is not closed for service {b}")),
        "{doc}"
    );
    // The whole cycle reopened: every service's samples may come in again.
    cli.ok(&["billing", "reopen", "--cycle", "2026-10"]);
    let (code, doc) = ingest(&cli, &usage(&[(a_id, 5, 1, 1)]));
    assert_eq!(code, 0, "{doc}");
}

#[tokio::test]
async fn a_service_not_billed_is_told_why() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    let [_, b, c] = services(&t, &cli).await;
    // b has a plan but was provisioned after October and sent no sample for it.
    let (code, doc, _) = cli.json(&["billing", "invoice", &b, "--cycle", "2026-10"], None);
    assert_eq!(code, 1);
    let m = message(&doc);
    assert!(!m.contains("no billing plan"), "{m}");
    assert!(
        m.contains(&format!("service {b} has plan \"edge\""))
            && m.contains("no samples in 2026-10")
            && m.contains("provisioned"),
        "{m}"
    );
    // Closing its cycle alone is refused for the same reason, and changes nothing.
    let (code, doc, _) = cli.json(
        &["billing", "close", "--cycle", "2026-10", "--service", &b],
        None,
    );
    assert!(code == 1 && message(&doc) == m, "{doc}");
    let closures: i64 = sqlx::query_scalar("SELECT count(*) FROM billing_cycle_closures")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!((closures, invoices(&t).await), (0, 0));
    // A service without a plan is told that.
    let (code, doc, _) = cli.json(&["billing", "invoice", &c, "--cycle", "2026-10"], None);
    assert_eq!(code, 1);
    assert!(
        message(&doc).contains(&format!("service {c} has no billing plan")),
        "{doc}"
    );
}

#[tokio::test]
async fn a_zero_total_keeps_its_currencys_decimals() {
    for (currency, zero) in [("EUR", "0.00"), ("KWD", "0.000")] {
        let t = support::test_db().await;
        let home = support::reachable_tempdir();
        let cli = Cli {
            home: home.path(),
            url: &t.url,
        };
        let db = support::site::site(&t).await;
        let s = support::site::transit_services(&db, 1).await[0];
        p95_plan(&cli, "idle", currency);
        cli.ok(&["billing", "assign", &s.to_string(), "--plan", "idle"]);
        let (code, doc) = ingest(&cli, &usage(&[(s, 0, 0, 0)]));
        assert_eq!(code, 0, "{doc}");
        let closed = cli.ok(&["billing", "close", "--cycle", "2026-10"]);
        assert_eq!(closed["invoices"][0]["total"], zero, "{currency}");
        let invoice = cli.ok(&["billing", "invoice", &s.to_string(), "--cycle", "2026-10"]);
        assert_eq!(invoice["total"], zero, "{currency}");
        let (_, out, _) = text(
            &cli,
            &["billing", "invoice", &s.to_string(), "--cycle", "2026-10"],
        );
        assert!(
            out.contains(&format!("total {currency}")) && out.contains(zero),
            "{out}"
        );
        let (_, out, _) = text(&cli, &["billing", "reopen", "--cycle", "2026-10"]);
        assert!(out.contains(&format!("{zero} {currency}")), "{out}");
    }
}

#[tokio::test]
async fn a_row_with_two_faults_is_one_bad_row_naming_both() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli {
        home: home.path(),
        url: &t.url,
    };
    let [a, _, _] = services(&t, &cli).await;
    let before = samples(&t).await;
    // Two faults in the row itself.
    let (code, doc) = ingest(&cli, &format!("{a},2026-10-01T00:00:00Z,x,-1\n"));
    assert_eq!(code, 1);
    let m = message(&doc);
    assert!(
        m.contains("1 bad row,") && m.contains("bytes_in \"x\"") && m.contains("bytes_out -1"),
        "{m}"
    );
    // Two faults against the database: stored with other counters, in a closed cycle.
    cli.ok(&["billing", "close", "--cycle", "2026-10"]);
    let (code, doc) = ingest(&cli, &format!("{a},{OCT},1,1\n"));
    assert_eq!(code, 1);
    let m = message(&doc);
    assert!(
        m.contains("1 bad row,") && m.contains("other counters") && m.contains("is closed"),
        "{m}"
    );
    // Many bad rows: counted once each, those not listed summed up.
    let repeats = format!("{a},2026-11-01T00:00:00Z,1,1\n").repeat(61);
    let (code, doc) = ingest(&cli, &repeats);
    let m = message(&doc);
    assert!(
        code == 1 && m.contains("60 bad rows,") && m.ends_with("; and 10 more"),
        "{m}"
    );
    assert_eq!(samples(&t).await, before);
}
