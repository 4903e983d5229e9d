//! Billing against real PostgreSQL: plans refused with every fault, usage ingested all
//! or nothing, cycles closed once (the database keeps issued invoices and their samples
//! frozen), reopened, and invoices whose totals were worked out by hand.

mod support;

use carve::billing::cycle::Cycle;
use carve::billing::plan::{Direction, Model, Plan, Tier};
use carve::error::ErrorKind;
use carve::service::billing;
use carve::store::Db;
use rust_decimal::Decimal;
use support::site::{count, site, transit_services};

/// 2026-10-01T00:00:00Z: October has 31 days, N = 8928, rank 8482.
const OCT: i64 = 1_790_812_800;
const MBPS: i64 = 37_500_000;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn plan(name: &str, model: Model) -> Plan {
    Plan {
        name: name.into(),
        model,
        currency: "eur".into(),
        price_per_mbps: None,
        commit_mbps: None,
        commit_price: None,
        burst_price_per_mbps: None,
        included_gb: Decimal::ZERO,
        tiers: Vec::new(),
        flat_fee: None,
    }
}

fn october() -> Cycle {
    Cycle::parse("2026-10").unwrap()
}

/// A usage file: one row per (service, period index, Mbps in, Mbps out).
fn usage(rows: impl IntoIterator<Item = (i64, i64, i64, i64)>) -> String {
    let mut text = String::from("service,period_start,bytes_in,bytes_out\n");
    for (service, i, m_in, m_out) in rows {
        text.push_str(&format!(
            "{service},{},{},{}\n",
            OCT + 300 * i,
            m_in * MBPS,
            m_out * MBPS
        ));
    }
    text
}

async fn ingest(db: &Db, text: &str) -> carve::error::Result<billing::IngestReport> {
    billing::ingest(db, "usage.csv", text.as_bytes()).await
}

/// What a refused change must leave alone.
async fn billing_state(t: &support::TestDb) -> String {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM billing_plans) || '/' || (SELECT count(*) FROM service_billing)
             || '/' || (SELECT count(*) FROM usage_samples) || '/'
             || (SELECT coalesce(sum(bytes_in + bytes_out), 0) FROM usage_samples)
             || '/' || (SELECT count(*) FROM invoices WHERE status = 'issued')",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_plan_with_faults_is_refused_with_all_of_them() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let bad = Plan {
        currency: "euro".into(),
        price_per_mbps: Some(d("1")),
        tiers: vec![Tier::parse("100:0.05").unwrap()],
        ..plan("bulk", Model::Transfer)
    };
    let e = billing::add_plan(&db, bad).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    for needle in [
        "\"euro\" is not a three-letter code",
        "--price-per-mbps 1 does not apply to model transfer",
        "the last tier must be without end",
    ] {
        assert!(e.message.contains(needle), "{}", e.message);
    }
    assert_eq!(billing_state(&t).await, "0/0/0/0/0");
    let good = billing::add_plan(
        &db,
        Plan {
            price_per_mbps: Some(d("0.90")),
            ..plan("p95", Model::P95)
        },
    )
    .await
    .unwrap();
    assert_eq!(good.plan.currency, "EUR");
    let again = billing::add_plan(
        &db,
        Plan {
            price_per_mbps: Some(d("1")),
            ..plan("p95", Model::P95)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(again.kind, ErrorKind::Conflict);
    // The database holds the same rule: a p95 plan without its price cannot be stored.
    let raw =
        sqlx::query("INSERT INTO billing_plans (name, model, currency) VALUES ('x', 'p95', 'EUR')")
            .execute(&t.pool)
            .await;
    assert!(
        raw.unwrap_err()
            .to_string()
            .contains("billing_plans_model_fields")
    );
}

#[tokio::test]
async fn assigning_names_what_is_missing() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let ids = transit_services(&db, 1).await;
    billing::add_plan(
        &db,
        Plan {
            flat_fee: Some(d("10")),
            ..plan("flat", Model::Flat)
        },
    )
    .await
    .unwrap();
    let e = billing::assign(&db, 999, "flat", None).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let e = billing::assign(&db, ids[0], "nope", None)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("unknown billing plan \"nope\""),
        "{}",
        e.message
    );
    assert!(
        billing::direction("both")
            .unwrap_err()
            .message
            .contains("in, out, max, sum")
    );
    let a = billing::assign(&db, ids[0], "flat", Some(Direction::In))
        .await
        .unwrap();
    assert_eq!(
        (a.direction, a.default_direction),
        (Some(Direction::In), Direction::Max)
    );
    assert_eq!(billing_state(&t).await, "1/1/0/0/0");
}

