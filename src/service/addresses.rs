//! Single addresses: allocate the next free one in a pool, set, park, release, show.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, Postgres, Transaction};

use super::cooldown;
use super::resolve;
use super::tx::{journal_if_failed, retrying};
use super::view::IpView;
use crate::config::ReleaseCooldown;
use crate::engine::Family;
use crate::engine::address::usable_range;
use crate::engine::dns::normalize_hostname;
use crate::engine::prefix::addr_at;
use crate::error::{Error, Result};
use crate::store::addresses::{self, IpFields};
use crate::store::carving;
use crate::store::journal::{self, Event};
use crate::store::rows::{IpRecord, Subnet};
use crate::store::services::Device;
use crate::store::{Db, db_error, tree};

/// Where to take an address from: one pool subnet, or any pool inside a CIDR.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Subnet(IpNet),
    Pool(IpNet),
}

/// What an address record should say about its holder, as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Holder {
    pub customer: Option<String>,
    /// With a pool range as the source, only pools at the device's location qualify.
    pub device: Option<String>,
    /// The service the address is for (set by provisioning, never typed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<i64>,
    pub vlan: Option<i32>,
    pub purpose: Option<String>,
    pub rdns: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IpOutcome {
    #[serde(flatten)]
    pub ip: IpView,
    pub events: Vec<Event>,
}

pub async fn allocate(db: &Db, source: &Source, holder: &Holder) -> Result<IpOutcome> {
    let result = retrying!(allocate_once(db, source, holder));
    let request = json!({"source": source, "holder": holder});
    journal_if_failed(db, "ipam_allocate_ip", request, false, result).await
}

/// The address [`allocate`] would take now, and its events, without taking it.
pub async fn preview(db: &Db, source: &Source, holder: &Holder) -> Result<IpOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let outcome = allocate_in(&mut tx, source, holder).await?;
    tx.rollback().await.map_err(db_error)?;
    Ok(outcome)
}

async fn allocate_once(db: &Db, source: &Source, holder: &Holder) -> Result<IpOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let outcome = allocate_in(&mut tx, source, holder).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(outcome)
}

/// One address inside the caller's transaction, journaled there; the caller commits
/// (provisioning takes several in one transaction).
pub(crate) async fn allocate_in(
    tx: &mut PgConnection,
    source: &Source,
    holder: &Holder,
) -> Result<IpOutcome> {
    cooldown::expire(&mut *tx).await?;
    let device = resolve::device(&mut *tx, holder.device.as_deref()).await?;
    let location = device
        .as_ref()
        .and_then(|d| d.location_id.map(|id| (id, d)));
    let pools = candidate_pools(&mut *tx, source, holder.vlan, location).await?;
    for pool in pools {
        let pool = carving::lock_scope(&mut *tx, &pool.cidr).await?;
        if pool.hidden || !pool.is_pool {
            continue;
        }
        let reserve = u32::try_from(pool.pool_reserved_first).unwrap_or(0);
        let Some((lo, hi)) = usable_range(&pool.cidr, reserve) else {
            continue;
        };
        let Some(address) =
            addresses::first_gap(&mut *tx, addr_at(&pool.cidr, lo), addr_at(&pool.cidr, hi))
                .await?
        else {
            continue;
        };
        let fields = fields(&mut *tx, holder, &pool).await?;
        let record = addresses::insert(&mut *tx, &pool, address, &fields, None).await?;
        let event = Event::new(
            "ipam_allocate_ip",
            json!({"address": address, "subnet": pool.cidr, "vlan": holder.vlan, "purpose": holder.purpose,
                   "customer": holder.customer, "device": holder.device, "service": holder.service,
                   "allocation_id": record.allocation_id}),
        )
        .address(IpNet::from(address))
        .cidr(pool.cidr);
        journal::record(&mut *tx, &event).await?;
        return Ok(IpOutcome {
            ip: record.into(),
            events: vec![event],
        });
    }
    let (what, cidr) = match source {
        Source::Subnet(c) => ("pool", c),
        Source::Pool(c) => ("pool inside", c),
    };
    Err(Error::exhausted(format!(
        "no free address in {what} {cidr}{}",
        at_device(location)
    )))
}

/// ` at FRA1 (device srv-1)`, or nothing.
fn at_device(location: Option<(i64, &Device)>) -> String {
    location
        .map(|(_, d)| {
            format!(
                " at {} (device {})",
                d.location.as_deref().unwrap_or_default(),
                d.name
            )
        })
        .unwrap_or_default()
}

