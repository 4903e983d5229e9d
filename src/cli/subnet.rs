//! `carve subnet ...`: add, allocate, split, merge, release, reserve, park, set, show,
//! list, free.

mod args;

pub use args::{AllocateArgs, SubnetCommand};

use ipnet::IpNet;

use super::output::{Output, clean, rows};
use super::render;
use crate::config::Settings;
use crate::engine::{Strategy, parse_cidr};
use crate::error::{Error, Result};
use crate::model::SubnetStatus;
use crate::service::allocate::{self, Allocation, SubnetRequest, Target};
use crate::service::database;
use crate::service::lookup::{self, ListQuery, SubnetDetail};
use crate::service::subnets::{self, Changes, Outcome};

pub fn cidr(text: &str) -> Result<IpNet> {
    parse_cidr(text).map_err(|e| Error::validation(e.to_string()))
}

pub async fn run(command: SubnetCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    match command {
        SubnetCommand::Add {
            cidr: c,
            location,
            vlan,
            description,
            pool,
        } => {
            let outcome = subnets::add_root(
                &db,
                &cidr(&c)?,
                location.as_deref(),
                vlan,
                description,
                pool,
            )
            .await?;
            emit_outcome(out, "added", &outcome);
        }
        SubnetCommand::Allocate(args) => {
            let request = allocate_request(args)?;
            let allocation = allocate::allocate_subnet(&db, &request).await?;
            emit_allocation(out, &allocation);
        }
        SubnetCommand::Reserve {
            cidr: c,
            reason,
            dry_run,
        } => {
            let request = SubnetRequest {
                status: SubnetStatus::Reserved,
                reason,
                dry_run,
                ..SubnetRequest::cidr(cidr(&c)?)
            };
            emit_allocation(out, &allocate::allocate_subnet(&db, &request).await?);
        }
        SubnetCommand::Split {
            cidr: c,
            to,
            dry_run,
        } => {
            emit_outcome(
                out,
                "split",
                &subnets::split(&db, &cidr(&c)?, to, dry_run).await?,
            );
        }
        SubnetCommand::Merge { cidr: c, dry_run } => {
            emit_outcome(
                out,
                "merged",
                &subnets::merge(&db, &cidr(&c)?, dry_run).await?,
            );
        }
        SubnetCommand::Release { cidr: c, dry_run } => {
            emit_outcome(
                out,
                "released",
                &subnets::release(&db, &cidr(&c)?, dry_run).await?,
            );
        }
        SubnetCommand::Park { cidr: c, reason } => {
            emit_outcome(
                out,
                "parked",
                &subnets::park(&db, &cidr(&c)?, true, reason).await?,
            );
        }
        SubnetCommand::Unpark { cidr: c } => {
            emit_outcome(
                out,
                "unparked",
                &subnets::park(&db, &cidr(&c)?, false, None).await?,
            );
        }
        SubnetCommand::Set(args) => {
            let target = cidr(&args.cidr)?;
            let changes = Changes {
                location: if args.no_location {
                    Some(None)
                } else {
                    args.location.map(Some)
                },
                vlan: if args.no_vlan {
                    Some(None)
                } else {
                    args.vlan.map(Some)
                },
                description: args.description.map(|d| Some(d).filter(|d| !d.is_empty())),
                pool: match (args.pool, args.no_pool) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                pool_reserved_first: args.reserve_first,
            };
            emit_outcome(out, "updated", &subnets::set(&db, &target, &changes).await?);
        }
        SubnetCommand::Free {
            cidr: c,
            len,
            customer,
        } => {
            super::free::blocks(&db, &cidr(&c)?, len, customer.as_deref(), out).await?;
        }
        SubnetCommand::Show { cidr: c, full } => {
            let detail = lookup::show(&db, &cidr(&c)?, full).await?;
            out.emit(&detail, show_text);
        }
        SubnetCommand::List {
            family,
            status,
            location,
            customer,
        } => {
            let query = ListQuery {
                family,
                status,
                location,
                customer,
            };
            let list = lookup::list(&db, &query).await?;
            out.emit(&list, |l| render::subnet_table(l));
        }
    }
    Ok(())
}

fn allocate_request(args: AllocateArgs) -> Result<SubnetRequest> {
    let strategy: Strategy = args.strategy.parse().map_err(Error::validation)?;
    let target = match (args.cidr, args.len) {
        (Some(c), _) => Target::Cidr(cidr(&c)?),
        (None, Some(len)) => {
            let pool = args.pool.as_deref().map(cidr).transpose()?;
            let family = match (args.family, &pool) {
                (Some(f), _) => f,
                (None, Some(p)) => crate::engine::Family::of(p).number(),
                (None, None) => 4,
            };
            Target::Length {
                family,
                len,
                pool,
                location: args.location,
            }
        }
        (None, None) => return Err(Error::validation("give --len N or --cidr CIDR")),
    };
    Ok(SubnetRequest {
        target,
        strategy,
        status: SubnetStatus::Allocated,
        vlan: args.vlan,
        customer: args.customer,
        device: args.device,
        service: None,
        description: args.description,
        purpose: args.purpose,
        reason: None,
        force: args.force,
        dry_run: args.dry_run,
    })
}

fn emit_allocation(out: &Output, a: &Allocation) {
    out.emit(a, |a| {
        let verb = match a.status {
            SubnetStatus::Reserved => "reserved",
            _ => "allocated",
        };
        let prefix = if a.dry_run { "would have " } else { "" };
        let mut text = format!("{prefix}{verb} {} (strategy {})\n", a.cidr, a.strategy);
        text.push_str(&render::events(&a.events));
        if a.dry_run {
            text.push_str("dry run: nothing was changed\n");
        }
        text
    });
}

fn emit_outcome(out: &Output, verb: &str, outcome: &Outcome) {
    out.emit(outcome, |o| {
        let prefix = if o.dry_run { "would have " } else { "" };
        let mut text = format!("{prefix}{verb} {}\n", o.subnet.cidr);
        text.push_str(&render::events(&o.events));
        if let Some(holds) = o.holds.as_ref().filter(|h| !h.is_empty()) {
            text.push_str(&format!("it holds: {}\n", clean(&holds.text())));
        }
        if o.dry_run {
            text.push_str("dry run: nothing was changed\n");
        }
        text
    });
}

fn show_text(d: &SubnetDetail) -> String {
    let mut text = rows(&render::subnet_detail(&d.subnet));
    if !d.ancestors.is_empty() {
        let chain: Vec<String> = d.ancestors.iter().map(|a| a.cidr.to_string()).collect();
        text.push_str(&rows(&[("inside", chain.join(" > "))]));
    }
    if let Some(children) = &d.subnet.children
        && !children.is_empty()
    {
        text.push('\n');
        text.push_str(&render::subnet_table(children));
    }
    if !d.addresses.is_empty() {
        text.push('\n');
        text.push_str(&render::ip_table(&d.addresses));
    }
    text
}
