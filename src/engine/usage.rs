//! Utilisation, one definition for every view (DESIGN.md section 1): a pool counts
//! addresses (used of usable: IPv4 without network and broadcast, as NetBox does); any
//! other block counts addresses by the state of the leaves beneath it. Reserved and
//! parked space are counted apart from used, never inside it.

use ipnet::IpNet;
use serde::Serialize;

use super::address::usable_range;
use super::prefix::{count_64s, size};

/// Address counts of a prefix. `used + reserved + parked + free = total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Utilization {
    pub total: u128,
    pub used: u128,
    pub reserved: u128,
    pub parked: u128,
    pub free: u128,
    /// IPv6 blocks only: the same figures in /64s, the unit IPv6 space is handed out in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_64s: Option<u128>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_64s: Option<u128>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_64s: Option<u128>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_64s: Option<u128>,
}

/// The leaves beneath a block that are not in use, counted per prefix length. Every
/// other leaf (allocated, or a pool) is in use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeafCounts {
    /// Unallocated, not parked, not a pool.
    pub free: Vec<(u8, u64)>,
    /// Reserved, not parked.
    pub reserved: Vec<(u8, u64)>,
    /// Parked, itself or through an ancestor (a release cooldown included).
    pub parked: Vec<(u8, u64)>,
}

impl LeafCounts {
    /// The counts of a block that is one leaf in `state`.
    pub fn of_leaf(net: &IpNet, state: LeafState) -> LeafCounts {
        let mut leaves = LeafCounts::default();
        let one = (net.prefix_len(), 1);
        match state {
            LeafState::Free => leaves.free.push(one),
            LeafState::Reserved => leaves.reserved.push(one),
            LeafState::Parked => leaves.parked.push(one),
            LeafState::Used => {}
        }
        leaves
    }
}

/// The address records of a pool inside its usable range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Records in use (neither parked nor reserved).
    pub active: u64,
    /// Reserved records that are not parked.
    pub reserved: u64,
    /// Parked records (a release cooldown included).
    pub parked: u64,
    /// Records of either kind among the first addresses the pool keeps back.
    pub in_reserved_first: u64,
}

impl Utilization {
    /// A block from its leaves.
    pub fn of_block(net: &IpNet, leaves: &LeafCounts) -> Utilization {
        let total = size(net);
        let addresses = |counts: &[(u8, u64)]| -> u128 {
            counts
                .iter()
                .map(|(len, n)| (1u128 << (net.max_prefix_len() - len)) * u128::from(*n))
                .sum()
        };
        let free = addresses(&leaves.free);
        let reserved = addresses(&leaves.reserved);
        let parked = addresses(&leaves.parked);
        // IPv6 in whole /64s: a leaf longer than /64 is part of a /64 in use.
        let v6 = matches!(net, IpNet::V6(_));
        let in_64s = |counts: &[(u8, u64)]| -> Option<u128> {
            v6.then(|| {
                counts
                    .iter()
                    .filter(|(len, _)| *len <= 64)
                    .map(|(len, n)| (1u128 << (64 - len)) * u128::from(*n))
                    .sum()
            })
        };
        Utilization {
            total,
            used: total.saturating_sub(free + reserved + parked),
            reserved,
            parked,
            free,
            total_64s: v6.then(|| count_64s(net)),
            free_64s: in_64s(&leaves.free),
            reserved_64s: in_64s(&leaves.reserved),
            parked_64s: in_64s(&leaves.parked),
        }
    }

    /// A pool: its usable addresses, of which the first `reserve_first` are reserved
    /// (unless a record sits there, which counts as what it is), and so is each reserved
    /// record; all not in use is parked when the pool is.
    pub fn of_pool(
        net: &IpNet,
        reserve_first: u32,
        parked_pool: bool,
        c: PoolCounts,
    ) -> Utilization {
        let total = usable_range(net, 0).map_or(0, |(lo, hi)| hi - lo + 1);
        let kept_back = u128::from(reserve_first).min(total);
        let used = u128::from(c.active).min(total);
        let reserved = (kept_back.saturating_sub(u128::from(c.in_reserved_first))
            + u128::from(c.reserved))
        .min(total - used);
        let parked_records = u128::from(c.parked);
        let parked = if parked_pool {
            total.saturating_sub(used + reserved)
        } else {
            parked_records.min(total.saturating_sub(used + reserved))
        };
        Utilization {
            total,
            used,
            reserved,
            parked,
            free: total.saturating_sub(used + reserved + parked),
            ..Utilization::default()
        }
    }

    /// A leaf of the tree that is not a pool: all of it is in the leaf's one state.
    pub fn of_leaf(net: &IpNet, state: LeafState) -> Utilization {
        Utilization::of_block(net, &LeafCounts::of_leaf(net, state))
    }

