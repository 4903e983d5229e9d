//! The blocks of one length an allocation could take from a region's free leaves:
//! an exact free leaf, a piece of a shorter one (split), or a block that smaller free
//! leaves tile completely (merge), unless something inside it carries attributes of
//! its own, which the allocator never merges away.

use ipnet::IpNet;

use super::prefix::{addr_to_u128, size};

/// How many blocks of the length could be taken, and the lowest few of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Takeable {
    pub count: u128,
    pub first: Vec<IpNet>,
}

/// `free`: free leaves in address order, never overlapping (the tree tiles). `blocked`:
/// nodes a merge must not collapse (attributes of their own), in address order. At most
/// `first` blocks are listed; all are counted.
pub fn takeable(free: &[IpNet], blocked: &[IpNet], len: u8, first: usize) -> Takeable {
    let mut out = Takeable {
        count: 0,
        first: Vec::new(),
    };
    let mut i = 0;
    while i < free.len() {
        let leaf = free[i];
        if leaf.prefix_len() <= len {
            let pieces = 1u128
                .checked_shl(u32::from(len - leaf.prefix_len()))
                .unwrap_or(u128::MAX);
            out.count = out.count.saturating_add(pieces);
            let room = first.saturating_sub(out.first.len());
            out.first
                .extend(leaf.subnets(len).into_iter().flatten().take(room));
            i += 1;
            continue;
        }
        let block = IpNet::new(leaf.network(), len)
            .expect("a shorter length is valid")
            .trunc();
        let mut covered = 0u128;
        while i < free.len() && block.contains(&free[i]) {
            covered += size(&free[i]);
            i += 1;
        }
        if covered == size(&block) && !holds_blocker(&block, blocked) {
            out.count = out.count.saturating_add(1);
            if out.first.len() < first {
                out.first.push(block);
            }
        }
    }
    out
}

/// Whether a node strictly inside `block` is in `blocked` (sorted by address).
fn holds_blocker(block: &IpNet, blocked: &[IpNet]) -> bool {
    let (lo, hi) = (
        addr_to_u128(block.network()),
        addr_to_u128(block.broadcast()),
    );
    let start = blocked.partition_point(|b| addr_to_u128(b.network()) < lo);
    blocked[start..]
        .iter()
        .take_while(|b| addr_to_u128(b.network()) <= hi)
        .any(|b| b.prefix_len() > block.prefix_len() && block.contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_cidr;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|c| parse_cidr(c).unwrap()).collect()
    }

    #[test]
    fn shorter_leaves_count_every_piece_and_list_the_lowest() {
        let free = nets(&["10.0.0.32/27", "10.0.0.128/25"]);
        let t = takeable(&free, &[], 27, 3);
        assert_eq!(t.count, 5);
        assert_eq!(
            t.first,
            nets(&["10.0.0.32/27", "10.0.0.128/27", "10.0.0.160/27"])
        );
        assert_eq!(takeable(&free, &[], 25, 8).first, nets(&["10.0.0.128/25"]));
    }

    #[test]
    fn smaller_leaves_count_only_where_they_tile_a_whole_block_without_a_blocker() {
        let free = nets(&[
            "10.0.0.0/26",
            "10.0.0.64/27",
            "10.0.0.128/26",
            "10.0.0.192/26",
        ]);
        // 10.0.0.96/27 is not free: the first /25 is not whole.
        assert_eq!(takeable(&free, &[], 25, 8).first, nets(&["10.0.0.128/25"]));
        assert_eq!(takeable(&free, &[], 24, 8).count, 0);
        let blocked = nets(&["10.0.0.128/26"]);
        assert_eq!(takeable(&free, &blocked, 25, 8).count, 0);
        // A blocker is collapsed only by a merge above it, not by taking it.
        assert_eq!(takeable(&free, &blocked, 26, 8).count, 3);
    }

    #[test]
    fn huge_ipv6_counts_do_not_overflow() {
        let free = nets(&["2001:db8::/32"]);
        let t = takeable(&free, &[], 128, 1);
        assert_eq!(t.count, 1u128 << 96);
        assert_eq!(t.first, nets(&["2001:db8::/128"]));
    }
}
