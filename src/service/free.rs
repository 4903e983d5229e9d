//! What is available: a region's free blocks as they are (and the blocks of one length
//! an allocation could take there), and a pool's free address ranges as its allocator
//! hands them out.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::addresses::pool_named;
use super::resolve;
use crate::engine::Family;
use crate::engine::address::usable_range;
use crate::engine::free::{Takeable, takeable};
use crate::engine::prefix::{addr_at, addr_to_u128, size};
use crate::error::{Error, Result};
use crate::model::Owner;
use crate::store::{Db, addresses, db_error, free, tree};

/// How many blocks of the asked length are listed (all are counted).
const FIRST_FEW: usize = 8;

#[derive(Debug, Clone, Serialize)]
pub struct FreeBlocks {
    pub cidr: IpNet,
    /// The free leaves inside, in address order (the region itself when it lies inside
    /// one free leaf).
    pub free: Vec<IpNet>,
    /// Addresses in them.
    pub addresses: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub len: Option<u8>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub takeable: Option<Takeable>,
    /// Whom the space is free for: this customer (space held for them included), else
    /// anyone (space held for a customer, service or device left out).
    pub customer: Option<String>,
}

pub async fn blocks(
    db: &Db,
    cidr: &IpNet,
    len: Option<u8>,
    customer: Option<&str>,
) -> Result<FreeBlocks> {
    if let Some(len) = len {
        check_length(cidr, len)?;
    }
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let holder = Owner::of(resolve::customer(&mut conn, customer).await?, None, None);
    let chain = tree::containing(&mut conn, cidr).await?;
    let Some(deepest) = chain.last() else {
        return Err(Error::not_found(format!(
            "{cidr} is not inside any block carve manages (carve subnet add adds one)"
        )));
    };
    // In a buddy tree the deepest node holding a region that is not a node is a leaf.
    let (leaves, blockers) = if deepest.cidr != *cidr {
        let inside_free = deepest.is_free_leaf() && deepest.owner().admits(&holder);
        (
            inside_free.then_some(*cidr).into_iter().collect(),
            Vec::new(),
        )
    } else {
        (
            free::leaves(&mut conn, cidr, &holder).await?,
            free::merge_blockers(&mut conn, cidr).await?,
        )
    };
    Ok(FreeBlocks {
        cidr: *cidr,
        addresses: leaves.iter().map(size).fold(0, u128::saturating_add),
        len,
        takeable: len.map(|len| takeable(&leaves, &blockers, len, FIRST_FEW)),
        free: leaves,
        customer: customer.map(str::to_owned),
    })
}

fn check_length(cidr: &IpNet, len: u8) -> Result<()> {
    if len < cidr.prefix_len() {
        return Err(Error::validation(format!(
            "--len /{len} is shorter than {cidr}: blocks inside it are /{} or longer",
            cidr.prefix_len()
        )));
    }
    if len > cidr.max_prefix_len() {
        return Err(Error::validation(format!(
            "--len /{len} is out of range for {} (at most /{})",
            Family::of(cidr),
            cidr.max_prefix_len()
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct FreeRange {
    pub first: IpAddr,
    pub last: IpAddr,
    pub count: u128,
}

#[derive(Debug, Clone, Serialize)]
pub struct FreeAddresses {
    pub pool: IpNet,
    /// Every address the pool could still hand out.
    pub free: u128,
    /// The lowest ranges, at most the limit asked for.
    pub ranges: Vec<FreeRange>,
    /// More ranges follow the ones listed.
    pub more: bool,
}

/// The free ranges of a pool: the addresses its allocator hands out (network,
/// broadcast, anycast and reserved-first addresses left out) that have no record.
pub async fn ranges(db: &Db, cidr: &IpNet, limit: i64) -> Result<FreeAddresses> {
    let limit = usize::try_from(limit)
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| Error::validation(format!("--limit {limit} must be at least 1")))?;
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let pool = pool_named(&mut conn, cidr).await?;
    let reserve = u32::try_from(pool.pool_reserved_first).unwrap_or(0);
    let mut out = FreeAddresses {
        pool: *cidr,
        free: 0,
        ranges: Vec::new(),
        more: false,
    };
    let Some((lo, hi)) = usable_range(cidr, reserve) else {
        return Ok(out);
    };
    let (lo_addr, hi_addr) = (addr_at(cidr, lo), addr_at(cidr, hi));
    let used = free::records_between(&mut conn, lo_addr, hi_addr).await?;
    out.free = (hi - lo + 1).saturating_sub(u128::try_from(used).unwrap_or(0));
    let mut from = lo;
    while from <= hi {
        let Some(first) = addresses::first_gap(&mut conn, addr_at(cidr, from), hi_addr).await?
        else {
            break;
        };
        if out.ranges.len() == limit {
            out.more = true;
            break;
        }
        let offset = |a: IpAddr| addr_to_u128(a) - addr_to_u128(cidr.network());
        let last = match free::next_record(&mut conn, first, hi_addr).await? {
            Some(record) => offset(record) - 1,
            None => hi,
        };
        out.ranges.push(FreeRange {
            first,
            last: addr_at(cidr, last),
            count: last - offset(first) + 1,
        });
        // `last + 1` has a record (or lies beyond the pool): the next gap starts later.
        from = last + 2;
    }
    Ok(out)
}
