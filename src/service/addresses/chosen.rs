//! Taking one chosen address (`ip allocate --address`): it must lie in an unparked
//! pool, be one that the pool's allocator would hand out, and have no record.

use std::net::IpAddr;

use sqlx::PgConnection;

use super::record::refuse_cooling;
use super::{Holder, IpOutcome, owner_of, parked_pool, pool_of, take};
use crate::engine::address::usable_range;
use crate::engine::prefix::addr_to_u128;
use crate::error::{Error, Result};
use crate::model::{IpRecord, Subnet};
use crate::service::ownership::refuse_foreign;
use crate::service::resolve;
use crate::store::addresses;
use crate::store::carving;

/// Takes `address` inside the caller's transaction, journaled there.
pub(super) async fn allocate_in(
    tx: &mut PgConnection,
    address: IpAddr,
    holder: &Holder,
) -> Result<IpOutcome> {
    let pool = pool_of(&mut *tx, address).await?;
    let pool = carving::lock_scope(&mut *tx, &pool.cidr).await?;
    if pool.hidden {
        return Err(parked_pool(&pool));
    }
    let device = resolve::device(&mut *tx, holder.device.as_deref()).await?;
    let owner = owner_of(&mut *tx, holder, device.as_ref()).await?;
    let what = format!("pool {}", pool.cidr);
    refuse_foreign(&mut *tx, &pool, &pool.cidr, &owner, &what).await?;
    check_handed_out(&pool, address)?;
    if let Some(record) = addresses::find(&mut *tx, address).await? {
        return Err(taken(&record));
    }
    take(tx, &pool, address, holder).await
}

/// Refuses an address the pool's allocator never hands out: the same rules as
/// [`usable_range`], named.
pub(super) fn check_handed_out(pool: &Subnet, address: IpAddr) -> Result<()> {
    let net = pool.cidr;
    let offset = addr_to_u128(address) - addr_to_u128(net.network());
    let (lo, hi) = usable_range(&net, 0).expect("a pool without reservations hands out some");
    if offset < lo {
        let what = match net {
            ipnet::IpNet::V4(_) => "network address",
            ipnet::IpNet::V6(_) => "subnet-router anycast address",
        };
        return Err(Error::validation(format!(
            "{address} is the {what} of pool {net}: pools never hand it out"
        )));
    }
    if offset > hi {
        return Err(Error::validation(format!(
            "{address} is the broadcast address of pool {net}: pools never hand it out"
        )));
    }
    let reserve = u32::try_from(pool.pool_reserved_first).unwrap_or(0);
    if usable_range(&net, reserve).is_none_or(|(first, _)| offset < first) {
        return Err(Error::validation(format!(
            "{address} is held back: pool {net} keeps its first {reserve} usable addresses back \
             (carve subnet set {net} --reserve-first N changes that)"
        )));
    }
    Ok(())
}

/// Why an address with a record cannot be taken.
pub(super) fn taken(record: &IpRecord) -> Error {
    let address = record.address.addr();
    if let Err(cooling) = refuse_cooling(record) {
        return cooling;
    }
    let why = |reason: &Option<String>| reason.as_ref().map(|r| format!(" ({r})"));
    if record.is_unavailable {
        let reason = why(&record.unavailable_reason).unwrap_or_default();
        return Error::conflict(format!(
            "{address} is parked{reason}: carve ip unpark {address} first"
        ));
    }
    if record.is_reserved {
        let reason = why(&record.reserve_reason).unwrap_or_default();
        return Error::conflict(format!(
            "{address} is reserved{reason}: carve ip unreserve {address} first"
        ));
    }
    let holder = why(&record.holder_text()).unwrap_or_default();
    Error::conflict(format!("{address} is already allocated{holder}"))
}
