//! Inside a provisioning transaction: fulfil a product's rules through the allocator, and
//! release what a service (or its device) holds.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;
use sqlx::PgConnection;

use crate::engine::Strategy;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Device, Event, Service, Subnet};
use crate::provision::{IpamConfig, Mode, Rule, RuleKind};
use crate::service::addresses::{self, Holder, IpOutcome, Source};
use crate::service::allocate::{Allocation, SubnetRequest, Target, allocate_in};
use crate::service::subnets;
use crate::store::carving;
use crate::store::services::{self, Holding};

use super::vlan::{self, ServiceVlan};

/// One piece of space a provisioning took, or a wipe or cancel released.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub kind: RuleKind,
    /// The index of the rule that took it (not known for released space).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr: Option<IpNet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    pub purpose: Option<String>,
    pub vlan: Option<i32>,
    pub allocation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
}

impl Held {
    /// The CIDR or the address, as text.
    pub fn space(&self) -> String {
        match (self.cidr, self.address) {
            (Some(c), _) => c.to_string(),
            (None, Some(a)) => a.to_string(),
            (None, None) => String::new(),
        }
    }

    fn subnet(
        rule: Option<usize>,
        a: &Allocation,
        purpose: Option<String>,
        vlan: Option<i32>,
    ) -> Held {
        Held {
            kind: RuleKind::Subnet,
            rule,
            cidr: Some(a.cidr),
            address: None,
            purpose,
            vlan,
            allocation_id: Some(a.allocation_id.clone()),
            strategy: Some(a.strategy),
        }
    }

    fn released_subnet(leaf: &Subnet) -> Held {
        Held {
            kind: RuleKind::Subnet,
            rule: None,
            cidr: Some(leaf.cidr),
            address: None,
            purpose: leaf.purpose.clone(),
            vlan: leaf.vlan,
            allocation_id: leaf.allocation_id.clone(),
            strategy: None,
        }
    }

    fn address(rule: Option<usize>, o: &IpOutcome) -> Held {
        Held {
            kind: RuleKind::Ip,
            rule,
            cidr: None,
            address: Some(o.ip.address),
            purpose: o.ip.purpose.clone(),
            vlan: o.ip.vlan,
            allocation_id: o.ip.allocation_id.clone(),
            strategy: None,
        }
    }
}

/// What fulfilling or releasing did; allocation events are journaled as they happen,
/// release events are left to the caller (a wipe journals one event for all of them).
#[derive(Debug, Default)]
pub struct Done {
    pub held: Vec<Held>,
    pub events: Vec<Event>,
    /// Why nothing was done, when the product's IPAM mode is disabled.
    pub skipped: Option<String>,
    /// The service's own VLAN (`new_vlan`), taken or released.
    pub vlan: Option<ServiceVlan>,
}

/// The rule being fulfilled when provisioning failed, for the failure event.
pub type FailedRule = Option<(usize, Rule)>;

/// Fulfils every rule for `service` on `device`, in order; the first rule that cannot
/// be met fails the whole provisioning (the caller rolls back).
pub async fn fulfil(
    conn: &mut PgConnection,
    config: &IpamConfig,
    service: &Service,
    device: &Device,
    failed: &mut FailedRule,
) -> Result<Done> {
    let mut done = Done::default();
    if config.mode == Mode::Disabled {
        done.skipped = Some(format!(
            "product {} has ipam mode \"disabled\": no IPAM change",
            service.product
        ));
        return Ok(done);
    }
    if device.location_id.is_none() {
        return Err(Error::validation(format!(
            "device {} has no location, and provisioning draws only from pools at the device's location",
            device.name
        )));
    }
    if let Some(range) = config.new_vlan {
        done.vlan = Some(vlan::take(conn, range, service, device).await?);
    }
    let service_vlan = done.vlan.as_ref().map(|v| v.vlan.vid);
    for (i, rule) in config.rules.iter().enumerate() {
        *failed = Some((i, rule.clone()));
        // The service's own VLAN is the only one its subnets may go on.
        let vlans = match (rule.kind, service_vlan) {
            (RuleKind::Subnet, Some(vid)) => vec![Some(vid)],
            _ if rule.vlans.is_empty() => vec![None],
            _ => rule.vlans.iter().copied().map(Some).collect(),
        };
        for _ in 0..rule.count {
            let (held, events) = take(conn, i, rule, &vlans, service, device)
                .await
                .map_err(|e| in_rule(i, rule, e))?;
            done.held.push(held);
            done.events.extend(events);
        }
    }
    *failed = None;
    Ok(done)
}

