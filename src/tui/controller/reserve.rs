//! Reserving a selected address, or freeing a reserved one, as the UI runs it: a dry run
//! is the plan shown, and Enter runs it held to that plan.

use std::net::IpAddr;

use crate::error::Result;
use crate::service::Db;
use crate::service::addresses::{self, Reservation};
use crate::service::plan::{Plan, Run};
use crate::service::view::event_lines;
use crate::tui::ops::Outcome;
use crate::tui::tree::Key;

/// `reason` None unreserves.
pub(super) async fn reserve_ip(
    db: &Db,
    address: IpAddr,
    reason: Option<&str>,
    run: Run<'_>,
) -> Result<Outcome> {
    let done = match reason {
        Some(reason) => {
            let request = Reservation {
                address,
                reason: reason.to_owned(),
                pool: None,
            };
            addresses::reserve(db, &request, run).await?
        }
        None => addresses::unreserve(db, address, run).await?,
    };
    let verb = match (reason.is_some(), run.is_dry()) {
        (true, true) => "reserve",
        (true, false) => "reserved",
        (false, true) => "unreserve",
        (false, false) => "unreserved",
    };
    let why = done
        .ip
        .reserve_reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    // A freed address has no row in the tree: its pool is selected then.
    let select = if done.ip.status == "free" {
        Key::Subnet(done.ip.subnet)
    } else {
        Key::Address(address)
    };
    Ok(Outcome {
        summary: format!("{verb} {address}{why}"),
        events: event_lines(&done.events),
        select: Some(select),
        confirm: None,
        plan: Some(Plan::of(&done.events, None)),
    })
}
