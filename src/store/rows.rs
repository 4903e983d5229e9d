//! What the store hands back: plain domain values, with names already joined in.

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
    pub fn owner(&self) -> crate::store::candidates::Owner {
        crate::store::candidates::Owner {
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
    pub fn own_holder(&self) -> crate::store::candidates::Owner {
        crate::store::candidates::Owner::of(self.customer_id, self.service_id, self.device_id)
    }

    /// `customer Initech`, `service #80 of customer acme`, `device srv1`: whom a held
    /// block is for, in words.
    pub fn holder_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.customer {
            parts.push(format!("customer {c}"));
        }
        if let Some(s) = self.service_id {
            parts.push(format!("service #{s}"));
        }
        if let Some(d) = &self.device {
            parts.push(format!("device {d}"));
        }
        if parts.is_empty() {
            "nobody".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// Free space the subnet allocator may take (a pool is never carved).
    pub fn is_free_leaf(&self) -> bool {
        self.status() == SubnetStatus::Unallocated && !self.hidden && !self.is_pool
    }
}

/// The SELECT list and joins that build a [`Subnet`] from `subnets s`.
pub const SUBNET_SELECT: &str = "SELECT s.id, s.cidr, s.parent_id, s.allocation_status,
        s.is_unavailable, s.unavailable_reason, s.hidden,
        s.location_id, l.name AS location, s.effective_location_id, el.name AS effective_location,
        s.vlan_id, v.vid AS vlan, s.customer_id, c.name AS customer,
        s.device_id, dev.name AS device, s.service_id, s.description, s.purpose, s.reserve_reason,
        s.allocation_id::text AS allocation_id,
        s.is_pool, s.pool_reserved_first,
        ceil(extract(epoch FROM s.cooldown_until - now()))::bigint AS cooldown_secs,
        s.owner_customer_id, s.owner_service_id, s.owner_device_id
    FROM subnets s
    LEFT JOIN locations l ON l.id = s.location_id
    LEFT JOIN locations el ON el.id = s.effective_location_id
    LEFT JOIN vlans v ON v.id = s.vlan_id
    LEFT JOIN customers c ON c.id = s.customer_id
    LEFT JOIN devices dev ON dev.id = s.device_id";

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

pub const IP_SELECT: &str = "SELECT a.id, a.address, a.subnet_id, a.subnet_cidr AS subnet,
        a.subnet_hidden, c.name AS customer, dev.name AS device, a.service_id, v.vid AS vlan, a.purpose, a.rdns,
        to_char(a.rdns_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS rdns_updated_at,
        a.is_unavailable, a.unavailable_reason, a.is_reserved, a.reserve_reason, a.description,
        a.allocation_id::text AS allocation_id,
        ceil(extract(epoch FROM a.cooldown_until - now()))::bigint AS cooldown_secs
    FROM ip_addresses a
    LEFT JOIN customers c ON c.id = a.customer_id
    LEFT JOIN vlans v ON v.id = a.vlan_id
    LEFT JOIN devices dev ON dev.id = a.device_id";

/// A named thing (location, customer) with its id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Vlan {
    pub id: i64,
    pub location: String,
    pub vid: i32,
    pub name: Option<String>,
    pub enabled: bool,
}

/// One journal row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct JournalEntry {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub outcome: String,
    pub cidr: Option<IpNet>,
    pub address: Option<IpNet>,
    pub detail: serde_json::Value,
    /// Who: the OS user and machine carve ran on, the database role, and the command
    /// the row belongs to (None for rows older than the actor columns).
    pub os_user: Option<String>,
    /// Who ran `sudo`, when root ran carve through it.
    pub sudo_user: Option<String>,
    pub client_host: Option<String>,
    pub db_role: String,
    pub command_id: Option<String>,
}

impl JournalEntry {
    /// The person behind the row: who ran `sudo`, else the OS user, else (rows older
    /// than the actor columns) the database role.
    pub fn person(&self) -> &str {
        self.sudo_user
            .as_deref()
            .or(self.os_user.as_deref())
            .unwrap_or(&self.db_role)
    }

    /// The person, marked when it acted as root through `sudo`: `alice (sudo)`.
    pub fn who(&self) -> String {
        match &self.sudo_user {
            Some(user) => format!("{user} (sudo)"),
            None => self.person().to_owned(),
        }
    }
}
