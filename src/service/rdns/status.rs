//! `carve rdns status` (what waits, per provider, and each one's last error) and
//! `carve rdns export` (BIND zone files for internal providers).

use std::path::Path;

use serde::Serialize;

use super::chosen;
use crate::config::{ProviderKind, RdnsProvider, Settings};
use crate::error::{Error, Result};
use crate::model::{Pending, SyncRecord};
use crate::rdns::Zone;
use crate::rdns::zonefile::{self, Apex};
use crate::store::rdns as store;
use crate::store::{Db, db_error};

#[derive(Debug, Clone, Serialize)]
pub struct ProviderStatus {
    pub name: String,
    pub kind: &'static str,
    pub zones: Vec<String>,
    /// Queued changes in its zones, oldest first.
    pub pending: Vec<Pending>,
    #[serde(flatten)]
    pub last: SyncRecord,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub providers: Vec<ProviderStatus>,
    /// Queued changes no configured provider serves (they wait for one).
    pub unserved: Vec<Pending>,
}

pub async fn status(db: &Db, settings: &Settings) -> Result<Status> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let mut unserved = store::pending(&mut conn, None, &[]).await?;
    let mut providers = Vec::new();
    for provider in &settings.rdns {
        let (mine, rest) = unserved
            .into_iter()
            .partition(|p| provider.zone_of(p.addr()).is_some());
        unserved = rest;
        providers.push(ProviderStatus {
            name: provider.name.clone(),
            kind: provider.kind_name(),
            zones: provider.zones.iter().map(|z| z.name.clone()).collect(),
            pending: mine,
            last: store::sync_record(&mut conn, &provider.name).await?,
        });
    }
    Ok(Status {
        providers,
        unserved,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedZone {
    pub provider: String,
    pub zone: String,
    /// PTR records in it.
    pub names: usize,
    /// Where it was written (None: printed).
    pub file: Option<String>,
    /// For a classless zone: the file with the parent zone's records.
    pub delegation_file: Option<String>,
    /// The file on disk already said this (only the SOA serial would have changed).
    pub unchanged: bool,
    /// The zone file, when printed rather than written.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// For a classless zone, when printed: the records its parent zone needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_records: Option<String>,
}

/// Zone files of internal providers (or the one zone asked for): printed, or written into
/// `output`. Written into the provider's own directory, they settle its queued changes:
/// those files are what the name server serves.
pub async fn export(
    db: &Db,
    settings: &Settings,
    provider: Option<&str>,
    zone: Option<&str>,
    output: Option<&Path>,
) -> Result<Vec<ExportedZone>> {
    let wanted = zone
        .map(Zone::parse)
        .transpose()
        .map_err(Error::validation)?;
    let mut exported = Vec::new();
    for p in chosen(settings, provider)? {
        let ProviderKind::Internal { directory, .. } = &p.kind else {
            continue;
        };
        for z in p
            .zones
            .iter()
            .filter(|z| wanted.as_ref().is_none_or(|w| w == *z))
        {
            let Some(dir) = output else {
                exported.push(render(db, p, z).await?);
                continue;
            };
            // Read before writing: a change queued meanwhile stays queued.
            let mut conn = db.pool.acquire().await.map_err(db_error)?;
            let inner = p.inner_prefixes(z);
            let queued = store::pending(&mut conn, Some(&z.prefix), &inner).await?;
            exported.push(write_zone(db, p, z, dir).await?);
            if directory.as_deref().is_some_and(|d| same_directory(d, dir)) {
                store::settle(&mut conn, &queued.iter().collect::<Vec<_>>()).await?;
            }
        }
    }
    if exported.is_empty() {
        return Err(match zone {
            Some(z) => Error::not_found(format!("no internal rDNS provider serves zone {z}")),
            None => Error::not_found(
                "no internal rDNS provider is configured (kind = \"internal\" in [[rdns.providers]])",
            ),
        });
    }
    Ok(exported)
}

/// The zone file (and an RFC 2317 zone's delegation file) written into `directory`,
/// unless the file there already says the same: a new serial alone would make every
/// secondary transfer the zone again.
pub(super) async fn write_zone(
    db: &Db,
    provider: &RdnsProvider,
    zone: &Zone,
    directory: &Path,
) -> Result<ExportedZone> {
    let mut rendered = render(db, provider, zone).await?;
    let io = |path: &Path, e: std::io::Error| {
        Error::validation(format!("cannot write {}: {e}", path.display()))
    };
    std::fs::create_dir_all(directory).map_err(|e| io(directory, e))?;
    let path = directory.join(zonefile::file_name(zone));
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    rendered.unchanged = without_serial(&before) == without_serial(&rendered.text);
    if !rendered.unchanged {
        write_whole(&path, &rendered.text).map_err(|e| io(&path, e))?;
    }
    rendered.file = Some(path.display().to_string());
    if let Some(records) = rendered.parent_records.take() {
        let path = directory.join(zonefile::file_name(zone).replace(".zone", ".delegation"));
        write_whole(&path, &records).map_err(|e| io(&path, e))?;
        rendered.delegation_file = Some(path.display().to_string());
    }
    rendered.text.clear();
    Ok(rendered)
}

async fn render(db: &Db, provider: &RdnsProvider, zone: &Zone) -> Result<ExportedZone> {
    let (names, _invalid) = super::names_in(db, provider, zone).await?;
    let apex = apex(provider);
    Ok(ExportedZone {
        provider: provider.name.clone(),
        zone: zone.name.clone(),
        names: names.len(),
        file: None,
        delegation_file: None,
        unchanged: false,
        text: zonefile::zone_file(zone, &provider.inner_zones(zone), &names, &apex),
        parent_records: zonefile::delegation(zone, &apex),
    })
}

fn apex(provider: &RdnsProvider) -> Apex {
    let hostmaster = match &provider.kind {
        ProviderKind::Internal { hostmaster, .. } => hostmaster.clone(),
        _ => "hostmaster".into(),
    };
    Apex {
        nameservers: provider.nameservers.clone(),
        hostmaster,
        ttl: provider.ttl,
        // Seconds since 1970 fit the serial's 32 bits until 2106 and only grow.
        serial: time::OffsetDateTime::now_utc().unix_timestamp() as u32,
    }
}

/// A zone file without its SOA line, the only one that changes on every render.
fn without_serial(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with("@ IN SOA "))
        .collect()
}

fn same_directory(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Writes beside the target, then renames: a name server reloading never reads half a file.
fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}
