//! What the UI asks the controller to do (effects) and what comes back (messages). The
//! app's `update` is pure: it turns messages into state and effects; the controller runs
//! the effects against the service layer.

use std::net::IpAddr;

use crossterm::event::KeyEvent;
use ipnet::IpNet;

use super::tree::Key;
use crate::engine::usage::Utilization;
use crate::error::Error;
use crate::model::JournalEntry;
use crate::service::addresses::Holder;
use crate::service::allocate::SubnetRequest;
use crate::service::browse::{Detail, Hit, Level};
use crate::service::plan::Plan;
use crate::service::subnets::Changes;
use crate::service::undo::{Target as UndoTarget, UndoOutcome, describe, headline};

/// A change to the tree, run by the controller through the service layer. Those with a
/// plan run once as a dry run (shown, then confirmed) and once for real.
#[derive(Debug, Clone)]
pub enum Op {
    Allocate(SubnetRequest),
    AllocateIp {
        pool: IpNet,
        holder: Holder,
        dry_run: bool,
    },
    Split {
        cidr: IpNet,
        to: u8,
        dry_run: bool,
    },
    Merge {
        cidr: IpNet,
        dry_run: bool,
    },
    Release {
        cidr: IpNet,
        dry_run: bool,
    },
    ReleaseIp(IpAddr),
    Park {
        cidr: IpNet,
        park: bool,
        reason: Option<String>,
        dry_run: bool,
    },
    ParkIp {
        address: IpAddr,
        park: bool,
        reason: Option<String>,
    },
    /// Reserves the address with the reason, or (None) frees a reserved one.
    ReserveIp {
        address: IpAddr,
        reason: Option<String>,
        dry_run: bool,
    },
    Edit {
        cidr: IpNet,
        changes: Changes,
    },
    SetIp {
        address: IpAddr,
        holder: Holder,
    },
    Undo {
        target: UndoTarget,
        dry_run: bool,
    },
}

impl Op {
    pub fn is_dry_run(&self) -> bool {
        match self {
            Op::Allocate(r) => r.dry_run,
            Op::AllocateIp { dry_run, .. }
            | Op::Split { dry_run, .. }
            | Op::Merge { dry_run, .. }
            | Op::Release { dry_run, .. }
            | Op::Park { dry_run, .. }
            | Op::ReserveIp { dry_run, .. }
            | Op::Undo { dry_run, .. } => *dry_run,
            _ => false,
        }
    }

    /// The same operation for real.
    pub fn confirmed(self) -> Op {
        self.with_dry_run(false)
    }

    /// The same operation as a dry run: its plan (again).
    pub fn planned(self) -> Op {
        self.with_dry_run(true)
    }

    fn with_dry_run(mut self, dry: bool) -> Op {
        match &mut self {
            Op::Allocate(r) => r.dry_run = dry,
            Op::AllocateIp { dry_run, .. }
            | Op::Split { dry_run, .. }
            | Op::Merge { dry_run, .. }
            | Op::Release { dry_run, .. }
            | Op::Park { dry_run, .. }
            | Op::ReserveIp { dry_run, .. }
            | Op::Undo { dry_run, .. } => *dry_run = dry,
            _ => {}
        }
        self
    }
}

/// What a finished operation reports back.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// One line: `allocated 203.0.113.104/29`.
    pub summary: String,
    /// The journal events, one line each (the plan of a dry run).
    pub events: Vec<(&'static str, String)>,
    /// What to select once the tree is reloaded.
    pub select: Option<Key>,
    /// What Enter confirms after a dry run, when not simply the same operation for real
    /// (an undo of "my last change" is pinned to the change the plan showed).
    pub confirm: Option<Box<Op>>,
    /// What the dry run saw and will do: the confirmed run is held to it.
    pub plan: Option<Plan>,
}

