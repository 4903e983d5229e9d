//! Reverse DNS: what the rDNS pane shows, what waits to be pushed, and how each
//! provider's last sync went.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

/// One PTR as the rDNS pane shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct PtrState {
    pub address: IpNet,
    /// The name carve holds (None: released or cleared).
    pub rdns: Option<String>,
    /// A change is queued and not pushed yet.
    pub pending: bool,
    /// Why the last push of it failed.
    pub last_error: Option<String>,
    /// The last sync found DNS different here.
    pub drift: bool,
    /// What DNS served then (None: nothing).
    pub dns: Option<String>,
}

/// A change waiting to be pushed.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Pending {
    pub address: IpNet,
    /// The name to push; None: delete the PTR.
    pub ptr: Option<String>,
    /// Identifies this wish: a newer one for the same address has another.
    pub generation: i64,
    pub attempts: i32,
    pub queued_at: String,
    /// Seconds until the next automatic retry (0 or less: due now).
    pub due_in_secs: i64,
    pub last_error: Option<String>,
}

impl Pending {
    pub fn addr(&self) -> IpAddr {
        self.address.addr()
    }
}

/// A provider's last sync, as recorded.
#[derive(Debug, Clone, Default, sqlx::FromRow, Serialize)]
pub struct SyncRecord {
    pub last_sync_at: Option<String>,
    pub last_ok_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}
