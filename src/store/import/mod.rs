//! Import in bulk: what the database holds where a file reaches (read after the roots
//! there are locked), and writing a plan set-wise: one statement per prefix length for
//! subnets (parents exist before their children), one for addresses.

mod write;

pub use write::{Ids, ids, insert_ips, insert_subnets, make_pools, subdivide, update_blank};

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;
use crate::import::plan::{IpMeaning, Meaning};
use crate::import::values::Status;
use crate::import::{Existing, ExistingSubnet};

/// The roots overlapping any of `nets` (GiST probes of the roots' exclusion index).
pub async fn roots_over(conn: &mut PgConnection, nets: &[IpNet]) -> Result<Vec<IpNet>> {
    sqlx::query_scalar(
        "SELECT DISTINCT r.cidr FROM unnest($1::cidr[]) n
         JOIN subnets r ON r.parent_id IS NULL AND r.cidr && n ORDER BY 1",
    )
    .bind(nets)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

#[derive(sqlx::FromRow)]
struct SubnetRow {
    cidr: IpNet,
    allocation_status: String,
    is_unavailable: bool,
    is_pool: bool,
    customer: Option<String>,
    location: Option<String>,
    vlan: Option<i32>,
    description: Option<String>,
    purpose: Option<String>,
    device: Option<String>,
    effective_location: Option<String>,
    effective_vlan_location: Option<String>,
    effective_vlan: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct IpRow {
    address: IpNet,
    is_unavailable: bool,
    is_reserved: bool,
    customer: Option<String>,
    vlan: Option<i32>,
    purpose: Option<String>,
    rdns: Option<String>,
    description: Option<String>,
    device: Option<String>,
}

/// Every subnet and address under `roots`, and the names carve knows.
pub async fn existing(conn: &mut PgConnection, roots: &[IpNet]) -> Result<Existing> {
    let subnets: Vec<SubnetRow> = sqlx::query_as(
        "SELECT s.cidr, s.allocation_status, s.is_unavailable, s.is_pool, c.name AS customer,
                l.name AS location, v.vid AS vlan, s.description, s.purpose, d.name AS device,
                el.name AS effective_location, evl.name AS effective_vlan_location,
                ev.vid AS effective_vlan
         FROM unnest($1::cidr[]) r
         JOIN subnets s ON s.cidr >= r AND s.cidr <= cidr_last(r)
         LEFT JOIN customers c ON c.id = s.customer_id
         LEFT JOIN locations l ON l.id = s.location_id
         LEFT JOIN vlans v ON v.id = s.vlan_id
         LEFT JOIN devices d ON d.id = s.device_id
         LEFT JOIN locations el ON el.id = s.effective_location_id
         LEFT JOIN vlans ev ON ev.id = s.effective_vlan_id
         LEFT JOIN locations evl ON evl.id = ev.location_id",
    )
    .bind(roots)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let ips: Vec<IpRow> = sqlx::query_as(
        "SELECT a.address, a.is_unavailable, a.is_reserved, c.name AS customer, v.vid AS vlan, a.purpose,
                a.rdns, a.description, d.name AS device
         FROM unnest($1::cidr[]) r
         JOIN ip_addresses a ON a.address >= r AND a.address <= cidr_last(r)
         LEFT JOIN customers c ON c.id = a.customer_id
         LEFT JOIN vlans v ON v.id = a.vlan_id
         LEFT JOIN devices d ON d.id = a.device_id",
    )
    .bind(roots)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let names = |sql: &'static str| sqlx::query_scalar::<_, String>(sql);
    let locations = names("SELECT name FROM locations")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    let devices = names("SELECT name FROM devices")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    let vlans: Vec<(String, i32)> = sqlx::query_as(
        "SELECT l.name, v.vid FROM vlans v JOIN locations l ON l.id = v.location_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(Existing {
        subnets: subnets
            .into_iter()
            .map(|s| (s.cidr, existing_subnet(s)))
            .collect(),
        ips: ips
            .into_iter()
            .map(|a| (a.address.addr(), existing_ip(a)))
            .collect(),
        locations: locations.into_iter().collect(),
        vlans: vlans.into_iter().collect(),
        devices: devices.into_iter().collect(),
    })
}

fn existing_subnet(s: SubnetRow) -> ExistingSubnet {
    let status = match s.allocation_status.as_str() {
        "allocated" => Some(Status::Allocated),
        "reserved" => Some(Status::Reserved),
        _ => None,
    };
    ExistingSubnet {
        meaning: Meaning {
            status,
            parked: s.is_unavailable,
            pool: s.is_pool,
            customer: s.customer,
            location: s.location,
            vlan: s.vlan,
            description: s.description,
            purpose: s.purpose,
            device: s.device,
        },
        subdivided: s.allocation_status == "subdivided",
        effective_location: s.effective_location,
        effective_vlan: s.effective_vlan_location.zip(s.effective_vlan),
    }
}

fn existing_ip(a: IpRow) -> IpMeaning {
    IpMeaning {
        parked: a.is_unavailable,
        reserved: a.is_reserved,
        customer: a.customer,
        vlan: a.vlan,
        purpose: a.purpose,
        rdns: a.rdns,
        description: a.description,
        device: a.device,
    }
}

/// Every root block.
pub async fn roots(conn: &mut PgConnection) -> Result<Vec<IpNet>> {
    sqlx::query_scalar("SELECT cidr FROM subnets WHERE parent_id IS NULL ORDER BY cidr")
        .fetch_all(conn)
        .await
        .map_err(db_error)
}

/// Makes the caller's transaction one consistent, read-only snapshot.
pub async fn snapshot(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Serialises imports: the caller's transaction holds the import lock until it ends.
pub async fn one_at_a_time(conn: &mut PgConnection) -> Result<()> {
    super::locks::hold_until_commit(conn, "import").await
}
