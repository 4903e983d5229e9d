//! `carve device|product|service ...`: devices, products with their IPAM rules, and the
//! services provisioned from them.

use std::io::Read;
use std::path::Path;

use clap::Subcommand;

use super::output::{Output, cell, clean, rows, table};
use super::render;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::provision::{Rule, RuleKind};
use crate::service::database;
use crate::service::products::{self, ProductView};
use crate::service::provision::{self, Held, ProvisionRequest, ServiceFilter, ServiceOutcome};
use crate::store::services::{Device, Product, Service};

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Add a device (server, switch, ...) at a location.
    Add {
        name: String,
        #[arg(long)]
        location: String,
        #[arg(long)]
        kind: Option<String>,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Add a product with its allocation rules (a JSON file, or - for stdin).
    Add {
        name: String,
        #[arg(long, value_name = "FILE|-")]
        ipam_config: String,
    },
    /// Replace a product's allocation rules.
    Set {
        name: String,
        #[arg(long, value_name = "FILE|-")]
        ipam_config: String,
    },
    Show {
        name: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service and fulfil its product's rules in one transaction.
    Provision {
        #[arg(long)]
        customer: String,
        #[arg(long)]
        product: String,
        #[arg(long)]
        device: String,
        /// Show the plan (every split, merge and allocation) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Release the device's non-management space and fulfil the product's rules again.
    Reprovision {
        #[arg(value_name = "SERVICE")]
        service: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Release the service's space (management addresses stay on the device).
    Cancel {
        #[arg(value_name = "SERVICE")]
        service: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// The service and the space it holds.
    Show {
        #[arg(value_name = "SERVICE")]
        service: String,
    },
    List {
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        device: Option<String>,
        /// active or cancelled
        #[arg(long)]
        status: Option<String>,
    },
}

pub async fn device(command: DeviceCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    let devices = match command {
        DeviceCommand::Add {
            name,
            location,
            kind,
        } => vec![products::add_device(&db, &name, &location, kind.as_deref()).await?],
        DeviceCommand::List => {
            let all = products::list_devices(&db).await?;
            out.emit(&all, |all| device_table(all));
            return Ok(());
        }
    };
    out.emit(&devices[0], |d| device_table(std::slice::from_ref(d)));
    Ok(())
}

fn device_table(devices: &[Device]) -> String {
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            vec![
                clean(&d.name),
                cell(&d.location.as_deref().map(clean)),
                cell(&d.kind.as_deref().map(clean)),
            ]
        })
        .collect();
    table(&["DEVICE", "LOCATION", "KIND"], &rows)
}

pub async fn product(command: ProductCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    let view = match command {
        ProductCommand::Add { name, ipam_config } => {
            products::save(&db, &name, &read_config(&ipam_config)?, false).await?
        }
        ProductCommand::Set { name, ipam_config } => {
            products::save(&db, &name, &read_config(&ipam_config)?, true).await?
        }
        ProductCommand::Show { name } => products::show(&db, &name).await?,
        ProductCommand::List => {
            let all = products::list(&db).await?;
            out.emit(&all, |all| product_table(all));
            return Ok(());
        }
    };
    out.emit(&view, product_text);
    Ok(())
}

/// Reads an ipam_config document from a file or stdin; a JSON syntax error names the
/// file, line and column.
fn read_config(source: &str) -> Result<serde_json::Value> {
    let text = if source == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            Error::validation(format!("cannot read the ipam_config from stdin: {e}"))
        })?;
        text
    } else {
        std::fs::read_to_string(Path::new(source))
            .map_err(|e| Error::validation(format!("cannot read {source}: {e}")))?
    };
    let name = if source == "-" { "stdin" } else { source };
    serde_json::from_str(&text).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let what = e.to_string();
        let what = what.trim_end_matches(&format!(" at line {line} column {column}"));
        Error::validation(format!("{name}:{line}:{column}: not valid JSON: {what}"))
    })
}

fn product_table(products: &[Product]) -> String {
    let rows: Vec<Vec<String>> = products
        .iter()
        .map(|p| {
            let rules = p.ipam_config["rules"].as_array().map_or(0, Vec::len);
            vec![
                clean(&p.name),
                p.ipam_config["mode"].as_str().unwrap_or("?").to_owned(),
                rules.to_string(),
                p.updated_at.clone(),
            ]
        })
        .collect();
    table(&["PRODUCT", "MODE", "RULES", "UPDATED"], &rows)
}

fn product_text(view: &ProductView) -> String {
    let mode = match view.rules.mode {
        crate::provision::Mode::Full => "full",
        crate::provision::Mode::Disabled => "disabled (provisioning changes no IPAM state)",
    };
    let mut text = rows(&[
        ("product", clean(&view.product.name)),
        ("mode", mode.to_owned()),
        ("updated", view.product.updated_at.clone()),
    ]);
    if !view.rules.rules.is_empty() {
        text.push('\n');
        text.push_str(&rule_table(&view.rules.rules));
    }
    text
}

