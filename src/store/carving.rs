//! Changing the prefix tree inside a transaction: scope locks, split, merge and status
//! changes (the candidate searches are in `candidates`). Callers own the transaction.
//!
//! Locking: an operation on a scope (a pool, a root, a leaf) locks every ancestor of the
//! scope FOR SHARE, root first, then the scope itself FOR UPDATE. Two scopes that nest
//! therefore exclude each other (one's FOR UPDATE meets the other's FOR SHARE), while
//! disjoint scopes under one root only share locks and run in parallel.

use std::collections::BTreeSet;

use ipnet::IpNet;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgConnection, Postgres};

use super::candidates::{FREE_LEAF, Search};

use super::errors::db_error;
use super::rows::SUBNET_SELECT;
use crate::engine::SplitStep;
use crate::engine::prefix::{net_and_supernets, supernets};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Owner, Subnet, SubnetStatus};

/// Locks the scope as described above and returns its current row, or None when no
/// subnet has that CIDR. One statement: the ancestors are locked (root first) in a
/// one-time filter before the scope row is read and locked. Ancestors are found by
/// unique-index probes for each possible supernet, which stay cheap as the tree grows.
pub async fn try_lock_scope(conn: &mut PgConnection, scope: &IpNet) -> Result<Option<Subnet>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH ancestors AS (
             SELECT id FROM subnets WHERE cidr = ANY($2::cidr[]) ORDER BY masklen(cidr) FOR SHARE)
         {SUBNET_SELECT} WHERE s.cidr = $1 AND (SELECT count(*) FROM ancestors) >= 0
         FOR UPDATE OF s"
    )))
    .bind(scope)
    .bind(supernets(scope))
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Like [`try_lock_scope`] for a scope that was just seen: its absence means it was
/// merged away meanwhile, and the caller retries from scratch.
pub async fn lock_scope(conn: &mut PgConnection, scope: &IpNet) -> Result<Subnet> {
    try_lock_scope(conn, scope).await?.ok_or_else(|| {
        Error::new(
            ErrorKind::Busy,
            format!("{scope} changed while carve waited for it"),
        )
    })
}

/// Locks (FOR UPDATE, in CIDR order) the roots holding any of `nets`: every allocation
/// under them takes the root FOR SHARE first (see the module's doc), so nothing changes
/// beneath them until the caller commits.
pub async fn lock_roots(conn: &mut PgConnection, nets: &[IpNet]) -> Result<()> {
    let candidates: BTreeSet<IpNet> = nets.iter().flat_map(net_and_supernets).collect();
    let candidates: Vec<IpNet> = candidates.into_iter().collect();
    sqlx::query(
        "SELECT id FROM subnets WHERE cidr = ANY($1::cidr[]) AND parent_id IS NULL
         ORDER BY cidr FOR UPDATE",
    )
    .bind(candidates)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Carries out split steps starting at the free leaf `leaf_id`; returns the id of the
/// last step's half that holds `target` (the leaf itself when there are no steps).
pub async fn split(
    conn: &mut PgConnection,
    leaf_id: i64,
    target: &IpNet,
    steps: &[SplitStep],
) -> Result<i64> {
    let mut current = leaf_id;
    for step in steps {
        let (lower, upper) = split_once(conn, current, step).await?;
        current = if step.lower.contains(target) {
            lower
        } else {
            upper
        };
    }
    Ok(current)
}

/// One binary step: the leaf becomes subdivided and gains its two halves, which inherit
/// its effective location and parking. Returns the ids of (lower, upper).
pub async fn split_once(
    conn: &mut PgConnection,
    leaf_id: i64,
    step: &SplitStep,
) -> Result<(i64, i64)> {
    set_status(conn, leaf_id, SubnetStatus::Subdivided).await?;
    let halves: Vec<(i64, IpNet)> = sqlx::query_as(
        "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden, parent_pool,
                              parent_owner_customer, parent_owner_service, parent_owner_device,
                              effective_location_id, effective_vlan_id)
         SELECT half, p.id, p.cidr, p.hidden, p.is_pool, p.owner_customer_id, p.owner_service_id,
                p.owner_device_id, p.effective_location_id, p.effective_vlan_id
         FROM subnets p, unnest($2::cidr[]) AS half WHERE p.id = $1
         RETURNING id, cidr",
    )
    .bind(leaf_id)
    .bind(vec![step.lower, step.upper])
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let id_of = |net: &IpNet| {
        halves
            .iter()
            .find(|(_, cidr)| cidr == net)
            .map(|(id, _)| *id)
            .ok_or_else(|| Error::internal(format!("split of {} lost {net}", step.source)))
    };
    Ok((id_of(&step.lower)?, id_of(&step.upper)?))
}

/// Collapses the subtree under `node_id` into one free leaf.
pub async fn merge(conn: &mut PgConnection, node_id: i64, cidr: &IpNet) -> Result<()> {
    sqlx::query("DELETE FROM subnets WHERE cidr > $1 AND cidr <= cidr_last($1::cidr)")
        .bind(cidr)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    set_status(conn, node_id, SubnetStatus::Unallocated).await
}

