//! What the servers tests start (the fake Cloudflare, each PowerDNS) have in common: a
//! free loopback port, and names no other run or server shares.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};

/// A listener on a port the kernel picked free on 127.0.0.1, and its address.
pub fn loopback_listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("a bound port");
    (listener, addr)
}

/// 32 lowercase hex digits (the shape of Cloudflare's ids). The counter makes them unique
/// in the process; the randomly keyed hash of it, the first 16 digits, makes them differ
/// between runs and servers, as real ids and keys would.
pub fn random_hex() -> String {
    use std::hash::{BuildHasher, RandomState};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{n:016x}", RandomState::new().hash_one(n))
}
