//! The allocation rules of DESIGN.md section 2 as pure functions: which free block a
//! request takes, and the buddy steps that carve it.

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;

use super::prefix::halves;

/// How far the allocator may go to satisfy a request, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Take a free leaf of exactly the requested length.
    Exact,
    /// Collapse a fully free subtree of the requested length into one leaf.
    Merge,
    /// Halve a larger free leaf down to the requested length.
    Split,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Exact => "exact",
            Strategy::Merge => "merge",
            Strategy::Split => "split",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "exact" => Ok(Strategy::Exact),
            "merge" => Ok(Strategy::Merge),
            "split" => Ok(Strategy::Split),
            _ => Err(format!(
                "{} is not a strategy (exact, merge or split)",
                super::text::quote(s)
            )),
        }
    }
}

/// One binary split: `source` becomes subdivided into `lower` and `upper`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitStep {
    pub source: IpNet,
    pub lower: IpNet,
    pub upper: IpNet,
}

/// The steps that carve `target` out of the free leaf `leaf`: halve, descend into the
/// half that holds the target, repeat. Empty when they are the same prefix; None when
/// `leaf` does not contain `target`.
pub fn split_steps(leaf: &IpNet, target: &IpNet) -> Option<Vec<SplitStep>> {
    if !leaf.contains(target) || leaf.prefix_len() > target.prefix_len() {
        return None;
    }
    let mut steps = Vec::new();
    let mut current = *leaf;
    while current.prefix_len() < target.prefix_len() {
        let (lower, upper) = halves(&current)?;
        steps.push(SplitStep {
            source: current,
            lower,
            upper,
        });
        current = if lower.contains(target) { lower } else { upper };
    }
    Some(steps)
}

/// The choice DESIGN.md section 2 prescribes, given what is free:
/// - `free_leaves`: unallocated, non-parked leaves;
/// - `mergeable`: subdivided nodes whose whole subtree is free, non-parked and structural.
///
/// Exact: the lowest free leaf of the length. Merge: the lowest mergeable node of the
/// length. Split: the smallest free leaf shorter than the length, lowest address first.
/// The store runs the same rule as indexed queries; this is its reference.
pub fn choose(
    len: u8,
    strongest: Strategy,
    free_leaves: &[IpNet],
    mergeable: &[IpNet],
) -> Option<(Strategy, IpNet)> {
    let lowest_of_len = |nets: &[IpNet]| {
        nets.iter()
            .filter(|n| n.prefix_len() == len)
            .min_by_key(|n| n.network())
            .copied()
    };
    if let Some(leaf) = lowest_of_len(free_leaves) {
        return Some((Strategy::Exact, leaf));
    }
    if strongest >= Strategy::Merge
        && let Some(node) = lowest_of_len(mergeable)
    {
        return Some((Strategy::Merge, node));
    }
    if strongest >= Strategy::Split {
        return free_leaves
            .iter()
            .filter(|n| n.prefix_len() < len)
            .max_by_key(|n| (n.prefix_len(), std::cmp::Reverse(n.network())))
            .map(|leaf| (Strategy::Split, *leaf));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_cidr;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_cidr(s).unwrap()).collect()
    }

    #[test]
    fn split_steps_walk_down_one_bit_at_a_time() {
        let leaf = parse_cidr("203.0.113.0/24").unwrap();
        let target = parse_cidr("203.0.113.64/26").unwrap();
        let steps = split_steps(&leaf, &target).unwrap();
        let shown: Vec<String> = steps
            .iter()
            .map(|s| format!("{} -> {} + {}", s.source, s.lower, s.upper))
            .collect();
        assert_eq!(
            shown,
            [
                "203.0.113.0/24 -> 203.0.113.0/25 + 203.0.113.128/25",
                "203.0.113.0/25 -> 203.0.113.0/26 + 203.0.113.64/26",
            ]
        );
        assert_eq!(split_steps(&leaf, &leaf).unwrap(), vec![]);
        assert_eq!(split_steps(&target, &leaf), None);
    }

    #[test]
    fn exact_beats_merge_beats_split_within_the_allowed_strength() {
        let free = nets(&["10.0.0.0/24", "10.1.0.128/25", "10.2.0.0/25"]);
        let mergeable = nets(&["10.3.0.0/25"]);
        assert_eq!(
            choose(25, Strategy::Split, &free, &mergeable),
            Some((Strategy::Exact, parse_cidr("10.1.0.128/25").unwrap()))
        );
        assert_eq!(
            choose(25, Strategy::Merge, &free[..1], &mergeable),
            Some((Strategy::Merge, mergeable[0]))
        );
        assert_eq!(choose(25, Strategy::Exact, &free[..1], &mergeable), None);
        assert_eq!(
            choose(25, Strategy::Split, &free[..1], &[]),
            Some((Strategy::Split, free[0]))
        );
    }

    #[test]
    fn split_takes_the_smallest_fitting_leaf_then_the_lowest() {
        let free = nets(&["10.0.0.0/16", "10.9.0.0/24", "10.8.0.0/24", "10.7.0.0/30"]);
        assert_eq!(
            choose(29, Strategy::Split, &free, &[]),
            Some((Strategy::Split, parse_cidr("10.8.0.0/24").unwrap()))
        );
    }

    #[test]
    fn strategies_parse_in_any_case() {
        assert_eq!("SPLIT".parse::<Strategy>(), Ok(Strategy::Split));
        assert!(
            "carve"
                .parse::<Strategy>()
                .unwrap_err()
                .contains("exact, merge or split")
        );
        assert!(Strategy::Exact < Strategy::Merge && Strategy::Merge < Strategy::Split);
    }
}
