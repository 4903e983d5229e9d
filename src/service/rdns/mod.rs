//! `carve rdns sync`: push the outbox, then make each provider's zones say what carve
//! says. A provider that is down or refuses never touches IPAM data: what was not pushed
//! stays queued, with the error, for the next sync.

mod remote;
mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;
use serde_json::json;

pub use status::{ExportedZone, ProviderStatus, Status, export, status};

use self::remote::Remote;
use super::progress::Progress;
use crate::config::{ProviderKind, RdnsProvider, Settings};
use crate::engine::dns::normalize_hostname;
use crate::error::{Error, Result};
use crate::model::{Event, Pending};
use crate::rdns::diff::{Difference, Kind, compare};
use crate::rdns::{Push, Zone};
use crate::store::journal;
use crate::store::rdns as store;
use crate::store::{Db, db_error};

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Only this provider.
    pub provider: Option<String>,
    /// Compare and report; write nothing anywhere.
    pub dry_run: bool,
    /// Also delete PTRs carve does not know.
    pub prune: bool,
    /// Only zones with queued changes whose retry time has come (for a timer).
    pub due: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneReport {
    pub provider: String,
    pub zone: String,
    /// The zone did not exist and carve created it.
    pub created: bool,
    pub differences: Vec<Difference>,
    /// Writes that reached DNS.
    pub pushed: usize,
    /// Queued changes settled (pushed, or DNS already said so).
    pub settled: usize,
    /// Why the zone was left as it is (the rest stays queued).
    pub error: Option<String>,
    /// Said instead of syncing (e.g. an internal provider without a directory).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub dry_run: bool,
    pub prune: bool,
    pub zones: Vec<ZoneReport>,
}

impl ZoneReport {
    fn add_note(&mut self, note: impl Into<String>) {
        let note = note.into();
        self.note = Some(match self.note.take() {
            Some(before) => format!("{before}; {note}"),
            None => note,
        });
    }

    fn new(provider: &RdnsProvider, zone: &Zone) -> ZoneReport {
        ZoneReport {
            provider: provider.name.clone(),
            zone: zone.name.clone(),
            created: false,
            differences: Vec::new(),
            pushed: 0,
            settled: 0,
            error: None,
            note: None,
        }
    }
}

impl SyncReport {
    pub fn errors(&self) -> Vec<String> {
        self.zones
            .iter()
            .filter_map(|z| z.error.as_ref().map(|e| format!("{}: {e}", z.zone)))
            .collect()
    }
}

pub async fn sync(
    db: &Db,
    settings: &Settings,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<SyncReport> {
    let mut report = SyncReport {
        dry_run: options.dry_run,
        prune: options.prune,
        zones: Vec::new(),
    };
    let providers = chosen(settings, options.provider.as_deref())?;
    let zones = providers.iter().map(|p| p.zones.len() as u64).sum();
    progress.stage("syncing zones", zones);
    for provider in providers {
        // One provider's trouble (busy, no credential, down) never stops the others.
        // A dry run changes nothing, so it needs no turn (and a read-only role has one).
        let lock = match options.dry_run {
            true => None,
            false => Some(store::lock_provider(db, &provider.name).await?),
        };
        if let Some(None) = lock {
            let busy =
                "another carve is syncing this provider right now; try again when it is done";
            progress.advance(provider.zones.len() as u64);
            report.zones.extend(provider.zones.iter().map(|z| {
                let mut zone = ZoneReport::new(provider, z);
                zone.error = Some(busy.to_owned());
                zone
            }));
            continue;
        }
        let zones = sync_provider(db, provider, options, progress).await?;
        if !options.dry_run {
            let error = zones.iter().find_map(|z| z.error.as_deref());
            let mut conn = db.pool.acquire().await.map_err(db_error)?;
            store::record_sync(&mut conn, &provider.name, error).await?;
        }
        report.zones.extend(zones);
    }
    Ok(report)
}

/// The providers a command is about: all configured, or the one named.
pub fn chosen<'a>(settings: &'a Settings, name: Option<&str>) -> Result<Vec<&'a RdnsProvider>> {
    if settings.rdns.is_empty() {
        return Err(Error::config(
            "no reverse DNS providers are configured: add [[rdns.providers]] to the config file",
        ));
    }
    match name {
        None => Ok(settings.rdns.iter().collect()),
        Some(name) => settings
            .rdns
            .iter()
            .find(|p| p.name == name)
            .map(|p| vec![p])
            .ok_or_else(|| {
                let known: Vec<&str> = settings.rdns.iter().map(|p| p.name.as_str()).collect();
                Error::not_found(format!(
                    "no rDNS provider named {name:?} (configured: {})",
                    known.join(", ")
                ))
            }),
    }
}

