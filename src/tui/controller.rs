//! The controller: runs the UI's effects against the service layer on tokio tasks, off
//! the UI thread, and sends each answer back as a message tagged with its request id
//! (the app drops answers a newer request superseded). It also listens for changes made
//! elsewhere (PostgreSQL LISTEN/NOTIFY on the journal).

mod reserve;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ipnet::IpNet;
use tokio::sync::mpsc::UnboundedSender;

use super::ops::{Effect, Msg, Op, Outcome};
use super::tree::Key;
use crate::error::{ErrorKind, Result};
use crate::model::Event;
use crate::service::Db;
use crate::service::plan::{Plan, Run};
use crate::service::view::{SubnetView, event_lines};
use crate::service::{addresses, allocate, browse, subnets};

mod palette;

/// How often a lost database is tried again.
pub(super) const RECONNECT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Clone)]
pub struct Controller {
    db: Db,
    /// A standby the screen reads from (`read_url`), when there is one.
    reads: Option<Db>,
    tx: UnboundedSender<Msg>,
    /// The newest detail request: older ones still queued are skipped, not run.
    latest_detail: Arc<AtomicU64>,
    /// How the palette starts carve again: this binary, with the global options the UI
    /// was started with (so it reaches the same database).
    exe: PathBuf,
    global_args: Vec<String>,
}

