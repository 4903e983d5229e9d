//! Operations on one subnet: add a root block, split, merge, release, park, set
//! attributes. Each runs under the subnet's scope lock and journals what it did.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::json;
use sqlx::{Postgres, Transaction};

use super::holds::Holds;
use super::plan::{Plan, Run};
use super::resolve;
use super::tx::{finish, journal_if_failed, retrying};
use super::view::SubnetView;

mod edit;
mod hold;

pub use edit::{Changes, set};

use crate::engine::prefix::halves;
use crate::engine::{Family, SplitStep};
use crate::error::{Error, Result};
use crate::model::{Event, Subnet, SubnetStatus};
use crate::store::attributes::{self, Attributes};
use crate::store::carving;
use crate::store::journal;
use crate::store::{Db, addresses, db_error, tree};
pub(crate) use hold::release_in;
pub use hold::{park, park_as, release};

/// What a subnet operation reports: the subnet afterwards and the events it journaled.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub subnet: SubnetView,
    pub dry_run: bool,
    pub events: Vec<Event>,
    /// What a parked or released block holds beneath it (park and release only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<Holds>,
    /// What this run saw and did: a dry run's plan, to confirm with [`Run::AsPlanned`].
    #[serde(skip)]
    pub plan: Plan,
    /// The held blocks the change touches, as they were: a released block with its
    /// holder, the allocated and reserved blocks under a park (the first
    /// [`AFFECTED_SHOWN`]).
    #[serde(skip)]
    pub affected: Vec<SubnetView>,
}

/// Most held blocks a plan lists.
pub const AFFECTED_SHOWN: i64 = 20;

/// Most pieces one `subnet split` may create.
const MAX_SPLIT_PIECES: u32 = 4096;

/// A transaction holding a subnet's scope lock, and what a plan on it sees.
pub(super) struct On {
    pub(super) tx: Transaction<'static, Postgres>,
    pub(super) subnet: Subnet,
    seen: Option<i64>,
    pub(super) affected: Vec<SubnetView>,
    pub(super) holds: Option<Holds>,
}

/// Begins a transaction holding `cidr`'s scope lock. A run as planned is refused here
/// when anything about the block was journaled since its plan was made.
pub(super) async fn begin_on(db: &Db, cidr: &IpNet, run: Run<'_>) -> Result<On> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let subnet = carving::try_lock_scope(&mut tx, cidr)
        .await?
        .ok_or_else(|| unknown(cidr))?;
    let seen = journal::last_touching(&mut tx, cidr).await?;
    if let Some(plan) = run.expected() {
        let now = Plan {
            steps: plan.steps.clone(),
            seen,
        };
        plan.check(&now, &cidr.to_string())?;
    }
    Ok(On {
        tx,
        subnet,
        seen,
        affected: Vec::new(),
        holds: None,
    })
}

/// Journals `events`, reports the subnet as it now is, and commits (a dry run rolls
/// back; a run as planned that would do other steps than its plan is refused).
pub(super) async fn end_on(on: On, events: Vec<Event>, run: Run<'_>) -> Result<Outcome> {
    let On {
        mut tx,
        subnet,
        seen,
        affected,
        holds,
    } = on;
    let plan = Plan::of(&events, seen);
    if let Some(expected) = run.expected() {
        expected.check(&plan, &subnet.cidr.to_string())?;
    }
    for e in &events {
        journal::record(&mut tx, e).await?;
    }
    let after = tree::by_id(&mut tx, subnet.id).await?.unwrap_or(subnet);
    let view = SubnetView::of(&mut tx, after).await?;
    let dry_run = run.is_dry();
    finish(tx, dry_run).await?;
    Ok(Outcome {
        subnet: view,
        dry_run,
        events,
        plan,
        affected,
        holds,
    })
}

fn unknown(cidr: &IpNet) -> Error {
    Error::not_found(format!(
        "{cidr} is not a subnet carve knows (carve lookup {cidr} shows what holds it)"
    ))
}

/// A new root block, with optional attributes.
pub async fn add_root(
    db: &Db,
    cidr: &IpNet,
    location: Option<&str>,
    vlan: Option<i32>,
    description: Option<String>,
    pool: bool,
) -> Result<Outcome> {
    let request = json!({"cidr": cidr, "location": location, "vlan": vlan, "pool": pool});
    let result = async {
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        let location_id = resolve::location(&mut tx, location).await?;
        let vlan = resolve::vlan(&mut tx, vlan, location_id, &cidr.to_string()).await?;
        let attrs = Attributes {
            location_id,
            vlan_id: vlan.map(|v| v.id),
            description,
            is_pool: pool,
            pool_reserved_first: 0,
        };
        let subnet = attributes::insert_root(&mut tx, cidr, &attrs).await?;
        let event = Event::new("ipam_subnet_add", request.clone()).cidr(*cidr);
        journal::record(&mut tx, &event).await?;
        let view = SubnetView::of(&mut tx, subnet).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Outcome {
            subnet: view,
            dry_run: false,
            events: vec![event],
            plan: Plan::default(),
            affected: Vec::new(),
            holds: None,
        })
    }
    .await;
    journal_if_failed(db, "ipam_subnet_add", request, false, result).await
}

