//! The example systemd units and cron file under contrib/: they parse, run the carve
//! binary (at the path a user adapts) as a dedicated user with command lines carve
//! accepts, hold no secrets, and pass `systemd-analyze verify` where it is installed.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the examples call carve; the user adapts it to where carve is installed.
const CARVE: &str = "/usr/local/bin/carve";

/// section -> key -> values (a key may be given more than once).
type Ini = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn contrib(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(path)
}

/// A unit file as systemd reads it: `[Section]` headers, `Key=Value`, `#`/`;` comments.
/// Anything else is a parse error naming the line.
fn parse_unit(path: &Path) -> Ini {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut ini = Ini::new();
    let mut section: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(name.to_owned());
            ini.entry(name.to_owned()).or_default();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{path:?} line {}: not Key=Value: {line}", n + 1));
        let section = section
            .as_ref()
            .unwrap_or_else(|| panic!("{path:?} line {}: a key before any section", n + 1));
        ini.get_mut(section)
            .unwrap()
            .entry(key.trim().to_owned())
            .or_default()
            .push(value.trim().to_owned());
    }
    ini
}

#[track_caller]
fn one<'a>(ini: &'a Ini, section: &str, key: &str, file: &str) -> &'a str {
    let values = ini
        .get(section)
        .and_then(|s| s.get(key))
        .unwrap_or_else(|| panic!("{file}: no {key}= in [{section}]"));
    assert_eq!(
        values.len(),
        1,
        "{file}: {key}= given {} times",
        values.len()
    );
    &values[0]
}

/// The arguments after the carve path are a command line carve's parser accepts (clap
/// refuses an unknown flag or subcommand before it gets to `--help`).
#[track_caller]
fn carve_accepts(command: &str, file: &str) -> Vec<String> {
    let args = command
        .strip_prefix(CARVE)
        .unwrap_or_else(|| panic!("{file}: runs {command:?}, not {CARVE}"));
    let args: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
    let home = tempfile::tempdir().unwrap();
    let (code, _, stderr) = support::run(support::carve(home.path()).args(&args).arg("--help"));
    assert_eq!(code, 0, "{file}: carve refuses {args:?}: {stderr}");
    args
}

/// Text that would put a secret into a unit or crontab, which anyone may read.
#[track_caller]
fn no_secrets(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap().to_lowercase();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for word in [
            "password",
            "token",
            "secret",
            "pgpass",
            "://",
            "--database-url",
        ] {
            assert!(!line.contains(word), "{path:?} holds {word:?}: {line}");
        }
    }
}

/// Each unit pair and the carve command line it runs.
const UNITS: [(&str, &[&str]); 2] = [
    ("carve-rdns-sync", &["rdns", "sync", "--due"]),
    ("carve-rdns-full-sync", &["rdns", "sync"]),
];

#[test]
fn the_units_run_carve_as_a_dedicated_user_on_a_timer_without_secrets() {
    for (name, expected) in UNITS {
        let service_file = format!("{name}.service");
        let path = contrib(&format!("systemd/{service_file}"));
        let service = parse_unit(&path);
        no_secrets(&path);
        one(&service, "Unit", "Description", &service_file);
        assert_eq!(one(&service, "Service", "Type", &service_file), "oneshot");
        let user = one(&service, "Service", "User", &service_file);
        assert!(
            !["root", "0", ""].contains(&user),
            "{service_file}: runs as {user:?}, not a dedicated user"
        );
        let exec = one(&service, "Service", "ExecStart", &service_file);
        assert_eq!(carve_accepts(exec, &service_file), *expected);
        let config = &service["Service"]["Environment"];
        assert!(
            config.iter().any(|e| e.starts_with("CARVE_CONFIG=/")),
            "{service_file}: names the config file that holds the database and credentials"
        );

        let timer_file = format!("{name}.timer");
        let path = contrib(&format!("systemd/{timer_file}"));
        let timer = parse_unit(&path);
        no_secrets(&path);
        assert_eq!(one(&timer, "Timer", "Unit", &timer_file), service_file);
        assert_eq!(
            one(&timer, "Install", "WantedBy", &timer_file),
            "timers.target"
        );
        let when = &timer["Timer"];
        assert!(
            when.contains_key("OnCalendar") || when.contains_key("OnUnitActiveSec"),
            "{timer_file}: says when it runs"
        );
    }
}

#[test]
fn the_cron_file_runs_both_syncs_as_a_dedicated_user() {
    let path = contrib("cron/carve");
    no_secrets(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut jobs = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() == 1 && line.contains('=') {
            continue; // An environment line of /etc/cron.d.
        }
        assert!(
            fields.len() > 6,
            "not minute hour day month weekday user command: {line}"
        );
        assert!(!["root", "0"].contains(&fields[5]), "runs as root: {line}");
        let command = fields[6..].join(" ");
        let command = command.split(" >").next().unwrap();
        jobs.push(carve_accepts(command, "contrib/cron/carve"));
    }
    let expected: Vec<Vec<String>> = UNITS
        .iter()
        .map(|(_, args)| args.iter().map(|a| (*a).to_owned()).collect())
        .collect();
    assert_eq!(jobs, expected);
}

#[test]
fn systemd_analyze_verifies_the_units() {
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        // Not silently: the suite says so, and only where it was told systemd is absent.
        assert!(
            std::env::var_os("CARVE_TEST_NO_SYSTEMD_ANALYZE").is_some(),
            "systemd-analyze is not installed: install systemd (apt-get install systemd) or \
             set CARVE_TEST_NO_SYSTEMD_ANALYZE=1 to skip the verify (scripts/test does)"
        );
        eprintln!("skipped: systemd-analyze verify (not installed); the units were only parsed");
        return;
    };
    assert!(out.status.success());
    // verify checks that ExecStart's binary exists: the copies run the binary just built,
    // as a user who adapts the path would.
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, _) in UNITS {
        for kind in ["service", "timer"] {
            let file = format!("{name}.{kind}");
            let text = std::fs::read_to_string(contrib(&format!("systemd/{file}"))).unwrap();
            let copy = dir.path().join(&file);
            std::fs::write(&copy, text.replace(CARVE, env!("CARGO_BIN_EXE_carve"))).unwrap();
            files.push(copy);
        }
    }
    // The manual page is the user's to install (README); its link is not checked here.
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    assert_eq!(stderr, "", "systemd-analyze verify warns");
}
