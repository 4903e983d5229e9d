//! A fake Cloudflare API v4 on loopback: the subset carve's reverse-DNS sync uses (a zone
//! looked up by name; its PTR records listed page by page, created, overwritten, patched
//! and deleted), answering in Cloudflare's JSON envelopes, with knobs to disturb it: a
//! page-size cap, 429 with Retry-After, failures after N writes, and a stop that makes the
//! port refuse connections.
//!
//! Real HTTP/1.1 over TCP, because carve's own client (ureq) must be the one talking.
//! Plain std threads, one per connection with keep-alive, so sync and async tests alike
//! use it; nothing here blocks a tokio runtime.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

/// Request lines, header lines and bodies beyond these are junk, not a client of ours.
const MAX_LINE: u64 = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

pub struct FakeCloudflare {
    /// `http://127.0.0.1:<port>/client/v4`, no trailing slash.
    pub url: String,
    /// The only bearer token accepted.
    pub token: String,
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    acceptor: Option<JoinHandle<()>>,
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
    writes: usize,
    requests: usize,
    /// A handle on every open connection, so `stop` can cut them all.
    connections: HashMap<u64, TcpStream>,
    stopped: bool,
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
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound port");
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let token = format!("cf-test-{}-{n}-{}", std::process::id(), &new_id()[..8]);
        let state = Arc::new(Mutex::new(State {
            token: token.clone(),
            page_cap: 20,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let acceptor = thread::spawn(move || accept_loop(listener, shared));
        FakeCloudflare {
            url: format!("http://{addr}/client/v4"),
            token,
            addr,
            state,
            acceptor: Some(acceptor),
        }
    }

    /// Adds an active zone (or finds the one of that name) and returns its id.
    pub fn add_zone(&self, name: &str) -> String {
        let mut state = self.state();
        let name = normalize(name);
        if let Some(zone) = state.zones.iter().find(|z| z.name == name) {
            return zone.id.clone();
        }
        let id = new_id();
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
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        let connections = {
            let mut state = self.state();
            state.stopped = true;
            std::mem::take(&mut state.connections)
        };
        for connection in connections.values() {
            let _ = connection.shutdown(Shutdown::Both);
        }
        // accept() blocks: one more connection wakes it to see `stopped` and drop the
        // listener. Joining means the port is closed once `stop` returns.
        if TcpStream::connect(self.addr).is_ok() {
            let _ = acceptor.join();
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeCloudflare {
    fn drop(&mut self) {
        self.stop();
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
        let (id, created_on) = (new_id(), now());
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

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not take every later request down with it.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>) {
    for (n, stream) in (0u64..).zip(listener.incoming()) {
        let Ok(stream) = stream else {
            thread::sleep(Duration::from_millis(10)); // out of fds, say: do not spin
            continue;
        };
        let mut locked = lock(&state);
        if locked.stopped {
            return; // drops the listener: the port refuses from now on
        }
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        locked.connections.insert(n, handle);
        drop(locked);
        let state = Arc::clone(&state);
        thread::spawn(move || serve(stream, &state, n));
    }
}

/// Answers requests on one connection until the client closes it or asks to.
fn serve(stream: TcpStream, state: &Mutex<State>, n: u64) {
    if let Ok(mut writer) = stream.try_clone() {
        let mut reader = BufReader::new(stream);
        loop {
            let (reply, close) = match read_request(&mut reader) {
                Ok(Some(request)) => (handle(state, &request), request.close),
                Ok(None) => break,
                Err(why) => (Reply::error(400, 9207, why), true),
            };
            if reply.send(&mut writer, close).is_err() || close {
                break;
            }
        }
    }
    lock(state).connections.remove(&n);
}

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    close: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }

    fn query(&self, name: &str) -> Option<&str> {
        let found = self.query.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }
}

/// One request; None at the end of the connection (or a broken one: nobody to answer).
/// Err: a request that cannot be parsed, answered 400 before closing.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, &'static str> {
    let Some(line) = read_line(reader) else {
        return Ok(None);
    };
    let mut words = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (words.next(), words.next(), words.next())
    else {
        return Err("Malformed request line.");
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader).ok_or("Truncated headers.")?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or("Malformed header.")?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let pairs = query.split('&').filter(|pair| !pair.is_empty());
    let pairs = pairs.map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    let mut request = Request {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        query: pairs.map(|(k, v)| (decode(k), decode(v))).collect(),
        headers,
        body: Vec::new(),
        close: false,
    };
    // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes unless told.
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut tokens = connection.split(',').map(str::trim);
    request.close = match version {
        "HTTP/1.0" => !tokens.any(|token| token == "keep-alive"),
        _ => tokens.any(|token| token == "close"),
    };
    let encoding = request.header("transfer-encoding").unwrap_or("");
    request.body = if encoding.to_ascii_lowercase().contains("chunked") {
        read_chunked(reader)?
    } else {
        let length = request.header("content-length").map_or(Ok(0), str::parse);
        let length = length.ok().filter(|&n| n <= MAX_BODY);
        let mut body = vec![0; length.ok_or("Bad Content-Length.")?];
        reader
            .read_exact(&mut body)
            .map_err(|_| "Truncated body.")?;
        body
    };
    Ok(Some(request))
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader).ok_or("Truncated chunk.")?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| "Bad chunk size.")?;
        if size == 0 {
            // Trailers, if any, end with an empty line; they are of no interest.
            while !read_line(reader).ok_or("Truncated trailers.")?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err("Body too large.");
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .map_err(|_| "Truncated chunk.")?;
        read_line(reader).ok_or("Truncated chunk.")?; // the CRLF after the data
    }
}

/// A line without its CRLF; None at the end of the stream or on an error.
fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = Vec::new();
    let read = reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut line);
    let text = String::from_utf8_lossy(&line);
    matches!(read, Ok(n) if n > 0).then(|| text.trim_end_matches(['\r', '\n']).to_owned())
}

