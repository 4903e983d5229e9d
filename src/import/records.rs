//! From a sheet's rows to subnet and address records: the header row is found, each data
//! row is read by its columns, and every row that cannot be read becomes a problem with
//! its sheet and row number. Nothing is dropped silently: blank rows are counted, free
//! addresses (which need no record) are counted as skipped.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::columns::{Column, Header};
use super::read::Sheet;
use super::values::{self, Status};
use crate::engine::dns::normalize_hostname;

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
    /// its subnet): the address's pool.
    pub pool: Option<IpNet>,
    pub fields: Fields,
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
    /// Rows with content, header rows excluded.
    pub rows: usize,
    /// Blank rows and free addresses: nothing to record.
    pub skipped: usize,
}

/// How many leading rows may come before the header (titles, notes).
const HEADER_SEARCH: usize = 20;

/// Reads every sheet's records; an error when no sheet has an address column.
pub fn records(sheets: &[Sheet]) -> Result<Records, String> {
    let mut out = Records::default();
    let mut any = false;
    for sheet in sheets {
        let filled = sheet
            .rows
            .iter()
            .enumerate()
            .filter(|(_, (_, cells))| cells.iter().any(|c| !c.trim().is_empty()));
        // The header is the first row that can be one (titles above it are not).
        let best = filled
            .take(HEADER_SEARCH)
            .map(|(i, (_, cells))| (i, Header::parse(cells)))
            .find(|(_, h)| h.is_header());
        let Some((index, header)) = best else {
            out.ignored_sheets
                .push(sheet.name.clone().unwrap_or_default());
            continue;
        };
        any = true;
        let prefix = sheet
            .name
            .as_ref()
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        let ignored = header.unknown.iter().chain(&header.repeated);
        out.ignored_columns
            .extend(ignored.map(|h| format!("{prefix}{h}")));
        let mut header = header;
        for (row, cells) in &sheet.rows[index + 1..] {
            let at = At {
                sheet: sheet.name.clone(),
                row: *row,
            };
            if cells.iter().all(|c| c.trim().is_empty()) {
                out.skipped += 1;
                continue;
            }
            // A sheet of sections, each under a header of its own (addresses under
            // "IP, Customer, PTR" after the subnets): the new header applies from here.
            // A header row names columns and holds no address.
            let next = Header::parse(cells);
            if next.is_header() && next.columns.len() > 1 && !cells.iter().any(|c| holds_address(c))
            {
                header = next;
                continue;
            }
            out.rows += 1;
            if let Err(message) = record(&header, cells, at.clone(), &mut out) {
                out.problems.push(Problem { at, message });
            }
        }
    }
    if !any {
        return Err(
            "no sheet has a column carve can read addresses from (a header such as \
                    subnet, prefix, cidr, network or block, or ip, address or host)"
                .to_owned(),
        );
    }
    Ok(out)
}

/// Whether a cell holds an address or prefix (so its row is data, not a header).
fn holds_address(cell: &str) -> bool {
    let text = cell.trim();
    let first = text.split([' ', '/', '-']).next().unwrap_or_default();
    first.parse::<IpAddr>().is_ok()
}

fn record(header: &Header, cells: &[String], at: At, out: &mut Records) -> Result<(), String> {
    let cell = |column| header.cell(cells, column);
    let fields = fields(header, cells)?;
    let subnet = cell(Column::Subnet)
        .map(|c| values::prefixes(c, cell(Column::Mask)))
        .transpose()?;
    let rdns = cell(Column::Rdns)
        .map(normalize_hostname)
        .transpose()
        .map_err(|e| format!("rDNS {e}"))?;
    match (cell(Column::Ip), subnet) {
        (Some(ip), pool) => {
            let pool = match pool.as_deref() {
                None => None,
                Some([one]) => Some(*one),
                Some(_) => return Err("an address row's subnet must be one CIDR".to_owned()),
            };
            let address = values::address(ip)?;
            if fields.status == Some(Status::Free) && !fields.parked {
                out.skipped += 1;
                return Ok(());
            }
            out.ips.push(IpRow {
                at,
                address,
                rdns,
                pool,
                fields,
            });
        }
        (None, Some(nets)) => {
            if rdns.is_some() {
                return Err("rDNS belongs to an address, not a subnet".to_owned());
            }
            for cidr in nets {
                out.subnets.push(SubnetRow {
                    at: at.clone(),
                    cidr,
                    fields: fields.clone(),
                });
            }
        }
        (None, None) => return Err("no address: the subnet and IP cells are empty".to_owned()),
    }
    Ok(())
}

fn fields(header: &Header, cells: &[String]) -> Result<Fields, String> {
    let cell = |column| header.cell(cells, column);
    let text = |column| {
        cell(column)
            .map(values::text)
            .transpose()
            .map(|t| t.filter(|t| !t.is_empty()))
    };
    let (status, parked) = match cell(Column::Status) {
        Some(cell) => Status::parse_cell(cell)?,
        None => (None, false),
    };
    let customer = text(Column::Customer)?;
    if status == Some(Status::Free)
        && let Some(customer) = &customer
    {
        return Err(format!(
            "the row says free but names customer {customer:?}: space for a customer is \
             used (allocated) or reserved"
        ));
    }
    Ok(Fields {
        status,
        parked,
        customer,
        vlan: cell(Column::Vlan).map(values::vlan).transpose()?,
        location: text(Column::Location)?,
        description: text(Column::Description)?,
        purpose: text(Column::Purpose)?,
        device: text(Column::Device)?,
        pool: cell(Column::Pool)
            .map(values::flag)
            .transpose()?
            .unwrap_or(false),
    })
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