async fn sync_provider(
    db: &Db,
    provider: &RdnsProvider,
    options: &SyncOptions,
    progress: &dyn Progress,
) -> Result<Vec<ZoneReport>> {
    let mut reports = Vec::new();
    // Without its credential nothing can be pushed: every zone keeps its queue and says why.
    let mut remote = Remote::connect(provider).map_err(|e| e.message);
    for zone in &provider.zones {
        progress.detail(&format!("{} {}", provider.name, zone.name));
        // Counted as it starts: a zone skipped or failed is as done as a synced one.
        progress.advance(1);
        let mut conn = db.pool.acquire().await.map_err(db_error)?;
        let inner = provider.inner_prefixes(zone);
        let queued = store::pending(&mut conn, Some(&zone.prefix), &inner).await?;
        drop(conn);
        if options.due && !queued.iter().any(|p| p.due_in_secs <= 0) {
            continue;
        }
        let mut zone_report = ZoneReport::new(provider, zone);
        let job = ZoneJob {
            db,
            provider,
            zone,
            queued: &queued,
            options,
        };
        let outcome = match &mut remote {
            Ok(Some(remote)) => sync_zone(&job, remote, &mut zone_report).await,
            Ok(None) => internal_zone(&job, &mut zone_report).await,
            Err(message) => Err(Error::config(message.clone())),
        };
        // Failures before anything was pushed: the whole queue of the zone stays.
        if let Err(error) = outcome {
            zone_report.error = Some(error.message.clone());
            if !options.dry_run {
                let mut conn = db.pool.acquire().await.map_err(db_error)?;
                let queued: Vec<&Pending> = queued.iter().collect();
                store::failed(&mut conn, &queued, &error.message).await?;
            }
        }
        if let (Ok(Some(remote)), Some(error)) = (&mut remote, &zone_report.error) {
            remote.note_failure(error);
        }
        // Only what changed DNS is journaled: a provider down for a night must not fill the
        // journal (its errors are in the outbox and `rdns status`).
        if !options.dry_run && zone_report.pushed > 0 {
            journal_zone(db, zone, &zone_report).await?;
        }
        reports.push(zone_report);
    }
    Ok(reports)
}

/// `rdns_sync` in the journal: who pushed what into which zone (and whether part failed). It also
/// tells open UIs to reload, so their rDNS pane shows the new states.
async fn journal_zone(db: &Db, zone: &Zone, report: &ZoneReport) -> Result<()> {
    let detail = json!({
        "provider": report.provider,
        "zone": report.zone,
        "pushed": report.pushed,
        "settled": report.settled,
        "error": report.error,
    });
    let mut event = Event::new("rdns_sync", detail);
    event.cidr = Some(zone.prefix);
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    journal::record(&mut conn, &event).await
}

/// The names carve holds in `zone` (not in a child zone of the provider's) that can go to
/// DNS, and the others as `ADDR "NAME"`.
/// carve stores only valid names, but psql can store anything: one bad name must neither
/// make a provider refuse a zone's whole batch nor put a stray line into a zone file.
async fn names_in(
    db: &Db,
    provider: &RdnsProvider,
    zone: &Zone,
) -> Result<(BTreeMap<IpAddr, String>, Vec<String>)> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let (valid, invalid): (BTreeMap<_, _>, BTreeMap<_, _>) =
        store::names_in(&mut conn, &zone.prefix, &provider.inner_prefixes(zone))
            .await?
            .into_iter()
            .partition(|(_, name)| normalize_hostname(name).is_ok());
    let invalid = invalid
        .iter()
        .map(|(a, name)| format!("{a} {name:?}"))
        .collect();
    Ok((valid, invalid))
}

