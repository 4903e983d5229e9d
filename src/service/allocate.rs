//! Subnet allocation (DESIGN.md section 2): exact, else merge, else split, limited by the
//! request's strongest strategy, in one row-locked transaction journaled as it goes.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

use super::resolve;
use super::tx::{finish, journal_failure, retrying};
use crate::engine::plan::split_steps;
use crate::engine::{Family, Strategy};
use crate::error::{Error, Result};
use crate::store::carving::{self, Holder, Search};
use crate::store::journal::{self, Event};
use crate::store::rows::{Subnet, SubnetStatus};
use crate::store::{Db, db_error, tree};

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
    pub description: Option<String>,
    pub purpose: Option<String>,
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

    fn new(target: Target) -> SubnetRequest {
        SubnetRequest {
            target,
            strategy: Strategy::Split,
            status: SubnetStatus::Allocated,
            vlan: None,
            customer: None,
            description: None,
            purpose: None,
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

pub async fn allocate_subnet(db: &Db, request: &SubnetRequest) -> Result<Allocation> {
    let result = retrying!(attempt(db, request));
    if let Err(error) = &result
        && !request.dry_run
    {
        let event = match request.status {
            SubnetStatus::Reserved => "ipam_reserve_subnet",
            _ => "ipam_allocate_subnet",
        };
        journal_failure(db, event, error, json!(request)).await;
    }
    result
}

async fn attempt(db: &Db, request: &SubnetRequest) -> Result<Allocation> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let customer_id = resolve::customer(&mut tx, request.customer.as_deref()).await?;
    let (scope, search) = match &request.target {
        Target::Length {
            family,
            len,
            pool,
            location,
        } => {
            let family = family_of(*family)?;
            check_length(family, *len)?;
            let location_id = resolve::location(&mut tx, location.as_deref()).await?;
            let scope = length_scope(
                &mut tx,
                family,
                *len,
                pool.as_ref(),
                location_id,
                request.strategy,
            )
            .await?;
            let within = pool.unwrap_or(scope.cidr);
            (
                scope,
                Some(Search {
                    family,
                    len: *len,
                    within,
                    location_id,
                }),
            )
        }
        Target::Cidr(cidr) => {
            let node = exact_scope(&mut tx, cidr).await?;
            (carving::lock_scope(&mut tx, &node.cidr).await?, None)
        }
    };
    // VLANs belong to a location: the one asked for, else the scope's.
    let vlan_location = search
        .and_then(|s| s.location_id)
        .or(scope.effective_location_id);
    let vlan = resolve::vlan(
        &mut tx,
        request.vlan,
        vlan_location,
        &scope.cidr.to_string(),
    )
    .await?;
    let holder = Holder {
        customer_id,
        vlan_id: vlan.as_ref().map(|v| v.id),
        description: request.description.clone(),
        purpose: request.purpose.clone(),
    };
    let mut events = Vec::new();
    // The common case in one statement: a free leaf of exactly the length.
    if let Some(search) = &search
        && let Some((id, cidr, allocation_id)) =
            carving::take_exact(&mut tx, search, request.status, &holder).await?
    {
        let taken = Taken {
            id,
            cidr,
            strategy: Strategy::Exact,
            allocation_id,
        };
        return journal_and_finish(tx, request, taken, events).await;
    }
    let (strategy, block_id, block) = match (&search, &request.target) {
        (Some(search), _) => choose(&mut tx, search, request.strategy, false).await?,
        (None, Target::Cidr(cidr)) => exact_choice(&mut tx, &scope, cidr, request.strategy).await?,
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
            carving::merge(&mut tx, block_id, &block).await?;
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
            carving::split(&mut tx, block_id, &target, &steps).await?
        }
    };
    let allocation_id = carving::take(&mut tx, taken_id, request.status, &holder).await?;
    let taken = Taken {
        id: taken_id,
        cidr: target,
        strategy,
        allocation_id,
    };
    journal_and_finish(tx, request, taken, events).await
}

/// The block an allocation took.
struct Taken {
    id: i64,
    cidr: IpNet,
    strategy: Strategy,
    allocation_id: String,
}

/// Journals the carving events and the allocation itself, then commits (or rolls back a
/// dry run).
async fn journal_and_finish(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    request: &SubnetRequest,
    taken: Taken,
    mut events: Vec<Event>,
) -> Result<Allocation> {
    let pool = match &request.target {
        Target::Length { pool, .. } => *pool,
        Target::Cidr(_) => None,
    };
    let name = match request.status {
        SubnetStatus::Reserved => "ipam_reserve_subnet",
        _ => "ipam_allocate_subnet",
    };
    let detail = json!({"cidr": taken.cidr, "pool": pool, "vlan": request.vlan, "purpose": request.purpose,
                        "customer": request.customer, "allocation_id": taken.allocation_id,
                        "strategy": taken.strategy, "description": request.description});
    events.push(Event::new(name, detail).cidr(taken.cidr));
    for event in &events {
        journal::record(&mut tx, event).await?;
    }
    finish(tx, request.dry_run).await?;
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

fn family_of(number: u8) -> Result<Family> {
    match number {
        4 => Ok(Family::V4),
        6 => Ok(Family::V6),
        other => Err(Error::validation(format!("family {other} is not 4 or 6"))),
    }
}

fn check_length(family: Family, len: u8) -> Result<()> {
    let range = family.prefix_range();
    if range.contains(&len) {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "/{len} is out of range for {family} (carve manages /{}../{})",
            range.start(),
            range.end()
        )))
    }
}

