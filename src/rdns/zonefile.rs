//! BIND zone files for the `internal` provider: one per reverse zone, and for an RFC 2317
//! classless zone also the records its parent zone needs (NS and one CNAME per address).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};

use super::Zone;
use super::diff::absolute;
use super::zone::reverse_name;

/// What goes into every zone's SOA and NS records.
#[derive(Debug, Clone)]
pub struct Apex {
    pub nameservers: Vec<String>,
    /// The SOA RNAME as a mailbox (`hostmaster@example.net`) or a name.
    pub hostmaster: String,
    pub ttl: u32,
    /// The SOA serial: carve uses the time of the export, so every export is newer.
    pub serial: u32,
}

/// The file name of a zone: the zone name, with RFC 2317's '/' written '-'.
pub fn file_name(zone: &Zone) -> String {
    format!("{}.zone", zone.name.replace('/', "-"))
}

/// The zone file: SOA, NS, the records that delegate its child zones (`children`: the
/// provider's zones inside it, whose names are not in `names`), and one PTR per name
/// (owners relative to the origin).
pub fn zone_file(
    zone: &Zone,
    children: &[&Zone],
    names: &BTreeMap<IpAddr, String>,
    apex: &Apex,
) -> String {
    let origin = format!("{}.", zone.name);
    let primary = apex.nameservers.first().map_or("localhost", String::as_str);
    let mut out = format!(
        "; reverse zone for {} written by carve; edit carve, not this file\n\
         $ORIGIN {origin}\n$TTL {ttl}\n\
         @ IN SOA {} {} ( {} 3600 900 1209600 {ttl} )\n",
        zone.prefix,
        absolute(primary),
        absolute(&apex.hostmaster.replacen('@', ".", 1)),
        apex.serial,
        ttl = apex.ttl,
    );
    for ns in &apex.nameservers {
        out += &format!("@ IN NS {}\n", absolute(ns));
    }
    let relative = |owner: &str| -> String {
        owner
            .strip_suffix(&format!(".{}", zone.name))
            .unwrap_or(owner)
            .to_owned()
    };
    for record in children
        .iter()
        .flat_map(|child| delegating(zone, child, &apex.nameservers))
    {
        out += &format!(
            "{} IN {} {}\n",
            relative(&record.owner),
            record.kind,
            absolute(&record.target)
        );
    }
    for (address, name) in names {
        out += &format!(
            "{} IN PTR {}\n",
            relative(&zone.owner(*address)),
            absolute(name)
        );
    }
    out
}

/// What `parent` needs to hand `child` (a zone inside it) over: NS records at the child's
/// name, and for an RFC 2317 child of this /24 also the CNAMEs of its addresses.
fn delegating(parent: &Zone, child: &Zone, nameservers: &[String]) -> Vec<ParentRecord> {
    if let Some((classless_parent, records)) = parent_records(child, nameservers)
        && classless_parent == *parent
    {
        return records;
    }
    nameservers
        .iter()
        .map(|ns| ParentRecord {
            owner: child.name.clone(),
            kind: "NS",
            target: ns.trim_end_matches('.').to_owned(),
        })
        .collect()
}

/// One record of an RFC 2317 delegation, names absolute without the root dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRecord {
    pub owner: String,
    /// "NS" or "CNAME".
    pub kind: &'static str,
    pub target: String,
}

/// For a classless zone: its parent /24 zone and the records that zone needs (RFC 2317):
/// NS records delegating the block, and a CNAME from each address's usual name to its
/// name in the block's zone.
pub fn parent_records(zone: &Zone, nameservers: &[String]) -> Option<(Zone, Vec<ParentRecord>)> {
    let IpNet::V4(block) = zone.prefix else {
        return None;
    };
    if !zone.is_classless() {
        return None;
    }
    let parent_prefix = Ipv4Net::new(block.network(), 24).ok()?.trunc();
    let parent = Zone::for_prefix(IpNet::V4(parent_prefix))
        .into_iter()
        .next()?;
    let delegations = nameservers.iter().map(|ns| ParentRecord {
        owner: zone.name.clone(),
        kind: "NS",
        target: ns.trim_end_matches('.').to_owned(),
    });
    let aliases = (u32::from(block.network())..=u32::from(block.broadcast())).map(|host| {
        let address = IpAddr::V4(Ipv4Addr::from(host));
        ParentRecord {
            owner: reverse_name(address),
            kind: "CNAME",
            target: zone.owner(address),
        }
    });
    Some((parent, delegations.chain(aliases).collect()))
}

/// [`parent_records`] as zone file lines relative to the parent, with a comment on top.
pub fn delegation(zone: &Zone, apex: &Apex) -> Option<String> {
    let (parent, records) = parent_records(zone, &apex.nameservers)?;
    let mut out = format!(
        "; RFC 2317 delegation of {}: add these records to zone {}\n",
        zone.prefix, parent.name
    );
    for record in records {
        let owner = record.owner.strip_suffix(&format!(".{}", parent.name));
        out += &format!(
            "{} IN {} {}\n",
            owner.unwrap_or(&record.owner),
            record.kind,
            absolute(&record.target)
        );
    }
    Some(out)
}
