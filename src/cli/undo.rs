//! `carve undo [ID | --last]`: take a change back.

use super::output::{Output, clean, table};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::service::database;
use crate::service::undo::{self, Target, UndoOutcome};

#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// A journal id (`carve log` lists them; the whole change that wrote it is undone)
    /// or a command id (every change of that command, e.g. a provisioning).
    #[arg(
        value_name = "ID",
        required_unless_present = "last",
        conflicts_with = "last"
    )]
    id: Option<String>,
    /// Your newest change not undone yet (again: the one before it).
    #[arg(long)]
    last: bool,
    /// Show what would be put back, change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(args: UndoArgs, settings: &Settings, out: &Output) -> Result<()> {
    let target = match (&args.id, args.last) {
        (Some(id), _) => Target::parse(id)?,
        (None, true) => Target::Last,
        (None, false) => return Err(Error::validation("give a journal id or --last")),
    };
    let (db, _) = database::open(settings).await?;
    let outcome = undo::undo(&db, &target, args.dry_run).await?;
    out.emit(&outcome, undo_text);
    Ok(())
}

fn undo_text(outcome: &UndoOutcome) -> String {
    let verb = if outcome.dry_run {
        "would undo"
    } else {
        "undid"
    };
    let mut text = String::new();
    for change in &outcome.undone {
        let summary = undo::headline(&change.journal);
        if let Some(entry) = summary {
            text.push_str(&format!("{verb} {}\n", clean(&undo::describe(entry))));
        }
        for entry in change.journal.iter().filter(|e| Some(*e) != summary) {
            text.push_str(&format!("  with {}\n", clean(&undo::describe(entry))));
        }
        let rows: Vec<Vec<String>> = change
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.kind.to_owned(),
                    clean(&r.target),
                    r.action.to_owned(),
                    clean(&r.summary()),
                ]
            })
            .collect();
        text.push_str(&table(
            &["ROW", "TARGET", "ACTION", "WHAT CHANGES BACK"],
            &rows,
        ));
    }
    text
}
