//! How an undo describes itself: journal rows in one line, and each row it put back with
//! what changed.

use serde::Serialize;
use serde_json::Value;

use crate::model::JournalEntry;
use crate::store::history::{NOT_OWN, RowChange, Table};

/// A row put back.
#[derive(Debug, Clone, Serialize)]
pub struct RowUndo {
    /// subnet, address or service.
    pub kind: &'static str,
    pub target: String,
    /// removed (the change made it), recreated (the change deleted it) or restored.
    pub action: &'static str,
    /// What the undo changes in it: `allocation_status allocated -> unallocated`.
    pub changes: Vec<String>,
}

impl RowUndo {
    /// "allocation_status allocated -> unallocated; description uplinks -> -".
    pub fn summary(&self) -> String {
        self.changes.join("; ")
    }

    pub fn of(change: &RowChange) -> Option<RowUndo> {
        let action = match (&change.before, &change.after) {
            (None, Some(_)) => "removed",
            (Some(_), None) => "recreated",
            (Some(_), Some(_)) => "restored",
            (None, None) => return None,
        };
        let changes = match (&change.after, &change.before) {
            (Some(now), Some(then)) => differences(now, then),
            _ => Vec::new(),
        };
        Some(RowUndo {
            kind: kind(change.table),
            target: target(change.table, change.image()),
            action,
            changes,
        })
    }
}

/// The own columns that differ, as `column old -> new`.
fn differences(now: &Value, then: &Value) -> Vec<String> {
    let (Some(now), Some(then)) = (now.as_object(), then.as_object()) else {
        return Vec::new();
    };
    then.iter()
        .filter(|(key, value)| !NOT_OWN.contains(&key.as_str()) && now.get(*key) != Some(value))
        .map(|(key, value)| {
            let old = now.get(key).map_or("-".to_owned(), shown);
            format!("{key} {old} -> {}", shown(value))
        })
        .collect()
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn kind(table: Table) -> &'static str {
    match table {
        Table::Services => "service",
        Table::Subnets => "subnet",
        Table::Addresses => "address",
    }
}

/// "10.0.0.0/29", "10.0.0.5" or "service 7".
pub fn target(table: Table, image: Option<&Value>) -> String {
    let field = |key: &str| {
        image
            .and_then(|i| i.get(key))
            .map(shown)
            .unwrap_or_default()
    };
    match table {
        Table::Services => format!("service {}", field("id")),
        Table::Subnets => field("cidr"),
        Table::Addresses => field("address"),
    }
}

/// "subnet 10.0.0.0/29".
pub fn label(change: &RowChange) -> String {
    format!(
        "{} {}",
        kind(change.table),
        target(change.table, change.image())
    )
}

/// The journal row that sums a change up: its last (an allocation is journaled after
/// the splits it made).
pub fn headline(entries: &[JournalEntry]) -> Option<&JournalEntry> {
    entries.last()
}

/// "#57 ipam_allocate_subnet 10.0.0.0/29 (alice, 2026-11-25T10:00:00.000Z)".
pub fn describe(entry: &JournalEntry) -> String {
    let target = entry
        .address
        .map(|a| a.addr().to_string())
        .or(entry.cidr.map(|c| c.to_string()))
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let who = entry.who();
    format!(
        "#{} {}{target} ({who}, {})",
        entry.id, entry.event, entry.at
    )
}
