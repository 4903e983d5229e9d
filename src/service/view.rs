//! The shapes the CLI (and later the TUI) show: a subnet with its names, state and
//! utilisation; an address record.

use ipnet::IpNet;
use serde::Serialize;
use sqlx::PgConnection;

use crate::engine::Family;
use crate::engine::view::Utilization;
use crate::error::Result;
use crate::store::rows::{IpRecord, Subnet, SubnetStatus};
use crate::store::tree;

#[derive(Debug, Clone, Serialize)]
pub struct SubnetView {
    pub cidr: IpNet,
    pub family: u8,
    pub status: &'static str,
    pub parked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_reason: Option<String>,
    /// Parked through an ancestor, not itself.
    pub parked_above: bool,
    pub location: Option<String>,
    pub effective_location: Option<String>,
    pub vlan: Option<i32>,
    pub customer: Option<String>,
    pub device: Option<String>,
    pub service: Option<i64>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    pub pool: bool,
    pub utilization: Utilization,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<SubnetView>>,
}

impl SubnetView {
    /// The view of `subnet`; utilisation needs a query only for subdivided nodes.
    pub async fn of(conn: &mut PgConnection, subnet: Subnet) -> Result<SubnetView> {
        let free_counts: Vec<(u8, u64)> = match subnet.status() {
            SubnetStatus::Subdivided => tree::free_leaf_counts(conn, &subnet.cidr)
                .await?
                .into_iter()
                .map(|(len, n)| (len, u64::try_from(n).unwrap_or(0)))
                .collect(),
            _ if subnet.is_free_leaf() => vec![(subnet.cidr.prefix_len(), 1)],
            _ => Vec::new(),
        };
        let utilization = Utilization::from_counts(&subnet.cidr, &free_counts);
        Ok(Self::with_utilization(subnet, utilization))
    }

    fn with_utilization(subnet: Subnet, utilization: Utilization) -> SubnetView {
        SubnetView {
            family: Family::of(&subnet.cidr).number(),
            status: subnet.status().as_str(),
            parked: subnet.is_unavailable,
            parked_above: subnet.hidden && !subnet.is_unavailable,
            parked_reason: subnet.unavailable_reason,
            cidr: subnet.cidr,
            location: subnet.location,
            effective_location: subnet.effective_location,
            vlan: subnet.vlan,
            customer: subnet.customer,
            device: subnet.device,
            service: subnet.service_id,
            description: subnet.description,
            purpose: subnet.purpose,
            pool: subnet.is_pool,
            utilization,
            children: None,
        }
    }

    /// `free`, `allocated`, `parked`...: the word shown beside the colour.
    pub fn state_word(&self) -> &'static str {
        if self.parked || self.parked_above {
            "parked"
        } else if self.status == "unallocated" {
            "free"
        } else {
            self.status
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IpView {
    pub address: std::net::IpAddr,
    pub subnet: IpNet,
    pub status: &'static str,
    pub parked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_reason: Option<String>,
    pub customer: Option<String>,
    pub device: Option<String>,
    pub service: Option<i64>,
    pub vlan: Option<i32>,
    pub purpose: Option<String>,
    pub rdns: Option<String>,
    pub rdns_updated_at: Option<String>,
    pub description: Option<String>,
    pub allocation_id: Option<String>,
}

impl From<IpRecord> for IpView {
    fn from(r: IpRecord) -> IpView {
        IpView {
            address: r.address.addr(),
            subnet: r.subnet,
            status: if r.is_unavailable || r.subnet_hidden {
                "parked"
            } else {
                "allocated"
            },
            parked: r.is_unavailable,
            parked_reason: r.unavailable_reason,
            customer: r.customer,
            device: r.device,
            service: r.service_id,
            vlan: r.vlan,
            purpose: r.purpose,
            rdns: r.rdns,
            rdns_updated_at: r.rdns_updated_at,
            description: r.description,
            allocation_id: r.allocation_id,
        }
    }
}
