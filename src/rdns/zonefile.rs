//! BIND zone files for the `internal` provider: one per reverse zone, and for an RFC 2317
//! classless zone also the records its parent zone needs (NS and one CNAME per address).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};

use super::Zone;
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

/// The zone file: SOA, NS, and one PTR per name (owners relative to the origin).
pub fn zone_file(zone: &Zone, names: &BTreeMap<IpAddr, String>, apex: &Apex) -> String {
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
    for (address, name) in names {
        let owner = zone.owner(*address);
        let relative = owner
            .strip_suffix(&format!(".{}", zone.name))
            .unwrap_or(&owner);
        out += &format!("{relative} IN PTR {}\n", absolute(name));
    }
    out
}

/// For a classless zone: the records to add to the parent /24 zone, delegating the block
/// and pointing each address's usual name at its name in the block's zone (RFC 2317).
pub fn delegation(zone: &Zone, apex: &Apex) -> Option<String> {
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
    let relative = |name: &str| -> String {
        name.strip_suffix(&format!(".{}", parent.name))
            .unwrap_or(name)
            .to_owned()
    };
    let mut out = format!(
        "; RFC 2317 delegation of {block}: add these records to zone {}\n",
        parent.name
    );
    for ns in &apex.nameservers {
        out += &format!("{} IN NS {}\n", relative(&zone.name), absolute(ns));
    }
    for host in u32::from(block.network())..=u32::from(block.broadcast()) {
        let address = IpAddr::V4(Ipv4Addr::from(host));
        out += &format!(
            "{} IN CNAME {}.\n",
            relative(&reverse_name(address)),
            zone.owner(address)
        );
    }
    Some(out)
}

fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}
