//! A real, throwaway PowerDNS Authoritative server per test, on loopback, with its HTTP
//! API (DESIGN.md section 7), and helpers to inspect and disturb its zones.
//!
//! Everything lives in a temp dir: config, sqlite database, control socket, log. Nothing
//! reads or writes /etc/powerdns, and nothing relies on the systemd unit the Debian
//! package installs. The helpers block (std threads and processes only), so sync and
//! async tests alike call them directly.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ureq::Agent;
use ureq::http::{Method, Request};

/// How long a fresh server may take before its API answers (it usually takes ~0.1 s).
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long SIGTERM is given before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Fresh ports tried by `start` when another process grabbed the ones picked.
const START_ATTEMPTS: u32 = 5;
/// How long `restart` waits for its fixed ports to come free.
const RESTART_PATIENCE: Duration = Duration::from_secs(5);

pub struct PowerDns {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub api_url: String,
    pub api_key: String,
    /// UDP and TCP DNS port on 127.0.0.1.
    pub dns_port: u16,
    /// Always "localhost": the only server id PowerDNS knows.
    pub server_id: String,
    web_port: u16,
    child: Option<Child>,
    agent: Agent,
    /// Where this launch's output starts in `pdns.log` (it is appended to across restarts).
    log_from: u64,
    /// Last, so it is removed after Drop has killed the server.
    dir: tempfile::TempDir,
}

impl PowerDns {
    /// A fresh server with an empty database, its API answering.
    pub fn start() -> PowerDns {
        let binary = pdns_server();
        let dir = tempfile::Builder::new()
            .prefix("carve-pdns")
            .tempdir()
            .expect("create a temp dir for PowerDNS");
        create_database(&dir.path().join("pdns.sqlite3"));
        let mut pdns = PowerDns {
            api_url: String::new(),
            api_key: random_key(),
            dns_port: 0,
            server_id: "localhost".to_owned(),
            web_port: 0,
            child: None,
            agent: new_agent(),
            log_from: 0,
            dir,
        };
        // Ports are picked free, then released for pdns to bind: another process (a
        // parallel test) can take one in between, so a bind failure means "pick again".
        for _ in 0..START_ATTEMPTS {
            (pdns.dns_port, pdns.web_port) = free_ports();
            pdns.api_url = format!("http://127.0.0.1:{}", pdns.web_port);
            pdns.write_config();
            pdns.spawn(binary);
            if pdns.wait_ready() {
                return pdns;
            }
        }
        panic!(
            "pdns_server could not bind free ports {START_ATTEMPTS} times:\n{}",
            pdns.log_tail()
        );
    }

    /// Creates a Native zone. `zone` has no trailing dot, e.g. "113.0.203.in-addr.arpa"
    /// or the RFC 2317 "64/26.113.0.203.in-addr.arpa".
    pub fn create_zone(&self, zone: &str) {
        let body = json!({
            "name": fqdn(zone),
            "kind": "Native",
            "nameservers": ["ns1.example.net."],
        });
        let path = format!("/api/v1/servers/{}/zones", self.server_id);
        self.expect(Method::POST, &path, Some(body), 201);
    }

    /// Every zone's name, without the trailing dot, sorted.
    pub fn zones(&self) -> Vec<String> {
        let path = format!("/api/v1/servers/{}/zones", self.server_id);
        let body = self.expect(Method::GET, &path, None, 200);
        let mut names: Vec<String> = list(&body, "zones")
            .iter()
            .map(|zone| str_field(zone, "name").trim_end_matches('.').to_owned())
            .collect();
        names.sort();
        names
    }

    /// Every PTR in the zone: owner -> content, both as PowerDNS returns them (with
    /// trailing dots). Several records on one name are joined with " ", sorted.
    pub fn ptrs(&self, zone: &str) -> BTreeMap<String, String> {
        let body = self.expect(Method::GET, &self.zone_path(zone), None, 200);
        list(&body["rrsets"], "rrsets")
            .iter()
            .filter(|rrset| str_field(rrset, "type") == "PTR")
            .map(|rrset| {
                let mut contents: Vec<&str> = list(&rrset["records"], "records")
                    .iter()
                    .map(|record| str_field(record, "content"))
                    .collect();
                contents.sort();
                (str_field(rrset, "name").to_owned(), contents.join(" "))
            })
            .collect()
    }