impl Outcome {
    /// A report with no plan to hold to.
    pub fn said(summary: String) -> Outcome {
        Outcome {
            summary,
            events: Vec::new(),
            select: None,
            confirm: None,
            plan: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Effect {
    /// One level of the tree (the roots when `parent` is None).
    /// For the tree of reload `generation`: an answer for an older tree is dropped.
    LoadLevel {
        parent: Option<Key>,
        full: bool,
        generation: u64,
    },
    LoadUsage(Vec<IpNet>),
    LoadDetail {
        id: u64,
        cidr: IpNet,
        address: Option<IpAddr>,
    },
    Search {
        id: u64,
        query: String,
        full: bool,
    },
    /// Loads the levels a hit's path still lacks (None: the roots).
    Reveal {
        id: u64,
        hit: Hit,
        missing: Vec<Option<IpNet>>,
        full: bool,
    },
    /// `plan`: the dry run's plan Enter confirmed; the service refuses when the tree
    /// changed since (then the app plans again).
    Run {
        id: u64,
        op: Op,
        plan: Option<Plan>,
    },
    /// A CLI verb line from the palette, run as `carve --json ...`.
    Palette {
        id: u64,
        args: Vec<String>,
    },
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Spinner frames while something is pending.
    Tick,
    Level {
        parent: Option<Key>,
        generation: u64,
        result: Result<Level, Error>,
    },
    /// None when the figure could not be read (the subnet went away, say).
    Usage {
        cidr: IpNet,
        usage: Option<Utilization>,
    },
    Detail {
        id: u64,
        result: Result<Box<Detail>, Error>,
    },
    Searched {
        id: u64,
        result: Result<Vec<Hit>, Error>,
    },
    Revealed {
        id: u64,
        hit: Hit,
        levels: Vec<(Option<Key>, Level)>,
        error: Option<Error>,
    },
    Done {
        id: u64,
        op: Op,
        result: Result<Outcome, Error>,
    },
    Palette {
        id: u64,
        ok: bool,
        output: String,
    },
    /// Another carve (or the CLI) changed something (PostgreSQL NOTIFY).
    External,
    /// The database stopped answering (`up` false) or answers again (`up` true).
    Connection {
        up: bool,
    },
    /// Reading from a standby: how many seconds what is shown lags the primary.
    Standby {
        lag_secs: i64,
    },
}

impl Msg {
    /// Whether this answer failed because the database could not be reached.
    pub fn lost_connection(&self) -> bool {
        let lost = |e: &Error| e.kind == crate::error::ErrorKind::Connection;
        match self {
            Msg::Level { result, .. } => result.as_ref().err().is_some_and(lost),
            Msg::Detail { result, .. } => result.as_ref().err().is_some_and(lost),
            Msg::Searched { result, .. } => result.as_ref().err().is_some_and(lost),
            Msg::Revealed { error, .. } => error.as_ref().is_some_and(lost),
            Msg::Done { result, .. } => result.as_ref().err().is_some_and(lost),
            _ => false,
        }
    }
}

impl Outcome {
    /// An undo's report: one line per row put back; a plan pinned to the change shown,
    /// so that Enter undoes that change even if another one became "the last" meanwhile.
    pub fn of_undo(done: &UndoOutcome) -> Outcome {
        let verb = if done.dry_run { "undo" } else { "undid" };
        // The TUI undoes one change at a time (the last one of its user).
        let entries: &[JournalEntry] = done.undone.first().map_or(&[], |u| &u.journal);
        let summary = match headline(entries) {
            Some(last) if entries.len() == 1 => format!("{verb} {}", describe(last)),
            Some(last) => format!(
                "{verb} {} (with {} more)",
                describe(last),
                entries.len() - 1
            ),
            None => verb.to_owned(),
        };
        let rows = done.undone.iter().flat_map(|u| &u.rows);
        let events = rows
            .clone()
            .map(|r| (r.action, format!("{} {} {}", r.kind, r.target, r.summary())))
            .collect();
        let select = rows
            .filter(|r| r.kind == "subnet" && r.action != "removed")
            .find_map(|r| r.target.parse().ok())
            .map(Key::Subnet);
        let confirm = entries.first().map(|first| {
            Box::new(Op::Undo {
                target: UndoTarget::Journal(first.id),
                dry_run: true,
            })
        });
        Outcome {
            summary,
            events,
            select,
            confirm,
            plan: None,
        }
    }
}
