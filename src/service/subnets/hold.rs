//! Giving space back and keeping it out of use: release, park and unpark, each with a
//! plan that names the held blocks it touches.

use ipnet::IpNet;
use serde_json::json;
use sqlx::PgConnection;

use super::{AFFECTED_SHOWN, Outcome, begin_on, end_on};
use crate::config::ReleaseCooldown;
use crate::error::{Error, Result};
use crate::model::{Event, Subnet, SubnetStatus};
use crate::service::cooldown;
use crate::service::holds;
use crate::service::plan::Run;
use crate::service::tx::{journal_if_failed, retrying};
use crate::service::view::SubnetView;
use crate::store::{Db, addresses, carving};

/// Returns an allocated or reserved leaf to free space.
pub async fn release<'a>(db: &Db, cidr: &IpNet, run: impl Into<Run<'a>>) -> Result<Outcome> {
    let run = run.into();
    let result = retrying!(release_once(db, cidr, run));
    journal_if_failed(db, "release", json!({"cidr": cidr}), run.is_dry(), result).await
}

async fn release_once(db: &Db, cidr: &IpNet, run: Run<'_>) -> Result<Outcome> {
    let mut on = begin_on(db, cidr, run).await?;
    on.affected = SubnetView::all(&mut on.tx, vec![on.subnet.clone()], false).await?;
    let (holds, _) = holds::within(&mut on.tx, cidr, 0).await?;
    on.holds = Some(holds);
    let event = release_in(&mut on.tx, &on.subnet, &db.release_cooldown).await?;
    end_on(on, vec![event], run).await
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
    park_as(db, cidr, park, reason, Run::Real).await
}

/// [`park`] as a dry run (its plan lists the held blocks underneath) or as planned.
pub async fn park_as(
    db: &Db,
    cidr: &IpNet,
    park: bool,
    reason: Option<String>,
    run: Run<'_>,
) -> Result<Outcome> {
    let name = if park { "park" } else { "unpark" };
    let result = retrying!(park_once(db, cidr, park, reason.as_deref(), run));
    journal_if_failed(
        db,
        name,
        json!({"cidr": cidr, "reason": reason}),
        run.is_dry(),
        result,
    )
    .await
}

async fn park_once(
    db: &Db,
    cidr: &IpNet,
    park: bool,
    reason: Option<&str>,
    run: Run<'_>,
) -> Result<Outcome> {
    let mut on = begin_on(db, cidr, run).await?;
    let node = on.subnet.clone();
    // Parking a block that waits out a release cooldown makes the park lasting.
    let cooling = node.cooldown_secs.is_some();
    if node.is_unavailable == park && !(park && cooling) {
        let state = if park { "parked" } else { "not parked" };
        return Err(Error::conflict(format!("{cidr} is already {state}")));
    }
    let (holds, held) = holds::within(&mut on.tx, cidr, AFFECTED_SHOWN).await?;
    on.affected = SubnetView::all(&mut on.tx, held, false).await?;
    carving::set_parked(&mut on.tx, node.id, park, reason).await?;
    let name = if park { "park" } else { "unpark" };
    let detail = json!({"cidr": cidr, "reason": reason, "holds": holds});
    on.holds = Some(holds);
    let events = vec![Event::new(name, detail).cidr(*cidr)];
    end_on(on, events, run).await
}
