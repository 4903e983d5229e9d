//! A subnet, whose space it is, and an address record: what every layer shows and
//! decides on. The store builds them from rows with the names already joined in.

use ipnet::IpNet;
use serde::Serialize;

use crate::error::{Error, Result};

/// The allocation state of a subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubnetStatus {
    Unallocated,
    Allocated,
    Subdivided,
    Reserved,
}

impl SubnetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubnetStatus::Unallocated => "unallocated",
            SubnetStatus::Allocated => "allocated",
            SubnetStatus::Subdivided => "subdivided",
            SubnetStatus::Reserved => "reserved",
        }
    }

    pub fn parse(s: &str) -> Result<SubnetStatus> {
        match s {
            "unallocated" | "free" => Ok(SubnetStatus::Unallocated),
            "allocated" => Ok(SubnetStatus::Allocated),
            "subdivided" => Ok(SubnetStatus::Subdivided),
            "reserved" => Ok(SubnetStatus::Reserved),
            other => Err(Error::validation(format!(
                "{other:?} is not a status (unallocated, allocated, subdivided, reserved)"
            ))),
        }
    }
}

/// A subnet with the names of what it links to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Subnet {
    pub id: i64,
    pub cidr: IpNet,
    pub parent_id: Option<i64>,
    pub allocation_status: String,
    /// Parked itself.
    pub is_unavailable: bool,
    pub unavailable_reason: Option<String>,
    /// Parked itself or under a parked ancestor.
    pub hidden: bool,
    pub location_id: Option<i64>,
    pub location: Option<String>,
    pub effective_location_id: Option<i64>,
    pub effective_location: Option<String>,
    pub vlan_id: Option<i64>,
    pub vlan: Option<i32>,
    pub customer_id: Option<i64>,
    pub customer: Option<String>,
    pub device_id: Option<i64>,
    pub device: Option<String>,
    pub service_id: Option<i64>,
    pub description: Option<String>,
    pub purpose: Option<String>,
    /// Why it is reserved (reserved blocks only).
    pub reserve_reason: Option<String>,
    pub allocation_id: Option<String>,
    pub is_pool: bool,
    pub pool_reserved_first: i32,
    /// Seconds left of a release cooldown (parked until then).
    pub cooldown_secs: Option<i64>,
    /// Whose the space is (its own holder, else the owner above; 0 for nobody).
    pub owner_customer_id: i64,
    pub owner_service_id: i64,
    pub owner_device_id: i64,
}

impl Subnet {
    /// Whose the space is: the holder of the nearest held block at or above it.
    pub fn owner(&self) -> Owner {
        Owner {
            customer: self.owner_customer_id,
            service: self.owner_service_id,
            device: self.owner_device_id,
        }
    }

    pub fn status(&self) -> SubnetStatus {
        SubnetStatus::parse(&self.allocation_status).unwrap_or(SubnetStatus::Reserved)
    }

    /// A subdivided node with nothing of its own: the compact view lifts it away.
    pub fn is_structural(&self) -> bool {
        self.status() == SubnetStatus::Subdivided
            && self.location_id.is_none()
            && self.vlan_id.is_none()
            && self.customer_id.is_none()
            && self.description.is_none()
            && !self.is_pool
            && !self.is_unavailable
    }

    /// Held by a customer, service or device: everything beneath is the holder's.
    pub fn is_held(&self) -> bool {
        self.customer_id.is_some() || self.service_id.is_some() || self.device_id.is_some()
    }

    /// The subnet's own holder, as the owner columns of the rows beneath it spell it.
    pub fn own_holder(&self) -> Owner {
        Owner::of(self.customer_id, self.service_id, self.device_id)
    }

    /// `customer Initech`, `service #80 of customer acme`, `device srv1`: whom a held
    /// block is for, in words.
    pub fn holder_text(&self) -> String {
        holder_words(
            self.customer.as_deref(),
            self.service_id,
            self.device.as_deref(),
        )
        .unwrap_or_else(|| "nobody".to_owned())
    }

    /// Free space the subnet allocator may take (a pool is never carved).
    pub fn is_free_leaf(&self) -> bool {
        self.status() == SubnetStatus::Unallocated && !self.hidden && !self.is_pool
    }
}

/// A holder as the database's owner columns spell it: 0 where a part is not set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owner {
    pub customer: i64,
    pub service: i64,
    pub device: i64,
}

impl Owner {
    pub fn of(customer: Option<i64>, service: Option<i64>, device: Option<i64>) -> Owner {
        Owner {
            customer: customer.unwrap_or(0),
            service: service.unwrap_or(0),
            device: device.unwrap_or(0),
        }
    }

    pub fn is_nobody(&self) -> bool {
        *self == Owner::default()
    }

    /// Whether space owned by `self` may go to `holder`: every part the owner set, the
    /// holder names too (the rule of the `subnets_inside_owner` constraint).
    pub fn admits(&self, holder: &Owner) -> bool {
        let part = |owner: i64, theirs: i64| owner == 0 || owner == theirs;
        part(self.customer, holder.customer)
            && part(self.service, holder.service)
            && part(self.device, holder.device)
    }
}

/// `customer acme, service #7, device srv1`, or None when nobody is named.
fn holder_words(
    customer: Option<&str>,
    service: Option<i64>,
    device: Option<&str>,
) -> Option<String> {
    let parts: Vec<String> = [
        customer.map(|c| format!("customer {c}")),
        service.map(|s| format!("service #{s}")),
        device.map(|d| format!("device {d}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A single address record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IpRecord {
    pub id: i64,
    pub address: IpNet,
    pub subnet_id: i64,
    pub subnet: IpNet,
    pub subnet_hidden: bool,
    pub customer: Option<String>,
    pub device: Option<String>,
    pub service_id: Option<i64>,
    pub vlan: Option<i32>,
    pub purpose: Option<String>,
    pub rdns: Option<String>,
    pub rdns_updated_at: Option<String>,
    pub is_unavailable: bool,
    pub unavailable_reason: Option<String>,
    /// Kept out of allocation, with its reason (migration 0015).
    pub is_reserved: bool,
    pub reserve_reason: Option<String>,
    pub description: Option<String>,
    pub allocation_id: Option<String>,
    /// Seconds left of a release cooldown (parked until then).
    pub cooldown_secs: Option<i64>,
}

impl IpRecord {
    /// Whom the address is held for, in words (as [`Subnet::holder_text`]); None when
    /// it names nobody.
    pub fn holder_text(&self) -> Option<String> {
        holder_words(
            self.customer.as_deref(),
            self.service_id,
            self.device.as_deref(),
        )
    }
}
