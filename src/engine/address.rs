//! Which single addresses of a pool may be handed out, and the first free one.

use ipnet::IpNet;

use super::prefix::size;

/// The offsets from the network address that a pool hands out, inclusive, or None when
/// reservations leave nothing.
/// - IPv4 skips the network and broadcast addresses, except in /31 and /32 (RFC 3021).
/// - IPv6 skips the subnet-router anycast address (the first), except in /127 and /128
///   (RFC 6164).
/// - `reserve_first` more addresses are kept back at the start (a gateway, say).
pub fn usable_range(pool: &IpNet, reserve_first: u32) -> Option<(u128, u128)> {
    let span = size(pool);
    let point_to_point = pool.max_prefix_len() - pool.prefix_len() <= 1;
    let (lo, hi) = match (pool, point_to_point) {
        (_, true) => (0, span - 1),
        (IpNet::V4(_), false) => (1, span - 2),
        (IpNet::V6(_), false) => (1, span - 1),
    };
    let lo = lo + u128::from(reserve_first);
    (lo <= hi).then_some((lo, hi))
}

/// The lowest offset in `range` not in `used` (ascending, duplicates allowed).
pub fn first_free(range: (u128, u128), used: impl IntoIterator<Item = u128>) -> Option<u128> {
    let (mut candidate, hi) = range;
    for offset in used {
        if offset < candidate {
            continue;
        }
        if offset > candidate {
            break;
        }
        if candidate == hi {
            return None;
        }
        candidate += 1;
    }
    Some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_cidr;

    fn range(cidr: &str, reserve: u32) -> Option<(u128, u128)> {
        usable_range(&parse_cidr(cidr).unwrap(), reserve)
    }

    #[test]
    fn ipv4_skips_network_and_broadcast_except_point_to_point() {
        assert_eq!(range("203.0.113.0/24", 0), Some((1, 254)));
        assert_eq!(range("203.0.113.0/24", 1), Some((2, 254)));
        assert_eq!(range("203.0.113.0/30", 0), Some((1, 2)));
        assert_eq!(range("203.0.113.0/31", 0), Some((0, 1)));
        assert_eq!(range("203.0.113.9/32", 0), Some((0, 0)));
        assert_eq!(range("203.0.113.0/30", 2), None);
    }

    #[test]
    fn ipv6_skips_the_anycast_address_except_point_to_point() {
        assert_eq!(range("2001:db8::/64", 0), Some((1, (1u128 << 64) - 1)));
        assert_eq!(range("2001:db8::/127", 0), Some((0, 1)));
        assert_eq!(range("2001:db8::1/128", 0), Some((0, 0)));
    }

    #[test]
    fn first_free_finds_the_gap() {
        assert_eq!(first_free((1, 254), []), Some(1));
        assert_eq!(first_free((1, 254), [0, 1, 2, 4]), Some(3));
        assert_eq!(first_free((1, 3), [1, 2, 3]), None);
        assert_eq!(first_free((2, 9), [1, 2, 2, 3, 7]), Some(4));
    }
}
