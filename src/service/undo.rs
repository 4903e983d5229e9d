//! `carve undo`: puts back what one change did (an allocation, release, split, merge,
//! park, a whole provisioning), from the row history the database keeps (migration
//! 0009), when nothing changed those rows since and nothing new depends on them. One
//! transaction; journaled as `undo` events naming what they undid.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::tx::{finish, journal_if_failed, retrying};
use crate::error::{Error, ErrorKind, Result};
use crate::store::history::{self, RowChange, Table};
use crate::store::journal::{self, Event};
use crate::store::rows::JournalEntry;
use crate::store::{Db, db_error};

/// What to undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The change that wrote this journal row (with every other row it wrote).
    Journal(i64),
    /// Every change of one command (its id, as `carve log --json` shows it), newest first.
    Command(String),
    /// The newest change of the person running carve that was not undone yet.
    Last,
}

impl Target {
    /// `57` (a journal id) or a command id.
    pub fn parse(text: &str) -> Result<Target> {
        let text = text.trim().trim_start_matches('#');
        if let Ok(id) = text.parse::<i64>() {
            return Ok(Target::Journal(id));
        }
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(Target::Command(text.to_ascii_lowercase()));
        }
        Err(Error::validation(format!(
            "{text:?} is neither a journal id (a number, from `carve log`) nor a command id \
             (a UUID, from `carve log --json`)"
        )))
    }
}

/// What an undo did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct UndoOutcome {
    pub dry_run: bool,
    pub undone: Vec<Undone>,
    pub events: Vec<Event>,
}

/// One change undone: the journal rows it wrote and what happened to each row.
#[derive(Debug, Clone, Serialize)]
pub struct Undone {
    pub journal: Vec<JournalEntry>,
    pub rows: Vec<RowUndo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowUndo {
    /// subnet, address or service.
    pub kind: &'static str,
    pub target: String,
    /// removed (the change made it), recreated (the change deleted it) or restored.
    pub action: &'static str,
    /// Its state before the undo and after ("" when it does not exist).
    pub from: String,
    pub to: String,
}

pub async fn undo(db: &Db, target: &Target, dry_run: bool) -> Result<UndoOutcome> {
    let result = retrying!(undo_once(db, target, dry_run));
    let request = json!({"target": format!("{target:?}")});
    journal_if_failed(db, "undo", request, dry_run, result).await
}

async fn undo_once(db: &Db, target: &Target, dry_run: bool) -> Result<UndoOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let mut undone = Vec::new();
    let mut events = Vec::new();
    for xact in changes_of(&mut tx, target).await? {
        let (done, mut journaled) = undo_change(&mut tx, &xact).await?;
        undone.push(done);
        events.append(&mut journaled);
    }
    for event in &events {
        journal::record(&mut tx, event).await?;
    }
    finish(tx, dry_run).await?;
    Ok(UndoOutcome {
        dry_run,
        undone,
        events,
    })
}

/// The transactions to undo, newest first.
async fn changes_of(conn: &mut PgConnection, target: &Target) -> Result<Vec<String>> {
    match target {
        Target::Journal(id) => {
            let (entry, xact) = history::entry(conn, *id)
                .await?
                .ok_or_else(|| Error::not_found(format!("no journal row #{id} (carve log)")))?;
            if entry.outcome != "ok" {
                return Err(Error::validation(format!(
                    "{} records a failed attempt: it changed nothing to undo",
                    describe(&entry)
                )));
            }
            let xact = xact.ok_or_else(|| {
                Error::validation(format!(
                    "{} was journaled before carve kept row history: it cannot be undone",
                    describe(&entry)
                ))
            })?;
            Ok(vec![xact])
        }
        Target::Command(command) => {
            let xacts = history::command_changes(conn, command).await?;
            if xacts.is_empty() {
                return Err(Error::not_found(format!(
                    "command {command} changed no subnet, address or service (carve log --command {command})"
                )));
            }
            Ok(xacts)
        }
        Target::Last => {
            let me = crate::actor::current().os_user;
            let xact = history::last_change_by(conn, &me).await?.ok_or_else(|| {
                Error::not_found(format!(
                    "{me} has no change left to undo (carve log --actor {me})"
                ))
            })?;
            Ok(vec![xact])
        }
    }
}

