//! Writing an import plan set-wise: one statement per prefix length for subnets (parents
//! exist before their children), one for addresses.

use std::collections::{BTreeMap, HashMap};

use ipnet::IpNet;
use sqlx::PgConnection;

use crate::error::Result;
use crate::import::plan::{IpMeaning, Note};
use crate::import::values::Status;
use crate::import::{NewIp, NewSubnet};
use crate::store::db_error;

/// Ids of the names a plan uses; customers it names are created first.
#[derive(Debug, Default)]
pub struct Ids {
    locations: HashMap<String, i64>,
    customers: HashMap<String, i64>,
    devices: HashMap<String, i64>,
    vlans: HashMap<(String, i32), i64>,
}

/// The id of `name` in `map` (None when no name is given).
fn id(map: &HashMap<String, i64>, name: &Option<String>) -> Option<i64> {
    name.as_ref().and_then(|n| map.get(n).copied())
}

impl Ids {
    fn vlan(&self, key: Option<&(String, i32)>) -> Option<i64> {
        key.and_then(|k| self.vlans.get(k).copied())
    }
}

pub async fn ids(conn: &mut PgConnection, customers: &[String]) -> Result<Ids> {
    sqlx::query(
        "INSERT INTO customers (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING",
    )
    .bind(customers)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    let map = |rows: Vec<(String, i64)>| rows.into_iter().collect::<HashMap<_, _>>();
    let locations = sqlx::query_as("SELECT name, id FROM locations")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    let customers = sqlx::query_as("SELECT name, id FROM customers WHERE name = ANY($1)")
        .bind(customers)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    let devices = sqlx::query_as("SELECT name, id FROM devices")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)?;
    let vlans: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT l.name, v.vid, v.id FROM vlans v JOIN locations l ON l.id = v.location_id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(Ids {
        locations: map(locations),
        customers: map(customers),
        devices: map(devices),
        vlans: vlans
            .into_iter()
            .map(|(l, vid, id)| ((l, vid), id))
            .collect(),
    })
}

/// Columns of subnets as arrays, one element per node.
#[derive(Default)]
struct SubnetColumns {
    cidr: Vec<IpNet>,
    parent: Vec<Option<IpNet>>,
    status: Vec<&'static str>,
    parked: Vec<bool>,
    pool: Vec<bool>,
    location: Vec<Option<i64>>,
    effective_location: Vec<Option<i64>>,
    vlan: Vec<Option<i64>>,
    effective_vlan: Vec<Option<i64>>,
    customer: Vec<Option<i64>>,
    device: Vec<Option<i64>>,
    description: Vec<Option<String>>,
    purpose: Vec<Option<String>>,
    park_reason: Vec<Option<String>>,
    reserve_reason: Vec<Option<String>>,
}

impl SubnetColumns {
    fn of(nodes: &[&NewSubnet], ids: &Ids) -> SubnetColumns {
        let mut c = SubnetColumns::default();
        for node in nodes {
            let m = &node.meaning;
            c.cidr.push(node.cidr);
            c.parent.push(node.parent);
            c.status.push(match (node.subdivided, m.status) {
                (true, _) => "subdivided",
                (false, Some(Status::Allocated)) => "allocated",
                (false, Some(Status::Reserved)) => "reserved",
                _ => "unallocated",
            });
            c.parked.push(m.parked);
            c.pool.push(m.pool);
            c.location.push(id(&ids.locations, &m.location));
            c.effective_location
                .push(id(&ids.locations, &node.effective_location));
            let own_vlan = m.vlan.zip(node.effective_location.clone());
            c.vlan
                .push(ids.vlan(own_vlan.map(|(v, l)| (l, v)).as_ref()));
            c.effective_vlan
                .push(ids.vlan(node.effective_vlan.as_ref()));
            c.customer.push(id(&ids.customers, &m.customer));
            c.device.push(id(&ids.devices, &m.device));
            c.description.push(m.description.clone());
            c.purpose.push(m.purpose.clone());
            c.park_reason.push(node.note.park_reason.clone());
            c.reserve_reason.push(node.note.reserve_reason.clone());
        }
        c
    }
}

