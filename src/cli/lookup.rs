//! `carve lookup QUERY` and `carve log`.

use super::output::{Output, clean, rows, table};
use super::render;
use super::subnet::cidr;
use crate::config::Settings;
use crate::error::Result;
use crate::service::database;
use crate::service::lookup::{self, LookupResult};
use crate::store::rows::JournalEntry;

pub async fn lookup(query: &str, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    let result = lookup::lookup(&db, query).await?;
    out.emit(&result, lookup_text);
    Ok(())
}

fn lookup_text(result: &LookupResult) -> String {
    match result {
        LookupResult::Address {
            address,
            record,
            subnets,
        } => {
            let mut text = match record {
                Some(ip) => rows(&render::ip_detail(ip)),
                None => format!("{address}: no address record (free, or not in a pool)\n"),
            };
            text.push('\n');
            text.push_str(&render::subnet_table(subnets));
            text
        }
        LookupResult::Cidr { subnets, .. } => render::subnet_table(subnets),
        LookupResult::Customer {
            customer,
            subnets,
            addresses,
        } => {
            let mut text = format!("customer {}\n\n", clean(customer));
            text.push_str(&render::subnet_table(subnets));
            if !addresses.is_empty() {
                text.push('\n');
                text.push_str(&render::ip_table(addresses));
            }
            text
        }
    }
}

pub async fn log(
    limit: i64,
    event: Option<String>,
    net: Option<String>,
    settings: &Settings,
    out: &Output,
) -> Result<()> {
    let net = net.as_deref().map(cidr).transpose()?;
    let (db, _) = database::open(settings).await?;
    let entries = lookup::log(&db, limit, event.as_deref(), net.as_ref()).await?;
    out.emit(&entries, |entries: &Vec<JournalEntry>| {
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    e.at.clone(),
                    e.event.clone(),
                    e.outcome.clone(),
                    render::target(e.address, e.cidr),
                    clean(&render::detail(&e.detail)),
                ]
            })
            .collect();
        table(
            &["WHEN (UTC)", "EVENT", "OUTCOME", "TARGET", "DETAIL"],
            &rows,
        )
    });
    Ok(())
}