/// The pools `source` names; a pool range at a device's location gives only the pools
/// there, on the VLAN if one is asked for.
async fn candidate_pools(
    conn: &mut PgConnection,
    source: &Source,
    vlan: Option<i32>,
    location: Option<(i64, &Device)>,
) -> Result<Vec<Subnet>> {
    match source {
        Source::Subnet(cidr) => {
            let Some(subnet) = tree::find(conn, cidr).await? else {
                return Err(Error::not_found(format!(
                    "{cidr} is not a subnet carve knows"
                )));
            };
            if !subnet.is_pool {
                return Err(Error::validation(format!(
                    "{cidr} is not a pool (make it one with: carve subnet set {cidr} --pool)"
                )));
            }
            if subnet.hidden {
                return Err(Error::conflict(format!("pool {cidr} is parked")));
            }
            Ok(vec![subnet])
        }
        Source::Pool(cidr) => {
            let pools = tree::pools_within(conn, cidr, vlan, location.map(|l| l.0)).await?;
            if pools.is_empty() {
                let vlan = vlan.map(|v| format!(" on VLAN {v}")).unwrap_or_default();
                let inside = if cidr.prefix_len() == 0 {
                    format!("no unparked {} pool", Family::of(cidr))
                } else {
                    format!("no unparked pool subnet inside {cidr}")
                };
                return Err(Error::not_found(format!(
                    "{inside}{vlan}{}",
                    at_device(location)
                )));
            }
            Ok(pools)
        }
    }
}

/// Resolves names to ids; a VLAN is looked up at the pool's location.
async fn fields(conn: &mut PgConnection, holder: &Holder, pool: &Subnet) -> Result<IpFields> {
    let rdns = holder
        .rdns
        .as_deref()
        .map(normalize_hostname)
        .transpose()
        .map_err(Error::validation)?;
    let vlan = resolve::vlan(
        conn,
        holder.vlan,
        pool.effective_location_id,
        &pool.cidr.to_string(),
    )
    .await?;
    let device = resolve::device(conn, holder.device.as_deref()).await?;
    Ok(IpFields {
        customer_id: resolve::customer(conn, holder.customer.as_deref()).await?,
        device_id: device.map(|d| d.id),
        service_id: holder.service,
        vlan_id: vlan.map(|v| v.id),
        purpose: holder.purpose.clone(),
        rdns,
        description: holder.description.clone(),
    })
}

/// Begins a transaction holding the lock of the pool that `address` belongs to;
/// returns the pool and the address's record, if it has one.
async fn begin_on(
    db: &Db,
    address: IpAddr,
) -> Result<(Transaction<'static, Postgres>, Subnet, Option<IpRecord>)> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let (pool, record) = locate(&mut tx, address).await?;
    Ok((tx, pool, record))
}

/// Locks the pool that `address` belongs to; returns it and the address's record.
async fn locate(conn: &mut PgConnection, address: IpAddr) -> Result<(Subnet, Option<IpRecord>)> {
    let pool = pool_of(&mut *conn, address).await?;
    let pool = carving::lock_scope(&mut *conn, &pool.cidr).await?;
    let record = addresses::find(conn, address).await?;
    Ok((pool, record))
}

/// Journals `event` for the address and commits.
async fn end_on(
    mut tx: Transaction<'static, Postgres>,
    pool: &Subnet,
    event: &'static str,
    ip: IpView,
) -> Result<IpOutcome> {
    let entry = address_event(event, pool, &ip);
    journal::record(&mut tx, &entry).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(IpOutcome {
        ip,
        events: vec![entry],
    })
}

fn address_event(event: &'static str, pool: &Subnet, ip: &IpView) -> Event {
    Event::new(
        event,
        json!({"address": ip.address, "subnet": pool.cidr, "customer": ip.customer,
               "device": ip.device, "service": ip.service}),
    )
    .address(IpNet::from(ip.address))
    .cidr(pool.cidr)
}

/// The pool subnet an address belongs to (the longest-match subnet that is a pool).
async fn pool_of(conn: &mut PgConnection, address: IpAddr) -> Result<Subnet> {
    let chain = tree::containing(conn, &IpNet::from(address)).await?;
    chain.into_iter().rev().find(|s| s.is_pool).ok_or_else(|| {
        Error::not_found(format!(
            "{address} is not inside any pool subnet (carve lookup {address})"
        ))
    })
}

fn no_record(address: IpAddr) -> Error {
    Error::not_found(format!(
        "{address} has no record (carve ip allocate takes the next free one)"
    ))
}

