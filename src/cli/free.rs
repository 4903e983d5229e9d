//! `carve subnet free CIDR [--len N]` and `carve ip free POOL [--limit N]`: what is
//! available, as text or JSON.

use ipnet::IpNet;

use super::output::{Output, clean, table};
use crate::error::Result;
use crate::service::Db;
use crate::service::free::{self, FreeAddresses, FreeBlocks};

pub async fn blocks(
    db: &Db,
    cidr: &IpNet,
    len: Option<u8>,
    customer: Option<&str>,
    out: &Output,
) -> Result<()> {
    let blocks = free::blocks(db, cidr, len, customer).await?;
    out.emit(&blocks, blocks_text);
    Ok(())
}

fn blocks_text(b: &FreeBlocks) -> String {
    let whom = match &b.customer {
        Some(c) => format!("for customer {}", clean(c)),
        None => "for anyone (space held for a customer: --customer NAME)".to_owned(),
    };
    let mut text = format!(
        "{}: {} free block{} ({} addresses) {whom}\n",
        b.cidr,
        b.free.len(),
        plural(b.free.len() as u128),
        b.addresses
    );
    for block in &b.free {
        text.push_str(&format!("  {block}\n"));
    }
    if let (Some(len), Some(t)) = (b.len, &b.takeable) {
        text.push_str(&format!(
            "\n{} free /{len} an allocation could take here",
            t.count
        ));
        if t.first.is_empty() {
            text.push('\n');
        } else {
            let shown: Vec<String> = t.first.iter().map(ToString::to_string).collect();
            let lead = if t.count > t.first.len() as u128 {
                "first"
            } else {
                "all"
            };
            text.push_str(&format!(", {lead}: {}\n", shown.join(", ")));
        }
    }
    text
}

pub async fn ranges(db: &Db, pool: &IpNet, limit: i64, out: &Output) -> Result<()> {
    let ranges = free::ranges(db, pool, limit).await?;
    out.emit(&ranges, ranges_text);
    Ok(())
}

fn ranges_text(f: &FreeAddresses) -> String {
    let mut text = format!(
        "pool {}: {} free address{}\n",
        f.pool,
        f.free,
        if f.free == 1 { "" } else { "es" }
    );
    if !f.ranges.is_empty() {
        let rows: Vec<Vec<String>> = f
            .ranges
            .iter()
            .map(|r| vec![r.first.to_string(), r.last.to_string(), r.count.to_string()])
            .collect();
        text.push('\n');
        text.push_str(&table(&["FIRST", "LAST", "COUNT"], &rows));
    }
    if f.more {
        text.push_str(&format!(
            "(more ranges follow the first {}: --limit N shows more)\n",
            f.ranges.len()
        ));
    }
    text
}

fn plural(n: u128) -> &'static str {
    if n == 1 { "" } else { "s" }
}
