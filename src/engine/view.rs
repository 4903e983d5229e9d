//! How the tree is shown: the compact view that lifts structural buddy nodes out of the
//! way, and utilisation figures.

use ipnet::IpNet;

use super::prefix::{count_64s, size};

/// A node of a displayed tree: any payload with its children.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node<T> {
    pub item: T,
    pub children: Vec<Node<T>>,
}

/// Replaces every structural node (a subdivided node with nothing of its own) by its
/// children, recursively, so `203.0.113.0/24` lists `.0/26`, `.64/27`, `.96/29`, ...
pub fn compact<T>(nodes: Vec<Node<T>>, structural: &impl Fn(&T) -> bool) -> Vec<Node<T>> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let children = compact(node.children, structural);
        if structural(&node.item) && !children.is_empty() {
            out.extend(children);
        } else {
            out.push(Node {
                item: node.item,
                children,
            });
        }
    }
    out
}

/// Address counts of a prefix: everything, the part in free leaves, the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Utilization {
    pub total: u128,
    pub used: u128,
    pub free: u128,
    /// IPv6 only: the same figures in /64s, the unit IPv6 space is handed out in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_64s: Option<u128>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_64s: Option<u128>,
}

impl Utilization {
    /// `net`'s figures when `free_leaves` are the free prefixes inside it.
    pub fn of(net: &IpNet, free_leaves: &[IpNet]) -> Utilization {
        let counts: Vec<(u8, u64)> = free_leaves.iter().map(|l| (l.prefix_len(), 1)).collect();
        Utilization::from_counts(net, &counts)
    }

    /// `net`'s figures from its free leaves counted per prefix length.
    pub fn from_counts(net: &IpNet, free_counts: &[(u8, u64)]) -> Utilization {
        let total = size(net);
        let block = |len: u8| 1u128 << (net.max_prefix_len() - len);
        let free: u128 = free_counts
            .iter()
            .map(|(len, n)| block(*len) * u128::from(*n))
            .sum();
        let v6 = matches!(net, IpNet::V6(_));
        let free_64s = free_counts
            .iter()
            .filter(|(len, _)| *len <= 64)
            .map(|(len, n)| (1u128 << (64 - len)) * u128::from(*n))
            .sum();
        Utilization {
            total,
            used: total.saturating_sub(free),
            free,
            total_64s: v6.then(|| count_64s(net)),
            free_64s: v6.then_some(free_64s),
        }
    }

    /// Used share in percent, for bars and thresholds.
    pub fn percent_used(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.used as f64 * 100.0 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_cidr;

    fn node(name: &'static str, children: Vec<Node<&'static str>>) -> Node<&'static str> {
        Node {
            item: name,
            children,
        }
    }

    #[test]
    fn structural_nodes_are_lifted_recursively() {
        let tree = vec![node(
            "/24",
            vec![
                node(
                    "s/25",
                    vec![
                        node("/26", vec![]),
                        node("s/26", vec![node("/27a", vec![]), node("/27b", vec![])]),
                    ],
                ),
                node("/25", vec![]),
            ],
        )];
        let shown = compact(tree, &|n: &&str| n.starts_with('s'));
        let names: Vec<&str> = shown[0].children.iter().map(|n| n.item).collect();
        assert_eq!(names, ["/26", "/27a", "/27b", "/25"]);
    }

    #[test]
    fn utilization_counts_addresses_and_64s() {
        let net = parse_cidr("203.0.113.0/24").unwrap();
        let u = Utilization::of(&net, &[parse_cidr("203.0.113.128/25").unwrap()]);
        assert_eq!(
            (u.total, u.used, u.free, u.total_64s),
            (256, 128, 128, None)
        );
        assert_eq!(u.percent_used(), 50.0);
        let v6 = parse_cidr("2001:db8:1::/48").unwrap();
        let u = Utilization::of(&v6, &[parse_cidr("2001:db8:1:8000::/49").unwrap()]);
        assert_eq!((u.total_64s, u.free_64s), (Some(65536), Some(32768)));
    }
}
