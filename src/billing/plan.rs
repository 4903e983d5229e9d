//! Billing plans: the four models, the fields each one needs, and graduated tiers.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::text::quote;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// 95th percentile Mbps x price per Mbps.
    P95,
    /// A committed rate always paid, the 95th above it charged as burst.
    CommitBurst,
    /// GB transferred beyond an included amount, through tiers.
    Transfer,
    /// A fixed fee per cycle.
    Flat,
}

impl Model {
    pub const ALL: [Model; 4] = [Model::P95, Model::CommitBurst, Model::Transfer, Model::Flat];

    pub fn as_str(self) -> &'static str {
        match self {
            Model::P95 => "p95",
            Model::CommitBurst => "commit_burst",
            Model::Transfer => "transfer",
            Model::Flat => "flat",
        }
    }

    pub fn parse(text: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.as_str() == text.trim())
    }
}

/// Which traffic is billed: one direction, the larger of the two, or both added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
    Max,
    Sum,
}

impl Direction {
    pub const ALL: [Direction; 4] = [
        Direction::In,
        Direction::Out,
        Direction::Max,
        Direction::Sum,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Max => "max",
            Direction::Sum => "sum",
        }
    }

    pub fn parse(text: &str) -> Option<Direction> {
        Direction::ALL
            .into_iter()
            .find(|d| d.as_str() == text.trim())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of graduated pricing: the quantity up to `up_to` (cumulative, from where the
/// previous tier ended; None: without end) costs `price` per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub up_to: Option<Decimal>,
    pub price: Decimal,
}

impl Tier {
    /// `100:0.05` or, for the last tier, `rest:0.03` (also `*` or `inf`).
    pub fn parse(text: &str) -> Result<Tier, String> {
        let (bound, price) = text.split_once(':').ok_or_else(|| {
            format!(
                "tier {} is not UP_TO:PRICE (e.g. 100:0.05 or rest:0.03)",
                quote(text)
            )
        })?;
        let up_to = match bound.trim() {
            "rest" | "*" | "inf" => None,
            b => Some(super::money::decimal(b).map_err(|why| {
                format!("tier {}: {why} (or rest for the last tier)", quote(text))
            })?),
        };
        let price = super::money::decimal(price)
            .map_err(|why| format!("tier {}: price {why}", quote(text)))?;
        Ok(Tier { up_to, price })
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.up_to {
            Some(up_to) => write!(f, "{up_to}:{}", self.price),
            None => write!(f, "rest:{}", self.price),
        }
    }
}

/// A plan as stored. Which optional fields are set depends on the model; [`Plan::check`]
/// says which are missing or do not apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub model: Model,
    pub currency: String,
    pub price_per_mbps: Option<Decimal>,
    pub commit_mbps: Option<Decimal>,
    pub commit_price: Option<Decimal>,
    pub burst_price_per_mbps: Option<Decimal>,
    pub included_gb: Decimal,
    pub tiers: Vec<Tier>,
    pub flat_fee: Option<Decimal>,
}

impl Plan {
    /// A plan of `model` with no prices yet: set the fields the model needs.
    pub fn new(name: &str, model: Model, currency: &str) -> Plan {
        Plan {
            name: name.to_owned(),
            model,
            currency: currency.to_owned(),
            price_per_mbps: None,
            commit_mbps: None,
            commit_price: None,
            burst_price_per_mbps: None,
            included_gb: Decimal::ZERO,
            tiers: Vec::new(),
            flat_fee: None,
        }
    }

