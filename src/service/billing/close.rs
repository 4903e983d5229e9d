//! Closing a cycle (for every service or for one: an invoice per billed service, issued
//! once and never changed, and the cycle's samples frozen), reopening it, and reading an
//! invoice or the rates behind it.

use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::super::progress::Progress;
use super::super::provision::unknown_service;
use super::super::tx::journal_if_failed;
use crate::billing::cycle::{Cycle, Series};
use crate::billing::invoice::{self, Invoice};
use crate::billing::plan::{Direction, Model};
use crate::error::{Error, Result};
use crate::model::{Event, StoredInvoice, Voided};
use crate::store::billing::invoices;
use crate::store::billing::{self as store, Billed, closures, usage};
use crate::store::journal;
use crate::store::{Db, db_error};

#[derive(Debug, Clone, Serialize)]
pub struct CloseReport {
    pub cycle: Cycle,
    /// The one service closed; None: every service.
    pub service: Option<i64>,
    pub dry_run: bool,
    /// The cycle was closed before: nothing changed.
    pub already_closed: bool,
    /// Invoices issued by this run (shown, not stored, on a dry run).
    pub issued: usize,
    /// Invoices that were already issued and stand unchanged.
    pub unchanged: usize,
    pub invoices: Vec<StoredInvoice>,
}

