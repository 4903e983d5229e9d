//! Letting go of a block and keeping it out of use: release (a leaf back to free space,
//! a held subdivided block back to nobody's) and park. Both say what the block holds.

use ipnet::IpNet;
use serde_json::json;
use sqlx::PgConnection;

use super::{Outcome, begin_on, end_on};
use crate::config::ReleaseCooldown;
use crate::error::{Error, Result};
use crate::service::cooldown;
use crate::service::holds;
use crate::service::tx::{journal_if_failed, retrying};
use crate::store::journal::Event;
use crate::store::rows::{Subnet, SubnetStatus};
use crate::store::{Db, addresses, carving};

/// Returns an allocated or reserved leaf to free space.
pub async fn release(db: &Db, cidr: &IpNet, dry_run: bool) -> Result<Outcome> {
    let result = retrying!(release_once(db, cidr, dry_run));
    journal_if_failed(db, "release", json!({"cidr": cidr}), dry_run, result).await
}

async fn release_once(db: &Db, cidr: &IpNet, dry_run: bool) -> Result<Outcome> {
    let (mut tx, leaf) = begin_on(db, cidr).await?;
    let holds = holds::within(&mut tx, cidr).await?;
    let event = release_in(&mut tx, &leaf, &db.release_cooldown).await?;
    let mut outcome = end_on(tx, leaf, vec![event], dry_run).await?;
    outcome.holds = Some(holds);
    Ok(outcome)
}

/// Releases a locked block inside the caller's transaction: an allocated or reserved
/// leaf goes back to free space (parked for the cooldown, if one is set); a held
/// subdivided block goes back to nobody's, its allocations beneath staying as they are.
/// Returns the `release` event, naming all that was cleared, for the caller to journal.
pub(crate) async fn release_in(
    conn: &mut PgConnection,
    leaf: &Subnet,
    cooldown: &ReleaseCooldown,
) -> Result<Event> {
    let cidr = &leaf.cidr;
    let status = leaf.status();
    let aggregate = status == SubnetStatus::Subdivided && leaf.is_held();
    if !aggregate && !matches!(status, SubnetStatus::Allocated | SubnetStatus::Reserved) {
        return Err(Error::conflict(format!(
            "{cidr} is {}: only allocated or reserved subnets, or subdivided ones held \
             for someone, are released",
            status.as_str()
        )));
    }
    let held = addresses::count_within(&mut *conn, cidr).await?;
    if held > 0 && !aggregate {
        return Err(Error::conflict(format!(
            "{cidr} still holds {held} address record(s), parked or in release cooldown \
             included: release or unpark them first (carve subnet show {cidr})"
        )));
    }
    carving::release(&mut *conn, leaf.id).await?;
    let until = match aggregate {
        true => None,
        false => cooldown::start_subnet(&mut *conn, cooldown, leaf.id).await?,
    };
    // Everything the holder had on it, so the journal (and undo) keep what was cleared.
    let detail = json!({"cidr": cidr, "was": status.as_str(), "customer": leaf.customer,
                        "device": leaf.device, "service": leaf.service_id,
                        "description": leaf.description, "purpose": leaf.purpose,
                        "reserve_reason": leaf.reserve_reason,
                        "allocation_id": leaf.allocation_id, "cooldown_until": until});
    Ok(Event::new("release", detail).cidr(*cidr))
}

/// Parks (`reason` given) or unparks a subnet and, through the database, its subtree.
pub async fn park(db: &Db, cidr: &IpNet, park: bool, reason: Option<String>) -> Result<Outcome> {
    let name = if park { "park" } else { "unpark" };
    let result = retrying!(park_once(db, cidr, park, reason.as_deref()));
    journal_if_failed(
        db,
        name,
        json!({"cidr": cidr, "reason": reason}),
        false,
        result,
    )
    .await
}

async fn park_once(db: &Db, cidr: &IpNet, park: bool, reason: Option<&str>) -> Result<Outcome> {
    let (mut tx, node) = begin_on(db, cidr).await?;
    // Parking a block that waits out a release cooldown makes the park lasting.
    let cooling = node.cooldown_secs.is_some();
    if node.is_unavailable == park && !(park && cooling) {
        let state = if park { "parked" } else { "not parked" };
        return Err(Error::conflict(format!("{cidr} is already {state}")));
    }
    let holds = holds::within(&mut tx, cidr).await?;
    carving::set_parked(&mut tx, node.id, park, reason).await?;
    let name = if park { "park" } else { "unpark" };
    let detail = json!({"cidr": cidr, "reason": reason, "holds": holds});
    let events = vec![Event::new(name, detail).cidr(*cidr)];
    let mut outcome = end_on(tx, node, events, false).await?;
    outcome.holds = Some(holds);
    Ok(outcome)
}
