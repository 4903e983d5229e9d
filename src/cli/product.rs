//! `carve device add|list` and `carve product add|set|show|list`: devices, and products
//! with their allocation rules.

use std::path::Path;

use clap::Subcommand;

use super::output::{Output, cell, clean, rows, table};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::input;
use crate::model::{Device, Product};
use crate::provision::{Mode, Rule, RuleKind};
use crate::service::database;
use crate::service::products::{self, ProductView};

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Add a device (server, switch, ...) at a location.
    Add {
        /// The device name (unique).
        name: String,
        /// The location it stands at.
        #[arg(long)]
        location: String,
        /// What kind of device it is (server, switch, ...).
        #[arg(long)]
        kind: Option<String>,
    },
    /// List every device.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Add a product with its allocation rules (a JSON file, or - for stdin).
    Add {
        /// The product name (unique).
        name: String,
        /// The allocation rules as JSON: a file, or - for stdin.
        #[arg(long, value_name = "FILE|-")]
        ipam_config: String,
    },
    /// Replace a product's allocation rules.
    Set {
        /// The product to change.
        name: String,
        /// The allocation rules as JSON: a file, or - for stdin.
        #[arg(long, value_name = "FILE|-")]
        ipam_config: String,
    },
    /// Show a product and its rules.
    Show {
        /// Its name.
        name: String,
    },
    /// List every product.
    List,
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
    let name = if source == "-" { "stdin" } else { source };
    let bytes = if source == "-" {
        input::read_all(std::io::stdin().lock(), name, input::IPAM_CONFIG_MAX)?
    } else {
        let file = std::fs::File::open(Path::new(source))
            .map_err(|e| Error::validation(format!("cannot read {source}: {e}")))?;
        input::read_all(file, name, input::IPAM_CONFIG_MAX)?
    };
    let text = String::from_utf8(bytes)
        .map_err(|e| Error::validation(format!("{name} is not UTF-8 text: {e}")))?;
    input::json::parse(&text).map_err(|e| {
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
        Mode::Full => "full",
        Mode::Disabled => "disabled (provisioning changes no IPAM state)",
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
