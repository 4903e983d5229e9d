//! Billing against real PostgreSQL: plans refused with every fault, assignments, and
//! usage ingested all or nothing with every bad row named.

mod support;

use carve::billing::plan::{Direction, Model, Plan, Tier};
use carve::error::ErrorKind;
use carve::service::billing;
use support::billing::{OCT, billing_state, d, ingest, plan, usage};
use support::site::{count, site, transit_services};

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
        "\"euro\" is not an ISO 4217 currency code",
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
