//! Cell values as spreadsheets hold them, normalised: prefixes written as
//! `10.0.0.0/24`, `10.0.0.0 255.255.255.0`, with a mask column, or as a range
//! `10.0.0.0 - 10.0.0.255` (split into CIDRs); IPv6 in any textual form; VLANs as `102`
//! or `VLAN102`; statuses in any case. Errors say what the cell holds and the rule.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

use crate::engine::parse_cidr;

/// What an imported row says about the state of its space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Free,
    Allocated,
    Reserved,
    Parked,
}

/// What a status cell says, in carve's terms. The statuses of NetBox and phpIPAM map
/// to carve's model (README, "Importing"): where carve's word loses the peer's (NetBox's
/// Deprecated, DHCP; phpIPAM's Offline), the peer's word is kept as the park or reserve
/// reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct StatusCell {
    /// Free, Allocated or Reserved (never Parked: that is `parked`).
    pub status: Option<Status>,
    pub parked: bool,
    /// A block that holds others (NetBox's Container): no status of its own.
    pub container: bool,
    /// SLAAC (NetBox): an address in use that its host chose itself.
    pub slaac: bool,
    pub park_reason: Option<String>,
    pub reserve_reason: Option<String>,
}

/// One word of a status cell.
enum Word {
    Is(Status),
    /// The status, and that the cell's word is kept as its reason.
    Because(Status),
    Container,
    Slaac,
}

fn word(text: &str) -> Result<Word, String> {
    let word: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Ok(match word.as_str() {
        "free" | "available" | "unused" | "unallocated" | "unassigned" | "open" => {
            Word::Is(Status::Free)
        }
        "used" | "allocated" | "assigned" | "active" | "inuse" | "taken" | "online" => {
            Word::Is(Status::Allocated)
        }
        "reserved" => Word::Is(Status::Reserved),
        "dhcp" | "gateway" => Word::Because(Status::Reserved),
        "parked" | "unavailable" | "blocked" | "quarantine" | "quarantined" => {
            Word::Is(Status::Parked)
        }
        "deprecated" | "offline" => Word::Because(Status::Parked),
        "container" => Word::Container,
        "slaac" => Word::Slaac,
        _ => {
            return Err(format!(
                "status {text:?} is not one carve knows (free, used, reserved, parked, \
                 allocated, or one of them with parked: \"allocated, parked\"; NetBox's \
                 active, container, deprecated, dhcp, slaac; phpIPAM's offline, used, \
                 reserved, dhcp, gateway)"
            ));
        }
    })
}

impl Status {
    /// A status cell: one status, or a status and a parked one ("allocated, parked",
    /// "reserved, deprecated").
    pub fn parse_cell(text: &str) -> Result<StatusCell, String> {
        let mut cell = StatusCell::default();
        for part in text
            .split([',', '+', '/', ';'])
            .filter(|p| !p.trim().is_empty())
        {
            let reason = Some(part.trim().to_owned());
            let status = match word(part)? {
                Word::Container => {
                    cell.container = true;
                    None
                }
                Word::Slaac => {
                    cell.slaac = true;
                    Some(Status::Allocated)
                }
                Word::Is(Status::Parked) => {
                    cell.parked = true;
                    None
                }
                Word::Because(Status::Parked) => {
                    cell.parked = true;
                    cell.park_reason = reason;
                    None
                }
                Word::Because(status) => {
                    cell.reserve_reason = reason;
                    Some(status)
                }
                Word::Is(status) => Some(status),
            };
            match status {
                Some(s) if cell.status.is_none() && !cell.container => cell.status = Some(s),
                None if !(cell.container && cell.status.is_some()) => {}
                _ => return Err(format!("status {text:?} names two statuses")),
            }
        }
        Ok(cell)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Free => "free",
            Status::Allocated => "allocated",
            Status::Reserved => "reserved",
            Status::Parked => "parked",
        }
    }
}

/// A prefix cell (with the row's mask cell, if any): one CIDR, or the CIDRs covering a
/// range exactly.
pub fn prefixes(cell: &str, mask: Option<&str>) -> Result<Vec<IpNet>, String> {
    let cell = cell.trim();
    if let Some((start, end)) = range_ends(cell) {
        return range(cell, start, end);
    }
    let (address, len) = match (cell.split_once('/'), mask) {
        (Some((address, len)), _) => (address.trim(), Some(len.trim().to_owned())),
        (None, Some(mask)) => (cell, Some(prefix_length(mask)?.to_string())),
        (None, None) => match cell.split_once(char::is_whitespace) {
            Some((address, mask)) => (address.trim(), Some(prefix_length(mask)?.to_string())),
            None if cell.parse::<IpAddr>().is_ok() => {
                return Err(format!(
                    "{cell:?} has no prefix length: write it as ADDRESS/LENGTH or add a mask column"
                ));
            }
            None => {
                return Err(format!(
                    "{cell:?} is neither a prefix (ADDRESS/LENGTH) nor an address: a host \
                     name belongs in a hostname or PTR column"
                ));
            }
        },
    };
    let len = len.unwrap_or_default();
    let text = format!("{address}/{len}");
    let net = parse_cidr(&text).map_err(|e| e.to_string())?;
    Ok(vec![net])
}

