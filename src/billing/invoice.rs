//! An invoice computed from a plan, a direction and one cycle's series: its lines, each
//! rounded to the currency's minor unit, and the working a customer can check them by.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::cycle::{Gap, Series, p95, p95_rank};
use super::money;
use super::plan::{Direction, Model, Plan, Tier, TierPart, graduate};

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

/// The numbers behind the lines. Byte figures are exact; Mbps and GB are shown to six
/// decimals, and the amounts use the exact values (bytes / 37,500,000 is Mbps).
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
    /// Bytes of the period at the rank, in, out, and in + out.
    pub p95_in_bytes: u64,
    pub p95_out_bytes: u64,
    pub p95_sum_bytes: u64,
    pub p95_in_mbps: Decimal,
    pub p95_out_mbps: Decimal,
    pub p95_sum_mbps: Decimal,
    /// The 95th billed for this direction.
    pub p95_mbps: Decimal,
    /// Bytes moved in the cycle, in and out.
    pub in_bytes: Decimal,
    pub out_bytes: Decimal,
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

/// The exact figures a plan charges on.
struct Usage {
    p95_mbps: Decimal,
    transfer_gb: Decimal,
}

/// The invoice for one cycle of one service, or why it cannot be computed (an amount
/// beyond decimal range: only a hand-edited plan can get there).
pub fn compute(plan: &Plan, direction: Direction, series: &Series) -> Result<Invoice, String> {
    let (usage, mut working) = measure(direction, series);
    let zero = Decimal::ZERO;
    let mut lines = Lines {
        currency: &plan.currency,
        lines: Vec::new(),
        overflow: false,
    };
    match plan.model {
        Model::P95 => lines.add(
            format!("95th percentile ({direction})"),
            usage.p95_mbps,
            "Mbps",
            plan.price_per_mbps.unwrap_or(zero),
        ),
        Model::CommitBurst => {
            let commit = plan.commit_mbps.unwrap_or(zero);
            let over = (usage.p95_mbps - commit).max(zero);
            working.commit_mbps = Some(commit);
            working.over_commit_mbps = Some(shown(over));
            lines.add(
                "commit".into(),
                commit,
                "Mbps",
                plan.commit_price.unwrap_or(zero),
            );
            let what = format!("burst above commit ({direction})");
            match plan.burst_price_per_mbps {
                Some(price) => lines.add(what, over, "Mbps", price),
                None => lines.tiers(&what, over, "Mbps", &plan.tiers),
            }
        }
        Model::Transfer => {
            let included = plan.included_gb;
            let billable = (usage.transfer_gb - included).max(zero);
            working.billable_gb = Some(shown(billable));
            if !included.is_zero() {
                let used = usage.transfer_gb.min(included);
                lines.add("included transfer".into(), used, "GB", zero);
            }
            let what = format!("transfer ({direction})");
            lines.tiers(&what, billable, "GB", &plan.tiers);
        }
        Model::Flat => lines.add(
            "flat fee".into(),
            Decimal::ONE,
            "cycle",
            plan.flat_fee.unwrap_or(zero),
        ),
    }
    let too_large = || {
        format!(
            "plan {:?}: an amount is beyond the range carve computes",
            plan.name
        )
    };
    if lines.overflow {
        return Err(too_large());
    }
    let total = lines
        .lines
        .iter()
        .try_fold(zero, |sum, l| sum.checked_add(l.amount))
        .ok_or_else(too_large)?;
    Ok(Invoice {
        currency: plan.currency.clone(),
        direction,
        lines: lines.lines,
        total,
        working,
    })
}

/// The series measured: the 95th each way, the totals, the gaps.
fn measure(direction: Direction, series: &Series) -> (Usage, Working) {
    let rank_bytes = [
        p95(&series.bytes_in),
        p95(&series.bytes_out),
        p95(&series.bytes_sum()),
    ];
    let [p_in, p_out, p_sum] = rank_bytes.map(|b| ratio(u128::from(b), BYTES_PER_MBPS));
    let p95_mbps = match direction {
        Direction::In => p_in,
        Direction::Out => p_out,
        Direction::Max => p_in.max(p_out),
        Direction::Sum => p_sum,
    };
    let [in_total, out_total] = [&series.bytes_in, &series.bytes_out]
        .map(|v| v.iter().map(|b| u128::from(*b)).sum::<u128>());
    let [in_gb, out_gb] = [in_total, out_total].map(|b| ratio(b, BYTES_PER_GB));
    let transfer_gb = match direction {
        Direction::In => in_gb,
        Direction::Out => out_gb,
        Direction::Max => in_gb.max(out_gb),
        Direction::Sum => in_gb + out_gb,
    };
    let periods = series.cycle.periods();
    let samples = series.samples();
    let gaps = series.gaps();
    let working = Working {
        periods,
        samples,
        missing: periods - samples,
        gap_runs: gaps.len(),
        gaps: gaps.into_iter().take(GAPS_LISTED).collect(),
        rank: p95_rank(periods),
        p95_in_bytes: rank_bytes[0],
        p95_out_bytes: rank_bytes[1],
        p95_sum_bytes: rank_bytes[2],
        p95_in_mbps: shown(p_in),
        p95_out_mbps: shown(p_out),
        p95_sum_mbps: shown(p_sum),
        p95_mbps: shown(p95_mbps),
        in_bytes: ratio(in_total, 1),
        out_bytes: ratio(out_total, 1),
        in_gb: shown(in_gb),
        out_gb: shown(out_gb),
        transfer_gb: shown(transfer_gb),
        commit_mbps: None,
        over_commit_mbps: None,
        billable_gb: None,
    };
    let usage = Usage {
        p95_mbps,
        transfer_gb,
    };
    (usage, working)
}

/// Invoice lines as they are added, each amount rounded on its own.
struct Lines<'a> {
    currency: &'a str,
    lines: Vec<Line>,
    overflow: bool,
}

impl Lines<'_> {
    fn add(&mut self, description: String, quantity: Decimal, unit: &str, price: Decimal) {
        let Some(amount) = quantity.checked_mul(price) else {
            self.overflow = true;
            return;
        };
        self.lines.push(Line {
            description,
            quantity: shown(quantity),
            unit: unit.to_owned(),
            unit_price: price,
            amount: money::round(amount, self.currency),
        });
    }

    /// One line per tier that `quantity` reaches.
    fn tiers(&mut self, what: &str, quantity: Decimal, unit: &str, tiers: &[Tier]) {
        for part in graduate(quantity, tiers) {
            self.add(
                tier_text(what, &part, unit),
                part.quantity,
                unit,
                part.price,
            );
        }
    }
}

/// `bytes / per` in decimal (28 significant digits; exact for GB).
fn ratio(bytes: u128, per: i64) -> Decimal {
    let bytes = i128::try_from(bytes).unwrap_or(i128::MAX);
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