#[tokio::test]
async fn ingest_is_all_or_nothing_and_names_every_bad_row() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let ids = transit_services(&db, 2).await;
    let (a, b) = (ids[0], ids[1]);
    let good = usage([(a, 0, 10, 5), (a, 1, 12, 6), (b, 0, 1, 1)]);
    let report = ingest(&db, &good).await.unwrap();
    assert_eq!((report.rows, report.ingested, report.unchanged), (3, 3, 0));
    let before = billing_state(&t).await;
    // The same rows again: a no-op.
    let report = ingest(&db, &good).await.unwrap();
    assert_eq!((report.ingested, report.unchanged), (0, 3));
    assert_eq!(billing_state(&t).await, before);

    // Rows wrong on their own: all listed by line number, nothing stored.
    let text = format!(
        "service,period_start,bytes_in,bytes_out\n{a},{},1,1\n{a},{},-5,1\n\n{a},2026-10-01T00:10:00Z,1,x\n{a},{},1,1\n",
        OCT + 7,
        OCT + 600,
        OCT + 900
    );
    let e = ingest(&db, &text).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    for needle in [
        "3 bad rows, nothing ingested",
        "row 2: period_start",
        "5-minute boundary",
        "row 3: bytes_in -5 is negative",
        "row 5: bytes_out \"x\"",
    ] {
        assert!(e.message.contains(needle), "{needle}: {}", e.message);
    }
    // Rows wrong against each other or the database.
    let text = usage([
        (a, 5, 1, 1),
        (a, 5, 1, 1),
        (999, 6, 1, 1),
        (a, 1, 99, 6),
        (b, 9, 1, 1),
    ]);
    let e = ingest(&db, &text).await.unwrap_err();
    for needle in [
        format!("row 3: service {a} period 2026-10-01T00:25Z repeats row 2"),
        "row 4: service 999 does not exist".to_owned(),
        format!(
            "row 5: service {a} period 2026-10-01T00:05Z is already stored with other counters (in 450000000, out 225000000)"
        ),
    ] {
        assert!(e.message.contains(&needle), "{needle}: {}", e.message);
    }
    assert!(e.message.contains("3 bad rows"), "{}", e.message);
    assert_eq!(billing_state(&t).await, before);
    let e = ingest(&db, "service,period_start,bytes_in,bytes_out\n")
        .await
        .unwrap_err();
    assert!(e.message.contains("holds no samples"), "{}", e.message);
    let failures = count(&t, "SELECT count(*) FROM provisioning_logs WHERE event = 'billing_ingest' AND outcome = 'failed'").await;
    assert_eq!(failures, 3);
}

