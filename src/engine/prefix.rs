//! Prefix arithmetic shared by IPv4 and IPv6: parsing with the rules carve enforces
//! (prefix length in range for the family, no host bits) and the family of a prefix.

use std::fmt;

use ipnet::IpNet;

/// An address family. IPv4 and IPv6 share one engine; this says which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
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
        "{input:?} is not a CIDR (expected ADDRESS/LENGTH, e.g. 203.0.113.0/24 or 2001:db8::/48)"
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
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

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