/// Undoes one transaction's changes inside the caller's; returns what it did and the
/// `undo` events to journal.
async fn undo_change(conn: &mut PgConnection, xact: &str) -> Result<(Undone, Vec<Event>)> {
    let entries = history::entries_of(conn, xact).await?;
    // The last row of a change is its summary (the allocation after its splits).
    let Some(headline) = entries.last().cloned() else {
        return Err(Error::validation(
            "that transaction journaled no successful change: nothing to undo",
        ));
    };
    let name = describe(&headline);
    if entries.iter().all(|e| e.event == "cooldown_end") {
        return Err(Error::validation(format!(
            "{name} is housekeeping (a release cooldown ended): there is nothing to undo"
        )));
    }
    if let Some(undo) = history::undone_by(conn, xact).await? {
        return Err(Error::conflict(format!(
            "{name} was undone already, by #{undo} (carve undo {undo} puts it back)"
        )));
    }
    let changes = history::changes_in(conn, xact).await?;
    if changes.is_empty() {
        let hint = if headline.event.starts_with("billing_") {
            " (a closed billing cycle is reopened with carve billing reopen)"
        } else {
            ""
        };
        return Err(Error::validation(format!(
            "{name} changed no subnet, address or service: carve cannot undo it{hint}"
        )));
    }
    lock(conn, &changes).await?;
    let blockers = blockers(conn, &changes).await?;
    if !blockers.is_empty() {
        return Err(Error::conflict(format!(
            "cannot undo {name}: later changes depend on it:\n  {}\nundo those first (newest \
             first), or change the rows by hand",
            blockers.join("\n  ")
        )));
    }
    // A constraint the checks above did not foresee: refused, in the database's words.
    // Deadlocks and lost connections keep their kind (retried, or reported as such).
    let rows = apply(conn, &changes).await.map_err(|e| match e.kind {
        ErrorKind::Internal => Error::conflict(format!(
            "cannot undo {name}: the database refused to put the rows back ({})",
            e.message
        )),
        _ => e,
    })?;
    let events = entries
        .iter()
        .map(|e| {
            let detail = json!({"undoes": e.id, "event": e.event, "undone_xact": xact,
                                "command": e.command_id, "by": e.os_user});
            Event {
                cidr: e.cidr,
                address: e.address,
                ..Event::new("undo", detail)
            }
        })
        .collect();
    Ok((
        Undone {
            journal: entries,
            rows,
        },
        events,
    ))
}

/// Locks the roots of every subnet and address the change touched, then the rows.
async fn lock(conn: &mut PgConnection, changes: &[RowChange]) -> Result<()> {
    let nets: Vec<ipnet::IpNet> = changes
        .iter()
        .filter_map(|c| {
            let image = c.after.as_ref().or(c.before.as_ref())?;
            let key = if c.table == Table::Addresses {
                "address"
            } else {
                "cidr"
            };
            image
                .get(key)?
                .as_str()?
                .parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| {
                    let addr: std::net::IpAddr = image.get(key)?.as_str()?.parse().ok()?;
                    Some(addr.into())
                })
        })
        .collect();
    crate::store::carving::lock_roots(conn, &nets).await
}

/// Why the change cannot be undone: rows changed since (one line each, naming the
/// change), and rows added since that depend on rows the undo would remove.
async fn blockers(conn: &mut PgConnection, changes: &[RowChange]) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for table in [Table::Services, Table::Subnets, Table::Addresses] {
        let mine: Vec<&RowChange> = changes.iter().filter(|c| c.table == table).collect();
        let ids: Vec<i64> = mine.iter().map(|c| c.row_id).collect();
        let now = history::current(conn, table, &ids).await?;
        for change in mine {
            let current = now.get(&change.row_id);
            let same = match (current, &change.after) {
                (Some(now), Some(after)) => history::own_state(now) == history::own_state(after),
                (None, None) => true,
                _ => false,
            };
            if !same {
                let by = history::changed_since(conn, table, change.row_id, change.last).await?;
                let what = label(
                    change.table,
                    change.after.as_ref().or(change.before.as_ref()),
                );
                lines.push(format!(
                    "{what} changed since, {}",
                    by_whom(conn, by).await?
                ));
            }
        }
    }
    let ids = |table| -> Vec<i64> {
        changes
            .iter()
            .filter(|c| c.table == table)
            .map(|c| c.row_id)
            .collect()
    };
    let since = changes.iter().map(|c| c.last).max().unwrap_or_default();
    let dependents = history::dependents(
        conn,
        since,
        &ids(Table::Subnets),
        &ids(Table::Services),
        &ids(Table::Addresses),
    )
    .await?;
    for d in dependents {
        let by = by_whom(conn, Some(d.xact)).await?;
        let kind = kind(d.table);
        lines.push(format!("{kind} {} was added since, {by}", d.target));
    }
    Ok(lines)
}

/// "by #60 ipam_allocate_subnet 10.0.0.8/29 (bob, at)" for a transaction.
async fn by_whom(conn: &mut PgConnection, xact: Option<String>) -> Result<String> {
    let entries = match &xact {
        Some(xact) => history::entries_of(conn, xact).await?,
        None => Vec::new(),
    };
    Ok(match entries.last() {
        Some(entry) => format!("by {}", describe(entry)),
        None => "outside carve (no journal row)".to_owned(),
    })
}

