//! The names subnets and addresses link to (locations, customers, VLANs), and the
//! devices, products and services that hold space.

use serde::Serialize;

/// Which kind of named thing, and the word messages use for it.
#[derive(Debug, Clone, Copy)]
pub enum Catalog {
    Location,
    Customer,
}

impl Catalog {
    /// The journal's name for adding one.
    pub fn added_event(self) -> &'static str {
        match self {
            Catalog::Location => "location_add",
            Catalog::Customer => "customer_add",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Catalog::Location => "location",
            Catalog::Customer => "customer",
        }
    }
}

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

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Device {
    pub id: i64,
    pub name: String,
    #[serde(skip)]
    pub location_id: Option<i64>,
    pub location: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub ipam_config: serde_json::Value,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct Service {
    pub id: i64,
    pub customer: String,
    pub product: String,
    #[serde(skip)]
    pub product_id: i64,
    pub device: String,
    #[serde(skip)]
    pub device_id: i64,
    pub status: String,
    pub created_at: String,
    pub provisioned_at: String,
    pub cancelled_at: Option<String>,
}