/// `rules[1] (subnet /64 of IPv6): no free /64 in 2001:db8:1::/48 at FRA1 (nothing free)`.
fn in_rule(i: usize, rule: &Rule, error: Error) -> Error {
    let what = match (rule.kind, rule.prefix_length) {
        (RuleKind::Subnet, Some(len)) => format!("subnet /{len} of {}", rule.family),
        _ => format!("{} address", rule.family),
    };
    Error::new(
        error.kind,
        format!("rules[{i}] ({what}): {}", error.message),
    )
}

/// Misses that let the next allowed pool or VLAN be tried; anything else fails at once.
fn is_miss(error: &Error) -> bool {
    matches!(error.kind, ErrorKind::Exhausted | ErrorKind::NotFound)
}

/// One candidate for a rule's allocation: the rule, one allowed pool and one allowed
/// VLAN (None: any), and whom it is for.
struct Candidate<'a> {
    index: usize,
    rule: &'a Rule,
    pool: Option<IpNet>,
    vlan: Option<i32>,
    service: &'a Service,
    device: &'a Device,
}

/// One allocation for a rule: the allowed pools in order, within each the allowed VLANs
/// in order, the first that has room.
async fn take(
    conn: &mut PgConnection,
    index: usize,
    rule: &Rule,
    vlans: &[Option<i32>],
    service: &Service,
    device: &Device,
) -> Result<(Held, Vec<Event>)> {
    let pools: Vec<Option<IpNet>> = if rule.pools.is_empty() {
        vec![None]
    } else {
        rule.pools.iter().copied().map(Some).collect()
    };
    let mut misses: Vec<String> = Vec::new();
    for pool in &pools {
        for vlan in vlans {
            let candidate = Candidate {
                index,
                rule,
                pool: *pool,
                vlan: *vlan,
                service,
                device,
            };
            let taken = match rule.kind {
                RuleKind::Subnet => take_subnet(conn, &candidate).await,
                RuleKind::Ip => take_address(conn, &candidate).await,
            };
            match taken {
                Err(e) if is_miss(&e) => {
                    if !misses.contains(&e.message) {
                        misses.push(e.message);
                    }
                }
                other => return other,
            }
        }
    }
    Err(Error::exhausted(misses.join("; ")))
}

async fn take_subnet(conn: &mut PgConnection, c: &Candidate<'_>) -> Result<(Held, Vec<Event>)> {
    let len = c
        .rule
        .prefix_length
        .ok_or_else(|| Error::internal("a subnet rule without a prefix length"))?;
    let mut request = SubnetRequest::new(Target::Length {
        family: c.rule.family.number(),
        len,
        pool: c.pool,
        location: c.device.location.clone(),
    });
    request.strategy = c.rule.strategy;
    request.vlan = c.vlan;
    request.customer = Some(c.service.customer.clone());
    request.device = Some(c.device.name.clone());
    request.service = Some(c.service.id);
    request.purpose = c.rule.purpose.clone();
    let allocation = allocate_in(conn, &request).await?;
    let held = Held::subnet(Some(c.index), &allocation, c.rule.purpose.clone(), c.vlan);
    Ok((held, allocation.events))
}

async fn take_address(conn: &mut PgConnection, c: &Candidate<'_>) -> Result<(Held, Vec<Event>)> {
    let source = Source::Pool(c.pool.unwrap_or(c.rule.family.everything()));
    let holder = Holder {
        customer: Some(c.service.customer.clone()),
        device: Some(c.device.name.clone()),
        service: Some(c.service.id),
        vlan: c.vlan,
        purpose: c.rule.purpose.clone(),
        ..Holder::default()
    };
    let outcome = addresses::allocate_in(conn, &source, &holder).await?;
    Ok((Held::address(Some(c.index), &outcome), outcome.events))
}

/// Releases what `holding` selects: addresses first (a subnet that still holds records
/// cannot be released), then subnets. Returns the release events unjournaled.
pub async fn release(
    conn: &mut PgConnection,
    holding: Holding,
    cooldown: &crate::config::ReleaseCooldown,
) -> Result<Done> {
    let mut done = Done::default();
    for (_, address) in services::held_addresses(&mut *conn, holding).await? {
        let outcome = addresses::release_in(&mut *conn, address.addr(), cooldown).await?;
        done.held.push(Held::address(None, &outcome));
        done.events.extend(outcome.events);
    }
    for (_, cidr) in services::held_subnets(&mut *conn, holding).await? {
        let leaf = carving::lock_scope(&mut *conn, &cidr).await?;
        done.events
            .push(subnets::release_in(&mut *conn, &leaf, cooldown).await?);
        done.held.push(Held::released_subnet(&leaf));
    }
    Ok(done)
}
