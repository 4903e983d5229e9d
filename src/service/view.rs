//! The shapes the CLI (and later the TUI) show: a subnet with its names, state and
//! utilisation; an address record.

use ipnet::IpNet;
use serde::Serialize;
use sqlx::PgConnection;

use crate::engine::Family;
use crate::engine::usage::Utilization;
use crate::error::Result;
use crate::model::{Event, IpRecord, Subnet};

use super::usage;

#[derive(Debug, Clone, Serialize)]
pub struct SubnetView {
    pub cidr: IpNet,
    pub family: u8,
    pub status: &'static str,
    pub parked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_reason: Option<String>,
    /// Parked through an ancestor, not itself.
    pub parked_above: bool,
    pub location: Option<String>,
    pub effective_location: Option<String>,
    pub vlan: Option<i32>,
    pub customer: Option<String>,
    pub device: Option<String>,
    pub service: Option<i64>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    /// Why it is reserved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve_reason: Option<String>,
    pub pool: bool,
    /// Seconds left of a release cooldown (the subnet is parked until then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_left: Option<i64>,
    pub utilization: Utilization,
    /// False when `utilization` was not computed (see [`SubnetView::shallow`]).
    #[serde(skip)]
    pub usage_known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<SubnetView>>,
}

impl SubnetView {
    /// The view of `subnet` with its utilisation (a subdivided node's costs a scan of its
    /// subtree).
    pub async fn of(conn: &mut PgConnection, subnet: Subnet) -> Result<SubnetView> {
        let utilization = usage::of_one(conn, &subnet).await?;
        Ok(Self::with_utilization(subnet, utilization))
    }

    /// The views of `subnets` in two queries at most. With `deep` false a subdivided
    /// node's utilisation is left at zero with `usage_known` false, for the caller to
    /// ask for when it is shown (`browse::usage`).
    pub async fn all(
        conn: &mut PgConnection,
        subnets: Vec<Subnet>,
        deep: bool,
    ) -> Result<Vec<SubnetView>> {
        let usages = usage::of(conn, &subnets, deep).await?;
        Ok(subnets
            .into_iter()
            .zip(usages)
            .map(|(subnet, u)| {
                let mut view = Self::with_utilization(subnet, u.unwrap_or_default());
                view.usage_known = u.is_some();
                view
            })
            .collect())
    }

    fn with_utilization(subnet: Subnet, utilization: Utilization) -> SubnetView {
        SubnetView {
            family: Family::of(&subnet.cidr).number(),
            status: subnet.status().as_str(),
            parked: subnet.is_unavailable,
            parked_above: subnet.hidden && !subnet.is_unavailable,
            parked_reason: subnet.unavailable_reason,
            cidr: subnet.cidr,
            location: subnet.location,
            effective_location: subnet.effective_location,
            vlan: subnet.vlan,
            customer: subnet.customer,
            device: subnet.device,
            service: subnet.service_id,
            description: subnet.description,
            purpose: subnet.purpose,
            reserve_reason: subnet.reserve_reason,
            pool: subnet.is_pool,
            cooldown_left: subnet.cooldown_secs,
            utilization,
            usage_known: true,
            children: None,
        }
    }

    /// `free`, `allocated`, `parked`...: the word shown beside the colour.
    pub fn state_word(&self) -> &'static str {
        if self.parked || self.parked_above {
            "parked"
        } else if self.status == "unallocated" {
            "free"
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IpView {
    pub address: std::net::IpAddr,
    pub subnet: IpNet,
    pub status: &'static str,
    pub parked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_reason: Option<String>,
    /// Kept out of allocation (status `reserved` unless it is parked too).
    pub reserved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserve_reason: Option<String>,
    pub customer: Option<String>,
    pub device: Option<String>,
    pub service: Option<i64>,
    pub vlan: Option<i32>,
    pub purpose: Option<String>,
    pub rdns: Option<String>,
    pub rdns_updated_at: Option<String>,
    pub description: Option<String>,
    pub allocation_id: Option<String>,
    /// Seconds left of a release cooldown (the address is parked until then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_left: Option<i64>,
}

impl From<IpRecord> for IpView {
    fn from(r: IpRecord) -> IpView {
        IpView {
            address: r.address.addr(),
            subnet: r.subnet,
            status: if r.is_unavailable || r.subnet_hidden {
                "parked"
            } else if r.is_reserved {
                "reserved"
            } else {
                "allocated"
            },
            parked: r.is_unavailable,
            parked_reason: r.unavailable_reason,
            reserved: r.is_reserved,
            reserve_reason: r.reserve_reason,
            customer: r.customer,
            device: r.device,
            service: r.service_id,
            vlan: r.vlan,
            purpose: r.purpose,
            rdns: r.rdns,
            rdns_updated_at: r.rdns_updated_at,
            description: r.description,
            allocation_id: r.allocation_id,
            cooldown_left: r.cooldown_secs,
        }
    }
}

/// One line per event, as (event, what happened), a long walk of splits folded into one:
/// `ipam_subnet_split`, `2001:db8:1::/48 down to /64 (16 steps, the other halves stay free)`.
pub fn event_lines(events: &[Event]) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let run = split_run(&events[i..]);
        if run > 2 {
            // A long walk down (a /48 to a /64 is 16 steps) reads better as one line.
            let (first, last) = (&events[i], &events[i + run - 1]);
            let len = children(last).map_or(0, |c| c.0.prefix_len());
            let what = format!(
                "{} down to /{len} ({run} steps, the other halves stay free)",
                event_target(first)
            );
            lines.push((first.event, what));
            i += run;
            continue;
        }
        let e = &events[i];
        let target = event_target(e);
        lines.push((
            e.event,
            match children(e) {
                Some((lower, upper)) => format!("{target} -> {lower} + {upper}"),
                None => target,
            },
        ));
        i += 1;
    }
    lines
}

/// The two halves of a split event.
fn children(e: &Event) -> Option<(IpNet, IpNet)> {
    let c = e.detail.get("children")?.as_array()?;
    let half = |v: &serde_json::Value| v.as_str()?.parse::<IpNet>().ok();
    match c.as_slice() {
        [lower, upper] => Some((half(lower)?, half(upper)?)),
        _ => None,
    }
}

/// How many split events from the start form one walk down, each splitting a half of
/// the one before.
fn split_run(events: &[Event]) -> usize {
    let mut run = 0;
    let mut halves: Option<(IpNet, IpNet)> = None;
    for e in events {
        let Some(next) = children(e) else { break };
        if let Some((lower, upper)) = halves
            && e.cidr != Some(lower)
            && e.cidr != Some(upper)
        {
            break;
        }
        halves = Some(next);
        run += 1;
    }
    run
}

/// The address an event is about, else its CIDR.
fn event_target(e: &Event) -> String {
    e.address
        .map(|a| a.addr().to_string())
        .or(e.cidr.map(|c| c.to_string()))
        .unwrap_or_default()
}
