//! Where an allocation draws from: the scope it locks, and the block it takes (exact,
//! merge or split) as far as the request's strategy allows.

use ipnet::IpNet;
use sqlx::PgConnection;

use crate::engine::{Family, Strategy};
use crate::error::{Error, Result};
use crate::model::{Catalog, Owner, Subnet, SubnetStatus};
use crate::store::candidates::{self, Search};
use crate::store::carving;
use crate::store::catalog;
use crate::store::tree;

pub(super) fn family_of(number: u8) -> Result<Family> {
    match number {
        4 => Ok(Family::V4),
        6 => Ok(Family::V6),
        other => Err(Error::validation(format!("family {other} is not 4 or 6"))),
    }
}

pub(super) fn check_length(family: Family, len: u8) -> Result<()> {
    let range = family.prefix_range();
    if range.contains(&len) {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "/{len} is out of range for {family} (carve manages /{}../{})",
            range.start(),
            range.end()
        )))
    }
}

/// The scope a length request locks: its pool, or the root of the best candidate found
/// before locking (the search is repeated under the lock).
pub(super) async fn length_scope(
    conn: &mut PgConnection,
    search: &Search,
    pool: Option<&IpNet>,
    strategy: Strategy,
) -> Result<Subnet> {
    let (family, len) = (search.family, search.len);
    if let Some(pool) = pool {
        if Family::of(pool) != family {
            return Err(Error::validation(format!(
                "pool {pool} is not {family}, but a /{len} of {family} was asked for"
            )));
        }
        let Some(node) = carving::try_lock_scope(conn, pool).await? else {
            return Err(Error::not_found(format!(
                "pool {pool} is not a subnet carve knows (carve lookup {pool} shows what holds it)"
            )));
        };
        if node.hidden {
            return Err(Error::validation(format!(
                "pool {pool} is parked{}",
                reason(&node)
            )));
        }
        return Ok(node);
    }
    let everywhere = Search {
        within: family.everything(),
        ..*search
    };
    let (_, _, candidate) = choose(conn, &everywhere, strategy, true).await?;
    let chain = tree::containing(conn, &candidate).await?;
    let root = chain
        .first()
        .ok_or_else(|| Error::internal("a candidate with no root"))?;
    carving::lock_scope(conn, &root.cidr).await
}

/// exact (unless the caller tried it already), then merge, then split, as far as
/// `strategy` allows.
pub(super) async fn choose(
    conn: &mut PgConnection,
    search: &Search,
    strategy: Strategy,
    exact: bool,
) -> Result<(Strategy, i64, IpNet)> {
    if exact && let Some((id, cidr)) = candidates::find_exact(conn, search).await? {
        return Ok((Strategy::Exact, id, cidr));
    }
    if strategy >= Strategy::Merge
        && let Some((id, cidr)) = candidates::find_merge(conn, search).await?
    {
        return Ok((Strategy::Merge, id, cidr));
    }
    if strategy >= Strategy::Split
        && let Some((id, cidr)) = candidates::find_split(conn, search).await?
    {
        return Ok((Strategy::Split, id, cidr));
    }
    Err(no_space(conn, search, strategy).await?)
}

/// `no free /29 in 203.0.113.0/24 at EU-FRA (largest free: /30)`. A database error
/// while finding the words is returned as such, never hidden behind "exhausted".
async fn no_space(conn: &mut PgConnection, search: &Search, strategy: Strategy) -> Result<Error> {
    let mut message = format!("no free /{}", search.len);
    if search.within.prefix_len() > 0 {
        message.push_str(&format!(" in {}", search.within));
    } else {
        message.push_str(&format!(" of {}", search.family));
    }
    if let Some(id) = search.location_id {
        let name = catalog::name_of(conn, Catalog::Location, id).await?;
        message.push_str(&format!(" at {}", name.unwrap_or_default()));
    }
    match candidates::largest_free(conn, search).await? {
        Some(len) => message.push_str(&format!(" (largest free: /{len})")),
        None => message.push_str(" (nothing free)"),
    }
    if strategy < Strategy::Split {
        message.push_str(&format!(" with strategy {strategy}"));
    }
    Ok(Error::exhausted(message))
}

/// The node an exact-CIDR request works on: the CIDR itself, or the leaf it lies in.
pub(super) async fn exact_scope(conn: &mut PgConnection, cidr: &IpNet) -> Result<Subnet> {
    let chain = tree::containing(conn, cidr).await?;
    chain.into_iter().last().ok_or_else(|| {
        Error::not_found(format!(
            "{cidr} is not inside any block carve manages (add one with: carve subnet add CIDR)"
        ))
    })
}

pub(super) async fn exact_choice(
    conn: &mut PgConnection,
    node: &Subnet,
    cidr: &IpNet,
    strategy: Strategy,
    owner: Owner,
) -> Result<(Strategy, i64, IpNet)> {
    if node.hidden {
        return Err(Error::conflict(format!("{cidr} is parked{}", reason(node))));
    }
    let status = node.status();
    let holder = node
        .customer
        .as_ref()
        .map(|c| format!(" to {c}"))
        .unwrap_or_default();
    if node.cidr != *cidr {
        if node.is_pool {
            return Err(Error::conflict(format!(
                "{cidr} lies inside pool {}, which hands out single addresses",
                node.cidr
            )));
        }
        if status != SubnetStatus::Unallocated {
            return Err(Error::conflict(format!(
                "{cidr} lies inside {}, which is {}{holder}",
                node.cidr,
                status.as_str()
            )));
        }
        if strategy < Strategy::Split {
            return Err(Error::exhausted(format!(
                "{cidr} needs a split of {} (strategy is {strategy})",
                node.cidr
            )));
        }
        return Ok((Strategy::Split, node.id, node.cidr));
    }
    match status {
        SubnetStatus::Unallocated => Ok((Strategy::Exact, node.id, node.cidr)),
        SubnetStatus::Subdivided if strategy >= Strategy::Merge => {
            let search = Search {
                family: Family::of(cidr),
                len: cidr.prefix_len(),
                within: *cidr,
                location_id: None,
                vlan_id: None,
                holder: owner,
            };
            match candidates::find_merge(conn, &search).await? {
                Some((id, found)) if found == *cidr => Ok((Strategy::Merge, id, found)),
                _ => Err(Error::conflict(format!(
                    "{cidr} is subdivided and not entirely free (carve subnet show {cidr} lists what is in it)"
                ))),
            }
        }
        SubnetStatus::Subdivided => Err(Error::exhausted(format!(
            "{cidr} is subdivided (strategy {strategy} cannot merge)"
        ))),
        _ => Err(Error::conflict(format!(
            "{cidr} is already {}{holder}",
            status.as_str()
        ))),
    }
}

fn reason(node: &Subnet) -> String {
    let force = match node.cooldown_secs {
        Some(left) => format!(
            ", {}; subnet allocate --cidr {} --force takes it early",
            super::super::cooldown::left_text(left),
            node.cidr
        ),
        None => String::new(),
    };
    node.unavailable_reason
        .as_ref()
        .map(|r| format!(" ({r}{force})"))
        .unwrap_or_default()
}
