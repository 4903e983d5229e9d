//! Usage samples: a bulk ingest staged through COPY and checked as a whole before any
//! row lands, and one cycle's samples of a service read back.

use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;
use time::OffsetDateTime;

use super::super::errors::db_error;
use crate::billing::sample::Sample;
use crate::error::{Error, Result};

/// Bytes buffered before they go to the server.
const CHUNK: usize = 1 << 20;
/// Rows listed per kind of problem; the count covers them all.
const LISTED: i64 = 50;

/// An ingest in progress: rows stream into a temporary table (gone at the end of the
/// transaction) until [`Staging::finish`].
pub struct Staging<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buffer: Vec<u8>,
}

pub async fn stage(conn: &mut PgConnection) -> Result<Staging<'_>> {
    sqlx::query(
        "CREATE TEMP TABLE billing_ingest (row_no bigint, service_id bigint, epoch bigint,
             bytes_in bigint, bytes_out bigint) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let copy = conn
        .copy_in_raw("COPY billing_ingest FROM STDIN")
        .await
        .map_err(db_error)?;
    Ok(Staging {
        copy,
        buffer: Vec::with_capacity(CHUNK + 128),
    })
}

impl Staging<'_> {
    pub async fn push(&mut self, row: u64, s: &Sample) -> Result<()> {
        use std::io::Write;
        // COPY text format: tab-separated; every field is a number, nothing to escape.
        let _ = writeln!(
            self.buffer,
            "{row}\t{}\t{}\t{}\t{}",
            s.service_id, s.period_start, s.bytes_in, s.bytes_out
        );
        if self.buffer.len() >= CHUNK {
            self.copy
                .send(self.buffer.as_slice())
                .await
                .map_err(db_error)?;
            self.buffer.clear();
        }
        Ok(())
    }

    /// Ends the COPY; the rows are staged, not yet ingested.
    pub async fn finish(mut self) -> Result<u64> {
        if !self.buffer.is_empty() {
            self.copy
                .send(self.buffer.as_slice())
                .await
                .map_err(db_error)?;
        }
        self.copy.finish().await.map_err(db_error)
    }
}

/// Keeps every other writer of samples out until the transaction ends: an ingest holds
/// it from its checks to its commit, so two ingests cannot each pass the checks against
/// a table without the other's rows, and a close cannot miss rows committed after it
/// read the samples (see [`hold_for_close`]).
pub async fn hold_for_ingest(conn: &mut PgConnection) -> Result<()> {
    lock(conn, "SHARE ROW EXCLUSIVE").await
}

/// Waits for ingests and any other write of samples in progress, and keeps new ones
/// out until the close commits. Closes do not block each other here (they are
/// serialised per cycle by their own lock).
pub async fn hold_for_close(conn: &mut PgConnection) -> Result<()> {
    lock(conn, "SHARE").await
}

async fn lock(conn: &mut PgConnection, mode: &str) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE usage_samples IN {mode} MODE"
    )))
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Something wrong with staged rows: the first row it concerns, how many rows it
/// concerns, and (the same on every problem) how many rows are bad in all and how many
/// of those no listed problem names. One row can have several problems.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Problem {
    pub row_no: i64,
    pub message: String,
    pub rows: i64,
    pub bad_rows: i64,
    pub unlisted: i64,
}

