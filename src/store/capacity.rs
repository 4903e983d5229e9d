//! The figures behind the utilisation report, in two queries: free leaves per root block
//! by prefix length, and address records per address pool.

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

/// A root block's free leaves, counted per prefix length.
#[derive(Debug, Clone)]
pub struct BlockRow {
    pub cidr: IpNet,
    pub location: Option<String>,
    pub free_counts: Vec<(u8, u64)>,
}

/// An address pool and how many address records it holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolRow {
    pub cidr: IpNet,
    pub location: Option<String>,
    pub reserved_first: i32,
    pub records: i64,
}

/// Filters: one effective location, one family; parked space is left out (it is not
/// capacity anyone can use).
const SCOPE: &str = "NOT s.hidden AND ($1::bigint IS NULL OR s.effective_location_id = $1)
    AND ($2::smallint IS NULL OR s.family = $2)";

/// Root blocks (a root that is itself an address pool is reported as a pool instead).
pub async fn blocks(
    conn: &mut PgConnection,
    location_id: Option<i64>,
    family: Option<u8>,
) -> Result<Vec<BlockRow>> {
    let rows: Vec<(IpNet, Option<String>, Option<i32>, i64)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.cidr, l.name, masklen(f.cidr), count(f.id)
         FROM subnets s
         LEFT JOIN locations l ON l.id = s.effective_location_id
         LEFT JOIN subnets f ON f.cidr >= s.cidr AND f.cidr <= cidr_last(s.cidr)
              AND f.allocation_status = 'unallocated' AND NOT f.hidden AND NOT f.is_pool
         WHERE s.parent_id IS NULL AND NOT s.is_pool AND {SCOPE}
         GROUP BY s.cidr, l.name, masklen(f.cidr)
         ORDER BY s.cidr"
        )))
        .bind(location_id)
        .bind(family.map(i16::from))
        .fetch_all(conn)
        .await
        .map_err(db_error)?;
    let mut out: Vec<BlockRow> = Vec::new();
    for (cidr, location, len, count) in rows {
        if out.last().is_none_or(|b| b.cidr != cidr) {
            out.push(BlockRow {
                cidr,
                location,
                free_counts: Vec::new(),
            });
        }
        if let (Some(len), Some(block)) = (len, out.last_mut()) {
            let len = u8::try_from(len).unwrap_or(0);
            block
                .free_counts
                .push((len, u64::try_from(count).unwrap_or(0)));
        }
    }
    Ok(out)
}

pub async fn pools(
    conn: &mut PgConnection,
    location_id: Option<i64>,
    family: Option<u8>,
) -> Result<Vec<PoolRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.cidr, l.name AS location, s.pool_reserved_first AS reserved_first,
                (SELECT count(*) FROM ip_addresses a
                 WHERE a.address >= s.cidr AND a.address <= cidr_last(s.cidr)) AS records
         FROM subnets s LEFT JOIN locations l ON l.id = s.effective_location_id
         WHERE s.is_pool AND {SCOPE}
         ORDER BY s.cidr"
    )))
    .bind(location_id)
    .bind(family.map(i16::from))
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