struct Reply {
    status: u16,
    body: Value,
    retry_after: Option<u64>,
}

impl Reply {
    fn ok(result: Value) -> Reply {
        let body = json!({"success": true, "errors": [], "messages": [], "result": result});
        Reply::new(200, body)
    }

    fn error(status: u16, code: u32, message: impl Into<String>) -> Reply {
        let errors = [json!({"code": code, "message": message.into()})];
        let body = json!({"success": false, "errors": errors, "messages": [], "result": null});
        Reply::new(status, body)
    }

    fn new(status: u16, body: Value) -> Reply {
        let retry_after = None;
        Reply {
            status,
            body,
            retry_after,
        }
    }

    fn send(&self, writer: &mut TcpStream, close: bool) -> std::io::Result<()> {
        let (status, body) = (self.status, self.body.to_string());
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        head += &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(secs) = self.retry_after {
            head += &format!("Retry-After: {secs}\r\n");
        }
        head += if close {
            "Connection: close\r\n\r\n"
        } else {
            "\r\n"
        };
        writer.write_all((head + &body).as_bytes())?;
        writer.flush()
    }
}

/// The disturbances first (they stand for the service as a whole), then the token, then
/// the API itself.
fn handle(state: &Mutex<State>, request: &Request) -> Reply {
    let mut state = lock(state);
    state.requests += 1;
    if state.rate_limited > 0 {
        state.rate_limited -= 1;
        let message = "Please wait and consider throttling your request speed";
        let mut reply = Reply::error(429, 971, message);
        reply.retry_after = Some(state.retry_after);
        return reply;
    }
    if let Some((0, status)) = state.failing {
        return Reply::error(status, status.into(), reason(status));
    }
    let bearer = format!("Bearer {}", state.token);
    if request.header("authorization") != Some(bearer.as_str()) {
        return Reply::error(403, 10000, "Authentication error");
    }
    let reply = route(&mut state, request).unwrap_or_else(|error| error);
    let write = matches!(request.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE");
    if write && (200..300).contains(&reply.status) {
        state.writes += 1;
        if let Some((left, _)) = &mut state.failing {
            *left = left.saturating_sub(1);
        }
    }
    reply
}

/// The API proper. Err: an error envelope to answer with.
fn route(state: &mut State, request: &Request) -> Result<Reply, Reply> {
    let path = request.path.trim_end_matches('/');
    let rest = path
        .strip_prefix("/client/v4")
        .ok_or_else(|| no_route(path))?;
    let parts: Vec<&str> = rest.split('/').skip(1).collect();
    let method = request.method.as_str();
    let (zone_id, record_id) = match (&parts[..], method) {
        (["zones"], "GET") => {
            let name = request.query("name").map(normalize);
            let zones = state.zones.iter();
            let zones = zones.filter(|z| name.as_ref().is_none_or(|n| *n == z.name));
            let zones = zones.map(|z| json!({"id": z.id, "name": z.name, "status": "active"}));
            return Ok(paginate(zones.collect(), request, 20, state.page_cap));
        }
        (["zones", zone, "dns_records"], "GET" | "POST") => (zone, None),
        (["zones", zone, "dns_records", id], "GET" | "PUT" | "PATCH" | "DELETE") => {
            (zone, Some(id))
        }
        (["zones"] | ["zones", _, "dns_records"] | ["zones", _, "dns_records", _], _) => {
            let message = format!("Method {method} not available for that URI.");
            return Err(Reply::error(405, 7001, message));
        }
        _ => return Err(no_route(rest)),
    };
    let page_cap = state.page_cap;
    let zone = state.zones.iter_mut().find(|z| z.id == *zone_id);
    let zone = zone.ok_or_else(|| no_route(rest))?;
    let Some(record_id) = record_id else {
        if method == "POST" {
            let (name, content, ttl) = fields(&json_body(request)?, zone, None, false)?;
            zone.records.push(Record::new(name, content, ttl));
            return Ok(Reply::ok(record_json(
                zone,
                zone.records.last().expect("pushed"),
            )));
        }
        let name = request.query("name").map(normalize);
        let ptr = request
            .query("type")
            .is_none_or(|t| t.eq_ignore_ascii_case("PTR"));
        let records = zone.records.iter();
        let mut records: Vec<&Record> = records
            .filter(|r| ptr && name.as_ref().is_none_or(|n| *n == r.name))
            .collect();
        records.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let records = records.into_iter().map(|r| record_json(zone, r)).collect();
        return Ok(paginate(records, request, 100, page_cap));
    };
    let found = zone.records.iter().position(|r| r.id == **record_id);
    let i = found.ok_or_else(|| Reply::error(404, 81044, "Record does not exist."))?;
    match method {
        "GET" => {}
        "DELETE" => return Ok(Reply::ok(json!({"id": zone.records.remove(i).id}))),
        _ => {
            let own = Some(&zone.records[i]);
            let (name, content, ttl) = fields(&json_body(request)?, zone, own, method == "PATCH")?;
            let record = &mut zone.records[i];
            (record.name, record.content, record.ttl) = (name, content, ttl);
            record.modified_on = now();
        }
    }
    Ok(Reply::ok(record_json(zone, &zone.records[i])))
}

/// A record's name, content and TTL from a request body, checked as Cloudflare does.
/// `own`: the record being overwritten, whose values a `partial` body (PATCH) keeps.
fn fields(
    body: &Value,
    zone: &Zone,
    own: Option<&Record>,
    partial: bool,
) -> Result<(String, String, u64), Reply> {
    let base = own.filter(|_| partial);
    let text = |key: &str, old: Option<&str>| match (body.get(key), old) {
        (None | Some(Value::Null), Some(old)) => Ok(old.to_owned()),
        (Some(Value::String(s)), _) => Ok(s.clone()),
        _ => Err(invalid_body()),
    };
    let kind = text("type", base.map(|_| "PTR"))?;
    let name = normalize(&text("name", base.map(|r| r.name.as_str()))?);
    // "@" is the zone apex; any other name must be the full name, inside the zone.
    let name = if name == "@" { zone.name.clone() } else { name };
    let content = trim_dot(&text("content", base.map(|r| r.content.as_str()))?);
    let ttl = match body.get("ttl") {
        None | Some(Value::Null) => base.map_or(1, |r| r.ttl),
        Some(ttl) => ttl.as_u64().ok_or_else(invalid_body)?,
    };
    let in_zone = name == zone.name || name.ends_with(&format!(".{}", zone.name));
    if !kind.eq_ignore_ascii_case("PTR") || !in_zone || content.is_empty() {
        return Err(Reply::error(400, 1004, "DNS Validation Error"));
    }
    if ttl != 1 && !(30..=86400).contains(&ttl) {
        let message = "Invalid TTL. Must be between 30 and 86400 seconds, or 1 for Automatic.";
        return Err(Reply::error(400, 9021, message));
    }
    let mut others = zone
        .records
        .iter()
        .filter(|r| Some(&r.id) != own.map(|o| &o.id));
    if others.any(|r| r.name == name && r.content == content) {
        return Err(Reply::error(
            400,
            81058,
            "An identical record already exists.",
        ));
    }
    Ok((name, content, ttl))
}

fn json_body(request: &Request) -> Result<Value, Reply> {
    let body = serde_json::from_slice::<Value>(&request.body).ok();
    body.filter(Value::is_object).ok_or_else(invalid_body)
}

fn invalid_body() -> Reply {
    Reply::error(400, 9207, "Request body is invalid.")
}

/// Cloudflare's answer to a path, or an object id in one, that it does not know.
fn no_route(path: &str) -> Reply {
    let message = format!("Could not route to {path}, perhaps your object identifier is invalid?");
    Reply::error(404, 7003, message)
}

/// One page of `items` in a success envelope with `result_info`. Pages count from 1; a
/// page past the end is empty; `per_page` is held to the cap.
fn paginate(items: Vec<Value>, request: &Request, default: usize, cap: usize) -> Reply {
    let number = |key: &str| request.query(key).and_then(|v| v.parse::<usize>().ok());
    let per_page = number("per_page").unwrap_or(default).clamp(1, cap);
    let page = number("page").unwrap_or(1).max(1);
    let total = items.len();
    let skip = (page - 1).saturating_mul(per_page);
    let result: Vec<Value> = items.into_iter().skip(skip).take(per_page).collect();
    let count = result.len();
    let mut reply = Reply::ok(Value::Array(result));
    reply.body["result_info"] = json!({
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total,
        "total_pages": total.div_ceil(per_page),
    });
    reply
}

fn record_json(zone: &Zone, record: &Record) -> Value {
    json!({
        "id": record.id,
        "zone_id": zone.id,
        "zone_name": zone.name,
        "name": record.name,
        "type": "PTR",
        "content": record.content,
        "ttl": record.ttl,
        "proxied": false,
        "proxiable": false,
        "created_on": record.created_on,
        "modified_on": record.modified_on,
    })
}

/// Names as Cloudflare stores them: lower case, no trailing dot.
fn normalize(name: &str) -> String {
    trim_dot(name).to_ascii_lowercase()
}

/// Contents keep their case; Cloudflare drops the trailing dot of a host name.
fn trim_dot(name: &str) -> String {
    name.trim().trim_end_matches('.').to_owned()
}

/// Percent-decodes a query key or value (`+` is a space, as in HTML forms).
fn decode(text: &str) -> String {
    let (bytes, mut out, mut i) = (text.as_bytes(), Vec::new(), 0);
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    while i < bytes.len() {
        let pair = bytes.get(i + 1..i + 3).map(|h| (hex(h[0]), hex(h[1])));
        if let (b'%', Some((Some(high), Some(low)))) = (bytes[i], pair) {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// RFC 3339 UTC, as Cloudflare writes `created_on` and `modified_on`.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .expect("format the time")
}

/// 32 lowercase hex digits, like Cloudflare's ids. The counter makes them unique in the
/// process; the randomly keyed hash makes them differ between runs, as real ids would.
fn new_id() -> String {
    use std::hash::{BuildHasher, RandomState};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{n:016x}", RandomState::new().hash_one(n))
}
