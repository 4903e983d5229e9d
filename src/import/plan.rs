//! What the rows become in the tree, given what the database holds: new roots, the buddy
//! steps between a block and the subnets inside it (and their free other halves), pools
//! for the addresses, and every conflict (a duplicate, an overlap with a different
//! owner, an address outside any subnet, an unknown VLAN or location) with its row.
//! A row that matches the database already changes nothing, so an import runs twice
//! the same.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::records::{At, Fields, IpRow, Problem, Records, SubnetRow};
use super::values::Status;
use crate::engine::prefix::{net_and_supernets, supernets};

/// A subnet's meaning, as import compares and writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Meaning {
    /// Free, Allocated or Reserved (parked is the flag).
    pub status: Option<Status>,
    pub parked: bool,
    pub pool: bool,
    pub customer: Option<String>,
    pub location: Option<String>,
    pub vlan: Option<i32>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    pub device: Option<String>,
}

impl Meaning {
    fn of(fields: &Fields) -> Meaning {
        let status = match fields.status {
            Some(Status::Free) | Some(Status::Parked) => None,
            Some(held) => Some(held),
            None if fields.customer.is_some() => Some(Status::Allocated),
            None => None,
        };
        Meaning {
            status,
            parked: fields.parked,
            pool: fields.pool,
            customer: fields.customer.clone(),
            location: fields.location.clone(),
            vlan: fields.vlan,
            description: fields.description.clone(),
            purpose: fields.purpose.clone(),
            device: fields.device.clone(),
        }
    }

    /// The same meaning on a block that holds others (which cannot itself be held).
    fn as_container(&self) -> Meaning {
        Meaning {
            status: None,
            ..self.clone()
        }
    }
}

/// What a row says beyond its meaning (not compared with carve's rows): its status as
/// written, and the peer's word kept as the park or reserve reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Note {
    pub written_status: Option<String>,
    pub park_reason: Option<String>,
    pub reserve_reason: Option<String>,
}

impl Note {
    fn of(fields: &Fields) -> Note {
        Note {
            written_status: fields.written_status.clone(),
            park_reason: fields.park_reason.clone(),
            reserve_reason: fields.reserve_reason.clone(),
        }
    }
}

/// An address record's meaning.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpMeaning {
    pub parked: bool,
    pub reserved: bool,
    pub customer: Option<String>,
    pub vlan: Option<i32>,
    pub purpose: Option<String>,
    pub rdns: Option<String>,
    pub description: Option<String>,
    pub device: Option<String>,
}

impl IpMeaning {
    fn of(row: &IpRow) -> IpMeaning {
        let f = &row.fields;
        IpMeaning {
            parked: f.parked,
            reserved: f.status == Some(Status::Reserved),
            customer: f.customer.clone(),
            vlan: f.vlan,
            purpose: f.purpose.clone(),
            rdns: row.rdns.clone(),
            description: f.description.clone(),
            device: f.device.clone(),
        }
    }
}

/// A subnet in the database, as import sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExistingSubnet {
    pub meaning: Meaning,
    pub subdivided: bool,
    pub effective_location: Option<String>,
    /// (location, VID) of its own or inherited VLAN.
    pub effective_vlan: Option<(String, i32)>,
}

impl ExistingSubnet {
    /// A free leaf that says nothing: import may give it a row's meaning.
    fn is_blank(&self) -> bool {
        !self.subdivided && self.meaning == Meaning::default()
    }

    /// A free leaf nobody holds: import may carve subnets from it (they inherit its
    /// location, VLAN and description).
    fn is_carvable(&self) -> bool {
        let m = &self.meaning;
        !self.subdivided
            && m.status.is_none()
            && !m.parked
            && !m.pool
            && m.customer.is_none()
            && m.device.is_none()
    }
}

pub type ExistingIp = IpMeaning;

/// What the database holds where the file reaches, and the names it knows.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub subnets: HashMap<IpNet, ExistingSubnet>,
    pub ips: HashMap<IpAddr, ExistingIp>,
    pub locations: HashSet<String>,
    /// (location, VID).
    pub vlans: HashSet<(String, i32)>,
    pub devices: HashSet<String>,
}

