//! Billing benchmark: `cargo bench --bench billing` (run by hand, not in CI).
//!
//! A month of 5-minute samples for 1,000 transit services (September 2026: 30 days,
//! 8,640 periods each, 8.64 million rows) is written to a CSV file, ingested with
//! `carve billing ingest`'s code path, and the cycle closed (an invoice per service:
//! a quarter each on p95, commit_burst, transfer and flat), closed again, and the file
//! ingested again (every row already stored: a no-op). Prints the time of each step;
//! the last line is one JSON object with every figure.
//!
//! Settings (environment): BENCH_SERVICES=1000, DATABASE_URL (else a private cluster
//! under a temp dir, fsync on).

mod common;

use std::io::{BufWriter, Write};
use std::time::Instant;

use carve::billing::cycle::Cycle;
use carve::billing::plan::{Model, Plan, Tier};
use carve::service::progress::Quiet;
use carve::service::provision::{self, ProvisionRequest};
use carve::service::{billing, catalog, products};
use rust_decimal::Decimal;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn plans() -> Vec<Plan> {
    let base = |name: &str, model| Plan::new(name, model, "EUR");
    let tiers = |list: &[&str]| list.iter().map(|t| Tier::parse(t).unwrap()).collect();
    vec![
        Plan {
            price_per_mbps: Some(d("0.85")),
            ..base("p95", Model::P95)
        },
        Plan {
            commit_mbps: Some(d("500")),
            commit_price: Some(d("0.60")),
            tiers: tiers(&["1000:0.90", "rest:0.75"]),
            ..base("commit", Model::CommitBurst)
        },
        Plan {
            included_gb: d("10000"),
            tiers: tiers(&["50000:0.004", "rest:0.003"]),
            ..base("transfer", Model::Transfer)
        },
        Plan {
            flat_fee: Some(d("499.00")),
            ..base("flat", Model::Flat)
        },
    ]
}

#[tokio::main]
async fn main() {
    let services: usize = std::env::var("BENCH_SERVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let (_guard, admin) = common::server().await;
    let (_pg, db) = common::fresh_db(&admin, "carve_bench_billing", 8).await;

    let started = Instant::now();
    catalog::add(&db, carve::model::Catalog::Location, "FRA1")
        .await
        .unwrap();
    catalog::add(&db, carve::model::Catalog::Customer, "cust-1")
        .await
        .unwrap();
    products::add_device(&db, "edge-1", "FRA1", None)
        .await
        .unwrap();
    products::save(&db, "transit", &json!({"mode": "disabled"}), false)
        .await
        .unwrap();
    for plan in plans() {
        billing::add_plan(&db, plan).await.unwrap();
    }
    let names = ["p95", "commit", "transfer", "flat"];
    let mut ids = Vec::with_capacity(services);
    for i in 0..services {
        let request = ProvisionRequest {
            customer: "cust-1".into(),
            product: "transit".into(),
            device: "edge-1".into(),
            dry_run: false,
        };
        let id = provision::provision(&db, &request)
            .await
            .unwrap()
            .service
            .id;
        billing::assign(&db, id, names[i % 4], None).await.unwrap();
        ids.push(id);
    }
    println!(
        "{services} services with plans: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let cycle = Cycle::parse("2026-09").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.csv");
    let started = Instant::now();
    let rows = write_usage(&path, &ids, cycle);
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "wrote {rows} rows ({:.0} MB): {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let report = billing::ingest(&db, "usage.csv", file, &Quiet)
        .await
        .unwrap();
    let ingest_s = started.elapsed().as_secs_f64();
    assert_eq!(report.ingested as usize, rows);
    println!(
        "ingest: {ingest_s:.1} s ({:.0} rows/s)",
        rows as f64 / ingest_s
    );

    let started = Instant::now();
    let closed = billing::close(&db, cycle, None, false, &Quiet)
        .await
        .unwrap();
    let close_s = started.elapsed().as_secs_f64();
    assert_eq!(closed.issued, services);
    println!("close: {close_s:.1} s ({} invoices)", closed.issued);

    let started = Instant::now();
    let again = billing::close(&db, cycle, None, false, &Quiet)
        .await
        .unwrap();
    let reclose_s = started.elapsed().as_secs_f64();
    assert_eq!((again.issued, again.unchanged), (0, services));
    println!("close again (no change): {reclose_s:.2} s");

    let started = Instant::now();
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap());
    let again = billing::ingest(&db, "usage.csv", file, &Quiet)
        .await
        .unwrap();
    let reingest_s = started.elapsed().as_secs_f64();
    assert_eq!(again.unchanged as usize, rows);
    println!("re-ingest of the same file into the closed cycle (a no-op): {reingest_s:.1} s");

    println!(
        "{}",
        json!({"services": services, "rows": rows, "file_mb": size / 1_000_000,
               "ingest_s": ingest_s, "close_s": close_s, "reclose_s": reclose_s,
               "reingest_s": reingest_s})
    );
}

/// Every period of the cycle for every service: a daily curve with some noise, in and
/// out, in epoch seconds (the smaller of the two accepted forms).
fn write_usage(path: &std::path::Path, ids: &[i64], cycle: Cycle) -> usize {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(out, "service,period_start,bytes_in,bytes_out").unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut rows = 0;
    for (k, id) in ids.iter().enumerate() {
        let scale = 20 + (k as u64 % 50) * 30;
        for i in 0..cycle.periods() as u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let hour = (i / 12) % 24;
            let day_curve = if (8..22).contains(&hour) { 3 } else { 1 };
            let mbps = scale * day_curve + state % (scale + 1);
            let at = cycle.start() + 300 * i as i64;
            writeln!(out, "{id},{at},{},{}", mbps * 37_500_000, mbps * 12_000_000).unwrap();
            rows += 1;
        }
    }
    out.flush().unwrap();
    rows
}