pub async fn set_status(conn: &mut PgConnection, id: i64, status: SubnetStatus) -> Result<()> {
    sqlx::query("UPDATE subnets SET allocation_status = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status.as_str())
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// What an allocation or reservation records on the chosen subnet.
#[derive(Debug, Clone, Default)]
pub struct Holder {
    pub customer_id: Option<i64>,
    pub device_id: Option<i64>,
    pub service_id: Option<i64>,
    pub vlan_id: Option<i64>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    /// Why a block is reserved (reservations only).
    pub reserve_reason: Option<String>,
}

impl Holder {
    pub fn owner(&self) -> Owner {
        Owner::of(self.customer_id, self.service_id, self.device_id)
    }
}

/// The columns an allocation or reservation sets: $1 status, $2..$8 the holder.
const TAKE: &str = "UPDATE subnets SET allocation_status = $1, customer_id = $2,
        vlan_from_allocation = ($3::bigint IS NOT NULL AND vlan_id IS NULL),
        vlan_id = coalesce($3, vlan_id), effective_vlan_id = coalesce($3, effective_vlan_id),
        description = coalesce($4, description), purpose = $5, device_id = $6,
        service_id = $7, reserve_reason = $8, allocation_id = gen_random_uuid(),
        updated_at = now()";

/// How many parameters [`TAKE`] binds before the caller's.
const TAKE_PARAMS: usize = 8;

/// `sql` with every `$N` renumbered `$N+by`, for a fragment placed after other
/// parameters.
fn shift_params(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

impl Holder {
    /// Binds the status and the holder as $1..$8 of [`TAKE`].
    fn bind<'q, O>(
        &self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
        status: SubnetStatus,
    ) -> QueryAs<'q, Postgres, O, PgArguments> {
        query
            .bind(status.as_str())
            .bind(self.customer_id)
            .bind(self.vlan_id)
            .bind(self.description.clone())
            .bind(self.purpose.clone())
            .bind(self.device_id)
            .bind(self.service_id)
            .bind(self.reserve_reason.clone())
    }
}

/// Marks a leaf allocated or reserved for `holder`; returns the new allocation id.
pub async fn take(
    conn: &mut PgConnection,
    id: i64,
    status: SubnetStatus,
    holder: &Holder,
) -> Result<String> {
    let query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TAKE} WHERE id = $9 RETURNING allocation_id::text"
    )));
    let (allocation_id,): (String,) = holder
        .bind(query, status)
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(db_error)?;
    Ok(allocation_id)
}

/// The exact strategy in one statement: takes the lowest free leaf of the search's
/// length, if any. Returns its id, CIDR and allocation id.
pub async fn take_exact(
    conn: &mut PgConnection,
    search: &Search,
    status: SubnetStatus,
    holder: &Holder,
) -> Result<Option<(i64, IpNet, String)>> {
    let free_leaf = shift_params(FREE_LEAF, TAKE_PARAMS);
    let len = shift_params("$2", TAKE_PARAMS);
    let query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TAKE} WHERE id = (
             SELECT id FROM subnets WHERE {free_leaf} AND masklen(cidr) = {len}
             ORDER BY cidr LIMIT 1)
         RETURNING id, cidr, allocation_id::text"
    )));
    search
        .bind(holder.bind(query, status))
        .fetch_optional(conn)
        .await
        .map_err(db_error)
}

/// Returns a leaf to free space, or a held subdivided block to nobody's: everything of
/// the holder goes (links, description, purpose, reserve reason, and a VLAN the
/// allocation set, falling back to the inherited one); the location and a VLAN an
/// admin set stay.
pub async fn release(conn: &mut PgConnection, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE subnets s SET
                allocation_status = CASE WHEN s.allocation_status = 'subdivided'
                                         THEN 'subdivided' ELSE 'unallocated' END,
                customer_id = NULL, device_id = NULL, service_id = NULL, purpose = NULL,
                description = NULL, reserve_reason = NULL, allocation_id = NULL,
                vlan_id = CASE WHEN s.vlan_from_allocation THEN NULL ELSE s.vlan_id END,
                effective_vlan_id = CASE WHEN s.vlan_from_allocation
                    THEN (SELECT p.effective_vlan_id FROM subnets p WHERE p.id = s.parent_id)
                    ELSE s.effective_vlan_id END,
                vlan_from_allocation = false, updated_at = now()
         WHERE s.id = $1",
    )
    .bind(id)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn set_parked(
    conn: &mut PgConnection,
    id: i64,
    parked: bool,
    reason: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE subnets SET is_unavailable = $2, unavailable_reason = CASE WHEN $2 THEN NULLIF($3, '') END,
                -- Parking or unparking by hand ends a release cooldown: the park lasts, or
                -- the space is free.
                cooldown_until = NULL,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(parked)
    .bind(reason)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}