/// A subnet to create (or, for `Plan::assign`, an existing blank one to change).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewSubnet {
    pub cidr: IpNet,
    pub parent: Option<IpNet>,
    pub subdivided: bool,
    pub meaning: Meaning,
    pub effective_location: Option<String>,
    pub effective_vlan: Option<(String, i32)>,
    /// The row it comes from; None for a buddy step carve adds.
    pub at: Option<At>,
    pub note: Note,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewIp {
    pub address: IpAddr,
    pub pool: IpNet,
    pub meaning: IpMeaning,
    /// The location of its VLAN (its pool's).
    pub vlan_location: Option<String>,
    /// The location the row names (it must be its pool's).
    pub location: Option<String>,
    pub at: At,
    pub note: Note,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    /// New subnets, parents before children.
    pub subnets: Vec<NewSubnet>,
    /// Existing blank subnets that take a row's meaning (and maybe children).
    pub assign: Vec<NewSubnet>,
    /// Existing blank leaves that new subnets are carved from.
    pub subdivide: Vec<IpNet>,
    /// Existing leaves that become pools: the file's addresses lie in them (in NetBox
    /// and phpIPAM, addresses live in ordinary prefixes).
    pub make_pools: Vec<IpNet>,
    pub ips: Vec<NewIp>,
    /// Customers to create.
    pub customers: BTreeSet<String>,
    /// Rows the database holds already, as they are.
    pub unchanged: usize,
    pub problems: Vec<Problem>,
}

/// Plans `records` against `existing`; `default_location` goes to new root blocks that
/// name none.
pub fn plan(records: &Records, existing: &Existing, default_location: Option<&str>) -> Plan {
    let mut planner = Planner {
        existing,
        plan: Plan {
            problems: records.problems.clone(),
            ..Plan::default()
        },
        imported: BTreeMap::new(),
        notes: HashMap::new(),
    };
    planner.collect_subnets(records);
    let pools = planner.place_ips(records);
    planner.build_tree(&pools, default_location);
    planner.check_names();
    let mut plan = planner.plan;
    plan.problems.sort();
    plan
}

struct Planner<'a> {
    existing: &'a Existing,
    plan: Plan,
    /// Imported subnets by CIDR, with their meaning.
    imported: BTreeMap<IpNet, (At, Meaning)>,
    notes: HashMap<IpNet, Note>,
}