pub async fn set(db: &Db, address: IpAddr, holder: &Holder) -> Result<IpOutcome> {
    let result = retrying!(set_once(db, address, holder));
    journal_if_failed(
        db,
        "ipam_update_ip",
        json!({"address": address, "holder": holder}),
        false,
        result,
    )
    .await
}

async fn set_once(db: &Db, address: IpAddr, holder: &Holder) -> Result<IpOutcome> {
    let (mut tx, pool, record) = begin_on(db, address).await?;
    let record = record.ok_or_else(|| no_record(address))?;
    let fields = fields(&mut tx, holder, &pool).await?;
    let updated = addresses::update(&mut tx, record.id, &fields).await?;
    end_on(tx, &pool, "ipam_update_ip", updated.into()).await
}

/// Parks an address (recording it if it has no record yet) or unparks it; an address
/// that was recorded only to be parked disappears again when unparked.
pub async fn park(
    db: &Db,
    address: IpAddr,
    park: bool,
    reason: Option<String>,
) -> Result<IpOutcome> {
    let name = if park { "park" } else { "unpark" };
    let result = retrying!(park_once(db, address, park, reason.as_deref()));
    journal_if_failed(
        db,
        name,
        json!({"address": address, "reason": reason}),
        false,
        result,
    )
    .await
}

async fn park_once(
    db: &Db,
    address: IpAddr,
    park: bool,
    reason: Option<&str>,
) -> Result<IpOutcome> {
    let (mut tx, pool, record) = begin_on(db, address).await?;
    let view: IpView = match (park, record) {
        (true, Some(r)) if r.is_unavailable => {
            return Err(Error::conflict(format!("{address} is already parked")));
        }
        (true, Some(r)) => addresses::set_parked(&mut tx, r.id, Some(reason.unwrap_or("")))
            .await?
            .into(),
        (true, None) => {
            let reason = Some(reason.unwrap_or(""));
            addresses::insert(&mut tx, &pool, address, &IpFields::default(), reason)
                .await?
                .into()
        }
        (false, Some(r)) if !r.is_unavailable => {
            return Err(Error::conflict(format!("{address} is not parked")));
        }
        (false, Some(r)) if r.allocation_id.is_none() => {
            addresses::delete(&mut tx, r.id).await?;
            freed(r)
        }
        (false, Some(r)) => addresses::set_parked(&mut tx, r.id, None).await?.into(),
        (false, None) => return Err(no_record(address)),
    };
    end_on(tx, &pool, if park { "park" } else { "unpark" }, view).await
}

pub async fn release(db: &Db, address: IpAddr) -> Result<IpOutcome> {
    let result = retrying!(release_once(db, address));
    journal_if_failed(db, "release", json!({"address": address}), false, result).await
}

async fn release_once(db: &Db, address: IpAddr) -> Result<IpOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let outcome = release_in(&mut tx, address, &db.release_cooldown).await?;
    for event in &outcome.events {
        journal::record(&mut tx, event).await?;
    }
    tx.commit().await.map_err(db_error)?;
    Ok(outcome)
}

/// Releases an address inside the caller's transaction (its record kept, parked, for
/// the cooldown if one is set); the `release` event is left for the caller to journal.
pub(crate) async fn release_in(
    conn: &mut PgConnection,
    address: IpAddr,
    cooldown: &ReleaseCooldown,
) -> Result<IpOutcome> {
    let (pool, record) = locate(&mut *conn, address).await?;
    let record = record.ok_or_else(|| no_record(address))?;
    let was = freed(record.clone());
    let until = cooldown::start_address(&mut *conn, cooldown, record.id).await?;
    let ip = match &until {
        Some(_) => IpView::from(addresses::by_id(&mut *conn, record.id).await?),
        None => {
            addresses::delete(conn, record.id).await?;
            was.clone()
        }
    };
    let mut event = address_event("release", &pool, &was);
    event.detail["cooldown_until"] = json!(until);
    Ok(IpOutcome {
        ip,
        events: vec![event],
    })
}

/// How a record looks once deleted: the address is free.
fn freed(record: IpRecord) -> IpView {
    let mut view = IpView::from(record);
    view.parked = false;
    view.status = "free";
    view
}

pub async fn show(db: &Db, address: IpAddr) -> Result<IpView> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    addresses::find(&mut conn, address)
        .await?
        .map(IpView::from)
        .ok_or_else(|| no_record(address))
}
