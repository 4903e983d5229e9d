//! `carve undo`: puts back what one change did (an allocation, release, split, merge,
//! park, edit, a whole provisioning), from the row history the database keeps
//! (migration 0009), when nothing since depends on it. One transaction; journaled as
//! `undo` events naming the change they undid.

mod check;
mod report;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::json;
use sqlx::PgConnection;

pub use report::{RowUndo, describe, headline};

use super::tx::{finish, journal_if_failed, retrying};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Event, JournalEntry};
use crate::store::history::{self, RowChange, Table, write};
use crate::store::journal;
use crate::store::{Db, attributes, carving, db_error};
use check::{Change, made};

/// What to undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The change that wrote this journal row (with every other row it wrote).
    Journal(i64),
    /// Every change of one command (its id, as `carve log --json` shows it), newest first.
    Command(String),
    /// The newest change of the person running carve that is not undone.
    Last,
}

impl Target {
    /// `57` or `#57` (a journal id), or a command id.
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

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Journal(id) => write!(f, "#{id}"),
            Target::Command(id) => write!(f, "command {id}"),
            Target::Last => f.write_str("--last"),
        }
    }
}

/// What an undo did (or, on a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct UndoOutcome {
    pub dry_run: bool,
    pub undone: Vec<Undone>,
    pub events: Vec<Event>,
}

/// One change undone: the journal rows it wrote and the rows put back.
#[derive(Debug, Clone, Serialize)]
pub struct Undone {
    pub journal: Vec<JournalEntry>,
    pub rows: Vec<RowUndo>,
}

/// The most reasons listed when an undo is refused.
const SHOWN: usize = 20;

pub async fn undo(db: &Db, target: &Target, dry_run: bool) -> Result<UndoOutcome> {
    let result = retrying!(undo_once(db, target, dry_run));
    let request = json!({"target": target.to_string()});
    journal_if_failed(db, "undo", request, dry_run, result).await
}

async fn undo_once(db: &Db, target: &Target, dry_run: bool) -> Result<UndoOutcome> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let mut changes = Vec::new();
    for key in keys(&mut tx, target).await? {
        changes.push(load(&mut tx, key).await?);
    }
    // Every root the changes reach, at once and in order: nothing moves under them.
    let nets: Vec<ipnet::IpNet> = changes.iter().flat_map(|c| nets(&c.rows)).collect();
    carving::lock_roots(&mut tx, &nets).await?;
    let (mut undone, mut events) = (Vec::new(), Vec::new());
    for change in &changes {
        let name = headline(&change.entries).map(describe).unwrap_or_default();
        if let Some(undo) = live_undo(&mut tx, &change.key).await? {
            let id = undo.id;
            return Err(Error::conflict(format!(
                "{name} was undone already, by #{id} (carve undo {id} puts it back)"
            )));
        }
        let mut blockers = check::blockers(&mut tx, change).await?;
        if !blockers.is_empty() {
            let more = blockers.len().saturating_sub(SHOWN);
            blockers.truncate(SHOWN);
            if more > 0 {
                blockers.push(format!("... and {more} more"));
            }
            return Err(Error::conflict(format!(
                "cannot undo {name}: later changes depend on it:\n  {}\nundo those first \
                 (newest first), or change the rows by hand",
                blockers.join("\n  ")
            )));
        }
        // A constraint the checks did not foresee: refused in the database's words.
        // Deadlocks and lost connections keep their kind (retried, or reported as such).
        let rows = apply(&mut tx, change).await.map_err(|e| match e.kind {
            ErrorKind::Internal => Error::conflict(format!(
                "cannot undo {name}: the database refused to put the rows back ({})",
                e.message
            )),
            _ => e,
        })?;
        events.extend(change.entries.iter().map(|e| undo_event(e, &change.key)));
        undone.push(Undone {
            journal: change.entries.clone(),
            rows,
        });
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

fn undo_event(entry: &JournalEntry, change: &str) -> Event {
    let detail = json!({"undoes": entry.id, "event": entry.event, "undone_change": change,
                        "command": entry.command_id, "by": entry.person()});
    Event {
        cidr: entry.cidr,
        address: entry.address,
        ..Event::new("undo", detail)
    }
}

/// The changes to undo, newest first.
async fn keys(conn: &mut PgConnection, target: &Target) -> Result<Vec<String>> {
    match target {
        Target::Journal(id) => {
            let found = journal::entry(conn, *id)
                .await?
                .ok_or_else(|| Error::not_found(format!("no journal row #{id} (carve log)")))?;
            let name = describe(&found.entry);
            if found.entry.outcome != "ok" {
                return Err(Error::validation(format!(
                    "{name} records a failed attempt: it changed nothing to undo"
                )));
            }
            let key = found.change.ok_or_else(|| {
                Error::validation(format!(
                    "{name} was journaled before carve kept row history: it cannot be undone"
                ))
            })?;
            Ok(vec![key])
        }
        Target::Command(command) => {
            let keys = journal::command_changes(conn, command).await?;
            if keys.is_empty() {
                return Err(Error::not_found(format!(
                    "command {command} changed no subnet, address or service (carve log --command {command})"
                )));
            }
            Ok(keys)
        }
        Target::Last => {
            let me = crate::actor::current().person().to_owned();
            for key in journal::own_changes(conn, &me, 100).await? {
                if live_undo(conn, &key).await?.is_none() {
                    return Ok(vec![key]);
                }
            }
            Err(Error::not_found(format!(
                "{me} has no change left to undo (carve log --actor {me})"
            )))
        }
    }
}

/// A change's journal rows and row images, or why it is not one to undo.
async fn load(conn: &mut PgConnection, key: String) -> Result<Change> {
    let entries = journal::entries_of(conn, &key).await?;
    let Some(summary) = headline(&entries) else {
        return Err(Error::validation(
            "that change journaled nothing that succeeded: nothing to undo",
        ));
    };
    let name = describe(summary);
    if entries.iter().all(|e| e.event == "cooldown_end") {
        return Err(Error::validation(format!(
            "{name} is housekeeping (a release cooldown ended): there is nothing to undo"
        )));
    }
    let rows = history::rows_of(conn, &key).await?;
    if rows.is_empty() {
        let hint = if summary.event.starts_with("billing_") {
            " (a closed billing cycle is reopened with carve billing reopen)"
        } else {
            ""
        };
        return Err(Error::validation(format!(
            "{name} changed no subnet, address or service: carve cannot undo it{hint}"
        )));
    }
    Ok(Change { key, entries, rows })
}

/// The undo that undid `change` and is itself still in force (an undo that was undone
/// put the change back), if any.
fn live_undo<'a>(
    conn: &'a mut PgConnection,
    change: &'a str,
) -> Pin<Box<dyn Future<Output = Result<Option<JournalEntry>>> + Send + 'a>> {
    Box::pin(async move {
        for undo in journal::undos_of(conn, change).await? {
            let Some(key) = undo.change else { continue };
            if live_undo(conn, &key).await?.is_none() {
                return Ok(Some(undo.entry));
            }
        }
        Ok(None)
    })
}

