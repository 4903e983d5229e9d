//! A subnet's own attributes: location (cascaded down the subtree), VLAN, description,
//! pool settings.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::json;

use super::{Outcome, begin_on, end_on, unknown};
use crate::error::{Error, Result};
use crate::model::{Event, SubnetStatus};
use crate::service::plan::Run;
use crate::service::resolve;
use crate::service::tx::{journal_if_failed, retrying};
use crate::store::attributes;
use crate::store::{Db, addresses, tree};

/// Changes to a subnet's own attributes; None leaves one as it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Some(None) clears the location.
    pub location: Option<Option<String>>,
    pub vlan: Option<Option<i32>>,
    pub description: Option<Option<String>>,
    pub pool: Option<bool>,
    pub pool_reserved_first: Option<i32>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.location.is_none()
            && self.vlan.is_none()
            && self.description.is_none()
            && self.pool.is_none()
            && self.pool_reserved_first.is_none()
    }
}

pub async fn set(db: &Db, cidr: &IpNet, changes: &Changes) -> Result<Outcome> {
    // Not an attempted change, so nothing is journaled, not even a failure.
    if changes.is_empty() {
        return Err(Error::validation(format!(
            "nothing to set on {cidr}: give --location, --vlan, --description, --pool or \
             --reserve-first (or their --no- forms)"
        )));
    }
    let result = retrying!(set_once(db, cidr, changes));
    let request = json!({"cidr": cidr, "changes": changes});
    journal_if_failed(db, "ipam_subnet_update", request, false, result).await
}

async fn set_once(db: &Db, cidr: &IpNet, changes: &Changes) -> Result<Outcome> {
    let mut on = begin_on(db, cidr, Run::Real).await?;
    let (tx, node) = (&mut on.tx, on.subnet.clone());
    if changes.pool_reserved_first.is_some_and(|n| n < 0) {
        return Err(Error::validation("--reserve-first must be 0 or more"));
    }
    if changes.pool == Some(true) && node.status() == SubnetStatus::Subdivided {
        return Err(Error::conflict(format!(
            "{cidr} is subdivided: a pool is a leaf that hands out single addresses \
             (make one of the blocks inside it a pool, or carve subnet merge {cidr} first)"
        )));
    }
    if let Some(location) = &changes.location {
        let location_id = resolve::location(&mut *tx, location.as_deref()).await?;
        attributes::set_location(&mut *tx, &node, location_id).await?;
    }
    let node = tree::by_id(&mut *tx, node.id)
        .await?
        .ok_or_else(|| unknown(cidr))?;
    let vlan_id = match changes.vlan {
        Some(Some(vid)) => {
            let vlan = resolve::vlan(
                &mut *tx,
                Some(vid),
                node.effective_location_id,
                &cidr.to_string(),
            )
            .await?;
            Some(vlan.map(|v| v.id))
        }
        Some(None) => Some(None),
        None => None,
    };
    if changes.pool == Some(false) && node.is_pool {
        let held = addresses::count_within(&mut *tx, cidr).await?;
        if held > 0 {
            return Err(Error::conflict(format!(
                "{cidr} holds {held} address record(s), and address records lie only in \
                 pools: release them first (carve subnet show {cidr} lists them)"
            )));
        }
    }
    let pool = match (changes.pool, changes.pool_reserved_first) {
        (None, None) => None,
        (p, n) => Some((
            p.unwrap_or(node.is_pool),
            n.unwrap_or(node.pool_reserved_first),
        )),
    };
    attributes::set_fields(
        &mut *tx,
        node.id,
        vlan_id,
        changes.description.clone(),
        pool,
    )
    .await?;
    if vlan_id.is_some() {
        attributes::cascade(
            &mut *tx,
            node.id,
            node.parent_id,
            attributes::Inherited::Vlan,
        )
        .await?;
    }
    let events = vec![
        Event::new(
            "ipam_subnet_update",
            json!({"cidr": cidr, "changes": changes}),
        )
        .cidr(*cidr),
    ];
    end_on(on, events, Run::Real).await
}
