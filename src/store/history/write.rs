//! Putting rows back from their images: deleting rows a change made, inserting rows it
//! deleted (with their old ids), and restoring the own columns of rows it changed. Only
//! the columns an image holds are written (a column added by a later migration keeps
//! its default); copies of the parent are read from the parent as it is now.

use serde_json::Value;
use sqlx::PgConnection;

use super::{NOT_OWN, Table};
use crate::error::Result;
use crate::store::db_error;

/// Copies of another row kept by foreign keys: (column, the referenced row's column).
/// A root's copies of its (absent) parent are false and 0.
const PARENT_COPIES: &[(&str, &str)] = &[
    ("parent_cidr", "cidr"),
    ("parent_hidden", "hidden"),
    ("parent_pool", "is_pool"),
    ("parent_owner_customer", "owner_customer_id"),
    ("parent_owner_service", "owner_service_id"),
    ("parent_owner_device", "owner_device_id"),
];
const SUBNET_COPIES: &[(&str, &str)] = &[
    ("subnet_cidr", "cidr"),
    ("subnet_hidden", "hidden"),
    ("subnet_pool", "is_pool"),
    ("subnet_owner_customer", "owner_customer_id"),
    ("subnet_owner_service", "owner_service_id"),
    ("subnet_owner_device", "owner_device_id"),
];

/// How to read a copied column when a row comes back: from the row it copies as that
/// row is now.
fn copied(table: Table, column: &str) -> Option<String> {
    let (copies, link) = match table {
        Table::Subnets => (PARENT_COPIES, "parent_id"),
        Table::Addresses => (SUBNET_COPIES, "subnet_id"),
        _ => return None,
    };
    let (_, source) = copies.iter().find(|(c, _)| *c == column)?;
    let read = format!("(SELECT o.{source} FROM subnets o WHERE o.id = r.{link})");
    Some(match *source {
        "cidr" | "hidden" => read,
        "is_pool" => format!("coalesce({read}, false)"),
        _ => format!("coalesce({read}, 0)"),
    })
}

/// The writable columns of `table` (not generated, not dropped).
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

/// Inserts a row from its image, with its old id.
pub async fn recreate(
    conn: &mut PgConnection,
    table: Table,
    columns: &[String],
    image: &Value,
) -> Result<()> {
    let columns: Vec<&String> = columns
        .iter()
        .filter(|c| has(image, c) || copied(table, c).is_some())
        .collect();
    let values: Vec<String> = columns.iter().map(|c| value_of(table, c)).collect();
    let sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE
         SELECT {} FROM jsonb_populate_record(NULL::{}, $1) r",
        table.name(),
        quoted(&columns),
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

/// Sets a row's own columns to those of `image`; the foreign keys carry a change of its
/// parked state down its subtree.
pub async fn restore(
    conn: &mut PgConnection,
    table: Table,
    columns: &[String],
    id: i64,
    image: &Value,
) -> Result<()> {
    // The modification time is now; the other columns are the image's own ones.
    let columns: Vec<&String> = columns
        .iter()
        .filter(|c| {
            *c == "updated_at" || (*c != "id" && has(image, c) && !NOT_OWN.contains(&c.as_str()))
        })
        .collect();
    let values: Vec<String> = columns.iter().map(|c| value_of(table, c)).collect();
    let sql = format!(
        "UPDATE {} SET ({}) = (SELECT {} FROM jsonb_populate_record(NULL::{}, $2) r) WHERE id = $1",
        table.name(),
        quoted(&columns),
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

fn has(image: &Value, column: &str) -> bool {
    image.get(column).is_some()
}

/// The expression that fills `column` when a row is put back from image `r`.
fn value_of(table: Table, column: &str) -> String {
    if column == "updated_at" {
        return "now()".to_owned();
    }
    copied(table, column).unwrap_or_else(|| format!("r.{}", ident(column)))
}

/// A column name as an SQL identifier (quotes doubled).
fn ident(column: &str) -> String {
    format!("\"{}\"", column.replace('"', "\"\""))
}

fn quoted(columns: &[&String]) -> String {
    columns
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}