/// Splits a free leaf into equal pieces of length `to` (default: its two halves).
pub async fn split<'a>(
    db: &Db,
    cidr: &IpNet,
    to: Option<u8>,
    run: impl Into<Run<'a>>,
) -> Result<Outcome> {
    let run = run.into();
    let to = to.unwrap_or(cidr.prefix_len().saturating_add(1));
    let result = retrying!(split_once(db, cidr, to, run));
    journal_if_failed(
        db,
        "ipam_subnet_split",
        json!({"cidr": cidr, "to": to}),
        run.is_dry(),
        result,
    )
    .await
}

async fn split_once(db: &Db, cidr: &IpNet, to: u8, run: Run<'_>) -> Result<Outcome> {
    let mut on = begin_on(db, cidr, run).await?;
    let leaf = on.subnet.clone();
    check_free_leaf(&leaf, "split")?;
    let range = Family::of(cidr).prefix_range();
    if to <= cidr.prefix_len() || !range.contains(&to) {
        return Err(Error::validation(format!(
            "cannot split {cidr} to /{to}: the length must be longer than /{} and at most /{}",
            cidr.prefix_len(),
            range.end()
        )));
    }
    if u32::from(to - cidr.prefix_len()) > MAX_SPLIT_PIECES.ilog2() {
        return Err(Error::validation(format!(
            "splitting {cidr} to /{to} makes more than {MAX_SPLIT_PIECES} pieces; split in smaller steps"
        )));
    }
    let mut events = Vec::new();
    let mut level = vec![(leaf.id, leaf.cidr)];
    while level[0].1.prefix_len() < to {
        let mut next = Vec::with_capacity(level.len() * 2);
        for (id, net) in level {
            let (lower, upper) = halves(&net).ok_or_else(|| Error::internal("split of a host"))?;
            let step = SplitStep {
                source: net,
                lower,
                upper,
            };
            let (lower_id, upper_id) = carving::split_once(&mut on.tx, id, &step).await?;
            events.push(
                Event::new(
                    "ipam_subnet_split",
                    json!({"source": net, "children": [lower, upper]}),
                )
                .cidr(net),
            );
            next.extend([(lower_id, lower), (upper_id, upper)]);
        }
        level = next;
    }
    end_on(on, events, run).await
}

/// Collapses a subdivided subnet whose whole subtree is free into one free leaf.
pub async fn merge<'a>(db: &Db, cidr: &IpNet, run: impl Into<Run<'a>>) -> Result<Outcome> {
    let run = run.into();
    let result = retrying!(merge_once(db, cidr, run));
    journal_if_failed(
        db,
        "ipam_subnet_merge",
        json!({"cidr": cidr}),
        run.is_dry(),
        result,
    )
    .await
}

async fn merge_once(db: &Db, cidr: &IpNet, run: Run<'_>) -> Result<Outcome> {
    let mut on = begin_on(db, cidr, run).await?;
    let (tx, node) = (&mut on.tx, on.subnet.clone());
    if node.status() != SubnetStatus::Subdivided {
        return Err(Error::conflict(format!(
            "{cidr} is {}, not subdivided: nothing to merge",
            node.status().as_str()
        )));
    }
    if let Some(blocker) = tree::merge_blocker(&mut *tx, cidr).await? {
        let what = if blocker.is_unavailable {
            "parked".to_owned()
        } else {
            match blocker.status() {
                SubnetStatus::Allocated | SubnetStatus::Reserved => format!(
                    "{}{}",
                    blocker.status().as_str(),
                    blocker
                        .customer
                        .as_ref()
                        .map(|c| format!(" to {c}"))
                        .unwrap_or_default()
                ),
                _ => "carrying its own location, VLAN, description or pool setting".to_owned(),
            }
        };
        return Err(Error::conflict(format!(
            "cannot merge {cidr}: {} is {what}",
            blocker.cidr
        )));
    }
    let held = addresses::count_within(&mut *tx, cidr).await?;
    if held > 0 {
        return Err(Error::conflict(format!(
            "cannot merge {cidr}: it holds {held} address record(s)"
        )));
    }
    carving::merge(&mut *tx, node.id, cidr).await?;
    let events = vec![Event::new("ipam_subnet_merge", json!({"cidr": cidr})).cidr(*cidr)];
    end_on(on, events, run).await
}

fn check_free_leaf(subnet: &Subnet, verb: &str) -> Result<()> {
    let cidr = subnet.cidr;
    if subnet.hidden {
        return Err(Error::conflict(format!(
            "cannot {verb} {cidr}: it is parked"
        )));
    }
    if subnet.is_pool {
        return Err(Error::conflict(format!(
            "cannot {verb} {cidr}: it is a pool that hands out single addresses \
             (carve subnet set {cidr} --no-pool first)"
        )));
    }
    match subnet.status() {
        SubnetStatus::Unallocated => Ok(()),
        SubnetStatus::Subdivided => Err(Error::conflict(format!("{cidr} is already subdivided"))),
        status => Err(Error::conflict(format!(
            "cannot {verb} {cidr}: it is {}{} (release it first)",
            status.as_str(),
            subnet
                .customer
                .as_ref()
                .map(|c| format!(" to {c}"))
                .unwrap_or_default()
        ))),
    }
}
