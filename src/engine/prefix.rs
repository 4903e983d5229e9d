//! Prefix arithmetic shared by IPv4 and IPv6: parsing with the rules carve enforces
//! (prefix length in range for the family, no host bits) and the family of a prefix.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// An address family. IPv4 and IPv6 share one engine; this says which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

/// Serialised as the number people write: 4 or 6.
impl serde::Serialize for Family {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.number())
    }
}

impl Family {
    pub fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    /// The number PostgreSQL's `family()` returns and the CLI accepts.
    pub fn number(self) -> u8 {
        match self {
            Family::V4 => 4,
            Family::V6 => 6,
        }
    }

    /// The whole address space of the family: 0.0.0.0/0 or ::/0.
    pub fn everything(self) -> IpNet {
        match self {
            Family::V4 => IpNet::V4(ipnet::Ipv4Net::default()),
            Family::V6 => IpNet::V6(ipnet::Ipv6Net::default()),
        }
    }

    /// The prefix lengths carve manages: IPv4 /8../32, IPv6 /32../128.
    pub fn prefix_range(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Family::V4 => 8..=32,
            Family::V6 => 32..=128,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IPv{}", self.number())
    }
}

/// Why a CIDR was refused; the message names the input and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error(
        "{} is not a CIDR (expected ADDRESS/LENGTH, e.g. 203.0.113.0/24 or 2001:db8::/48)",
        super::text::quote(.input)
    )]
    Malformed { input: String },
    #[error("{input} has host bits set (did you mean {network}?)")]
    HostBits { input: String, network: IpNet },
    #[error("{input}: /{len} is out of range for {family} (carve manages /{min}../{max})")]
    LengthOutOfRange {
        input: String,
        len: u8,
        family: Family,
        min: u8,
        max: u8,
    },
    #[error("{input} lies in {range}, {rule}: carve does not manage that space")]
    SpecialPurpose {
        input: String,
        range: IpNet,
        rule: &'static str,
    },
}

/// IPv6 space that is no network to carve: addresses that stand for IPv4 ones or for
/// this host, or that never leave a link or name a group. `::ffff:10.0.0.0/104` would
/// otherwise become an "IPv6 root" holding IPv4 space twice.
const SPECIAL_V6: [(&str, &str); 5] = [
    // The translation prefixes first: they lie inside ::/8 and have rules of their own.
    (
        "64:ff9b::/96",
        "the NAT64 well-known prefix (RFC 6052): IPv4 addresses in disguise",
    ),
    (
        "64:ff9b:1::/48",
        "local-use IPv4/IPv6 translation (RFC 8215)",
    ),
    (
        "::/8",
        "reserved by the IETF (unspecified, loopback, IPv4-mapped and -compatible addresses)",
    ),
    ("fe80::/10", "link-local unicast (RFC 4291): never routed"),
    ("ff00::/8", "multicast (RFC 4291)"),
];

fn special_purpose(net: &IpNet) -> Option<(IpNet, &'static str)> {
    SPECIAL_V6.iter().find_map(|(range, rule)| {
        let range: IpNet = range.parse().expect("a valid constant prefix");
        (range.contains(net) || net.contains(&range)).then_some((range, *rule))
    })
}

/// Parses `ADDRESS/LENGTH` and applies carve's rules: the prefix length must be in the
/// family's range and the address must be the network address.
pub fn parse_cidr(input: &str) -> Result<IpNet, PrefixError> {
    let trimmed = input.trim();
    let net: IpNet = trimmed.parse().map_err(|_| PrefixError::Malformed {
        input: input.to_owned(),
    })?;
    let family = Family::of(&net);
    let range = family.prefix_range();
    if !range.contains(&net.prefix_len()) {
        return Err(PrefixError::LengthOutOfRange {
            input: trimmed.to_owned(),
            len: net.prefix_len(),
            family,
            min: *range.start(),
            max: *range.end(),
        });
    }
    if net.trunc() != net {
        return Err(PrefixError::HostBits {
            input: trimmed.to_owned(),
            network: net.trunc(),
        });
    }
    if let Some((range, rule)) = special_purpose(&net) {
        return Err(PrefixError::SpecialPurpose {
            input: trimmed.to_owned(),
            range,
            rule,
        });
    }
    Ok(net)
}

/// The address as an unsigned number (IPv4 in the low 32 bits).
pub fn addr_to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The address `offset` places after the network address of `net`.
pub fn addr_at(net: &IpNet, offset: u128) -> IpAddr {
    let value = addr_to_u128(net.network()) + offset;
    match net {
        // An offset inside an IPv4 prefix always fits in 32 bits.
        IpNet::V4(_) => IpAddr::V4(Ipv4Addr::from(value as u32)),
        IpNet::V6(_) => IpAddr::V6(Ipv6Addr::from(value)),
    }
}

/// How many addresses the prefix spans. IPv6 prefixes are /32 or longer, so this fits.
pub fn size(net: &IpNet) -> u128 {
    1u128 << (net.max_prefix_len() - net.prefix_len())
}

