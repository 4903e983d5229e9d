//! Row history (migration 0009): the before and after image of every subnet, address and
//! service row each change (one transaction, named by `carve_change_key()`) made, what
//! changed those rows since, and putting a change's rows back ([`write`]).

pub mod write;

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

/// The tables whose rows are kept in history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Services,
    Subnets,
    Addresses,
}

impl Table {
    pub const ALL: [Table; 3] = [Table::Services, Table::Subnets, Table::Addresses];

    pub fn name(self) -> &'static str {
        match self {
            Table::Services => "services",
            Table::Subnets => "subnets",
            Table::Addresses => "ip_addresses",
        }
    }

    fn of(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The column naming the subnet a row lives in.
    pub fn container_column(self) -> Option<&'static str> {
        match self {
            Table::Services => None,
            Table::Subnets => Some("parent_id"),
            Table::Addresses => Some("subnet_id"),
        }
    }
}

/// Keys of a row image that are not the row's own state: the copies of its parent kept by
/// foreign keys, generated columns, inherited attributes (recomputed from the tree), the
/// modification time.
pub const NOT_OWN: &[&str] = &[
    "parent_cidr",
    "parent_hidden",
    "parent_pool",
    "parent_owner_customer",
    "parent_owner_service",
    "parent_owner_device",
    "subnet_cidr",
    "subnet_hidden",
    "subnet_pool",
    "subnet_owner_customer",
    "subnet_owner_service",
    "subnet_owner_device",
    "owner_customer_id",
    "owner_service_id",
    "owner_device_id",
    "hidden",
    "family",
    "effective_location_id",
    "effective_vlan_id",
    "updated_at",
];

/// A row image reduced to the row's own state.
pub fn own_state(image: &Value) -> Map<String, Value> {
    let mut own = image.as_object().cloned().unwrap_or_default();
    own.retain(|key, _| !NOT_OWN.contains(&key.as_str()));
    own
}

/// Whether `now` still holds everything `then` says about the row's own state (keys a
/// later migration added are not compared).
pub fn holds(now: &Value, then: &Value) -> bool {
    let now = own_state(now);
    own_state(then)
        .iter()
        .all(|(key, value)| now.get(key).is_none_or(|v| v == value))
}

/// Whether a row change touched the row's own state (a park cascading down a subtree
/// changes only the copies the database keeps of the parent).
pub fn own_change(before: Option<&Value>, after: Option<&Value>) -> bool {
    match (before, after) {
        (Some(before), Some(after)) => own_state(before) != own_state(after),
        _ => true,
    }
}

/// What one change did to one row: its image before the change's first write (None: the
/// change inserted it) and after its last (None: deleted it).
#[derive(Debug, Clone)]
pub struct RowChange {
    pub table: Table,
    pub row_id: i64,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The history id of the change's last write to the row.
    pub last: i64,
}

impl RowChange {
    /// The image that names the row (its CIDR or address).
    pub fn image(&self) -> Option<&Value> {
        self.after.as_ref().or(self.before.as_ref())
    }

    pub fn is_own(&self) -> bool {
        own_change(self.before.as_ref(), self.after.as_ref())
    }
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    table_name: String,
    row_id: i64,
    before: Option<Value>,
    after: Option<Value>,
    last: i64,
}

/// Every row `change` wrote, in the order of their first write.
pub async fn rows_of(conn: &mut PgConnection, change: &str) -> Result<Vec<RowChange>> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT table_name, row_id, (array_agg(before ORDER BY id))[1] AS before,
                (array_agg(after ORDER BY id DESC))[1] AS after, max(id) AS last
         FROM row_changes WHERE change = $1
         GROUP BY table_name, row_id ORDER BY min(id)",
    )
    .bind(change)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(RowChange {
                table: Table::of(&row.table_name)?,
                row_id: row.row_id,
                before: row.before,
                after: row.after,
                last: row.last,
            })
        })
        .collect())
}

/// Whether a write changed what others may hang off a row: whether it exists, its
/// status, pool or parked state.
pub fn restates(before: Option<&Value>, after: Option<&Value>) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return true;
    };
    ["allocation_status", "is_pool", "is_unavailable", "status"]
        .iter()
        .any(|key| before.get(key) != after.get(key))
}

/// A later write to a row: which change made it, and what it touched.
#[derive(Debug, Clone)]
pub struct LaterWrite {
    pub change: String,
    /// It changed the row's own state.
    pub own: bool,
    /// It changed whether the row exists, its status, pool or parked state.
    pub restates: bool,
}