/// `a - b`, `a-b` (IPv4) or `a – b` when both ends are addresses.
fn range_ends(cell: &str) -> Option<(IpAddr, IpAddr)> {
    let (start, end) = cell
        .split_once(" - ")
        .or_else(|| cell.split_once('\u{2013}'))
        .or_else(|| cell.split_once('-'))?;
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?))
}

fn range(cell: &str, start: IpAddr, end: IpAddr) -> Result<Vec<IpNet>, String> {
    let nets: Vec<IpNet> = match (start, end) {
        (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
            Ipv4Subnets::new(a, b, 0).map(IpNet::V4).collect()
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
            Ipv6Subnets::new(a, b, 0).map(IpNet::V6).collect()
        }
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            return Err(format!("range {cell:?} ends before it starts"));
        }
        _ => return Err(format!("range {cell:?} mixes IPv4 and IPv6")),
    };
    for net in &nets {
        parse_cidr(&net.to_string()).map_err(|e| format!("range {cell:?}: {e}"))?;
    }
    Ok(nets)
}

/// A mask cell: `255.255.255.0`, `/24`, `24` (or `24.0` from a spreadsheet).
pub fn prefix_length(mask: &str) -> Result<u8, String> {
    let text = mask.trim().trim_start_matches('/');
    let number = text.strip_suffix(".0").unwrap_or(text);
    if let Ok(len) = number.parse::<u8>() {
        return Ok(len);
    }
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(m)) => {
            let bits = u32::from(m);
            if bits.leading_ones() + bits.trailing_zeros() == 32 {
                Ok(bits.leading_ones() as u8)
            } else {
                Err(format!(
                    "mask {mask:?} is not contiguous (like 255.255.255.0)"
                ))
            }
        }
        _ => Err(format!(
            "mask {mask:?} is neither a netmask (255.255.255.0) nor a prefix length (24)"
        )),
    }
}

/// An address cell: an IPv4 or IPv6 address, maybe written with its subnet's length
/// (`10.0.0.5/24` is the address 10.0.0.5).
pub fn address(cell: &str) -> Result<IpAddr, String> {
    let text = cell.trim();
    let bare = text.split_once('/').map_or(text, |(a, _)| a.trim());
    bare.parse()
        .map_err(|_| format!("{text:?} is not an IP address"))
}

/// A VLAN cell: `102`, `VLAN102`, `vlan 102`, `Vlan-102`, `102.0`, or a name with its
/// VID as NetBox writes it (`Cust-Edge (102)`).
pub fn vlan(cell: &str) -> Result<i32, String> {
    let text = cell.trim();
    let vid = text
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
        .map(|(_, vid)| vid.trim());
    let lower = vid.unwrap_or(text).to_ascii_lowercase();
    let digits = match lower.strip_prefix("vlan") {
        Some(rest) => rest.trim_start_matches([' ', '-', '_']),
        None => lower.as_str(),
    };
    let digits = digits.strip_suffix(".0").unwrap_or(digits);
    match digits.parse::<i32>() {
        Ok(vid) if (1..=4094).contains(&vid) => Ok(vid),
        Ok(_) => Err(format!("VLAN {text:?} is out of range (1..4094)")),
        Err(_) => Err(format!(
            "{text:?} is not a VLAN (102, VLAN102, or a name and its VID: Cust-Edge (102))"
        )),
    }
}

/// A yes/no cell (the pool column).
pub fn flag(cell: &str) -> Result<bool, String> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "pool" => Ok(true),
        "no" | "n" | "false" | "0" | "" => Ok(false),
        _ => Err(format!("{cell:?} is not yes or no")),
    }
}

/// The longest text a field may hold: what the database keeps (migration 0013).
pub const MAX_TEXT: usize = crate::engine::text::TEXT_MAX;

