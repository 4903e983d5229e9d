//! `carve billing ...`: plans, assignments, usage ingest, closing cycles, invoices and
//! the rate chart behind them.

use std::io::IsTerminal;

use clap::{Args, Subcommand};
use rust_decimal::Decimal;

use super::billing_text as text;
use super::output::Output;
use super::progress::Shown;
use crate::billing::cycle::Cycle;
use crate::billing::money;
use crate::billing::plan::{Model, Plan, Tier};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::service::{billing, database};

#[derive(Debug, Subcommand)]
pub enum BillingCommand {
    /// Billing plans: p95, commit_burst, transfer or flat.
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// Bill a service by a plan, optionally in its own direction: every cycle closed from
    /// now on uses it (an issued invoice keeps the plan it was billed on).
    Assign {
        /// The service to bill, by id.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The plan that bills it.
        #[arg(long)]
        plan: String,
        /// in, out, max or sum (default: the billing setting).
        #[arg(long)]
        direction: Option<String>,
    },
    /// Settings: `direction D` sets the direction billed when a service has none.
    Setting {
        #[command(subcommand)]
        command: SettingCommand,
    },
    /// Load usage samples from a CSV file (or - for stdin): service,period_start,bytes_in,
    /// bytes_out with bytes per 5-minute period. All rows or none; repeating rows already
    /// stored is a no-op.
    Ingest {
        /// The usage file (CSV), or - for stdin.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Close a cycle (for every service, or one): its samples are refused until it is
    /// reopened, and each service it bills gets its invoice. Closing again changes nothing.
    Close {
        #[command(flatten)]
        which: Which,
        /// Show the invoices and store nothing (also for a cycle not yet ended).
        #[arg(long)]
        dry_run: bool,
    },
    /// Reopen a closed cycle (for every service, or one) and void its invoices (kept on
    /// record) so late samples can come in.
    Reopen {
        #[command(flatten)]
        which: Which,
    },
    /// A service's invoice with its working (a draft while the cycle is open).
    Invoice {
        /// The service, by id.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The billing month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        cycle: String,
    },
    /// A service's rate over a cycle, with the 95th and the commit as lines.
    Graph {
        /// The service, by id.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The billing month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        cycle: String,
    },
}

#[derive(Debug, Args)]
pub struct Which {
    /// The billing month, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    cycle: String,
    /// Only this service.
    #[arg(long)]
    service: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Add a billing plan (every fault is named at once).
    Add(Box<PlanArgs>),
    /// List every billing plan.
    List,
}

#[derive(Debug, Subcommand)]
pub enum SettingCommand {
    /// in, out, max (the larger of the two 95ths or totals) or sum.
    Direction {
        /// The direction billed: in, out, max or sum.
        direction: String,
    },
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Its name.
    name: String,
    /// p95, commit_burst, transfer or flat.
    #[arg(long)]
    model: String,
    /// ISO 4217 code; amounts are rounded half-even to its minor unit.
    #[arg(long)]
    currency: String,
    /// p95: price per Mbps of the 95th percentile.
    #[arg(long, value_name = "PRICE", value_parser = money::decimal)]
    price_per_mbps: Option<Decimal>,
    /// commit_burst: the committed rate, always billed.
    #[arg(long, value_name = "MBPS", value_parser = money::decimal)]
    commit_mbps: Option<Decimal>,
    /// commit_burst: price per committed Mbps.
    #[arg(long, value_name = "PRICE", value_parser = money::decimal)]
    commit_price: Option<Decimal>,
    /// commit_burst: price per Mbps of the 95th above the commit.
    #[arg(long, value_name = "PRICE", value_parser = money::decimal)]
    burst_price_per_mbps: Option<Decimal>,
    /// transfer: GB included before the tiers apply.
    #[arg(long, value_name = "GB", value_parser = money::decimal)]
    included_gb: Option<Decimal>,
    /// transfer (GB) or commit_burst (Mbps above commit): UP_TO:PRICE, graduated, in
    /// order, the last one rest:PRICE. Repeat for each tier.
    #[arg(long = "tier", value_name = "UP_TO:PRICE")]
    tiers: Vec<String>,
    /// flat: the fee per cycle.
    #[arg(long, value_name = "AMOUNT", value_parser = money::decimal)]
    flat_fee: Option<Decimal>,
}

impl PlanArgs {
    fn plan(self) -> Result<Plan> {
        let model = Model::parse(&self.model).ok_or_else(|| {
            Error::validation(format!(
                "--model {:?} is not one of p95, commit_burst, transfer, flat",
                self.model
            ))
        })?;
        let tiers = self
            .tiers
            .iter()
            .map(|t| Tier::parse(t))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::validation)?;
        Ok(Plan {
            name: self.name,
            model,
            currency: self.currency,
            price_per_mbps: self.price_per_mbps,
            commit_mbps: self.commit_mbps,
            commit_price: self.commit_price,
            burst_price_per_mbps: self.burst_price_per_mbps,
            included_gb: self.included_gb.unwrap_or_default(),
            tiers,
            flat_fee: self.flat_fee,
        })
    }
}

