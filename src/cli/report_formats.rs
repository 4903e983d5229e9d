//! The utilisation report for monitoring systems: Prometheus's text exposition format
//! (for node_exporter's textfile collector) and a Nagios plugin's status line. Both
//! print the figures of `report utilization --json`, only shaped for their reader.

use std::fmt::Write;

use crate::config::Settings;
use crate::error::{Error, ErrorKind, Result};
use crate::service::database;
use crate::service::monitoring::Monitoring;
use crate::service::report::{PoolKind, PoolLine, Report, ReportQuery, utilization};

/// One metric family: its HELP and TYPE lines, then its samples (label set, value).
fn family(text: &mut String, name: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
    for (labels, value) in samples {
        match labels.is_empty() {
            true => writeln!(text, "{name} {value}"),
            false => writeln!(text, "{name}{{{labels}}} {value}"),
        }
        .ok();
    }
}

/// A label value as the exposition format requires: backslash, double quote and line
/// feed escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn pool_labels(p: &PoolLine) -> String {
    let kind = match p.kind {
        PoolKind::Block => "block",
        PoolKind::Addresses => "addresses",
    };
    let family = if p.cidr.addr().is_ipv4() { 4 } else { 6 };
    format!(
        "pool=\"{}\",kind=\"{kind}\",family=\"{family}\",location=\"{}\"",
        p.cidr,
        label(p.location.as_deref().unwrap_or(""))
    )
}

const STATES: [&str; 4] = ["used", "reserved", "parked", "free"];

pub fn prometheus(m: &Monitoring) -> String {
    let mut text = String::new();
    let (mut by_state, mut totals, mut by_state_64s, mut totals_64s, mut ratio) =
        (vec![], vec![], vec![], vec![], vec![]);
    for p in &m.report.pools {
        let labels = pool_labels(p);
        let u = &p.capacity.usage;
        for (state, n) in STATES.iter().zip([u.used, u.reserved, u.parked, u.free]) {
            by_state.push((format!("{labels},state=\"{state}\""), n.to_string()));
        }
        totals.push((labels.clone(), u.total.to_string()));
        if let Some(counts) = u.in_64s() {
            for (state, n) in STATES.iter().zip(counts) {
                by_state_64s.push((format!("{labels},state=\"{state}\""), n.to_string()));
            }
            totals_64s.push((labels.clone(), counts[4].to_string()));
        }
        ratio.push((labels, (p.capacity.percent_used / 100.0).to_string()));
    }
    family(
        &mut text,
        "carve_space_addresses",
        "Addresses of a root block or address pool by state (used, reserved, parked, free).",
        &by_state,
    );
    family(
        &mut text,
        "carve_space_size_addresses",
        "All addresses of a root block, or the usable ones of an address pool.",
        &totals,
    );
    family(
        &mut text,
        "carve_space_64s",
        "An IPv6 block's /64s by state.",
        &by_state_64s,
    );
    family(
        &mut text,
        "carve_space_size_64s",
        "All /64s of an IPv6 block.",
        &totals_64s,
    );
    family(
        &mut text,
        "carve_space_used_ratio",
        "The used share of a block or pool, 0 to 1 (reserved and parked not counted).",
        &ratio,
    );
    let none = String::new();
    family(
        &mut text,
        "carve_rdns_outbox_pending",
        "PTR changes waiting in the rDNS outbox.",
        &[(none.clone(), m.rdns.pending.to_string())],
    );
    family(
        &mut text,
        "carve_rdns_outbox_oldest_pending_age_seconds",
        "How long the oldest waiting PTR change has waited (0 when none waits).",
        &[(none, m.rdns.oldest_pending_secs.to_string())],
    );
    let provider = |name: &str| format!("provider=\"{}\"", label(name));
    let last_ok: Vec<_> = m
        .rdns
        .providers
        .iter()
        .filter_map(|p| Some((provider(&p.name), p.last_ok_at?.to_string())))
        .collect();
    let good: Vec<_> = m
        .rdns
        .providers
        .iter()
        .map(|p| {
            (
                provider(&p.name),
                u8::from(p.last_sync_ok == Some(true)).to_string(),
            )
        })
        .collect();
    family(
        &mut text,
        "carve_rdns_last_success_timestamp_seconds",
        "Unix time of a provider's last good sync (absent: never).",
        &last_ok,
    );
    family(
        &mut text,
        "carve_rdns_last_sync_ok",
        "1 when a provider's last sync was good, 0 when it failed or never ran.",
        &good,
    );
    text
}

