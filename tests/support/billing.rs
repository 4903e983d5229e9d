//! Billing fixtures: plans, usage files for October 2026, and a fingerprint of the
//! billing tables that a refused change must leave alone.

use carve::billing::cycle::Cycle;
use carve::billing::plan::{Model, Plan};
use carve::service::billing;
use carve::service::progress::Quiet;
use carve::store::Db;
use rust_decimal::Decimal;

use super::TestDb;

pub const OCT: i64 = 1_790_812_800;
pub const MBPS: i64 = 37_500_000;

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn plan(name: &str, model: Model) -> Plan {
    Plan::new(name, model, "eur")
}

pub fn october() -> Cycle {
    Cycle::parse("2026-10").unwrap()
}

/// A usage file: one row per (service, period index, Mbps in, Mbps out).
pub fn usage(rows: impl IntoIterator<Item = (i64, i64, i64, i64)>) -> String {
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

pub async fn ingest(db: &Db, text: &str) -> carve::error::Result<billing::IngestReport> {
    billing::ingest(db, "usage.csv", text.as_bytes(), &Quiet).await
}

/// What a refused change must leave alone.
pub async fn billing_state(t: &TestDb) -> String {
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
