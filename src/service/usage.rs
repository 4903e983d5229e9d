//! The one place utilisation figures come from: `subnet show`, `subnet list`, `lookup`,
//! the UI's tree and detail pane and `report utilization` all call [`of`] (or
//! [`capacities`], which adds the free-block figures), so a number agrees everywhere.

use ipnet::IpNet;
use sqlx::PgConnection;

use crate::engine::address::usable_range;
use crate::engine::capacity::{self, Capacity};
use crate::engine::prefix::addr_at;
use crate::engine::usage::{LeafCounts, LeafState, PoolCounts, Utilization};
use crate::error::Result;
use crate::model::{Subnet, SubnetStatus};
use crate::store::capacity::{self as store, PoolRange};

/// What a subnet's figures are made of.
enum Counts {
    Leaf(LeafState),
    Block(LeafCounts),
    Pool(PoolCounts),
    /// A subdivided node when only cheap figures were asked for.
    Unknown,
}

/// The utilisation of each subnet, in order. With `deep` false, subdivided nodes (whose
/// figures cost a scan of their subtree) come back as None, for the caller to ask later.
pub async fn of(
    conn: &mut PgConnection,
    subnets: &[Subnet],
    deep: bool,
) -> Result<Vec<Option<Utilization>>> {
    let counts = counts(conn, subnets, deep).await?;
    Ok(subnets
        .iter()
        .zip(counts)
        .map(|(s, c)| match c {
            Counts::Leaf(state) => Some(Utilization::of_leaf(&s.cidr, state)),
            Counts::Block(leaves) => Some(Utilization::of_block(&s.cidr, &leaves)),
            Counts::Pool(records) => Some(pool_usage(s, records)),
            Counts::Unknown => None,
        })
        .collect())
}

/// The utilisation of one subnet.
pub async fn of_one(conn: &mut PgConnection, subnet: &Subnet) -> Result<Utilization> {
    let mut all = of(conn, std::slice::from_ref(subnet), true).await?;
    Ok(all.pop().flatten().unwrap_or_default())
}

/// Capacity figures (utilisation plus the largest free block and fragmentation) for
/// the utilisation report.
pub async fn capacities(conn: &mut PgConnection, subnets: &[Subnet]) -> Result<Vec<Capacity>> {
    let counts = counts(conn, subnets, true).await?;
    Ok(subnets
        .iter()
        .zip(counts)
        .map(|(s, c)| match c {
            Counts::Pool(records) => {
                capacity::of_pool(&s.cidr, reserve_first(s), s.hidden, records)
            }
            Counts::Block(leaves) => capacity::of_block(&s.cidr, &leaves),
            Counts::Leaf(state) => {
                capacity::of_block(&s.cidr, &LeafCounts::of_leaf(&s.cidr, state))
            }
            Counts::Unknown => capacity::of_block(&s.cidr, &LeafCounts::default()),
        })
        .collect())
}

fn pool_usage(s: &Subnet, records: PoolCounts) -> Utilization {
    Utilization::of_pool(&s.cidr, reserve_first(s), s.hidden, records)
}

fn reserve_first(s: &Subnet) -> u32 {
    u32::try_from(s.pool_reserved_first).unwrap_or(0)
}

/// A leaf's state (a pool is counted by its addresses, not here).
fn leaf_state(s: &Subnet) -> LeafState {
    if s.hidden {
        LeafState::Parked
    } else {
        match s.status() {
            SubnetStatus::Unallocated => LeafState::Free,
            SubnetStatus::Reserved => LeafState::Reserved,
            _ => LeafState::Used,
        }
    }
}

/// Two queries at most, whatever the number of subnets: one for the pools' records, one
/// for the subdivided nodes' leaves.
async fn counts(conn: &mut PgConnection, subnets: &[Subnet], deep: bool) -> Result<Vec<Counts>> {
    let pools: Vec<PoolRange> = subnets
        .iter()
        .filter(|s| s.is_pool)
        .map(pool_range)
        .collect();
    let blocks: Vec<IpNet> = subnets
        .iter()
        .filter(|s| deep && !s.is_pool && s.status() == SubnetStatus::Subdivided)
        .map(|s| s.cidr)
        .collect();
    let mut pool_counts = if pools.is_empty() {
        Vec::new()
    } else {
        store::pool_counts(&mut *conn, &pools).await?
    }
    .into_iter();
    let mut leaf_counts = if blocks.is_empty() {
        Vec::new()
    } else {
        store::leaf_counts(conn, &blocks).await?
    }
    .into_iter();
    Ok(subnets
        .iter()
        .map(|s| {
            if s.is_pool {
                Counts::Pool(pool_counts.next().unwrap_or_default())
            } else if s.status() != SubnetStatus::Subdivided {
                Counts::Leaf(leaf_state(s))
            } else if deep {
                Counts::Block(leaf_counts.next().unwrap_or_default())
            } else {
                Counts::Unknown
            }
        })
        .collect())
}

fn pool_range(s: &Subnet) -> PoolRange {
    let (first, last) = usable_range(&s.cidr, 0).unwrap_or((0, 0));
    let kept = u128::from(reserve_first(s));
    PoolRange {
        id: s.id,
        first: addr_at(&s.cidr, first),
        last: addr_at(&s.cidr, last),
        last_kept_back: (kept > 0).then(|| addr_at(&s.cidr, (first + kept - 1).min(last))),
    }
}
