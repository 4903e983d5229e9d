//! A real, throwaway PowerDNS Authoritative server per test, on loopback, with its HTTP
//! API (DESIGN.md section 7), and helpers to inspect and disturb its zones.
//!
//! Everything lives in a temp dir: config, sqlite database, control socket, log. Nothing
//! reads or writes /etc/powerdns, and nothing relies on the systemd unit the Debian
//! package installs. The helpers block (std threads and processes only), so sync and
//! async tests alike call them directly.
//!
//! `process` runs pdns_server and prepares its files; `api` talks to its HTTP API.

mod api;
mod process;

use std::process::{Child, Command};
use std::thread::sleep;
use std::time::{Duration, Instant};

use ureq::Agent;

use super::net::random_hex;

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
        let binary = process::pdns_server();
        let dir = tempfile::Builder::new()
            .prefix("carve-pdns")
            .tempdir()
            .expect("create a temp dir for PowerDNS");
        process::create_database(&dir.path().join("pdns.sqlite3"));
        let mut pdns = PowerDns {
            api_url: String::new(),
            api_key: random_key(),
            dns_port: 0,
            server_id: "localhost".to_owned(),
            web_port: 0,
            child: None,
            agent: api::new_agent(),
            log_from: 0,
            dir,
        };
        // Ports are picked free, then released for pdns to bind: another process (a
        // parallel test) can take one in between, so a bind failure means "pick again".
        for _ in 0..START_ATTEMPTS {
            (pdns.dns_port, pdns.web_port) = process::free_ports();
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

    /// The directory holding pdns.conf, for `pdnsutil --config-dir`.
    pub fn config_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Loads a BIND zone file as `zone` with pdnsutil and checks it: panics on an error.
    pub fn load_zone_file(&self, zone: &str, file: &std::path::Path) {
        let pdnsutil = |args: &[&str]| {
            let out = Command::new("pdnsutil")
                .arg(format!("--config-dir={}", self.config_dir().display()))
                .args(args)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{args:?}: {text}");
            text
        };
        pdnsutil(&["load-zone", zone, file.to_str().unwrap()]);
        let checked = pdnsutil(&["check-zone", zone]);
        assert!(!checked.contains("[Error]"), "{zone}: {checked}");
    }

    /// SIGTERM, then a bounded wait (SIGKILL after 5 s). Its ports then refuse
    /// connections. Stopping a stopped server does nothing.
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
        self.agent = api::new_agent();
        let deadline = Instant::now() + RESTART_PATIENCE;
        loop {
            self.spawn(process::pdns_server());
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
}

impl Drop for PowerDns {
    fn drop(&mut self) {
        // The database is thrown away with the temp dir: no need for a clean shutdown.
        self.kill();
    }
}

/// A key unique to this server, so an answer from anybody else's is a 401.
fn random_key() -> String {
    format!("carve-test-{}", &random_hex()[..16])
}
