//! Locations, VLANs and customers.

use serde_json::json;

use super::resolve;
use crate::error::{Error, Result};
use crate::model::{Catalog, Event, Named, Vlan};
use crate::store::catalog;
use crate::store::journal;
use crate::store::{Db, db_error};

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
    let event = Event::new(
        "vlan_add",
        json!({"location": vlan.location, "vid": vid, "name": vlan.name}),
    );
    journal::record(&mut tx, &event).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(vlan)
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