/// The writes to row `row_id` of `table` after history id `after`, newest first.
pub async fn writes_since(
    conn: &mut PgConnection,
    table: Table,
    row_id: i64,
    after: i64,
) -> Result<Vec<LaterWrite>> {
    let rows: Vec<(String, Option<Value>, Option<Value>)> = sqlx::query_as(
        "SELECT change, before, after FROM row_changes
         WHERE table_name = $1 AND row_id = $2 AND id > $3 ORDER BY id DESC",
    )
    .bind(table.name())
    .bind(row_id)
    .bind(after)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|(change, before, after)| LaterWrite {
            own: own_change(before.as_ref(), after.as_ref()),
            restates: restates(before.as_ref(), after.as_ref()),
            change,
        })
        .collect())
}

/// The current images of rows `ids` of `table`, locked FOR UPDATE.
pub async fn current(
    conn: &mut PgConnection,
    table: Table,
    ids: &[i64],
) -> Result<HashMap<i64, Value>> {
    let sql = format!(
        "SELECT id, to_jsonb(t) FROM {} t WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        table.name()
    );
    let rows: Vec<(i64, Value)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .fetch_all(conn)
        .await
        .map_err(db_error)?;
    Ok(rows.into_iter().collect())
}

/// A row added after a change that refers to a row the undo would remove or whose state
/// it would change: a subnet under it or holding its service, an address in it.
#[derive(Debug, Clone)]
pub struct Dependent {
    pub table: Table,
    /// Its CIDR or address.
    pub target: String,
    /// The change that added it.
    pub change: String,
}

/// Rows inserted after history id `since` that refer to `subnets` or `services` and are
/// not themselves among `own_subnets` and `own_addresses` (the change's own rows).
pub async fn dependents(
    conn: &mut PgConnection,
    since: i64,
    subnets: &[i64],
    services: &[i64],
    own_subnets: &[i64],
    own_addresses: &[i64],
) -> Result<Vec<Dependent>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "WITH refs AS (
             SELECT 'subnets' AS t, id, cidr::text AS target FROM subnets
             WHERE (parent_id = ANY($2) OR service_id = ANY($3)) AND id <> ALL($4)
             UNION ALL
             SELECT 'ip_addresses', id, host(address) FROM ip_addresses
             WHERE (subnet_id = ANY($2) OR service_id = ANY($3)) AND id <> ALL($5))
         SELECT refs.t, refs.target, added.change
         FROM refs
         CROSS JOIN LATERAL (SELECT change FROM row_changes r
                             WHERE r.table_name = refs.t AND r.row_id = refs.id
                               AND r.before IS NULL AND r.id > $1
                             ORDER BY r.id DESC LIMIT 1) added
         ORDER BY 2",
    )
    .bind(since)
    .bind(subnets)
    .bind(services)
    .bind(own_subnets)
    .bind(own_addresses)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .filter_map(|(table, target, change)| {
            Some(Dependent {
                table: Table::of(&table)?,
                target,
                change,
            })
        })
        .collect())
}

/// Of `cidrs` and `addresses`, the ones some row holds now, with the change that added
/// that row (None when history does not know).
pub async fn taken(
    conn: &mut PgConnection,
    cidrs: &[ipnet::IpNet],
    addresses: &[ipnet::IpNet],
) -> Result<Vec<(String, Option<String>)>> {
    sqlx::query_as(
        "WITH holders AS (
             SELECT 'subnets' AS t, id, cidr::text AS target FROM subnets WHERE cidr = ANY($1)
             UNION ALL
             SELECT 'ip_addresses', id, host(address) FROM ip_addresses WHERE address = ANY($2))
         SELECT h.target, (SELECT r.change FROM row_changes r
                           WHERE r.table_name = h.t AND r.row_id = h.id AND r.before IS NULL
                           ORDER BY r.id DESC LIMIT 1)
         FROM holders h ORDER BY 1",
    )
    .bind(cidrs)
    .bind(addresses)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Of `services`, those with billing records (a plan, usage samples or invoices), which
/// an undo never removes.
pub async fn billed(conn: &mut PgConnection, services: &[i64]) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT s FROM unnest($1::int8[]) s
         WHERE EXISTS (SELECT 1 FROM service_billing b WHERE b.service_id = s)
            OR EXISTS (SELECT 1 FROM usage_samples u WHERE u.service_id = s)
            OR EXISTS (SELECT 1 FROM invoices i WHERE i.service_id = s)
         ORDER BY 1",
    )
    .bind(services)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
