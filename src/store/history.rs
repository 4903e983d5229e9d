//! Row history (migration 0009): the before and after image of every subnet, address and
//! service row a transaction changed, and putting a transaction's rows back as they were.
//! Also the journal lookups undo needs, which tie journal rows to their transaction.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::PgConnection;

use super::errors::db_error;
use super::journal::ENTRY_SELECT;
use super::rows::JournalEntry;
use crate::error::Result;

/// The tables whose rows are kept in history, in the order their rows are put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Services,
    Subnets,
    Addresses,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Services => "services",
            Table::Subnets => "subnets",
            Table::Addresses => "ip_addresses",
        }
    }

    fn of(name: &str) -> Option<Table> {
        [Table::Services, Table::Subnets, Table::Addresses]
            .into_iter()
            .find(|t| t.name() == name)
    }

    /// Columns that copy another row (kept by foreign keys with ON UPDATE CASCADE) or are
    /// computed, with the expression that fills them when a row is put back.
    fn derived(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Table::Services => &[],
            Table::Subnets => &[
                (
                    "parent_cidr",
                    "(SELECT p.cidr FROM subnets p WHERE p.id = r.parent_id)",
                ),
                (
                    "parent_hidden",
                    "(SELECT p.hidden FROM subnets p WHERE p.id = r.parent_id)",
                ),
            ],
            Table::Addresses => &[
                (
                    "subnet_cidr",
                    "(SELECT s.cidr FROM subnets s WHERE s.id = r.subnet_id)",
                ),
                (
                    "subnet_hidden",
                    "(SELECT s.hidden FROM subnets s WHERE s.id = r.subnet_id)",
                ),
            ],
        }
    }
}

/// Keys of a row image that say nothing about the row's own state: copies of other rows,
/// generated columns and the modification time.
const NOT_OWN: &[&str] = &[
    "parent_cidr",
    "parent_hidden",
    "subnet_cidr",
    "subnet_hidden",
    "hidden",
    "family",
    "updated_at",
];

/// A row image reduced to the row's own state, for comparing two images.
pub fn own_state(image: &Value) -> Map<String, Value> {
    let mut own = image.as_object().cloned().unwrap_or_default();
    own.retain(|key, _| !NOT_OWN.contains(&key.as_str()));
    own
}

/// What one transaction did to one row: its image before the transaction's first change
/// (None: the transaction inserted it) and after its last (None: deleted it).
#[derive(Debug, Clone)]
pub struct RowChange {
    pub table: Table,
    pub row_id: i64,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The history id of the transaction's last change to the row.
    pub last: i64,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    table_name: String,
    row_id: i64,
    before: Option<Value>,
    after: Option<Value>,
    last: i64,
}

/// Every row transaction `xact` changed, in the order of their first change.
pub async fn changes_in(conn: &mut PgConnection, xact: &str) -> Result<Vec<RowChange>> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT table_name, row_id, (array_agg(before ORDER BY id))[1] AS before,
                (array_agg(after ORDER BY id DESC))[1] AS after, max(id) AS last
         FROM row_changes WHERE xact = $1::xid8
         GROUP BY table_name, row_id ORDER BY min(id)",
    )
    .bind(xact)
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

/// The transaction that last changed a row after history id `after`, if any.
pub async fn changed_since(
    conn: &mut PgConnection,
    table: Table,
    row_id: i64,
    after: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT xact::text FROM row_changes WHERE table_name = $1 AND row_id = $2 AND id > $3
         ORDER BY id DESC LIMIT 1",
    )
    .bind(table.name())
    .bind(row_id)
    .bind(after)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
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

/// A row added after a change that refers to a row the change touched: a subnet under
/// one of its subnets, an address in one, or either holding one of its services.
#[derive(Debug, Clone)]
pub struct Dependent {
    pub table: Table,
    pub row_id: i64,
    /// Its CIDR or address.
    pub target: String,
    /// The transaction that added it.
    pub xact: String,
}

/// Rows inserted after history id `since` that refer to `subnets` or `services` and are
/// not themselves among the change's `subnets` and `addresses`.
pub async fn dependents(
    conn: &mut PgConnection,
    since: i64,
    subnets: &[i64],
    services: &[i64],
    addresses: &[i64],
) -> Result<Vec<Dependent>> {
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "WITH refs AS (
             SELECT 'subnets' AS t, id, cidr::text AS target FROM subnets
             WHERE (parent_id = ANY($2) OR service_id = ANY($3)) AND id <> ALL($2)
             UNION ALL
             SELECT 'ip_addresses', id, host(address) FROM ip_addresses
             WHERE (subnet_id = ANY($2) OR service_id = ANY($3)) AND id <> ALL($4))
         SELECT refs.t, refs.id, refs.target, added.xact::text
         FROM refs
         CROSS JOIN LATERAL (SELECT xact FROM row_changes r
                             WHERE r.table_name = refs.t AND r.row_id = refs.id
                               AND r.before IS NULL AND r.id > $1
                             ORDER BY r.id DESC LIMIT 1) added
         ORDER BY 3 LIMIT 20",
    )
    .bind(since)
    .bind(subnets)
    .bind(services)
    .bind(addresses)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .filter_map(|(table, row_id, target, xact)| {
            Some(Dependent {
                table: Table::of(&table)?,
                row_id,
                target,
                xact,
            })
        })
        .collect())
}

