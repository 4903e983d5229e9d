//! Billing as stored: a plan with its id and how many services it bills, an invoice
//! with its cycle and status, and what a reopened cycle voided.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::billing::invoice::Invoice;
use crate::billing::plan::Plan;

/// A plan as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPlan {
    pub id: i64,
    #[serde(flatten)]
    pub plan: Plan,
    /// Services billed by it.
    pub services: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredInvoice {
    /// None for a draft (a cycle not closed, or a dry run).
    pub id: Option<i64>,
    pub service_id: i64,
    pub customer: String,
    pub cycle: String,
    /// issued, void or draft.
    pub status: String,
    pub issued_at: Option<String>,
    pub plan: Plan,
    #[serde(flatten)]
    pub invoice: Invoice,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Voided {
    pub id: i64,
    pub service_id: i64,
    pub currency: String,
    pub total: Decimal,
}