/// The Nagios plugin: one status line with performance data on stdout, the exit code
/// the plugin rules give (0 ok, 1 warning, 2 critical, 3 unknown: carve could not tell,
/// a bad threshold or an unreachable database included).
pub async fn nagios_check(
    settings: &Settings,
    query: &ReportQuery,
    warning: Option<f64>,
    critical: Option<f64>,
) -> Result<()> {
    let mut query = query.clone();
    let verdict = async {
        for (flag, value) in [("--warning", warning), ("--critical", critical)] {
            if let Some(v) = value
                && !(0.0..=100.0).contains(&v)
            {
                return Err(Error::validation(format!(
                    "{flag} {v} is not a percentage (0 to 100)"
                )));
            }
        }
        query.threshold = critical.or(query.threshold);
        if let (Some(w), Some(c)) = (warning, query.threshold)
            && w > c
        {
            return Err(Error::validation(format!(
                "--warning {w} is above the critical threshold {c} (--critical or \
                 --threshold): warning comes first"
            )));
        }
        let (db, _) = database::open(settings).await?;
        let report = utilization(&db, &query).await?;
        Ok(nagios(&report, warning))
    }
    .await;
    let (line, code) = verdict.unwrap_or_else(|e| {
        let message = e.message.lines().collect::<Vec<_>>().join("; ");
        (format!("UTILIZATION UNKNOWN - {message}"), 3)
    });
    super::output::print_line(&line);
    match code {
        0 => Ok(()),
        code => Err(Error::new(ErrorKind::Check(code), line)),
    }
}

/// The status line and exit code of a report: critical when any pool is over the
/// critical threshold (the report's own `over`), warning when any is over `warning`.
fn nagios(report: &Report, warning: Option<f64>) -> (String, u8) {
    let warned: Vec<&PoolLine> = report
        .pools
        .iter()
        .filter(|p| warning.is_some_and(|w| p.capacity.percent_used > w))
        .collect();
    let (state, code) = if !report.over.is_empty() {
        ("CRITICAL", 2)
    } else if !warned.is_empty() {
        ("WARNING", 1)
    } else {
        ("OK", 0)
    };
    let fullest = report
        .pools
        .iter()
        .max_by(|a, b| a.capacity.percent_used.total_cmp(&b.capacity.percent_used));
    let mut summary = match fullest {
        None => "no blocks or pools match".to_owned(),
        Some(p) => format!(
            "{} block(s) and pool(s), fullest {} at {:.1}%",
            report.pools.len(),
            p.cidr,
            p.capacity.percent_used
        ),
    };
    if !report.over.is_empty() {
        let over: Vec<String> = report.over.iter().map(ToString::to_string).collect();
        let _ = write!(summary, "; critical: {}", over.join(", "));
    } else if !warned.is_empty() {
        let over: Vec<String> = warned.iter().map(|p| p.cidr.to_string()).collect();
        let _ = write!(summary, "; warning: {}", over.join(", "));
    }
    let threshold = |t: Option<f64>| t.map(|t| t.to_string()).unwrap_or_default();
    let perfdata: Vec<String> = report
        .pools
        .iter()
        .map(|p| {
            let name = match p.kind {
                PoolKind::Block => p.cidr.to_string(),
                PoolKind::Addresses => format!("{} addresses", p.cidr),
            };
            format!(
                "'{}'={}%;{};{};0;100",
                name.replace('\'', "''"),
                p.capacity.percent_used,
                threshold(warning),
                threshold(report.threshold)
            )
        })
        .collect();
    let mut line = format!("UTILIZATION {state} - {summary}");
    if !perfdata.is_empty() {
        let _ = write!(line, " | {}", perfdata.join(" "));
    }
    (line, code)
}
