//! The allocator's candidate searches (DESIGN.md section 2): the free leaf of exactly a
//! length, the subdivided node a merge can collapse, the smallest free leaf a split can
//! start from. Each is one indexed query, filtered by location, VLAN and owner.

use ipnet::IpNet;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{PgConnection, Postgres};

use super::errors::db_error;
use super::tree::range_of;
use crate::engine::Family;
use crate::error::Result;
use crate::model::Owner;

/// What the candidate searches look at.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    pub family: Family,
    pub len: u8,
    /// Only prefixes inside this one.
    pub within: IpNet,
    pub location_id: Option<i64>,
    /// Only space that is untagged or on this VLAN (a `vlans.id`).
    pub vlan_id: Option<i64>,
    /// Whom the space is for: only space nobody owns, or space its owner holds for them.
    pub holder: Owner,
}

impl Search {
    /// Binds family, length, range start, range end, location, VLAN and the holder's
    /// customer, service and device, as $1..$9.
    pub(super) fn bind<'q, O>(
        &self,
        query: QueryAs<'q, Postgres, O, PgArguments>,
    ) -> QueryAs<'q, Postgres, O, PgArguments> {
        let (lo, hi) = range_of(&self.within);
        query
            .bind(i16::from(self.family.number()))
            .bind(i32::from(self.len))
            .bind(lo)
            .bind(hi)
            .bind(self.location_id)
            .bind(self.vlan_id)
            .bind(self.holder.customer)
            .bind(self.holder.service)
            .bind(self.holder.device)
    }
}

/// Space the search's holder may draw from ($7..$9 of [`Search::bind`]), on the row
/// alias `{t}`: unowned, or owned by a holder it names.
macro_rules! admitted {
    ($t:literal) => {
        concat!(
            "(",
            $t,
            "owner_customer_id = 0 OR ",
            $t,
            "owner_customer_id = $7)
             AND (",
            $t,
            "owner_service_id = 0 OR ",
            $t,
            "owner_service_id = $8)
             AND (",
            $t,
            "owner_device_id = 0 OR ",
            $t,
            "owner_device_id = $9)"
        )
    };
}

/// A free leaf the subnet allocator may take: unallocated, not parked, not a pool (a
/// pool hands out single addresses and is never carved), and the holder's to take.
pub(super) const FREE_LEAF: &str = concat!(
    "allocation_status = 'unallocated' AND NOT hidden AND NOT is_pool
    AND family = $1 AND cidr >= $3 AND cidr <= $4
    AND ($5::bigint IS NULL OR effective_location_id = $5)
    AND ($6::bigint IS NULL OR effective_vlan_id IS NULL OR effective_vlan_id = $6)
    AND ",
    admitted!("")
);

/// Exact: the lowest free leaf of exactly the length.
pub async fn find_exact(conn: &mut PgConnection, s: &Search) -> Result<Option<(i64, IpNet)>> {
    s.bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, cidr FROM subnets WHERE {FREE_LEAF} AND masklen(cidr) = $2 ORDER BY cidr LIMIT 1"
    ))))
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Split: the smallest free leaf shorter than the length, lowest address first. One
/// index probe per shorter length, longest first, stopping at the first hit.
pub async fn find_split(conn: &mut PgConnection, s: &Search) -> Result<Option<(i64, IpNet)>> {
    s.bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.cidr FROM generate_series($2 - 1, $10, -1) AS l(len)
         CROSS JOIN LATERAL (
             SELECT id, cidr FROM subnets
             WHERE {FREE_LEAF} AND masklen(cidr) = l.len ORDER BY cidr LIMIT 1) c
         LIMIT 1"
    ))))
    .bind(i32::from(s.within.prefix_len()))
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Merge: the lowest subdivided node of the length whose whole subtree is free,
/// unparked and carries nothing of its own, with no address records inside.
pub async fn find_merge(conn: &mut PgConnection, s: &Search) -> Result<Option<(i64, IpNet)>> {
    s.bind(sqlx::query_as(concat!(
        "SELECT n.id, n.cidr FROM subnets n
         WHERE n.allocation_status = 'subdivided' AND NOT n.hidden AND n.family = $1
           AND masklen(n.cidr) = $2 AND n.cidr >= $3 AND n.cidr <= $4
           AND ($5::bigint IS NULL OR n.effective_location_id = $5)
           AND ($6::bigint IS NULL OR n.effective_vlan_id IS NULL OR n.effective_vlan_id = $6)
           AND ",
        admitted!("n."),
        "
           AND NOT EXISTS (
               SELECT 1 FROM subnets d WHERE d.cidr > n.cidr AND d.cidr <= cidr_last(n.cidr)
                 AND (d.allocation_status IN ('allocated', 'reserved') OR d.is_unavailable
                      OR d.location_id IS NOT NULL OR d.vlan_id IS NOT NULL
                      OR d.customer_id IS NOT NULL OR d.description IS NOT NULL OR d.is_pool))
           AND NOT EXISTS (SELECT 1 FROM ip_addresses a
                           WHERE a.address >= n.cidr AND a.address <= cidr_last(n.cidr))
         ORDER BY n.cidr LIMIT 1",
    )))
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// The shortest free prefix length inside the search scope (for "largest free: /30").
pub async fn largest_free(conn: &mut PgConnection, s: &Search) -> Result<Option<u8>> {
    // $2 (the length) is bound but not needed: every free leaf counts.
    let (len,): (Option<i32>,) = s
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT min(masklen(cidr)) FROM subnets WHERE {FREE_LEAF} AND $2::int IS NOT NULL"
        ))))
        .fetch_one(conn)
        .await
        .map_err(db_error)?;
    Ok(len.and_then(|l| u8::try_from(l).ok()))
}
