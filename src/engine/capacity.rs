//! Capacity figures for the utilisation report: how full a block or an address pool is,
//! its largest free block, and how fragmented its free space is.

use ipnet::IpNet;
use serde::Serialize;

use super::usage::{LeafCounts, PoolCounts, Utilization};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    #[serde(flatten)]
    pub usage: Utilization,
    /// Used share in percent.
    pub percent_used: f64,
    /// The shortest free prefix (blocks only).
    pub largest_free: Option<u8>,
    /// The share of free space outside the largest free block, 0..1: 0 when all of it is
    /// one block, near 1 when it is crumbs.
    pub fragmentation: f64,
    /// Free blocks counted per prefix length, longest prefix last.
    pub free_blocks: Vec<(u8, u64)>,
}

/// A block from the prefix tree, given its leaves that are not in use.
pub fn of_block(net: &IpNet, leaves: &LeafCounts) -> Capacity {
    let usage = Utilization::of_block(net, leaves);
    let mut free_blocks: Vec<(u8, u64)> = leaves
        .free
        .iter()
        .copied()
        .filter(|(_, n)| *n > 0)
        .collect();
    free_blocks.sort();
    let largest_free = free_blocks.first().map(|(len, _)| *len);
    let largest = largest_free.map_or(0, |len| 1u128 << (net.max_prefix_len() - len));
    let fragmentation = if usage.free == 0 {
        0.0
    } else {
        (usage.free - largest) as f64 / usage.free as f64
    };
    Capacity {
        percent_used: usage.percent_used(),
        usage,
        largest_free,
        fragmentation,
        free_blocks,
    }
}

/// An address pool: its usable addresses against the address records in it.
pub fn of_pool(net: &IpNet, reserve_first: u32, parked: bool, records: PoolCounts) -> Capacity {
    let usage = Utilization::of_pool(net, reserve_first, parked, records);
    Capacity {
        percent_used: usage.percent_used(),
        usage,
        largest_free: None,
        fragmentation: 0.0,
        free_blocks: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn free(counts: &[(u8, u64)]) -> LeafCounts {
        LeafCounts {
            free: counts.to_vec(),
            ..LeafCounts::default()
        }
    }

    #[test]
    fn a_block_with_a_free_half_and_a_free_eighth() {
        // A /24 with .0/26 used, .64/27 used, .96/27 free, .128/25 free.
        let c = of_block(&net("203.0.113.0/24"), &free(&[(25, 1), (27, 1)]));
        assert_eq!((c.usage.total, c.usage.free, c.usage.used), (256, 160, 96));
        assert_eq!(c.percent_used, 37.5);
        assert_eq!(c.largest_free, Some(25));
        assert_eq!(
            c.fragmentation, 0.2,
            "32 of the 160 free addresses lie outside the /25"
        );
        assert_eq!(c.free_blocks, [(25, 1), (27, 1)]);
    }

    #[test]
    fn full_and_empty_blocks_and_ipv6_in_64s() {
        let full = of_block(&net("198.51.100.0/24"), &LeafCounts::default());
        assert_eq!(
            (full.percent_used, full.largest_free, full.fragmentation),
            (100.0, None, 0.0)
        );
        let v6 = of_block(&net("2001:db8::/48"), &free(&[(49, 1), (64, 1)]));
        assert_eq!(v6.usage.total_64s, Some(65536));
        assert_eq!(v6.usage.free_64s, Some(32768 + 1));
    }

    #[test]
    fn an_address_pool_counts_usable_addresses() {
        // A /29 has 6 usable addresses; one kept back for the gateway, 3 records.
        let records = PoolCounts {
            active: 3,
            ..PoolCounts::default()
        };
        let c = of_pool(&net("192.0.2.0/29"), 1, false, records);
        let u = c.usage;
        assert_eq!((u.total, u.used, u.reserved, u.free), (6, 3, 1, 2));
        assert_eq!(c.percent_used, 50.0);
    }
}
