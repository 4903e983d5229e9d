//! The provisioning journal: one row per event, written in the transaction of the change
//! it describes (or, for a failure, in a transaction of its own).

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;
use crate::model::{Event, JournalEntry, LogFilter};

/// Writes one journal row, with who is acting (see [`crate::actor`]).
pub async fn record(conn: &mut PgConnection, event: &Event) -> Result<()> {
    let actor = crate::actor::current();
    sqlx::query(
        "INSERT INTO provisioning_logs (event, outcome, cidr, address, detail, os_user,
                                        sudo_user, client_host, command_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::uuid)",
    )
    .bind(event.event)
    .bind(if event.failed { "failed" } else { "ok" })
    .bind(event.cidr)
    .bind(event.address)
    .bind(&event.detail)
    .bind(&actor.os_user)
    .bind(&actor.sudo_user)
    .bind(&actor.host)
    .bind(&actor.command_id)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Selects journal rows as [`JournalEntry`]s, with the change each belongs to.
const ENTRY_SELECT: &str =
    "SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at,
                event, outcome, cidr, address, detail, os_user, sudo_user, client_host, db_role,
                command_id::text AS command_id, change
         FROM provisioning_logs";

/// Journal rows, newest first.
pub async fn list(conn: &mut PgConnection, filter: &LogFilter) -> Result<Vec<JournalEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ENTRY_SELECT}
         WHERE ($2::text IS NULL OR event = $2)
           AND ($3::cidr IS NULL OR cidr && $3 OR address <<= $3)
           AND ($4::text IS NULL OR os_user = $4 OR sudo_user = $4 OR db_role = $4)
           AND ($5::uuid IS NULL OR command_id = $5::uuid)
         ORDER BY created_at DESC, id DESC
         LIMIT $1"
    )))
    .bind(filter.limit)
    .bind(&filter.event)
    .bind(filter.cidr)
    .bind(&filter.actor)
    .bind(&filter.command_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The newest successful row about exactly this address, or this subnet (`address`
/// None): the last change to it.
pub async fn last_change(
    conn: &mut PgConnection,
    cidr: &IpNet,
    address: Option<IpNet>,
) -> Result<Option<JournalEntry>> {
    let select = ENTRY_SELECT;
    let sql = match address {
        Some(_) => {
            format!("{select} WHERE address = $2 AND outcome = 'ok' ORDER BY id DESC LIMIT 1")
        }
        None => format!(
            "{select} WHERE cidr = $1 AND address IS NULL AND outcome = 'ok' ORDER BY id DESC LIMIT 1"
        ),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(cidr)
        .bind(address)
        .fetch_optional(conn)
        .await
        .map_err(db_error)
}

/// Whether the command `command_id` committed a change (its journal rows are written in
/// the same transaction as the change, so a row means it happened).
pub async fn command_committed(conn: &mut PgConnection, command_id: &str) -> Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM provisioning_logs WHERE command_id = $1::uuid AND outcome = 'ok')",
    )
    .bind(command_id)
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// A journal row and the change (transaction) it belongs to: None for rows written
/// before carve kept row history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeEntry {
    #[sqlx(flatten)]
    pub entry: JournalEntry,
    pub change: Option<String>,
}

pub async fn entry(conn: &mut PgConnection, id: i64) -> Result<Option<ChangeEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{ENTRY_SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(db_error)
}

/// The successful journal rows of a change, oldest first.
pub async fn entries_of(conn: &mut PgConnection, change: &str) -> Result<Vec<JournalEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ENTRY_SELECT} WHERE change = $1 AND outcome = 'ok' ORDER BY id"
    )))
    .bind(change)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// A change someone made (not the end of a release cooldown, which is carve's own), that
/// wrote rows kept in history.
const A_CHANGE: &str = "l.outcome = 'ok' AND l.change IS NOT NULL AND l.event <> 'cooldown_end'
    AND EXISTS (SELECT 1 FROM row_changes r WHERE r.change = l.change)";

/// The changes of command `command_id`, newest first.
pub async fn command_changes(conn: &mut PgConnection, command_id: &str) -> Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.change FROM provisioning_logs l
         WHERE l.command_id = $1::uuid AND {A_CHANGE}
         GROUP BY l.change ORDER BY max(l.id) DESC"
    )))
    .bind(command_id)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The newest changes of `person` (the one behind `sudo`, else the OS user) that are not
/// undos themselves, newest first.
pub async fn own_changes(conn: &mut PgConnection, person: &str, limit: i64) -> Result<Vec<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.change FROM provisioning_logs l
         WHERE coalesce(l.sudo_user, l.os_user) = $1 AND {A_CHANGE}
           AND NOT EXISTS (SELECT 1 FROM provisioning_logs u
                           WHERE u.change = l.change AND u.event = 'undo')
         GROUP BY l.change ORDER BY max(l.id) DESC LIMIT $2"
    )))
    .bind(person)
    .bind(limit)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The undo rows that name `change` as undone, newest first, with their own change.
pub async fn undos_of(conn: &mut PgConnection, change: &str) -> Result<Vec<ChangeEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ENTRY_SELECT} WHERE event = 'undo' AND outcome = 'ok'
           AND detail->>'undone_change' = $1 ORDER BY id DESC"
    )))
    .bind(change)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// The newest successful row about `net`, a block above it or anything inside it (the
/// version a plan on `net` saw).
pub async fn last_touching(conn: &mut PgConnection, net: &IpNet) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT max(id) FROM provisioning_logs
         WHERE (cidr && $1 OR address <<= $1) AND outcome = 'ok'",
    )
    .bind(net)
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// The journal rows the current transaction wrote, one line each: event, target and the
/// holder they name (what a plan is made of; the ids a new allocation or service gets
/// left out, they differ from run to run).
pub async fn this_transaction(conn: &mut PgConnection) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT concat_ws('|', event, coalesce(address, cidr)::text, detail->>'customer',
                          detail->>'device', detail->>'was',
                          CASE WHEN event NOT LIKE 'ipam_allocate%'
                                AND event NOT LIKE 'ipam_reserve%' AND event <> 'service_provision'
                               THEN concat_ws(',', detail->>'service', detail->>'allocation_id')
                          END)
         FROM provisioning_logs WHERE change = carve_change_key() ORDER BY id",
    )
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
