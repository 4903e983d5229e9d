//! `carve import FILE`: a spreadsheet becomes subnets and addresses in one transaction,
//! or, when any row is wrong, nothing changes and every wrong row is reported.
//! Re-importing the same file finds everything in place and changes nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;

pub use super::progress::{Progress, Quiet};
use super::tx::{journal_failure, retrying};
use crate::error::{Error, ErrorKind, Result};
use crate::import::records::Filled;
use crate::import::values::Status;
use crate::import::{self, NewIp, NewSubnet, Plan, Problem, Records};
use crate::model::Event;
use crate::store::import as store;
use crate::store::journal;
use crate::store::{Db, carving, db_error};

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub path: PathBuf,
    /// Only this sheet of a workbook.
    pub sheet: Option<String>,
    /// The location of new root blocks whose rows name none.
    pub location: Option<String>,
    /// Columns whose blank cells take the value above (a merged cell).
    pub fill_down: Vec<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub dry_run: bool,
    /// Rows with content (header rows aside).
    pub rows: usize,
    /// Blank rows and free addresses.
    pub skipped: usize,
    /// Subnets created, buddy steps and free halves included.
    pub subnets: usize,
    /// Of those, the ones that rows name.
    pub subnets_from_rows: usize,
    /// Free subnets carve had that took a row's meaning.
    pub assigned: usize,
    pub ips: usize,
    /// Rows carve holds already, as they are.
    pub unchanged: usize,
    pub customers: Vec<String>,
    pub ignored_columns: Vec<String>,
    pub ignored_sheets: Vec<String>,
    /// Values carve has no place for, per column (VRFs, MACs, interfaces, switch ports).
    pub not_carried: Vec<String>,
    /// Blank cells `--fill-down` filled from the row above.
    pub filled: Vec<Filled>,
    /// What each status of the file became, with how many rows.
    pub statuses: Vec<StatusMapping>,
    pub problems: Vec<Problem>,
    /// What would be (or was) created or set, one line each.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StatusMapping {
    /// As the file writes it.
    pub status: String,
    pub became: String,
    pub rows: usize,
}

pub async fn import(
    db: &Db,
    request: &ImportRequest,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    progress.stage("reading", 0);
    let (path, sheet) = (request.path.clone(), request.sheet.clone());
    let fill_down = request.fill_down.clone();
    let records = tokio::task::spawn_blocking(move || {
        let sheets = import::read::read(&path, sheet.as_deref())?;
        import::records::records_with(&sheets, &fill_down)
            .map_err(|e| Error::validation(format!("{}: {e}", path.display())))
    })
    .await
    .map_err(|e| Error::internal(format!("reading the file failed: {e}")))??;
    let result = retrying!(attempt(db, request, &records, progress));
    if let Err(error) = &result
        && !request.dry_run
    {
        let request = json!({"file": request.path.display().to_string(), "rows": records.rows});
        journal_failure(db, "import", error, request).await;
    }
    result
}

async fn attempt(
    db: &Db,
    request: &ImportRequest,
    records: &Records,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    progress.stage("planning", 0);
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let nets: Vec<ipnet::IpNet> = records
        .subnets
        .iter()
        .map(|s| s.cidr)
        .chain(records.ips.iter().map(|ip| ip.address.into()))
        .collect();
    if !request.dry_run {
        // One import at a time: a second waits, then finds the first's rows in place.
        store::one_at_a_time(&mut tx).await?;
    }
    let roots = store::roots_over(&mut tx, &nets).await?;
    if !request.dry_run {
        // A dry run writes nothing, so a read-only role may run it: it takes no locks.
        carving::lock_roots(&mut tx, &roots).await?;
    }
    let existing = store::existing(&mut tx, &roots).await?;
    if let Some(location) = &request.location
        && !existing.locations.contains(location)
    {
        return Err(Error::not_found(format!(
            "--location {location:?} is not a location carve knows (carve location add {location:?})"
        )));
    }
    let plan = import::plan(records, &existing, request.location.as_deref());
    let report = report(request, records, &plan);
    let nothing = plan.subnets.is_empty()
        && plan.assign.is_empty()
        && plan.ips.is_empty()
        && plan.make_pools.is_empty();
    if !plan.problems.is_empty() || request.dry_run || nothing {
        tx.rollback().await.map_err(db_error)?;
        return Ok(report);
    }
    let customers: Vec<String> = plan.customers.iter().cloned().collect();
    let ids = store::ids(&mut tx, &customers).await?;
    let subdivided = store::subdivide(&mut tx, &plan.subdivide).await?;
    let assign: Vec<&NewSubnet> = plan.assign.iter().collect();
    let assigned = store::update_blank(&mut tx, &assign, &ids).await?;
    let pools = store::make_pools(&mut tx, &plan.make_pools).await?;
    if subdivided != plan.subdivide.len() as u64
        || assigned != plan.assign.len() as u64
        || pools != plan.make_pools.len() as u64
    {
        return Err(Error::internal(
            "import: free subnets changed under the import's lock",
        ));
    }
    progress.stage("writing subnets", plan.subnets.len() as u64);
    let advance = |n| progress.advance(n);
    store::insert_subnets(&mut tx, &plan.subnets, &ids, &advance)
        .await
        .map_err(overlap_meanwhile)?;
    progress.stage("writing addresses", plan.ips.len() as u64);
    let ips = store::insert_ips(&mut tx, &plan.ips, &ids)
        .await
        .map_err(overlap_meanwhile)?;
    if ips != plan.ips.len() as u64 {
        return Err(Error::internal("import: an address found no pool"));
    }
    progress.advance(plan.ips.len() as u64);
    let detail = json!({"file": report.file, "sheet": request.sheet, "rows": report.rows,
                        "subnets": report.subnets, "subnets_from_rows": report.subnets_from_rows,
                        "assigned": report.assigned, "ips": report.ips,
                        "unchanged": report.unchanged, "customers": report.customers.len()});
    journal::record(&mut tx, &Event::new("import", detail)).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(report)
}