/// Every problem of the staged rows against each other and the database: repeats in the
/// file, unknown services, periods stored with other counters, closed cycles. Up to
/// [`LISTED`] of each kind; unknown services and closed cycles are listed once per
/// service (and cycle) with the number of rows concerned.
pub async fn staged_problems(conn: &mut PgConnection) -> Result<Vec<Problem>> {
    sqlx::query("ANALYZE billing_ingest")
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    sqlx::query_as(
        // Only rows in a cycle something is closed in are looked at (none: no scan at all),
        // and the check runs once per (service, cycle), not per row (materialised).
        "WITH pairs AS MATERIALIZED (
             SELECT DISTINCT i.service_id, k.cycle
             FROM billing_ingest i
             JOIN (SELECT DISTINCT cycle FROM billing_cycle_closures) k
                 ON k.cycle = date_trunc('month', to_timestamp(i.epoch) AT TIME ZONE 'UTC')::date),
         closed AS (SELECT * FROM pairs WHERE billing_cycle_closed(service_id, cycle)),
         faults AS MATERIALIZED (
             SELECT 1 AS kind, row_no, row_no AS g1, NULL::date AS g2, first AS ref
             FROM (SELECT row_no, min(row_no) OVER (PARTITION BY service_id, epoch) AS first
                   FROM billing_ingest) d
             WHERE row_no <> first
             UNION ALL
             SELECT 2, row_no, service_id, NULL, NULL FROM billing_ingest i
             WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.id = i.service_id)
             UNION ALL
             SELECT 3, i.row_no, i.row_no, NULL, NULL FROM billing_ingest i
             JOIN usage_samples u ON u.service_id = i.service_id AND u.period_start = to_timestamp(i.epoch)
             WHERE (u.bytes_in, u.bytes_out) <> (i.bytes_in, i.bytes_out)
             UNION ALL
             SELECT 4, i.row_no, i.service_id, c.cycle, NULL FROM billing_ingest i
             JOIN closed c ON c.service_id = i.service_id
                 AND c.cycle = date_trunc('month', to_timestamp(i.epoch) AT TIME ZONE 'UTC')::date
             -- A row stored with the same counters changes nothing: re-sending it is fine.
             WHERE NOT EXISTS (SELECT 1 FROM usage_samples u
                               WHERE u.service_id = i.service_id AND u.period_start = to_timestamp(i.epoch)
                                 AND (u.bytes_in, u.bytes_out) = (i.bytes_in, i.bytes_out))),
         listed AS (
             SELECT * FROM (
                 SELECT kind, g1, g2, min(row_no) AS row_no, count(*) AS rows, min(ref) AS ref,
                        row_number() OVER (PARTITION BY kind ORDER BY min(row_no)) AS n
                 FROM faults GROUP BY kind, g1, g2) g
             WHERE n <= $1)
         SELECT l.row_no, CASE l.kind
                    WHEN 1 THEN format('service %s period %s repeats row %s', i.service_id, t.at, l.ref)
                    WHEN 2 THEN format('service %s does not exist', i.service_id)
                    WHEN 3 THEN format('service %s period %s is already stored with other counters (in %s, out %s)',
                                       i.service_id, t.at, u.bytes_in, u.bytes_out)
                    ELSE format('service %s period %s: cycle %s is closed; reopen it first: carve billing reopen --cycle %3$s --service %1$s',
                                i.service_id, t.at, to_char(l.g2, 'YYYY-MM')) END AS message,
                l.rows,
                (SELECT count(DISTINCT row_no) FROM faults) AS bad_rows,
                (SELECT count(DISTINCT row_no) FROM faults) - (
                    SELECT count(DISTINCT f.row_no) FROM faults f JOIN listed c
                    ON c.kind = f.kind AND c.g1 = f.g1 AND c.g2 IS NOT DISTINCT FROM f.g2) AS unlisted
         FROM listed l
         JOIN billing_ingest i ON i.row_no = l.row_no
         CROSS JOIN LATERAL (SELECT to_char(to_timestamp(i.epoch) AT TIME ZONE 'UTC',
                                            'YYYY-MM-DD\"T\"HH24:MI\"Z\"') AS at) t
         LEFT JOIN usage_samples u ON l.kind = 3 AND u.service_id = i.service_id
             AND u.period_start = to_timestamp(i.epoch)
         ORDER BY l.row_no, l.kind",
    )
    .bind(LISTED)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

/// Stores the staged rows; rows already stored with the same counters are left as they
/// are. Returns how many were new.
pub async fn ingest_staged(conn: &mut PgConnection) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO usage_samples (service_id, period_start, bytes_in, bytes_out)
         SELECT service_id, to_timestamp(epoch), bytes_in, bytes_out FROM billing_ingest
         ON CONFLICT (service_id, period_start) DO NOTHING",
    )
    .execute(conn)
    .await
    .map_err(
        |e| match e.as_database_error().and_then(|d| d.code()).as_deref() {
            // The frozen-cycle trigger: a cycle closed after the checks ran.
            Some("23000") => Error::conflict(
                e.as_database_error()
                    .map(|d| d.message().to_owned())
                    .unwrap_or_default(),
            ),
            _ => db_error(e),
        },
    )?;
    Ok(done.rows_affected())
}

/// One service's samples in `[from, to)`: (Unix seconds, bytes in, bytes out).
pub async fn samples(
    conn: &mut PgConnection,
    service_id: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<(i64, i64, i64)>> {
    sqlx::query_as(
        "SELECT extract(epoch FROM period_start)::bigint, bytes_in, bytes_out
         FROM usage_samples
         WHERE service_id = $1 AND period_start >= $2 AND period_start < $3",
    )
    .bind(service_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