    /// Every fault of the plan, each naming the option and the rule; empty when it can bill.
    pub fn check(&self) -> Vec<String> {
        let mut faults = Vec::new();
        let fields: [(&str, Option<Decimal>, &[Model]); 5] = [
            ("--price-per-mbps", self.price_per_mbps, &[Model::P95]),
            ("--commit-mbps", self.commit_mbps, &[Model::CommitBurst]),
            ("--commit-price", self.commit_price, &[Model::CommitBurst]),
            (
                "--burst-price-per-mbps",
                self.burst_price_per_mbps,
                &[Model::CommitBurst],
            ),
            ("--flat-fee", self.flat_fee, &[Model::Flat]),
        ];
        let model = self.model.as_str();
        for (option, value, models) in fields {
            match value {
                Some(v) if !models.contains(&self.model) => {
                    faults.push(format!("{option} {v} does not apply to model {model}"))
                }
                Some(v) => faults.extend(out_of_range(option, v, max_for(option))),
                None => {}
            }
        }
        let required: &[(&str, Option<Decimal>)] = match self.model {
            Model::P95 => &[("--price-per-mbps", self.price_per_mbps)],
            Model::CommitBurst => &[
                ("--commit-mbps", self.commit_mbps),
                ("--commit-price", self.commit_price),
            ],
            Model::Transfer => &[],
            Model::Flat => &[("--flat-fee", self.flat_fee)],
        };
        for (option, value) in required {
            if value.is_none() {
                faults.push(format!("model {model} needs {option}"));
            }
        }
        if let Some(fault) = out_of_range("--included-gb", self.included_gb, MAX_QUANTITY) {
            faults.push(fault);
        } else if !self.included_gb.is_zero() && self.model != Model::Transfer {
            faults.push(format!("--included-gb does not apply to model {model}"));
        }
        match self.model {
            Model::Transfer if self.tiers.is_empty() => {
                faults.push("model transfer needs at least one --tier (e.g. --tier rest:0.02)".into())
            }
            Model::CommitBurst if self.tiers.is_empty() == self.burst_price_per_mbps.is_none() => {
                faults.push("model commit_burst needs either --burst-price-per-mbps or --tier (for Mbps above the commit), not both".into())
            }
            Model::P95 | Model::Flat if !self.tiers.is_empty() => {
                faults.push(format!("--tier does not apply to model {model}"))
            }
            _ => faults.extend(tier_faults(&self.tiers)),
        }
        faults
    }
}

/// Upper bounds (as the migration's CHECKs): generous for any real price list, and
/// small enough that no quantity x price overflows 28-digit decimal arithmetic.
const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
const MAX_FEE: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
const MAX_QUANTITY: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

fn max_for(option: &str) -> Decimal {
    if option == "--flat-fee" {
        MAX_FEE
    } else {
        MAX_PRICE
    }
}

/// A fault when `value` is negative or above `max`.
fn out_of_range(option: &str, value: Decimal, max: Decimal) -> Option<String> {
    if value.is_sign_negative() {
        Some(format!("{option} {value} is negative"))
    } else if value > max {
        Some(format!("{option} {value} is above the limit of {max}"))
    } else {
        None
    }
}

fn tier_faults(tiers: &[Tier]) -> Vec<String> {
    let mut faults = Vec::new();
    let mut previous = Decimal::ZERO;
    for (i, tier) in tiers.iter().enumerate() {
        let last = i + 1 == tiers.len();
        let bounds = [
            out_of_range(&format!("tier {tier}: price"), tier.price, MAX_PRICE),
            tier.up_to
                .and_then(|up| out_of_range(&format!("tier {tier}: bound"), up, MAX_QUANTITY)),
        ];
        faults.extend(bounds.into_iter().flatten());
        match tier.up_to {
            None if !last => faults.push(format!(
                "tier {tier}: only the last tier may be without end (rest)"
            )),
            Some(_) if last => faults.push(format!(
                "tier {tier}: the last tier must be without end (e.g. rest:{})",
                tier.price
            )),
            Some(up_to) if up_to <= previous => faults.push(format!(
                "tier {tier}: bounds must rise (this one is not above {previous})"
            )),
            Some(up_to) => previous = up_to,
            None => {}
        }
    }
    faults
}

/// The share of a quantity that falls in one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierPart {
    pub from: Decimal,
    pub up_to: Option<Decimal>,
    pub price: Decimal,
    pub quantity: Decimal,
}

/// `quantity` cut along the tiers, cheapest-first as listed; tiers it does not reach are
/// left out (the first one always shows, even for nothing).
pub fn graduate(quantity: Decimal, tiers: &[Tier]) -> Vec<TierPart> {
    let mut parts = Vec::new();
    let mut from = Decimal::ZERO;
    for tier in tiers {
        let to = tier.up_to.map_or(quantity, |up| up.min(quantity));
        let part = (to - from).max(Decimal::ZERO);
        if part.is_zero() && !parts.is_empty() {
            break;
        }
        parts.push(TierPart {
            from,
            up_to: tier.up_to,
            price: tier.price,
            quantity: part,
        });
        match tier.up_to {
            Some(up) if up < quantity => from = up,
            _ => break,
        }
    }
    parts
}