/// Closes the cycle for every service (or one): its samples are refused from then on, and
/// each service it bills gets its invoice. Closing a closed cycle changes nothing and
/// returns the invoices that stand.
pub async fn close(
    db: &Db,
    cycle: Cycle,
    service: Option<i64>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<CloseReport> {
    let request = json!({"cycle": cycle, "service": service});
    let result = close_once(db, cycle, service, dry_run, progress).await;
    journal_if_failed(db, "billing_close", request, dry_run, result).await
}

async fn close_once(
    db: &Db,
    cycle: Cycle,
    service: Option<i64>,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<CloseReport> {
    let (_, to) = bounds(cycle)?;
    if !dry_run && to > OffsetDateTime::now_utc() {
        return Err(Error::validation(format!(
            "cycle {cycle} has not ended (it ends {}); --dry-run shows the invoices so far",
            crate::billing::cycle::utc_text(cycle.end())
        )));
    }
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    // A dry run writes nothing, so it needs no turn (and a read-only role may not take
    // the lock, which is a row it cannot write).
    if !dry_run {
        invoices::lock_cycle(&mut tx, cycle.first_day).await?;
    }
    let state = closures::state(&mut tx, cycle.first_day).await?;
    let already_closed = match service {
        None => state.wholly_closed(),
        Some(s) => state.is_closed(s),
    };
    let report = |standing: Vec<StoredInvoice>, issued, invoices| CloseReport {
        cycle,
        service,
        dry_run,
        already_closed,
        issued,
        unchanged: standing.len(),
        invoices,
    };
    if already_closed {
        let standing = invoices::issued(&mut tx, cycle.first_day, service).await?;
        tx.rollback().await.map_err(db_error)?;
        return Ok(report(standing.clone(), 0, standing));
    }
    if !dry_run {
        // No sample may change between reading it and issuing its invoice.
        usage::hold_for_close(&mut tx).await?;
    }
    progress.stage("reading services", 0);
    let billed = billed(&mut tx, cycle, service).await?;
    let standing = invoices::issued(&mut tx, cycle.first_day, service).await?;
    let due: Vec<Billed> = billed
        .into_iter()
        .filter(|b| !standing.iter().any(|s| s.service_id == b.service_id))
        .collect();
    progress.stage("computing invoices", due.len() as u64);
    let mut drafts = Vec::new();
    for b in due {
        let (_, invoice) = compute(&mut tx, &b, cycle).await?;
        drafts.push(draft_record(b, cycle, invoice));
        progress.advance(1);
    }
    let issued = drafts.len();
    if dry_run {
        let mut all: Vec<StoredInvoice> = standing.iter().cloned().chain(drafts).collect();
        all.sort_by_key(|i| i.service_id);
        tx.rollback().await.map_err(db_error)?;
        return Ok(report(standing, issued, all));
    }
    progress.stage("issuing invoices", drafts.len() as u64);
    let mut totals = Vec::new();
    for d in &drafts {
        let id =
            invoices::insert(&mut tx, d.service_id, cycle.first_day, &d.plan, &d.invoice).await?;
        totals.push(json!({"invoice": id, "service": d.service_id,
                           "total": d.invoice.total, "currency": d.invoice.currency}));
        progress.advance(1);
    }
    match service {
        None => closures::close_all(&mut tx, cycle.first_day).await?,
        Some(s) => closures::close_service(&mut tx, cycle.first_day, s, state.all).await?,
    }
    let detail = json!({"cycle": cycle, "service": service, "issued": totals});
    journal::record(&mut tx, &Event::new("billing_close", detail)).await?;
    let all = invoices::issued(&mut tx, cycle.first_day, service).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(report(standing, issued, all))
}

/// Reopens a closed cycle (for every service, or one) and voids its issued invoices, so
/// that late samples can come in and the next close issues new ones. The voided
/// invoices stay on record.
pub async fn reopen(db: &Db, cycle: Cycle, service: Option<i64>) -> Result<Vec<Voided>> {
    let request = json!({"cycle": cycle, "service": service});
    let result = async {
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        invoices::lock_cycle(&mut tx, cycle.first_day).await?;
        let state = closures::state(&mut tx, cycle.first_day).await?;
        let closed = service.map_or(state.any_closed(), |s| state.is_closed(s));
        if !closed {
            let whose = service
                .map(|s| format!(" for service {s}"))
                .unwrap_or_default();
            return Err(Error::conflict(format!(
                "cycle {cycle} is not closed{whose}: nothing to reopen"
            )));
        }
        let voided = invoices::void(&mut tx, cycle.first_day, service).await?;
        match service {
            None => closures::reopen_all(&mut tx, cycle.first_day).await?,
            Some(s) => closures::reopen_service(&mut tx, cycle.first_day, s, state.all).await?,
        }
        let detail = json!({"cycle": cycle, "service": service, "voided": voided});
        journal::record(&mut tx, &Event::new("billing_reopen", detail)).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(voided)
    }
    .await;
    journal_if_failed(db, "billing_reopen", request, false, result).await
}

/// The issued invoice of a service's cycle, or (cycle not closed) a draft of it as the
/// samples stand now.
pub async fn invoice(db: &Db, service: i64, cycle: Cycle) -> Result<StoredInvoice> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    if let Some(stored) = invoices::issued(&mut conn, cycle.first_day, Some(service))
        .await?
        .pop()
    {
        return Ok(stored);
    }
    let (b, _, invoice) = draft(&mut conn, service, cycle).await?;
    Ok(draft_record(b, cycle, invoice))
}

/// An invoice not issued (yet): shown, not stored.
fn draft_record(b: Billed, cycle: Cycle, invoice: Invoice) -> StoredInvoice {
    StoredInvoice {
        id: None,
        service_id: b.service_id,
        customer: b.customer,
        cycle: cycle.to_string(),
        status: "draft".into(),
        issued_at: None,
        plan: b.plan.plan,
        invoice,
    }
}

/// A service's rates over a cycle, for a chart: Mbps per period of the series the 95th
/// was billed on, the 95th and the commit.
#[derive(Debug, Clone, Serialize)]
pub struct Graph {
    pub service: i64,
    pub cycle: Cycle,
    pub start: i64,
    pub period_seconds: i64,
    pub direction: String,
    /// `in`, `out` or `in+out`: for `max`, the direction whose 95th was the larger.
    pub series: &'static str,
    pub mbps: Vec<f64>,
    pub p95_mbps: f64,
    pub commit_mbps: Option<f64>,
}

pub async fn graph(db: &Db, service: i64, cycle: Cycle) -> Result<Graph> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let (b, series, draft) = draft(&mut conn, service, cycle).await?;
    // A closed cycle shows what was billed, even if the plan changed since.
    let (plan, invoice) = match invoices::issued(&mut conn, cycle.first_day, Some(service))
        .await?
        .pop()
    {
        Some(stored) => (stored.plan, stored.invoice),
        None => (b.plan.plan, draft),
    };
    let w = &invoice.working;
    let (name, bytes) = match invoice.direction {
        Direction::In => ("in", series.bytes_in),
        Direction::Out => ("out", series.bytes_out),
        Direction::Max if w.p95_in_mbps >= w.p95_out_mbps => ("in", series.bytes_in),
        Direction::Max => ("out", series.bytes_out),
        Direction::Sum => ("in+out", series.bytes_sum()),
    };
    let float = |d: rust_decimal::Decimal| d.to_string().parse().unwrap_or(0.0);
    Ok(Graph {
        service,
        cycle,
        start: cycle.start(),
        period_seconds: crate::billing::cycle::PERIOD,
        series: name,
        mbps: bytes.iter().map(|b| *b as f64 / 37_500_000.0).collect(),
        p95_mbps: float(w.p95_mbps),
        direction: invoice.direction.to_string(),
        commit_mbps: (plan.model == Model::CommitBurst)
            .then(|| plan.commit_mbps.map(float))
            .flatten(),
    })
}

