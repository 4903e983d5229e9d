//! Release cooldowns: released space parked for the configured time so that nobody is
//! handed an address or block another customer gave back minutes ago; freed again by
//! the first allocation that looks after the time is up.

use serde_json::json;
use sqlx::PgConnection;

use crate::config::ReleaseCooldown;
use crate::error::Result;
use crate::store::cooldown as store;
use crate::store::journal::{self, Event};

/// Frees the space whose cooldown has ended, one `cooldown_end` event each, in the
/// caller's transaction. Every allocation calls this first.
pub(crate) async fn expire(conn: &mut PgConnection) -> Result<()> {
    for ended in store::expire(&mut *conn).await? {
        let mut event = Event::new("cooldown_end", json!({"until": ended.until}));
        event.cidr = ended.cidr;
        event.address = ended.address;
        journal::record(&mut *conn, &event).await?;
    }
    Ok(())
}

/// Parks a just-released leaf when subnets have a cooldown; returns until when.
pub(crate) async fn start_subnet(
    conn: &mut PgConnection,
    cooldown: &ReleaseCooldown,
    id: i64,
) -> Result<Option<String>> {
    match cooldown.subnets {
        Some(d) => Ok(Some(store::start_subnet(conn, id, seconds(d)).await?)),
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
        Some(d) => Ok(Some(store::start_address(conn, id, seconds(d)).await?)),
        None => Ok(None),
    }
}

/// Ends a subnet's cooldown now, for a manual allocation with `--force`.
pub(crate) async fn force_end(conn: &mut PgConnection, id: i64, cidr: ipnet::IpNet) -> Result<()> {
    store::end_subnet(&mut *conn, id).await?;
    let event = Event::new("cooldown_forced", json!({"cidr": cidr})).cidr(cidr);
    journal::record(conn, &event).await
}

fn seconds(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `2d 3h`, `5h 12m`, `4m`, `<1m`: how long a cooldown has left.
pub fn left_text(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => "<1m".to_owned(),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}
