//! `carve report utilization --format prometheus` through the real binary: the
//! exposition text is read by the Prometheus Python client's own parser, and its figures
//! must equal `report utilization --json` of the same database, the demo's included.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::rdns::Home;

/// A Python that has the Prometheus client library (Debian's python3-prometheus-client,
/// which scripts/test installs).
fn python() -> &'static str {
    ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import prometheus_client"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("no python3 with prometheus_client: apt-get install python3-prometheus-client")
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    if family.type != "gauge" or not family.documentation:
        sys.exit("family %s: type %s, help %r" % (family.name, family.type, family.documentation))
    for s in family.samples:
        out.append([s.name, s.labels, s.value])
print(json.dumps(out))
"#;

/// Sample name -> its samples as (labels, value).
type Samples = BTreeMap<String, Vec<(BTreeMap<String, String>, f64)>>;

fn parse_prometheus(text: &str) -> Samples {
    let (code, stdout, stderr) =
        support::run_with_input(Command::new(python()).args(["-c", PARSE]), text);
    assert_eq!(code, 0, "{stderr}\n{text}");
    let rows: Vec<(String, BTreeMap<String, String>, f64)> = serde_json::from_str(&stdout).unwrap();
    let mut samples = Samples::new();
    for (name, labels, value) in rows {
        samples.entry(name).or_default().push((labels, value));
    }
    samples
}

fn value(samples: &Samples, name: &str, want: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = samples
        .get(name)?
        .iter()
        .filter(|(labels, _)| {
            want.iter()
                .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(v))
        })
        .map(|(_, v)| *v)
        .collect();
    assert!(
        found.len() <= 1,
        "{name} {want:?} is not one sample: {found:?}"
    );
    found.first().copied()
}

fn as_f64(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Every pool of the JSON report has its figures in the metrics, and nothing more.
fn assert_same_figures(samples: &Samples, report: &Value) {
    let pools = report["pools"].as_array().unwrap();
    assert!(!pools.is_empty());
    assert_eq!(samples["carve_space_size_addresses"].len(), pools.len());
    for p in pools {
        let cidr = p["cidr"].as_str().unwrap();
        let kind = p["kind"].as_str().unwrap();
        let location = p["location"].as_str().unwrap_or("");
        let family = if cidr.contains(':') { "6" } else { "4" };
        let id = [
            ("pool", cidr),
            ("kind", kind),
            ("location", location),
            ("family", family),
        ];
        let with = |state: &'static str| {
            let mut labels = id.to_vec();
            labels.push(("state", state));
            labels
        };
        for state in ["used", "reserved", "parked", "free"] {
            let got = value(samples, "carve_space_addresses", &with(state));
            assert_eq!(got, Some(as_f64(&p[state])), "{cidr} {kind} {state}");
        }
        assert_eq!(
            value(samples, "carve_space_size_addresses", &id),
            Some(as_f64(&p["total"]))
        );
        let ratio = value(samples, "carve_space_used_ratio", &id).unwrap();
        assert!(
            (ratio * 100.0 - as_f64(&p["percent_used"])).abs() < 1e-9,
            "{cidr}"
        );
        if p.get("total_64s").is_some() {
            let total = as_f64(&p["total_64s"]);
            let mut rest = 0.0;
            for state in ["reserved", "parked", "free"] {
                let n = as_f64(&p[format!("{state}_64s")]);
                rest += n;
                assert_eq!(
                    value(samples, "carve_space_64s", &with(state)),
                    Some(n),
                    "{cidr} {state}"
                );
            }
            assert_eq!(
                value(samples, "carve_space_64s", &with("used")),
                Some(total - rest)
            );
            assert_eq!(value(samples, "carve_space_size_64s", &id), Some(total));
        } else {
            assert_eq!(value(samples, "carve_space_size_64s", &id), None, "{cidr}");
        }
    }
}

fn run_in(home: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    support::run(
        support::carve(home)
            .args(["--database-url", url])
            .args(args),
    )
}

const PROVIDER: &str = r#"
[[rdns.providers]]
name = "zones.int"
kind = "internal"
prefixes = ["203.0.113.0/24"]
nameservers = ["ns1.example.net"]
hostmaster = "hostmaster@example.net"
"#;