/// What syncing one zone works from.
struct ZoneJob<'a> {
    db: &'a Db,
    provider: &'a RdnsProvider,
    zone: &'a Zone,
    /// The zone's outbox entries, read before DNS was.
    queued: &'a [Pending],
    options: &'a SyncOptions,
}

async fn sync_zone(job: &ZoneJob<'_>, remote: &mut Remote, report: &mut ZoneReport) -> Result<()> {
    let ZoneJob {
        db,
        provider,
        zone,
        queued,
        options,
    } = *job;
    remote.check_up()?;
    let (wanted, invalid) = names_in(db, provider, zone).await?;
    if !invalid.is_empty() {
        report.add_note(format!(
            "{} name(s) in carve are not host names and were not pushed (carve ip set ADDR --rdns NAME fixes them): {}",
            invalid.len(),
            invalid.join(", ")
        ));
    }
    let found = match remote.list(zone).await? {
        Some(found) => found,
        None if remote.may_create_zones() && !options.dry_run => {
            if let Some(note) = remote.create_zone(zone).await? {
                report.add_note(note);
            }
            report.created = true;
            Default::default()
        }
        None if remote.may_create_zones() => Default::default(),
        None => {
            return Err(Error::provider(format!(
                "{}: zone {} does not exist there ({})",
                provider.name,
                zone.name,
                remote.missing_zone_hint()
            )));
        }
    };
    let released: BTreeSet<IpAddr> = queued
        .iter()
        .filter(|p| p.ptr.is_none())
        .map(Pending::addr)
        .collect();
    report.differences = compare(&wanted, &released, &found);
    if options.dry_run {
        return Ok(());
    }
    let pushes: Vec<Push> = report
        .differences
        .iter()
        .filter_map(|d| d.push(options.prune))
        .collect();
    let applied = remote.apply(zone, pushes.clone()).await;
    report.pushed = applied.done;
    let unpushed: BTreeSet<IpAddr> = pushes[applied.done..].iter().map(|p| p.address).collect();
    let (settled, kept): (Vec<&Pending>, Vec<&Pending>) =
        queued.iter().partition(|p| !unpushed.contains(&p.addr()));
    report.settled = settled.len();
    // What DNS still says differently once this sync is over: the pane shows it.
    let drift: Vec<(IpAddr, Option<String>)> = report
        .differences
        .iter()
        .filter(|d| unpushed.contains(&d.address) || (d.kind == Kind::Extra && !options.prune))
        .map(|d| (d.address, d.dns.clone()))
        .collect();
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    store::settle(&mut tx, &settled).await?;
    let inner = provider.inner_prefixes(zone);
    store::replace_drift(&mut tx, &provider.name, &zone.prefix, &inner, &drift).await?;
    if let Some(error) = &applied.error {
        store::failed(&mut tx, &kept, &error.message).await?;
    }
    tx.commit().await.map_err(db_error)?;
    // Failed part way: what was pushed is settled, the rest stays queued with the error.
    report.error = applied.error.map(|e| e.message);
    Ok(())
}

/// An internal provider's "push" is writing the zone file into its directory.
async fn internal_zone(job: &ZoneJob<'_>, report: &mut ZoneReport) -> Result<()> {
    let ProviderKind::Internal {
        directory: Some(directory),
        ..
    } = &job.provider.kind
    else {
        report.add_note("no directory set: carve rdns export --output DIR writes the zone files");
        return Ok(());
    };
    if job.options.dry_run {
        report.add_note(format!(
            "would write the zone file into {}",
            directory.display()
        ));
        return Ok(());
    }
    let written = status::write_zone(job.db, job.provider, job.zone, directory).await?;
    report.pushed = if written.unchanged { 0 } else { written.names };
    let mut conn = job.db.pool.acquire().await.map_err(db_error)?;
    let queued: Vec<&Pending> = job.queued.iter().collect();
    store::settle(&mut conn, &queued).await?;
    report.settled = queued.len();
    Ok(())
}
