//! "The plan you confirm is the change you get": a dry run returns what it saw and what
//! it will do; the real run, given that plan, compares inside its transaction (under the
//! same locks, before commit) and refuses with [`ErrorKind::Changed`] when the tree
//! changed underneath, so the caller can show the new plan and ask again.

use std::cell::RefCell;

use ipnet::IpNet;
use sqlx::PgConnection;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Event;
use crate::store::journal;

/// What a plan saw and will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The journal events the change writes, in order, by name and CIDR (the address, for
    /// an address record): the block or address taken and every split or merge step.
    pub steps: Vec<(&'static str, Option<IpNet>)>,
    /// For an action on one block: the newest journal row about the block, the blocks
    /// above it or anything inside it (its holder, a park above, an allocation below).
    pub seen: Option<i64>,
}

impl Plan {
    pub fn of(events: &[Event], seen: Option<i64>) -> Plan {
        Plan {
            steps: events
                .iter()
                .map(|e| (e.event, e.address.or(e.cidr)))
                .collect(),
            seen,
        }
    }

    /// Ok when `now` (the real run's own plan) is this one; else the refusal naming
    /// what changed.
    pub fn check(&self, now: &Plan, what: &str) -> Result<()> {
        if self.seen != now.seen {
            return Err(Error::new(
                ErrorKind::Changed,
                format!(
                    "{what} changed since the plan (journal #{}): nothing was done",
                    { now.seen.map_or("-".to_owned(), |id| id.to_string()) }
                ),
            ));
        }
        if self.steps != now.steps {
            return Err(Error::new(
                ErrorKind::Changed,
                format!(
                    "the tree changed since the plan: {what} would now {}: nothing was done",
                    describe(&now.steps)
                ),
            ));
        }
        Ok(())
    }
}

fn describe(steps: &[(&'static str, Option<IpNet>)]) -> String {
    steps
        .iter()
        .map(|(event, cidr)| match cidr {
            Some(c) => format!("{} {c}", event.trim_start_matches("ipam_")),
            None => event.trim_start_matches("ipam_").to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a change runs: for real, as a dry run (its plan), or for real only while it is
/// still the plan that was shown.
#[derive(Debug, Clone, Copy)]
pub enum Run<'a> {
    Real,
    DryRun,
    AsPlanned(&'a Plan),
}

/// A plain `dry_run` flag: a dry run, or for real with no plan to hold to.
impl From<bool> for Run<'_> {
    fn from(dry_run: bool) -> Self {
        if dry_run { Run::DryRun } else { Run::Real }
    }
}

impl Run<'_> {
    pub fn is_dry(&self) -> bool {
        matches!(self, Run::DryRun)
    }

    pub fn expected(&self) -> Option<&Plan> {
        match self {
            Run::AsPlanned(plan) => Some(plan),
            _ => None,
        }
    }
}

/// What a command run on behalf of the palette is held to: the fingerprint of the plan
/// shown, and the one this run's transaction made.
#[derive(Debug, Default)]
struct Held {
    expected: Option<String>,
    seen: Option<String>,
}

tokio::task_local! {
    static HELD: RefCell<Held>;
}

/// Runs `work` (one CLI command); every transaction it finishes is fingerprinted, and
/// with `expected` one that differs is refused before commit. Returns the fingerprint of
/// the last one, to print for a dry run.
pub async fn held_to<F: Future>(expected: Option<String>, work: F) -> (F::Output, Option<String>) {
    let held = RefCell::new(Held {
        expected,
        seen: None,
    });
    HELD.scope(held, async {
        let output = work.await;
        let seen = HELD.with(|h| h.borrow_mut().seen.take());
        (output, seen)
    })
    .await
}

/// Before a transaction commits (or a dry run rolls back): the fingerprint of what it
/// journaled, compared with the plan this command is held to. Nothing to do outside
/// [`held_to`] (the UI's own actions carry a [`Plan`]).
pub(crate) async fn check_transaction(conn: &mut PgConnection) -> Result<()> {
    let Ok(expected) = HELD.try_with(|h| h.borrow().expected.clone()) else {
        return Ok(());
    };
    let lines = journal::this_transaction(conn).await?;
    let seen = fingerprint(&lines);
    let _ = HELD.try_with(|h| h.borrow_mut().seen = Some(seen.clone()));
    match expected {
        Some(expected) if expected != seen => Err(Error::new(
            ErrorKind::Changed,
            "the tree changed since the plan was shown: nothing was done (its --dry-run \
             shows the plan now)",
        )),
        _ => Ok(()),
    }
}

/// A short, stable digest of a plan's lines.
fn fingerprint(lines: &[String]) -> String {
    format!("{:016x}", crate::os::fnv1a(lines.join("\n").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(steps: &[(&'static str, &str)], seen: Option<i64>) -> Plan {
        Plan {
            steps: steps
                .iter()
                .map(|(e, c)| (*e, Some(c.parse().unwrap())))
                .collect(),
            seen,
        }
    }

    #[test]
    fn another_block_or_another_step_is_a_changed_plan() {
        let shown = plan(&[("ipam_allocate_subnet", "203.0.113.184/29")], None);
        assert!(shown.check(&shown.clone(), "the allocation").is_ok());
        let now = plan(
            &[
                ("ipam_subnet_split", "203.0.113.192/28"),
                ("ipam_allocate_subnet", "203.0.113.192/29"),
            ],
            None,
        );
        let e = shown.check(&now, "the allocation").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Changed);
        assert!(
            e.message
                .contains("subnet_split 203.0.113.192/28, allocate_subnet 203.0.113.192/29"),
            "{}",
            e.message
        );
        let e = plan(&[], Some(7))
            .check(&plan(&[], Some(9)), "203.0.113.0/26")
            .unwrap_err();
        assert!(
            e.message
                .contains("203.0.113.0/26 changed since the plan (journal #9)"),
            "{}",
            e.message
        );
    }
}