const SUBNET_VALUES: &str = "unnest($1::cidr[], $2::cidr[], $3::text[], $4::bool[], $5::bool[],
        $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::text[],
        $13::text[], $14::text[], $15::text[])
    AS x(cidr, parent, status, parked, pool, location, effective_location, vlan,
         effective_vlan, customer, device, description, purpose, park_reason, reserve_reason)";

/// Why an imported row is parked: the peer's status word, else the file.
const PARK_REASON: &str =
    "CASE WHEN x.parked THEN coalesce(x.park_reason, 'parked in the imported file') END";

/// Runs `sql` (which reads [`SUBNET_VALUES`]) for `nodes`; returns the rows it touched.
async fn write_subnets(
    conn: &mut PgConnection,
    sql: String,
    nodes: &[&NewSubnet],
    ids: &Ids,
) -> Result<u64> {
    let c = SubnetColumns::of(nodes, ids);
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(c.cidr)
        .bind(c.parent)
        .bind(c.status)
        .bind(c.parked)
        .bind(c.pool)
        .bind(c.location)
        .bind(c.effective_location)
        .bind(c.vlan)
        .bind(c.effective_vlan)
        .bind(c.customer)
        .bind(c.device)
        .bind(c.description)
        .bind(c.purpose)
        .bind(c.park_reason)
        .bind(c.reserve_reason)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(done.rows_affected())
}

/// Inserts new subnets, a prefix length at a time so parents exist before their
/// children; `done` is told how many went in after each length.
pub async fn insert_subnets(
    conn: &mut PgConnection,
    nodes: &[NewSubnet],
    ids: &Ids,
    done: &(dyn Fn(u64) + Sync),
) -> Result<u64> {
    let mut levels: BTreeMap<u8, Vec<&NewSubnet>> = BTreeMap::new();
    for node in nodes {
        levels.entry(node.cidr.prefix_len()).or_default().push(node);
    }
    let sql = format!(
        "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden, parent_pool,
             parent_owner_customer, parent_owner_service, parent_owner_device, allocation_status,
             is_unavailable, unavailable_reason, is_pool, location_id, effective_location_id,
             vlan_id, effective_vlan_id, customer_id, device_id, description, purpose,
             reserve_reason)
         SELECT x.cidr, p.id, p.cidr, p.hidden, coalesce(p.is_pool, false),
                coalesce(p.owner_customer_id, 0), coalesce(p.owner_service_id, 0),
                coalesce(p.owner_device_id, 0), x.status, x.parked, {PARK_REASON}, x.pool,
                x.location, x.effective_location, x.vlan, x.effective_vlan, x.customer,
                x.device, x.description, x.purpose,
                CASE WHEN x.status = 'reserved' THEN x.reserve_reason END
         FROM {SUBNET_VALUES}
         LEFT JOIN subnets p ON p.cidr = x.parent
         WHERE x.parent IS NULL OR p.id IS NOT NULL"
    );
    let mut total = 0;
    for level in levels.values() {
        let n = write_subnets(conn, sql.clone(), level, ids).await?;
        if n != level.len() as u64 {
            return Err(crate::error::Error::internal(format!(
                "import: {} of {} /{} subnets found their parent",
                n,
                level.len(),
                level[0].cidr.prefix_len()
            )));
        }
        total += n;
        done(n);
    }
    Ok(total)
}

/// Gives existing blank subnets their rows' meaning (or makes blank leaves subdivided);
/// returns how many it changed (a blank one changed meanwhile is not).
pub async fn update_blank(conn: &mut PgConnection, nodes: &[&NewSubnet], ids: &Ids) -> Result<u64> {
    let sql = format!(
        "UPDATE subnets s SET allocation_status = x.status, is_unavailable = x.parked,
             unavailable_reason = {PARK_REASON},
             reserve_reason = CASE WHEN x.status = 'reserved' THEN x.reserve_reason END,
             is_pool = x.pool, location_id = x.location,
             effective_location_id = x.effective_location,
             vlan_id = x.vlan, effective_vlan_id = x.effective_vlan,
             customer_id = x.customer, device_id = x.device, description = x.description,
             purpose = x.purpose, updated_at = now()
         FROM {SUBNET_VALUES}
         WHERE s.cidr = x.cidr AND s.allocation_status = 'unallocated' AND NOT s.is_unavailable
           AND NOT s.is_pool AND s.customer_id IS NULL AND s.location_id IS NULL
           AND s.vlan_id IS NULL AND s.description IS NULL AND s.purpose IS NULL
           AND s.device_id IS NULL"
    );
    write_subnets(conn, sql, nodes, ids).await
}

