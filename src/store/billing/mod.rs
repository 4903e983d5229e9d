//! Billing tables: plans, the default direction, which plan bills which service; usage
//! samples and invoices in their own files.

pub mod closures;
pub mod invoices;
pub mod usage;

use sqlx::PgConnection;
use sqlx::types::Json;

use super::errors::{db_error, violated_constraint};
use crate::billing::plan::{Direction, Model, Plan, Tier};
use crate::engine::text::quote;
use crate::error::{Error, Result};
use crate::model::StoredPlan;

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    name: String,
    model: String,
    currency: String,
    price_per_mbps: Option<rust_decimal::Decimal>,
    commit_mbps: Option<rust_decimal::Decimal>,
    commit_price: Option<rust_decimal::Decimal>,
    burst_price_per_mbps: Option<rust_decimal::Decimal>,
    included_gb: rust_decimal::Decimal,
    tiers: Json<Vec<Tier>>,
    flat_fee: Option<rust_decimal::Decimal>,
    services: i64,
}

impl PlanRow {
    fn into_plan(self) -> Result<StoredPlan> {
        let model = Model::parse(&self.model).ok_or_else(|| {
            Error::internal(format!("plan {}: unknown model {}", self.name, self.model))
        })?;
        Ok(StoredPlan {
            id: self.id,
            services: self.services,
            plan: Plan {
                name: self.name,
                model,
                currency: self.currency,
                price_per_mbps: self.price_per_mbps,
                commit_mbps: self.commit_mbps,
                commit_price: self.commit_price,
                burst_price_per_mbps: self.burst_price_per_mbps,
                included_gb: self.included_gb,
                tiers: self.tiers.0,
                flat_fee: self.flat_fee,
            },
        })
    }
}

const PLAN_SELECT: &str = "SELECT p.id, p.name, p.model, p.currency, p.price_per_mbps,
        p.commit_mbps, p.commit_price, p.burst_price_per_mbps, p.included_gb, p.tiers,
        p.flat_fee, (SELECT count(*) FROM service_billing b WHERE b.plan_id = p.id) AS services
    FROM billing_plans p";

pub async fn add_plan(conn: &mut PgConnection, plan: &Plan) -> Result<StoredPlan> {
    sqlx::query(
        "INSERT INTO billing_plans (name, model, currency, price_per_mbps, commit_mbps,
             commit_price, burst_price_per_mbps, included_gb, tiers, flat_fee)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&plan.name)
    .bind(plan.model.as_str())
    .bind(&plan.currency)
    .bind(plan.price_per_mbps)
    .bind(plan.commit_mbps)
    .bind(plan.commit_price)
    .bind(plan.burst_price_per_mbps)
    .bind(plan.included_gb)
    .bind(Json(&plan.tiers))
    .bind(plan.flat_fee)
    .execute(&mut *conn)
    .await
    .map_err(|e| match violated_constraint(&e).as_deref() {
        Some("billing_plans_name_key") => {
            Error::conflict(format!("billing plan {} already exists", quote(&plan.name)))
        }
        Some("billing_plans_name_check") => Error::validation(format!(
            "plan name {} must not be empty or start or end with spaces",
            quote(&plan.name)
        )),
        _ => db_error(e),
    })?;
    plan_by_name(conn, &plan.name)
        .await?
        .ok_or_else(|| Error::internal("a plan just added is missing"))
}

pub async fn plan_by_name(conn: &mut PgConnection, name: &str) -> Result<Option<StoredPlan>> {
    let row: Option<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAN_SELECT} WHERE p.name = $1"
    )))
    .bind(name)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    row.map(PlanRow::into_plan).transpose()
}

pub async fn list_plans(conn: &mut PgConnection) -> Result<Vec<StoredPlan>> {
    let rows: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAN_SELECT} ORDER BY p.name"
    )))
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    rows.into_iter().map(PlanRow::into_plan).collect()
}

