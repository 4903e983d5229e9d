//! `carve report utilization`: capacity of every block and address pool, and a check
//! for monitoring (exit 1 when any is over `--threshold`), also as Prometheus metrics
//! or a Nagios plugin's status line.

use clap::Subcommand;

use super::output::{Output, cell, clean, table, write_out};
use super::report_formats as formats;
use crate::config::Settings;
use crate::error::{Error, ErrorKind, Result};
use crate::service::database;
use crate::service::monitoring::monitoring;
use crate::service::report::{PoolKind, PoolLine, Report, ReportQuery, utilization};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Used, free and total per root block and address pool (IPv6 also in /64s), the
    /// largest free block, fragmentation and free blocks by length. With --threshold,
    /// exits 1 when any pool is fuller than PCT percent (a monitoring check).
    Utilization {
        /// Exit 1 when any block or pool has more than PCT percent used (with --format
        /// nagios: the critical threshold, unless --critical is given).
        #[arg(long, value_name = "PCT")]
        threshold: Option<f64>,
        /// Only blocks and pools at this location.
        #[arg(long, value_name = "LOC")]
        location: Option<String>,
        /// Only IPv4 (4) or IPv6 (6).
        #[arg(long, value_name = "4|6")]
        family: Option<u8>,
        /// text (the table), prometheus (the text exposition format, for
        /// node_exporter's textfile collector) or nagios (one status line with
        /// performance data; exit 0 ok, 1 warning, 2 critical, 3 unknown).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// With --format nagios: warning when any has more than PCT percent used.
        #[arg(long, value_name = "PCT")]
        warning: Option<f64>,
        /// With --format nagios: critical when any has more than PCT percent used.
        #[arg(long, value_name = "PCT")]
        critical: Option<f64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Prometheus,
    Nagios,
}

pub async fn run(command: ReportCommand, settings: &Settings, out: &Output) -> Result<()> {
    let ReportCommand::Utilization {
        threshold,
        location,
        family,
        format,
        warning,
        critical,
    } = command;
    if format != Format::Nagios && (warning.is_some() || critical.is_some()) {
        return Err(Error::validation(
            "--warning and --critical are the thresholds of --format nagios; use --threshold",
        ));
    }
    if format != Format::Text && out.json {
        return Err(Error::validation(
            "--json and --format both choose what is printed: give one of them",
        ));
    }
    let query = ReportQuery {
        threshold,
        location,
        family,
    };
    match format {
        Format::Text => {}
        Format::Prometheus => {
            let (db, _) = database::open(settings).await?;
            let figures = monitoring(&db, settings, &query).await?;
            write_out(formats::prometheus(&figures).as_bytes());
            return Ok(());
        }
        Format::Nagios => {
            return formats::nagios_check(settings, &query, warning, critical).await;
        }
    }
    let (db, _) = database::open(settings).await?;
    let report = utilization(&db, &query).await?;
    out.emit(&report, report_text);
    if report.over.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = report.over.iter().map(ToString::to_string).collect();
    Err(Error::new(
        ErrorKind::Alert,
        format!(
            "{} pool(s) over {}% used: {}",
            list.len(),
            threshold.unwrap_or_default(),
            list.join(", ")
        ),
    ))
}

fn report_text(report: &Report) -> String {
    if report.pools.is_empty() {
        return "no blocks or pools match\n".to_owned();
    }
    let rows: Vec<Vec<String>> = report.pools.iter().map(line).collect();
    table(
        &[
            "POOL",
            "KIND",
            "LOCATION",
            "USED",
            "RESERVED",
            "PARKED",
            "FREE",
            "TOTAL",
            "LARGEST",
            "FRAG",
            "FREE BLOCKS",
        ],
        &rows,
    )
}

fn line(p: &PoolLine) -> Vec<String> {
    let c = &p.capacity;
    let u = &c.usage;
    // IPv6 blocks in /64s, everything else in addresses.
    let [reserved, parked, free, total] =
        match (u.reserved_64s, u.parked_64s, u.free_64s, u.total_64s) {
            (Some(r), Some(p), Some(f), Some(t)) => [r, p, f, t].map(|n| format!("{n} /64s")),
            _ => [u.reserved, u.parked, u.free, u.total].map(|n| n.to_string()),
        };
    let mark = if p.over_threshold { " !" } else { "" };
    let blocks: Vec<String> = c
        .free_blocks
        .iter()
        .map(|(len, n)| format!("/{len}x{n}"))
        .collect();
    vec![
        p.cidr.to_string(),
        match p.kind {
            PoolKind::Block => "block",
            PoolKind::Addresses => "addresses",
        }
        .to_owned(),
        cell(&p.location.as_deref().map(clean)),
        format!("{}{mark}", u.percent_text()),
        reserved,
        parked,
        free,
        total,
        cell(&c.largest_free.map(|l| format!("/{l}"))),
        format!("{:.0}%", c.fragmentation * 100.0),
        if blocks.is_empty() {
            "-".to_owned()
        } else {
            blocks.join(" ")
        },
    ]
}
