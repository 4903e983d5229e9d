//! `carve lookup QUERY` and `carve log`.

use super::output::{Output, clean, rows, table};
use super::render;
use super::subnet::cidr;
use crate::config::Settings;
use crate::error::Result;
use crate::model::{JournalEntry, LogFilter};
use crate::service::database;
use crate::service::lookup::{self, LookupResult};

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

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// At most this many rows (newest first).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Only this event (e.g. ipam_allocate_subnet).
    #[arg(long)]
    event: Option<String>,
    /// Only events in or around this CIDR.
    #[arg(long)]
    cidr: Option<String>,
    /// Only what this person (OS user) or database role did.
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,
    /// Only the rows of one command (its id, as the JSON output shows it).
    #[arg(long, value_name = "ID")]
    command: Option<String>,
}

pub async fn log(args: LogArgs, settings: &Settings, out: &Output) -> Result<()> {
    let filter = LogFilter {
        limit: args.limit,
        event: args.event,
        cidr: args.cidr.as_deref().map(cidr).transpose()?,
        actor: args.actor,
        command_id: args.command,
    };
    let (db, _) = database::open(settings).await?;
    let entries = lookup::log(&db, &filter).await?;
    out.emit(&entries, |entries: &Vec<JournalEntry>| {
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    format!("#{}", e.id),
                    e.at.clone(),
                    clean(&e.who()),
                    e.event.clone(),
                    e.outcome.clone(),
                    render::target(e.address, e.cidr),
                    clean(&render::detail(&e.detail)),
                ]
            })
            .collect();
        table(
            &[
                "ID",
                "WHEN (UTC)",
                "WHO",
                "EVENT",
                "OUTCOME",
                "TARGET",
                "DETAIL",
            ],
            &rows,
        )
    });
    Ok(())
}