/// The scope a length request locks: its pool, or the root of the best candidate found
/// before locking (the search is repeated under the lock).
async fn length_scope(
    conn: &mut PgConnection,
    family: Family,
    len: u8,
    pool: Option<&IpNet>,
    location_id: Option<i64>,
    strategy: Strategy,
) -> Result<Subnet> {
    if let Some(pool) = pool {
        if Family::of(pool) != family {
            return Err(Error::validation(format!(
                "pool {pool} is not {family}, but a /{len} of {family} was asked for"
            )));
        }
        let Some(node) = carving::try_lock_scope(conn, pool).await? else {
            return Err(Error::not_found(format!(
                "pool {pool} is not a subnet carve knows (carve lookup {pool} shows what holds it)"
            )));
        };
        if node.hidden {
            return Err(Error::validation(format!(
                "pool {pool} is parked{}",
                reason(&node)
            )));
        }
        return Ok(node);
    }
    let everything = match family {
        Family::V4 => "0.0.0.0/0".parse(),
        Family::V6 => "::/0".parse(),
    }
    .map_err(|_| Error::internal("family root"))?;
    let search = Search {
        family,
        len,
        within: everything,
        location_id,
    };
    let (_, _, candidate) = choose(conn, &search, strategy, true).await?;
    let chain = tree::containing(conn, &candidate).await?;
    let root = chain
        .first()
        .ok_or_else(|| Error::internal("a candidate with no root"))?;
    carving::lock_scope(conn, &root.cidr).await
}

/// exact (unless the caller tried it already), then merge, then split, as far as
/// `strategy` allows.
async fn choose(
    conn: &mut PgConnection,
    search: &Search,
    strategy: Strategy,
    exact: bool,
) -> Result<(Strategy, i64, IpNet)> {
    if exact && let Some((id, cidr)) = carving::find_exact(conn, search).await? {
        return Ok((Strategy::Exact, id, cidr));
    }
    if strategy >= Strategy::Merge
        && let Some((id, cidr)) = carving::find_merge(conn, search).await?
    {
        return Ok((Strategy::Merge, id, cidr));
    }
    if strategy >= Strategy::Split
        && let Some((id, cidr)) = carving::find_split(conn, search).await?
    {
        return Ok((Strategy::Split, id, cidr));
    }
    Err(no_space(conn, search, strategy).await)
}

/// `no free /29 in 203.0.113.0/24 at EU-FRA (largest free: /30)`.
async fn no_space(conn: &mut PgConnection, search: &Search, strategy: Strategy) -> Error {
    let mut message = format!("no free /{}", search.len);
    if search.within.prefix_len() > 0 {
        message.push_str(&format!(" in {}", search.within));
    } else {
        message.push_str(&format!(" of {}", search.family));
    }
    if let Some(id) = search.location_id {
        let name: Option<String> = sqlx::query_scalar("SELECT name FROM locations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .ok()
            .flatten();
        message.push_str(&format!(" at {}", name.unwrap_or_default()));
    }
    match carving::largest_free(conn, search).await {
        Ok(Some(len)) => message.push_str(&format!(" (largest free: /{len})")),
        Ok(None) => message.push_str(" (nothing free)"),
        Err(_) => {}
    }
    if strategy < Strategy::Split {
        message.push_str(&format!(" with strategy {strategy}"));
    }
    Error::exhausted(message)
}

/// The node an exact-CIDR request works on: the CIDR itself, or the leaf it lies in.
async fn exact_scope(conn: &mut PgConnection, cidr: &IpNet) -> Result<Subnet> {
    let chain = tree::containing(conn, cidr).await?;
    chain.into_iter().last().ok_or_else(|| {
        Error::not_found(format!(
            "{cidr} is not inside any block carve manages (add one with: carve subnet add CIDR)"
        ))
    })
}

async fn exact_choice(
    conn: &mut PgConnection,
    node: &Subnet,
    cidr: &IpNet,
    strategy: Strategy,
) -> Result<(Strategy, i64, IpNet)> {
    if node.hidden {
        return Err(Error::conflict(format!("{cidr} is parked{}", reason(node))));
    }
    let status = node.status();
    let holder = node
        .customer
        .as_ref()
        .map(|c| format!(" to {c}"))
        .unwrap_or_default();
    if node.cidr != *cidr {
        if status != SubnetStatus::Unallocated {
            return Err(Error::conflict(format!(
                "{cidr} lies inside {}, which is {}{holder}",
                node.cidr,
                status.as_str()
            )));
        }
        if strategy < Strategy::Split {
            return Err(Error::exhausted(format!(
                "{cidr} needs a split of {} (strategy is {strategy})",
                node.cidr
            )));
        }
        return Ok((Strategy::Split, node.id, node.cidr));
    }
    match status {
        SubnetStatus::Unallocated => Ok((Strategy::Exact, node.id, node.cidr)),
        SubnetStatus::Subdivided if strategy >= Strategy::Merge => {
            let search = Search {
                family: Family::of(cidr),
                len: cidr.prefix_len(),
                within: *cidr,
                location_id: None,
            };
            match carving::find_merge(conn, &search).await? {
                Some((id, found)) if found == *cidr => Ok((Strategy::Merge, id, found)),
                _ => Err(Error::conflict(format!(
                    "{cidr} is subdivided and not entirely free (carve subnet show {cidr} lists what is in it)"
                ))),
            }
        }
        SubnetStatus::Subdivided => Err(Error::exhausted(format!(
            "{cidr} is subdivided (strategy {strategy} cannot merge)"
        ))),
        _ => Err(Error::conflict(format!(
            "{cidr} is already {}{holder}",
            status.as_str()
        ))),
    }
}

fn reason(node: &Subnet) -> String {
    node.unavailable_reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}