/// Bills `service_id` by `plan_id` from now on (replacing an earlier assignment).
pub async fn assign(
    conn: &mut PgConnection,
    service_id: i64,
    plan_id: i64,
    direction: Option<Direction>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO service_billing (service_id, plan_id, direction) VALUES ($1, $2, $3)
         ON CONFLICT (service_id) DO UPDATE
         SET plan_id = EXCLUDED.plan_id, direction = EXCLUDED.direction, assigned_at = now()",
    )
    .bind(service_id)
    .bind(plan_id)
    .bind(direction.map(Direction::as_str))
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn default_direction(conn: &mut PgConnection) -> Result<Direction> {
    let text: String = sqlx::query_scalar("SELECT direction FROM billing_settings")
        .fetch_one(conn)
        .await
        .map_err(db_error)?;
    Direction::parse(&text).ok_or_else(|| Error::internal(format!("stored direction {text:?}")))
}

pub async fn set_default_direction(conn: &mut PgConnection, direction: Direction) -> Result<()> {
    sqlx::query("UPDATE billing_settings SET direction = $1")
        .bind(direction.as_str())
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// A service that a cycle bills, with its plan and the direction that applies.
#[derive(Debug, Clone)]
pub struct Billed {
    pub service_id: i64,
    pub customer: String,
    pub plan: StoredPlan,
    pub direction: Direction,
}

#[derive(sqlx::FromRow)]
struct BilledRow {
    service_id: i64,
    customer: String,
    plan_name: String,
    direction: String,
}

/// Services with a plan that the cycle `[from, to)` bills (all, or one): provisioned
/// before it ended (or with samples in it, for usage older than the service's record in
/// carve) and not cancelled before it began.
pub async fn billed_services(
    conn: &mut PgConnection,
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
    service_id: Option<i64>,
) -> Result<Vec<Billed>> {
    let rows: Vec<BilledRow> = sqlx::query_as(
        "SELECT s.id AS service_id, c.name AS customer, p.name AS plan_name,
                coalesce(b.direction, (SELECT direction FROM billing_settings)) AS direction
         FROM service_billing b
         JOIN services s ON s.id = b.service_id
         JOIN customers c ON c.id = s.customer_id
         JOIN billing_plans p ON p.id = b.plan_id
         WHERE (s.provisioned_at < $2
                OR EXISTS (SELECT 1 FROM usage_samples u WHERE u.service_id = s.id
                           AND u.period_start >= $1 AND u.period_start < $2))
           AND (s.cancelled_at IS NULL OR s.cancelled_at >= $1)
           AND ($3::bigint IS NULL OR s.id = $3)
         ORDER BY s.id",
    )
    .bind(from)
    .bind(to)
    .bind(service_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let plans = list_plans(conn).await?;
    rows.into_iter()
        .map(|r| {
            let plan = plans
                .iter()
                .find(|p| p.plan.name == r.plan_name)
                .cloned()
                .ok_or_else(|| Error::internal("a billed service's plan is missing"))?;
            let direction = Direction::parse(&r.direction)
                .ok_or_else(|| Error::internal(format!("stored direction {:?}", r.direction)))?;
            Ok(Billed {
                service_id: r.service_id,
                customer: r.customer,
                plan,
                direction,
            })
        })
        .collect()
}

/// A service's billing around a cycle, to say why the cycle does not bill it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Standing {
    pub plan: Option<String>,
    /// `2026-11-25` (UTC).
    pub provisioned: String,
    pub cancelled: Option<String>,
    pub cancelled_before: bool,
}

/// How `service_id` stands towards a cycle beginning at `from`; None if there is no such
/// service.
pub async fn standing(
    conn: &mut PgConnection,
    service_id: i64,
    from: time::OffsetDateTime,
) -> Result<Option<Standing>> {
    sqlx::query_as(
        "SELECT p.name AS plan,
                to_char(s.provisioned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS provisioned,
                to_char(s.cancelled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS cancelled,
                coalesce(s.cancelled_at < $2, false) AS cancelled_before
         FROM services s
         LEFT JOIN service_billing b ON b.service_id = s.id
         LEFT JOIN billing_plans p ON p.id = b.plan_id
         WHERE s.id = $1",
    )
    .bind(service_id)
    .bind(from)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}
