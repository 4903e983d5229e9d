//! IP transit billing use cases: plans, which plan bills a service, the default
//! direction; ingesting usage and closing cycles live in their own files.

mod close;
mod ingest;

pub use close::{CloseReport, Graph, close, graph, invoice, reopen};
pub use ingest::{IngestReport, ingest};

use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

use super::provision::unknown_service;
use super::tx::journal_if_failed;
use crate::billing::money;
use crate::billing::plan::{Direction, Plan};
use crate::error::{Error, Result};
use crate::model::{Event, StoredPlan};
use crate::store::billing as store;
use crate::store::journal;
use crate::store::{Db, db_error, services};

/// Adds a plan after checking it in full: every fault is reported at once, nothing is
/// stored then.
pub async fn add_plan(db: &Db, plan: Plan) -> Result<StoredPlan> {
    let request = json!({"plan": plan.name, "model": plan.model});
    let result = async {
        let plan = checked(plan)?;
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        let stored = store::add_plan(&mut tx, &plan).await?;
        journal::record(
            &mut tx,
            &Event::new("billing_plan_add", json!({"plan": &plan})),
        )
        .await?;
        tx.commit().await.map_err(db_error)?;
        Ok(stored)
    }
    .await;
    journal_if_failed(db, "billing_plan_add", request, false, result).await
}

fn checked(mut plan: Plan) -> Result<Plan> {
    let mut faults = Vec::new();
    match money::currency(&plan.currency) {
        Some(code) => plan.currency = code,
        None => faults.push(format!(
            "--currency {:?} is not an ISO 4217 currency code (EUR, USD, GBP, ...)",
            plan.currency
        )),
    }
    faults.extend(plan.check());
    if faults.is_empty() {
        return Ok(plan);
    }
    Err(Error::validation(format!(
        "billing plan {:?} refused: {}",
        plan.name,
        faults.join("; ")
    )))
}

pub async fn list_plans(db: &Db) -> Result<Vec<StoredPlan>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    store::list_plans(&mut conn).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    pub service: i64,
    pub customer: String,
    pub plan: String,
    /// The service's own direction, if it overrides the default.
    pub direction: Option<Direction>,
    pub default_direction: Direction,
}

/// Bills `service` by the plan called `plan` from now on.
pub async fn assign(
    db: &Db,
    service: i64,
    plan: &str,
    direction: Option<Direction>,
) -> Result<Assignment> {
    let request = json!({"service": service, "plan": plan, "direction": direction});
    let result = async {
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        let found = services::service_by_id(&mut tx, service, false)
            .await?
            .ok_or_else(|| unknown_service(service))?;
        let stored = plan_named(&mut tx, plan).await?;
        store::assign(&mut tx, service, stored.id, direction).await?;
        journal::record(
            &mut tx,
            &Event::new(
                "billing_assign",
                json!({"service": service, "plan": plan, "direction": direction}),
            ),
        )
        .await?;
        let default_direction = store::default_direction(&mut tx).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Assignment {
            service,
            customer: found.customer,
            plan: stored.plan.name,
            direction,
            default_direction,
        })
    }
    .await;
    journal_if_failed(db, "billing_assign", request, false, result).await
}

async fn plan_named(conn: &mut PgConnection, name: &str) -> Result<StoredPlan> {
    store::plan_by_name(conn, name).await?.ok_or_else(|| {
        Error::not_found(format!(
            "unknown billing plan {name:?} (see: carve billing plan list)"
        ))
    })
}

/// Sets the direction billed for services without their own.
pub async fn set_default_direction(db: &Db, direction: Direction) -> Result<Direction> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let before = store::default_direction(&mut tx).await?;
    store::set_default_direction(&mut tx, direction).await?;
    journal::record(
        &mut tx,
        &Event::new(
            "billing_setting",
            json!({"direction": direction, "was": before}),
        ),
    )
    .await?;
    tx.commit().await.map_err(db_error)?;
    Ok(direction)
}

/// `in`, `out`, `max` or `sum`, or an error naming the option.
pub fn direction(text: &str) -> Result<Direction> {
    Direction::parse(text).ok_or_else(|| {
        Error::validation(format!(
            "direction {text:?} is not one of in, out, max, sum"
        ))
    })
}
