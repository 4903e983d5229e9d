//! The command line: clap definitions, dispatch to the service layer, and output as
//! aligned text or one JSON document (`--json`).

mod billing;
mod billing_graph;
mod billing_text;
mod catalog;
mod db;
mod export;
mod free;
mod import;
mod ip;
mod lookup;
mod output;
mod product;
mod progress;
mod rdns;
mod render;
mod report;
mod report_formats;
mod service;
mod shell;
mod subnet;
mod undo;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use output::Output;

use crate::config::Settings;
use crate::error::Result;
use crate::service::Db;

#[derive(Debug, Parser)]
#[command(
    name = "carve",
    version,
    about = "A terminal IP address manager: one prefix tree in PostgreSQL, carved safely",
    after_help = "Database: --database-url, CARVE_DATABASE_URL, DATABASE_URL or database.url in \
                  the config file; with none of them carve runs its own PostgreSQL under the \
                  data dir. Prefer the environment or the config file for URLs holding a \
                  password: command lines are visible to other users."
)]
pub struct Cli {
    /// Config file (default: the platform config dir's carve/config.toml, or CARVE_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// PostgreSQL URL of the tenant database (overrides the environment and config; not
    /// with --profile).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// No progress bars or spinners on stderr (they are drawn only when stderr is a
    /// terminal anyway); errors and warnings are still printed.
    #[arg(long, global = true)]
    pub quiet: bool,

    /// Refuse every command that changes data (also `database.read_only` in the config).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Use the config file's [profiles.NAME]: its database, theme and read-only setting
    /// (also CARVE_PROFILE).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// With --dry-run: print the plan's fingerprint (`carve-plan: ...`) on stderr.
    #[arg(long, global = true, hide = true)]
    pub print_plan: bool,

    /// Run only if the change is still the plan with this fingerprint (the UI's palette
    /// confirms a plan it showed this way); else refused, nothing done.
    #[arg(long, global = true, hide = true, value_name = "FINGERPRINT")]
    pub expect_plan: Option<String>,