/// Service `a` on commit_burst (commit 100 at 1.00, burst 3.00): in runs at 250 Mbps in
/// the first 8482 periods (the rank) and 1000 in the other 446, out at 50; so the
/// 95th (max) is 250 and the invoice 100 + 150 x 3 = 550.00. Service `b` on a transfer
/// plan: 600 GB out (6000 periods of 100 MB), 50 GB included, tiers 100:0.05 500:0.04
/// rest:0.03: 5.00 + 16.00 + 50 x 0.03 = 22.50.
async fn billed_october(t: &support::TestDb, db: &Db) -> (i64, i64) {
    let ids = transit_services(db, 2).await;
    let (a, b) = (ids[0], ids[1]);
    let commit = Plan {
        commit_mbps: Some(d("100")),
        commit_price: Some(d("1.00")),
        burst_price_per_mbps: Some(d("3.00")),
        ..plan("commit", Model::CommitBurst)
    };
    let transfer = Plan {
        included_gb: d("50"),
        tiers: ["100:0.05", "500:0.04", "rest:0.03"]
            .iter()
            .map(|t| Tier::parse(t).unwrap())
            .collect(),
        ..plan("bulk", Model::Transfer)
    };
    billing::add_plan(db, commit).await.unwrap();
    billing::add_plan(db, transfer).await.unwrap();
    billing::assign(db, a, "commit", None).await.unwrap();
    billing::assign(db, b, "bulk", Some(Direction::Out))
        .await
        .unwrap();
    let mut text = usage((0..8928).map(|i| (a, i, if i < 8482 { 250 } else { 1000 }, 50)));
    for i in 0..6000 {
        text.push_str(&format!("{b},{},0,100000000\n", OCT + 300 * i));
    }
    let report = ingest(db, &text).await.unwrap();
    assert_eq!(report.ingested, 8928 + 6000);
    assert_eq!(count(t, "SELECT count(*) FROM usage_samples").await, 14_928);
    (a, b)
}

#[tokio::test]
async fn closing_issues_exact_invoices_once() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let (a, b) = billed_october(&t, &db).await;
    let dry = billing::close(&db, october(), None, true).await.unwrap();
    assert_eq!((dry.issued, dry.invoices.len()), (2, 2));
    assert!(
        dry.invoices
            .iter()
            .all(|i| i.status == "draft" && i.id.is_none())
    );
    assert_eq!(
        count(&t, "SELECT count(*) FROM invoices").await,
        0,
        "a dry run stores nothing"
    );

    let closed = billing::close(&db, october(), None, false).await.unwrap();
    assert_eq!((closed.issued, closed.unchanged), (2, 0));
    let total = |s: i64| {
        closed
            .invoices
            .iter()
            .find(|i| i.service_id == s)
            .unwrap()
            .invoice
            .total
    };
    assert_eq!(total(a), d("550.00"));
    assert_eq!(total(b), d("22.50"));
    let inv = billing::invoice(&db, a, october()).await.unwrap();
    let w = &inv.invoice.working;
    assert_eq!((w.periods, w.rank, w.missing), (8928, 8482, 0));
    assert_eq!(
        (w.p95_in_mbps, w.p95_out_mbps, w.p95_mbps),
        (d("250"), d("50"), d("250"))
    );
    assert_eq!(inv.status, "issued");

    // Closing again returns the same invoices and changes nothing.
    let again = billing::close(&db, october(), None, false).await.unwrap();
    assert_eq!((again.issued, again.unchanged), (0, 2));
    let ids = |r: &billing::CloseReport| {
        r.invoices
            .iter()
            .map(|i| (i.id, i.invoice.total))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&again), ids(&closed));
    assert_eq!(count(&t, "SELECT count(*) FROM invoices").await, 2);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM provisioning_logs WHERE event = 'billing_close'"
        )
        .await,
        1
    );

    // A cycle still running is not closed (a dry run shows it).
    let e = billing::close(&db, Cycle::parse("2026-12").unwrap(), None, false)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("cycle 2026-12 has not ended"),
        "{}",
        e.message
    );
    assert!(
        billing::close(&db, Cycle::parse("2026-12").unwrap(), None, true)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_closed_cycle_is_frozen_until_reopened() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let (a, _) = billed_october(&t, &db).await;
    billing::close(&db, october(), None, false).await.unwrap();
    let before = billing_state(&t).await;

    // A late sample is refused by carve, with its row...
    let late = usage([(a, 20, 1, 1)]);
    let e = ingest(&db, &late).await.unwrap_err();
    assert!(
        e.message
            .contains(&format!("row 2: cycle 2026-10 of service {a} is closed")),
        "{}",
        e.message
    );
    // ...and by the database itself, as are changes to an issued invoice.
    for sql in [
        format!("UPDATE usage_samples SET bytes_in = 0 WHERE service_id = {a}"),
        format!("DELETE FROM usage_samples WHERE service_id = {a}"),
        "UPDATE invoices SET total = 0".to_owned(),
        "DELETE FROM invoices".to_owned(),
    ] {
        let e = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&t.pool)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("closed")
                || e.to_string().contains("immutable")
                || e.to_string().contains("kept for good"),
            "{sql}: {e}"
        );
    }
    assert_eq!(billing_state(&t).await, before);

    // Reopening one service voids its invoice (kept on record); the late sample goes in
    // and the next close issues a new invoice; the other service's stands.
    let voided = billing::reopen(&db, october(), Some(a)).await.unwrap();
    assert_eq!(voided.len(), 1);
    ingest(&db, &usage([(a, 20, 1, 1)])).await.unwrap_err(); // period 20 exists: other counters
    let spike = usage((8928 - 1..8928).map(|i| (a, i, 1000, 50)));
    assert_eq!(ingest(&db, &spike).await.unwrap().unchanged, 1);
    let closed = billing::close(&db, october(), None, false).await.unwrap();
    assert_eq!((closed.issued, closed.unchanged), (1, 1));
    assert_eq!(
        count(&t, "SELECT count(*) FROM invoices WHERE status = 'void'").await,
        1
    );
    let e = billing::reopen(&db, Cycle::parse("2026-09").unwrap(), None)
        .await
        .unwrap_err();
    assert!(e.message.contains("no issued invoice"), "{}", e.message);
    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM provisioning_logs WHERE event LIKE 'billing_%' AND outcome = 'ok' ORDER BY id")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert!(
        events.ends_with(&[
            "billing_close".into(),
            "billing_reopen".into(),
            "billing_ingest".into(),
            "billing_close".into()
        ]),
        "{events:?}"
    );
}

