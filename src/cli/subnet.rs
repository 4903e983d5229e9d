//! `carve subnet ...`: add, allocate, split, merge, release, reserve, park, set, show,
//! list, free.

use clap::{Args, Subcommand};
use ipnet::IpNet;

use super::output::{Output, clean, rows};
use super::render;
use crate::config::Settings;
use crate::engine::{Strategy, parse_cidr};
use crate::error::{Error, Result};
use crate::service::allocate::{self, Allocation, SubnetRequest, Target};
use crate::service::database;
use crate::service::lookup::{self, ListQuery, ShownState, SubnetDetail};
use crate::service::subnets::{self, Changes, Outcome};
use crate::store::rows::SubnetStatus;

#[derive(Debug, Subcommand)]
pub enum SubnetCommand {
    /// Add a new root block (it must not overlap another root).
    Add {
        /// The new root block, as a CIDR (it must not overlap another root).
        cidr: String,
        /// The location (site) it is at; its subtree inherits it.
        #[arg(long)]
        location: Option<String>,
        /// The VLAN id (1..4094) it is on; its subtree inherits it.
        #[arg(long)]
        vlan: Option<i32>,
        /// Free text about it.
        #[arg(long)]
        description: Option<String>,
        /// Hand out single addresses from it.
        #[arg(long)]
        pool: bool,
    },
    /// Allocate a block: a length anywhere (or in a pool, at a location), or one CIDR.
    Allocate(AllocateArgs),
    /// Split a free subnet into equal pieces (default: its two halves).
    Split {
        /// The free block to split, as a CIDR.
        cidr: String,
        /// Length of the pieces.
        #[arg(long)]
        to: Option<u8>,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Merge a subdivided subnet whose whole subtree is free back into one block.
    Merge {
        /// The subdivided block to merge, as a CIDR.
        cidr: String,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Return an allocated or reserved subnet to free space.
    Release {
        /// The allocated or reserved block to free, as a CIDR.
        cidr: String,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Reserve a block (carving it out if needed) so nothing allocates it.
    Reserve {
        /// The block to reserve, as a CIDR.
        cidr: String,
        /// Why: kept with it and shown by show.
        #[arg(long)]
        reason: Option<String>,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Park a subnet and its whole subtree: kept, but never allocated.
    Park {
        /// The block to park with its subtree, as a CIDR.
        cidr: String,
        /// Why: kept with it and shown by show.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Undo a park.
    Unpark {
        /// The parked block, as a CIDR.
        cidr: String,
    },
    /// Change a subnet's own attributes.
    Set(SetArgs),
    /// Show a subnet, what holds it and what it holds (compact unless --full).
    Show {
        /// The block, as a CIDR (203.0.113.0/24).
        cidr: String,
        /// Show every buddy node, not only the meaningful ones.
        #[arg(long)]
        full: bool,
    },
    /// The free blocks inside a block as they are; with --len, the blocks of that
    /// length an allocation could take there.
    Free {
        /// The block to look in, as a CIDR.
        cidr: String,
        /// Count (and list the first few of) the free blocks of this prefix length.
        #[arg(long)]
        len: Option<u8>,
        /// Free for this customer: space held for them counts too.
        #[arg(long)]
        customer: Option<String>,
    },
    /// List every subnet that carries meaning (structural buddy nodes are left out).
    List {
        /// Only IPv4 (4) or IPv6 (6).
        #[arg(long, value_name = "4|6", value_parser = super::family)]
        family: Option<u8>,
        /// Only subnets in this state, as the STATE column words it.
        #[arg(long, value_enum)]
        status: Option<ShownState>,
        /// Only subnets at this location.
        #[arg(long)]
        location: Option<String>,
        /// Only subnets of this customer.
        #[arg(long)]
        customer: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AllocateArgs {
    /// Prefix length to allocate.
    #[arg(long, required_unless_present = "cidr", conflicts_with = "cidr")]
    len: Option<u8>,
    /// Address family for --len (default: the pool's, else 4).
    #[arg(long, value_name = "4|6", value_parser = super::family)]
    family: Option<u8>,
    /// Only carve from inside this subnet.
    #[arg(long)]
    pool: Option<String>,
    /// Only carve from space whose (inherited) location is this.
    #[arg(long)]
    location: Option<String>,
    /// The strongest move allowed: exact < merge < split.
    #[arg(long, default_value = "split")]
    strategy: String,
    /// Take exactly this block (splitting down to it if needed).
    #[arg(long)]
    cidr: Option<String>,
    /// The VLAN id to record; only untagged space or space on that VLAN is used.
    #[arg(long)]
    vlan: Option<i32>,
    /// The customer it is allocated to, by name.
    #[arg(long)]
    customer: Option<String>,
    /// The device the space is for; without --location, only space at the device's
    /// location is used.
    #[arg(long)]
    device: Option<String>,
    /// Free text about it.
    #[arg(long)]
    description: Option<String>,
    /// What it is for (primary, management, ...).
    #[arg(long)]
    purpose: Option<String>,
    /// With --cidr: take the block even while it is in release cooldown (ending the
    /// cooldown, journaled as cooldown_forced).
    #[arg(long, requires = "cidr")]
    force: bool,
    /// Show the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The block to change, as a CIDR.
    cidr: String,
    /// Set its location (cascades to the subtree).
    #[arg(long, conflicts_with = "no_location")]
    location: Option<String>,
    /// Clear its location.
    #[arg(long)]
    no_location: bool,
    /// Set its VLAN id.
    #[arg(long, conflicts_with = "no_vlan")]
    vlan: Option<i32>,
    /// Clear its VLAN.
    #[arg(long)]
    no_vlan: bool,
    /// Set its description.
    #[arg(long)]
    description: Option<String>,
    /// Make it an address pool (a leaf only).
    #[arg(long, conflicts_with = "no_pool")]
    pool: bool,
    /// Make it an ordinary block again.
    #[arg(long)]
    no_pool: bool,
    /// Keep the first N usable addresses of a pool back (a gateway, say).
    #[arg(long)]
    reserve_first: Option<i32>,
}

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