impl Planner<'_> {
    fn problem(&mut self, at: &At, message: String) {
        self.plan.problems.push(Problem {
            at: at.clone(),
            message,
        });
    }

    fn collect_subnets(&mut self, records: &Records) {
        let mut seen: HashMap<IpNet, &SubnetRow> = HashMap::new();
        for row in &records.subnets {
            if let Some(first) = seen.get(&row.cidr) {
                let message = format!("{} is on {} already (a duplicate)", row.cidr, first.at);
                self.problem(&row.at, message);
                continue;
            }
            seen.insert(row.cidr, row);
            self.imported
                .insert(row.cidr, (row.at.clone(), Meaning::of(&row.fields)));
            self.notes.insert(row.cidr, Note::of(&row.fields));
        }
        // A pool named next to addresses (or implied by an interface mask), not on a row
        // of its own, is added as a pool.
        for row in &records.ips {
            let pool = row.pool.or(row
                .implied_pool
                .filter(|net| self.holds_more_closely(net, row.address)));
            if let Some(pool) = pool
                && !self.known(&pool)
            {
                let meaning = Meaning {
                    pool: true,
                    ..Meaning::default()
                };
                self.imported.insert(pool, (row.at.clone(), meaning));
            }
        }
    }

    /// The deepest imported or existing subnet holding `net` (not `net` itself).
    fn container(&self, net: &IpNet) -> Option<IpNet> {
        supernets(net).into_iter().find(|s| self.known(s))
    }

    fn known(&self, net: &IpNet) -> bool {
        self.imported.contains_key(net) || self.existing.subnets.contains_key(net)
    }

    /// Whether `net` would hold `address` more closely than the subnets known, and may:
    /// never inside a leaf carve holds (an import carves only free space).
    fn holds_more_closely(&self, net: &IpNet, address: IpAddr) -> bool {
        match net_and_supernets(&IpNet::from(address)).find(|s| self.known(s)) {
            None => true,
            Some(deepest) => {
                let carvable = self
                    .existing
                    .subnets
                    .get(&deepest)
                    .is_none_or(|e| e.subdivided || e.is_carvable());
                deepest.prefix_len() < net.prefix_len() && carvable
            }
        }
    }

    /// The nearest of `nets` (a subnet and its supernets, deepest first) held for a
    /// customer: the block, its customer, and its row when the file names it.
    fn holder(&self, nets: impl IntoIterator<Item = IpNet>) -> Option<(IpNet, String, Option<At>)> {
        nets.into_iter().find_map(|s| {
            let imported = self.imported.get(&s).map(|(at, m)| (m, Some(at)));
            let existing = self.existing.subnets.get(&s).map(|e| (&e.meaning, None));
            imported
                .or(existing)
                .and_then(|(m, at)| Some((s, m.customer.clone()?, at.cloned())))
        })
    }

    /// Places each address in its pool; returns the pools used.
    fn place_ips(&mut self, records: &Records) -> BTreeSet<IpNet> {
        let mut pools = BTreeSet::new();
        let mut seen: HashMap<IpAddr, At> = HashMap::new();
        for row in &records.ips {
            if let Some(first) = seen.get(&row.address) {
                let message = format!("{} is on {first} already (a duplicate)", row.address);
                self.problem(&row.at, message);
                continue;
            }
            seen.insert(row.address, row.at.clone());
            // A /32 (or /128) pool holds its one address itself.
            let Some(pool) = net_and_supernets(&IpNet::from(row.address)).find(|s| self.known(s))
            else {
                let message = if row.in_subnet_column {
                    format!(
                        "{} in the subnet column has no prefix length and lies in no block of \
                         the file or of carve: write it as ADDRESS/LENGTH for a subnet, or add \
                         a row for the block it lies in",
                        row.address
                    )
                } else {
                    format!(
                        "{} is outside every subnet in the file and in carve: add a row for its subnet",
                        row.address
                    )
                };
                self.problem(&row.at, message);
                continue;
            };
            if let Some(named) = row.pool
                && named != pool
            {
                let message = format!(
                    "{} is in {pool}, not in {named} as the row says",
                    row.address
                );
                self.problem(&row.at, message);
                continue;
            }
            let meaning = IpMeaning::of(row);
            pools.insert(pool);
            if let Some(existing) = self.existing.ips.get(&row.address) {
                if *existing == meaning {
                    self.plan.unchanged += 1;
                } else {
                    let message = format!(
                        "{} is recorded in carve already, differently (carve ip show {})",
                        row.address, row.address
                    );
                    self.problem(&row.at, message);
                }
                continue;
            }
            if let Some(customer) = &meaning.customer
                && let Some((block, theirs, their_row)) = self.holder(net_and_supernets(&pool))
                && theirs != *customer
            {
                let whose = their_row.map_or("in carve".to_owned(), |r| format!("on {r}"));
                let message = format!(
                    "{} for {customer:?} lies in {block}, held for {theirs:?} ({whose}): name \
                     {theirs:?} on the row, or no customer",
                    row.address
                );
                self.problem(&row.at, message);
                continue;
            }
            // A leaf carve has that holds the file's addresses becomes their pool.
            if let Some(e) = self.existing.subnets.get(&pool)
                && !e.meaning.pool
                && !e.subdivided
                && !self.plan.make_pools.contains(&pool)
            {
                self.plan.make_pools.push(pool);
            }
            self.plan.ips.push(NewIp {
                address: row.address,
                pool,
                meaning,
                vlan_location: None,
                location: row.fields.location.clone(),
                at: row.at.clone(),
                note: Note::of(&row.fields),
            });
        }
        pools
    }
}

mod tree;

#[cfg(test)]
mod tests;
