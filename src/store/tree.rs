//! Reading the prefix tree: single nodes, ancestor chains, compact children, listings
//! and free-space figures. Every search is an index lookup or an indexed range.

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use super::rows::SUBNET_SELECT;
use crate::engine::prefix::supernets;
use crate::error::Result;
use crate::model::Subnet;

/// SQL for "structural": a subdivided node with nothing of its own. Must agree with
/// [`Subnet::is_structural`].
pub const STRUCTURAL: &str = "(s.allocation_status = 'subdivided' AND s.location_id IS NULL
    AND s.vlan_id IS NULL AND s.customer_id IS NULL AND s.description IS NULL
    AND NOT s.is_pool AND NOT s.is_unavailable)";

/// The inclusive index range `[lo, hi]` that holds every prefix inside `net`: inet
/// ordering sorts all of them between the network itself and its last address.
pub fn range_of(net: &IpNet) -> (IpNet, IpNet) {
    let last = IpNet::new(net.broadcast(), net.max_prefix_len()).expect("a host prefix is valid");
    (*net, last)
}

pub async fn find(conn: &mut PgConnection, cidr: &IpNet) -> Result<Option<Subnet>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT} WHERE s.cidr = $1"
    )))
    .bind(cidr)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

pub async fn by_id(conn: &mut PgConnection, id: i64) -> Result<Option<Subnet>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT} WHERE s.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Every subnet that contains `target` (or is it), the root first: unique-index probes
/// for each possible supernet.
pub async fn containing(conn: &mut PgConnection, target: &IpNet) -> Result<Vec<Subnet>> {
    let mut candidates = supernets(target);
    candidates.push(target.trunc());
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT} WHERE s.cidr = ANY($1::cidr[]) ORDER BY masklen(s.cidr)"
    )))
    .bind(candidates)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The children of `parent` (the roots when None). `compact` lifts structural nodes
/// away, recursively, so what is listed is what carries meaning.
pub async fn children(
    conn: &mut PgConnection,
    parent: Option<i64>,
    compact: bool,
) -> Result<Vec<Subnet>> {
    // `parent_id = $1` and `parent_id IS NULL` are index probes; `IS NOT DISTINCT FROM`
    // is not, and scanned the whole table (~100 ms per level at 1M subnets).
    let of_parent = match parent {
        Some(_) => "s.parent_id = $1",
        None => "s.parent_id IS NULL AND $1::bigint IS NULL",
    };
    let sql = if compact {
        format!(
            "WITH RECURSIVE shown AS (
                 SELECT s.id, {STRUCTURAL} AS structural FROM subnets s WHERE {of_parent}
                 UNION ALL
                 SELECT s.id, {STRUCTURAL} FROM subnets s JOIN shown p ON s.parent_id = p.id
                 WHERE p.structural)
             {SUBNET_SELECT} JOIN shown ON shown.id = s.id
             WHERE NOT shown.structural ORDER BY s.cidr"
        )
    } else {
        format!("{SUBNET_SELECT} WHERE {of_parent} ORDER BY s.cidr")
    };
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(parent)
        .fetch_all(conn)
        .await
        .map_err(db_error)
}

/// Filters for [`list`]; None means any.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub family: Option<u8>,
    /// The state as shown: `free` (not parked, not a pool), `allocated`, `subdivided`,
    /// `reserved` (none of them parked), or `parked`.
    pub state: Option<&'static str>,
    pub location_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// A VLAN id set on the subnet itself.
    pub vlan: Option<i32>,
}

/// Every subnet that is not structural, in address order.
pub async fn list(conn: &mut PgConnection, filter: &ListFilter) -> Result<Vec<Subnet>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT}
         WHERE NOT {STRUCTURAL}
           AND ($1::smallint IS NULL OR s.family = $1)
           AND ($2::text IS NULL OR $2 = CASE WHEN s.hidden THEN 'parked'
                WHEN s.allocation_status = 'unallocated' AND s.is_pool THEN 'pool'
                WHEN s.allocation_status = 'unallocated' THEN 'free'
                ELSE s.allocation_status END)
           AND ($3::bigint IS NULL OR s.effective_location_id = $3)
           AND ($4::bigint IS NULL OR s.customer_id = $4)
           AND ($5::int IS NULL OR v.vid = $5)
         ORDER BY s.family, s.cidr"
    )))
    .bind(filter.family.map(i16::from))
    .bind(filter.state)
    .bind(filter.location_id)
    .bind(filter.customer_id)
    .bind(filter.vlan)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The free (unallocated, not parked) leaves inside `net`, as (prefix length, count).
pub async fn free_leaf_counts(conn: &mut PgConnection, net: &IpNet) -> Result<Vec<(u8, i64)>> {
    let (lo, hi) = range_of(net);
    let rows: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT masklen(cidr), count(*) FROM subnets
         WHERE allocation_status = 'unallocated' AND NOT hidden AND NOT is_pool
           AND family = $1 AND cidr >= $2 AND cidr <= $3
         GROUP BY 1",
    )
    .bind(i16::from(crate::engine::Family::of(net).number()))
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(len, count)| (u8::try_from(len).unwrap_or(0), count))
        .collect())
}

/// The first thing inside `net` that keeps it from being merged into one free block:
/// a used or parked descendant, or one with attributes of its own.
pub async fn merge_blocker(conn: &mut PgConnection, net: &IpNet) -> Result<Option<Subnet>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT} WHERE s.cidr > $1 AND s.cidr <= cidr_last($1::cidr)
           AND (s.allocation_status IN ('allocated', 'reserved') OR s.is_unavailable
                OR s.location_id IS NOT NULL OR s.vlan_id IS NOT NULL OR s.customer_id IS NOT NULL
                OR s.description IS NOT NULL OR s.is_pool)
         ORDER BY s.cidr LIMIT 1"
    )))
    .bind(net)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Unparked pool subnets inside (or equal to) `net`, optionally on one VLAN id (own or
/// inherited) and at one effective location.
pub async fn pools_within(
    conn: &mut PgConnection,
    net: &IpNet,
    vid: Option<i32>,
    location_id: Option<i64>,
) -> Result<Vec<Subnet>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT} WHERE s.cidr >= $1 AND s.cidr <= cidr_last($1::cidr) AND s.is_pool AND NOT s.hidden
           AND family(s.cidr) = family($1::cidr)
           AND ($2::int IS NULL OR s.effective_vlan_id IN (SELECT id FROM vlans WHERE vid = $2))
           AND ($3::bigint IS NULL OR s.effective_location_id = $3)
         ORDER BY s.cidr"
    )))
    .bind(net)
    .bind(vid)
    .bind(location_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The allocated or reserved blocks strictly inside `net`, in address order (at most
/// `limit`), and how many there are in all.
pub async fn held_within(
    conn: &mut PgConnection,
    net: &IpNet,
    limit: i64,
) -> Result<(Vec<Subnet>, i64)> {
    const HELD: &str = "s.cidr > $1 AND s.cidr <= cidr_last($1::cidr)
        AND s.allocation_status IN ('allocated', 'reserved')";
    let blocks = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SUBNET_SELECT} WHERE {HELD} ORDER BY s.cidr LIMIT $2"
    )))
    .bind(net)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM subnets s WHERE {HELD}"
    )))
    .bind(net)
    .fetch_one(conn)
    .await
    .map_err(db_error)?;
    Ok((blocks, total))
}