    /// Replaces the PTR at `name` with one record, behind carve's back (drift).
    pub fn put_ptr(&self, zone: &str, name: &str, content: &str) {
        let rrset = json!({
            "name": fqdn(name),
            "type": "PTR",
            "ttl": 3600,
            "changetype": "REPLACE",
            "records": [{"content": fqdn(content), "disabled": false}],
        });
        self.patch(zone, rrset);
    }

    /// Deletes the PTR at `name` (nothing there is fine too).
    pub fn delete_ptr(&self, zone: &str, name: &str) {
        let rrset = json!({"name": fqdn(name), "type": "PTR", "changetype": "DELETE"});
        self.patch(zone, rrset);
    }

    /// SIGTERM, then a bounded wait (SIGKILL after 5 s). Its ports then refuse
    /// connections. Stopping a stopped server does nothing.
    /// The directory holding pdns.conf, for `pdnsutil --config-dir`.
    pub fn config_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // libc is not a dependency; the shell's builtin kill is there even where the
        // procps `kill` binary is not.
        let _ = Command::new("sh")
            .args(["-c", "kill -TERM \"$1\"", "sh", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts again on the same ports with the same database, so data persists and the
    /// URLs tests hold stay valid. Returns once the API answers.
    pub fn restart(&mut self) {
        self.stop();
        // Kept-alive connections died with the old process.
        self.agent = new_agent();
        let deadline = Instant::now() + RESTART_PATIENCE;
        loop {
            self.spawn(pdns_server());
            if self.wait_ready() {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "restarted pdns_server cannot bind its ports {} and {}:\n{}",
                    self.dns_port,
                    self.web_port,
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(100));
        }
    }

    fn write_config(&self) {
        let dir = self.dir.path().display();
        // distributor-threads=1: tests run many servers at once on few cores.
        let config = format!(
            "launch=gsqlite3\n\
             gsqlite3-database={dir}/pdns.sqlite3\n\
             local-address=127.0.0.1\n\
             local-port={}\n\
             webserver=yes\n\
             webserver-address=127.0.0.1\n\
             webserver-port={}\n\
             webserver-allow-from=127.0.0.0/8\n\
             api=yes\n\
             api-key={}\n\
             socket-dir={dir}\n\
             config-dir={dir}\n\
             guardian=no\n\
             daemon=no\n\
             security-poll-suffix=\n\
             distributor-threads=1\n",
            self.dns_port, self.web_port, self.api_key
        );
        std::fs::write(self.dir.path().join("pdns.conf"), config).expect("write pdns.conf");
    }

    fn spawn(&mut self, binary: &Path) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("pdns.log"))
            .expect("open pdns.log");
        self.log_from = log.metadata().map_or(0, |m| m.len());
        let child = Command::new(binary)
            .arg(format!("--config-dir={}", self.dir.path().display()))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", binary.display()));
        self.child = Some(child);
    }

