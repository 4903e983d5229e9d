//! The tree part of the plan: where each imported subnet goes (a new root, under an
//! imported block, or carved from a blank leaf in the database), the buddy steps and
//! free other halves that keep every block split in exact halves, who holds what, and
//! the locations and VLANs each node inherits.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use ipnet::IpNet;

use super::{Meaning, NewSubnet, Planner};
use crate::engine::prefix::{halves, parent, supernets};
use crate::import::records::At;
use crate::import::values::Status;

impl Planner<'_> {
    pub(super) fn build_tree(&mut self, pools: &BTreeSet<IpNet>, default_location: Option<&str>) {
        for pool in pools {
            if let Some((_, meaning)) = self.imported.get_mut(pool) {
                meaning.pool = true;
            }
        }
        let mut new: BTreeMap<IpNet, NewSubnet> = BTreeMap::new();
        let mut assign: BTreeMap<IpNet, NewSubnet> = BTreeMap::new();
        let mut refused: HashSet<IpNet> = HashSet::new();
        let roots = self.existing_roots();
        let mut order: Vec<(IpNet, At, Meaning)> = self
            .imported
            .iter()
            .map(|(cidr, (at, meaning))| (*cidr, at.clone(), meaning.clone()))
            .collect();
        order.sort_by_key(|(cidr, _, _)| cidr.prefix_len());
        for (cidr, at, mut meaning) in order {
            let anchor = self.container(&cidr);
            // A block nothing holds is a root: the default location is its own.
            if anchor.is_none() && meaning.location.is_none() {
                meaning.location = default_location.map(str::to_owned);
            }
            let node = NewSubnet {
                cidr,
                parent: None,
                subdivided: false,
                meaning,
                effective_location: None,
                effective_vlan: None,
                at: Some(at.clone()),
                note: self.notes.get(&cidr).cloned().unwrap_or_default(),
            };
            if let Some(existing) = self.existing.subnets.get(&cidr) {
                let theirs = &existing.meaning;
                // A row that does not say pool leaves a pool one (an import never
                // un-pools), and a leaf that takes the file's addresses becomes one.
                let pool = theirs.pool || self.plan.make_pools.contains(&cidr);
                let ours = Meaning {
                    pool: node.meaning.pool || theirs.pool,
                    ..node.meaning.clone()
                };
                let theirs_now = Meaning {
                    pool,
                    ..theirs.clone()
                };
                let same = if existing.subdivided {
                    theirs_now == ours.as_container()
                } else {
                    theirs_now == ours
                };
                if same {
                    self.plan.unchanged += 1;
                } else if existing.is_blank() {
                    let parent = parent(&cidr).filter(|p| self.existing.subnets.contains_key(p));
                    assign.insert(cidr, NewSubnet { parent, ..node });
                } else {
                    refused.insert(cidr);
                    let message = format!(
                        "{cidr} is in carve already, differently ({}): an import never \
                         overwrites (carve subnet show {cidr})",
                        describe(theirs)
                    );
                    self.problem(&at, message);
                }
                continue;
            }
            match anchor {
                None => {
                    if let Some(inside) = roots.iter().find(|r| cidr.contains(*r)) {
                        refused.insert(cidr);
                        let message = format!(
                            "{cidr} would hold {inside}, a block carve has already: add \
                             {cidr} before the blocks inside it, or import them without it"
                        );
                        self.problem(&at, message);
                        continue;
                    }
                }
                Some(a) if refused.contains(&a) => {
                    refused.insert(cidr);
                    self.problem(&at, format!("{cidr} is inside {a}, which is refused"));
                    continue;
                }
                // A leaf carve has (named in the file or not) is carved only when free.
                Some(a) => match self.existing.subnets.get(&a) {
                    Some(leaf) if !leaf.subdivided && !assign.contains_key(&a) => {
                        if !leaf.is_carvable() {
                            refused.insert(cidr);
                            let message = format!(
                                "{cidr} is inside {a}, which carve holds as {}: only free \
                                 space is carved by an import",
                                describe(&leaf.meaning)
                            );
                            self.problem(&at, message);
                            continue;
                        }
                        self.plan.subdivide.push(a);
                    }
                    _ => {}
                },
            }
            let from = anchor.map_or(cidr.prefix_len(), |a| a.prefix_len() + 1);
            for len in from..cidr.prefix_len() {
                let step = IpNet::new(cidr.network(), len).map_or(cidr, |n| n.trunc());
                new.entry(step).or_insert_with(|| structural(step));
            }
            new.insert(cidr, node);
        }
        self.complete(&mut new);
        self.link(&mut new, &mut assign);
        self.plan.subdivide.retain(|a| !assign.contains_key(a));
        self.plan.make_pools.retain(|p| !assign.contains_key(p));
        self.plan.subdivide.sort();
        self.plan.subdivide.dedup();
        self.pools_not_carved();
        self.plan.subnets = new.into_values().collect();
        self.plan.assign = assign.into_values().collect();
    }

    /// A leaf that becomes the pool of the file's addresses cannot also be carved.
    fn pools_not_carved(&mut self) {
        let carved: Vec<(IpNet, At)> = self
            .plan
            .make_pools
            .iter()
            .filter(|p| self.plan.subdivide.contains(p))
            .filter_map(|p| {
                let ip = self.plan.ips.iter().find(|ip| ip.pool == *p)?;
                Some((*p, ip.at.clone()))
            })
            .collect();
        for (pool, at) in carved {
            let message = format!(
                "{pool} would hold this address (a pool) and subnets of the file: a pool is \
                 never split (put the address in one of those subnets)"
            );
            self.problem(&at, message);
        }
    }

    fn existing_roots(&self) -> Vec<IpNet> {
        let existing = &self.existing.subnets;
        existing
            .keys()
            .filter(|c| parent(c).is_none_or(|p| !existing.contains_key(&p)))
            .copied()
            .collect()
    }

    /// Adds the free other half of every new node whose parent is in the tree.
    fn complete(&self, new: &mut BTreeMap<IpNet, NewSubnet>) {
        let nodes: Vec<IpNet> = new.keys().copied().collect();
        for node in nodes {
            let Some(parent) = parent(&node) else {
                continue;
            };
            if !new.contains_key(&parent) && !self.existing.subnets.contains_key(&parent) {
                continue;
            }
            let Some((low, high)) = halves(&parent) else {
                continue;
            };
            let sibling = if low == node { high } else { low };
            if !self.existing.subnets.contains_key(&sibling) {
                new.entry(sibling).or_insert_with(|| structural(sibling));
            }
        }
    }

    /// Parents, which blocks hold others, owners, and inherited locations and VLANs
    /// (parents come first in CIDR order).
    fn link(
        &mut self,
        new: &mut BTreeMap<IpNet, NewSubnet>,
        assign: &mut BTreeMap<IpNet, NewSubnet>,
    ) {
        let cidrs: Vec<IpNet> = new.keys().copied().collect();
        for cidr in &cidrs {
            let parent = parent(cidr)
                .filter(|p| new.contains_key(p) || self.existing.subnets.contains_key(p));
            if let Some(p) = parent {
                if let Some(node) = new.get_mut(&p) {
                    node.subdivided = true;
                }
                if let Some(node) = assign.get_mut(&p) {
                    node.subdivided = true;
                }
            }
            if let Some(node) = new.get_mut(cidr) {
                node.parent = parent;
            }
        }
        let mut order: Vec<IpNet> = assign.keys().chain(new.keys()).copied().collect();
        order.sort();
        for cidr in order {
            let (inherited_location, inherited_vlan) = self.inherited(&cidr, new, assign);
            let node = match new.get_mut(&cidr) {
                Some(node) => node,
                None => assign.get_mut(&cidr).expect("a planned node"),
            };
            if node.subdivided {
                if node.meaning.pool {
                    self.plan.problems.push(crate::import::Problem {
                        at: node.at.clone().unwrap_or_default(),
                        message: format!(
                            "{cidr} holds addresses (a pool) and other subnets: a pool is never split"
                        ),
                    });
                }
                node.meaning.status = None;
            }
            node.effective_location = node.meaning.location.clone().or(inherited_location);
            node.effective_vlan = match node.meaning.vlan {
                Some(vid) => node.effective_location.clone().map(|l| (l, vid)),
                None => inherited_vlan,
            };
        }
        for ip in &mut self.plan.ips {
            let pool = new.get(&ip.pool).or(assign.get(&ip.pool));
            ip.vlan_location = match pool {
                Some(p) => p.effective_location.clone(),
                None => self
                    .existing
                    .subnets
                    .get(&ip.pool)
                    .and_then(|e| e.effective_location.clone()),
            };
        }
        self.check_owners(new, assign);
    }

    fn inherited(
        &self,
        cidr: &IpNet,
        new: &BTreeMap<IpNet, NewSubnet>,
        assign: &BTreeMap<IpNet, NewSubnet>,
    ) -> (Option<String>, Option<(String, i32)>) {
        let Some(parent) = parent(cidr) else {
            return (None, None);
        };
        if let Some(p) = new.get(&parent).or(assign.get(&parent)) {
            return (p.effective_location.clone(), p.effective_vlan.clone());
        }
        match self.existing.subnets.get(&parent) {
            Some(e) => (e.effective_location.clone(), e.effective_vlan.clone()),
            None => (None, None),
        }
    }

    /// A subnet given to one customer inside a block held for another is a conflict.
    fn check_owners(
        &mut self,
        new: &BTreeMap<IpNet, NewSubnet>,
        assign: &BTreeMap<IpNet, NewSubnet>,
    ) {
        for node in new.values().chain(assign.values()) {
            let (Some(customer), Some(at)) = (&node.meaning.customer, &node.at) else {
                continue;
            };
            let owner = self.holder(supernets(&node.cidr));
            if let Some((block, theirs, their_row)) = owner
                && theirs != *customer
            {
                let whose = their_row.map_or("in carve".to_owned(), |r| format!("on {r}"));
                let message = format!(
                    "{} for {customer:?} overlaps {block}, held for {theirs:?} ({whose})",
                    node.cidr
                );
                self.problem(at, message);
            }
        }
    }

    /// Locations, VLANs and devices the rows name must exist; customers are created.
    pub(super) fn check_names(&mut self) {
        let mut problems = Vec::new();
        let nodes = self.plan.subnets.iter().chain(&self.plan.assign);
        for node in nodes {
            let Some(at) = &node.at else { continue };
            let m = &node.meaning;
            if let Some(location) = &m.location
                && !self.existing.locations.contains(location)
            {
                problems.push((at.clone(), unknown_location(location)));
            }
            if let Some(vid) = m.vlan {
                problems.extend(
                    self.vlan_problem(vid, node.effective_location.as_deref())
                        .map(|p| (at.clone(), p)),
                );
            }
            if let Some(device) = &m.device
                && !self.existing.devices.contains(device)
            {
                problems.push((at.clone(), unknown_device(device)));
            }
            self.plan.customers.extend(m.customer.clone());
        }
        for ip in &self.plan.ips {
            if let Some(location) = &ip.location
                && ip.vlan_location.as_ref() != Some(location)
            {
                let pool_at = ip.vlan_location.as_deref().unwrap_or("no location");
                problems.push((
                    ip.at.clone(),
                    format!(
                        "{} is in {} ({pool_at}), not at {location:?} as the row says",
                        ip.address, ip.pool
                    ),
                ));
            }
            if let Some(vid) = ip.meaning.vlan {
                problems.extend(
                    self.vlan_problem(vid, ip.vlan_location.as_deref())
                        .map(|p| (ip.at.clone(), p)),
                );
            }
            if let Some(device) = &ip.meaning.device
                && !self.existing.devices.contains(device)
            {
                problems.push((ip.at.clone(), unknown_device(device)));
            }
            self.plan.customers.extend(ip.meaning.customer.clone());
        }
        for (at, message) in problems {
            self.problem(&at, message);
        }
    }

    fn vlan_problem(&self, vid: i32, location: Option<&str>) -> Option<String> {
        match location {
            None => Some(format!(
                "VLAN {vid} needs a location (a location column, or --location)"
            )),
            Some(l) if !self.existing.vlans.contains(&(l.to_owned(), vid)) => Some(format!(
                "unknown VLAN {vid} at {l} (carve vlan add --location {l} --vid {vid})"
            )),
            Some(_) => None,
        }
    }
}

fn unknown_location(location: &str) -> String {
    format!("unknown location {location:?} (carve location add {location:?})")
}

fn unknown_device(device: &str) -> String {
    format!("unknown device {device:?} (carve device add {device:?} --location LOC)")
}

/// A buddy step or free half carve adds: free, saying nothing.
fn structural(cidr: IpNet) -> NewSubnet {
    NewSubnet {
        cidr,
        parent: None,
        subdivided: false,
        meaning: Meaning::default(),
        effective_location: None,
        effective_vlan: None,
        at: None,
        note: super::Note::default(),
    }
}

/// "allocated to Acme", "a pool", "parked", "free with a description".
fn describe(m: &Meaning) -> String {
    let mut words = Vec::new();
    if let Some(status) = m.status {
        words.push(status.as_str().to_owned());
    }
    if let Some(customer) = &m.customer {
        words.push(format!("for {customer:?}"));
    }
    if m.parked {
        words.push(Status::Parked.as_str().to_owned());
    }
    if m.pool {
        words.push("a pool".to_owned());
    }
    if words.is_empty() {
        words.push("free, with attributes".to_owned());
    }
    words.join(", ")
}