/// Inserts the address records, each in its pool.
pub async fn insert_ips(conn: &mut PgConnection, ips: &[NewIp], ids: &Ids) -> Result<u64> {
    let address: Vec<IpNet> = ips.iter().map(|ip| IpNet::from(ip.address)).collect();
    let pool: Vec<IpNet> = ips.iter().map(|ip| ip.pool).collect();
    let m: Vec<&IpMeaning> = ips.iter().map(|ip| &ip.meaning).collect();
    let vlan: Vec<Option<i64>> = ips
        .iter()
        .map(|ip| {
            let key = ip.vlan_location.clone().zip(ip.meaning.vlan);
            ids.vlan(key.as_ref())
        })
        .collect();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr, subnet_hidden, subnet_pool,
             subnet_owner_customer, subnet_owner_service, subnet_owner_device, customer_id,
             device_id, vlan_id, purpose, rdns, rdns_updated_at, is_unavailable,
             unavailable_reason, description, is_reserved, reserve_reason)
         SELECT x.address, s.id, s.cidr, s.hidden, s.is_pool, s.owner_customer_id,
                s.owner_service_id, s.owner_device_id, x.customer, x.device, x.vlan, x.purpose,
                x.rdns, CASE WHEN x.rdns IS NOT NULL THEN now() END, x.parked, {PARK_REASON},
                x.description, x.reserved, CASE WHEN x.reserved THEN x.reserve_reason END
         FROM unnest($1::inet[], $2::cidr[], $3::int8[], $4::int8[], $5::int8[], $6::text[],
                     $7::text[], $8::bool[], $9::text[], $10::bool[], $11::text[], $12::text[])
              AS x(address, pool, customer, device, vlan, purpose, rdns, parked, description,
                   reserved, park_reason, reserve_reason)
         JOIN subnets s ON s.cidr = x.pool"
    )))
    .bind(address)
    .bind(pool)
    .bind(
        m.iter()
            .map(|m| id(&ids.customers, &m.customer))
            .collect::<Vec<_>>(),
    )
    .bind(
        m.iter()
            .map(|m| id(&ids.devices, &m.device))
            .collect::<Vec<_>>(),
    )
    .bind(vlan)
    .bind(m.iter().map(|m| m.purpose.clone()).collect::<Vec<_>>())
    .bind(m.iter().map(|m| m.rdns.clone()).collect::<Vec<_>>())
    .bind(m.iter().map(|m| m.parked).collect::<Vec<_>>())
    .bind(m.iter().map(|m| m.description.clone()).collect::<Vec<_>>())
    .bind(m.iter().map(|m| m.reserved).collect::<Vec<_>>())
    .bind(notes(ips, |n| n.park_reason.clone()))
    .bind(notes(ips, |n| n.reserve_reason.clone()))
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(done.rows_affected())
}

fn notes(ips: &[NewIp], of: impl Fn(&Note) -> Option<String>) -> Vec<Option<String>> {
    ips.iter().map(|ip| of(&ip.note)).collect()
}

/// Makes leaves the file's addresses lie in pools; returns how many it changed (one
/// subdivided or made a pool meanwhile is not).
pub async fn make_pools(conn: &mut PgConnection, leaves: &[IpNet]) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE subnets SET is_pool = true, updated_at = now()
         WHERE cidr = ANY($1) AND allocation_status <> 'subdivided' AND NOT is_pool",
    )
    .bind(leaves)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(done.rows_affected())
}

/// Makes blank leaves subdivided (new subnets are carved from them).
pub async fn subdivide(conn: &mut PgConnection, leaves: &[IpNet]) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE subnets SET allocation_status = 'subdivided', updated_at = now()
         WHERE cidr = ANY($1) AND allocation_status = 'unallocated' AND NOT is_unavailable
           AND NOT is_pool AND customer_id IS NULL AND device_id IS NULL",
    )
    .bind(leaves)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(done.rows_affected())
}
