//! Single addresses: allocate the next free one in a pool (or a chosen one), set, park,
//! reserve, release, show.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, Postgres, Transaction};

mod chosen;
mod record;
mod reserve;

pub(crate) use record::release_in;
pub use record::{park, release, set};
pub use reserve::{Reservation, reserve, unreserve};

use super::cooldown;
use super::ownership::refuse_foreign;
use super::plan::{Plan, Run};
use super::resolve;
use super::tx::{finish, journal_if_failed, retrying};
use super::view::IpView;
use crate::engine::Family;
use crate::engine::address::usable_range;
use crate::engine::dns::normalize_hostname;
use crate::engine::prefix::addr_at;
use crate::error::{Error, Result};
use crate::model::{Device, Event, IpRecord, Owner, Subnet};
use crate::store::addresses::{self, IpFields, Kept};
use crate::store::carving;
use crate::store::journal;
use crate::store::{Db, db_error, tree};

/// Where to take an address from: one pool subnet, any pool inside a CIDR, or exactly
/// this address (of whichever pool holds it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Subnet(IpNet),
    Pool(IpNet),
    Address(IpAddr),
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
    allocate_as_planned(db, source, holder, None).await
}

/// As [`allocate`]; given the `plan` of its [`preview`], only while it still takes that
/// address (compared before commit), else refused as changed and nothing done.
pub async fn allocate_as_planned(
    db: &Db,
    source: &Source,
    holder: &Holder,
    plan: Option<&Plan>,
) -> Result<IpOutcome> {
    let result = retrying!(allocate_once(db, source, holder, plan));
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

async fn allocate_once(
    db: &Db,
    source: &Source,
    holder: &Holder,
    plan: Option<&Plan>,
) -> Result<IpOutcome> {
    cooldown::expire(db).await;
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let outcome = allocate_in(&mut tx, source, holder).await?;
    if let Some(plan) = plan {
        plan.check(&Plan::of(&outcome.events, None), "the address allocation")?;
    }
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
    let (scope, within) = match source {
        Source::Address(address) => return chosen::allocate_in(tx, *address, holder).await,
        Source::Subnet(cidr) => (cidr, false),
        Source::Pool(cidr) => (cidr, true),
    };
    let device = resolve::device(&mut *tx, holder.device.as_deref()).await?;
    let location = device
        .as_ref()
        .and_then(|d| d.location_id.map(|id| (id, d)));
    let owner = owner_of(&mut *tx, holder, device.as_ref()).await?;
    let pools = if within {
        pools_within(&mut *tx, scope, holder.vlan, location).await?
    } else {
        let pool = pool_named(&mut *tx, scope).await?;
        refuse_foreign(&mut *tx, &pool, scope, &owner, &format!("pool {scope}")).await?;
        vec![pool]
    };
    for pool in pools {
        let pool = carving::lock_scope(&mut *tx, &pool.cidr).await?;
        // A pool inside someone else's block is theirs to hand out.
        if pool.hidden || !pool.is_pool || !pool.owner().admits(&owner) {
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
        return take(tx, &pool, address, holder).await;
    }
    let what = if within { "pool inside" } else { "pool" };
    Err(Error::exhausted(format!(
        "no free address in {what} {scope}{}",
        at_device(location)
    )))
}

/// Records `address` of the locked `pool` for `holder` and journals the allocation.
async fn take(
    tx: &mut PgConnection,
    pool: &Subnet,
    address: IpAddr,
    holder: &Holder,
) -> Result<IpOutcome> {
    let fields = fields(&mut *tx, holder, pool).await?;
    let record = addresses::insert(&mut *tx, pool, address, &fields, Kept::Allocated).await?;
    let event = Event::new(
        "ipam_allocate_ip",
        json!({"address": address, "subnet": pool.cidr, "vlan": holder.vlan, "purpose": holder.purpose,
               "customer": holder.customer, "device": holder.device, "service": holder.service,
               "allocation_id": record.allocation_id}),
    )
    .address(IpNet::from(address))
    .cidr(pool.cidr);
    journal::record(&mut *tx, &event).await?;
    Ok(IpOutcome {
        ip: record.into(),
        events: vec![event],
    })
}

/// Whom an address is for, as the database's owner columns spell it.
async fn owner_of(
    conn: &mut PgConnection,
    holder: &Holder,
    device: Option<&Device>,
) -> Result<Owner> {
    let customer_id = resolve::customer(conn, holder.customer.as_deref()).await?;
    Ok(Owner::of(customer_id, holder.service, device.map(|d| d.id)))
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

/// The pool subnet `cidr`, refused when it is no pool or parked.
pub(crate) async fn pool_named(conn: &mut PgConnection, cidr: &IpNet) -> Result<Subnet> {
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
        return Err(parked_pool(&subnet));
    }
    Ok(subnet)
}

/// `pool 203.0.113.64/26 is parked (lab)`.
fn parked_pool(pool: &Subnet) -> Error {
    let why = match (&pool.unavailable_reason, pool.is_unavailable) {
        (Some(reason), _) => format!(" ({reason})"),
        (None, true) => String::new(),
        (None, false) => " (through a parked block above it)".to_owned(),
    };
    Error::conflict(format!("pool {} is parked{why}", pool.cidr))
}

/// The pools inside `cidr`; at a device's location only the pools there, on the VLAN
/// if one is asked for.
async fn pools_within(
    conn: &mut PgConnection,
    cidr: &IpNet,
    vlan: Option<i32>,
    location: Option<(i64, &Device)>,
) -> Result<Vec<Subnet>> {
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

/// Resolves names to ids; a VLAN is looked up at the pool's location.
async fn fields(conn: &mut PgConnection, holder: &Holder, pool: &Subnet) -> Result<IpFields> {
    // An empty name clears the PTR (its deletion is queued like any change).
    let rdns = match holder.rdns.as_deref().map(str::trim) {
        Some("") => Some(String::new()),
        Some(name) => Some(normalize_hostname(name).map_err(Error::validation)?),
        None => None,
    };
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
    tx: Transaction<'static, Postgres>,
    pool: &Subnet,
    event: &'static str,
    ip: IpView,
) -> Result<IpOutcome> {
    let events = vec![address_event(event, pool, &ip)];
    end_as(tx, IpOutcome { ip, events }, Run::Real, "the address").await
}

/// Journals the outcome's events and commits; a dry run rolls back, and a run confirming
/// a plan (`what` names it in the refusal) is held to it before commit.
async fn end_as(
    mut tx: Transaction<'static, Postgres>,
    outcome: IpOutcome,
    run: Run<'_>,
    what: &str,
) -> Result<IpOutcome> {
    for event in &outcome.events {
        journal::record(&mut tx, event).await?;
    }
    if let Some(plan) = run.expected() {
        plan.check(&Plan::of(&outcome.events, None), what)?;
    }
    finish(tx, run.is_dry()).await?;
    Ok(outcome)
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

pub async fn show(db: &Db, address: IpAddr) -> Result<IpView> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    addresses::find(&mut conn, address)
        .await?
        .map(IpView::from)
        .ok_or_else(|| no_record(address))
}
