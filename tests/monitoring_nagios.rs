//! `carve report utilization --format nagios` through the real binary: the status line
//! is read by a parser of the Nagios plugin guidelines' grammar, its performance data
//! must equal `report utilization --json`, and the exit code follows the plugin rules.

mod support;

use serde_json::Value;

fn as_f64(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn run_in(home: &std::path::Path, url: &str, args: &[&str]) -> (i32, String, String) {
    support::run(
        support::carve(home)
            .args(["--database-url", url])
            .args(args),
    )
}

/// One performance datum: label, value, unit, and warn, crit, min, max (empty if unset).
type Perf = (String, f64, String, [String; 4]);

/// A status line by the Nagios plugin guidelines: `TEXT | perfdata`, perfdata being
/// `'label'=value[UOM];[warn];[crit];[min];[max]` separated by spaces, a label quoted
/// when it holds spaces, a quote in it doubled.
fn parse_nagios(line: &str) -> (String, Vec<Perf>) {
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
    assert_eq!(stdout.lines().count(), 1);
}

/// A check that cannot run at all (a mistyped flag, a broken config file) is UNKNOWN
/// with one status line, never CRITICAL: it must not page anyone as a full pool.
#[test]
fn a_check_that_cannot_run_is_unknown_not_critical() {
    let home = support::reachable_tempdir();
    let nagios = ["report", "utilization", "--format", "nagios"];
    let (code, stdout, stderr) =
        support::run(support::carve(home.path()).args(nagios).arg("--warnign=80"));
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("UTILIZATION UNKNOWN - ") && stdout.contains("--warnign"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let config = home.path().join("broken.toml");
    std::fs::write(&config, "[database]\nurl = 5\n").unwrap();
    let (code, stdout, _) = support::run(
        support::carve(home.path())
            .env("CARVE_CONFIG", &config)
            .args(["report", "utilization", "--format=nagios"]),
    );
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.starts_with("UTILIZATION UNKNOWN - ") && stdout.contains("database.url"),
        "{stdout}"
    );

    // Help is still help, and other formats keep the usage exit code.
    let (code, _, _) = support::run(support::carve(home.path()).args(nagios).arg("--help"));
    assert_eq!(code, 0);
    let (code, _, _) =
        support::run(support::carve(home.path()).args(["report", "utilization", "--warnign=80"]));
    assert_eq!(code, 2);
}
