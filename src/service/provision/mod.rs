//! Services: provision (fulfil the product's rules), re-provision (wipe the device's
//! non-management space, fulfil again), cancel (release all but management space). Each
//! is one transaction; a failure rolls everything back and is journaled on its own.

mod fulfil;
mod vlan;

use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

pub use fulfil::Held;
use fulfil::{Done, FailedRule};
pub use vlan::ServiceVlan;

use super::products;
use super::resolve;
use super::tx::{finish, journal_failure, journal_if_failed, retrying};
use super::view::{IpView, SubnetView};
use crate::error::{Error, Result};
use crate::model::{Device, Event, Service};
use crate::store::journal;
use crate::store::services::{self, Holding};
use crate::store::{Db, addresses, db_error, tree};

#[derive(Debug, Clone, Serialize)]
pub struct ProvisionRequest {
    pub customer: String,
    pub product: String,
    pub device: String,
    pub dry_run: bool,
}

/// What a provisioning, re-provisioning or cancel did.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceOutcome {
    pub service: Service,
    pub allocations: Vec<Held>,
    pub released: Vec<Held>,
    pub events: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The service's own VLAN, when its product gives it one (`new_vlan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<ServiceVlan>,
    pub dry_run: bool,
}

/// The failure event: what was asked, and the rule that could not be met.
fn failure_request(request: serde_json::Value, failed: &FailedRule) -> serde_json::Value {
    let mut request = request;
    if let Some((index, rule)) = failed {
        request["rule"] = json!({"index": index, "rule": rule});
    }
    request
}

pub async fn provision(db: &Db, request: &ProvisionRequest) -> Result<ServiceOutcome> {
    if !request.dry_run {
        super::cooldown::expire(db).await;
    }
    let mut failed = None;
    let result = retrying!(provision_once(db, request, &mut failed));
    if let Err(error) = &result
        && !request.dry_run
    {
        let detail = failure_request(json!(request), &failed);
        journal_failure(db, "service_provision", error, detail).await;
    }
    result
}

async fn provision_once(
    db: &Db,
    request: &ProvisionRequest,
    failed: &mut FailedRule,
) -> Result<ServiceOutcome> {
    *failed = None;
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    // The device row lock keeps two provisionings of one device from interleaving.
    let device = lock_device(&mut tx, &request.device).await?;
    services::serialize_provisioning(&mut tx, device.location_id).await?;
    let customer_id = resolve::customer(&mut tx, Some(&request.customer))
        .await?
        .ok_or_else(|| Error::internal("a named customer without an id"))?;
    let product = products::load(&mut tx, &request.product).await?;
    let service =
        services::insert_service(&mut tx, customer_id, product.product.id, device.id).await?;
    let done = fulfil::fulfil(&mut tx, &product.rules, &service, &device, failed).await?;
    let outcome = outcome(service, done, Done::default(), request.dry_run);
    journal::record(&mut tx, &summary("service_provision", &outcome)).await?;
    finish(tx, request.dry_run).await?;
    Ok(outcome)
}

/// `service_provision` and friends: one event that sums up what happened to the service.
fn summary(name: &'static str, o: &ServiceOutcome) -> Event {
    let held = |h: &[Held]| -> Vec<String> { h.iter().map(Held::space).collect() };
    Event::new(
        name,
        json!({"service": o.service.id, "customer": o.service.customer, "product": o.service.product,
               "device": o.service.device, "allocated": held(&o.allocations),
               "released": held(&o.released), "skipped": o.skipped,
               "vlan": o.vlan.as_ref().map(|v| json!({"vid": v.vlan.vid, "action": v.action}))}),
    )
}

fn outcome(service: Service, taken: Done, released: Done, dry_run: bool) -> ServiceOutcome {
    let mut events = released.events;
    events.extend(taken.events);
    ServiceOutcome {
        service,
        allocations: taken.held,
        released: released.held,
        events,
        skipped: taken.skipped,
        vlan: taken.vlan.or(released.vlan),
        dry_run,
    }
}

async fn lock_device(conn: &mut PgConnection, name: &str) -> Result<Device> {
    services::device_by_name(conn, name, true)
        .await?
        .ok_or_else(|| resolve::unknown_device(name))
}

/// The service `id`, locked, and still active.
async fn lock_active(conn: &mut PgConnection, id: i64) -> Result<Service> {
    let service = services::service_by_id(conn, id, true)
        .await?
        .ok_or_else(|| unknown_service(id))?;
    if let Some(at) = &service.cancelled_at {
        return Err(Error::conflict(format!(
            "service #{id} was cancelled at {at}: nothing to release or re-provision"
        )));
    }
    Ok(service)
}

pub(crate) fn unknown_service(id: i64) -> Error {
    Error::not_found(format!(
        "service #{id} does not exist (carve service list shows them)"
    ))
}

