//! Turning the names a user types (location, customer, VLAN id) into ids, with errors
//! that name the input.

use sqlx::PgConnection;

use crate::engine::text::quote;
use crate::error::{Error, Result};
use crate::model::{Catalog, Device, Vlan};
use crate::store::catalog;
use crate::store::services;

pub async fn location(conn: &mut PgConnection, name: Option<&str>) -> Result<Option<i64>> {
    match name {
        Some(name) => Ok(Some(
            catalog::named_id(conn, Catalog::Location, name).await?,
        )),
        None => Ok(None),
    }
}

pub async fn customer(conn: &mut PgConnection, name: Option<&str>) -> Result<Option<i64>> {
    match name {
        Some(name) => Ok(Some(
            catalog::named_id(conn, Catalog::Customer, name).await?,
        )),
        None => Ok(None),
    }
}

/// VLAN `vid` at `location_id`; VLANs are per location, so one is needed.
pub async fn vlan(
    conn: &mut PgConnection,
    vid: Option<i32>,
    location_id: Option<i64>,
    context: &str,
) -> Result<Option<Vlan>> {
    let Some(vid) = vid else { return Ok(None) };
    if !(1..=4094).contains(&vid) {
        return Err(Error::validation(format!(
            "VLAN {vid} is out of range (1..4094)"
        )));
    }
    let Some(location_id) = location_id else {
        return Err(Error::validation(format!(
            "VLAN {vid}: {context} has no location, and VLANs belong to a location \
             (give --location, or set one on the subnet)"
        )));
    };
    let found = catalog::find_vlan(conn, location_id, vid).await?;
    match found {
        Some(v) if !v.enabled => Err(Error::validation(format!(
            "VLAN {vid} at {} is disabled (carve vlan enable --location {} --vid {vid})",
            v.location, v.location
        ))),
        Some(v) => Ok(Some(v)),
        None => {
            let names = catalog::list_named(conn, Catalog::Location).await?;
            let place = names
                .iter()
                .find(|n| n.id == location_id)
                .map_or("this location".to_owned(), |n| n.name.clone());
            Err(Error::not_found(format!(
                "unknown VLAN {vid} at {place} (add it with: carve vlan add --location {place} --vid {vid})"
            )))
        }
    }
}

/// The device called `name`, or an error that names it and says how to add it.
pub async fn device(conn: &mut PgConnection, name: Option<&str>) -> Result<Option<Device>> {
    let Some(name) = name else { return Ok(None) };
    match services::device_by_name(conn, name, false).await? {
        Some(device) => Ok(Some(device)),
        None => Err(unknown_device(name)),
    }
}

pub fn unknown_device(name: &str) -> Error {
    Error::not_found(format!(
        "unknown device {q} (add it with: carve device add {q} --location LOC)",
        q = quote(name)
    ))
}
