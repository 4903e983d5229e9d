//! Release cooldowns: released space parked for the configured time so that nobody is
//! handed an address or block another customer gave back minutes ago; freed again by
//! the first allocation that looks after the time is up.

use serde_json::json;
use sqlx::PgConnection;

use crate::config::ReleaseCooldown;
use crate::error::Result;
use crate::model::Event;
use crate::store::cooldown as store;
use crate::store::journal;
use crate::store::{Db, db_error};

/// Frees the space whose cooldown has ended, one `cooldown_end` event each, in a
/// transaction of its own (committed even when the allocation that follows fails, and
/// holding no lock while that allocation locks its scope). Writable sessions call this
/// when they start and before each allocation. A failure here is logged, never allowed
/// to stop the work that asked.
pub async fn expire(db: &Db) {
    let outcome = async {
        let mut tx = db.pool.begin().await.map_err(db_error)?;
        for ended in store::expire(&mut tx).await? {
            let mut event = Event::new("cooldown_end", json!({"until": ended.until}));
            event.cidr = ended.cidr;
            event.address = ended.address;
            journal::record(&mut tx, &event).await?;
        }
        tx.commit().await.map_err(db_error)
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(
            "could not free space whose release cooldown ended: {}",
            e.message
        );
    }
}

/// Parks a just-released leaf when subnets have a cooldown; returns until when.
pub(crate) async fn start_subnet(
    conn: &mut PgConnection,
    cooldown: &ReleaseCooldown,
    id: i64,
) -> Result<Option<String>> {
    match cooldown.subnets {
        Some(d) => store::start_subnet(conn, id, seconds(d)).await,
        None => Ok(None),
    }
}

/// Keeps a released address's record, parked, when addresses have a cooldown; returns
/// until when (None: the caller deletes the record, the address is free).
pub(crate) async fn start_address(
    conn: &mut PgConnection,
    cooldown: &ReleaseCooldown,
    id: i64,
) -> Result<Option<String>> {
    match cooldown.ips {
        Some(d) => store::start_address(conn, id, seconds(d)).await,
        None => Ok(None),
    }
}

/// Ends a subnet's cooldown now, for a manual allocation with `--force`; returns its
/// `cooldown_forced` event for the allocation to journal with its own.
pub(crate) async fn force_end(
    conn: &mut PgConnection,
    id: i64,
    cidr: ipnet::IpNet,
) -> Result<Event> {
    store::end_subnet(conn, id).await?;
    Ok(Event::new("cooldown_forced", json!({"cidr": cidr})).cidr(cidr))
}

fn seconds(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// How long a cooldown has left (`2d 3h left`, `5h 12m left`, `<1m left`), or that it
/// is over and the space waits for the next change to be freed.
pub fn left_text(seconds: i64) -> String {
    if seconds <= 0 {
        return "ended: freed at the next change".to_owned();
    }
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    let left = match (d, h, m) {
        (0, 0, 0) => "<1m".to_owned(),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    };
    format!("{left} left")
}
