//! Operations on one subnet: add a root block, split, merge, release, park, set
//! attributes. Each runs under the subnet's scope lock and journals what it did.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::resolve;
use super::tx::{finish, journal_failure, with_retries};
use super::view::SubnetView;
use crate::engine::prefix::halves;
use crate::engine::{Family, SplitStep};
use crate::error::{Error, Result};
use crate::store::attributes::{self, Attributes};
use crate::store::carving;
use crate::store::journal::{self, Event};
use crate::store::rows::{Subnet, SubnetStatus};
use crate::store::{Db, addresses, db_error, tree};

/// What a subnet operation reports: the subnet afterwards and the events it journaled.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub subnet: SubnetView,
    pub dry_run: bool,
    pub events: Vec<Event>,
}

/// Most pieces one `subnet split` may create.
const MAX_SPLIT_PIECES: u32 = 4096;

/// Runs `body` on the locked subnet `cidr` in one transaction, journals its events, and
/// on failure journals one failure event of `event` on its own.
async fn on_subnet(
    db: &Db,
    cidr: &IpNet,
    event: &'static str,
    request: Value,
    dry_run: bool,
    mut body: impl AsyncFnMut(&mut PgConnection, Subnet) -> Result<Vec<Event>>,
) -> Result<Outcome> {
    let result = with_retries(async || {
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        if tree::find(&mut tx, cidr).await?.is_none() {
            return Err(unknown(cidr));
        }
        let subnet = carving::lock_scope(&mut tx, cidr).await?;
        let events = body(&mut tx, subnet.clone()).await?;
        for e in &events {
            journal::record(&mut tx, e).await?;
        }
        let after = tree::by_id(&mut tx, subnet.id).await?.unwrap_or(subnet);
        let view = SubnetView::of(&mut tx, after).await?;
        finish(tx, dry_run).await?;
        Ok(Outcome {
            subnet: view,
            dry_run,
            events,
        })
    })
    .await;
    if let Err(error) = &result
        && !dry_run
    {
        journal_failure(db, event, error, request).await;
    }
    result
}

fn unknown(cidr: &IpNet) -> Error {
    Error::not_found(format!(
        "{cidr} is not a subnet carve knows (carve lookup {cidr} shows what holds it)"
    ))
}

/// A new root block, with optional attributes.
pub async fn add_root(
    db: &Db,
    cidr: &IpNet,
    location: Option<&str>,
    vlan: Option<i32>,
    description: Option<String>,
    pool: bool,
) -> Result<Outcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let location_id = resolve::location(&mut tx, location).await?;
    let vlan = resolve::vlan(&mut tx, vlan, location_id, &cidr.to_string()).await?;
    let attrs = Attributes {
        location_id,
        vlan_id: vlan.map(|v| v.id),
        description,
        is_pool: pool,
        pool_reserved_first: 0,
    };
    let subnet = attributes::insert_root(&mut tx, cidr, &attrs).await?;
    let event = Event::new(
        "ipam_subnet_add",
        json!({"cidr": cidr, "location": location}),
    )
    .cidr(*cidr);
    journal::record(&mut tx, &event).await?;
    let view = SubnetView::of(&mut tx, subnet).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(Outcome {
        subnet: view,
        dry_run: false,
        events: vec![event],
    })
}

/// Splits a free leaf into equal pieces of length `to` (default: its two halves).
pub async fn split(db: &Db, cidr: &IpNet, to: Option<u8>, dry_run: bool) -> Result<Outcome> {
    let to = to.unwrap_or(cidr.prefix_len().saturating_add(1));
    let request = json!({"cidr": cidr, "to": to});
    on_subnet(db, cidr, "ipam_subnet_split", request, dry_run, async |conn, leaf| {
        check_free_leaf(&leaf, "split")?;
        let range = Family::of(cidr).prefix_range();
        if to <= cidr.prefix_len() || !range.contains(&to) {
            return Err(Error::validation(format!(
                "cannot split {cidr} to /{to}: the length must be longer than /{} and at most /{}",
                cidr.prefix_len(),
                range.end()
            )));
        }
        if to - cidr.prefix_len() > MAX_SPLIT_PIECES.ilog2() as u8 {
            return Err(Error::validation(format!(
                "splitting {cidr} to /{to} makes more than {MAX_SPLIT_PIECES} pieces; split in smaller steps"
            )));
        }
        let mut events = Vec::new();
        let mut level = vec![(leaf.id, leaf.cidr)];
        while level[0].1.prefix_len() < to {
            let mut next = Vec::with_capacity(level.len() * 2);
            for (id, net) in level {
                let (lower, upper) = halves(&net).ok_or_else(|| Error::internal("split of a host"))?;
                let step = SplitStep { source: net, lower, upper };
                let (lower_id, upper_id) = carving::split_once(conn, id, &step).await?;
                events.push(
                    Event::new("ipam_subnet_split", json!({"source": net, "children": [lower, upper]})).cidr(net),
                );
                next.extend([(lower_id, lower), (upper_id, upper)]);
            }
            level = next;
        }
        Ok(events)
    })
    .await
}

