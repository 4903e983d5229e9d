//! `carve billing ingest`: a usage file streamed into the database in one transaction,
//! or refused as a whole with every bad row named.

use std::io::BufRead;

use serde::Serialize;
use serde_json::json;

use super::super::progress::Progress;
use super::super::tx::journal_if_failed;
use crate::billing::sample;
use crate::error::{Error, Result};
use crate::input;
use crate::model::Event;
use crate::store::billing::usage;
use crate::store::journal;
use crate::store::{Db, db_error};

/// Problems listed in the error; the count covers them all.
const LISTED: usize = 50;

/// Rows read between two progress reports: a report per row would cost more than the row.
const REPORT_EVERY: u64 = 4096;

#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub file: String,
    /// Sample rows read (the header not counted).
    pub rows: u64,
    /// Rows that were new.
    pub ingested: u64,
    /// Rows already stored with the same counters (re-ingesting is a no-op).
    pub unchanged: u64,
}

/// Ingests `input` (called `name` in messages and the journal): every row is checked,
/// against the others and the database, before any is stored.
pub async fn ingest(
    db: &Db,
    name: &str,
    input: impl BufRead,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let result = ingest_once(db, name, input, progress).await;
    journal_if_failed(db, "billing_ingest", json!({"file": name}), false, result).await
}

async fn ingest_once(
    db: &Db,
    name: &str,
    mut input: impl BufRead,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    progress.stage("reading samples", 0);
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let mut staging = usage::stage(&mut tx).await?;
    let mut problems: Vec<String> = Vec::new();
    let mut bad_rows = 0_usize;
    let mut rows = 0_u64;
    let mut line = String::new();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for row in 1_u64.. {
        if !input::read_line(&mut input, &mut line, name, row, input::INGEST_LINE_MAX)? {
            break;
        }
        // A byte-order mark opens some exports, header or not.
        let text = if row == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        };
        let parsed = sample::fields(text.trim_end_matches(['\r', '\n']));
        let skipped = |fields: &Vec<&str>| {
            fields.iter().all(|f| f.is_empty()) || (rows == 0 && sample::is_header(fields))
        };
        if parsed.as_ref().is_ok_and(skipped) {
            continue;
        }
        rows += 1;
        if rows.is_multiple_of(REPORT_EVERY) {
            progress.advance(REPORT_EVERY);
        }
        match parsed.and_then(|fields| sample::parse(&fields, now)) {
            Ok(s) if bad_rows == 0 => staging.push(row, &s).await?,
            Ok(_) => {}
            Err(why) => {
                bad_rows += 1;
                if problems.len() < LISTED {
                    problems.push(format!("row {row}: {why}"));
                }
            }
        }
    }
    staging.finish().await?;
    progress.advance(rows % REPORT_EVERY);
    if bad_rows > 0 {
        return Err(refused(
            name,
            bad_rows,
            bad_rows - problems.len(),
            &problems,
        ));
    }
    if rows == 0 {
        return Err(Error::validation(format!(
            "{name} holds no samples (expected rows of service,period_start,bytes_in,bytes_out)"
        )));
    }
    progress.stage("checking samples", 0);
    usage::hold_for_ingest(&mut tx).await?;
    let staged = usage::staged_problems(&mut tx).await?;
    if let Some(first) = staged.first() {
        let list: Vec<String> = staged
            .iter()
            .map(|p| match p.rows {
                1 => format!("row {}: {}", p.row_no, p.message),
                n => format!(
                    "row {} (and {} more like it): {}",
                    p.row_no,
                    n - 1,
                    p.message
                ),
            })
            .collect();
        let count = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
        return Err(refused(
            name,
            count(first.bad_rows),
            count(first.unlisted),
            &list,
        ));
    }
    progress.stage("storing samples", 0);
    let ingested = usage::ingest_staged(&mut tx).await?;
    let report = IngestReport {
        file: name.to_owned(),
        rows,
        ingested,
        unchanged: rows - ingested,
    };
    journal::record(&mut tx, &Event::new("billing_ingest", json!(report))).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(report)
}

/// `count` bad rows, of which `more` are not in `problems`.
fn refused(name: &str, count: usize, more: usize, problems: &[String]) -> Error {
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    Error::validation(format!(
        "{name}: {count} bad row{}, nothing ingested: {}{tail}",
        if count == 1 { "" } else { "s" },
        problems.join("; ")
    ))
}