#[tokio::test]
async fn prometheus_metrics_parse_and_equal_the_json_report() {
    let t = support::test_db().await;
    let home = Home::new(&t, "");
    let zones = home.path().join("zones");
    home.configure(&format!("{PROVIDER}directory = \"{}\"\n", zones.display()));
    for args in [
        &["location", "add", "FRA \"1\" \\ east"][..],
        &[
            "subnet",
            "add",
            "203.0.113.0/24",
            "--pool",
            "--location",
            "FRA \"1\" \\ east",
        ],
        &["subnet", "add", "198.51.100.0/28", "--pool"],
        &["subnet", "add", "10.0.0.0/16"],
        &["subnet", "allocate", "--cidr", "10.0.0.0/24"],
        &["subnet", "reserve", "10.0.1.0/24"],
        &["subnet", "park", "10.0.2.0/23"],
        &["subnet", "add", "2001:db8::/48"],
        &["subnet", "allocate", "--cidr", "2001:db8::/64"],
        &["subnet", "park", "2001:db8:0:100::/56"],
    ] {
        home.ok(args);
    }
    home.named("203.0.113.0/24", "web.example.net");
    home.ok(&["rdns", "sync"]);
    home.named("198.51.100.0/28", "waits.example.net");
    home.named("198.51.100.0/28", "waits-too.example.net");

    let (code, text, stderr) = run_in(
        home.path(),
        &t.url,
        &["report", "utilization", "--format", "prometheus"],
    );
    assert_eq!(code, 0, "{stderr}");
    let samples = parse_prometheus(&text);
    let report = home.ok(&["report", "utilization"]);
    assert_same_figures(&samples, &report);
    assert!(text.contains(r#"location="FRA \"1\" \\ east""#), "{text}");

    let pending = support::rdns::outbox(&t).await.len() as f64;
    assert_eq!(pending, 2.0);
    assert_eq!(
        value(&samples, "carve_rdns_outbox_pending", &[]),
        Some(pending)
    );
    let age = value(
        &samples,
        "carve_rdns_outbox_oldest_pending_age_seconds",
        &[],
    )
    .unwrap();
    assert!((0.0..3600.0).contains(&age), "{age}");
    let provider = [("provider", "zones.int")];
    assert_eq!(
        value(&samples, "carve_rdns_last_sync_ok", &provider),
        Some(1.0)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let last = value(
        &samples,
        "carve_rdns_last_success_timestamp_seconds",
        &provider,
    )
    .unwrap();
    assert!(
        (now - 3600.0..=now + 60.0).contains(&last),
        "{last} vs {now}"
    );

    // --json and --format both choose the output: refused, nothing printed on stdout.
    let (code, doc, _) = home.json(&["report", "utilization", "--format", "prometheus"]);
    assert_eq!(code, 1, "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--format"),
        "{doc}"
    );
}

#[test]
fn the_demo_database_as_metrics_equals_its_json_report() {
    let home = support::reachable_tempdir();
    let home = home.path();
    struct Stop<'a>(&'a Path);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = support::carve(self.0)
                .args(["db", "local", "stop"])
                .output();
        }
    }
    let _stop = Stop(home);
    let (code, _, stderr) = support::run(support::carve(home).arg("demo"));
    assert_eq!(code, 0, "{stderr}");
    let (_, status, _) =
        support::run(support::carve(home).args(["--json", "db", "local", "status"]));
    let status: Value = serde_json::from_str(&status).unwrap();
    let url = format!(
        "postgresql://carve@localhost/carve_demo?host={}",
        status["socket_dir"].as_str().unwrap()
    );
    let (code, text, stderr) = run_in(
        home,
        &url,
        &["report", "utilization", "--format", "prometheus"],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, report, stderr) = run_in(home, &url, &["--json", "report", "utilization"]);
    assert_eq!(code, 0, "{stderr}");
    assert_same_figures(
        &parse_prometheus(&text),
        &serde_json::from_str(&report).unwrap(),
    );
}
