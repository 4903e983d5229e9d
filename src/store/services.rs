//! Devices, products and services, and the allocations a service or device holds.

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::{db_error, violated_constraint};
use crate::engine::text::quote;
use crate::error::{Error, Result};
use crate::model::{Device, Product, Service};

const DEVICE_SELECT: &str = "SELECT d.id, d.name, d.location_id, l.name AS location, d.kind
    FROM devices d LEFT JOIN locations l ON l.id = d.location_id";

fn named_conflict(e: sqlx::Error, word: &str, name: &str) -> Error {
    match violated_constraint(&e) {
        Some(c) if c.ends_with("_name_key") => {
            Error::conflict(format!("{word} {} already exists", quote(name)))
        }
        Some(c) if c.ends_with("_name_check") => Error::validation(format!(
            "{word} name {} must not be empty or start or end with spaces",
            quote(name)
        )),
        _ => db_error(e),
    }
}

pub async fn add_device(
    conn: &mut PgConnection,
    name: &str,
    location_id: i64,
    kind: Option<&str>,
) -> Result<Device> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (name, location_id, kind) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(location_id)
    .bind(kind)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| named_conflict(e, "device", name))?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DEVICE_SELECT} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

pub async fn list_devices(conn: &mut PgConnection) -> Result<Vec<Device>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DEVICE_SELECT} ORDER BY d.name"
    )))
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The device called `name`, locked against concurrent provisioning when `lock` is set.
pub async fn device_by_name(
    conn: &mut PgConnection,
    name: &str,
    lock: bool,
) -> Result<Option<Device>> {
    // NO KEY UPDATE: does not conflict with rows that merely reference the device
    // (an address allocated for it elsewhere), only with other provisionings.
    let lock = if lock { " FOR NO KEY UPDATE OF d" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DEVICE_SELECT} WHERE d.name = $1{lock}"
    )))
    .bind(name)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Serialises provisioning, re-provisioning and cancelling at one location until the
/// transaction ends. They lock several pools and roots in an order that depends on the
/// product's rules and on what a wipe releases; one at a time per location they cannot
/// deadlock each other, while other locations and plain allocations go on in parallel.
pub async fn serialize_provisioning(
    conn: &mut PgConnection,
    location_id: Option<i64>,
) -> Result<()> {
    let key = format!("provisioning at location {}", location_id.unwrap_or(0));
    super::locks::hold_until_commit(conn, &key).await
}

const PRODUCT_SELECT: &str = "SELECT id, name, ipam_config,
        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS updated_at
    FROM products";

/// Saves a product: a new one, or (`replace`) a new config for an existing one.
pub async fn save_product(
    conn: &mut PgConnection,
    name: &str,
    config: &serde_json::Value,
    replace: bool,
) -> Result<Option<Product>> {
    let sql = if replace {
        "UPDATE products SET ipam_config = $2, updated_at = now() WHERE name = $1 RETURNING id"
    } else {
        "INSERT INTO products (name, ipam_config) VALUES ($1, $2) RETURNING id"
    };
    let id: Option<i64> = sqlx::query_scalar(sql)
        .bind(name)
        .bind(config)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| named_conflict(e, "product", name))?;
    match id {
        Some(_) => product_by_name(conn, name).await,
        None => Ok(None),
    }
}

pub async fn product_by_name(conn: &mut PgConnection, name: &str) -> Result<Option<Product>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PRODUCT_SELECT} WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

pub async fn list_products(conn: &mut PgConnection) -> Result<Vec<Product>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PRODUCT_SELECT} ORDER BY name"
    )))
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

