//! Changing one address record: its fields, parking, releasing (into a release
//! cooldown when one is set).

use std::net::IpAddr;

use serde_json::json;
use sqlx::PgConnection;

use super::{Holder, IpOutcome, address_event, begin_on, end_on, fields, locate, no_record};
use crate::config::ReleaseCooldown;
use crate::error::{Error, Result};
use crate::model::IpRecord;
use crate::service::cooldown;
use crate::service::tx::{journal_if_failed, retrying};
use crate::service::view::IpView;
use crate::store::addresses::{self, IpFields, Kept};
use crate::store::journal;
use crate::store::{Db, db_error};

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
    refuse_cooling(&record)?;
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
            let kept = Kept::Parked(reason.unwrap_or(""));
            addresses::insert(&mut tx, &pool, address, &IpFields::default(), kept)
                .await?
                .into()
        }
        (false, Some(r)) if !r.is_unavailable => {
            return Err(Error::conflict(format!("{address} is not parked")));
        }
        // A reserved record stays reserved (carve ip unreserve frees it).
        (false, Some(r)) if r.allocation_id.is_none() && !r.is_reserved => {
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
    refuse_cooling(&record)?;
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

/// A record waiting out its release cooldown belongs to nobody: it can be freed early
/// (unpark), not released again or edited.
pub(super) fn refuse_cooling(record: &IpRecord) -> Result<()> {
    match record.cooldown_secs {
        Some(left) => Err(Error::conflict(format!(
            "{} was released and waits out its cooldown ({}): carve ip unpark {0} frees it now",
            record.address.addr(),
            cooldown::left_text(left)
        ))),
        None => Ok(()),
    }
}

/// How a record looks once deleted: the address is free, and a park reason or a
/// cooldown it had is gone with the record.
pub(super) fn freed(record: IpRecord) -> IpView {
    let mut view = IpView::from(record);
    view.parked = false;
    view.parked_reason = None;
    view.reserved = false;
    view.reserve_reason = None;
    view.cooldown_left = None;
    view.status = "free";
    view
}