impl Controller {
    pub fn new(db: Db, tx: UnboundedSender<Msg>, global_args: Vec<String>) -> Controller {
        Controller {
            db,
            reads: None,
            tx,
            latest_detail: Arc::new(AtomicU64::new(0)),
            exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("carve")),
            global_args,
        }
    }

    /// Reads (tree, detail, search) go to `reads`, changes to the primary.
    pub fn reading_from(mut self, reads: Option<Db>) -> Controller {
        self.reads = reads;
        self
    }

    fn reader(&self) -> &Db {
        self.reads.as_ref().unwrap_or(&self.db)
    }

    /// After a change, waits a little for the standby the screen reads from to show it,
    /// so that the reload that follows is not older than the change just made.
    async fn settle(&self) {
        if let Some(reads) = &self.reads {
            let within = std::time::Duration::from_secs(5);
            let _ = crate::service::changes::caught_up(&self.db, reads, within).await;
        }
    }

    pub fn run(&self, effect: Effect) {
        if let Effect::LoadDetail { id, .. } = &effect {
            self.latest_detail.fetch_max(*id, Ordering::SeqCst);
        }
        let this = self.clone();
        // Reads can repeat; a change must not (`change` handles its own retries).
        let repeatable = !matches!(effect, Effect::Run { .. } | Effect::Palette { .. });
        tokio::spawn(async move {
            // A read that met a lost connection is asked again once the database is back.
            let msgs = loop {
                let msgs = this.answer(effect.clone()).await;
                let lost = repeatable && msgs.iter().any(Msg::lost_connection);
                if !lost || !this.reconnected(this.reader()).await {
                    break msgs;
                }
            };
            for msg in msgs {
                // The UI has quit when the receiver is gone: nothing left to tell.
                let _ = this.tx.send(msg);
            }
        });
    }

    /// Tells the UI the database is gone, waits until it answers again (true), or until
    /// the UI quits (false).
    async fn reconnected(&self, db: &Db) -> bool {
        let _ = self.tx.send(Msg::Connection { up: false });
        while !self.tx.is_closed() {
            tokio::time::sleep(RECONNECT_EVERY).await;
            if db.answers().await {
                let _ = self.tx.send(Msg::Connection { up: true });
                return true;
            }
        }
        false
    }

    /// Whether the command committed, asked until the database answers (a change is
    /// never run again on a guess).
    async fn committed(&self, command: &str) -> Result<bool> {
        loop {
            match crate::service::database::command_committed(&self.db, command).await {
                Err(e) if e.kind == ErrorKind::Connection && self.reconnected(&self.db).await => {}
                other => return other,
            }
        }
    }

    /// Runs a change as one command. When the connection drops on the way, it waits for
    /// the database and asks the journal whether the change committed: if it did, it is
    /// reported, not repeated; if not, it runs again under the same command id.
    async fn change(&self, op: &Op, plan: Option<&Plan>) -> Result<Outcome> {
        let command = crate::actor::new_command_id();
        loop {
            let result = crate::actor::with_command(command.clone(), self.operate(op, plan)).await;
            match result {
                Err(e) if e.kind == ErrorKind::Connection && self.reconnected(&self.db).await => {
                    if self.committed(&command).await? {
                        return Ok(Outcome::said(
                            "done: the database confirmed the change after the connection \
                             came back"
                                .to_owned(),
                        ));
                    }
                }
                other => return other,
            }
        }
    }

    async fn answer(&self, effect: Effect) -> Vec<Msg> {
        let db = self.reader();
        match effect {
            Effect::LoadLevel {
                parent,
                full,
                generation,
            } => {
                let cidr = match &parent {
                    Some(Key::Subnet(c)) => Some(*c),
                    _ => None,
                };
                let result = browse::level(db, cidr.as_ref(), full).await;
                vec![Msg::Level {
                    parent,
                    generation,
                    result,
                }]
            }
            Effect::LoadUsage(cidrs) => {
                let mut msgs = Vec::new();
                for cidr in cidrs {
                    let usage = browse::usage(db, &cidr).await.ok();
                    msgs.push(Msg::Usage { cidr, usage });
                }
                msgs
            }
            Effect::LoadDetail { id, cidr, address } => {
                if self.latest_detail.load(Ordering::SeqCst) > id {
                    let superseded = Err(crate::error::Error::internal("superseded"));
                    return vec![Msg::Detail {
                        id,
                        result: superseded,
                    }];
                }
                vec![Msg::Detail {
                    id,
                    result: browse::detail(db, &cidr, address).await.map(Box::new),
                }]
            }
            Effect::Search { id, query, full } => {
                vec![Msg::Searched {
                    id,
                    result: browse::search(db, &query, full).await,
                }]
            }
            Effect::Reveal {
                id,
                hit,
                missing,
                full,
            } => {
                let mut levels = Vec::new();
                let mut error = None;
                for parent in missing {
                    match browse::level(db, parent.as_ref(), full).await {
                        Ok(level) => levels.push((parent.map(Key::Subnet), level)),
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                vec![Msg::Revealed {
                    id,
                    hit,
                    levels,
                    error,
                }]
            }
            Effect::Run { id, op, plan } => {
                // Each action is a command of its own in the journal.
                let result = self.change(&op, plan.as_ref()).await;
                self.settle().await;
                vec![Msg::Done { id, op, result }]
            }
            Effect::Palette { id, args } => {
                let msg = self.palette(id, args).await;
                self.settle().await;
                vec![msg]
            }
        }
    }

    async fn operate(&self, op: &Op, plan: Option<&Plan>) -> Result<Outcome> {
        let db = &self.db;
        let dry = op.is_dry_run();
        let run = match plan {
            _ if dry => Run::DryRun,
            Some(plan) => Run::AsPlanned(plan),
            None => Run::Real,
        };
        let verb = |done: &str, plan: &str| {
            if dry {
                plan.to_owned()
            } else {
                done.to_owned()
            }
        };
        let outcome = |summary: String, events: &[Event], select: Option<Key>| Outcome {
            summary,
            events: event_lines(events),
            select,
            confirm: None,
            plan: None,
        };
        // A block action's plan: the held blocks it touches first, then its steps.
        let held = |summary: String, done: &subnets::Outcome, select: IpNet| Outcome {
            summary,
            events: affected_lines(&done.affected)
                .into_iter()
                .chain(event_lines(&done.events))
                .collect(),
            select: Some(Key::Subnet(select)),
            confirm: None,
            plan: Some(done.plan.clone()),
        };
        Ok(match op {
            Op::Allocate(request) => {
                let a = allocate::allocate_as_planned(db, request, plan).await?;
                let what = if a.status == crate::model::SubnetStatus::Reserved {
                    "reserve"
                } else {
                    "allocate"
                };
                let summary = format!(
                    "{} {} (strategy {})",
                    verb(&format!("{what}d"), what),
                    a.cidr,
                    a.strategy
                );
                Outcome {
                    plan: Some(Plan::of(&a.events, None)),
                    ..outcome(summary, &a.events, Some(Key::Subnet(a.cidr)))
                }
            }
            Op::AllocateIp {
                pool,
                holder,
                dry_run,
            } => {
                let source = addresses::Source::Subnet(*pool);
                let done = if *dry_run {
                    addresses::preview(db, &source, holder).await?
                } else {
                    addresses::allocate_as_planned(db, &source, holder, plan).await?
                };
                let summary = format!(
                    "{} {} in {pool}",
                    verb("allocated", "allocate"),
                    done.ip.address
                );
                Outcome {
                    plan: Some(Plan::of(&done.events, None)),
                    ..outcome(summary, &done.events, Some(Key::Address(done.ip.address)))
                }
            }
            Op::Split { cidr, to, .. } => {
                let done = subnets::split(db, cidr, Some(*to), run).await?;
                let summary = format!("{} {cidr} into /{to}s", verb("split", "split"));
                held(summary, &done, *cidr)
            }
            Op::Merge { cidr, .. } => {
                let done = subnets::merge(db, cidr, run).await?;
                held(format!("{} {cidr}", verb("merged", "merge")), &done, *cidr)
            }
            Op::Release { cidr, .. } => {
                let done = subnets::release(db, cidr, run).await?;
                held(
                    format!("{} {cidr}", verb("released", "release")),
                    &done,
                    *cidr,
                )
            }
            Op::ReleaseIp(address) => {
                let done = addresses::release(db, *address).await?;
                outcome(
                    format!("released {address}"),
                    &done.events,
                    Some(Key::Subnet(done.ip.subnet)),
                )
            }
            Op::Park {
                cidr, park, reason, ..
            } => {
                let done = subnets::park_as(db, cidr, *park, reason.clone(), run).await?;
                let what = match (*park, dry) {
                    (true, true) => "park",
                    (true, false) => "parked",
                    (false, true) => "unpark",
                    (false, false) => "unparked",
                };
                held(format!("{what} {cidr}"), &done, *cidr)
            }
            Op::ParkIp {
                address,
                park,
                reason,
            } => {
                let done = addresses::park(db, *address, *park, reason.clone()).await?;
                let summary = format!("{} {address}", if *park { "parked" } else { "unparked" });
                outcome(summary, &done.events, Some(Key::Address(*address)))
            }
            Op::ReserveIp {
                address, reason, ..
            } => reserve::reserve_ip(db, *address, reason.as_deref(), run).await?,
            Op::Edit { cidr, changes } => {
                let done = subnets::set(db, cidr, changes).await?;
                outcome(
                    format!("updated {cidr}"),
                    &done.events,
                    Some(Key::Subnet(*cidr)),
                )
            }
            Op::SetIp { address, holder } => {
                let done = addresses::set(db, *address, holder).await?;
                outcome(
                    format!("updated {address}"),
                    &done.events,
                    Some(Key::Address(*address)),
                )
            }
            Op::Undo { target, dry_run } => {
                Outcome::of_undo(&crate::service::undo::undo(db, target, *dry_run).await?)
            }
        })
    }
}

/// One line per held block a change touches: what holds it, so nobody releases or parks
/// a customer's space without seeing whose it is.
fn affected_lines(blocks: &[SubnetView]) -> Vec<(&'static str, String)> {
    blocks
        .iter()
        .map(|b| {
            let mut what = vec![format!("{} {}", b.cidr, b.status)];
            what.extend(b.customer.as_ref().map(|c| format!("customer {c}")));
            what.extend(b.vlan.map(|v| format!("VLAN {v}")));
            what.extend(b.service.map(|s| format!("service {s}")));
            what.extend(b.device.as_ref().map(|d| format!("device {d}")));
            what.extend(b.description.as_ref().map(|d| format!("\"{d}\"")));
            ("holds", what.join(", "))
        })
        .collect()
}
