//! Single addresses in pool subnets. Free addresses have no row: the next free one is
//! found by an indexed gap search over the rows that exist.

use std::net::IpAddr;

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::{db_error, violated_constraint};
use super::rows::IP_SELECT;
use crate::error::{Error, Result};
use crate::model::{IpRecord, Subnet};

fn host(addr: IpAddr) -> IpNet {
    IpNet::from(addr)
}

pub async fn find(conn: &mut PgConnection, addr: IpAddr) -> Result<Option<IpRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{IP_SELECT} WHERE a.address = $1"
    )))
    .bind(host(addr))
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Address records inside `net`, in address order.
pub async fn within(conn: &mut PgConnection, net: &IpNet) -> Result<Vec<IpRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{IP_SELECT} WHERE a.address >= $1 AND a.address <= cidr_last($1::cidr) ORDER BY a.address"
    )))
    .bind(net)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The first `limit` address records inside `net`, in address order.
pub async fn within_limited(
    conn: &mut PgConnection,
    net: &IpNet,
    limit: i64,
) -> Result<Vec<IpRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{IP_SELECT} WHERE a.address >= $1 AND a.address <= cidr_last($1::cidr) ORDER BY a.address LIMIT $2"
    )))
    .bind(net)
    .bind(limit)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

pub async fn count_within(conn: &mut PgConnection, net: &IpNet) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM ip_addresses WHERE address >= $1 AND address <= cidr_last($1::cidr)",
    )
    .bind(net)
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// The lowest address in `[lo, hi]` without a record: `lo` itself, or the first record
/// from `lo` on whose successor has none.
pub async fn first_gap(conn: &mut PgConnection, lo: IpAddr, hi: IpAddr) -> Result<Option<IpAddr>> {
    let found: Option<IpNet> = sqlx::query_scalar(
        "(SELECT $1::inet WHERE NOT EXISTS (SELECT 1 FROM ip_addresses WHERE address = $1))
         UNION ALL
         (SELECT a.address + 1 FROM ip_addresses a
          WHERE a.address >= $1 AND a.address < $2
            AND NOT EXISTS (SELECT 1 FROM ip_addresses b WHERE b.address = a.address + 1)
          ORDER BY a.address LIMIT 1)
         LIMIT 1",
    )
    .bind(host(lo))
    .bind(host(hi))
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(found.map(|n| n.addr()))
}

/// What an address record says about its holder.
#[derive(Debug, Clone, Default)]
pub struct IpFields {
    pub customer_id: Option<i64>,
    pub device_id: Option<i64>,
    pub service_id: Option<i64>,
    pub vlan_id: Option<i64>,
    pub purpose: Option<String>,
    /// A PTR name; "" clears it.
    pub rdns: Option<String>,
    pub description: Option<String>,
}

/// How a new record keeps its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept<'a> {
    /// Handed out: the record gets an allocation id.
    Allocated,
    /// Parked, with its reason ("" for none).
    Parked(&'a str),
    /// Reserved, with its reason.
    Reserved(&'a str),
}

pub async fn insert(
    conn: &mut PgConnection,
    subnet: &Subnet,
    addr: IpAddr,
    fields: &IpFields,
    kept: Kept<'_>,
) -> Result<IpRecord> {
    let (parked, reserved) = match kept {
        Kept::Allocated => (None, None),
        Kept::Parked(reason) => (Some(reason), None),
        Kept::Reserved(reason) => (None, Some(reason)),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr, subnet_hidden, subnet_pool,
                                   subnet_owner_customer, subnet_owner_service,
                                   subnet_owner_device, customer_id,
                                   vlan_id, purpose, rdns, rdns_updated_at, description,
                                   is_unavailable, unavailable_reason, allocation_id,
                                   device_id, service_id, is_reserved, reserve_reason)
         SELECT $1, s.id, s.cidr, s.hidden, s.is_pool, s.owner_customer_id, s.owner_service_id,
                s.owner_device_id, $3, $4, $5, NULLIF($6, ''), CASE WHEN $6 <> '' THEN now() END,
                $7, $8 IS NOT NULL, NULLIF($8, ''),
                CASE WHEN $8 IS NULL AND $11 IS NULL THEN gen_random_uuid() END,
                $9, $10, $11 IS NOT NULL, $11
         FROM subnets s WHERE s.id = $2
         RETURNING id",
    )
    .bind(host(addr))
    .bind(subnet.id)
    .bind(fields.customer_id)
    .bind(fields.vlan_id)
    .bind(&fields.purpose)
    .bind(&fields.rdns)
    .bind(&fields.description)
    .bind(parked)
    .bind(fields.device_id)
    .bind(fields.service_id)
    .bind(reserved)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match violated_constraint(&e).as_deref() {
        Some("ip_addresses_address_key") => Error::conflict(format!("{addr} is already recorded")),
        _ => db_error(e),
    })?;
    by_id(conn, id).await
}

pub async fn by_id(conn: &mut PgConnection, id: i64) -> Result<IpRecord> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{IP_SELECT} WHERE a.id = $1")))
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(db_error)
}

/// Updates the given fields (None leaves a field as it is) and returns the record.
pub async fn update(conn: &mut PgConnection, id: i64, fields: &IpFields) -> Result<IpRecord> {
    sqlx::query(
        "UPDATE ip_addresses SET customer_id = coalesce($2, customer_id),
                vlan_id = coalesce($3, vlan_id), purpose = coalesce($4, purpose),
                rdns = CASE WHEN $5 = '' THEN NULL ELSE coalesce($5, rdns) END,
                rdns_updated_at = CASE WHEN $5 IS NOT NULL THEN now() ELSE rdns_updated_at END,
                description = coalesce($6, description),
                device_id = coalesce($7, device_id), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(fields.customer_id)
    .bind(fields.vlan_id)
    .bind(&fields.purpose)
    .bind(&fields.rdns)
    .bind(&fields.description)
    .bind(fields.device_id)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    by_id(conn, id).await
}

pub async fn set_parked(
    conn: &mut PgConnection,
    id: i64,
    reason: Option<&str>,
) -> Result<IpRecord> {
    let sql = "UPDATE ip_addresses SET is_unavailable = $2 IS NOT NULL,
                      unavailable_reason = NULLIF($2, ''), updated_at = now() WHERE id = $1";
    set_reason(conn, id, sql, reason).await
}

/// Reserves the record with `reason`, or (None) clears its reservation.
pub async fn set_reserved(
    conn: &mut PgConnection,
    id: i64,
    reason: Option<&str>,
) -> Result<IpRecord> {
    let sql = "UPDATE ip_addresses SET is_reserved = $2 IS NOT NULL, reserve_reason = $2,
                      updated_at = now() WHERE id = $1";
    set_reason(conn, id, sql, reason).await
}

/// Runs `sql`, an update of record `id` ($1) to `reason` ($2), and returns the record.
async fn set_reason(
    conn: &mut PgConnection,
    id: i64,
    sql: &'static str,
    reason: Option<&str>,
) -> Result<IpRecord> {
    sqlx::query(sql)
        .bind(id)
        .bind(reason)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    by_id(conn, id).await
}

pub async fn delete(conn: &mut PgConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM ip_addresses WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub async fn of_customer(conn: &mut PgConnection, customer_id: i64) -> Result<Vec<IpRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{IP_SELECT} WHERE a.customer_id = $1 ORDER BY a.address"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