    /// Without a command, carve opens its terminal UI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The global options again as arguments, so the UI's command palette reaches the
    /// same database and configuration.
    pub fn global_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(config) = &self.config {
            args.extend(["--config".to_owned(), config.display().to_string()]);
        }
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        if self.read_only {
            args.push("--read-only".to_owned());
        }
        if let Some(profile) = &self.profile {
            args.extend(["--profile".to_owned(), profile.clone()]);
        }
        args
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Subnets: add blocks, allocate, split, merge, release, park, show.
    Subnet {
        #[command(subcommand)]
        command: subnet::SubnetCommand,
    },
    /// Single addresses in pool subnets.
    Ip {
        #[command(subcommand)]
        command: ip::IpCommand,
    },
    /// Who holds an address, what holds a CIDR, or all of a customer's space.
    Lookup {
        /// An address, a CIDR, or a customer name.
        query: String,
    },
    /// The journal of changes, newest first.
    Log(lookup::LogArgs),
    /// Every subnet and address record as CSV, XLSX or JSON (carve import reads it back).
    Export(export::ExportArgs),
    /// Import a spreadsheet (CSV, TSV, XLSX, XLS, ODS): all rows or none.
    Import(import::ImportArgs),
    /// Take a change back (an allocation, release, split, merge, park, a provisioning)
    /// when nothing later depends on it.
    Undo(undo::UndoArgs),
    /// Sites: VLANs and locations of subnets.
    Location {
        #[command(subcommand)]
        command: catalog::NamedCommand,
    },
    /// VLANs, per location.
    Vlan {
        #[command(subcommand)]
        command: catalog::VlanCommand,
    },
    /// Customers: who space is allocated to.
    Customer {
        #[command(subcommand)]
        command: catalog::NamedCommand,
    },
    /// Devices (servers, switches) that services run on.
    Device {
        #[command(subcommand)]
        command: product::DeviceCommand,
    },
    /// Products and their allocation rules (ipam_config).
    Product {
        #[command(subcommand)]
        command: product::ProductCommand,
    },
    /// Services: provision, re-provision, cancel; their space comes from the product's rules.
    Service {
        #[command(subcommand)]
        command: service::ServiceCommand,
    },
    /// Reverse DNS: push PTR names to the providers, compare, export zone files.
    Rdns {
        #[command(subcommand)]
        command: rdns::RdnsCommand,
    },
    /// Reports: capacity per block and pool (a monitoring check with --threshold).
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// IP transit billing: plans, usage, invoices (95th percentile, commit and burst,
    /// transfer, flat).
    Billing {
        #[command(subcommand)]
        command: billing::BillingCommand,
    },
    /// (Re)create the example database carve_demo in the embedded cluster and open it
    /// (printed as a tree when stdout is not a terminal).
    Demo,
    /// Database: the embedded cluster and schema migrations.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// Print a shell completion script: `carve completions bash > /etc/bash_completion.d/carve`.
    Completions {
        /// The shell to complete for (bash, zsh, fish, elvish, powershell).
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `carve man | man -l -`.
    Man,
}

/// What is left to do once a command line ran: nothing, or open the terminal UI on a
/// database (which `main` does: the commands know nothing of the UI).
pub enum Next {
    Done,
    Ui {
        db: Db,
        settings: Box<Settings>,
        /// The global options the UI's palette passes to `carve` to reach the same
        /// database.
        global_args: Vec<String>,
    },
}

/// Runs one parsed command (none means the UI); the caller prints the error and picks
/// the exit code.
pub async fn run(cli: Cli, settings: &Settings, out: &Output) -> Result<Next> {
    let global_args = cli.global_args();
    let Some(command) = cli.command else {
        let (db, _) = crate::service::database::open(settings).await?;
        return Ok(Next::Ui {
            db,
            settings: Box::new(settings.clone()),
            global_args,
        });
    };
    if !reads_only(&command) {
        let target = crate::service::database::ensure_writable(settings).await?;
        if let Some(profile) = &settings.profile {
            // On stderr, so that scripts reading stdout (and --json) are unaffected.
            eprintln!("carve: profile {} ({})", output::clean(profile), target);
        }
    }
    // What only reads goes to the standby `read_url` names, when there is one.
    let reading = settings.for_reads().filter(|_| from_standby(&command));
    let settings = reading.as_ref().unwrap_or(settings);
    let work = dispatch(command, settings, out);
    // Only the palette's runs (a plan printed, or one to hold to) pay for the fingerprint.
    if !cli.print_plan && cli.expect_plan.is_none() {
        return work.await;
    }
    let (result, seen) = crate::service::plan::held_to(cli.expect_plan.clone(), work).await;
    if cli.print_plan
        && let Some(seen) = seen
    {
        eprintln!("carve-plan: {seen}");
    }
    result
}

/// Runs one command.
async fn dispatch(command: Command, settings: &Settings, out: &Output) -> Result<Next> {
    let done = match command {
        Command::Db { command } => db::run(command, settings, out).await,
        Command::Completions { shell } => {
            shell::completions(shell);
            Ok(())
        }
        Command::Man => shell::man(),
        Command::Subnet { command } => subnet::run(command, settings, out).await,
        Command::Ip { command } => ip::run(command, settings, out).await,
        Command::Lookup { query } => lookup::lookup(&query, settings, out).await,
        Command::Log(args) => lookup::log(args, settings, out).await,
        Command::Undo(args) => undo::run(args, settings, out).await,
        Command::Import(args) => import::run(args, settings, out).await,
        Command::Export(args) => export::run(args, settings, out).await,
        Command::Location { command } => {
            catalog::named(crate::model::Catalog::Location, command, settings, out).await
        }
        Command::Customer { command } => {
            catalog::named(crate::model::Catalog::Customer, command, settings, out).await
        }
        Command::Vlan { command } => catalog::vlan(command, settings, out).await,
        Command::Report { command } => report::run(command, settings, out).await,
        Command::Rdns { command } => rdns::run(command, settings, out).await,
        Command::Billing { command } => billing::run(command, settings, out).await,
        Command::Device { command } => product::device(command, settings, out).await,
        Command::Product { command } => product::product(command, settings, out).await,
        Command::Service { command } => service::service(command, settings, out).await,
        Command::Demo => return demo(settings, out).await,
    };
    done.map(|()| Next::Done)
}

/// `carve demo`: the example database, opened in the UI on a terminal, else printed.
async fn demo(settings: &Settings, out: &Output) -> Result<Next> {
    let db = crate::service::demo::create(settings).await?;
    if !out.json && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // The palette must reach the demo database, not the configured one.
        let global_args = vec![
            "--database-url".to_owned(),
            crate::service::demo::url(settings)?,
        ];
        // The demo is no profile's tenant: the status bar must not name one.
        let settings = Settings {
            profile: None,
            ..settings.clone()
        };
        return Ok(Next::Ui {
            db,
            settings: Box::new(settings),
            global_args,
        });
    }
    let forest = crate::service::lookup::forest(&db).await?;
    out.emit(&forest, |f| {
        format!(
            "demo database {} created in the local cluster (your data is untouched)\n\n{}",
            crate::service::demo::DEMO_DATABASE,
            render::tree(f)
        )
    });
    Ok(Next::Done)
}

