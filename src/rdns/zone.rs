//! Reverse zones: which zone holds an address's PTR, and the PTR's owner name there.
//! IPv4 zones sit on octet boundaries (`113.0.203.in-addr.arpa`), or are RFC 2317
//! classless zones for blocks longer than /24 (`64/26.113.0.203.in-addr.arpa`); IPv6
//! zones sit on nibble boundaries (`8.b.d.0.1.0.0.2.ip6.arpa`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Zone {
    /// Lower case, without the root dot.
    pub name: String,
    /// The addresses whose PTRs live in this zone.
    pub prefix: IpNet,
}

impl Zone {
    /// The zones that together serve `prefix`: one when it sits on a zone boundary
    /// (or is longer than /24 in IPv4: a classless zone), else the zones of the next
    /// boundary down that tile it (a /20 is sixteen /24 zones; at most 128, for a /17).
    pub fn for_prefix(prefix: IpNet) -> Vec<Zone> {
        let prefix = prefix.trunc();
        let boundary = match prefix {
            IpNet::V4(n) if n.prefix_len() > 24 => return vec![classless(n)],
            IpNet::V4(n) => n.prefix_len().div_ceil(8).max(1) * 8,
            IpNet::V6(n) => n.prefix_len().div_ceil(4).max(1) * 4,
        };
        match prefix.subnets(boundary) {
            Ok(subnets) => subnets.map(aligned).collect(),
            Err(_) => unreachable!("a zone boundary is never shorter than its prefix"),
        }
    }

    /// Reads a zone name: `113.0.203.in-addr.arpa`, `64/26.113.0.203.in-addr.arpa`,
    /// `8.b.d.0.1.0.0.2.ip6.arpa` (a trailing dot and any case are fine).
    pub fn parse(text: &str) -> Result<Zone, String> {
        let name = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let shown = crate::engine::text::quote(text);
        let bad = |rule: &str| format!("{shown} is not a reverse zone: {rule}");
        if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
            let labels: Vec<&str> = rest.split('.').rev().collect();
            if let [a, b, c, block] = labels[..]
                && let Some((first, len)) = block.split_once('/')
            {
                let octets = [a, b, c, first].map(|l| l.parse::<u8>().ok());
                let len = len.parse::<u8>().ok().filter(|l| (25..=32).contains(l));
                let (Some(len), [Some(a), Some(b), Some(c), Some(d)]) = (len, octets) else {
                    return Err(bad("a classless zone is FIRST/LEN.C.B.A, LEN 25-32"));
                };
                let net = Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len)
                    .map_err(|e| bad(&e.to_string()))?;
                if net.trunc() != net {
                    return Err(bad(&format!("{net} has host bits set")));
                }
                return Ok(classless(net));
            }
            if labels.is_empty() || labels.len() > 3 {
                return Err(bad("give 1 to 3 octets before in-addr.arpa"));
            }
            let mut octets = [0u8; 4];
            for (slot, label) in octets.iter_mut().zip(&labels) {
                *slot = label
                    .parse()
                    .map_err(|_| bad(&format!("{label:?} is not an octet")))?;
            }
            let len = 8 * labels.len() as u8;
            let net = Ipv4Net::new(Ipv4Addr::from(octets), len).map_err(|e| bad(&e.to_string()))?;
            return Ok(aligned(IpNet::V4(net)));
        }
        if let Some(rest) = name.strip_suffix(".ip6.arpa") {
            let nibbles: Vec<&str> = rest.split('.').rev().collect();
            if nibbles.is_empty() || nibbles.len() > 32 {
                return Err(bad("give 1 to 32 nibbles before ip6.arpa"));
            }
            let mut value = 0u128;
            for (i, nibble) in nibbles.iter().enumerate() {
                let digit = u128::from_str_radix(nibble, 16)
                    .ok()
                    .filter(|_| nibble.len() == 1)
                    .ok_or_else(|| bad(&format!("{nibble:?} is not a hex digit")))?;
                value |= digit << (124 - 4 * i);
            }
            let len = 4 * nibbles.len() as u8;
            let net = Ipv6Net::new(Ipv6Addr::from(value), len).map_err(|e| bad(&e.to_string()))?;
            return Ok(aligned(IpNet::V6(net)));
        }
        Err(bad("it must end in in-addr.arpa or ip6.arpa"))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.prefix.contains(&address)
    }

    pub fn is_classless(&self) -> bool {
        matches!(self.prefix, IpNet::V4(n) if n.prefix_len() > 24)
    }

    /// The owner name of `address`'s PTR in this zone, without the root dot.
    pub fn owner(&self, address: IpAddr) -> String {
        match address {
            IpAddr::V4(a) if self.is_classless() => format!("{}.{}", a.octets()[3], self.name),
            other => reverse_name(other),
        }
    }

    /// The address an owner name in this zone stands for (None: not an address here).
    pub fn address_of(&self, owner: &str) -> Option<IpAddr> {
        let owner = owner.trim_end_matches('.').to_ascii_lowercase();
        let address = if self.is_classless() {
            let host: u8 = owner
                .strip_suffix(&format!(".{}", self.name))?
                .parse()
                .ok()?;
            let IpNet::V4(net) = self.prefix else {
                return None;
            };
            let mut octets = net.network().octets();
            octets[3] = host;
            IpAddr::V4(Ipv4Addr::from(octets))
        } else {
            address_from_reverse(&owner)?
        };
        self.contains(address).then_some(address)
    }
}

