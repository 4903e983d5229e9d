//! Finding the columns of a spreadsheet by their header, however it is spelled: case,
//! spaces and punctuation do not matter, common aliases are known, and a header of
//! several words ("Site (DC)", "Subnet / CIDR") is matched by its words.

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Subnet,
    Mask,
    Ip,
    Customer,
    Vlan,
    Location,
    Description,
    Rdns,
    Status,
    Purpose,
    Pool,
    Device,
    /// What carve has no place for (yet): read so a value there is reported, never
    /// dropped silently.
    Vrf,
    Mac,
    Interface,
    Switch,
    Port,
}

impl Column {
    /// The columns whose values carve cannot carry, and what the report calls them.
    pub const NOT_CARRIED: [(Column, &'static str); 5] = [
        (Column::Vrf, "VRF"),
        (Column::Mac, "MAC address"),
        (Column::Interface, "interface"),
        (Column::Switch, "switch"),
        (Column::Port, "port"),
    ];
}

/// Aliases, in their normalised form (lowercase letters and digits only).
const ALIASES: &[(Column, &[&str])] = &[
    (
        Column::Subnet,
        &[
            "subnet", "prefix", "cidr", "network", "block", "netblock", "range", "iprange",
        ],
    ),
    (
        Column::Mask,
        &[
            "mask",
            "netmask",
            "subnetmask",
            "prefixlength",
            "prefixlen",
            "masklength",
            "length",
            "bits",
        ],
    ),
    (
        Column::Ip,
        &[
            "ip",
            "address",
            "host",
            "ipaddress",
            "hostaddress",
            "ipaddr",
            "ipv4",
            "ipv6",
        ],
    ),
    (
        Column::Customer,
        &["customer", "client", "owner", "tenant", "customername"],
    ),
    (Column::Vlan, &["vlan", "vlanid", "vid", "vlannumber"]),
    (
        Column::Location,
        &["location", "site", "dc", "datacenter", "datacentre", "pop"],
    ),
    (
        Column::Description,
        &[
            "description",
            "comment",
            "comments",
            "notes",
            "note",
            "desc",
            "remarks",
        ],
    ),
    (
        Column::Rdns,
        &[
            "rdns",
            "ptr",
            "hostname",
            "reverse",
            "reversedns",
            "ptrrecord",
            "dnsname",
            "fqdn",
        ],
    ),
    (Column::Status, &["status", "state"]),
    (Column::Purpose, &["purpose", "role", "usage"]),
    (Column::Pool, &["pool", "ispool"]),
    (Column::Device, &["device", "devicename", "server"]),
    (Column::Vrf, &["vrf", "vrfname"]),
    (Column::Mac, &["mac", "macaddress", "hwaddress"]),
    (
        Column::Interface,
        &[
            "interface",
            "assigned",
            "assignedobject",
            "assignedinterface",
        ],
    ),
    (Column::Switch, &["switch"]),
    (Column::Port, &["port", "switchport"]),
];

fn alias(word: &str) -> Option<Column> {
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&word))
        .map(|(column, _)| *column)
}

/// Words that make a header about something else than its other words say ("Gateway
/// IP" is not the address column, "Network Name" not the subnet column).
const ABOUT_SOMETHING_ELSE: &[&str] = &[
    "gateway",
    "gw",
    "name",
    "start",
    "first",
    "last",
    "end",
    "count",
    "number",
    "size",
    "total",
    "broadcast",
    // phpIPAM's "Master Subnet", NetBox's "VLAN Group" and "Tenant Group".
    "master",
    "parent",
    "group",
];

/// Words that only qualify another ("IPv6 Prefix" is a prefix).
const QUALIFIERS: &[&str] = &["ip", "ipv4", "ipv6", "v4", "v6"];

fn words(header: &str) -> Vec<String> {
    header
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The column a header names as a whole ("Prefix Length" is a mask, not a prefix).
fn exact_column(header: &str) -> Option<Column> {
    alias(&words(header).concat())
}

/// The column a header names: as a whole, else by its words when there are few and
/// they agree ("Site (DC)", "IPv6 Prefix"). A sentence (a sheet's title), a header about
/// something else ("Gateway IP") or one naming two columns names none.
pub fn column_of(header: &str) -> Option<Column> {
    exact_column(header).or_else(|| {
        let words = words(header);
        if words.len() > 3
            || words
                .iter()
                .any(|w| ABOUT_SOMETHING_ELSE.contains(&w.as_str()))
        {
            return None;
        }
        let mut named: Vec<Column> = words
            .iter()
            .filter(|w| !QUALIFIERS.contains(&w.as_str()))
            .filter_map(|w| alias(w))
            .collect();
        if named.is_empty() {
            named = words.iter().filter_map(|w| alias(w)).collect();
        }
        named.dedup();
        match named.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    })
}

/// The columns of a header row: which cell index holds what (the first of two columns
/// of one kind wins), and the headers carve does not know.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Header {
    pub columns: Vec<(Column, usize)>,
    /// How many of them the header names as a whole (not by a word of it).
    pub exact: usize,
    pub unknown: Vec<String>,
    /// Headers naming a column already found (ignored).
    pub repeated: Vec<String>,
    /// More description columns (phpIPAM has description and note): their text is
    /// added to the first's.
    pub more_descriptions: Vec<usize>,
}