/// The service's billing and its invoice computed from the samples as they stand.
async fn draft(
    conn: &mut PgConnection,
    service: i64,
    cycle: Cycle,
) -> Result<(Billed, Series, Invoice)> {
    let b = billed(conn, cycle, Some(service))
        .await?
        .pop()
        .ok_or_else(|| Error::internal("a billed service is missing"))?;
    let (series, invoice) = compute(conn, &b, cycle).await?;
    Ok((b, series, invoice))
}

/// The services the cycle bills (all, or one: then an error saying why it is not billed).
async fn billed(
    conn: &mut PgConnection,
    cycle: Cycle,
    service: Option<i64>,
) -> Result<Vec<Billed>> {
    let (from, to) = bounds(cycle)?;
    let billed = store::billed_services(conn, from, to, service).await?;
    match service {
        Some(s) if billed.is_empty() => Err(not_billed(conn, s, cycle).await?),
        _ => Ok(billed),
    }
}

async fn not_billed(conn: &mut PgConnection, service: i64, cycle: Cycle) -> Result<Error> {
    let (from, _) = bounds(cycle)?;
    let Some(standing) = store::standing(conn, service, from).await? else {
        return Ok(unknown_service(service));
    };
    let why = match (&standing.plan, &standing.cancelled) {
        (None, _) => {
            return Ok(Error::not_found(format!(
                "service {service} has no billing plan (carve billing assign {service} --plan NAME)"
            )));
        }
        (Some(plan), Some(day)) if standing.cancelled_before => format!(
            "service {service} has plan {plan:?} but was cancelled on {day}, before cycle {cycle} began"
        ),
        (Some(plan), _) => format!(
            "service {service} has plan {plan:?} but no samples in {cycle} and was provisioned on {}, after it ended",
            standing.provisioned
        ),
    };
    Ok(Error::not_found(format!("{why}: nothing to bill")))
}

async fn compute(conn: &mut PgConnection, b: &Billed, cycle: Cycle) -> Result<(Series, Invoice)> {
    let (from, to) = bounds(cycle)?;
    let mut series = Series::new(cycle);
    for (at, bytes_in, bytes_out) in usage::samples(conn, b.service_id, from, to).await? {
        let counter = |n: i64| u64::try_from(n).unwrap_or(0);
        series.add(at, counter(bytes_in), counter(bytes_out));
    }
    let invoice =
        invoice::compute(&b.plan.plan, b.direction, &series).map_err(Error::validation)?;
    Ok((series, invoice))
}

fn bounds(cycle: Cycle) -> Result<(OffsetDateTime, OffsetDateTime)> {
    let at = |t: i64| {
        OffsetDateTime::from_unix_timestamp(t)
            .map_err(|_| Error::validation(format!("cycle {cycle} is out of range")))
    };
    Ok((at(cycle.start())?, at(cycle.end())?))
}