/// A block another carve added meanwhile (an overlapping root, the same CIDR): try
/// again from the start, which then finds it and reports or skips the row.
fn overlap_meanwhile(error: Error) -> Error {
    let raced = [
        "subnets_no_overlapping_roots",
        "subnets_cidr_key",
        "ip_addresses_address_key",
    ];
    if raced.iter().any(|c| error.message.contains(c)) {
        Error::new(ErrorKind::Busy, error.message)
    } else {
        error
    }
}

fn report(request: &ImportRequest, records: &Records, plan: &Plan) -> ImportReport {
    let from_rows = plan.subnets.iter().filter(|s| s.at.is_some()).count();
    let assigned: std::collections::HashSet<_> = plan.assign.iter().map(|s| s.cidr).collect();
    let mut statuses: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut changes: Vec<String> = plan
        .subnets
        .iter()
        .chain(&plan.assign)
        .filter(|s| s.at.is_some())
        .map(|s| {
            let m = &s.meaning;
            // Free space carve has that takes the row's meaning is set, not created.
            let verb = if assigned.contains(&s.cidr) {
                "set"
            } else {
                "create"
            };
            let state = subnet_state(s);
            if let Some(written) = &s.note.written_status {
                *statuses
                    .entry((written.clone(), state.clone()))
                    .or_default() += 1;
            }
            let mut line = format!("{verb} subnet {} {}", s.cidr, state_word(s));
            for (key, value) in [("customer", &m.customer), ("location", &m.location)] {
                if let Some(v) = value {
                    line.push_str(&format!(" {key}={v}"));
                }
            }
            if m.pool {
                line.push_str(" pool");
            }
            if m.parked {
                line.push_str(" parked");
            }
            for reason in [&s.note.reserve_reason, &s.note.park_reason] {
                line.push_str(&self::reason(reason));
            }
            line
        })
        .collect();
    changes.extend(
        plan.make_pools
            .iter()
            .map(|p| format!("set subnet {p} pool (the file's addresses lie in it)")),
    );
    changes.extend(plan.ips.iter().map(|ip| {
        let holder = ip.meaning.customer.as_deref().unwrap_or("-");
        let state = ip_state(ip);
        if let Some(written) = &ip.note.written_status {
            *statuses
                .entry((written.clone(), state.clone()))
                .or_default() += 1;
        }
        format!(
            "create ip {} in {} {state} customer={holder}",
            ip.address, ip.pool
        )
    }));
    ImportReport {
        file: request.path.display().to_string(),
        dry_run: request.dry_run,
        rows: records.rows,
        skipped: records.skipped,
        subnets: plan.subnets.len(),
        subnets_from_rows: from_rows,
        assigned: plan.assign.len(),
        ips: plan.ips.len(),
        unchanged: plan.unchanged,
        customers: plan.customers.iter().cloned().collect(),
        ignored_columns: records.ignored_columns.clone(),
        ignored_sheets: records.ignored_sheets.clone(),
        not_carried: records.not_carried.clone(),
        filled: records.filled.clone(),
        statuses: statuses
            .into_iter()
            .map(|((status, became), rows)| StatusMapping {
                status,
                became,
                rows,
            })
            .collect(),
        problems: plan.problems.clone(),
        changes,
    }
}

/// `block`, `allocated`, `reserved`, `free`.
fn state_word(s: &NewSubnet) -> &'static str {
    match (s.subdivided, s.meaning.status) {
        (true, _) => "block",
        (false, Some(status)) => status.as_str(),
        (false, None) => "free",
    }
}

/// `block`, `allocated pool`, `free, parked (Deprecated)`, `reserved (DHCP)`.
fn subnet_state(s: &NewSubnet) -> String {
    let m = &s.meaning;
    let mut state = state_word(s).to_owned();
    if m.pool {
        state.push_str(" pool");
    }
    with_reasons(
        state,
        m.parked,
        &s.note,
        !s.subdivided && m.status == Some(Status::Reserved),
    )
}

/// `allocated`, `reserved (DHCP)`, `parked (Offline)`.
fn ip_state(ip: &NewIp) -> String {
    let m = &ip.meaning;
    match (m.reserved, m.parked) {
        (true, parked) => with_reasons("reserved".to_owned(), parked, &ip.note, true),
        (false, true) => {
            with_reasons("parked".to_owned(), false, &ip.note, false)
                + &reason(&ip.note.park_reason)
        }
        (false, false) => "allocated".to_owned(),
    }
}

fn reason(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}

fn with_reasons(
    mut state: String,
    parked: bool,
    note: &import::plan::Note,
    reserved: bool,
) -> String {
    if reserved {
        state.push_str(&reason(&note.reserve_reason));
    }
    if parked {
        state.push_str(", parked");
        state.push_str(&reason(&note.park_reason));
    }
    state
}
