//! One data row read by its section's columns: a subnet row (a range may give several),
//! an address row, or a problem saying why it is neither.

use std::net::IpAddr;

use ipnet::IpNet;

use super::{At, Fields, IpRow, Records, SubnetRow};
use crate::engine::dns::normalize_hostname;
use crate::import::columns::{Column, Header, nonblank};
use crate::import::values::{self, Status};

/// Reads one row into `out`; `section_pool` is the pool its section's title names.
pub(super) fn record(
    header: &Header,
    cells: &[String],
    section_pool: Option<IpNet>,
    at: At,
    out: &mut Records,
) -> Result<(), String> {
    let cell = |column| header.cell(cells, column);
    let fields = fields(header, cells)?;
    let rdns = cell(Column::Rdns)
        .map(normalize_hostname)
        .transpose()
        .map_err(|e| format!("rDNS {e}"))?;
    // A bare host in the subnet column (no length, no mask): an address, if a block
    // holds it (the plan decides).
    let bare = match (cell(Column::Subnet), cell(Column::Mask), cell(Column::Ip)) {
        (Some(subnet), None, None) => subnet.trim().parse::<IpAddr>().ok(),
        _ => None,
    };
    let subnet = match bare {
        Some(_) => None,
        None => cell(Column::Subnet)
            .map(|c| values::prefixes(c, cell(Column::Mask)))
            .transpose()?,
    };
    let ip = cell(Column::Ip).map(|ip| (ip, false)).or(bare.map(|_| {
        let text = cell(Column::Subnet).unwrap_or_default();
        (text, true)
    }));
    match (ip, subnet) {
        (Some((ip, in_subnet_column)), pool) => {
            let pool = match pool.as_deref() {
                None => section_pool,
                Some([one]) => Some(*one),
                Some(_) => return Err("an address row's subnet must be one CIDR".to_owned()),
            };
            if fields.written_status.is_some() && fields.status.is_none() && !fields.parked {
                return Err(format!(
                    "status {:?} is a block's (a container), not an address's",
                    fields.written_status.as_deref().unwrap_or_default()
                ));
            }
            let address = values::address(ip)?;
            // An empty status with nobody named and nothing said: a free address (a host
            // listed among the subnets is one in use).
            let says_nothing = !in_subnet_column
                && fields.status.is_none()
                && !fields.parked
                && fields.customer.is_none()
                && fields.device.is_none()
                && fields.description.is_none()
                && fields.purpose.is_none()
                && rdns.is_none();
            if says_nothing || (fields.status == Some(Status::Free) && !fields.parked) {
                out.skipped += 1;
                return Ok(());
            }
            out.ips.push(IpRow {
                at,
                address,
                rdns,
                pool,
                implied_pool: interface_net(ip, address),
                in_subnet_column,
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

/// The subnet of an address written with its interface's mask (`10.0.0.5/24`); none
/// for a host length (a /32 loopback says nothing about its subnet).
fn interface_net(cell: &str, address: IpAddr) -> Option<IpNet> {
    let (_, len) = cell.split_once('/')?;
    let net = IpNet::new(address, len.trim().parse().ok()?).ok()?;
    (net.prefix_len() < net.max_prefix_len()).then(|| net.trunc())
}

fn fields(header: &Header, cells: &[String]) -> Result<Fields, String> {
    let cell = |column| header.cell(cells, column);
    let text = |column| {
        cell(column)
            .map(values::text)
            .transpose()
            .map(|t| t.filter(|t| !t.is_empty()))
    };
    let written_status = cell(Column::Status);
    let status = match written_status {
        Some(cell) => Status::parse_cell(cell)?,
        None => values::StatusCell::default(),
    };
    let customer = text(Column::Customer)?;
    if status.status == Some(Status::Free)
        && let Some(customer) = &customer
    {
        return Err(format!(
            "the row says free but names customer {customer:?}: space for a customer is \
             used (allocated) or reserved"
        ));
    }
    let mut description = text(Column::Description)?;
    // phpIPAM's note (a second description column) is kept with the description.
    for index in &header.more_descriptions {
        if let Some(more) = cells.get(*index).and_then(|c| nonblank(c)) {
            let more = values::text(more)?;
            description = Some(match description {
                Some(first) => format!("{first}; {more}"),
                None => more,
            });
        }
    }
    let mut purpose = text(Column::Purpose)?;
    if status.slaac {
        purpose = Some(match purpose {
            Some(role) => format!("{role} (SLAAC)"),
            None => "SLAAC".to_owned(),
        });
    }
    Ok(Fields {
        status: status.status,
        parked: status.parked,
        customer,
        vlan: cell(Column::Vlan).map(values::vlan).transpose()?,
        location: text(Column::Location)?,
        description,
        purpose,
        device: text(Column::Device)?,
        pool: cell(Column::Pool)
            .map(values::flag)
            .transpose()?
            .unwrap_or(false),
        written_status: written_status.map(str::to_owned),
        park_reason: status.park_reason,
        reserve_reason: status.reserve_reason,
    })
}
