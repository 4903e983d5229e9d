//! What a database holds, as a restore needs to know it: whether it is empty (only
//! then does a restore go ahead) and what a finished restore brought in.

use sqlx::PgConnection;

use crate::error::Result;
use crate::model::Contents;
use crate::store::errors::db_error;

/// Tables, views, sequences, functions and types of the database's own schemas, as
/// `schema.name`, the first few of them; extensions' own objects are not counted.
pub async fn occupants(conn: &mut PgConnection) -> Result<(i64, Vec<String>)> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "WITH own AS (
             SELECT c.oid, 'pg_class'::regclass AS cat, n.nspname || '.' || c.relname AS name
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
             UNION ALL
             SELECT p.oid, 'pg_proc'::regclass, n.nspname || '.' || p.proname
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             UNION ALL
             SELECT t.oid, 'pg_type'::regclass, n.nspname || '.' || t.typname
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE t.typtype IN ('e', 'd', 'r', 'm')
                OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
         ), user_objects AS (
             SELECT name FROM own o
             WHERE split_part(name, '.', 1) NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
               AND split_part(name, '.', 1) NOT LIKE 'pg_temp%'
               AND split_part(name, '.', 1) NOT LIKE 'pg_toast_temp%'
               AND NOT EXISTS (SELECT 1 FROM pg_depend d
                               WHERE d.classid = o.cat AND d.objid = o.oid AND d.deptype = 'e')
         )
         SELECT count(*) OVER (), name FROM user_objects ORDER BY name LIMIT 5",
    )
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    let count = rows.first().map_or(0, |(n, _)| *n);
    Ok((count, rows.into_iter().map(|(_, name)| name).collect()))
}

pub async fn contents(conn: &mut PgConnection) -> Result<Contents> {
    let (subnets, addresses, services, invoices, journal_rows, row_history, rdns_outbox) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM subnets), (SELECT count(*) FROM ip_addresses),
                    (SELECT count(*) FROM services), (SELECT count(*) FROM invoices),
                    (SELECT count(*) FROM provisioning_logs), (SELECT count(*) FROM row_changes),
                    (SELECT count(*) FROM rdns_outbox)",
        )
        .fetch_one(conn)
        .await
        .map_err(db_error)?;
    Ok(Contents {
        subnets,
        addresses,
        services,
        invoices,
        journal_rows,
        row_history,
        rdns_outbox,
    })
}
