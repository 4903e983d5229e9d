//! `carve report utilization`: every root block and address pool with how full it is,
//! for people and for monitoring (a threshold turns it into a check).

use ipnet::IpNet;
use serde::Serialize;

use super::{resolve, usage};
use crate::engine::capacity::Capacity;
use crate::error::{Error, Result};
use crate::store::{Db, capacity as store, db_error};

#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// Percent used above which a pool is reported as over.
    pub threshold: Option<f64>,
    pub location: Option<String>,
    pub family: Option<u8>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    /// A root block of the prefix tree (subnets are carved from it).
    Block,
    /// A pool that hands out single addresses.
    Addresses,
}

#[derive(Debug, Clone, Serialize)]
pub struct PoolLine {
    pub cidr: IpNet,
    pub kind: PoolKind,
    pub location: Option<String>,
    #[serde(flatten)]
    pub capacity: Capacity,
    pub over_threshold: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub threshold: Option<f64>,
    pub pools: Vec<PoolLine>,
    /// The pools above the threshold.
    pub over: Vec<IpNet>,
}

pub async fn utilization(db: &Db, query: &ReportQuery) -> Result<Report> {
    if let Some(t) = query.threshold
        && !(0.0..=100.0).contains(&t)
    {
        return Err(Error::validation(format!(
            "--threshold {t} is not a percentage (0 to 100)"
        )));
    }
    if let Some(f) = query.family
        && f != 4
        && f != 6
    {
        return Err(Error::validation(format!("--family {f} is not 4 or 6")));
    }
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let location_id = resolve::location(&mut conn, query.location.as_deref()).await?;
    let over = |c: &Capacity| query.threshold.is_some_and(|t| c.percent_used > t);
    let (roots, address_pools) = store::report_rows(&mut conn, location_id, query.family).await?;
    let mut pools = Vec::new();
    for (kind, subnets) in [
        (PoolKind::Block, roots),
        (PoolKind::Addresses, address_pools),
    ] {
        let capacities = usage::capacities(&mut conn, &subnets).await?;
        for (s, capacity) in subnets.into_iter().zip(capacities) {
            pools.push(PoolLine {
                over_threshold: over(&capacity),
                cidr: s.cidr,
                kind: kind.clone(),
                location: s.effective_location,
                capacity,
            });
        }
    }
    let over = pools
        .iter()
        .filter(|p| p.over_threshold)
        .map(|p| p.cidr)
        .collect();
    Ok(Report {
        threshold: query.threshold,
        pools,
        over,
    })
}
