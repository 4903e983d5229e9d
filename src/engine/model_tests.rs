//! Property tests: the allocation rules, applied to an in-memory buddy tree, against a
//! naive model that only knows which addresses are used.

use std::collections::BTreeMap;

use ipnet::IpNet;
use proptest::prelude::*;

use super::plan::{Strategy, choose, split_steps};
use super::prefix::{addr_to_u128, halves, size};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    Free,
    Used,
}

/// A buddy tree as its leaves (they must tile the root) plus its subdivided nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tree {
    root: IpNet,
    leaves: BTreeMap<IpNet, Leaf>,
    inner: Vec<IpNet>,
}

impl Tree {
    fn new(root: IpNet) -> Tree {
        Tree {
            root,
            leaves: BTreeMap::from([(root, Leaf::Free)]),
            inner: Vec::new(),
        }
    }

    fn free_leaves(&self) -> Vec<IpNet> {
        self.leaves
            .iter()
            .filter(|(_, s)| **s == Leaf::Free)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Subdivided nodes whose leaves are all free.
    fn mergeable(&self) -> Vec<IpNet> {
        self.inner
            .iter()
            .filter(|node| {
                self.leaves
                    .iter()
                    .filter(|(l, _)| node.contains(*l))
                    .all(|(_, s)| *s == Leaf::Free)
            })
            .copied()
            .collect()
    }

    fn split(&mut self, leaf: IpNet, target: IpNet) {
        let state = self.leaves.remove(&leaf).expect("a leaf");
        for step in split_steps(&leaf, &target).expect("leaf holds target") {
            self.inner.push(step.source);
            let other = if step.lower.contains(&target) {
                step.upper
            } else {
                step.lower
            };
            self.leaves.insert(other, state);
        }
        self.leaves.insert(target, state);
    }

    fn merge(&mut self, node: IpNet) {
        self.leaves.retain(|l, _| !node.contains(l));
        self.inner.retain(|n| !node.contains(n));
        self.leaves.insert(node, Leaf::Free);
    }

    fn allocate(&mut self, len: u8, strongest: Strategy) -> Option<IpNet> {
        let (strategy, block) = choose(len, strongest, &self.free_leaves(), &self.mergeable())?;
        let target = match strategy {
            Strategy::Exact => block,
            Strategy::Merge => {
                self.merge(block);
                block
            }
            Strategy::Split => {
                let target = IpNet::new(block.network(), len).unwrap();
                self.split(block, target);
                target
            }
        };
        self.leaves.insert(target, Leaf::Used);
        Some(target)
    }

    fn tiles_root(&self) -> bool {
        let mut next = addr_to_u128(self.root.network());
        for leaf in self.leaves.keys() {
            if addr_to_u128(leaf.network()) != next || !self.root.contains(leaf) {
                return false;
            }
            next += size(leaf);
        }
        next == addr_to_u128(self.root.network()) + size(&self.root)
    }

    /// The naive model: is some aligned block of `len` entirely outside used leaves?
    fn has_free_aligned_block(&self, len: u8) -> bool {
        let used: Vec<IpNet> = self
            .leaves
            .iter()
            .filter(|(_, s)| **s == Leaf::Used)
            .map(|(n, _)| *n)
            .collect();
        let step = 1u128 << (self.root.max_prefix_len() - len);
        let start = addr_to_u128(self.root.network());
        (0..size(&self.root) / step).any(|i| {
            let lo = start + i * step;
            let hi = lo + step - 1;
            used.iter().all(|u| {
                let ulo = addr_to_u128(u.network());
                ulo + size(u) - 1 < lo || ulo > hi
            })
        })
    }
}

fn roots() -> impl proptest::strategy::Strategy<Value = IpNet> {
    prop_oneof![
        Just("198.51.100.0/24".parse().unwrap()),
        Just("2001:db8:1:ff00::/120".parse().unwrap())
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn allocation_keeps_the_tiling_and_never_misses_free_space(
        root in roots(),
        ops in prop::collection::vec((0u8..=8, any::<bool>(), any::<prop::sample::Index>()), 1..40),
    ) {
        let mut tree = Tree::new(root);
        for (extra_len, release, pick) in ops {
            let len = root.prefix_len() + extra_len;
            if release {
                let used: Vec<IpNet> = tree.leaves.iter().filter(|(_, s)| **s == Leaf::Used).map(|(n, _)| *n).collect();
                if !used.is_empty() {
                    tree.leaves.insert(used[pick.index(used.len())], Leaf::Free);
                }
                continue;
            }
            let possible = tree.has_free_aligned_block(len);
            let got = tree.allocate(len, Strategy::Split);
            prop_assert_eq!(got.is_some(), possible, "len /{} in {:?}", len, tree.leaves);
            if let Some(block) = got {
                prop_assert_eq!(block.prefix_len(), len);
            }
            prop_assert!(tree.tiles_root(), "{:?}", tree.leaves);
        }
    }

    #[test]
    fn split_then_merge_restores_the_tree(root in roots(), extra_len in 1u8..=8, offset in any::<prop::sample::Index>()) {
        let original = Tree::new(root);
        let mut tree = original.clone();
        let len = root.prefix_len() + extra_len;
        let count = 1usize << extra_len;
        let target = root.subnets(len).unwrap().nth(offset.index(count)).unwrap();
        tree.split(root, target);
        prop_assert_eq!(tree.leaves.len(), usize::from(extra_len) + 1);
        prop_assert!(tree.tiles_root());
        tree.merge(root);
        prop_assert_eq!(tree, original);
    }

    #[test]
    fn a_split_choice_is_the_best_fit(root in roots(), lens in prop::collection::vec(0u8..=8, 1..20), want in 1u8..=8) {
        let mut tree = Tree::new(root);
        for l in lens {
            tree.allocate(root.prefix_len() + l, Strategy::Split);
        }
        let len = root.prefix_len() + want;
        if let Some((Strategy::Split, leaf)) = choose(len, Strategy::Split, &tree.free_leaves(), &tree.mergeable()) {
            // No free leaf fits more tightly, and none of the same length sits lower.
            for free in tree.free_leaves() {
                prop_assert!(free.prefix_len() > len || free.prefix_len() <= leaf.prefix_len());
                if free.prefix_len() == leaf.prefix_len() {
                    prop_assert!(free.network() >= leaf.network());
                }
            }
            prop_assert!(halves(&leaf).is_some());
        }
    }
}
