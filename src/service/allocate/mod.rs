//! Subnet allocation (DESIGN.md section 2): exact, else merge, else split, limited by the
//! request's strongest strategy, in one row-locked transaction journaled as it goes.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

mod choice;

use choice::{check_length, choose, exact_choice, exact_scope, family_of, length_scope};

use super::cooldown;
use super::ownership::refuse_foreign;
use super::plan::Plan;
use super::resolve;
use super::tx::{finish, journal_failure, retrying};
use crate::engine::Strategy;
use crate::engine::plan::split_steps;
use crate::error::{Error, Result};
use crate::model::{Event, Owner, SubnetStatus};
use crate::store::candidates::Search;
use crate::store::carving::{self, Holder};
use crate::store::journal;
use crate::store::{Db, db_error};

/// What to allocate: a length somewhere (optionally in a pool or at a location), or one
/// exact block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Length {
        family: u8,
        len: u8,
        pool: Option<IpNet>,
        location: Option<String>,
    },
    Cidr(IpNet),
}

#[derive(Debug, Clone, Serialize)]
pub struct SubnetRequest {
    pub target: Target,
    pub strategy: Strategy,
    pub status: SubnetStatus,
    pub vlan: Option<i32>,
    pub customer: Option<String>,
    /// The device the space is for; provisioning sets it.
    pub device: Option<String>,
    /// The service the space is for (set by provisioning, never typed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<i64>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    /// Why the block is reserved (reservations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Take an exact CIDR even while it is in release cooldown (ending the cooldown).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    pub dry_run: bool,
}

impl SubnetRequest {
    /// A plain allocation of a /`len` (optionally inside `pool`), allowed to split, with
    /// no holder: the fields a caller needs are set on the result.
    pub fn length(family: u8, len: u8, pool: Option<IpNet>) -> SubnetRequest {
        SubnetRequest::new(Target::Length {
            family,
            len,
            pool,
            location: None,
        })
    }

    /// A plain allocation of exactly `cidr`.
    pub fn cidr(cidr: IpNet) -> SubnetRequest {
        SubnetRequest::new(Target::Cidr(cidr))
    }

