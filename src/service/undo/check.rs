//! Whether a change can be undone: nothing changed its rows since (except carve's own
//! housekeeping), the subnets its rows would come back into are as they were, nothing
//! added since hangs off what it would remove or re-state, and nothing took the place
//! of what it would bring back.

use std::collections::BTreeSet;

use ipnet::IpNet;
use serde_json::Value;
use sqlx::PgConnection;

use super::report::{describe, headline, label};
use crate::error::Result;
use crate::model::JournalEntry;
use crate::store::history::{self, LaterWrite, RowChange, Table};
use crate::store::journal;

/// One change: its journal rows and the rows it wrote.
#[derive(Debug, Clone)]
pub struct Change {
    pub key: String,
    pub entries: Vec<JournalEntry>,
    pub rows: Vec<RowChange>,
}

impl Change {
    /// The history id after which writes are later than the change.
    pub fn since(&self) -> i64 {
        self.rows.iter().map(|r| r.last).max().unwrap_or_default()
    }

    /// Ids of the change's rows of `table` that pass `keep`.
    pub fn ids(&self, table: Table, keep: impl Fn(&RowChange) -> bool) -> Vec<i64> {
        self.rows
            .iter()
            .filter(|r| r.table == table && keep(r))
            .map(|r| r.row_id)
            .collect()
    }
}

/// Rows the change inserted (the undo removes them).
pub fn made(row: &RowChange) -> bool {
    row.before.is_none() && row.after.is_some()
}

/// Why `change` cannot be undone, one line each; empty when it can.
pub async fn blockers(conn: &mut PgConnection, change: &Change) -> Result<Vec<String>> {
    let mut lines = changed_since(conn, change).await?;
    lines.extend(containers(conn, change).await?);
    let restated = |r: &RowChange| {
        made(r) || (r.after.is_some() && history::restates(r.before.as_ref(), r.after.as_ref()))
    };
    let dependents = history::dependents(
        conn,
        change.since(),
        &change.ids(Table::Subnets, restated),
        &change.ids(Table::Services, restated),
        &change.ids(Table::Subnets, |_| true),
        &change.ids(Table::Addresses, |_| true),
    )
    .await?;
    for d in dependents {
        let by = by_whom(conn, Some(d.change)).await?;
        let kind = super::report::kind(d.table);
        lines.push(format!("{kind} {} was added since, {by}", d.target));
    }
    let back = |key: &str, table| -> Vec<IpNet> {
        change
            .rows
            .iter()
            .filter(|r| r.table == table && r.after.is_none())
            .filter_map(|r| net(r.before.as_ref()?.get(key)?))
            .collect()
    };
    let taken = history::taken(
        conn,
        &back("cidr", Table::Subnets),
        &back("address", Table::Addresses),
    )
    .await?;
    for (target, by) in taken {
        let by = by_whom(conn, by).await?;
        lines.push(format!("{target} is in use again, {by}"));
    }
    for service in history::billed(conn, &change.ids(Table::Services, made)).await? {
        lines.push(format!(
            "service {service} has billing records (a plan, usage or invoices)"
        ));
    }
    Ok(lines)
}

/// Rows whose own state is not what the change left.
async fn changed_since(conn: &mut PgConnection, change: &Change) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for table in Table::ALL {
        let ids = change.ids(table, RowChange::is_own);
        let now = history::current(conn, table, &ids).await?;
        for row in change
            .rows
            .iter()
            .filter(|r| r.table == table && r.is_own())
        {
            let same = match (now.get(&row.row_id), &row.after) {
                (Some(now), Some(after)) => history::holds(now, after),
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            let writes = history::writes_since(conn, table, row.row_id, row.last).await?;
            match who_changed(conn, &writes, |w| w.own).await? {
                Some(by) => lines.push(format!("{} changed since, {by}", label(row))),
                // Only a cooldown ending touched it: the undo puts the row back whole.
                None if !writes.is_empty() => {}
                None => lines.push(format!("{} changed since, outside carve", label(row))),
            }
        }
    }
    Ok(lines)
}

/// The subnets that rows the change deleted would come back into must still exist, with
/// the status, pool and parked state the change left them.
async fn containers(conn: &mut PgConnection, change: &Change) -> Result<Vec<String>> {
    let own_subnets: BTreeSet<i64> = change.ids(Table::Subnets, |_| true).into_iter().collect();
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    for row in change.rows.iter().filter(|r| r.after.is_none()) {
        let (Some(before), Some(column)) = (&row.before, row.table.container_column()) else {
            continue;
        };
        let Some(id) = before.get(column).and_then(Value::as_i64) else {
            continue;
        };
        if own_subnets.contains(&id) || !seen.insert(id) {
            continue;
        }
        let writes = history::writes_since(conn, Table::Subnets, id, change.since()).await?;
        if let Some(by) = who_changed(conn, &writes, |w| w.restates).await? {
            let cidr_key = if row.table == Table::Subnets {
                "parent_cidr"
            } else {
                "subnet_cidr"
            };
            let cidr = before.get(cidr_key).and_then(Value::as_str).unwrap_or("?");
            lines.push(format!(
                "{}'s subnet {cidr} changed since, {by}",
                label(row)
            ));
        }
    }
    Ok(lines)
}

/// "by #60 ..." for the newest write that `matters` and was not carve's housekeeping;
/// None when there is none.
async fn who_changed(
    conn: &mut PgConnection,
    writes: &[LaterWrite],
    matters: impl Fn(&LaterWrite) -> bool,
) -> Result<Option<String>> {
    for write in writes.iter().filter(|w| matters(w)) {
        let entries = journal::entries_of(conn, &write.change).await?;
        if !entries.is_empty() && entries.iter().all(|e| e.event == "cooldown_end") {
            continue;
        }
        return Ok(Some(by_whom(conn, Some(write.change.clone())).await?));
    }
    Ok(None)
}

/// "by #60 ipam_allocate_subnet 10.0.0.8/29 (bob, at)" for a change.
pub async fn by_whom(conn: &mut PgConnection, change: Option<String>) -> Result<String> {
    let entries = match &change {
        Some(change) => journal::entries_of(conn, change).await?,
        None => Vec::new(),
    };
    Ok(match headline(&entries) {
        Some(entry) => format!("by {}", describe(entry)),
        None => "outside carve (no journal row)".to_owned(),
    })
}

/// A CIDR or a bare address (a row image's `cidr` or `address`) as a prefix.
pub(super) fn net(value: &Value) -> Option<IpNet> {
    let text = value.as_str()?;
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}
