//! The VLAN a product gives each service (`ipam_config.new_vlan`): taken in the
//! provisioning transaction (so a failed or dry provisioning takes none), kept through
//! re-provisioning, released at cancel.

use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

use crate::engine::text::{NAME_MAX, cut};
use crate::engine::vlan::VlanRange;
use crate::error::{Error, Result};
use crate::model::{Device, Event, Service, Vlan};
use crate::service::catalog::next_vlan_in;
use crate::store::catalog;

/// The service's VLAN and what happened to it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceVlan {
    #[serde(flatten)]
    pub vlan: Vlan,
    /// `taken` (new), `reused` (re-provisioning kept the one the service had),
    /// `released` (deleted at cancel) or `kept` (cancel left it: space kept on the device
    /// still carries it).
    pub action: &'static str,
}

/// The service's VLAN: the one it has (a re-provisioning), else the lowest free id of
/// `range` at the device's location, named after the service.
pub(super) async fn take(
    conn: &mut PgConnection,
    range: VlanRange,
    service: &Service,
    device: &Device,
) -> Result<ServiceVlan> {
    if let Some(vlan) = catalog::service_vlan(conn, service.id).await? {
        return Ok(ServiceVlan {
            vlan,
            action: "reused",
        });
    }
    let (Some(location_id), Some(location)) = (device.location_id, &device.location) else {
        return Err(Error::internal(
            "a device without a location reached new_vlan",
        ));
    };
    let name = cut(
        &format!("{} service #{}", service.customer, service.id),
        NAME_MAX - 1,
    );
    let vlan = next_vlan_in(
        conn,
        location_id,
        location,
        range,
        Some(&name),
        Some(service.id),
    )
    .await
    .map_err(|e| Error::new(e.kind, format!("new_vlan: {}", e.message)))?;
    Ok(ServiceVlan {
        vlan,
        action: "taken",
    })
}

/// At cancel, after the service's space went back: its VLAN is deleted, or kept (no
/// longer the service's) when space left on the device still carries it. The event
/// is returned for the caller to journal.
pub(super) async fn release(
    conn: &mut PgConnection,
    service_id: i64,
) -> Result<Option<(ServiceVlan, Event)>> {
    let Some(vlan) = catalog::service_vlan(conn, service_id).await? else {
        return Ok(None);
    };
    let deleted = catalog::release_service_vlan(conn, vlan.id).await?;
    let event = Event::new(
        "vlan_release",
        json!({"location": vlan.location, "vid": vlan.vid, "name": vlan.name,
               "service": service_id, "deleted": deleted}),
    );
    let action = if deleted { "released" } else { "kept" };
    Ok(Some((ServiceVlan { vlan, action }, event)))
}