/// Wipes the device's non-management space held by this service (or by none), then
/// fulfils the product's current rules, in one transaction.
pub async fn reprovision(db: &Db, id: i64, dry_run: bool) -> Result<ServiceOutcome> {
    let mut failed = None;
    let result = retrying!(reprovision_once(db, id, dry_run, &mut failed));
    if let Err(error) = &result
        && !dry_run
    {
        let detail = failure_request(json!({"service": id}), &failed);
        journal_failure(db, "service_reprovision", error, detail).await;
    }
    result
}

async fn reprovision_once(
    db: &Db,
    id: i64,
    dry_run: bool,
    failed: &mut FailedRule,
) -> Result<ServiceOutcome> {
    *failed = None;
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let service = lock_active(&mut tx, id).await?;
    let device = lock_device(&mut tx, &service.device).await?;
    services::serialize_provisioning(&mut tx, device.location_id).await?;
    let product = products::load(&mut tx, &service.product).await?;
    let mut wiped = Done::default();
    if product.rules.mode == crate::provision::Mode::Full {
        let holding = Holding::Wipe {
            device_id: device.id,
            service_id: id,
        };
        wiped = fulfil::release(&mut tx, holding, &db.release_cooldown).await?;
        let released: Vec<_> = wiped.events.iter().map(|e| e.detail.clone()).collect();
        let wipe = Event::new(
            "ipam_wipe_device",
            json!({"device": device.name, "service": id, "released": released}),
        );
        journal::record(&mut tx, &wipe).await?;
        wiped.events = vec![wipe];
    }
    let taken = fulfil::fulfil(&mut tx, &product.rules, &service, &device, failed).await?;
    services::mark_service(&mut tx, id, false).await?;
    let outcome = outcome(service, taken, wiped, dry_run);
    journal::record(&mut tx, &summary("service_reprovision", &outcome)).await?;
    finish(tx, dry_run).await?;
    Ok(outcome)
}

/// Releases everything the service holds except management space, which stays on the
/// device; the service is marked cancelled.
pub async fn cancel(db: &Db, id: i64, dry_run: bool) -> Result<ServiceOutcome> {
    let result = retrying!(cancel_once(db, id, dry_run));
    journal_if_failed(
        db,
        "service_cancel",
        json!({"service": id}),
        dry_run,
        result,
    )
    .await
}

async fn cancel_once(db: &Db, id: i64, dry_run: bool) -> Result<ServiceOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let service = lock_active(&mut tx, id).await?;
    let device = lock_device(&mut tx, &service.device).await?;
    services::serialize_provisioning(&mut tx, device.location_id).await?;
    let mut released = fulfil::release(&mut tx, Holding::Cancel(id), &db.release_cooldown).await?;
    for event in &released.events {
        journal::record(&mut tx, event).await?;
    }
    services::detach_kept(&mut tx, id).await?;
    if let Some((service_vlan, event)) = vlan::release(&mut tx, id).await? {
        journal::record(&mut tx, &event).await?;
        released.events.push(event);
        released.vlan = Some(service_vlan);
    }
    services::mark_service(&mut tx, id, true).await?;
    let service = services::service_by_id(&mut tx, id, false)
        .await?
        .unwrap_or(service);
    let outcome = outcome(service, Done::default(), released, dry_run);
    journal::record(&mut tx, &summary("service_cancel", &outcome)).await?;
    finish(tx, dry_run).await?;
    Ok(outcome)
}

/// A service and the space it holds now.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceDetail {
    pub service: Service,
    pub subnets: Vec<SubnetView>,
    pub addresses: Vec<IpView>,
}

pub async fn show(db: &Db, id: i64) -> Result<ServiceDetail> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let service = services::service_by_id(&mut conn, id, false)
        .await?
        .ok_or_else(|| unknown_service(id))?;
    let mut subnets = Vec::new();
    for (subnet_id, _) in services::held_subnets(&mut conn, Holding::Service(id)).await? {
        if let Some(subnet) = tree::by_id(&mut conn, subnet_id).await? {
            subnets.push(SubnetView::of(&mut conn, subnet).await?);
        }
    }
    let mut ips = Vec::new();
    for (_, address) in services::held_addresses(&mut conn, Holding::Service(id)).await? {
        if let Some(record) = addresses::find(&mut conn, address.addr()).await? {
            ips.push(IpView::from(record));
        }
    }
    Ok(ServiceDetail {
        service,
        subnets,
        addresses: ips,
    })
}

/// Which services to list.
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    pub customer: Option<String>,
    pub device: Option<String>,
    pub status: Option<String>,
}

pub async fn list(db: &Db, filter: &ServiceFilter) -> Result<Vec<Service>> {
    if let Some(status) = filter.status.as_deref()
        && !matches!(status, "active" | "cancelled")
    {
        return Err(Error::validation(format!(
            "{status:?} is not a service status (active or cancelled)"
        )));
    }
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    services::list_services(
        &mut conn,
        filter.customer.as_deref(),
        filter.device.as_deref(),
        filter.status.as_deref(),
    )
    .await
}
