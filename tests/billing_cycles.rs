//! Billing cycles against real PostgreSQL: invoices whose totals were worked out by hand,
//! issued once (the database keeps them and their samples frozen), reopened, and drafts
//! with missing samples and each direction.

mod support;

use carve::billing::cycle::Cycle;
use carve::billing::plan::{Direction, Model, Plan, Tier};
use carve::service::billing;
use carve::service::progress::Quiet;
use carve::store::Db;
use support::billing::{OCT, billing_state, d, ingest, october, plan, usage};
use support::site::{count, site, transit_services};

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
    let dry = billing::close(&db, october(), None, true, &Quiet)
        .await
        .unwrap();
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

    let closed = billing::close(&db, october(), None, false, &Quiet)
        .await
        .unwrap();
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
    let again = billing::close(&db, october(), None, false, &Quiet)
        .await
        .unwrap();
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
    let e = billing::close(&db, Cycle::parse("2026-12").unwrap(), None, false, &Quiet)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("cycle 2026-12 has not ended"),
        "{}",
        e.message
    );
    assert!(
        billing::close(&db, Cycle::parse("2026-12").unwrap(), None, true, &Quiet)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_closed_cycle_is_frozen_until_reopened() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let (a, _) = billed_october(&t, &db).await;
    billing::close(&db, october(), None, false, &Quiet)
        .await
        .unwrap();
    let before = billing_state(&t).await;

    // A late sample is refused by carve, with its row...
    let late = usage([(a, 20, 1, 1)]);
    let e = ingest(&db, &late).await.unwrap_err();
    assert!(
        e.message.contains(&format!(
            "row 2: service {a} period 2026-10-01T01:40Z: cycle 2026-10 is closed"
        )),
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
    // Re-sending rows stored with the same counters is still a no-op.
    let resent = usage([(a, 0, 250, 50), (a, 1, 250, 50)]);
    assert_eq!(ingest(&db, &resent).await.unwrap().unchanged, 2);

    let voided = billing::reopen(&db, october(), Some(a)).await.unwrap();
    assert_eq!(voided.len(), 1);
    ingest(&db, &usage([(a, 20, 1, 1)])).await.unwrap_err(); // period 20 exists: other counters
    let spike = usage((8928 - 1..8928).map(|i| (a, i, 1000, 50)));
    assert_eq!(ingest(&db, &spike).await.unwrap().unchanged, 1);
    let closed = billing::close(&db, october(), None, false, &Quiet)
        .await
        .unwrap();
    assert_eq!((closed.issued, closed.unchanged), (1, 1));
    assert_eq!(
        count(&t, "SELECT count(*) FROM invoices WHERE status = 'void'").await,
        1
    );
    let e = billing::reopen(&db, Cycle::parse("2026-09").unwrap(), None)
        .await
        .unwrap_err();
    assert!(e.message.contains("is not closed"), "{}", e.message);
    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM provisioning_logs WHERE event LIKE 'billing_%' AND outcome = 'ok' ORDER BY id")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert!(
        events.ends_with(&[
            "billing_close".into(),
            "billing_ingest".into(),
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
    let service = ids[0];
    let billed_by = |direction| {
        let db = db.clone();
        async move {
            billing::set_default_direction(&db, direction)
                .await
                .unwrap();
            let draft = billing::invoice(&db, service, october()).await.unwrap();
            draft.invoice.total
        }
    };
    assert_eq!(billed_by(Direction::Sum).await, d("800.00"));
    assert_eq!(billed_by(Direction::In).await, d("200.00"));
    let graph = billing::graph(&db, ids[0], october()).await.unwrap();
    assert_eq!(graph.mbps.len(), 8928);
    assert_eq!((graph.mbps[0], graph.mbps[200]), (0.0, 100.0));
    assert_eq!(graph.p95_mbps, 100.0);
}

#[tokio::test]
async fn concurrent_closes_and_ingests_issue_each_invoice_once() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let (a, _) = billed_october(&t, &db).await;
    // The same new rows ingested by four writers at once: stored once, the rest no-ops.
    let late = usage((0..50).map(|i| (a, 8928 + i, 7, 7)));
    let ingests = (0..4).map(|_| {
        let (db, late) = (db.clone(), late.clone());
        tokio::spawn(async move { billing::ingest(&db, "late.csv", late.as_bytes(), &Quiet).await })
    });
    let mut new = 0;
    for done in futures_join(ingests).await {
        new += done.unwrap().ingested;
    }
    assert_eq!(new, 50);
    // Eight closes at once: each invoice issued by exactly one of them.
    let closes = (0..8).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { billing::close(&db, october(), None, false, &Quiet).await })
    });
    let mut issued = 0;
    for done in futures_join(closes).await {
        let report = done.unwrap();
        assert_eq!(report.issued + report.unchanged, 2);
        issued += report.issued;
    }
    assert_eq!(issued, 2);
    assert_eq!(count(&t, "SELECT count(*) FROM invoices").await, 2);
}

