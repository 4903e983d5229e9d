//! What the terminal UI reads: one level of the tree at a time (so a million-subnet tree
//! opens as fast as a small one), usage figures on demand, the detail of a selection,
//! and search hits as paths to reveal.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;
use sqlx::PgConnection;

use super::view::{IpView, SubnetView};
use super::{resolve, usage};
use crate::engine::parse_cidr;
use crate::engine::usage::Utilization;
use crate::error::{Error, Result};
use crate::model::{Catalog, JournalEntry, LogFilter, PtrState, Subnet, Vlan};
use crate::store::catalog;
use crate::store::rdns;
use crate::store::tree::{self, ListFilter};
use crate::store::{Db, addresses, db_error, journal, search};

/// The most address records one pool level lists; the detail pane says how many more.
pub const ADDRESS_PAGE: i64 = 1000;

/// One level of the tree: the subnets under a parent (the roots when there is none),
/// and for a pool its address records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Level {
    pub subnets: Vec<SubnetView>,
    pub addresses: Vec<IpView>,
}

/// The children of `parent`, compact unless `full`. Subdivided nodes come without usage
/// figures (`usage_known` false): those cost a subtree scan, fetched with [`usage`].
pub async fn level(db: &Db, parent: Option<&IpNet>, full: bool) -> Result<Level> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let Some(parent) = parent else {
        let roots = tree::children(&mut conn, None, false).await?;
        return Ok(Level {
            subnets: SubnetView::all(&mut conn, roots, false).await?,
            addresses: Vec::new(),
        });
    };
    let node = known(&mut conn, parent).await?;
    let children = tree::children(&mut conn, Some(node.id), !full).await?;
    let addresses = if node.is_pool {
        addresses::within_limited(&mut conn, parent, ADDRESS_PAGE)
            .await?
            .into_iter()
            .map(IpView::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Level {
        subnets: SubnetView::all(&mut conn, children, false).await?,
        addresses,
    })
}

async fn known(conn: &mut PgConnection, cidr: &IpNet) -> Result<Subnet> {
    tree::find(conn, cidr).await?.ok_or_else(|| {
        Error::not_found(format!(
            "{cidr} is not a subnet carve knows (it may have been merged away)"
        ))
    })
}

/// The usage figures of a subnet (a scan of its leaves).
pub async fn usage(db: &Db, cidr: &IpNet) -> Result<Utilization> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let node = known(&mut conn, cidr).await?;
    usage::of_one(&mut conn, &node).await
}

/// Everything the side panes show about a selected subnet or address.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub subnet: SubnetView,
    /// The selected address's record, when an address is selected.
    pub address: Option<IpView>,
    /// Root first, structural nodes left out.
    pub ancestors: Vec<SubnetView>,
    /// Newest first.
    pub journal: Vec<JournalEntry>,
    /// The newest change to exactly the selected address or subnet.
    pub last_change: Option<JournalEntry>,
    /// The VLANs of the subnet's effective location.
    pub vlans: Vec<Vlan>,
    /// PTR names in the selected pool (or the one holding the address): carve's, queued
    /// changes, and what the last sync found different in DNS.
    pub ptrs: Vec<PtrState>,
}

/// The detail of `cidr`, or of `address` inside it.
pub async fn detail(db: &Db, cidr: &IpNet, address: Option<IpAddr>) -> Result<Detail> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let node = known(&mut conn, cidr).await?;
    let record = match address {
        Some(a) => addresses::find(&mut conn, a).await?.map(IpView::from),
        None => None,
    };
    let above: Vec<Subnet> = tree::containing(&mut conn, cidr)
        .await?
        .into_iter()
        .filter(|above| above.id != node.id && !above.is_structural())
        .collect();
    let ancestors = SubnetView::all(&mut conn, above, false).await?;
    let target = address.map_or(*cidr, IpNet::from);
    let recent = LogFilter {
        limit: 6,
        cidr: Some(target),
        ..LogFilter::default()
    };
    let journal = journal::list(&mut conn, &recent).await?;
    let last_change = journal::last_change(&mut conn, cidr, address.map(IpNet::from)).await?;
    let vlans = match node.effective_location_id {
        Some(id) => catalog::list_vlans(&mut conn, Some(id)).await?,
        None => Vec::new(),
    };
    let ptrs = if node.is_pool {
        rdns::states_in(&mut conn, cidr, ADDRESS_PAGE).await?
    } else {
        Vec::new()
    };
    let subnet = SubnetView::of(&mut conn, node).await?;
    Ok(Detail {
        subnet,
        address: record,
        ancestors,
        journal,
        last_change,
        vlans,
        ptrs,
    })
}

/// One search hit: the CIDRs to expand, root first, ending at the subnet to select;
/// `address` when the hit is an address record inside the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub path: Vec<IpNet>,
    pub address: Option<IpAddr>,
}

