//! Locations, VLANs and customers.

use serde_json::json;

use super::resolve;
use crate::engine::text::quote;
use crate::engine::vlan::{self, VlanRange};
use crate::error::{Error, Result};
use crate::model::{Catalog, Event, Named, Vlan};
use crate::store::catalog;
use crate::store::journal;
use crate::store::{Db, db_error};
use sqlx::PgConnection;

pub async fn add(db: &Db, kind: Catalog, name: &str) -> Result<Named> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let added = catalog::add_named(&mut tx, kind, name).await?;
    let event = Event::new(kind.added_event(), json!({"name": added.name}));
    journal::record(&mut tx, &event).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(added)
}

pub async fn list(db: &Db, kind: Catalog) -> Result<Vec<Named>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    catalog::list_named(&mut conn, kind).await
}

pub async fn add_vlan(db: &Db, location: &str, vid: i32, name: Option<&str>) -> Result<Vlan> {
    if !(1..=4094).contains(&vid) {
        return Err(Error::validation(format!(
            "VLAN {vid} is out of range (1..4094)"
        )));
    }
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let location_id = catalog::named_id(&mut tx, Catalog::Location, location).await?;
    let vlan = catalog::add_vlan(&mut tx, location_id, vid, name).await?;
    journal::record(&mut tx, &vlan_added(&vlan, None)).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(vlan)
}

fn vlan_added(vlan: &Vlan, range: Option<VlanRange>) -> Event {
    let mut detail = json!({"location": vlan.location, "vid": vlan.vid, "name": vlan.name});
    if let Some(range) = range {
        detail["range"] = json!(range.to_string());
    }
    Event::new("vlan_add", detail)
}

/// `vlan add --next`: the lowest free id of `range` (default 1-4094) at `location`.
pub async fn add_next_vlan(
    db: &Db,
    location: &str,
    range: Option<&str>,
    name: Option<&str>,
) -> Result<Vlan> {
    let range = match range {
        Some(text) => VlanRange::parse(text).map_err(Error::validation)?,
        None => vlan::VALID,
    };
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let location_id = catalog::named_id(&mut tx, Catalog::Location, location).await?;
    let vlan = next_vlan_in(&mut tx, location_id, location, range, name, None).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(vlan)
}

/// Takes and journals the lowest free VLAN id of `range` at a location (for a service,
/// if given), in the caller's transaction. Callers take turns on a lock row per location, so sixteen at once get
/// sixteen ids in one pass each; a plain `vlan add` of the chosen id may still commit
/// between our look and our insert (it takes no turn), and then the next id is tried.
pub(crate) async fn next_vlan_in(
    conn: &mut PgConnection,
    location_id: i64,
    location: &str,
    range: VlanRange,
    name: Option<&str>,
    service_id: Option<i64>,
) -> Result<Vlan> {
    catalog::hold_vlan_ids(conn, location_id).await?;
    loop {
        let Some(vid) = catalog::lowest_free_vid(conn, location_id, range.low, range.high).await?
        else {
            return Err(Error::exhausted(format!(
                "no free VLAN id in {range} at location {}: every one is taken \
                 (carve vlan list --location {} shows them)",
                quote(location),
                quote(location)
            )));
        };
        let added = catalog::add_vlan_if_free(conn, location_id, vid, name, service_id).await?;
        if let Some(vlan) = added {
            let mut event = vlan_added(&vlan, Some(range));
            if let Some(id) = service_id {
                event.detail["service"] = json!(id);
            }
            journal::record(conn, &event).await?;
            return Ok(vlan);
        }
    }
}

pub async fn set_vlan_enabled(db: &Db, location: &str, vid: i32, enabled: bool) -> Result<Vlan> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let location_id = catalog::named_id(&mut tx, Catalog::Location, location).await?;
    let Some(vlan) = catalog::find_vlan(&mut tx, location_id, vid).await? else {
        return Err(Error::not_found(format!(
            "unknown VLAN {vid} at {location}"
        )));
    };
    let vlan = catalog::set_vlan_enabled(&mut tx, vlan.id, enabled).await?;
    let event = Event::new(
        if enabled {
            "vlan_enable"
        } else {
            "vlan_disable"
        },
        json!({"location": location, "vid": vid}),
    );
    journal::record(&mut tx, &event).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(vlan)
}

pub async fn list_vlans(db: &Db, location: Option<&str>) -> Result<Vec<Vlan>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let location_id = resolve::location(&mut conn, location).await?;
    catalog::list_vlans(&mut conn, location_id).await
}