async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap());
    }
    out
}

/// Samples written while a close or an ingest runs are neither left out of an invoice
/// nor silently dropped: they wait for each other.
#[tokio::test]
async fn writers_of_samples_wait_for_each_other() {
    let t = support::test_db().await;
    let db = site(&t).await;
    let (a, b) = billed_october(&t, &db).await;
    let insert = "INSERT INTO usage_samples VALUES ($1, to_timestamp($2), 0, $3)";
    // 50 GB more for b (period 7000 was empty), not yet committed when the close starts.
    let mut writer = t.pool.begin().await.unwrap();
    sqlx::query(insert)
        .bind(b)
        .bind((OCT + 300 * 7000) as f64)
        .bind(50_000_000_000_i64)
        .execute(&mut *writer)
        .await
        .unwrap();
    let closing = tokio::spawn({
        let db = db.clone();
        async move { billing::close(&db, october(), None, false, &Quiet).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!closing.is_finished(), "the close waits for the writer");
    writer.commit().await.unwrap();
    let closed = closing.await.unwrap().unwrap();
    let b_total = closed.invoices.iter().find(|i| i.service_id == b).unwrap();
    // 650 GB out, 600 billable: 100 x 0.05 + 400 x 0.04 + 100 x 0.03.
    assert_eq!(b_total.invoice.total, d("24.00"));

    // An ingest racing an uncommitted write of the same period with other counters is
    // refused once it sees it, instead of reporting it "already stored".
    let november = 8928 + 10;
    let mut writer = t.pool.begin().await.unwrap();
    sqlx::query(insert)
        .bind(a)
        .bind((OCT + 300 * november) as f64)
        .bind(111_i64)
        .execute(&mut *writer)
        .await
        .unwrap();
    let ingesting = tokio::spawn({
        let db = db.clone();
        let text = usage([(a, november, 9, 9)]);
        async move { billing::ingest(&db, "usage.csv", text.as_bytes(), &Quiet).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!ingesting.is_finished(), "the ingest waits for the writer");
    writer.commit().await.unwrap();
    let e = ingesting.await.unwrap().unwrap_err();
    assert!(
        e.message.contains("already stored with other counters"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_dry_run_close_needs_no_write_access() {
    let t = support::test_db().await;
    let db = site(&t).await;
    billed_october(&t, &db).await;
    t.exec(&carve::store::roles::roles_sql()).await;
    let reader = format!("ro_{}", t.name);
    t.exec(&format!(
        "CREATE ROLE {reader} LOGIN PASSWORD 'look' IN ROLE carve_readonly"
    ))
    .await;
    let options = t
        .options
        .clone()
        .username(&reader)
        .password("look")
        .database(&t.name);
    let ro = Db::over(
        sqlx::PgPool::connect_with(options).await.unwrap(),
        reader.clone(),
    );
    let dry = billing::close(&ro, october(), None, true, &Quiet)
        .await
        .unwrap();
    assert_eq!((dry.issued, dry.invoices.len()), (2, 2));
    assert!(
        billing::close(&ro, october(), None, false, &Quiet)
            .await
            .is_err()
    );
    assert_eq!(count(&t, "SELECT count(*) FROM invoices").await, 0);
}