/// Commands a standby serves when `read_url` is set: those that only read and take no
/// lock. A dry run plans in a transaction that takes row locks, so it stays on the
/// primary, as does what reads the embedded cluster or prints carve's own help.
fn from_standby(command: &Command) -> bool {
    use self::billing::BillingCommand;
    use self::rdns::RdnsCommand;
    match command {
        Command::Import(_)
        | Command::Db { .. }
        | Command::Demo
        | Command::Completions { .. }
        | Command::Man => false,
        Command::Rdns { command } => {
            matches!(
                command,
                RdnsCommand::Status | RdnsCommand::Export { output: None, .. }
            )
        }
        Command::Billing { command } => {
            !matches!(command, BillingCommand::Close { .. }) && billing::reads_only(command)
        }
        other => reads_only(other),
    }
}

/// Commands that only read. Everything else changes data and is refused when carve is
/// read-only (a new command is a change until it is listed here).
fn reads_only(command: &Command) -> bool {
    use self::catalog::{NamedCommand, VlanCommand};
    use self::product::{DeviceCommand, ProductCommand};
    use self::service::ServiceCommand;
    use self::subnet::SubnetCommand;
    match command {
        Command::Subnet { command } => {
            matches!(
                command,
                SubnetCommand::Show { .. }
                    | SubnetCommand::List { .. }
                    | SubnetCommand::Free { .. }
            )
        }
        Command::Ip { command } => {
            matches!(
                command,
                ip::IpCommand::Show { .. } | ip::IpCommand::Free { .. }
            )
        }
        Command::Location { command } | Command::Customer { command } => {
            matches!(command, NamedCommand::List)
        }
        Command::Vlan { command } => matches!(command, VlanCommand::List { .. }),
        Command::Device { command } => matches!(command, DeviceCommand::List),
        Command::Product { command } => {
            matches!(command, ProductCommand::Show { .. } | ProductCommand::List)
        }
        Command::Service { command } => {
            matches!(
                command,
                ServiceCommand::Show { .. } | ServiceCommand::List { .. }
            )
        }
        Command::Db { command } => db::reads_only(command),
        Command::Rdns { command } => rdns::reads_only(command),
        Command::Billing { command } => billing::reads_only(command),
        Command::Lookup { .. } | Command::Log(_) | Command::Report { .. } | Command::Demo => true,
        Command::Completions { .. } | Command::Man => true,
        Command::Import(args) => args.dry_run(),
        Command::Export(_) => true,
        Command::Undo(_) => false,
    }
}

/// `--family`: 4 or 6, a usage error otherwise (`--family 5` once answered an empty list).
fn family(text: &str) -> std::result::Result<u8, String> {
    match text {
        "4" => Ok(4),
        "6" => Ok(6),
        _ => Err("the address family is 4 or 6".to_owned()),
    }
}
