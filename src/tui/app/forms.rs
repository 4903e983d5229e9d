//! The mutating actions: which dialog each opens for the selection, and how a submitted
//! form becomes an operation. Operations with a plan run as a dry run first; the plan is
//! shown and Enter confirms it (DESIGN.md section 6).

mod operation;

use std::net::IpAddr;

use ipnet::IpNet;

use super::App;
use crate::engine::Family;
use crate::error::{Error, Result};
use crate::service::allocate::SubnetRequest;
use crate::service::view::{IpView, SubnetView};
use crate::tui::dialog::{Dialog, Form, FormKind};
use crate::tui::keymap::Action;
use crate::tui::ops::{Effect, Op};
use crate::tui::tree::Entry;

/// Opens the dialog (or starts the dry run) of a mutating action on the selection.
pub fn open(app: &mut App, action: Action) -> Vec<Effect> {
    if action.changes_data()
        && let Some(why) = app.read_only.clone()
    {
        app.fail(&Error::new(
            crate::error::ErrorKind::ReadOnly,
            format!("read-only: {why}"),
        ));
        return Vec::new();
    }
    let (subnet, address) = match app.tree.selected().map(|n| n.entry.clone()) {
        Some(Entry::Subnet(s)) => (Some(*s), None),
        Some(Entry::Address(a)) => (app.tree.selected_subnet().cloned(), Some(*a)),
        None => (None, None),
    };
    let result = match (action, subnet, address) {
        (Action::FilterLocation, _, _) => {
            let current = app.tree.location().unwrap_or_default().to_owned();
            let fields = vec![("location", current, "empty shows every location")];
            Ok(form(
                app,
                FormKind::Location,
                "Show one location".into(),
                fields,
            ))
        }
        (Action::Undo, _, _) => {
            let target = crate::service::undo::Target::Last;
            Ok(run(
                app,
                Op::Undo {
                    target,
                    dry_run: true,
                },
            ))
        }
        (_, None, _) => Err(Error::validation("select a subnet first")),
        (Action::Release, _, Some(ip)) => Ok(plan_release_ip(app, &ip)),
        (Action::Park, _, Some(ip)) => Ok(park_ip(app, &ip)),
        (Action::Reserve, _, Some(ip)) => Ok(reserve_ip(app, &ip)),
        (Action::EditRdns, _, Some(ip)) => {
            let fields = vec![(
                "rdns",
                ip.rdns.clone().unwrap_or_default(),
                "web1.example.net; empty: remove",
            )];
            Ok(form(
                app,
                FormKind::Rdns,
                format!("rDNS of {}", ip.address),
                fields,
            ))
        }
        (Action::Allocate | Action::Split | Action::Merge | Action::Edit, _, Some(ip)) => {
            Err(Error::validation(format!(
                "{} is an address: r releases it, p parks it, R reserves it, d edits its rDNS \
             (select a subnet for {})",
                ip.address,
                action.name()
            )))
        }
        (Action::EditRdns, _, None) => Err(Error::validation(
            "select an address (unfold a pool) to edit its rDNS",
        )),
        (action, Some(s), _) => subnet_action(app, action, &s),
    };
    match result {
        Ok(effects) => effects,
        Err(e) => {
            app.fail(&e);
            Vec::new()
        }
    }
}

fn subnet_action(app: &mut App, action: Action, s: &SubnetView) -> Result<Vec<Effect>> {
    let cidr = s.cidr;
    let next = (cidr.prefix_len() + 1).min(cidr.max_prefix_len());
    Ok(match action {
        Action::Allocate => {
            let family = Family::of(&cidr).number().to_string();
            // On a free leaf the likeliest wish is that very block.
            let (len, hint) = if s.status == "unallocated" && !s.pool {
                (cidr.prefix_len(), "this block's own: take it")
            } else {
                (next, "prefix length, e.g. 29")
            };
            let fields = vec![
                ("length", len.to_string(), hint),
                ("family", family, "4 or 6"),
                (
                    "pool",
                    cidr.to_string(),
                    "inside this CIDR (empty: anywhere)",
                ),
                ("customer", String::new(), "optional"),
                ("vlan", String::new(), "optional VLAN id"),
                ("strategy", "split".into(), "exact, merge or split"),
                ("description", String::new(), "optional"),
                ("purpose", String::new(), "optional, e.g. transit"),
            ];
            form(app, FormKind::Allocate, "Allocate a subnet".into(), fields)
        }
        Action::AllocateIp if s.pool => {
            let fields = vec![
                ("customer", String::new(), "optional"),
                ("purpose", String::new(), "e.g. primary, management"),
                ("rdns", String::new(), "optional PTR name"),
            ];
            form(
                app,
                FormKind::AllocateIp,
                format!("Next free address in {cidr}"),
                fields,
            )
        }
        Action::AllocateIp => {
            return Err(Error::validation(format!(
                "{cidr} is not a pool (e to make it one)"
            )));
        }
        Action::Split => {
            let fields = vec![("to", next.to_string(), "split into pieces of this length")];
            form(app, FormKind::Split, format!("Split {cidr}"), fields)
        }
        Action::Merge => run(
            app,
            Op::Merge {
                cidr,
                dry_run: true,
            },
        ),
        Action::Release => run(
            app,
            Op::Release {
                cidr,
                dry_run: true,
            },
        ),
        Action::Reserve => {
            let mut request = SubnetRequest::cidr(cidr);
            request.status = crate::model::SubnetStatus::Reserved;
            request.dry_run = true;
            run(app, Op::Allocate(request))
        }
        Action::Park if s.parked => run(
            app,
            Op::Park {
                cidr,
                park: false,
                reason: None,
                dry_run: true,
            },
        ),
        Action::Park if s.parked_above => {
            return Err(Error::validation(format!(
                "{cidr} is parked through an ancestor: unpark that one"
            )));
        }
        Action::Park => {
            let fields = vec![("reason", String::new(), "why (shown to everyone)")];
            form(
                app,
                FormKind::Park,
                format!("Park {cidr} and its whole subtree"),
                fields,
            )
        }
        Action::Edit => {
            let fields = vec![
                (
                    "location",
                    s.location.clone().unwrap_or_default(),
                    "empty clears it",
                ),
                (
                    "vlan",
                    s.vlan.map(|v| v.to_string()).unwrap_or_default(),
                    "empty clears it",
                ),
                ("description", s.description.clone().unwrap_or_default(), ""),
                (
                    "pool",
                    if s.pool { "yes" } else { "no" }.into(),
                    "yes: hands out single addresses",
                ),
            ];
            form(app, FormKind::Edit, format!("Edit {cidr}"), fields)
        }
        _ => Vec::new(),
    })
}

