//! The pdns_server process: the files it needs (config, sqlite database), its launch on
//! free ports, and its log.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::PowerDns;
use crate::support::net::loopback_listener;

/// How long a fresh server may take before its API answers (it usually takes ~0.1 s).
const READY_TIMEOUT: Duration = Duration::from_secs(10);

impl PowerDns {
    pub(super) fn write_config(&self) {
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

    pub(super) fn spawn(&mut self, binary: &Path) {
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
    pub(super) fn wait_ready(&mut self) -> bool {
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

    pub(super) fn kill(&mut self) {
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

    pub(super) fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Where pdns_server is: Debian puts it in /usr/sbin, which a non-root PATH may lack.
pub(super) fn pdns_server() -> &'static Path {
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
            "pdns_server not found: install pdns-server and pdns-backend-sqlite3 (scripts/test does)",
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
            .expect(
                "schema.sqlite3.sql not found: install pdns-backend-sqlite3 (scripts/test does)",
            )
    })
}

/// Runs the schema through the sqlite3 CLI (.ci/run installs it; no Rust sqlite crate
/// is a dependency).
pub(super) fn create_database(db: &Path) {
    let schema = File::open(schema()).expect("open the PowerDNS sqlite schema");
    let out = Command::new("sqlite3")
        .arg(db)
        .stdin(schema)
        .output()
        .unwrap_or_else(|e| panic!("sqlite3 not found ({e}): install sqlite3 (scripts/test does)"));
    assert!(
        out.status.success(),
        "sqlite3 could not load the PowerDNS schema: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A DNS port free for both UDP and TCP, and a different free port for the API. The
/// sockets are held until both are chosen so the two differ, then released.
pub(super) fn free_ports() -> (u16, u16) {
    loop {
        let (_tcp, dns) = loopback_listener();
        let Ok(_udp) = UdpSocket::bind(dns) else {
            continue;
        };
        let (_web, web) = loopback_listener();
        return (dns.port(), web.port());
    }
}