fn rule_table(rules: &[Rule]) -> String {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "any".to_owned()
        } else {
            items.join(",")
        }
    };
    let rows: Vec<Vec<String>> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let what = match (r.kind, r.prefix_length) {
                (RuleKind::Subnet, Some(len)) => format!("subnet /{len}"),
                _ => "ip".to_owned(),
            };
            vec![
                i.to_string(),
                what,
                r.family.to_string(),
                r.count.to_string(),
                cell(&r.purpose.as_deref().map(clean)),
                list(r.vlans.iter().map(ToString::to_string).collect()),
                r.strategy.to_string(),
                list(r.pools.iter().map(ToString::to_string).collect()),
            ]
        })
        .collect();
    table(
        &[
            "RULE", "KIND", "FAMILY", "COUNT", "PURPOSE", "VLANS", "STRATEGY", "POOLS",
        ],
        &rows,
    )
}

/// `42` or `#42`.
fn service_id(text: &str) -> Result<i64> {
    text.trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| Error::validation(format!("{text:?} is not a service number (e.g. 42)")))
}

pub async fn service(command: ServiceCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    let (verb, outcome) = match command {
        ServiceCommand::Provision {
            customer,
            product,
            device,
            dry_run,
        } => {
            let request = ProvisionRequest {
                customer,
                product,
                device,
                dry_run,
            };
            ("provisioned", provision::provision(&db, &request).await?)
        }
        ServiceCommand::Reprovision { service, dry_run } => {
            let id = service_id(&service)?;
            (
                "re-provisioned",
                provision::reprovision(&db, id, dry_run).await?,
            )
        }
        ServiceCommand::Cancel { service, dry_run } => {
            let id = service_id(&service)?;
            ("cancelled", provision::cancel(&db, id, dry_run).await?)
        }
        ServiceCommand::Show { service } => {
            let detail = provision::show(&db, service_id(&service)?).await?;
            out.emit(&detail, |d| {
                let mut text = service_rows(&d.service);
                if !d.subnets.is_empty() {
                    text.push('\n');
                    text.push_str(&render::subnet_table(&d.subnets));
                }
                if !d.addresses.is_empty() {
                    text.push('\n');
                    text.push_str(&render::ip_table(&d.addresses));
                }
                text
            });
            return Ok(());
        }
        ServiceCommand::List {
            customer,
            device,
            status,
        } => {
            let filter = ServiceFilter {
                customer,
                device,
                status,
            };
            let all = provision::list(&db, &filter).await?;
            out.emit(&all, |all| service_table(all));
            return Ok(());
        }
    };
    out.emit(&outcome, |o| outcome_text(verb, o));
    Ok(())
}

fn service_rows(s: &Service) -> String {
    let mut pairs = vec![
        ("service", format!("#{}", s.id)),
        ("status", s.status.clone()),
        ("customer", clean(&s.customer)),
        ("product", clean(&s.product)),
        ("device", clean(&s.device)),
        ("created", s.created_at.clone()),
        ("provisioned", s.provisioned_at.clone()),
    ];
    if let Some(at) = &s.cancelled_at {
        pairs.push(("cancelled", at.clone()));
    }
    rows(&pairs)
}

fn service_table(services: &[Service]) -> String {
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            vec![
                format!("#{}", s.id),
                s.status.clone(),
                clean(&s.customer),
                clean(&s.product),
                clean(&s.device),
                s.provisioned_at.clone(),
            ]
        })
        .collect();
    table(
        &[
            "SERVICE",
            "STATUS",
            "CUSTOMER",
            "PRODUCT",
            "DEVICE",
            "PROVISIONED",
        ],
        &rows,
    )
}

fn outcome_text(verb: &str, o: &ServiceOutcome) -> String {
    let s = &o.service;
    let prefix = if o.dry_run { "would have " } else { "" };
    // A dry run's service number is only reserved, never used: do not show it.
    let which = if o.dry_run && verb == "provisioned" {
        "a new service".to_owned()
    } else {
        format!("service #{}", s.id)
    };
    let mut text = format!(
        "{prefix}{verb} {which} ({} / {} on {})\n",
        clean(&s.customer),
        clean(&s.product),
        clean(&s.device)
    );
    if let Some(skipped) = &o.skipped {
        text.push_str(&format!("skipped: {}\n", clean(skipped)));
    }
    for (title, held) in [("released", &o.released), ("allocated", &o.allocations)] {
        if !held.is_empty() {
            text.push_str(&format!("\n{title}:\n"));
            text.push_str(&held_table(held));
        }
    }
    if !o.events.is_empty() {
        text.push_str("\nevents:\n");
        text.push_str(&render::events(&o.events));
    }
    if o.dry_run {
        text.push_str("dry run: nothing was changed\n");
    }
    text
}

fn held_table(held: &[Held]) -> String {
    let rows: Vec<Vec<String>> = held
        .iter()
        .map(|h| {
            let what = match (h.cidr, h.address) {
                (Some(c), _) => c.to_string(),
                (None, Some(a)) => a.to_string(),
                (None, None) => "-".to_owned(),
            };
            vec![
                h.rule.map_or("-".to_owned(), |r| r.to_string()),
                what,
                cell(&h.purpose.as_deref().map(clean)),
                cell(&h.vlan),
                cell(&h.strategy),
            ]
        })
        .collect();
    table(&["RULE", "SPACE", "PURPOSE", "VLAN", "STRATEGY"], &rows)
}
