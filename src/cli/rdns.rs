//! `carve rdns sync | status | export`: reverse DNS kept in step with the providers.

use std::path::PathBuf;

use clap::Subcommand;

use super::output::{Output, cell, clean, short, table, write_out};
use super::progress::Shown;
use crate::config::Settings;
use crate::error::{Error, ErrorKind, Result};
use crate::service::database;
use crate::service::rdns::{self, ExportedZone, Status, SyncOptions, SyncReport, ZoneReport};

#[derive(Debug, Subcommand)]
pub enum RdnsCommand {
    /// Push queued PTR changes, then compare every zone with DNS and fix what differs.
    Sync {
        /// Only this provider (its name in [[rdns.providers]]).
        #[arg(long)]
        provider: Option<String>,
        /// Show the differences; write nothing to DNS or to the queue.
        #[arg(long)]
        dry_run: bool,
        /// Also delete PTRs that carve does not know.
        #[arg(long)]
        prune: bool,
        /// Only zones with queued changes whose retry time has come (for a timer).
        #[arg(long)]
        due: bool,
    },
    /// What waits to be pushed, per provider, and each provider's last error.
    Status,
    /// BIND zone files of internal providers (printed, or written into a directory).
    Export {
        /// Only this zone, e.g. 113.0.203.in-addr.arpa or 64/26.113.0.203.in-addr.arpa.
        #[arg(long)]
        zone: Option<String>,
        /// Only the zones of this internal provider.
        #[arg(long)]
        provider: Option<String>,
        /// Write <zone>.zone files here instead of printing them (into the provider's
        /// directory, this also settles its queued changes).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// Syncing writes the queue; a dry run, the status and a printed export only read. An
/// export into the provider's directory settles the queue.
pub fn reads_only(command: &RdnsCommand) -> bool {
    match command {
        RdnsCommand::Sync { dry_run, .. } => *dry_run,
        RdnsCommand::Status => true,
        RdnsCommand::Export { output, .. } => output.is_none(),
    }
}

pub async fn run(command: RdnsCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    match command {
        RdnsCommand::Sync {
            provider,
            dry_run,
            prune,
            due,
        } => {
            let options = SyncOptions {
                provider,
                dry_run,
                prune,
                due,
            };
            let progress = Shown::on(out);
            let report = rdns::sync(&db, settings, &options, &progress).await?;
            drop(progress);
            out.emit(&report, sync_text);
            let errors = report.errors();
            if errors.is_empty() {
                return Ok(());
            }
            // The report, already printed, says which zones failed and why.
            Err(Error::new(
                ErrorKind::Alert,
                format!(
                    "{} zone(s) not synced, their changes stay queued (carve rdns status): {}",
                    errors.len(),
                    errors.join("; ")
                ),
            ))
        }
        RdnsCommand::Status => {
            let status = rdns::status(&db, settings).await?;
            out.emit(&status, status_text);
            Ok(())
        }
        RdnsCommand::Export {
            zone,
            provider,
            output,
        } => {
            let zones = rdns::export(
                &db,
                settings,
                provider.as_deref(),
                zone.as_deref(),
                output.as_deref(),
            )
            .await?;
            if !out.json && output.is_none() {
                write_out(printed(&zones).as_bytes());
                return Ok(());
            }
            out.emit(&zones, |z| export_text(z));
            Ok(())
        }
    }
}

/// Differences listed in the text report; `--json` has every one.
const SHOWN: usize = 40;

fn sync_text(report: &SyncReport) -> String {
    if report.zones.is_empty() {
        return "nothing due\n".into();
    }
    let mut rows = Vec::new();
    let mut notes = String::new();
    for zone in &report.zones {
        let mut pushes = 0;
        for d in &zone.differences {
            let action = match d.push(report.prune) {
                None => "kept (--prune deletes)",
                Some(_) if report.dry_run => "would fix",
                Some(_) => {
                    pushes += 1;
                    if pushes <= zone.pushed {
                        "fixed"
                    } else {
                        "not pushed"
                    }
                }
            };
            rows.push(vec![
                zone.provider.clone(),
                d.address.to_string(),
                d.kind.as_str().into(),
                short(&clean(&cell(&d.carve))),
                short(&clean(&cell(&d.dns))),
                action.into(),
            ]);
        }
        let about = format!("{} {}", zone.provider, zone.zone);
        if zone.created {
            notes += &format!("{about}: zone created\n");
        }
        if let Some(note) = &zone.note {
            notes += &format!("{about}: {}\n", clean(note));
        }
        if let Some(error) = &zone.error {
            notes += &format!("{about}: FAILED, the rest stays queued: {}\n", clean(error));
        }
    }
    let total = rows.len();
    let failed = report.zones.iter().any(|z| z.error.is_some());
    let mut text = if rows.is_empty() && !failed {
        "DNS says what carve says\n".to_owned()
    } else if rows.is_empty() {
        String::new()
    } else {
        rows.truncate(SHOWN);
        let mut text = table(
            &["PROVIDER", "ADDRESS", "DIFFERENCE", "CARVE", "DNS", ""],
            &rows,
        );
        if total > SHOWN {
            text += &format!("\n... and {} more (--json lists every one)", total - SHOWN);
        }
        text + "\n"
    };
    text += &notes;
    let mut providers: Vec<&str> = report.zones.iter().map(|z| z.provider.as_str()).collect();
    providers.dedup();
    for provider in providers {
        let zones: Vec<_> = report
            .zones
            .iter()
            .filter(|z| z.provider == provider)
            .collect();
        let sum = |f: &dyn Fn(&ZoneReport) -> usize| zones.iter().map(|z| f(z)).sum::<usize>();
        let differences = sum(&|z| z.differences.len());
        let failed = sum(&|z| usize::from(z.error.is_some()));
        text += &if report.dry_run {
            format!(
                "{provider}: {} zone(s), {differences} difference(s); dry run, nothing written\n",
                zones.len()
            )
        } else {
            let kept = sum(&|z| {
                z.differences
                    .iter()
                    .filter(|d| d.push(report.prune).is_none())
                    .count()
            });
            format!(
                "{provider}: {} zone(s), {} pushed, {kept} extra kept{}, {failed} failed\n",
                zones.len(),
                sum(&|z| z.pushed),
                if kept > 0 {
                    " (--prune deletes them)"
                } else {
                    ""
                }
            )
        };
    }
    text
}

fn status_text(status: &Status) -> String {
    if status.providers.is_empty() {
        return format!(
            "no reverse DNS providers are configured ([[rdns.providers]] in the config file); \
             {} change(s) queued\n",
            status.unserved.len()
        );
    }
    let mut rows = Vec::new();
    for p in &status.providers {
        let failing = p.pending.iter().filter(|e| e.last_error.is_some()).count();
        rows.push(vec![
            p.name.clone(),
            p.kind.into(),
            p.zones.len().to_string(),
            p.pending.len().to_string(),
            failing.to_string(),
            p.pending
                .first()
                .map(|e| e.queued_at.clone())
                .unwrap_or_else(|| "-".into()),
            cell(&p.last.last_ok_at),
            p.last
                .last_error
                .as_deref()
                .map(|e| format!("{} {}", cell(&p.last.last_error_at), short(&clean(e))))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut text = table(
        &[
            "PROVIDER",
            "KIND",
            "ZONES",
            "PENDING",
            "FAILING",
            "OLDEST",
            "LAST OK",
            "LAST ERROR",
        ],
        &rows,
    );
    if !status.unserved.is_empty() {
        text += &format!(
            "\n{} queued change(s) in no configured provider's zones, e.g. {}\n",
            status.unserved.len(),
            status.unserved[0].addr()
        );
    }
    text
}

/// Zone files one after the other; a classless zone's parent records follow as comments,
/// so that the whole output still loads as the zone file it starts with.
fn printed(zones: &[ExportedZone]) -> String {
    let mut text = String::new();
    for zone in zones {
        text += &zone.text;
        if let Some(records) = &zone.parent_records {
            text += ";\n";
            for line in records.lines() {
                text += &format!("; {}\n", line.trim_start_matches("; "));
            }
        }
    }
    text
}

fn export_text(zones: &[ExportedZone]) -> String {
    let rows: Vec<Vec<String>> = zones
        .iter()
        .map(|z| {
            vec![
                z.zone.clone(),
                z.names.to_string(),
                cell(&z.file),
                cell(&z.delegation_file),
            ]
        })
        .collect();
    table(&["ZONE", "PTRS", "FILE", "PARENT RECORDS"], &rows)
}