/// The columns of `table` that can be written: not generated, not dropped.
pub async fn columns(conn: &mut PgConnection, table: Table) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT attname::text FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
         ORDER BY attnum",
    )
    .bind(table.name())
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Deletes rows `ids` of `table` (one statement: a subtree goes at once).
pub async fn remove(conn: &mut PgConnection, table: Table, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!("DELETE FROM {} WHERE id = ANY($1)", table.name());
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Inserts a row from its image, with its old id; copies of its parent's fields are read
/// from the parent as it is now.
pub async fn recreate(
    conn: &mut PgConnection,
    table: Table,
    columns: &[String],
    image: &Value,
) -> Result<()> {
    let values: Vec<String> = columns.iter().map(|c| value_of(table, c)).collect();
    let sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE
         SELECT {} FROM jsonb_populate_record(NULL::{}, $1) r",
        table.name(),
        quoted(columns).join(", "),
        values.join(", "),
        table.name()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(image)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Sets a row's own columns to those of `image`; the foreign keys carry any change of
/// its parked state down to its subtree.
pub async fn restore(
    conn: &mut PgConnection,
    table: Table,
    columns: &[String],
    id: i64,
    image: &Value,
) -> Result<()> {
    let columns: Vec<String> = columns
        .iter()
        .filter(|c| *c != "id" && !table.derived().iter().any(|(d, _)| d == c))
        .cloned()
        .collect();
    let values: Vec<String> = columns.iter().map(|c| value_of(table, c)).collect();
    let sql = format!(
        "UPDATE {} SET ({}) = (SELECT {} FROM jsonb_populate_record(NULL::{}, $2) r) WHERE id = $1",
        table.name(),
        quoted(&columns).join(", "),
        values.join(", "),
        table.name()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(image)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The expression that fills `column` when a row is put back from image `r`.
fn value_of(table: Table, column: &str) -> String {
    if column == "updated_at" {
        return "now()".to_owned();
    }
    table
        .derived()
        .iter()
        .find(|(name, _)| *name == column)
        .map_or_else(|| format!("r.\"{column}\""), |(_, expr)| (*expr).to_owned())
}

fn quoted(columns: &[String]) -> Vec<String> {
    columns.iter().map(|c| format!("\"{c}\"")).collect()
}

/// A journal row and the transaction that wrote it (None for rows older than 0009).
pub async fn entry(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<(JournalEntry, Option<String>)>> {
    let entry: Option<JournalEntry> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{ENTRY_SELECT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
    let Some(entry) = entry else {
        return Ok(None);
    };
    let xact: Option<String> =
        sqlx::query_scalar("SELECT xact::text FROM provisioning_logs WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(db_error)?;
    Ok(Some((entry, xact)))
}

/// The successful journal rows a transaction wrote, oldest first.
pub async fn entries_of(conn: &mut PgConnection, xact: &str) -> Result<Vec<JournalEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ENTRY_SELECT} WHERE xact = $1::xid8 AND outcome = 'ok' ORDER BY id"
    )))
    .bind(xact)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Which transactions count as someone's change: they journaled an event other than
/// housekeeping (a cooldown ending) or an undo, and changed rows kept in history.
const A_CHANGE: &str = "l.outcome = 'ok' AND l.xact IS NOT NULL
    AND l.event NOT IN ('undo', 'cooldown_end')
    AND EXISTS (SELECT 1 FROM row_changes r WHERE r.xact = l.xact)";

/// The transactions of command `command_id` that changed rows, newest first.
pub async fn command_changes(conn: &mut PgConnection, command_id: &str) -> Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.xact::text FROM provisioning_logs l
         WHERE l.command_id = $1::uuid AND {A_CHANGE}
         GROUP BY l.xact ORDER BY max(l.id) DESC"
    )))
    .bind(command_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The newest change by OS user `os_user` that has not been undone.
pub async fn last_change_by(conn: &mut PgConnection, os_user: &str) -> Result<Option<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.xact::text FROM provisioning_logs l
         WHERE l.os_user = $1 AND {A_CHANGE}
           AND NOT EXISTS (SELECT 1 FROM provisioning_logs u
                           WHERE u.event = 'undo' AND u.outcome = 'ok'
                             AND u.detail->>'undone_xact' = l.xact::text)
         ORDER BY l.created_at DESC, l.id DESC LIMIT 1"
    )))
    .bind(os_user)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}

/// The undo journal row that undid transaction `xact`, if one did.
pub async fn undone_by(conn: &mut PgConnection, xact: &str) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM provisioning_logs
         WHERE event = 'undo' AND outcome = 'ok' AND detail->>'undone_xact' = $1
         ORDER BY id DESC LIMIT 1",
    )
    .bind(xact)
    .fetch_optional(conn)
    .await
    .map_err(db_error)
}