/// How many /64s an IPv6 prefix spans (0 for a prefix longer than /64 and for IPv4).
pub fn count_64s(net: &IpNet) -> u128 {
    match net {
        IpNet::V6(n) if n.prefix_len() <= 64 => 1u128 << (64 - n.prefix_len()),
        _ => 0,
    }
}

/// The two buddy halves of `net`, or None for a single address.
pub fn halves(net: &IpNet) -> Option<(IpNet, IpNet)> {
    if net.prefix_len() == net.max_prefix_len() {
        return None;
    }
    let len = net.prefix_len() + 1;
    let lower = IpNet::new(net.network(), len).ok()?;
    let upper = IpNet::new(addr_at(net, size(&lower)), len).ok()?;
    Some((lower, upper))
}

/// The prefix one bit shorter that holds `net` and its buddy.
pub fn parent(net: &IpNet) -> Option<IpNet> {
    net.supernet()
}

/// Every prefix carve could hold that contains `net`, longest first: the candidates for
/// its ancestors in the tree (down to /8 for IPv4, /32 for IPv6).
pub fn supernets(net: &IpNet) -> Vec<IpNet> {
    let min = *Family::of(net).prefix_range().start();
    (min..net.prefix_len())
        .rev()
        .filter_map(|len| IpNet::new(net.network(), len).ok().map(|n| n.trunc()))
        .collect()
}

/// `net` itself, then [`supernets`]: the prefixes a subnet holding `net` could have (a
/// /32 pool holds its one address itself).
pub fn net_and_supernets(net: &IpNet) -> impl Iterator<Item = IpNet> {
    std::iter::once(net.trunc()).chain(supernets(net))
}

/// The lowest-address prefix of length `len` inside `net`.
pub fn first_of_len(net: &IpNet, len: u8) -> Option<IpNet> {
    if len < net.prefix_len() || len > net.max_prefix_len() {
        return None;
    }
    IpNet::new(net.network(), len).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_ipv6_is_refused_naming_the_rule() {
        for (input, range) in [
            ("::ffff:10.0.0.0/104", "::/8"),
            ("::/32", "::/8"),
            ("64:ff9b::/96", "64:ff9b::/96"),
            ("fe80::/64", "fe80::/10"),
            ("ff02::/64", "ff00::/8"),
        ] {
            let why = parse_cidr(input).unwrap_err().to_string();
            assert!(
                why.starts_with(&format!("{input} lies in {range}, ")),
                "{why}"
            );
            assert!(why.ends_with("carve does not manage that space"), "{why}");
        }
        assert!(parse_cidr("2001:db8::/32").is_ok());
        assert!(parse_cidr("100::/64").is_ok());
    }

    #[test]
    fn accepts_networks_of_both_families_at_the_edges() {
        for ok in [
            "10.0.0.0/8",
            "203.0.113.7/32",
            "2001:db8::/32",
            "2001:db8::1/128",
        ] {
            assert_eq!(parse_cidr(ok).unwrap().to_string(), ok);
        }
    }

    #[test]
    fn host_bits_suggest_the_network() {
        let err = parse_cidr("203.0.113.5/24").unwrap_err();
        assert_eq!(
            err.to_string(),
            "203.0.113.5/24 has host bits set (did you mean 203.0.113.0/24?)"
        );
    }

    #[test]
    fn lengths_outside_the_family_range_are_refused() {
        let err = parse_cidr("10.0.0.0/7").unwrap_err();
        assert_eq!(
            err.to_string(),
            "10.0.0.0/7: /7 is out of range for IPv4 (carve manages /8../32)"
        );
        assert!(matches!(
            parse_cidr("2001:db8::/31"),
            Err(PrefixError::LengthOutOfRange { len: 31, .. })
        ));
    }

    #[test]
    fn halves_parents_and_sizes() {
        let net = parse_cidr("203.0.113.0/24").unwrap();
        let (lo, hi) = halves(&net).unwrap();
        assert_eq!(
            (lo.to_string(), hi.to_string()),
            ("203.0.113.0/25".into(), "203.0.113.128/25".into())
        );
        assert_eq!(parent(&hi), Some(net));
        assert_eq!(size(&net), 256);
        assert_eq!(halves(&parse_cidr("203.0.113.7/32").unwrap()), None);
        let v6 = parse_cidr("2001:db8::/32").unwrap();
        assert_eq!(size(&v6), 1u128 << 96);
        assert_eq!(count_64s(&v6), 1u128 << 32);
        let (_, hi6) = halves(&parse_cidr("2001:db8::/127").unwrap()).unwrap();
        assert_eq!(hi6.to_string(), "2001:db8::1/128");
        assert_eq!(
            first_of_len(&net, 29).unwrap().to_string(),
            "203.0.113.0/29"
        );
        assert_eq!(first_of_len(&net, 23), None);
    }

    #[test]
    fn garbage_is_malformed() {
        for bad in [
            "",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.256/24",
            "fish/24",
            "2001:db8::/129",
        ] {
            assert!(
                matches!(parse_cidr(bad), Err(PrefixError::Malformed { .. })),
                "{bad}"
            );
        }
    }
}