#[tokio::test]
async fn missing_samples_and_the_default_direction() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let ids = transit_services(&db, 1).await;
    billing::add_plan(
        &db,
        Plan {
            price_per_mbps: Some(d("2")),
            ..plan("p95", Model::P95)
        },
    )
    .await
    .unwrap();
    billing::assign(&db, ids[0], "p95", None).await.unwrap();
    // In 100 Mbps, out 300 Mbps, for 8800 of 8928 periods: 128 missing count as zero.
    ingest(&db, &usage((128..8928).map(|i| (ids[0], i, 100, 300))))
        .await
        .unwrap();
    let draft = billing::invoice(&db, ids[0], october()).await.unwrap();
    assert_eq!(draft.status, "draft");
    assert_eq!(
        (
            draft.invoice.working.missing,
            draft.invoice.working.gap_runs
        ),
        (128, 1)
    );
    assert_eq!(draft.invoice.total, d("600.00"), "max: the out 95th");
    billing::set_default_direction(&db, Direction::Sum)
        .await
        .unwrap();
    assert_eq!(
        billing::invoice(&db, ids[0], october())
            .await
            .unwrap()
            .invoice
            .total,
        d("800.00")
    );
    billing::set_default_direction(&db, Direction::In)
        .await
        .unwrap();
    assert_eq!(
        billing::invoice(&db, ids[0], october())
            .await
            .unwrap()
            .invoice
            .total,
        d("200.00")
    );
    let graph = billing::graph(&db, ids[0], october()).await.unwrap();
    assert_eq!(graph.in_mbps.len(), 8928);
    assert_eq!((graph.in_mbps[0], graph.in_mbps[200]), (0.0, 100.0));
    assert_eq!(graph.p95_mbps, 100.0);
}
