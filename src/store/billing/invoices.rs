//! Invoices: issued once per service and cycle, never changed, only voided when the
//! cycle is reopened (the database refuses anything else).

use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;
use time::Date;

use super::super::errors::db_error;
use crate::billing::invoice::{Invoice, Line, Working};
use crate::billing::money;
use crate::billing::plan::{Direction, Plan};
use crate::error::{Error, Result};
use crate::model::{StoredInvoice, Voided};

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    id: i64,
    service_id: i64,
    customer: String,
    cycle: String,
    status: String,
    issued_at: String,
    plan: Json<Plan>,
    direction: String,
    currency: String,
    total: Decimal,
    lines: Json<Vec<Line>>,
    working: Json<Working>,
}

/// Serialises closing and reopening one cycle until the transaction ends.
pub async fn lock_cycle(conn: &mut PgConnection, cycle: Date) -> Result<()> {
    super::super::locks::hold_until_commit(conn, &format!("billing cycle {cycle}")).await
}

pub async fn insert(
    conn: &mut PgConnection,
    service_id: i64,
    cycle: Date,
    plan: &Plan,
    invoice: &Invoice,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO invoices (service_id, cycle, plan, direction, currency, total, lines, working)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(service_id)
    .bind(cycle)
    .bind(Json(plan))
    .bind(invoice.direction.as_str())
    .bind(&invoice.currency)
    .bind(invoice.total)
    .bind(Json(&invoice.lines))
    .bind(Json(&invoice.working))
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// The issued invoices of a cycle (all services, or one), by service.
pub async fn issued(
    conn: &mut PgConnection,
    cycle: Date,
    service_id: Option<i64>,
) -> Result<Vec<StoredInvoice>> {
    let rows: Vec<InvoiceRow> = sqlx::query_as(
        "SELECT i.id, i.service_id, c.name AS customer, to_char(i.cycle, 'YYYY-MM') AS cycle,
                i.status,
                to_char(i.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS issued_at,
                i.plan, i.direction, i.currency, i.total, i.lines, i.working
         FROM invoices i
         JOIN services s ON s.id = i.service_id
         JOIN customers c ON c.id = s.customer_id
         WHERE i.cycle = $1 AND i.status = 'issued' AND ($2::bigint IS NULL OR i.service_id = $2)
         ORDER BY i.service_id",
    )
    .bind(cycle)
    .bind(service_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    rows.into_iter()
        .map(|r| {
            let direction = Direction::parse(&r.direction)
                .ok_or_else(|| Error::internal(format!("stored direction {:?}", r.direction)))?;
            Ok(StoredInvoice {
                id: Some(r.id),
                service_id: r.service_id,
                customer: r.customer,
                cycle: r.cycle,
                status: r.status,
                issued_at: Some(r.issued_at),
                plan: r.plan.0,
                invoice: Invoice {
                    total: amount(r.total, &r.currency),
                    currency: r.currency,
                    direction,
                    lines: r.lines.0,
                    working: r.working.0,
                },
            })
        })
        .collect()
}

/// A voided invoice: which, for whom, and what it said.
/// Voids the issued invoices of a cycle (all services, or one).
pub async fn void(
    conn: &mut PgConnection,
    cycle: Date,
    service_id: Option<i64>,
) -> Result<Vec<Voided>> {
    let voided: Vec<Voided> = sqlx::query_as(
        "UPDATE invoices SET status = 'void', voided_at = now()
         WHERE cycle = $1 AND status = 'issued' AND ($2::bigint IS NULL OR service_id = $2)
         RETURNING id, service_id, currency, total",
    )
    .bind(cycle)
    .bind(service_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(voided
        .into_iter()
        .map(|v| Voided {
            total: amount(v.total, &v.currency),
            ..v
        })
        .collect())
}

/// An amount read back. A zero comes back from numeric without its scale (`0`, not
/// `0.00`); amounts are stored rounded, so rounding again only puts the decimals back.
fn amount(total: Decimal, currency: &str) -> Decimal {
    money::round(total, currency)
}
