//! `carve report utilization --format prometheus|nagios` through the real binary. The
//! exposition text is read by the Prometheus Python client's own parser, the status line
//! by a parser of the Nagios plugin guidelines' grammar; both figures must equal
//! `report utilization --json` of the same database, the demo's included.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
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
    use std::io::Write;
    let mut child = Command::new(python())
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, BTreeMap<String, String>, f64)> =
        serde_json::from_slice(&out.stdout).unwrap();
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

/// A status line by the Nagios plugin guidelines: `TEXT | perfdata`, perfdata being
/// `'label'=value[UOM];[warn];[crit];[min];[max]` separated by spaces, a label quoted
/// when it holds spaces, a quote in it doubled.
fn parse_nagios(line: &str) -> (String, Vec<(String, f64, String, [String; 4])>) {
    assert_eq!(line.lines().count(), 1, "{line}");
    let Some((text, perf)) = line.split_once(" | ") else {
        return (line.to_owned(), Vec::new());
    };
    assert!(!text.contains('|'), "{line}");
    let mut out = Vec::new();
    let mut rest = perf.trim();
    while !rest.is_empty() {
        let (label, after) = if let Some(quoted) = rest.strip_prefix('\'') {
            let mut label = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '\'')) if quoted[i + 1..].starts_with('\'') => {
                        label.push('\'');
                        chars.next();
                    }
                    Some((i, '\'')) => break i + 1,
                    Some((_, c)) => label.push(c),
                    None => panic!("unterminated label: {perf}"),
                }
            };
            (label, &quoted[end..])
        } else {
            let end = rest.find('=').expect("label=value");
            (rest[..end].to_owned(), &rest[end..])
        };
        let after = after
            .strip_prefix('=')
            .unwrap_or_else(|| panic!("no = after {label}: {perf}"));
        let end = after.find(' ').unwrap_or(after.len());
        let fields: Vec<&str> = after[..end].split(';').collect();
        assert!(fields.len() <= 5, "{perf}");
        let number = fields[0].trim_end_matches(|c: char| !c.is_ascii_digit() && c != '.');
        let uom = fields[0][number.len()..].to_owned();
        assert!(
            ["", "%", "s", "ms", "us", "B", "KB", "MB", "TB", "c"].contains(&uom.as_str()),
            "{uom}"
        );
        let numeric = |s: &str| s.is_empty() || s.parse::<f64>().is_ok();
        let extra: [String; 4] =
            std::array::from_fn(|i| fields.get(i + 1).unwrap_or(&"").to_string());
        assert!(extra.iter().all(|f| numeric(f)), "{perf}");
        out.push((label, number.parse().unwrap(), uom, extra));
        rest = after[end..].trim_start();
    }
    (text.to_owned(), out)
}

#[tokio::test]
async fn the_nagios_check_follows_the_plugin_rules() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = support::cli::Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.0.0.0/24"]);
    cli.ok(&["subnet", "allocate", "--cidr", "10.0.0.0/26"]);
    cli.ok(&["subnet", "add", "192.0.2.0/29", "--pool"]);
    for _ in 0..5 {
        cli.ok(&["ip", "allocate", "--subnet", "192.0.2.0/29"]);
    }
    let report = cli.ok(&["report", "utilization"]);
    let check = |args: &[&str]| {
        let mut all = vec!["report", "utilization", "--format", "nagios"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = run_in(home.path(), &t.url, &all);
        let (text, perf) = parse_nagios(stdout.trim_end_matches('\n'));
        (code, text, perf, stderr)
    };
    // 10.0.0.0/24 is 25% used, the pool's 6 usable addresses 5/6 (83%).
    let (code, text, perf, _) = check(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("UTILIZATION OK - "), "{text}");
    assert_eq!(perf.len(), report["pools"].as_array().unwrap().len());
    for p in report["pools"].as_array().unwrap() {
        let name = match p["kind"].as_str().unwrap() {
            "block" => p["cidr"].as_str().unwrap().to_owned(),
            _ => format!("{} addresses", p["cidr"].as_str().unwrap()),
        };
        let (_, value, uom, [_, _, min, max]) = perf.iter().find(|(l, ..)| *l == name).unwrap();
        assert_eq!((*value, uom.as_str()), (as_f64(&p["percent_used"]), "%"));
        assert_eq!((min.as_str(), max.as_str()), ("0", "100"));
    }
    let (code, text, perf, _) = check(&["--warning", "50", "--critical", "90"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("UTILIZATION WARNING - ") && text.contains("192.0.2.0/29"),
        "{text}"
    );
    assert_eq!((perf[0].3[0].as_str(), perf[0].3[1].as_str()), ("50", "90"));
    let (code, text, _, _) = check(&["--warning", "10", "--critical", "80"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.starts_with("UTILIZATION CRITICAL - "), "{text}");
    let (code, text, _, _) = check(&["--threshold", "20"]);
    assert_eq!(code, 2, "--threshold is the critical one: {text}");
    for bad in [
        &["--warning", "95", "--critical", "90"][..],
        &["--critical", "101"],
    ] {
        let (code, text, _, _) = check(bad);
        assert_eq!(code, 3, "{bad:?}: {text}");
        assert!(
            text.starts_with("UTILIZATION UNKNOWN - ") && text.contains(bad[bad.len() - 2]),
            "{text}"
        );
    }
    let mut gone = url::Url::parse(&t.url).unwrap();
    gone.set_path("/no_such_database");
    let (code, stdout, _) = run_in(
        home.path(),
        gone.as_str(),
        &["report", "utilization", "--format", "nagios"],
    );
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.starts_with("UTILIZATION UNKNOWN - cannot connect"),
        "{stdout}"
    );
    assert_eq!(json!(stdout.lines().count()), json!(1));
}
