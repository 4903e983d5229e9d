//! Reverse DNS: reverse zones, comparing carve with DNS, the providers' APIs, and BIND
//! zone files. No database here; `service::rdns` joins this with the store.

pub mod cloudflare;
pub mod diff;
mod http;
pub mod powerdns;
pub mod zone;
pub mod zonefile;

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::error::{Error, Result};
pub use diff::Push;
pub use zone::Zone;

/// A DNS service carve pushes PTR records to.
pub trait Provider: Send {
    /// Every PTR the zone holds, by address (names as the provider writes them);
    /// None when the provider has no such zone.
    fn list(&mut self, zone: &Zone) -> Result<Option<BTreeMap<IpAddr, String>>>;
    /// Creates an empty zone (only called when the configuration allows it); says what
    /// is left to do by hand, if anything.
    fn create_zone(&mut self, zone: &Zone) -> Result<Option<String>>;
    /// Writes `pushes` in order, after a `list` of the same zone.
    fn apply(&mut self, zone: &Zone, pushes: &[Push]) -> Applied;
}

/// How far a batch of pushes got: the first `done` were written; `error` stopped the rest.
#[derive(Debug)]
pub struct Applied {
    pub done: usize,
    pub error: Option<Error>,
}

impl Applied {
    pub fn all(pushes: &[Push]) -> Applied {
        Applied {
            done: pushes.len(),
            error: None,
        }
    }
}

/// Several PTRs at one name read as their names sorted, space-separated, so two differ from any
/// single name carve holds and get replaced by it.
fn add_found(found: &mut BTreeMap<IpAddr, String>, address: IpAddr, target: &str) {
    let target = diff::canonical(target);
    found
        .entry(address)
        .and_modify(|names| {
            let mut all: Vec<&str> = names.split(' ').chain([target.as_str()]).collect();
            all.sort_unstable();
            *names = all.join(" ");
        })
        .or_insert(target);
}