fn form(
    app: &mut App,
    kind: FormKind,
    title: String,
    fields: Vec<(&'static str, String, &'static str)>,
) -> Vec<Effect> {
    let mut form = Form::new(kind, title, fields);
    form.target = selection(app);
    app.dialog = Some(Dialog::Form(form));
    Vec::new()
}

/// The selected subnet (the pool of a selected address) and address.
fn selection(app: &App) -> (Option<IpNet>, Option<IpAddr>) {
    let subnet = app.tree.selected_subnet().map(|s| s.cidr);
    let address = match app.tree.selected().map(|n| &n.entry) {
        Some(Entry::Address(a)) => Some(a.address),
        _ => None,
    };
    (subnet, address)
}

/// A plan known without asking the database; Enter runs `op`.
fn plan(app: &mut App, title: String, op: Op) -> Vec<Effect> {
    app.dialog = Some(Dialog::Plan {
        title,
        lines: Vec::new(),
        confirm: op,
        plan: None,
    });
    Vec::new()
}

/// Runs `op`: a dry run's answer is the plan to show.
pub fn run(app: &mut App, op: Op) -> Vec<Effect> {
    let id = app.id();
    if op.is_dry_run() {
        app.expect_plan(id);
        app.say("planning...");
    } else {
        app.say("working...");
    }
    app.pending += 1;
    vec![Effect::Run { id, op, plan: None }]
}

fn plan_release_ip(app: &mut App, ip: &IpView) -> Vec<Effect> {
    let holder = [ip.customer.as_deref(), ip.purpose.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    plan(
        app,
        format!("Release {} ({holder})?", ip.address),
        Op::ReleaseIp(ip.address),
    )
}

fn park_ip(app: &mut App, ip: &IpView) -> Vec<Effect> {
    let op = Op::ParkIp {
        address: ip.address,
        park: !ip.parked,
        reason: None,
    };
    let verb = if ip.parked { "Unpark" } else { "Park" };
    plan(app, format!("{verb} {}?", ip.address), op)
}

/// A reserved address: the plan of freeing it; any other: the reason to reserve it for,
/// then the plan.
fn reserve_ip(app: &mut App, ip: &IpView) -> Vec<Effect> {
    if ip.reserved {
        let op = Op::ReserveIp {
            address: ip.address,
            reason: None,
            dry_run: true,
        };
        return run(app, op);
    }
    let fields = vec![("reason", String::new(), "why, e.g. DHCP range")];
    let title = format!("Reserve {}", ip.address);
    form(app, FormKind::Reserve, title, fields)
}

/// A submitted form: its operation (dry run first where there is a plan), or the form
/// again with what is wrong.
pub fn submit(app: &mut App, mut form: Form) -> Vec<Effect> {
    // What the form was opened on: a reload meanwhile (a change elsewhere) may have
    // moved the cursor, never what the form acts on.
    let (subnet, address) = form.target;
    if form.kind == FormKind::Location {
        let location = form.value("location").map(str::to_owned);
        app.say(match &location {
            Some(l) => format!("showing {l} only"),
            None => "showing every location".to_owned(),
        });
        app.tree.set_location(location.clone());
        let mut effects = app.selection_changed();
        if let Some(l) = location {
            // The blocks at it may lie under a root elsewhere: find them and their way.
            effects.extend(app.search(format!("@{l}")));
        }
        return effects;
    }
    match operation::operation(&form, subnet, address) {
        Ok(op) => {
            app.dialog = Some(Dialog::Form(form));
            run(app, op)
        }
        Err(e) => {
            form.error = Some(e.message);
            app.dialog = Some(Dialog::Form(form));
            Vec::new()
        }
    }
}