    /// Polls the API until it answers 200 (true), or a port was taken (false: the
    /// process is gone). Panics on any other failure, with the end of pdns's log.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = format!("{}/api/v1/servers/{}", self.api_url, self.server_id);
        loop {
            let child = self.child.as_mut().expect("a launched server");
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                // DNS sockets are bound first, and failing to bind them is fatal.
                if self.log().contains("Address already in use") {
                    return false;
                }
                panic!(
                    "pdns_server exited ({status}) at start:\n{}",
                    self.log_tail()
                );
            }
            // Failing to bind the webserver is NOT fatal: pdns serves DNS without an API
            // while whoever holds the port answers (another test's pdns: 401).
            if self.log().contains("Listening on HTTP socket failed") {
                self.kill();
                return false;
            }
            // Short: a port held by a process that never answers must not eat the wait.
            let polled = (self.agent.get(&url).header("X-API-Key", &self.api_key))
                .config()
                .timeout_global(Some(Duration::from_millis(500)))
                .build()
                .call();
            let last = match polled {
                Ok(response) if response.status() == 200 => return true,
                Ok(response) => format!("HTTP {}", response.status()),
                Err(e) => e.to_string(),
            };
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "PowerDNS API at {url} not up after {READY_TIMEOUT:?} (last: {last}):\n{}",
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// This launch's output.
    fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.dir.path().join("pdns.log")) {
            let _ = file.seek(SeekFrom::Start(self.log_from));
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// `/` in an RFC 2317 zone name is written `=2F` in its zone id.
    fn zone_path(&self, zone: &str) -> String {
        let id = fqdn(zone).replace('/', "=2F");
        format!("/api/v1/servers/{}/zones/{id}", self.server_id)
    }

    fn patch(&self, zone: &str, rrset: Value) {
        let body = json!({ "rrsets": [rrset] });
        self.expect(Method::PATCH, &self.zone_path(zone), Some(body), 204);
    }

    /// One API call that must answer `want`; returns the JSON body (Null if none).
    fn expect(&self, method: Method, path: &str, body: Option<Value>, want: u16) -> Value {
        let url = format!("{}{path}", self.api_url);
        let request = Request::builder()
            .method(method.clone())
            .uri(&url)
            .header("X-API-Key", &self.api_key);
        let result = match body {
            Some(json) => self.agent.run(
                request
                    .header("Content-Type", "application/json")
                    .body(json.to_string())
                    .expect("build a request"),
            ),
            None => self.agent.run(request.body(()).expect("build a request")),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, want, "{method} {url} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

impl Drop for PowerDns {
    fn drop(&mut self) {
        // The database is thrown away with the temp dir: no need for a clean shutdown.
        self.kill();
    }
}

fn new_agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

/// A name with exactly one trailing dot.
fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

fn list<'a>(value: &'a Value, what: &str) -> &'a [Value] {
    value
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("PowerDNS sent no {what} array: {value}"))
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("PowerDNS sent no {key}: {value}"))
}

/// Where pdns_server is: Debian puts it in /usr/sbin, which a non-root PATH may lack.
fn pdns_server() -> &'static Path {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let path = std::env::var_os("PATH").unwrap_or_default();
            std::env::split_paths(&path)
                .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
                .map(|dir| dir.join("pdns_server"))
                .find(|candidate| candidate.is_file())
        })
        .as_deref()
        .expect(
            "pdns_server not found: install pdns-server and pdns-backend-sqlite3 (.ci/run does)",
        )
}

/// The gsqlite3 schema the backend package ships (PowerDNS 4.7 cannot create it itself).
fn schema() -> &'static Path {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND.get_or_init(|| {
        let listed = Command::new("dpkg")
            .args(["-L", "pdns-backend-sqlite3"])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default();
        let fallbacks = [
            "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
            "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
        ];
        // The exact file name: bind-dnssec.schema.sqlite3.sql and the upgrade scripts
        // also contain "schema.sqlite3.sql".
        listed
            .lines()
            .map(PathBuf::from)
            .chain(fallbacks.map(PathBuf::from))
            .find(|p| p.file_name() == Some("schema.sqlite3.sql".as_ref()) && p.is_file())
            .expect("schema.sqlite3.sql not found: install pdns-backend-sqlite3 (.ci/run does)")
    })
}

/// Runs the schema through the sqlite3 CLI (.ci/run installs it; no Rust sqlite crate
/// is a dependency).
fn create_database(db: &Path) {
    let schema = File::open(schema()).expect("open the PowerDNS sqlite schema");
    let out = Command::new("sqlite3")
        .arg(db)
        .stdin(schema)
        .output()
        .unwrap_or_else(|e| panic!("sqlite3 not found ({e}): install sqlite3 (.ci/run does)"));
    assert!(
        out.status.success(),
        "sqlite3 could not load the PowerDNS schema: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A DNS port free for both UDP and TCP, and a different free port for the API. The
/// sockets are held until both are chosen so the two differ, then released.
fn free_ports() -> (u16, u16) {
    loop {
        let dns = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = dns.local_addr().expect("a bound port").port();
        let Ok(_udp) = UdpSocket::bind(("127.0.0.1", port)) else {
            continue;
        };
        let web = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        return (port, web.local_addr().expect("a bound port").port());
    }
}

/// A key unique to this server, so an answer from anybody else's is a 401.
fn random_key() -> String {
    use std::hash::{BuildHasher, RandomState};
    let seed = (std::process::id(), std::time::SystemTime::now());
    format!("carve-test-{:016x}", RandomState::new().hash_one(seed))
}
