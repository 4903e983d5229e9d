//! Ownership (DESIGN.md section 1): space under a block that a customer, service or
//! device holds is that holder's. The database refuses anything else
//! (`subnets_inside_owner`, `ip_addresses_inside_owner`); these checks say it first, in
//! words, naming the block and its holder.

use ipnet::IpNet;
use sqlx::PgConnection;

use crate::error::{Error, Result};
use crate::model::{Owner, Subnet};
use crate::store::tree;

/// The nearest block at or above `net` that a customer, service or device holds.
pub(crate) async fn holding_block(conn: &mut PgConnection, net: &IpNet) -> Result<Option<Subnet>> {
    let chain = tree::containing(conn, net).await?;
    Ok(chain.into_iter().rev().find(Subnet::is_held))
}

/// Refuses to give `holder` space at `net` (shown as `what`: `pool 10.9.0.0/22`), which
/// lies in `node` (the deepest subnet holding it), when that space is someone else's.
/// The node's owner columns decide; the holding block is looked up only to name it.
pub(crate) async fn refuse_foreign(
    conn: &mut PgConnection,
    node: &Subnet,
    net: &IpNet,
    holder: &Owner,
    what: &str,
) -> Result<()> {
    if node.owner().admits(holder) {
        return Ok(());
    }
    let Some(block) = holding_block(conn, net).await? else {
        return Err(Error::internal(format!(
            "{net} is owned, but no block holds it"
        )));
    };
    let who = block.holder_text();
    let place = if block.cidr == *net {
        format!("{what} is held for {who}")
    } else {
        format!("{what} lies inside {}, held for {who}", block.cidr)
    };
    Err(Error::conflict(format!(
        "{place}: only allocations for {who} take space there"
    )))
}
