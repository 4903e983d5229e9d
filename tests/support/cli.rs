//! The real binary with `--json` against a test database: one JSON document back per
//! command, with the exit code and stderr.

use std::path::Path;

use serde_json::Value;

/// The sheet: Initech's /22 with a /24 of it in use.
pub const INITECH_SHEET: &str = "Subnet,Customer\n10.9.0.0/22,Initech\n10.9.0.0/24,Initech\n";

pub struct Cli<'a> {
    pub home: &'a Path,
    pub url: &'a str,
}

impl<'a> Cli<'a> {
    pub fn of(home: &'a Path, url: &'a str) -> Self {
        Cli { home, url }
    }

    /// Runs `carve --json --database-url URL ARGS` (with `stdin` fed in) and returns
    /// (exit code, the JSON document, stderr).
    pub fn json(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
        let mut command = super::carve(self.home);
        command
            .args(["--json", "--database-url", self.url])
            .args(args);
        let (code, stdout, stderr) = match stdin {
            None => super::run(&mut command),
            Some(text) => super::run_with_input(&mut command, text),
        };
        let doc =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout:?} {stderr}"));
        (code, doc, stderr)
    }

    /// FRA1 and cust-7422, the names every case here uses.
    pub fn site(&self) {
        self.ok(&["location", "add", "FRA1"]);
        self.ok(&["customer", "add", "cust-7422"]);
    }

    /// Writes `text` to `name` in the home and imports it.
    pub fn import(&self, name: &str, text: &str) -> Value {
        let sheet = self.home.join(name);
        std::fs::write(&sheet, text).unwrap();
        self.ok(&["import", sheet.to_str().unwrap()])
    }

    /// A transit service billed by the p95 plan `edge` (EUR 2 per Mbps); returns its id.
    pub async fn billed_transit(&self, db: &carve::store::Db) -> String {
        let transit = super::site::transit_services(db, 1).await[0].to_string();
        self.ok(&[
            "billing",
            "plan",
            "add",
            "edge",
            "--model",
            "p95",
            "--currency",
            "EUR",
            "--price-per-mbps",
            "2",
        ]);
        self.ok(&["billing", "assign", &transit, "--plan", "edge"]);
        transit
    }

    pub fn ok(&self, args: &[&str]) -> Value {
        let (code, doc, stderr) = self.json(args, None);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        doc
    }
}
