//! A fake Cloudflare API v4 on loopback: the subset carve's reverse-DNS sync uses (a zone
//! looked up by name; its PTR records listed page by page, created, overwritten, patched
//! and deleted), answering in Cloudflare's JSON envelopes, with knobs to disturb it: a
//! page-size cap, 429 with Retry-After, failures after N writes, and a stop that makes the
//! port refuse connections.
//!
//! Real HTTP/1.1 over TCP, because carve's own client (ureq) must be the one talking.
//! Plain std threads, one per connection with keep-alive, so sync and async tests alike
//! use it; nothing here blocks a tokio runtime.
//!
//! `http` is the server plumbing, `api` the answers; this module holds the data both the
//! test and the API see.

mod api;
mod http;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::format_description::well_known::Rfc3339;

use super::net::random_hex;

pub struct FakeCloudflare {
    /// `http://127.0.0.1:<port>/client/v4`, no trailing slash.
    pub url: String,
    /// The only bearer token accepted.
    pub token: String,
    state: Arc<Mutex<State>>,
    server: http::Server,
}

#[derive(Default)]
struct State {
    token: String,
    zones: Vec<Zone>,
    page_cap: usize,
    /// `rate_limit_next`: requests still to answer 429, and the Retry-After they carry.
    rate_limited: usize,
    retry_after: u64,
    /// `fail_after`: successful writes still allowed, and the status answered after them.
    failing: Option<(usize, u16)>,
    /// `echo_credentials`: failures quote the Authorization header they were sent.
    echo_credentials: bool,
    writes: usize,
    requests: usize,
}

struct Zone {
    id: String,
    name: String,
    records: Vec<Record>,
}

struct Record {
    id: String,
    name: String,
    content: String,
    ttl: u64,
    created_on: String,
    modified_on: String,
}

impl FakeCloudflare {
    /// Listens on a free loopback port and serves until `stop` or drop.
    pub fn start() -> FakeCloudflare {
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let token = format!("cf-test-{}-{n}-{}", std::process::id(), &random_hex()[..8]);
        let state = Arc::new(Mutex::new(State {
            token: token.clone(),
            page_cap: 20,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let server = http::Server::start(move |request| api::answer(&shared, request));
        FakeCloudflare {
            url: format!("http://{}/client/v4", server.addr()),
            token,
            state,
            server,
        }
    }

    /// Adds an active zone (or finds the one of that name) and returns its id.
    pub fn add_zone(&self, name: &str) -> String {
        let mut state = self.state();
        let name = normalize(name);
        if let Some(zone) = state.zones.iter().find(|z| z.name == name) {
            return zone.id.clone();
        }
        let id = random_hex();
        let records = Vec::new();
        state.zones.push(Zone {
            id: id.clone(),
            name,
            records,
        });
        id
    }

    /// Every PTR in the zone: name -> content. Several at one name are joined by " ",
    /// sorted (as `PowerDns::ptrs` does).
    pub fn records(&self, zone: &str) -> BTreeMap<String, String> {
        let mut state = self.state();
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for record in &state.zone_named(zone).records {
            let contents = found.entry(record.name.clone()).or_default();
            contents.push(record.content.clone());
        }
        let joined = found.into_iter().map(|(name, mut contents)| {
            contents.sort();
            (name, contents.join(" "))
        });
        joined.collect()
    }

    /// Makes `name` hold exactly one PTR saying `content`, behind carve's back (drift, as
    /// an edit in the dashboard would make: an existing record keeps its id).
    pub fn put_record(&self, zone: &str, name: &str, content: &str) {
        let (name, content, now) = (normalize(name), trim_dot(content), now());
        let mut state = self.state();
        let zone = state.zone_named(zone);
        let mut kept = false;
        zone.records.retain_mut(|record| {
            if record.name != name {
                return true;
            }
            if kept {
                return false; // a second record at the name goes
            }
            (record.content, record.modified_on) = (content.clone(), now.clone());
            kept = true;
            true
        });
        if !kept {
            zone.records.push(Record::new(name, content, 1));
        }
    }

    /// Deletes every PTR at `name` behind carve's back (none there is fine).
    pub fn remove_record(&self, zone: &str, name: &str) {
        let name = normalize(name);
        let mut state = self.state();
        state.zone_named(zone).records.retain(|r| r.name != name);
    }

    /// The largest `per_page` honoured (default 20, so pagination is exercised).
    pub fn set_page_size_cap(&self, n: usize) {
        self.state().page_cap = n.max(1);
    }

    /// The next `n` requests are answered 429 with `Retry-After: <retry_after_secs>`.
    pub fn rate_limit_next(&self, n: usize, retry_after_secs: u64) {
        let mut state = self.state();
        (state.rate_limited, state.retry_after) = (n, retry_after_secs);
    }

    /// After `n` more successful writes, every request answers `status` until `heal`.
    pub fn fail_after(&self, n: usize, status: u16) {
        self.state().failing = Some((n, status));
    }

    /// Makes the failures of `fail_after` quote the credential they were sent, as a
    /// careless or hostile server may.
    pub fn echo_credentials(&self) {
        self.state().echo_credentials = true;
    }

    /// Ends `fail_after` (a pending `rate_limit_next` is left as it is).
    pub fn heal(&self) {
        self.state().failing = None;
    }

    /// Successful (2xx) POST, PUT, PATCH and DELETE requests so far.
    pub fn write_count(&self) -> usize {
        self.state().writes
    }

    /// Every request received so far, whatever it was answered.
    pub fn request_count(&self) -> usize {
        self.state().requests
    }

    /// Closes the listening socket and every connection: the port then refuses
    /// connections. The records stay readable. Stopping twice does nothing.
    pub fn stop(&mut self) {
        self.server.stop();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl State {
    /// For the test-side helpers: a zone the test forgot to add is a bug in the test.
    fn zone_named(&mut self, name: &str) -> &mut Zone {
        let name = normalize(name);
        let zone = self.zones.iter_mut().find(|z| z.name == name);
        zone.unwrap_or_else(|| panic!("the fake Cloudflare has no zone {name}: add_zone it"))
    }
}

impl Record {
    fn new(name: String, content: String, ttl: u64) -> Record {
        let (id, created_on) = (random_hex(), now());
        let modified_on = created_on.clone();
        Record {
            id,
            name,
            content,
            ttl,
            created_on,
            modified_on,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not take every later request down with it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Names as Cloudflare stores them: lower case, no trailing dot.
fn normalize(name: &str) -> String {
    trim_dot(name).to_ascii_lowercase()
}

/// Contents keep their case; Cloudflare drops the trailing dot of a host name.
fn trim_dot(name: &str) -> String {
    name.trim().trim_end_matches('.').to_owned()
}

/// RFC 3339 UTC, as Cloudflare writes `created_on` and `modified_on`.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .expect("format the time")
}