impl Header {
    pub fn parse(cells: &[String]) -> Header {
        let mut header = Header::default();
        for (i, cell) in cells.iter().enumerate() {
            let text = cell.trim();
            if text.is_empty() {
                continue;
            }
            match column_of(text) {
                Some(Column::Description) if header.index(Column::Description).is_some() => {
                    header.more_descriptions.push(i);
                }
                Some(c) if header.index(c).is_some() => header.repeated.push(text.to_owned()),
                Some(c) => {
                    header.columns.push((c, i));
                    header.exact += usize::from(exact_column(text).is_some());
                }
                None => header.unknown.push(text.to_owned()),
            }
        }
        header
    }

    pub fn index(&self, column: Column) -> Option<usize> {
        self.columns
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, i)| *i)
    }

    /// Whether it names an address column (a subnet or an IP).
    pub fn has_address(&self) -> bool {
        self.index(Column::Subnet).is_some() || self.index(Column::Ip).is_some()
    }

    /// Whether the row can be a header: it names an address column and another, or only
    /// an address column by its whole text (a lone "IP" heads a list; a title mentioning
    /// an IP plan does not).
    pub fn is_header(&self) -> bool {
        self.has_address() && (self.columns.len() > 1 || self.exact == 1)
    }

    /// The trimmed cell of `column` in `row`, None when absent or blank.
    pub fn cell<'r>(&self, row: &'r [String], column: Column) -> Option<&'r str> {
        nonblank(row.get(self.index(column)?)?)
    }
}

/// A cell's text, None when it is blank: empty, or the em dash NetBox's table export
/// writes for an empty field.
pub fn nonblank(cell: &str) -> Option<&str> {
    let text = cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    (!text.is_empty() && text != "\u{2014}").then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_whatever_their_spelling() {
        for (header, column) in [
            ("Subnet", Column::Subnet),
            (" CIDR ", Column::Subnet),
            ("Subnet / CIDR", Column::Subnet),
            ("Prefix Length", Column::Mask),
            ("Net-Mask", Column::Mask),
            ("IP Address", Column::Ip),
            ("VLAN ID", Column::Vlan),
            ("Site (DC)", Column::Location),
            ("Customer Name", Column::Customer),
            ("Reverse DNS", Column::Rdns),
            ("PTR", Column::Rdns),
            ("Notes", Column::Description),
        ] {
            assert_eq!(column_of(header), Some(column), "{header}");
        }
        assert_eq!(column_of("Rack"), None);
        assert_eq!(column_of("IP plan of the Frankfurt data centre"), None);
        assert_eq!(column_of("IPv6 Prefix"), Some(Column::Subnet));
        assert_eq!(column_of("IPv4 Subnet"), Some(Column::Subnet));
        assert_eq!(column_of("Gateway IP"), None);
        assert_eq!(column_of("Network Name"), None);
        assert_eq!(column_of("Master Subnet"), None);
        assert_eq!(column_of("vlan_group"), None);
        assert_eq!(column_of("Hosts check"), None);
        assert_eq!(column_of("DNS Name"), Some(Column::Rdns));
        assert_eq!(column_of("ip state"), Some(Column::Status));
        assert_eq!(column_of("is_pool"), Some(Column::Pool));
        assert_eq!(column_of("Assigned"), Some(Column::Interface));
    }

    #[test]
    fn unknown_and_repeated_headers_are_reported() {
        let cells: Vec<String> = ["Network", "Mask", "Rack", "Comment", "Notes"]
            .map(String::from)
            .to_vec();
        let header = Header::parse(&cells);
        assert_eq!(header.index(Column::Subnet), Some(0));
        assert_eq!(header.index(Column::Description), Some(3));
        assert_eq!(header.unknown, ["Rack"]);
        assert_eq!(header.more_descriptions, [4]);
        let cells: Vec<String> = ["Network", "CIDR"].map(String::from).to_vec();
        assert_eq!(Header::parse(&cells).repeated, ["CIDR"]);
        assert!(header.has_address());
    }
}
