//! From a sheet's rows to subnet and address records: the header row is found, each data
//! row is read by its columns, and every row that cannot be read becomes a problem with
//! its sheet and row number. Nothing is dropped silently: blank rows are counted, free
//! addresses (which need no record) are counted as skipped.

mod row;
mod sections;

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::read::Sheet;
use super::values::Status;

/// Where a row is: its sheet (in a workbook) and its number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct At {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub row: usize,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sheet {
            Some(sheet) => write!(f, "sheet {sheet:?} row {}", self.row),
            None => write!(f, "row {}", self.row),
        }
    }
}

/// A row carve cannot take, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub at: At,
    pub message: String,
}

/// What a row says besides its address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Fields {
    /// Free, Allocated or Reserved (never Parked: that is `parked`).
    pub status: Option<Status>,
    pub parked: bool,
    pub customer: Option<String>,
    pub vlan: Option<i32>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    pub device: Option<String>,
    pub pool: bool,
    /// The status cell as written (the dry run shows what each became).
    pub written_status: Option<String>,
    /// The peer's word where carve's status has none (Deprecated, DHCP, Offline).
    pub park_reason: Option<String>,
    pub reserve_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubnetRow {
    pub at: At,
    pub cidr: IpNet,
    pub fields: Fields,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpRow {
    pub at: At,
    pub address: IpAddr,
    pub rdns: Option<String>,
    /// The subnet a row names next to its address (a sheet listing each address with
    /// its subnet, or the title of its section in a phpIPAM export): the address's pool.
    pub pool: Option<IpNet>,
    /// The subnet an interface mask implies (`10.0.0.5/24`): its pool when no subnet
    /// of the file or of carve holds the address more closely.
    pub implied_pool: Option<IpNet>,
    /// Written in the subnet column (a bare host): an address only inside a block.
    pub in_subnet_column: bool,
    pub fields: Fields,
}

/// A blank cell that `--fill-down` took from the row above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filled {
    pub at: At,
    pub column: String,
    pub value: String,
    pub from_row: usize,
}

/// Everything read from a file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Records {
    pub subnets: Vec<SubnetRow>,
    pub ips: Vec<IpRow>,
    pub problems: Vec<Problem>,
    /// Headers carve does not know (ignored), with their sheet.
    pub ignored_columns: Vec<String>,
    /// Sheets with no address column (ignored).
    pub ignored_sheets: Vec<String>,
    /// Values carve has no place for (VRFs, MACs, interfaces, switch ports), one line
    /// per column: never dropped without a word.
    pub not_carried: Vec<String>,
    /// Cells `--fill-down` filled.
    pub filled: Vec<Filled>,
    /// Rows with content, header rows excluded.
    pub rows: usize,
    /// Blank rows and free addresses: nothing to record.
    pub skipped: usize,
}

/// Reads every sheet's records; an error when no sheet has an address column.
pub fn records(sheets: &[Sheet]) -> Result<Records, String> {
    records_with(sheets, &[])
}

/// Reads every sheet's records, filling blank cells of the `fill_down` columns from the
/// row above (a merged cell).
pub fn records_with(sheets: &[Sheet], fill_down: &[String]) -> Result<Records, String> {
    sections::read(sheets, fill_down)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read::text;

    #[test]
    fn rows_become_records_and_bad_rows_problems_with_their_number() {
        let file = "Inventory 2019\n\nNetwork,Mask,Customer,VLAN,Rack\n\
                    10.0.0.0,255.255.255.0,Acme,VLAN102,r1\n\
                    \n\
                    10.0.1.5,24,,,\n\
                    10.0.2.0 - 10.0.2.255,,,,\n";
        let records = records(&[text(file.as_bytes()).unwrap()]).unwrap();
        let cidrs: Vec<String> = records.subnets.iter().map(|s| s.cidr.to_string()).collect();
        assert_eq!(cidrs, ["10.0.0.0/24", "10.0.2.0/24"]);
        assert_eq!(records.subnets[0].fields.vlan, Some(102));
        assert_eq!(records.subnets[0].at.row, 4);
        assert_eq!(records.ignored_columns, ["Rack"]);
        assert_eq!(records.problems.len(), 1);
        assert_eq!(records.problems[0].at.row, 6);
        assert!(
            records.problems[0]
                .message
                .contains("did you mean 10.0.1.0/24")
        );
        assert_eq!((records.rows, records.skipped), (3, 1));
    }

    #[test]
    fn a_file_without_an_address_column_is_refused() {
        let err = records(&[text(b"name,rack\nweb1,r1\n").unwrap()]).unwrap_err();
        assert!(err.contains("no sheet has a column"), "{err}");
    }
}
