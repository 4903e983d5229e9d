//! `carve ip ...`: allocate the next free address of a pool (or a chosen one), list a
//! pool's free ranges, set, park, reserve, release, show.

use std::net::IpAddr;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{Output, rows};
use super::render;
use super::subnet::cidr;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::service::Db;
use crate::service::addresses::{self, Holder, IpOutcome, Reservation, Source};
use crate::service::database;

#[derive(Debug, Subcommand)]
pub enum IpCommand {
    /// Take the next free address of a pool subnet, or one chosen free address.
    Allocate(AllocateArgs),
    /// The free address ranges of a pool, as its allocator hands them out.
    Free {
        /// The address pool, as a CIDR.
        pool: String,
        /// List at most this many ranges (all are counted).
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Change an address record.
    Set {
        /// The address.
        address: String,
        #[command(flatten)]
        holder: HolderArgs,
    },
    /// Keep an address out of allocation.
    Park {
        /// The address.
        address: String,
        /// Why: kept with it and shown by show.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Unpark an address (a cooling one is freed early).
    Unpark {
        /// The address.
        address: String,
    },
    /// Keep an address out of allocation as reserved, with its reason (a free address of
    /// a pool, or a record nobody holds).
    Reserve {
        /// The address.
        address: String,
        /// Why: kept with it and shown as `reserved for`.
        #[arg(long)]
        reason: String,
        /// The pool the address must lie in (a check; the pool that holds it is used).
        #[arg(long)]
        pool: Option<String>,
        /// Show what would be reserved and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Free a reserved address (a record that carries more keeps it, unreserved).
    Unreserve {
        /// The address.
        address: String,
        /// Show what would be freed and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Release an address: free again, or parked while a release cooldown runs.
    Release {
        /// The address.
        address: String,
    },
    /// Show one address record.
    Show {
        /// The address.
        address: String,
    },
}

#[derive(Debug, Args)]
#[group(id = "source", required = true, multiple = false)]
pub struct SourceArgs {
    /// This pool subnet.
    #[arg(long)]
    subnet: Option<String>,
    /// Any pool subnet inside this CIDR (the first with room, in address order).
    #[arg(long)]
    pool: Option<String>,
    /// Exactly this free address, of the pool that holds it.
    #[arg(long)]
    address: Option<String>,
}

#[derive(Debug, Args)]
pub struct AllocateArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    holder: HolderArgs,
    /// Show the address that would be taken and change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct HolderArgs {
    /// The VLAN id to record with the address.
    #[arg(long)]
    vlan: Option<i32>,
    /// The customer the address is for, by name.
    #[arg(long)]
    customer: Option<String>,
    /// The device it is for (e.g. a BMC address: --device srv-1 --purpose management);
    /// with --pool, only pools at the device's location are used.
    #[arg(long)]
    device: Option<String>,
    /// What the address is for, e.g. primary or management (management survives re-provisioning).
    #[arg(long)]
    purpose: Option<String>,
    /// Reverse DNS name (PTR target); "" removes it. `carve rdns sync` pushes it.
    // A name starting with '-' is a bad name to explain, not an unknown option.
    #[arg(long, allow_hyphen_values = true)]
    rdns: Option<String>,
    /// Free text about the address.
    #[arg(long)]
    description: Option<String>,
}

impl From<HolderArgs> for Holder {
    fn from(a: HolderArgs) -> Holder {
        Holder {
            customer: a.customer,
            device: a.device,
            service: None,
            vlan: a.vlan,
            purpose: a.purpose,
            rdns: a.rdns,
            description: a.description,
        }
    }
}

fn address(text: &str) -> Result<IpAddr> {
    text.trim().parse().map_err(|_| {
        Error::validation(format!(
            "{text:?} is not an IP address (e.g. 203.0.113.70 or 2001:db8::1)"
        ))
    })
}

pub async fn run(command: IpCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    let (verb, outcome) = match command {
        IpCommand::Allocate(args) => return allocate(&db, args, out).await,
        IpCommand::Free { pool, limit } => {
            return super::free::ranges(&db, &cidr(&pool)?, limit, out).await;
        }
        IpCommand::Set { address: a, holder } => (
            "updated",
            addresses::set(&db, address(&a)?, &holder.into()).await?,
        ),
        IpCommand::Park { address: a, reason } => (
            "parked",
            addresses::park(&db, address(&a)?, true, reason).await?,
        ),
        IpCommand::Unpark { address: a } => (
            "unparked",
            addresses::park(&db, address(&a)?, false, None).await?,
        ),
        IpCommand::Reserve {
            address: a,
            reason,
            pool,
            dry_run,
        } => {
            let request = Reservation {
                address: address(&a)?,
                reason,
                pool: pool.as_deref().map(cidr).transpose()?,
            };
            let outcome = addresses::reserve(&db, &request, dry_run.into()).await?;
            return planned(out, outcome, dry_run, ("reserved", "would have reserved"));
        }
        IpCommand::Unreserve {
            address: a,
            dry_run,
        } => {
            let outcome = addresses::unreserve(&db, address(&a)?, dry_run.into()).await?;
            return planned(
                out,
                outcome,
                dry_run,
                ("unreserved", "would have unreserved"),
            );
        }
        IpCommand::Release { address: a } => {
            ("released", addresses::release(&db, address(&a)?).await?)
        }
        IpCommand::Show { address: a } => {
            let ip = addresses::show(&db, address(&a)?).await?;
            out.emit(&ip, |ip| rows(&render::ip_detail(ip)));
            return Ok(());
        }
    };
    out.emit(&outcome, |o: &IpOutcome| outcome_text(verb, o));
    Ok(())
}

/// A change's outcome, saying whether it was only planned.
#[derive(Serialize)]
struct Planned {
    #[serde(flatten)]
    outcome: IpOutcome,
    dry_run: bool,
}

/// Prints `outcome` with the verb of a change done or (on a dry run) only planned.
fn planned(
    out: &Output,
    outcome: IpOutcome,
    dry_run: bool,
    (done, would): (&str, &str),
) -> Result<()> {
    let planned = Planned { outcome, dry_run };
    out.emit(&planned, |p| {
        if p.dry_run {
            let text = outcome_text(would, &p.outcome);
            format!("{text}dry run: nothing was changed\n")
        } else {
            outcome_text(done, &p.outcome)
        }
    });
    Ok(())
}

async fn allocate(db: &Db, args: AllocateArgs, out: &Output) -> Result<()> {
    let source = match args.source {
        SourceArgs {
            subnet: Some(s), ..
        } => Source::Subnet(cidr(&s)?),
        SourceArgs { pool: Some(p), .. } => Source::Pool(cidr(&p)?),
        SourceArgs {
            address: Some(a), ..
        } => Source::Address(address(&a)?),
        _ => return Err(Error::validation("give --subnet, --pool or --address")),
    };
    let holder = args.holder.into();
    let outcome = if args.dry_run {
        addresses::preview(db, &source, &holder).await?
    } else {
        addresses::allocate(db, &source, &holder).await?
    };
    planned(
        out,
        outcome,
        args.dry_run,
        ("allocated", "would have allocated"),
    )
}

fn outcome_text(verb: &str, o: &IpOutcome) -> String {
    format!(
        "{verb} {}\n{}",
        o.ip.address,
        rows(&render::ip_detail(&o.ip))
    )
}
