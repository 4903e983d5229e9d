//! What is available in a region of the tree, as it is: its free leaves, the nodes a
//! merge must not collapse, and the address records that bound a pool's free ranges.

use std::net::IpAddr;

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use super::tree::range_of;
use crate::engine::Family;
use crate::error::Result;
use crate::model::Owner;

/// The free leaves inside `net` (or `net` itself) that `holder` may take, in address
/// order: unallocated, not parked, not a pool, unowned or owned for the holder, as the
/// subnet allocator's free-leaf search has them.
pub async fn leaves(conn: &mut PgConnection, net: &IpNet, holder: &Owner) -> Result<Vec<IpNet>> {
    let (lo, hi) = range_of(net);
    sqlx::query_scalar(
        "SELECT cidr FROM subnets
         WHERE allocation_status = 'unallocated' AND NOT hidden AND NOT is_pool
           AND family = $1 AND cidr >= $2 AND cidr <= $3
           AND (owner_customer_id = 0 OR owner_customer_id = $4)
           AND (owner_service_id = 0 OR owner_service_id = $5)
           AND (owner_device_id = 0 OR owner_device_id = $6)
         ORDER BY cidr",
    )
    .bind(i16::from(Family::of(net).number()))
    .bind(lo)
    .bind(hi)
    .bind(holder.customer)
    .bind(holder.service)
    .bind(holder.device)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The nodes inside `net` with attributes of their own: the allocator never merges a
/// block with one of them beneath it.
pub async fn merge_blockers(conn: &mut PgConnection, net: &IpNet) -> Result<Vec<IpNet>> {
    within(
        conn,
        net,
        "(location_id IS NOT NULL OR vlan_id IS NOT NULL OR customer_id IS NOT NULL
          OR description IS NOT NULL OR is_pool)",
    )
    .await
}

async fn within(conn: &mut PgConnection, net: &IpNet, predicate: &str) -> Result<Vec<IpNet>> {
    let (lo, hi) = range_of(net);
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT cidr FROM subnets WHERE {predicate}
           AND family = $1 AND cidr >= $2 AND cidr <= $3 ORDER BY cidr"
    )))
    .bind(i16::from(Family::of(net).number()))
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The lowest address in `[lo, hi]` that has a record.
pub async fn next_record(
    conn: &mut PgConnection,
    lo: IpAddr,
    hi: IpAddr,
) -> Result<Option<IpAddr>> {
    let found: Option<IpNet> = sqlx::query_scalar(
        "SELECT address FROM ip_addresses WHERE address >= $1 AND address <= $2
         ORDER BY address LIMIT 1",
    )
    .bind(IpNet::from(lo))
    .bind(IpNet::from(hi))
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(found.map(|n| n.addr()))
}

/// How many addresses in `[lo, hi]` have a record.
pub async fn records_between(conn: &mut PgConnection, lo: IpAddr, hi: IpAddr) -> Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM ip_addresses WHERE address >= $1 AND address <= $2")
        .bind(IpNet::from(lo))
        .bind(IpNet::from(hi))
        .fetch_one(conn)
        .await
        .map_err(db_error)
}