/// Collapses a subdivided subnet whose whole subtree is free into one free leaf.
pub async fn merge(db: &Db, cidr: &IpNet, dry_run: bool) -> Result<Outcome> {
    on_subnet(
        db,
        cidr,
        "ipam_subnet_merge",
        json!({"cidr": cidr}),
        dry_run,
        async |conn, node| {
            if node.status() != SubnetStatus::Subdivided {
                return Err(Error::conflict(format!(
                    "{cidr} is {}, not subdivided: nothing to merge",
                    node.status().as_str()
                )));
            }
            if let Some(blocker) = tree::merge_blocker(conn, cidr).await? {
                let what = match (blocker.status(), &blocker.customer) {
                    (_, _) if blocker.is_unavailable => "parked".to_owned(),
                    (SubnetStatus::Allocated | SubnetStatus::Reserved, Some(c)) => {
                        format!("{} to {c}", blocker.status().as_str())
                    }
                    (SubnetStatus::Allocated | SubnetStatus::Reserved, None) => {
                        blocker.status().as_str().to_owned()
                    }
                    _ => "carrying its own location, VLAN, description or pool setting".to_owned(),
                };
                return Err(Error::conflict(format!(
                    "cannot merge {cidr}: {} is {what}",
                    blocker.cidr
                )));
            }
            let held = addresses::count_within(conn, cidr).await?;
            if held > 0 {
                return Err(Error::conflict(format!(
                    "cannot merge {cidr}: it holds {held} address record(s)"
                )));
            }
            carving::merge(conn, node.id, cidr).await?;
            Ok(vec![
                Event::new("ipam_subnet_merge", json!({"cidr": cidr})).cidr(*cidr),
            ])
        },
    )
    .await
}

/// Returns an allocated or reserved leaf to free space.
pub async fn release(db: &Db, cidr: &IpNet, dry_run: bool) -> Result<Outcome> {
    on_subnet(db, cidr, "release", json!({"cidr": cidr}), dry_run, async |conn, leaf| {
        let status = leaf.status();
        if !matches!(status, SubnetStatus::Allocated | SubnetStatus::Reserved) {
            return Err(Error::conflict(format!("{cidr} is {}: only allocated or reserved subnets are released", status.as_str())));
        }
        let held = addresses::count_within(conn, cidr).await?;
        if held > 0 {
            return Err(Error::conflict(format!(
                "{cidr} still holds {held} address record(s): release them first (carve subnet show {cidr})"
            )));
        }
        carving::release(conn, leaf.id).await?;
        Ok(vec![Event::new(
            "release",
            json!({"cidr": cidr, "was": status.as_str(), "customer": leaf.customer,
                   "allocation_id": leaf.allocation_id}),
        )
        .cidr(*cidr)])
    })
    .await
}

/// Parks (`reason` given) or unparks a subnet and, through the database, its subtree.
pub async fn park(db: &Db, cidr: &IpNet, park: bool, reason: Option<String>) -> Result<Outcome> {
    let name = if park { "park" } else { "unpark" };
    let request = json!({"cidr": cidr, "reason": reason});
    on_subnet(db, cidr, name, request, false, async |conn, node| {
        if node.is_unavailable == park {
            return Err(Error::conflict(format!(
                "{cidr} is already {}",
                if park { "parked" } else { "not parked" }
            )));
        }
        carving::set_parked(conn, node.id, park, reason.as_deref()).await?;
        Ok(vec![
            Event::new(name, json!({"cidr": cidr, "reason": reason})).cidr(*cidr),
        ])
    })
    .await
}

/// Changes to a subnet's own attributes; None leaves one as it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Some(None) clears the location.
    pub location: Option<Option<String>>,
    pub vlan: Option<Option<i32>>,
    pub description: Option<Option<String>>,
    pub pool: Option<bool>,
    pub pool_reserved_first: Option<i32>,
}

pub async fn set(db: &Db, cidr: &IpNet, changes: &Changes) -> Result<Outcome> {
    let request = json!({"cidr": cidr, "changes": changes});
    on_subnet(
        db,
        cidr,
        "ipam_subnet_update",
        request.clone(),
        false,
        async |conn, node| {
            if let Some(location) = &changes.location {
                let location_id = resolve::location(conn, location.as_deref()).await?;
                attributes::set_location(conn, &node, location_id).await?;
            }
            let node = tree::by_id(conn, node.id)
                .await?
                .ok_or_else(|| unknown(cidr))?;
            let vlan_id = match changes.vlan {
                Some(Some(vid)) => {
                    let vlan = resolve::vlan(
                        conn,
                        Some(vid),
                        node.effective_location_id,
                        &cidr.to_string(),
                    )
                    .await?;
                    Some(vlan.map(|v| v.id))
                }
                Some(None) => Some(None),
                None => None,
            };
            if changes.pool_reserved_first.is_some_and(|n| n < 0) {
                return Err(Error::validation("--reserve-first must be 0 or more"));
            }
            let pool = match (changes.pool, changes.pool_reserved_first) {
                (None, None) => None,
                (p, n) => Some((
                    p.unwrap_or(node.is_pool),
                    n.unwrap_or(node.pool_reserved_first),
                )),
            };
            attributes::set_fields(conn, node.id, vlan_id, changes.description.clone(), pool)
                .await?;
            Ok(vec![
                Event::new("ipam_subnet_update", request.clone()).cidr(*cidr),
            ])
        },
    )
    .await
}

fn check_free_leaf(subnet: &Subnet, verb: &str) -> Result<()> {
    let cidr = subnet.cidr;
    if subnet.hidden {
        return Err(Error::conflict(format!(
            "cannot {verb} {cidr}: it is parked"
        )));
    }
    match subnet.status() {
        SubnetStatus::Unallocated => Ok(()),
        SubnetStatus::Subdivided => Err(Error::conflict(format!("{cidr} is already subdivided"))),
        status => Err(Error::conflict(format!(
            "cannot {verb} {cidr}: it is {}{} (release it first)",
            status.as_str(),
            subnet
                .customer
                .as_ref()
                .map(|c| format!(" to {c}"))
                .unwrap_or_default()
        ))),
    }
}