const SERVICE_SELECT: &str = "SELECT s.id, c.name AS customer, p.name AS product, s.product_id,
        d.name AS device, s.device_id, s.status,
        to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at,
        to_char(s.provisioned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS provisioned_at,
        to_char(s.cancelled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS cancelled_at
    FROM services s
    JOIN customers c ON c.id = s.customer_id
    JOIN products p ON p.id = s.product_id
    JOIN devices d ON d.id = s.device_id";

pub async fn insert_service(
    conn: &mut PgConnection,
    customer_id: i64,
    product_id: i64,
    device_id: i64,
) -> Result<Service> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO services (customer_id, product_id, device_id) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(customer_id)
    .bind(product_id)
    .bind(device_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_error)?;
    service_by_id(conn, id, false)
        .await?
        .ok_or_else(|| Error::internal("a service vanished as it was created"))
}

/// The service `id`, row-locked when `lock` is set (cancel and re-provision hold it).
pub async fn service_by_id(
    conn: &mut PgConnection,
    id: i64,
    lock: bool,
) -> Result<Option<Service>> {
    let lock = if lock { " FOR UPDATE OF s" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SERVICE_SELECT} WHERE s.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// Services, newest first, optionally of one customer, device or status.
pub async fn list_services(
    conn: &mut PgConnection,
    customer: Option<&str>,
    device: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<Service>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SERVICE_SELECT} WHERE ($1::text IS NULL OR c.name = $1) AND ($2::text IS NULL OR d.name = $2)
           AND ($3::text IS NULL OR s.status = $3)
         ORDER BY s.id DESC"
    )))
    .bind(customer)
    .bind(device)
    .bind(status)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Marks a service provisioned now, or cancelled now.
pub async fn mark_service(conn: &mut PgConnection, id: i64, cancelled: bool) -> Result<()> {
    let sql = if cancelled {
        "UPDATE services SET status = 'cancelled', cancelled_at = now() WHERE id = $1"
    } else {
        "UPDATE services SET provisioned_at = now() WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(id)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Which held space a query is about.
#[derive(Debug, Clone, Copy)]
pub enum Holding {
    /// Everything the service holds.
    Service(i64),
    /// What a wipe of the device releases for this service: its non-management space,
    /// and non-management space on the device that no service holds.
    Wipe { device_id: i64, service_id: i64 },
    /// The service's non-management space (what a cancel releases).
    Cancel(i64),
}

impl Holding {
    fn bind(
        self,
        sql: String,
    ) -> sqlx::query::QueryAs<'static, sqlx::Postgres, (i64, IpNet), sqlx::postgres::PgArguments>
    {
        let (a, b) = match self {
            Holding::Service(s) => (None, s),
            Holding::Wipe {
                device_id,
                service_id,
            } => (Some(device_id), service_id),
            Holding::Cancel(s) => (None, s),
        };
        let management = !matches!(self, Holding::Service(_));
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(management)
    }
}

/// `$1` device (wipe) or NULL, `$2` service, `$3` skip management space.
const HELD: &str = "(CASE WHEN $1::bigint IS NULL THEN service_id = $2
         ELSE device_id = $1 AND (service_id = $2 OR service_id IS NULL) END)
    AND NOT ($3 AND lower(purpose) IS NOT DISTINCT FROM 'management')";

/// Ids and CIDRs of the subnets held as `holding` says, in address order.
pub async fn held_subnets(conn: &mut PgConnection, holding: Holding) -> Result<Vec<(i64, IpNet)>> {
    let sql = format!("SELECT id, cidr FROM subnets WHERE {HELD} ORDER BY cidr");
    holding.bind(sql).fetch_all(conn).await.map_err(db_error)
}

/// Ids and addresses (as /32 or /128) of the address records held as `holding` says.
pub async fn held_addresses(
    conn: &mut PgConnection,
    holding: Holding,
) -> Result<Vec<(i64, IpNet)>> {
    // A parked address keeps its record (and its park) when its holder lets go.
    let sql = format!(
        "SELECT id, address FROM ip_addresses WHERE {HELD} AND NOT ($3 AND is_unavailable)
         ORDER BY address"
    );
    holding.bind(sql).fetch_all(conn).await.map_err(db_error)
}

/// What a cancel does not release stays where it is, without the link to the service:
/// management space (on the device) and parked addresses (parked).
pub async fn detach_kept(conn: &mut PgConnection, service_id: i64) -> Result<u64> {
    let mut detached = 0;
    for (table, kept) in [
        ("subnets", "lower(purpose) = 'management'"),
        (
            "ip_addresses",
            "(lower(purpose) = 'management' OR is_unavailable)",
        ),
    ] {
        let sql = format!(
            "UPDATE {table} SET service_id = NULL, updated_at = now()
             WHERE service_id = $1 AND {kept}"
        );
        detached += sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(service_id)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?
            .rows_affected();
    }
    Ok(detached)
}
