//! Reserving one address (issue 20): kept out of allocation with its reason and counted
//! as reserved, never as used. A free address of a pool gets a record that says only
//! that; a record nobody holds is marked. Unreserving frees the address again: a record
//! that carries nothing but the reservation goes away, one that carries more (an
//! allocation, a VLAN, purpose, description, rDNS name or a park) keeps all of it and
//! only loses the reservation.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::json;
use sqlx::PgConnection;

use super::chosen::{check_handed_out, taken};
use super::record::freed;
use super::{IpOutcome, address_event, end_as, locate, parked_pool, pool_named, pool_of};
use crate::engine::text::{TEXT_MAX, quote};
use crate::error::{Error, Result};
use crate::model::{IpRecord, Owner, Subnet};
use crate::service::ownership::refuse_foreign;
use crate::service::plan::Run;
use crate::service::tx::{journal_if_failed, retrying};
use crate::service::view::IpView;
use crate::store::addresses::{self, IpFields, Kept};
use crate::store::{Db, carving, db_error};

/// What `carve ip reserve` asks for.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub address: IpAddr,
    /// Why: kept with the address and shown as `reserved for`.
    pub reason: String,
    /// The pool the address must lie in, when the caller names one.
    pub pool: Option<IpNet>,
}

pub async fn reserve(db: &Db, request: &Reservation, run: Run<'_>) -> Result<IpOutcome> {
    let result = retrying!(reserve_once(db, request, run));
    let asked = json!({"address": request.address, "reason": request.reason, "pool": request.pool});
    journal_if_failed(db, "reserve", asked, run.is_dry(), result).await
}

pub async fn unreserve(db: &Db, address: IpAddr, run: Run<'_>) -> Result<IpOutcome> {
    let result = retrying!(unreserve_once(db, address, run));
    let asked = json!({"address": address});
    journal_if_failed(db, "unreserve", asked, run.is_dry(), result).await
}

async fn reserve_once(db: &Db, request: &Reservation, run: Run<'_>) -> Result<IpOutcome> {
    let reason = checked_reason(&request.reason)?;
    let address = request.address;
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let pool = reserving_pool(&mut tx, address, request.pool).await?;
    let record = addresses::find(&mut tx, address).await?;
    let reserved = match record {
        None => {
            let kept = Kept::Reserved(reason);
            addresses::insert(&mut tx, &pool, address, &IpFields::default(), kept).await?
        }
        Some(r) if r.is_reserved && !r.is_unavailable => return Err(already_reserved(&r)),
        Some(r) if r.is_unavailable || r.holder_text().is_some() => return Err(taken(&r)),
        Some(r) => addresses::set_reserved(&mut tx, r.id, Some(reason)).await?,
    };
    let ip = IpView::from(reserved);
    let mut event = address_event("reserve", &pool, &ip);
    event.detail["reason"] = json!(reason);
    let outcome = IpOutcome {
        ip,
        events: vec![event],
    };
    end_as(tx, outcome, run, "the reservation").await
}

async fn unreserve_once(db: &Db, address: IpAddr, run: Run<'_>) -> Result<IpOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let (pool, record) = locate(&mut tx, address).await?;
    let record = match record {
        Some(r) if r.is_reserved => r,
        Some(r) => return Err(not_reserved(address, Some(r))),
        None => return Err(not_reserved(address, None)),
    };
    let ip = if bare(&record) {
        addresses::delete(&mut tx, record.id).await?;
        freed(record.clone())
    } else {
        addresses::set_reserved(&mut tx, record.id, None)
            .await?
            .into()
    };
    let mut event = address_event("unreserve", &pool, &ip);
    event.detail["reason"] = json!(record.reserve_reason);
    let outcome = IpOutcome {
        ip,
        events: vec![event],
    };
    end_as(tx, outcome, run, "the unreservation").await
}

/// The reason trimmed, or why it cannot be one.
fn checked_reason(reason: &str) -> Result<&str> {
    let trimmed = reason.trim();
    if trimmed.is_empty() {
        return Err(Error::validation(
            "--reason: a reservation says why (e.g. --reason \"DHCP range\"); it was empty",
        ));
    }
    let length = trimmed.chars().count();
    if length > TEXT_MAX {
        return Err(Error::validation(format!(
            "--reason {} is {length} characters long: a reserve reason is at most {TEXT_MAX}",
            quote(trimmed)
        )));
    }
    Ok(trimmed)
}

/// The pool that `address` is reserved in, locked: the named one when given (the address
/// must lie in it), else the pool holding it. Refused when that pool is parked, held for
/// someone (a reservation is nobody's, and their space is theirs), or never hands the
/// address out anyway.
async fn reserving_pool(
    conn: &mut PgConnection,
    address: IpAddr,
    named: Option<IpNet>,
) -> Result<Subnet> {
    let pool = match named {
        Some(cidr) => {
            let pool = pool_named(&mut *conn, &cidr).await?;
            if !cidr.contains(&address) {
                return Err(Error::validation(format!(
                    "{address} is not inside pool {cidr} (--pool names the pool that holds it)"
                )));
            }
            pool
        }
        None => pool_of(&mut *conn, address).await?,
    };
    let pool = carving::lock_scope(&mut *conn, &pool.cidr).await?;
    if pool.hidden {
        return Err(parked_pool(&pool));
    }
    let what = format!("pool {}", pool.cidr);
    refuse_foreign(&mut *conn, &pool, &pool.cidr, &Owner::default(), &what).await?;
    check_handed_out(&pool, address)?;
    Ok(pool)
}

/// Nothing but the reservation: an address that was free before it was reserved.
fn bare(r: &IpRecord) -> bool {
    r.allocation_id.is_none()
        && r.holder_text().is_none()
        && !r.is_unavailable
        && r.vlan.is_none()
        && r.purpose.is_none()
        && r.rdns.is_none()
        && r.description.is_none()
}

fn already_reserved(record: &IpRecord) -> Error {
    let address = record.address.addr();
    let reason = record
        .reserve_reason
        .as_deref()
        .unwrap_or("no reason given");
    Error::conflict(format!(
        "{address} is already reserved ({reason}): carve ip unreserve {address} frees it"
    ))
}

fn not_reserved(address: IpAddr, record: Option<IpRecord>) -> Error {
    match record.map(IpView::from) {
        None => Error::conflict(format!(
            "{address} is not reserved: it is free (it has no record)"
        )),
        Some(view) => Error::conflict(format!(
            "{address} is not reserved: it is {} (carve ip show {address})",
            view.status
        )),
    }
}