/// A free-text cell as stored: trimmed; a leading `'` that an export put before a
/// formula-looking value (so no spreadsheet runs it) is taken off again.
pub fn text(cell: &str) -> Result<String, String> {
    let text = cell.trim();
    let text = match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    };
    if text.contains('\0') {
        return Err("a text cell holds a NUL character".to_owned());
    }
    if text.chars().count() > MAX_TEXT {
        return Err(format!(
            "a text cell is {} characters long (at most {MAX_TEXT})",
            text.chars().count()
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(cell: &str, mask: Option<&str>) -> Vec<String> {
        prefixes(cell, mask)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn prefixes_in_every_common_spelling() {
        assert_eq!(nets("10.0.0.0/24", None), ["10.0.0.0/24"]);
        assert_eq!(nets(" 10.0.0.0 255.255.255.0 ", None), ["10.0.0.0/24"]);
        assert_eq!(nets("10.0.0.0", Some("255.255.255.128")), ["10.0.0.0/25"]);
        assert_eq!(nets("10.0.0.0", Some("/26")), ["10.0.0.0/26"]);
        assert_eq!(nets("10.0.0.0", Some("27.0")), ["10.0.0.0/27"]);
        assert_eq!(nets("2001:DB8:0:0::/48", None), ["2001:db8::/48"]);
        assert_eq!(
            nets("10.0.0.0 - 10.0.0.191", None),
            ["10.0.0.0/25", "10.0.0.128/26"]
        );
        assert_eq!(nets("2001:db8::-2001:db8::ffff", None), ["2001:db8::/112"]);
    }

    #[test]
    fn bad_prefixes_say_why() {
        let err = |cell: &str, mask| prefixes(cell, mask).unwrap_err();
        assert!(err("10.0.0.5/24", None).contains("did you mean 10.0.0.0/24"));
        assert!(err("10.0.0.0", None).contains("no prefix length"));
        assert!(err("10.0.0.0", Some("255.0.255.0")).contains("not contiguous"));
        assert!(err("10.0.0.9 - 10.0.0.1", None).contains("ends before it starts"));
        assert!(err("10.0.0.0 - 2001:db8::", None).contains("mixes IPv4 and IPv6"));
        assert!(err("banana", None).contains("neither a prefix"));
        assert!(err("10.0.0.0/7", None).contains("out of range"));
    }

    #[test]
    fn peer_statuses_keep_their_word_where_carve_has_none() {
        let deprecated = Status::parse_cell("Deprecated").unwrap();
        assert_eq!((deprecated.status, deprecated.parked), (None, true));
        assert_eq!(deprecated.park_reason.as_deref(), Some("Deprecated"));
        let dhcp = Status::parse_cell("DHCP").unwrap();
        assert_eq!(dhcp.status, Some(Status::Reserved));
        assert_eq!(dhcp.reserve_reason.as_deref(), Some("DHCP"));
        let container = Status::parse_cell("Container").unwrap();
        assert_eq!((container.status, container.container), (None, true));
        assert!(Status::parse_cell("SLAAC").unwrap().slaac);
        let offline = Status::parse_cell("Offline").unwrap();
        assert_eq!(offline.park_reason.as_deref(), Some("Offline"));
    }

    #[test]
    fn vlans_statuses_addresses_and_text() {
        for cell in [
            "102",
            "VLAN102",
            "vlan 102",
            "Vlan-102",
            "102.0",
            "Cust-Edge (102)",
            "Edge (vlan 102)",
        ] {
            assert_eq!(vlan(cell), Ok(102), "{cell}");
        }
        assert!(vlan("4095").unwrap_err().contains("out of range"));
        assert!(vlan("-5").is_err());
        assert!(vlan("Cust-Edge").unwrap_err().contains("Cust-Edge (102)"));
        let status = |text| Status::parse_cell(text).map(|c| (c.status, c.parked));
        assert_eq!(status(" In Use "), Ok((Some(Status::Allocated), false)));
        assert_eq!(
            status("Allocated, parked"),
            Ok((Some(Status::Allocated), true))
        );
        assert_eq!(status("parked"), Ok((None, true)));
        assert!(status("free, used").is_err());
        assert!(status("container, used").is_err());
        assert_eq!(status("FREE"), Ok((Some(Status::Free), false)));
        assert!(status("maybe").is_err());
        assert_eq!(address("10.0.0.5/24").unwrap().to_string(), "10.0.0.5");
        assert_eq!(address("2001:DB8::5").unwrap().to_string(), "2001:db8::5");
        assert_eq!(text("'=SUM(A1)").unwrap(), "=SUM(A1)");
        assert_eq!(text("'quoted").unwrap(), "'quoted");
        assert!(text(&"x".repeat(MAX_TEXT + 1)).is_err());
    }
}