/// The CIDRs and addresses rows of a change name (their roots are locked).
fn nets(rows: &[RowChange]) -> Vec<ipnet::IpNet> {
    rows.iter()
        .filter_map(|r| {
            let key = if r.table == Table::Addresses {
                "address"
            } else {
                "cidr"
            };
            check::net(r.image()?.get(key)?)
        })
        .collect()
}

/// Puts every row back as it was before the change. The order keeps every foreign key
/// satisfied: rows the change made go first (addresses, then subnets in one statement so
/// a subtree goes at once), rows it deleted come back parents first, changed rows get
/// their own columns back, services it made go last, once nothing refers to them. Then
/// inherited locations and VLANs are computed again for every subnet put back.
async fn apply(conn: &mut PgConnection, change: &Change) -> Result<Vec<RowUndo>> {
    let (rows, ids) = (&change.rows, |table| change.ids(table, made));
    let mut columns = HashMap::new();
    for table in Table::ALL {
        columns.insert(table, write::columns(conn, table).await?);
    }
    write::remove(conn, Table::Addresses, &ids(Table::Addresses)).await?;
    write::remove(conn, Table::Subnets, &ids(Table::Subnets)).await?;
    let mut deleted: Vec<&RowChange> = rows
        .iter()
        .filter(|r| r.before.is_some() && r.after.is_none())
        .collect();
    deleted.sort_by_key(|r| (r.table, prefix_len(r)));
    for row in &deleted {
        if let Some(image) = &row.before {
            write::recreate(conn, row.table, &columns[&row.table], image).await?;
        }
    }
    let restored: Vec<&RowChange> = rows
        .iter()
        .filter(|r| r.before.is_some() && r.after.is_some() && r.is_own())
        .collect();
    for row in &restored {
        if let Some(image) = &row.before {
            write::restore(conn, row.table, &columns[&row.table], row.row_id, image).await?;
        }
    }
    write::remove(conn, Table::Services, &ids(Table::Services)).await?;
    let mut back: Vec<&RowChange> = deleted.into_iter().chain(restored).collect();
    back.retain(|r| r.table == Table::Subnets);
    back.sort_by_key(|r| prefix_len(r));
    for row in back {
        let parent = row
            .before
            .as_ref()
            .and_then(|b| b.get("parent_id")?.as_i64());
        for what in [attributes::Inherited::Location, attributes::Inherited::Vlan] {
            attributes::cascade(conn, row.row_id, parent, what).await?;
        }
    }
    Ok(rows
        .iter()
        .filter(|r| r.is_own())
        .filter_map(RowUndo::of)
        .collect())
}

/// A subnet row's prefix length (parents before children).
fn prefix_len(row: &RowChange) -> u8 {
    row.image()
        .and_then(|i| i.get("cidr")?.as_str()?.parse::<ipnet::IpNet>().ok())
        .map_or(0, |net| net.prefix_len())
}