    /// Used share in percent, for thresholds and bars.
    pub fn percent_used(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.used as f64 * 100.0 / self.total as f64
        }
    }

    /// The used share as every view prints it: whole percent rounded down, so 100% means
    /// full and a pool with room never reads as full; `<1%` rather than a misleading
    /// `0%` when something is used.
    pub fn percent_text(&self) -> String {
        if self.used > 0 && self.percent_used() < 1.0 {
            return "<1%".to_owned();
        }
        format!("{}%", self.percent_used().floor())
    }

    /// IPv6 blocks: used, reserved, parked, free and total in /64s (used is what the
    /// others leave).
    pub fn in_64s(&self) -> Option<[u128; 5]> {
        match (
            self.total_64s,
            self.free_64s,
            self.reserved_64s,
            self.parked_64s,
        ) {
            (Some(total), Some(free), Some(reserved), Some(parked)) => Some([
                total.saturating_sub(free + reserved + parked),
                reserved,
                parked,
                free,
                total,
            ]),
            _ => None,
        }
    }

    /// `32 of 254 used (12%), 4 reserved, 218 free` (reserved and parked only when
    /// there are some): the one long form. An IPv6 block counts in /64s, the unit its
    /// space is handed out in (`2 of 65536 /64s used (<1%), 65534 free`): its address
    /// counts run to 25 digits.
    pub fn summary(&self) -> String {
        let ([used, reserved, parked, free, total], unit) = match self.in_64s() {
            Some(counts) => (counts, " /64s"),
            None => (
                [self.used, self.reserved, self.parked, self.free, self.total],
                "",
            ),
        };
        let mut text = format!("{used} of {total}{unit} used ({})", self.percent_text());
        if reserved > 0 {
            text.push_str(&format!(", {reserved} reserved"));
        }
        if parked > 0 {
            text.push_str(&format!(", {parked} parked"));
        }
        text.push_str(&format!(", {free} free"));
        text
    }
}

/// The state a whole leaf is in, for its utilisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafState {
    Free,
    Used,
    Reserved,
    Parked,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_cidr;

    fn net(s: &str) -> IpNet {
        parse_cidr(s).unwrap()
    }

    #[test]
    fn a_pool_counts_used_of_usable_as_netbox_does() {
        let counts = PoolCounts {
            active: 32,
            ..PoolCounts::default()
        };
        let u = Utilization::of_pool(&net("203.0.113.0/24"), 0, false, counts);
        assert_eq!((u.used, u.total, u.free), (32, 254, 222));
        assert_eq!(u.percent_text(), "12%");
        let empty = Utilization::of_pool(&net("203.0.113.0/24"), 0, false, PoolCounts::default());
        assert_eq!((empty.used, empty.percent_text()), (0, "0%".to_owned()));
    }

    #[test]
    fn reserved_first_and_parked_records_are_apart_from_used() {
        // A /29: 6 usable; the first 2 kept back, a record on the first of them.
        let counts = PoolCounts {
            active: 2,
            parked: 1,
            in_reserved_first: 1,
            ..PoolCounts::default()
        };
        let u = Utilization::of_pool(&net("192.0.2.0/29"), 2, false, counts);
        assert_eq!(
            (u.total, u.used, u.reserved, u.parked, u.free),
            (6, 2, 1, 1, 2)
        );
        let parked = Utilization::of_pool(&net("192.0.2.0/29"), 2, true, counts);
        assert_eq!(
            (parked.used, parked.reserved, parked.parked, parked.free),
            (2, 1, 3, 0)
        );
    }

    #[test]
    fn reserved_records_are_reserved_not_used() {
        // A /29: 6 usable; 1 kept back (empty), 2 in use, 2 reserved records.
        let counts = PoolCounts {
            active: 2,
            reserved: 2,
            ..PoolCounts::default()
        };
        let u = Utilization::of_pool(&net("192.0.2.0/29"), 1, false, counts);
        assert_eq!(
            (u.total, u.used, u.reserved, u.parked, u.free),
            (6, 2, 3, 0, 1)
        );
        assert_eq!(u.summary(), "2 of 6 used (33%), 3 reserved, 1 free");
    }

    #[test]
    fn a_block_counts_its_leaves_by_state() {
        // A /24: .0/26 used, .64/27 reserved, .96/27 parked, .128/25 free.
        let leaves = LeafCounts {
            free: vec![(25, 1)],
            reserved: vec![(27, 1)],
            parked: vec![(27, 1)],
        };
        let u = Utilization::of_block(&net("203.0.113.0/24"), &leaves);
        assert_eq!(
            (u.total, u.used, u.reserved, u.parked, u.free),
            (256, 64, 32, 32, 128)
        );
        assert_eq!(u.percent_text(), "25%");
        assert_eq!(
            u.summary(),
            "64 of 256 used (25%), 32 reserved, 32 parked, 128 free"
        );
    }

    #[test]
    fn one_rounding_rule_rounds_down_and_never_says_zero_for_some() {
        let of = |used: u128, total: u128| Utilization {
            total,
            used,
            free: total - used,
            ..Utilization::default()
        };
        assert_eq!(of(120, 256).percent_text(), "46%", "46.9 rounds down");
        assert_eq!(of(255, 256).percent_text(), "99%", "full only when full");
        assert_eq!(of(256, 256).percent_text(), "100%");
        assert_eq!(of(1, 1 << 20).percent_text(), "<1%");
    }

    #[test]
    fn ipv6_blocks_count_64s_and_leaves_take_their_state() {
        let v6 = Utilization::of_block(
            &net("2001:db8::/48"),
            &LeafCounts {
                free: vec![(49, 1), (64, 1)],
                ..LeafCounts::default()
            },
        );
        assert_eq!((v6.total_64s, v6.free_64s), (Some(65536), Some(32768 + 1)));
        assert_eq!(v6.summary(), "32767 of 65536 /64s used (49%), 32769 free");
        let leaf = Utilization::of_leaf(&net("198.51.100.0/29"), LeafState::Reserved);
        assert_eq!((leaf.used, leaf.reserved, leaf.free), (0, 8, 0));
    }
}