/// The address a full reverse name stands for: four octets, or 32 nibbles.
fn address_from_reverse(name: &str) -> Option<IpAddr> {
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let octets: Vec<u8> = rest
            .split('.')
            .rev()
            .map(|label| label.parse().ok())
            .collect::<Option<_>>()?;
        let octets: [u8; 4] = octets.try_into().ok()?;
        return Some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    let nibbles: Vec<&str> = name.strip_suffix(".ip6.arpa")?.split('.').collect();
    if nibbles.len() != 32 {
        return None;
    }
    let mut value = 0u128;
    for nibble in nibbles.iter().rev() {
        if nibble.len() != 1 {
            return None;
        }
        value = value << 4 | u128::from_str_radix(nibble, 16).ok()?;
    }
    Some(IpAddr::V6(Ipv6Addr::from(value)))
}

/// The full reverse name of an address (`70.113.0.203.in-addr.arpa`): the owner in an
/// octet- or nibble-aligned zone, and the CNAME owner in a classless zone's parent.
pub fn reverse_name(address: IpAddr) -> String {
    match address {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(a) => nibbles(u128::from(a), 32) + "ip6.arpa",
    }
}

/// The first `count` nibbles of `value` as labels, last first, each followed by a dot.
fn nibbles(value: u128, count: u8) -> String {
    (0..count)
        .rev()
        .map(|i| format!("{:x}.", (value >> (124 - 4 * u32::from(i))) & 0xf))
        .collect()
}

fn aligned(prefix: IpNet) -> Zone {
    let name = match prefix {
        IpNet::V4(n) => {
            let octets = n.network().octets();
            let mut labels: Vec<String> = octets[..usize::from(n.prefix_len() / 8)]
                .iter()
                .rev()
                .map(u8::to_string)
                .collect();
            labels.push("in-addr.arpa".into());
            labels.join(".")
        }
        IpNet::V6(n) => nibbles(u128::from(n.network()), n.prefix_len() / 4) + "ip6.arpa",
    };
    Zone { name, prefix }
}

fn classless(net: Ipv4Net) -> Zone {
    let [a, b, c, d] = net.network().octets();
    Zone {
        name: format!("{d}/{}.{c}.{b}.{a}.in-addr.arpa", net.prefix_len()),
        prefix: IpNet::V4(net.trunc()),
    }
}

#[cfg(test)]
mod tests;
