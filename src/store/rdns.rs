//! Reverse DNS bookkeeping: the names carve holds per zone, the outbox of changes not yet
//! pushed (filled by triggers, migration 0010), each provider's last sync, and the drift
//! the last sync left.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use sqlx::PgConnection;

use super::db_error;
use crate::error::Result;
use crate::model::{Pending, PtrState, SyncRecord};

const PENDING_SELECT: &str = "SELECT address, ptr, generation, attempts,
        to_char(queued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS queued_at,
        ceil(extract(epoch FROM next_attempt_at - now()))::bigint AS due_in_secs, last_error
    FROM rdns_outbox";

/// Every name carve holds for addresses in `prefix`, but not in `except` (the prefixes of
/// its child zones).
pub async fn names_in(
    conn: &mut PgConnection,
    prefix: &IpNet,
    except: &[IpNet],
) -> Result<BTreeMap<IpAddr, String>> {
    let rows: Vec<(IpNet, String)> = sqlx::query_as(
        "SELECT address, rdns FROM ip_addresses
         WHERE address <<= $1 AND NOT address <<= ANY($2::inet[]) AND rdns IS NOT NULL
         ORDER BY address",
    )
    .bind(prefix)
    .bind(except)
    .fetch_all(conn)
    .await
    .map_err(db_error)?;
    Ok(rows.into_iter().map(|(a, n)| (a.addr(), n)).collect())
}

/// The outbox entries inside `prefix` but not in `except` (every entry with None),
/// oldest first.
pub async fn pending(
    conn: &mut PgConnection,
    prefix: Option<&IpNet>,
    except: &[IpNet],
) -> Result<Vec<Pending>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PENDING_SELECT} WHERE ($1::inet IS NULL OR address <<= $1)
           AND NOT address <<= ANY($2::inet[]) ORDER BY queued_at, address"
    )))
    .bind(prefix)
    .bind(except)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Removes the entries that were pushed, unless they were queued again meanwhile.
pub async fn settle(conn: &mut PgConnection, pushed: &[&Pending]) -> Result<()> {
    let (addresses, generations): (Vec<IpNet>, Vec<i64>) =
        pushed.iter().map(|p| (p.address, p.generation)).unzip();
    sqlx::query(
        "DELETE FROM rdns_outbox o USING unnest($1::inet[], $2::bigint[]) AS s(address, generation)
         WHERE o.address = s.address AND o.generation = s.generation",
    )
    .bind(addresses)
    .bind(generations)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Counts a failed attempt on entries that stay queued, and when to try them again:
/// 30 s, doubling per attempt, at most an hour apart.
pub async fn failed(conn: &mut PgConnection, entries: &[&Pending], error: &str) -> Result<()> {
    let (addresses, generations): (Vec<IpNet>, Vec<i64>) =
        entries.iter().map(|p| (p.address, p.generation)).unzip();
    sqlx::query(
        "UPDATE rdns_outbox o SET attempts = o.attempts + 1, last_error = $3,
                next_attempt_at = now() + least(interval '1 hour',
                                               interval '30 seconds' * power(2, least(o.attempts, 12)))
         FROM unnest($1::inet[], $2::bigint[]) AS s(address, generation)
         WHERE o.address = s.address AND o.generation = s.generation",
    )
    .bind(addresses)
    .bind(generations)
    .bind(error)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Records how a provider's sync ended; a good one clears the last error.
pub async fn record_sync(
    conn: &mut PgConnection,
    provider: &str,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO rdns_providers AS p (name, last_sync_at, last_ok_at, last_error, last_error_at)
         VALUES ($1, now(), CASE WHEN $2::text IS NULL THEN now() END, $2,
                 CASE WHEN $2::text IS NOT NULL THEN now() END)
         ON CONFLICT (name) DO UPDATE SET last_sync_at = now(),
             last_ok_at = coalesce(EXCLUDED.last_ok_at, p.last_ok_at),
             last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at",
    )
    .bind(provider)
    .bind(error)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn sync_record(conn: &mut PgConnection, provider: &str) -> Result<SyncRecord> {
    let stamp = |c: &str| {
        format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS {c}")
    };
    let found = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {}, {}, last_error, {} FROM rdns_providers WHERE name = $1",
        stamp("last_sync_at"),
        stamp("last_ok_at"),
        stamp("last_error_at")
    )))
    .bind(provider)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(found.unwrap_or_default())
}

