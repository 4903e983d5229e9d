//! Read-only questions: show a subnet, list subnets, who holds an address, a
//! customer's space, the journal.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::resolve;
use super::view::{IpView, SubnetView};
use crate::engine::parse_cidr;
use crate::engine::view::Node;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{JournalEntry, LogFilter, Subnet};
use crate::store::tree::{self, ListFilter};
use crate::store::{Db, addresses, db_error, journal};

/// A subnet with the chain above it and its children (compact unless `full`).
#[derive(Debug, Clone, Serialize)]
pub struct SubnetDetail {
    #[serde(flatten)]
    pub subnet: SubnetView,
    pub ancestors: Vec<SubnetView>,
    /// Address records, for pools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<IpView>,
}

pub async fn show(db: &Db, cidr: &IpNet, full: bool) -> Result<SubnetDetail> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let Some(node) = tree::find(&mut conn, cidr).await? else {
        return Err(Error::not_found(format!(
            "{cidr} is not a subnet carve knows (carve lookup {cidr} shows what holds it)"
        )));
    };
    let above: Vec<Subnet> = tree::containing(&mut conn, cidr)
        .await?
        .into_iter()
        .filter(|above| above.id != node.id && (full || !above.is_structural()))
        .collect();
    let ancestors = SubnetView::all(&mut conn, above, true).await?;
    let children = tree::children(&mut conn, Some(node.id), !full).await?;
    let children = SubnetView::all(&mut conn, children, true).await?;
    let addresses = if node.is_pool {
        let records = addresses::within(&mut conn, cidr).await?;
        records.into_iter().map(IpView::from).collect()
    } else {
        Vec::new()
    };
    let mut subnet = SubnetView::of(&mut conn, node).await?;
    subnet.children = Some(children);
    Ok(SubnetDetail {
        subnet,
        ancestors,
        addresses,
    })
}

/// Every root block with everything under it, compact (structural nodes lifted).
pub async fn forest(db: &Db) -> Result<Vec<Node<SubnetView>>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let mut out = Vec::new();
    for root in tree::children(&mut conn, None, false).await? {
        out.push(subtree(&mut conn, root).await?);
    }
    Ok(out)
}

async fn subtree(conn: &mut sqlx::PgConnection, subnet: Subnet) -> Result<Node<SubnetView>> {
    let mut children = Vec::new();
    for child in tree::children(conn, Some(subnet.id), true).await? {
        children.push(Box::pin(subtree(conn, child)).await?);
    }
    Ok(Node {
        item: SubnetView::of(conn, subnet).await?,
        children,
    })
}

/// The states a listing filters on: the words the tables show in their STATE column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShownState {
    /// Space an allocation can take: not parked, not a pool.
    Free,
    Allocated,
    Subdivided,
    Reserved,
    /// Parked itself or through a parked block above it.
    Parked,
}

impl ShownState {
    fn word(self) -> &'static str {
        match self {
            ShownState::Free => "free",
            ShownState::Allocated => "allocated",
            ShownState::Subdivided => "subdivided",
            ShownState::Reserved => "reserved",
            ShownState::Parked => "parked",
        }
    }
}

/// Filters as typed on the command line.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub family: Option<u8>,
    pub status: Option<ShownState>,
    pub location: Option<String>,
    pub customer: Option<String>,
}

pub async fn list(db: &Db, query: &ListQuery) -> Result<Vec<SubnetView>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let filter = ListFilter {
        family: query.family,
        state: query.status.map(ShownState::word),
        location_id: resolve::location(&mut conn, query.location.as_deref()).await?,
        customer_id: resolve::customer(&mut conn, query.customer.as_deref()).await?,
        vlan: None,
    };
    let subnets = tree::list(&mut conn, &filter).await?;
    SubnetView::all(&mut conn, subnets, true).await
}

/// The answer to `carve lookup`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LookupResult {
    Address {
        address: IpAddr,
        record: Option<Box<IpView>>,
        /// The longest-match subnet first, then the chain up to the root.
        subnets: Vec<SubnetView>,
    },
    Cidr {
        cidr: IpNet,
        subnets: Vec<SubnetView>,
    },
    Customer {
        customer: String,
        subnets: Vec<SubnetView>,
        addresses: Vec<IpView>,
    },
}

pub async fn lookup(db: &Db, query: &str) -> Result<LookupResult> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let query = query.trim();
    if let Ok(address) = query.parse::<IpAddr>() {
        let record = addresses::find(&mut conn, address)
            .await?
            .map(|r| Box::new(IpView::from(r)));
        let subnets = chain_views(&mut conn, &IpNet::from(address)).await?;
        return Ok(LookupResult::Address {
            address,
            record,
            subnets,
        });
    }
    if query.contains('/') {
        let cidr = parse_cidr(query).map_err(|e| Error::validation(e.to_string()))?;
        let subnets = chain_views(&mut conn, &cidr).await?;
        return Ok(LookupResult::Cidr { cidr, subnets });
    }
    let customer_id = match resolve::customer(&mut conn, Some(query)).await {
        Err(e) if e.kind == ErrorKind::NotFound => {
            return Err(malformed_address(query).unwrap_or(e));
        }
        found => found?,
    };
    let filter = ListFilter {
        customer_id,
        ..ListFilter::default()
    };
    let subnets = tree::list(&mut conn, &filter).await?;
    let subnets = SubnetView::all(&mut conn, subnets, true).await?;
    let addresses = addresses::of_customer(&mut conn, customer_id.unwrap_or_default()).await?;
    Ok(LookupResult::Customer {
        customer: query.to_owned(),
        subnets,
        addresses: addresses.into_iter().map(IpView::from).collect(),
    })
}

/// A query written like an address that is not one (`203.0.113.300`): the error to
/// give instead of "unknown customer".
fn malformed_address(query: &str) -> Option<Error> {
    let v4 = query.starts_with(|c: char| c.is_ascii_digit())
        && query.contains('.')
        && query.chars().all(|c| c.is_ascii_digit() || c == '.');
    let v6 = query.matches(':').count() >= 2
        && query
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '.');
    let example = match (v4, v6) {
        (true, _) => "IPv4 address (four numbers 0-255, e.g. 203.0.113.70)",
        (_, true) => "IPv6 address (e.g. 2001:db8::1)",
        _ => return None,
    };
    Some(Error::validation(format!(
        "{query:?} is not a valid {example}"
    )))
}

/// The subnets holding `target`, longest match first, structural ones left out.
async fn chain_views(conn: &mut sqlx::PgConnection, target: &IpNet) -> Result<Vec<SubnetView>> {
    let chain: Vec<Subnet> = tree::containing(&mut *conn, target)
        .await?
        .into_iter()
        .rev()
        .filter(|s| !s.is_structural())
        .collect();
    SubnetView::all(conn, chain, true).await
}

/// The journal, newest first, filtered.
pub async fn log(db: &Db, filter: &LogFilter) -> Result<Vec<JournalEntry>> {
    if filter.limit < 1 {
        return Err(Error::validation(format!(
            "--limit {} must be at least 1",
            filter.limit
        )));
    }
    if let Some(id) = &filter.command_id
        && !is_uuid(id)
    {
        return Err(Error::validation(format!(
            "--command {id:?} is not a command id (a UUID, as `carve log --json` shows it)"
        )));
    }
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    journal::list(&mut conn, filter).await
}

/// 8-4-4-4-12 hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}