    /// A plain allocation of `target`: split allowed, no holder.
    pub fn new(target: Target) -> SubnetRequest {
        SubnetRequest {
            target,
            strategy: Strategy::Split,
            status: SubnetStatus::Allocated,
            vlan: None,
            customer: None,
            device: None,
            service: None,
            description: None,
            purpose: None,
            reason: None,
            force: false,
            dry_run: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Allocation {
    pub cidr: IpNet,
    pub id: i64,
    pub status: SubnetStatus,
    pub strategy: Strategy,
    pub allocation_id: String,
    pub dry_run: bool,
    pub events: Vec<Event>,
}

impl SubnetRequest {
    /// The journal event of this request: an allocation or a reservation.
    fn event(&self) -> &'static str {
        match self.status {
            SubnetStatus::Reserved => "ipam_reserve_subnet",
            _ => "ipam_allocate_subnet",
        }
    }
}

pub async fn allocate_subnet(db: &Db, request: &SubnetRequest) -> Result<Allocation> {
    allocate_as_planned(db, request, None).await
}

/// Allocates as [`allocate_subnet`]; given the `plan` of this request's dry run, only
/// when it still takes that block by those steps (compared before commit), else refused
/// with [`crate::error::ErrorKind::Changed`] and nothing done.
pub async fn allocate_as_planned(
    db: &Db,
    request: &SubnetRequest,
    plan: Option<&Plan>,
) -> Result<Allocation> {
    let result = retrying!(attempt(db, request, plan));
    if let Err(error) = &result
        && !request.dry_run
    {
        journal_failure(db, request.event(), error, json!(request)).await;
    }
    result
}

async fn attempt(db: &Db, request: &SubnetRequest, plan: Option<&Plan>) -> Result<Allocation> {
    if !request.dry_run {
        cooldown::expire(db).await;
    }
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let allocation = allocate_in(&mut tx, request).await?;
    if let Some(plan) = plan {
        plan.check(&Plan::of(&allocation.events, None), "the allocation")?;
    }
    finish(tx, request.dry_run).await?;
    Ok(allocation)
}

/// One allocation inside the caller's transaction, journaled there; the caller commits
/// (provisioning makes several in one transaction).
pub(crate) async fn allocate_in(
    tx: &mut PgConnection,
    request: &SubnetRequest,
) -> Result<Allocation> {
    let customer_id = resolve::customer(&mut *tx, request.customer.as_deref()).await?;
    let device = resolve::device(&mut *tx, request.device.as_deref()).await?;
    let owner = Owner::of(customer_id, request.service, device.as_ref().map(|d| d.id));
    // With a location the VLAN is known before the search, so it filters the search too;
    // otherwise it is looked up at the scope's location once the scope is known.
    let mut events = Vec::new();
    let (scope, mut search, early_vlan) = match &request.target {
        Target::Length {
            family,
            len,
            pool,
            location,
        } => {
            let family = family_of(*family)?;
            check_length(family, *len)?;
            // Space for a device comes from the device's location unless told otherwise.
            let location_id = match (location, &device) {
                (None, Some(device)) => device.location_id,
                _ => resolve::location(&mut *tx, location.as_deref()).await?,
            };
            let early_vlan = match location_id {
                Some(_) => {
                    Some(resolve::vlan(&mut *tx, request.vlan, location_id, "the request").await?)
                }
                None => None,
            };
            let mut search = Search {
                family,
                len: *len,
                within: family.everything(),
                location_id,
                vlan_id: early_vlan.as_ref().and_then(|v| v.as_ref().map(|v| v.id)),
                holder: owner,
            };
            let scope = length_scope(&mut *tx, &search, pool.as_ref(), request.strategy).await?;
            if let Some(pool) = pool {
                refuse_foreign(&mut *tx, &scope, pool, &owner, &format!("pool {pool}")).await?;
            }
            search.within = pool.unwrap_or(scope.cidr);
            (scope, Some(search), early_vlan)
        }
        Target::Cidr(cidr) => {
            let node = exact_scope(&mut *tx, cidr).await?;
            // Inside (or at) an allocated or reserved leaf, "already allocated to ..."
            // says more than whose the space is.
            let taken = matches!(
                node.status(),
                SubnetStatus::Allocated | SubnetStatus::Reserved
            );
            if !taken {
                refuse_foreign(&mut *tx, &node, cidr, &owner, &cidr.to_string()).await?;
            }
            let mut scope = carving::lock_scope(&mut *tx, &node.cidr).await?;
            if request.force && scope.cooldown_secs.is_some() {
                events.push(cooldown::force_end(&mut *tx, scope.id, scope.cidr).await?);
                scope = carving::lock_scope(&mut *tx, &node.cidr).await?;
            }
            (scope, None, None)
        }
    };
    let vlan = match early_vlan {
        Some(vlan) => vlan,
        None => {
            resolve::vlan(
                &mut *tx,
                request.vlan,
                scope.effective_location_id,
                &scope.cidr.to_string(),
            )
            .await?
        }
    };
    if let Some(search) = search.as_mut() {
        search.vlan_id = vlan.as_ref().map(|v| v.id);
    }
    let holder = Holder {
        customer_id,
        device_id: device.as_ref().map(|d| d.id),
        service_id: request.service,
        vlan_id: vlan.as_ref().map(|v| v.id),
        description: request.description.clone(),
        purpose: request.purpose.clone(),
        reserve_reason: request.reason.clone(),
    };
    // The common case in one statement: a free leaf of exactly the length.
    if let Some(search) = &search
        && let Some((id, cidr, allocation_id)) =
            carving::take_exact(&mut *tx, search, request.status, &holder).await?
    {
        let taken = Taken {
            id,
            cidr,
            strategy: Strategy::Exact,
            allocation_id,
        };
        return journal(tx, request, taken, events).await;
    }
    let (strategy, block_id, block) = match (&search, &request.target) {
        (Some(search), _) => choose(&mut *tx, search, request.strategy, false).await?,
        (None, Target::Cidr(cidr)) => {
            exact_choice(&mut *tx, &scope, cidr, request.strategy, owner).await?
        }
        (None, Target::Length { .. }) => {
            return Err(Error::internal("a length request without a search"));
        }
    };
    let target = match &request.target {
        Target::Length { len, .. } => {
            IpNet::new(block.network(), *len).map_err(|e| Error::internal(e.to_string()))?
        }
        Target::Cidr(cidr) => *cidr,
    };
    let taken_id = match strategy {
        Strategy::Exact => block_id,
        Strategy::Merge => {
            carving::merge(&mut *tx, block_id, &block).await?;
            events.push(Event::new("ipam_subnet_merge", json!({"cidr": block})).cidr(block));
            block_id
        }
        Strategy::Split => {
            let steps = split_steps(&block, &target)
                .ok_or_else(|| Error::internal(format!("{block} does not hold {target}")))?;
            for step in &steps {
                let detail = json!({"source": step.source, "children": [step.lower, step.upper]});
                events.push(Event::new("ipam_subnet_split", detail).cidr(step.source));
            }
            carving::split(&mut *tx, block_id, &target, &steps).await?
        }
    };
    let allocation_id = carving::take(&mut *tx, taken_id, request.status, &holder).await?;
    let taken = Taken {
        id: taken_id,
        cidr: target,
        strategy,
        allocation_id,
    };
    journal(tx, request, taken, events).await
}

/// The block an allocation took.
struct Taken {
    id: i64,
    cidr: IpNet,
    strategy: Strategy,
    allocation_id: String,
}

/// Journals the carving events and the allocation itself.
async fn journal(
    tx: &mut PgConnection,
    request: &SubnetRequest,
    taken: Taken,
    mut events: Vec<Event>,
) -> Result<Allocation> {
    let pool = match &request.target {
        Target::Length { pool, .. } => *pool,
        Target::Cidr(_) => None,
    };
    let detail = json!({"cidr": taken.cidr, "pool": pool, "vlan": request.vlan, "purpose": request.purpose,
                        "customer": request.customer, "device": request.device, "service": request.service,
                        "allocation_id": taken.allocation_id,
                        "strategy": taken.strategy, "description": request.description,
                        "reason": request.reason});
    events.push(Event::new(request.event(), detail).cidr(taken.cidr));
    for event in &events {
        journal::record(&mut *tx, event).await?;
    }
    Ok(Allocation {
        cidr: taken.cidr,
        id: taken.id,
        status: request.status,
        strategy: taken.strategy,
        allocation_id: taken.allocation_id,
        dry_run: request.dry_run,
        events,
    })
}
