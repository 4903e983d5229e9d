//! Comparing what carve holds with what a provider serves, zone by zone, and the pushes
//! that make DNS say what carve says.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

/// How DNS differs from carve at one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// carve has a name, DNS has no PTR.
    Missing,
    /// Both have one, and they differ.
    Different,
    /// carve released the address or cleared its name; DNS still has the PTR.
    Released,
    /// DNS has a PTR carve never had (a hand edit, another tool): removed only on request.
    Extra,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Different => "different",
            Kind::Released => "released",
            Kind::Extra => "extra",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub address: IpAddr,
    pub kind: Kind,
    /// The name carve holds (None: none).
    pub carve: Option<String>,
    /// The name DNS serves (None: no PTR).
    pub dns: Option<String>,
}

impl Difference {
    /// What to write to DNS to settle it: Some(name) sets the PTR, None deletes it.
    /// Extras are settled only when pruning; otherwise they are reported and kept.
    pub fn push(&self, prune: bool) -> Option<Push> {
        match self.kind {
            Kind::Extra if !prune => None,
            _ => Some(Push {
                address: self.address,
                target: self.carve.clone(),
            }),
        }
    }
}

/// One write to DNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Push {
    pub address: IpAddr,
    /// The PTR target; None deletes the PTR.
    pub target: Option<String>,
}

/// The differences in one zone, in address order. `wanted`: every name carve holds in
/// the zone; `released`: addresses whose PTR carve queued for deletion; `found`: the
/// PTRs DNS serves (names compared without case or root dot).
pub fn compare(
    wanted: &BTreeMap<IpAddr, String>,
    released: &BTreeSet<IpAddr>,
    found: &BTreeMap<IpAddr, String>,
) -> Vec<Difference> {
    let addresses: BTreeSet<&IpAddr> = wanted.keys().chain(found.keys()).collect();
    addresses
        .into_iter()
        .filter_map(|&address| {
            let carve = wanted.get(&address).map(|n| canonical(n));
            let dns = found.get(&address).map(|n| canonical(n));
            let kind = match (&carve, &dns) {
                (Some(c), Some(d)) if c == d => return None,
                (Some(_), Some(_)) => Kind::Different,
                (Some(_), None) => Kind::Missing,
                (None, Some(_)) if released.contains(&address) => Kind::Released,
                (None, Some(_)) => Kind::Extra,
                (None, None) => return None,
            };
            Some(Difference {
                address,
                kind,
                carve,
                dns,
            })
        })
        .collect()
}

/// Names as written in zone files and PowerDNS's API: with the root dot.
pub fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// Names as compared and stored: lower case, no root dot.
pub fn canonical(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<IpAddr, String> {
        pairs
            .iter()
            .map(|(a, n)| (a.parse().unwrap(), n.to_string()))
            .collect()
    }

    #[test]
    fn each_kind_of_difference_and_what_settles_it() {
        let wanted = map(&[
            ("192.0.2.1", "same.example"),
            ("192.0.2.2", "new.example"),
            ("192.0.2.3", "changed.example"),
        ]);
        let found = map(&[
            ("192.0.2.1", "SAME.example."),
            ("192.0.2.3", "old.example."),
            ("192.0.2.4", "released.example."),
            ("192.0.2.5", "hand-made.example."),
        ]);
        let released = BTreeSet::from(["192.0.2.4".parse().unwrap()]);
        let diffs = compare(&wanted, &released, &found);
        let kinds: Vec<(String, Kind)> = diffs
            .iter()
            .map(|d| (d.address.to_string(), d.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("192.0.2.2".into(), Kind::Missing),
                ("192.0.2.3".into(), Kind::Different),
                ("192.0.2.4".into(), Kind::Released),
                ("192.0.2.5".into(), Kind::Extra),
            ]
        );
        assert_eq!(diffs[1].dns.as_deref(), Some("old.example"));
        let pushes: Vec<Option<Push>> = diffs.iter().map(|d| d.push(false)).collect();
        assert_eq!(
            pushes[0].as_ref().unwrap().target.as_deref(),
            Some("new.example")
        );
        assert_eq!(pushes[2].as_ref().unwrap().target, None);
        assert_eq!(pushes[3], None, "an extra stays unless pruning");
        assert_eq!(diffs[3].push(true).unwrap().target, None);
    }
}
