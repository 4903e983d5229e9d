//! `carve service provision|reprovision|cancel|show|list`: services and the space their
//! product's rules give them.

use clap::Subcommand;

use super::output::{Output, cell, clean, rows, table};
use super::render;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::model::Service;
use crate::service::database;
use crate::service::provision::{self, Held, ProvisionRequest, ServiceFilter, ServiceOutcome};

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service and fulfil its product's rules in one transaction.
    Provision {
        /// The customer the service is for.
        #[arg(long)]
        customer: String,
        /// The product whose rules give the space.
        #[arg(long)]
        product: String,
        /// The device it runs on.
        #[arg(long)]
        device: String,
        /// Show the plan (every split, merge and allocation) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Release the device's non-management space and fulfil the product's rules again.
    Reprovision {
        /// The service, by id.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Release the service's space (management addresses stay on the device).
    Cancel {
        /// The service, by id.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The service and the space it holds.
    Show {
        /// The service, by id.
        #[arg(value_name = "SERVICE")]
        service: String,
    },
    /// List services (of a customer or a device, in a status).
    List {
        /// Only services of this customer.
        #[arg(long)]
        customer: Option<String>,
        /// Only services on this device.
        #[arg(long)]
        device: Option<String>,
        /// active or cancelled
        #[arg(long)]
        status: Option<String>,
    },
}

/// `42` or `#42`.
pub(super) fn service_id(text: &str) -> Result<i64> {
    text.trim().trim_start_matches('#').parse().map_err(|_| {
        Error::validation(format!(
            "{} is not a service number (e.g. 42)",
            crate::engine::text::quote(text)
        ))
    })
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
    if let Some(v) = &o.vlan {
        text.push_str(&format!(
            "VLAN {} at {}: {}\n",
            v.vlan.vid,
            clean(&v.vlan.location),
            v.action
        ));
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
            vec![
                h.rule.map_or("-".to_owned(), |r| r.to_string()),
                h.space(),
                cell(&h.purpose.as_deref().map(clean)),
                cell(&h.vlan),
                cell(&h.strategy),
            ]
        })
        .collect();
    table(&["RULE", "SPACE", "PURPOSE", "VLAN", "STRATEGY"], &rows)
}