/// How many changes wait in the outbox, and how long (seconds) the oldest has waited.
pub async fn outbox_depth(conn: &mut PgConnection) -> Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(queued_at)), 0)::bigint
         FROM rdns_outbox",
    )
    .fetch_one(conn)
    .await
    .map_err(db_error)
}

/// A provider's last good sync (Unix seconds) and whether its last sync was good; both
/// None when it never synced.
pub async fn sync_health(
    conn: &mut PgConnection,
    provider: &str,
) -> Result<(Option<i64>, Option<bool>)> {
    let found: Option<(Option<i64>, bool)> = sqlx::query_as(
        "SELECT extract(epoch FROM last_ok_at)::bigint, last_error IS NULL
         FROM rdns_providers WHERE name = $1",
    )
    .bind(provider)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(found.map_or((None, None), |(ok, good)| (ok, Some(good))))
}

/// Replaces what the last sync left different in `prefix` outside `except` (child zones
/// keep what their own sync left): address -> the name DNS serves (None: none).
pub async fn replace_drift(
    conn: &mut PgConnection,
    provider: &str,
    prefix: &IpNet,
    except: &[IpNet],
    drift: &[(IpAddr, Option<String>)],
) -> Result<()> {
    sqlx::query("DELETE FROM rdns_drift WHERE address <<= $1 AND NOT address <<= ANY($2::inet[])")
        .bind(prefix)
        .bind(except)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    let (addresses, found): (Vec<IpNet>, Vec<Option<String>>) = drift
        .iter()
        .map(|(a, f)| (IpNet::from(*a), f.clone()))
        .unzip();
    sqlx::query(
        "INSERT INTO rdns_drift (address, provider, found)
         SELECT address, $3, found FROM unnest($1::inet[], $2::text[]) AS s(address, found)",
    )
    .bind(addresses)
    .bind(found)
    .bind(provider)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// The PTR states inside `prefix`: names carve holds, queued changes, and drift.
pub async fn states_in(
    conn: &mut PgConnection,
    prefix: &IpNet,
    limit: i64,
) -> Result<Vec<PtrState>> {
    sqlx::query_as(
        "SELECT x.address, a.rdns, o.address IS NOT NULL AS pending, o.last_error,
                d.address IS NOT NULL AS drift, d.found AS dns
         FROM (SELECT address FROM ip_addresses WHERE address <<= $1 AND rdns IS NOT NULL
               UNION SELECT address FROM rdns_outbox WHERE address <<= $1
               UNION SELECT address FROM rdns_drift WHERE address <<= $1) x
         LEFT JOIN ip_addresses a ON a.address = x.address
         LEFT JOIN rdns_outbox o ON o.address = x.address
         LEFT JOIN rdns_drift d ON d.address = x.address
         ORDER BY x.address LIMIT $2",
    )
    .bind(prefix)
    .bind(limit)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Holds a lock so that one sync of a provider runs at a time; None when another holds
/// it. A row of carve_locks locked in a transaction left open on a connection of its
/// own (not an advisory key, which a role that may not write carve's data could take
/// and hold a sync off with); dropping the connection ends it, which releases the lock.
pub async fn lock_provider(db: &super::Db, provider: &str) -> Result<Option<PgConnection>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?.detach();
    let name = format!("rdns {provider}");
    sqlx::query("INSERT INTO carve_locks (name) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(&name)
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    sqlx::query("BEGIN")
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    let locked = sqlx::query("SELECT 1 FROM carve_locks WHERE name = $1 FOR UPDATE NOWAIT")
        .bind(&name)
        .execute(&mut conn)
        .await;
    match locked {
        Ok(_) => Ok(Some(conn)),
        // lock_not_available: another sync holds it.
        Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => {
            Ok(None)
        }
        Err(e) => Err(db_error(e)),
    }
}
