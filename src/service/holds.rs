//! What a block holds, said before it is parked or released: the allocated and reserved
//! blocks beneath it with their holders, and its address records.

use ipnet::IpNet;
use serde::Serialize;
use sqlx::PgConnection;

use crate::error::Result;
use crate::model::Subnet;
use crate::store::{addresses, tree};

/// How many held blocks a report names; the rest are counted.
const NAMED: i64 = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Holds {
    /// The first few allocated or reserved blocks beneath, in address order.
    pub blocks: Vec<HeldBlock>,
    /// All of them, named or not.
    pub blocks_total: i64,
    /// Address records inside (parked and cooling ones included).
    pub addresses: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldBlock {
    pub cidr: IpNet,
    pub status: &'static str,
    /// `customer Initech, service #80`; None when nobody holds it.
    pub holder: Option<String>,
}

impl Holds {
    pub fn is_empty(&self) -> bool {
        self.blocks_total == 0 && self.addresses == 0
    }

    /// `10.9.0.0/24 allocated to customer Initech, 10.9.1.0/26 reserved (+3 more);
    /// 12 address records`.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.blocks_total > 0 {
            let named: Vec<String> = self
                .blocks
                .iter()
                .map(|b| match &b.holder {
                    Some(h) => format!("{} {} to {h}", b.cidr, b.status),
                    None => format!("{} {}", b.cidr, b.status),
                })
                .collect();
            let more = self.blocks_total - self.blocks.len() as i64;
            let more = if more > 0 {
                format!(" (+{more} more)")
            } else {
                String::new()
            };
            parts.push(format!("{}{more}", named.join(", ")));
        }
        if self.addresses > 0 {
            let s = if self.addresses == 1 { "" } else { "s" };
            parts.push(format!("{} address record{s}", self.addresses));
        }
        parts.join("; ")
    }
}

/// What `net` holds, and the first `rows` of its held blocks as rows (for a plan that
/// shows each with its customer, VLAN, service and device).
pub(crate) async fn within(
    conn: &mut PgConnection,
    net: &IpNet,
    rows: i64,
) -> Result<(Holds, Vec<Subnet>)> {
    let (blocks, blocks_total) = tree::held_within(&mut *conn, net, rows.max(NAMED)).await?;
    let addresses = addresses::count_within(conn, net).await?;
    let holds = Holds {
        blocks: blocks
            .iter()
            .take(NAMED as usize)
            .map(|b| HeldBlock {
                cidr: b.cidr,
                status: b.status().as_str(),
                holder: b.is_held().then(|| b.holder_text()),
            })
            .collect(),
        blocks_total,
        addresses,
    };
    let rows = blocks.into_iter().take(rows as usize).collect();
    Ok((holds, rows))
}