/// Whether a billing command only reads.
pub fn reads_only(command: &BillingCommand) -> bool {
    matches!(
        command,
        BillingCommand::Plan {
            command: PlanCommand::List
        } | BillingCommand::Invoice { .. }
            | BillingCommand::Graph { .. }
            | BillingCommand::Close { dry_run: true, .. }
    )
}

fn cycle(text: &str) -> Result<Cycle> {
    Cycle::parse(text).map_err(|e| Error::validation(format!("--cycle: {e}")))
}

fn service(text: &str) -> Result<i64> {
    super::service::service_id(text)
}

pub async fn run(command: BillingCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    match command {
        BillingCommand::Plan {
            command: PlanCommand::Add(args),
        } => {
            let plan = billing::add_plan(&db, (*args).plan()?).await?;
            out.emit(&plan, |p| text::plans(std::slice::from_ref(p)));
        }
        BillingCommand::Plan {
            command: PlanCommand::List,
        } => {
            let plans = billing::list_plans(&db).await?;
            out.emit(&plans, |p| text::plans(p));
        }
        BillingCommand::Assign {
            service: s,
            plan,
            direction,
        } => {
            let direction = direction.as_deref().map(billing::direction).transpose()?;
            let done = billing::assign(&db, service(&s)?, &plan, direction).await?;
            out.emit(&done, text::assignment);
        }
        BillingCommand::Setting {
            command: SettingCommand::Direction { direction },
        } => {
            let set = billing::set_default_direction(&db, billing::direction(&direction)?).await?;
            out.emit(&serde_json::json!({"direction": set}), |_| {
                format!("services without their own direction are now billed by {set}")
            });
        }
        BillingCommand::Ingest { file } => {
            let progress = Shown::on(out);
            let report = if file == "-" {
                billing::ingest(&db, "stdin", std::io::stdin().lock(), &progress).await?
            } else {
                let input = std::fs::File::open(&file)
                    .map_err(|e| Error::validation(format!("cannot read {file}: {e}")))?;
                let input = std::io::BufReader::with_capacity(1 << 20, input);
                billing::ingest(&db, &file, input, &progress).await?
            };
            drop(progress);
            out.emit(&report, text::ingest);
        }
        BillingCommand::Close { which, dry_run } => {
            let s = which.service.as_deref().map(service).transpose()?;
            let progress = Shown::on(out);
            let report = billing::close(&db, cycle(&which.cycle)?, s, dry_run, &progress).await?;
            drop(progress);
            out.emit(&report, text::close);
        }
        BillingCommand::Reopen { which } => {
            let c = cycle(&which.cycle)?;
            let s = which.service.as_deref().map(service).transpose()?;
            let voided = billing::reopen(&db, c, s).await?;
            out.emit(&voided, |v| text::reopened(c, s, v));
        }
        BillingCommand::Invoice {
            service: s,
            cycle: c,
        } => {
            let invoice = billing::invoice(&db, service(&s)?, cycle(&c)?).await?;
            out.emit(&invoice, text::invoice);
        }
        BillingCommand::Graph {
            service: s,
            cycle: c,
        } => {
            let graph = billing::graph(&db, service(&s)?, cycle(&c)?).await?;
            if !out.json && std::io::stdout().is_terminal() {
                return super::billing_graph::draw_inline(&graph);
            }
            out.emit(&graph, |g| super::billing_graph::plain(g, 100, 20));
        }
    }
    Ok(())
}
