//! An invoice computed from a plan, a direction and one cycle's series: its lines, each
//! rounded to the currency's minor unit, and the working a customer can check them by.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::cycle::{Gap, Series, p95, p95_rank};
use super::money;
use super::plan::{Direction, Model, Plan, TierPart, graduate};

/// Bytes per period at which the rate is 1 Mbps: 10^6 bit/s x 300 s / 8 bit.
const BYTES_PER_MBPS: i64 = 37_500_000;
const BYTES_PER_GB: i64 = 1_000_000_000;
/// Decimals shown for Mbps and GB quantities; amounts use the exact figure.
const SHOWN_DP: u32 = 6;
/// Gaps listed in the working; the count covers them all.
const GAPS_LISTED: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub amount: Decimal,
}

/// The numbers behind the lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Working {
    /// N: the 5-minute periods of the cycle.
    pub periods: usize,
    pub samples: usize,
    /// Periods without a sample, counted as zero traffic.
    pub missing: usize,
    /// The first runs of missing periods; `gap_runs` counts them all.
    pub gaps: Vec<Gap>,
    pub gap_runs: usize,
    /// 1-based rank of the 95th percentile: ceil(0.95 x N).
    pub rank: usize,
    pub p95_in_mbps: Decimal,
    pub p95_out_mbps: Decimal,
    pub p95_sum_mbps: Decimal,
    /// The 95th billed for this direction.
    pub p95_mbps: Decimal,
    pub in_gb: Decimal,
    pub out_gb: Decimal,
    /// GB billed for this direction (transfer).
    pub transfer_gb: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_mbps: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_commit_mbps: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billable_gb: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invoice {
    pub currency: String,
    pub direction: Direction,
    pub lines: Vec<Line>,
    pub total: Decimal,
    pub working: Working,
}

/// The invoice for one cycle of one service.
pub fn compute(plan: &Plan, direction: Direction, series: &Series) -> Invoice {
    let [p_in, p_out, p_sum] = [
        p95(&series.bytes_in),
        p95(&series.bytes_out),
        p95(&series.bytes_sum()),
    ]
    .map(|bytes| ratio(bytes, BYTES_PER_MBPS));
    let p95_mbps = match direction {
        Direction::In => p_in,
        Direction::Out => p_out,
        Direction::Max => p_in.max(p_out),
        Direction::Sum => p_sum,
    };
    let [in_gb, out_gb] = [&series.bytes_in, &series.bytes_out]
        .map(|v| ratio(v.iter().map(|b| u128::from(*b)).sum::<u128>(), BYTES_PER_GB));
    let transfer_gb = match direction {
        Direction::In => in_gb,
        Direction::Out => out_gb,
        Direction::Max => in_gb.max(out_gb),
        Direction::Sum => in_gb + out_gb,
    };
    let samples = series.samples();
    let gaps = series.gaps();
    let mut working = Working {
        periods: series.cycle.periods(),
        samples,
        missing: series.cycle.periods() - samples,
        gap_runs: gaps.len(),
        gaps: gaps.into_iter().take(GAPS_LISTED).collect(),
        rank: p95_rank(series.cycle.periods()),
        p95_in_mbps: shown(p_in),
        p95_out_mbps: shown(p_out),
        p95_sum_mbps: shown(p_sum),
        p95_mbps: shown(p95_mbps),
        in_gb: shown(in_gb),
        out_gb: shown(out_gb),
        transfer_gb: shown(transfer_gb),
        commit_mbps: None,
        over_commit_mbps: None,
        billable_gb: None,
    };
    let mut lines = Vec::new();
    let mut line = |description: String, quantity: Decimal, unit: &str, price: Decimal| {
        lines.push(Line {
            description,
            quantity: shown(quantity),
            unit: unit.to_owned(),
            unit_price: price,
            amount: money::round(quantity * price, &plan.currency),
        });
    };
    let zero = Decimal::ZERO;
    match plan.model {
        Model::P95 => line(
            format!("95th percentile ({direction})"),
            p95_mbps,
            "Mbps",
            plan.price_per_mbps.unwrap_or(zero),
        ),
        Model::CommitBurst => {
            let commit = plan.commit_mbps.unwrap_or(zero);
            let over = (p95_mbps - commit).max(zero);
            working.commit_mbps = Some(commit);
            working.over_commit_mbps = Some(shown(over));
            line(
                "commit".into(),
                commit,
                "Mbps",
                plan.commit_price.unwrap_or(zero),
            );
            match plan.burst_price_per_mbps {
                Some(price) => line(
                    format!("burst above commit ({direction})"),
                    over,
                    "Mbps",
                    price,
                ),
                None => {
                    for part in graduate(over, &plan.tiers) {
                        line(
                            tier_text("burst above commit", &part, "Mbps"),
                            part.quantity,
                            "Mbps",
                            part.price,
                        );
                    }
                }
            }
        }
        Model::Transfer => {
            let included = plan.included_gb;
            let billable = (transfer_gb - included).max(zero);
            working.billable_gb = Some(shown(billable));
            if !included.is_zero() {
                line(
                    "included transfer".into(),
                    transfer_gb.min(included),
                    "GB",
                    zero,
                );
            }
            for part in graduate(billable, &plan.tiers) {
                line(
                    tier_text(&format!("transfer ({direction})"), &part, "GB"),
                    part.quantity,
                    "GB",
                    part.price,
                );
            }
        }
        Model::Flat => line(
            "flat fee".into(),
            Decimal::ONE,
            "cycle",
            plan.flat_fee.unwrap_or(zero),
        ),
    }
    Invoice {
        currency: plan.currency.clone(),
        direction,
        total: lines.iter().map(|l| l.amount).sum(),
        lines,
        working,
    }
}

/// `bytes / per` in decimal (28 significant digits; exact for GB).
fn ratio(bytes: impl Into<u128>, per: i64) -> Decimal {
    let bytes = i128::try_from(bytes.into()).unwrap_or(i128::MAX);
    Decimal::try_from_i128_with_scale(bytes, 0).unwrap_or(Decimal::MAX) / Decimal::from(per)
}

fn shown(value: Decimal) -> Decimal {
    value.round_dp(SHOWN_DP).normalize()
}

/// `transfer (max), 100 to 500 GB`, `..., above 500 GB`, `..., first 100 GB`.
fn tier_text(what: &str, part: &TierPart, unit: &str) -> String {
    match part.up_to {
        Some(up) if part.from.is_zero() => format!("{what}, first {up} {unit}"),
        Some(up) => format!("{what}, {} to {up} {unit}", part.from),
        None if part.from.is_zero() => what.to_owned(),
        None => format!("{what}, above {} {unit}", part.from),
    }
}
