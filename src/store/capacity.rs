//! The counts behind every utilisation figure (engine::usage): the leaves beneath blocks
//! that are not in use, and the address records of pools. One round trip for any number
//! of blocks or pools.

use std::net::IpAddr;

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use super::rows::SUBNET_SELECT;
use crate::engine::usage::{LeafCounts, PoolCounts};
use crate::error::Result;
use crate::model::Subnet;

/// Filters of the report: one effective location, one family.
const SCOPE: &str = "($1::bigint IS NULL OR s.effective_location_id = $1)
    AND ($2::smallint IS NULL OR s.family = $2)";

/// Root blocks that are not pools, and address pools, in address order.
pub async fn report_rows(
    conn: &mut PgConnection,
    location_id: Option<i64>,
    family: Option<u8>,
) -> Result<(Vec<Subnet>, Vec<Subnet>)> {
    let mut fetch = async |which: &str| -> Result<Vec<Subnet>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SUBNET_SELECT} WHERE {which} AND {SCOPE} ORDER BY s.cidr"
        )))
        .bind(location_id)
        .bind(family.map(i16::from))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)
    };
    let roots = fetch("s.parent_id IS NULL AND NOT s.is_pool").await?;
    let pools = fetch("s.is_pool").await?;
    Ok((roots, pools))
}

/// For each of `nets` (in order), its leaves that are not in use: free (unallocated,
/// not a pool), reserved, parked (itself or through an ancestor).
pub async fn leaf_counts(conn: &mut PgConnection, nets: &[IpNet]) -> Result<Vec<LeafCounts>> {
    let rows: Vec<(i64, String, i32, i64)> = sqlx::query_as(
        "SELECT n.i, k.kind, k.len, k.n
         FROM unnest($1::cidr[]) WITH ORDINALITY AS n(cidr, i)
         CROSS JOIN LATERAL (
             SELECT CASE WHEN s.hidden THEN 'parked'
                         WHEN s.allocation_status = 'reserved' THEN 'reserved'
                         ELSE 'free' END AS kind,
                    masklen(s.cidr) AS len, count(*) AS n
             FROM subnets s
             WHERE s.cidr >= n.cidr AND s.cidr <= cidr_last(n.cidr)
               AND s.allocation_status <> 'subdivided'
               AND (s.hidden OR s.allocation_status = 'reserved'
                    OR (s.allocation_status = 'unallocated' AND NOT s.is_pool))
             GROUP BY 1, 2) k",
    )
    .bind(nets)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    let mut out = vec![LeafCounts::default(); nets.len()];
    for (i, kind, len, n) in rows {
        let Some(counts) = usize::try_from(i - 1).ok().and_then(|i| out.get_mut(i)) else {
            continue;
        };
        let entry = (
            u8::try_from(len).unwrap_or(0),
            u64::try_from(n).unwrap_or(0),
        );
        match kind.as_str() {
            "parked" => counts.parked.push(entry),
            "reserved" => counts.reserved.push(entry),
            _ => counts.free.push(entry),
        }
    }
    Ok(out)
}

/// A pool's usable addresses, and the last of those it keeps back (if any).
#[derive(Debug, Clone, Copy)]
pub struct PoolRange {
    pub id: i64,
    pub first: IpAddr,
    pub last: IpAddr,
    pub last_kept_back: Option<IpAddr>,
}

/// For each pool (in order), its address records inside its usable range.
pub async fn pool_counts(conn: &mut PgConnection, pools: &[PoolRange]) -> Result<Vec<PoolCounts>> {
    let host = |a: IpAddr| IpNet::from(a);
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT x.i, count(a.id) FILTER (WHERE NOT a.is_unavailable AND NOT a.is_reserved),
                count(a.id) FILTER (WHERE NOT a.is_unavailable AND a.is_reserved),
                count(a.id) FILTER (WHERE a.is_unavailable),
                count(a.id) FILTER (WHERE a.address <= x.kept)
         FROM unnest($1::bigint[], $2::inet[], $3::inet[], $4::inet[])
              WITH ORDINALITY AS x(id, first, last, kept, i)
         LEFT JOIN ip_addresses a ON a.subnet_id = x.id
              AND a.address >= x.first AND a.address <= x.last
         GROUP BY x.i",
    )
    .bind(pools.iter().map(|p| p.id).collect::<Vec<_>>())
    .bind(pools.iter().map(|p| host(p.first)).collect::<Vec<_>>())
    .bind(pools.iter().map(|p| host(p.last)).collect::<Vec<_>>())
    .bind(
        pools
            .iter()
            .map(|p| p.last_kept_back.map(host))
            .collect::<Vec<_>>(),
    )
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    let mut out = vec![PoolCounts::default(); pools.len()];
    for (i, active, reserved, parked, kept) in rows {
        if let Some(counts) = usize::try_from(i - 1).ok().and_then(|i| out.get_mut(i)) {
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            *counts = PoolCounts {
                active: n(active),
                reserved: n(reserved),
                parked: n(parked),
                in_reserved_first: n(kept),
            };
        }
    }
    Ok(out)
}
