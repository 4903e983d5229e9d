//! New root blocks and the attributes a subnet carries of its own: location (cascaded
//! to the subtree's effective location), VLAN, description, pool.

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::{db_error, violated_constraint};
use super::tree;
use crate::error::{Error, Result};
use crate::model::Subnet;

/// Attributes of a subnet that are its own (not inherited, not the holder's).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub location_id: Option<i64>,
    pub vlan_id: Option<i64>,
    pub description: Option<String>,
    pub is_pool: bool,
    pub pool_reserved_first: i32,
}

/// Adds a new root block; an overlap with an existing root is refused naming it.
pub async fn insert_root(
    conn: &mut PgConnection,
    cidr: &IpNet,
    attrs: &Attributes,
) -> Result<Subnet> {
    let overlapping: Option<IpNet> = sqlx::query_scalar(
        "SELECT cidr FROM subnets WHERE parent_id IS NULL AND cidr && $1 LIMIT 1",
    )
    .bind(cidr)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    if let Some(other) = overlapping {
        return Err(overlap(cidr, &other));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO subnets (cidr, location_id, effective_location_id, vlan_id, effective_vlan_id,
                              description, is_pool, pool_reserved_first)
         VALUES ($1, $2, $2, $3, $3, $4, $5, $6) RETURNING id",
    )
    .bind(cidr)
    .bind(attrs.location_id)
    .bind(attrs.vlan_id)
    .bind(&attrs.description)
    .bind(attrs.is_pool)
    .bind(attrs.pool_reserved_first)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match violated_constraint(&e).as_deref() {
        // A concurrent insert won the race the check above could not see.
        Some("subnets_no_overlapping_roots") | Some("subnets_cidr_key") => {
            Error::conflict(format!("{cidr} overlaps a block added at the same time"))
        }
        _ => db_error(e),
    })?;
    tree::by_id(conn, id)
        .await?
        .ok_or_else(|| Error::internal("a new root vanished"))
}

fn overlap(cidr: &IpNet, other: &IpNet) -> Error {
    let how = if other == cidr {
        "already exists".to_owned()
    } else if other.contains(cidr) {
        format!("lies inside the existing block {other} (carve it from there instead)")
    } else if cidr.contains(other) {
        format!("contains the existing block {other}")
    } else {
        format!("overlaps the existing block {other}")
    };
    Error::conflict(format!("{cidr} {how}"))
}

/// An attribute that is inherited down the tree: the node's own value, else the
/// nearest ancestor's, kept in an `effective_` column.
#[derive(Debug, Clone, Copy)]
pub enum Inherited {
    Location,
    Vlan,
}

impl Inherited {
    /// (own column, effective column): fixed names, never user input.
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Inherited::Location => ("location_id", "effective_location_id"),
            Inherited::Vlan => ("vlan_id", "effective_vlan_id"),
        }
    }
}

/// Sets the subnet's own location and recomputes the effective location of its whole
/// subtree.
pub async fn set_location(
    conn: &mut PgConnection,
    subnet: &Subnet,
    location_id: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE subnets SET location_id = $2, updated_at = now() WHERE id = $1")
        .bind(subnet.id)
        .bind(location_id)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    cascade(conn, subnet.id, subnet.parent_id, Inherited::Location).await
}

/// Recomputes an inherited attribute for the subnet's whole subtree, walking it
/// top-down along parent_id: each node takes its own value, else its parent's
/// effective one.
pub async fn cascade(
    conn: &mut PgConnection,
    id: i64,
    parent_id: Option<i64>,
    what: Inherited,
) -> Result<()> {
    let (own, effective) = what.columns();
    let inherited: Option<i64> = match parent_id {
        Some(parent) => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {effective} FROM subnets WHERE id = $1"
        )))
        .bind(parent)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?,
        None => None,
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE walk(id, value) AS (
             SELECT id, coalesce({own}, $2) FROM subnets WHERE id = $1
             UNION ALL
             SELECT c.id, coalesce(c.{own}, w.value)
             FROM subnets c JOIN walk w ON c.parent_id = w.id)
         UPDATE subnets s SET {effective} = w.value
         FROM walk w WHERE s.id = w.id AND s.{effective} IS DISTINCT FROM w.value"
    )))
    .bind(id)
    .bind(inherited)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Sets VLAN, description and pool settings (None leaves a field as it is; the inner
/// Option clears it).
pub async fn set_fields(
    conn: &mut PgConnection,
    id: i64,
    vlan_id: Option<Option<i64>>,
    description: Option<Option<String>>,
    pool: Option<(bool, i32)>,
) -> Result<()> {
    sqlx::query(
        "UPDATE subnets SET
             vlan_id = CASE WHEN $2 THEN $3 ELSE vlan_id END,
             vlan_from_allocation = vlan_from_allocation AND NOT $2,
             description = CASE WHEN $4 THEN $5 ELSE description END,
             is_pool = coalesce($6, is_pool),
             pool_reserved_first = coalesce($7, pool_reserved_first),
             updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(vlan_id.is_some())
    .bind(vlan_id.flatten())
    .bind(description.is_some())
    .bind(description.flatten())
    .bind(pool.map(|(p, _)| p))
    .bind(pool.map(|(_, n)| n))
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}