/// Puts every row back as it was before the change. Order keeps every foreign key
/// satisfied at each step: rows the change made go first (addresses before subnets,
/// one statement per table so a subtree goes at once), rows it deleted come back
/// parents first, then changed rows get their old values, and services the change made
/// go last, once nothing refers to them.
async fn apply(conn: &mut PgConnection, changes: &[RowChange]) -> Result<Vec<RowUndo>> {
    let made = |table| -> Vec<i64> {
        changes
            .iter()
            .filter(|c| c.table == table && c.before.is_none() && c.after.is_some())
            .map(|c| c.row_id)
            .collect()
    };
    history::remove(conn, Table::Addresses, &made(Table::Addresses)).await?;
    history::remove(conn, Table::Subnets, &made(Table::Subnets)).await?;
    let mut columns = HashMap::new();
    for table in [Table::Services, Table::Subnets, Table::Addresses] {
        columns.insert(table, history::columns(conn, table).await?);
    }
    let mut deleted: Vec<&RowChange> = changes
        .iter()
        .filter(|c| c.before.is_some() && c.after.is_none())
        .collect();
    deleted.sort_by_key(|c| (c.table, prefix_len(c.before.as_ref())));
    for change in deleted {
        if let Some(image) = &change.before {
            history::recreate(conn, change.table, &columns[&change.table], image).await?;
        }
    }
    for change in changes.iter().filter(|c| own_change(c)) {
        if let (Some(before), Some(_)) = (&change.before, &change.after) {
            let table = change.table;
            history::restore(conn, table, &columns[&table], change.row_id, before).await?;
        }
    }
    history::remove(conn, Table::Services, &made(Table::Services)).await?;
    Ok(changes
        .iter()
        .filter(|c| own_change(c))
        .filter_map(row_undo)
        .collect())
}

/// Whether the change touched the row's own state, not only the copies the database
/// keeps of its parent (a park cascading down a subtree changes those alone).
fn own_change(change: &RowChange) -> bool {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) => history::own_state(before) != history::own_state(after),
        _ => true,
    }
}

/// A subnet image's prefix length, so parents are recreated before their children.
fn prefix_len(image: Option<&Value>) -> u8 {
    image
        .and_then(|i| i.get("cidr")?.as_str()?.parse::<ipnet::IpNet>().ok())
        .map_or(0, |net| net.prefix_len())
}

fn row_undo(change: &RowChange) -> Option<RowUndo> {
    let (action, from, to) = match (&change.before, &change.after) {
        (None, Some(after)) => ("removed", state(change.table, after), String::new()),
        (Some(before), None) => ("recreated", String::new(), state(change.table, before)),
        (Some(before), Some(after)) => (
            "restored",
            state(change.table, after),
            state(change.table, before),
        ),
        (None, None) => return None,
    };
    let image = change.after.as_ref().or(change.before.as_ref());
    Some(RowUndo {
        kind: kind(change.table),
        target: target(change.table, image),
        action,
        from,
        to,
    })
}

fn kind(table: Table) -> &'static str {
    match table {
        Table::Services => "service",
        Table::Subnets => "subnet",
        Table::Addresses => "address",
    }
}

/// "10.0.0.0/29", "10.0.0.5" or "service 7".
fn target(table: Table, image: Option<&Value>) -> String {
    let field = |key: &str| {
        image
            .and_then(|i| i.get(key))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    match table {
        Table::Services => format!("service {}", field("id")),
        Table::Subnets => field("cidr"),
        Table::Addresses => field("address"),
    }
}

fn label(table: Table, image: Option<&Value>) -> String {
    format!("{} {}", kind(table), target(table, image))
}

/// A row's state in a word or two: a subnet's status, an address's use, a service's
/// status; "parked" added when it is.
fn state(table: Table, image: &Value) -> String {
    let text = |key: &str| image.get(key).and_then(Value::as_str).unwrap_or_default();
    let parked = image.get("is_unavailable") == Some(&Value::Bool(true));
    let base = match table {
        Table::Services => text("status").to_owned(),
        Table::Subnets => text("allocation_status").to_owned(),
        Table::Addresses => "assigned".to_owned(),
    };
    if parked {
        format!("{base}, parked")
    } else {
        base
    }
}

/// "#57 ipam_allocate_subnet 10.0.0.0/29 (alice, 2026-11-25T10:00:00.000Z)".
pub fn describe(entry: &JournalEntry) -> String {
    let target = entry
        .address
        .map(|a| a.addr().to_string())
        .or(entry.cidr.map(|c| c.to_string()))
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    let who = entry.os_user.as_deref().unwrap_or(&entry.db_role);
    format!(
        "#{} {}{target} ({who}, {})",
        entry.id, entry.event, entry.at
    )
}