/// The most hits a search returns (a customer with more is shown in part).
pub const MAX_HITS: usize = 200;

/// Hits for an address, a CIDR, `vlan 102` (or `vlan:102`, `VLAN102`), `@LOC` (the blocks at
/// a location, own or inherited), a customer name,
/// else any block or address record whose customer, device, rDNS name or description
/// contains the text.
/// Paths follow the view: structural nodes are left out unless `full`.
pub async fn search(db: &Db, query: &str, full: bool) -> Result<Vec<Hit>> {
    let query = query.trim();
    if query.is_empty() {
        return Err(Error::validation(
            "type an address, a CIDR, a customer or vlan N",
        ));
    }
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    if let Ok(address) = query.parse::<IpAddr>() {
        let chain = path(&mut conn, &IpNet::from(address), full).await?;
        if chain.is_empty() {
            return Err(Error::not_found(format!(
                "{address} is not inside any block carve manages"
            )));
        }
        let record = addresses::find(&mut conn, address).await?;
        let address = record.map(|_| address);
        return Ok(vec![Hit {
            path: chain,
            address,
        }]);
    }
    if query.contains('/') {
        let cidr = parse_cidr(query).map_err(|e| Error::validation(e.to_string()))?;
        let chain = path(&mut conn, &cidr, full).await?;
        if chain.is_empty() {
            return Err(Error::not_found(format!(
                "{cidr} is not inside any block carve manages"
            )));
        }
        return Ok(vec![Hit {
            path: chain,
            address: None,
        }]);
    }
    let mut filter = ListFilter::default();
    let what = if let Some(location) = query.strip_prefix('@') {
        filter.location_id = resolve::location(&mut conn, Some(location.trim())).await?;
        format!("location {}", location.trim())
    } else if let Some(vid) = vlan_query(query) {
        filter.vlan = Some(vid);
        format!("VLAN {vid}")
    } else if let Ok(customer) = resolve::customer(&mut conn, Some(query)).await {
        filter.customer_id = customer;
        format!("customer {query}")
    } else {
        return text_hits(&mut conn, query, full).await;
    };
    let mut hits = Vec::new();
    for subnet in tree::list(&mut conn, &filter)
        .await?
        .into_iter()
        .take(MAX_HITS)
    {
        hits.push(Hit {
            path: path(&mut conn, &subnet.cidr, full).await?,
            address: None,
        });
    }
    if let Some(customer_id) = filter.customer_id {
        for record in addresses::of_customer(&mut conn, customer_id).await? {
            if hits.len() >= MAX_HITS {
                break;
            }
            hits.push(Hit {
                path: path(&mut conn, &record.subnet, full).await?,
                address: Some(record.address.addr()),
            });
        }
    }
    if hits.is_empty() {
        return Err(Error::not_found(format!("{what} holds no space")));
    }
    Ok(hits)
}

/// Hits for a piece of a customer or device name, an rDNS name or a description.
async fn text_hits(conn: &mut PgConnection, query: &str, full: bool) -> Result<Vec<Hit>> {
    let limit = i64::try_from(MAX_HITS).unwrap_or(i64::MAX);
    let mut hits = Vec::new();
    for (subnet, address) in search::text(&mut *conn, query, limit).await? {
        if hits.len() >= MAX_HITS {
            break;
        }
        hits.push(Hit {
            path: path(&mut *conn, &subnet, full).await?,
            address: address.map(|a| a.addr()),
        });
    }
    if hits.is_empty() {
        return Err(Error::not_found(format!(
            "nothing matches {query:?} (an address, a CIDR, vlan N, or part of a customer, \
             device, rDNS name or description)"
        )));
    }
    Ok(hits)
}

/// `vlan 102`, `vlan:102`, `VLAN102` -> 102.
fn vlan_query(query: &str) -> Option<i32> {
    let lower = query.to_ascii_lowercase();
    let rest = lower.strip_prefix("vlan")?;
    rest.trim_start_matches([' ', ':', '#']).parse().ok()
}

/// The CIDRs from the root down to the deepest subnet holding `target` that the view
/// shows (the compact view leaves structural nodes out).
async fn path(conn: &mut PgConnection, target: &IpNet, full: bool) -> Result<Vec<IpNet>> {
    let chain = tree::containing(conn, target).await?;
    Ok(chain
        .into_iter()
        .enumerate()
        .filter(|(i, s)| full || *i == 0 || !s.is_structural())
        .map(|(_, s)| s.cidr)
        .collect())
}

/// Location names, for the location filter's completion.
pub async fn locations(db: &Db) -> Result<Vec<String>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let named = catalog::list_named(&mut conn, Catalog::Location).await?;
    Ok(named.into_iter().map(|n| n.name).collect())
}
