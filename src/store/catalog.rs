//! Locations, VLANs and customers: the names subnets and addresses link to.

use sqlx::PgConnection;

use super::errors::{db_error, violated_constraint};
use crate::engine::text::quote;
use crate::error::{Error, Result};
use crate::model::{Catalog, Named, Vlan};

/// The table a kind of named thing lives in.
fn table(catalog: Catalog) -> &'static str {
    match catalog {
        Catalog::Location => "locations",
        Catalog::Customer => "customers",
    }
}

pub async fn add_named(conn: &mut PgConnection, catalog: Catalog, name: &str) -> Result<Named> {
    let sql = format!(
        "INSERT INTO {} (name) VALUES ($1) RETURNING id, name",
        table(catalog)
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_one(conn)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some(c) if c.ends_with("_name_key") => {
                Error::conflict(format!("{} {} already exists", catalog.word(), quote(name)))
            }
            Some(c) if c.ends_with("_name_check") => Error::validation(format!(
                "{} name {} must not be empty or start or end with spaces",
                catalog.word(),
                quote(name)
            )),
            _ => db_error(e),
        })
}

pub async fn list_named(conn: &mut PgConnection, catalog: Catalog) -> Result<Vec<Named>> {
    let sql = format!("SELECT id, name FROM {} ORDER BY name", table(catalog));
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await
        .map_err(db_error)
}

/// The id of `name`, or an error that names it and says how to create it.
pub async fn named_id(conn: &mut PgConnection, catalog: Catalog, name: &str) -> Result<i64> {
    let sql = format!("SELECT id FROM {} WHERE name = $1", table(catalog));
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| {
            Error::not_found(format!(
                "unknown {word} {q} (add it with: carve {word} add {q})",
                word = catalog.word(),
                q = quote(name)
            ))
        })
}

/// The name behind an id, if it exists.
pub async fn name_of(conn: &mut PgConnection, catalog: Catalog, id: i64) -> Result<Option<String>> {
    let sql = format!("SELECT name FROM {} WHERE id = $1", table(catalog));
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(db_error)
}

const VLAN_SELECT: &str = "SELECT v.id, l.name AS location, v.vid, v.name, v.enabled
    FROM vlans v JOIN locations l ON l.id = v.location_id";

pub async fn add_vlan(
    conn: &mut PgConnection,
    location_id: i64,
    vid: i32,
    name: Option<&str>,
) -> Result<Vlan> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vlans (location_id, vid, name) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(location_id)
    .bind(vid)
    .bind(name)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match violated_constraint(&e).as_deref() {
        Some("vlans_location_id_vid_key") => {
            Error::conflict(format!("VLAN {vid} already exists at this location"))
        }
        Some("vlans_vid_check") => {
            Error::validation(format!("VLAN {vid} is out of range (1..4094)"))
        }
        _ => db_error(e),
    })?;
    vlan_by_id(conn, id).await
}

/// The lowest id in `low..=high` with no VLAN at the location, as of this statement.
pub async fn lowest_free_vid(
    conn: &mut PgConnection,
    location_id: i64,
    low: i32,
    high: i32,
) -> Result<Option<i32>> {
    sqlx::query_scalar(
        "SELECT s.vid FROM generate_series($2::int, $3::int) AS s(vid)
         WHERE NOT EXISTS (SELECT FROM vlans v WHERE v.location_id = $1 AND v.vid = s.vid)
         ORDER BY s.vid LIMIT 1",
    )
    .bind(location_id)
    .bind(low)
    .bind(high)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Adds VLAN `vid` (for a service, if given) unless the location has it already (None:
/// someone took it first).
pub async fn add_vlan_if_free(
    conn: &mut PgConnection,
    location_id: i64,
    vid: i32,
    name: Option<&str>,
    service_id: Option<i64>,
) -> Result<Option<Vlan>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO vlans (location_id, vid, name, service_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (location_id, vid) DO NOTHING RETURNING id",
    )
    .bind(location_id)
    .bind(vid)
    .bind(name)
    .bind(service_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    match id {
        Some(id) => Ok(Some(vlan_by_id(conn, id).await?)),
        None => Ok(None),
    }
}

/// Serialises callers that pick the next free VLAN id at a location until commit, so
/// they do not all pick the same one and queue up behind each other's insert.
pub async fn hold_vlan_ids(conn: &mut PgConnection, location_id: i64) -> Result<()> {
    super::locks::hold_until_commit(conn, &format!("vlan ids at location {location_id}")).await
}

async fn vlan_by_id(conn: &mut PgConnection, id: i64) -> Result<Vlan> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{VLAN_SELECT} WHERE v.id = $1"
    )))
    .bind(id)
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// The VLAN `vid` at a location, or an error naming both.
pub async fn find_vlan(
    conn: &mut PgConnection,
    location_id: i64,
    vid: i32,
) -> Result<Option<Vlan>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{VLAN_SELECT} WHERE v.location_id = $1 AND v.vid = $2"
    )))
    .bind(location_id)
    .bind(vid)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

pub async fn set_vlan_enabled(
    conn: &mut PgConnection,
    vlan_id: i64,
    enabled: bool,
) -> Result<Vlan> {
    sqlx::query("UPDATE vlans SET enabled = $2 WHERE id = $1")
        .bind(vlan_id)
        .bind(enabled)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    vlan_by_id(conn, vlan_id).await
}

pub async fn list_vlans(conn: &mut PgConnection, location_id: Option<i64>) -> Result<Vec<Vlan>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{VLAN_SELECT} WHERE $1::bigint IS NULL OR v.location_id = $1 ORDER BY l.name, v.vid"
    )))
    .bind(location_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The VLAN a service was given, if any.
pub async fn service_vlan(conn: &mut PgConnection, service_id: i64) -> Result<Option<Vlan>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{VLAN_SELECT} WHERE v.service_id = $1"
    )))
    .bind(service_id)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Deletes the VLAN of a service unless space still carries it (space kept on the
/// device at a cancel, or tagged by hand): then it stays, no longer the service's.
/// True when it was deleted.
pub async fn release_service_vlan(conn: &mut PgConnection, vlan_id: i64) -> Result<bool> {
    let deleted = sqlx::query(
        "DELETE FROM vlans v WHERE v.id = $1
           AND NOT EXISTS (SELECT FROM subnets s WHERE s.vlan_id = v.id OR s.effective_vlan_id = v.id)
           AND NOT EXISTS (SELECT FROM ip_addresses a WHERE a.vlan_id = v.id)",
    )
    .bind(vlan_id)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?
    .rows_affected()
        > 0;
    if !deleted {
        sqlx::query("UPDATE vlans SET service_id = NULL WHERE id = $1")
            .bind(vlan_id)
            .execute(conn)
            .await
            .map_err(db_error)?;
    }
    Ok(deleted)
}
