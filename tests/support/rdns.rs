//! Reverse DNS tests: a carve home whose config names the providers, the binary run in
//! it, and the outbox as the database holds it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::TestDb;
use super::cli::Cli;
use super::powerdns::PowerDns;

/// A carve home with `[[rdns.providers]]` written into its default config file.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl Home {
    /// `providers`: TOML for the `[[rdns.providers]]` tables.
    pub fn new(t: &TestDb, providers: &str) -> Home {
        let home = Home {
            dir: super::reachable_tempdir(),
            url: t.url.clone(),
        };
        home.configure(providers);
        home
    }

    pub fn configure(&self, providers: &str) {
        let dir = self.path().join("config/carve");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), providers).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file holding `secret`, for a `key_command = "cat FILE"`.
    pub fn secret_file(&self, secret: &str) -> PathBuf {
        let path = self.path().join("secret");
        std::fs::write(&path, format!("{secret}\n")).unwrap();
        path
    }

    /// A `powerdns` provider named "pdns" reaching `pdns` (its key read by key_command),
    /// with `settings` (prefixes, zones, create_zones...) added.
    pub fn powerdns(&self, pdns: &PowerDns, settings: &str) -> String {
        format!(
            "[[rdns.providers]]\nname = \"pdns\"\nkind = \"powerdns\"\nurl = \"{}\"\n\
             key_command = \"cat {}\"\n{settings}\n",
            pdns.api_url,
            self.secret_file(&pdns.api_key).display()
        )
    }

    pub fn cli(&self) -> Cli<'_> {
        Cli {
            home: self.path(),
            url: &self.url,
        }
    }

    pub fn ok(&self, args: &[&str]) -> Value {
        self.cli().ok(args)
    }

    /// (exit code, JSON, stderr) of `carve --json ARGS`.
    pub fn json(&self, args: &[&str]) -> (i32, Value, String) {
        self.cli().json(args, None)
    }

    /// `carve rdns sync ARGS` that must succeed: its report.
    pub fn sync(&self, args: &[&str]) -> Value {
        let mut all = vec!["rdns", "sync"];
        all.extend_from_slice(args);
        self.ok(&all)
    }

    /// An address of `pool` with a PTR name: the address.
    pub fn named(&self, pool: &str, name: &str) -> String {
        let ip = self.ok(&["ip", "allocate", "--subnet", pool, "--rdns", name]);
        ip["address"].as_str().unwrap().to_owned()
    }
}

/// Every difference a sync reported, as `address kind`.
pub fn differences(report: &Value) -> Vec<String> {
    report["zones"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|z| z["differences"].as_array().unwrap().clone())
        .map(|d| {
            format!(
                "{} {}",
                d["address"].as_str().unwrap(),
                d["kind"].as_str().unwrap()
            )
        })
        .collect()
}

/// Writes that reached DNS, over all zones of a report.
pub fn pushed(report: &Value) -> u64 {
    report["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["pushed"].as_u64().unwrap())
        .sum()
}

/// The outbox: `address ptr-or-DELETE attempts`, in address order.
pub async fn outbox(t: &TestDb) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT host(address) || ' ' || coalesce(ptr, 'DELETE') || ' ' || attempts
         FROM rdns_outbox ORDER BY address",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap()
}
