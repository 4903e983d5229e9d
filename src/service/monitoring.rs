//! What a monitoring system scrapes or checks: the utilisation report (the same figures
//! as every other view) and the health of the rDNS queue and of each provider's sync.

use serde::Serialize;

use super::report::{Report, ReportQuery, utilization};
use crate::config::Settings;
use crate::error::Result;
use crate::store::{Db, db_error, rdns};

#[derive(Debug, Clone, Serialize)]
pub struct ProviderHealth {
    pub name: String,
    /// Unix seconds of its last good sync; None: never.
    pub last_ok_at: Option<i64>,
    /// Whether its last sync was good; None: it never synced.
    pub last_sync_ok: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RdnsHealth {
    /// Changes waiting in the outbox.
    pub pending: i64,
    /// How long the oldest has waited, in seconds (0 when none waits).
    pub oldest_pending_secs: i64,
    pub providers: Vec<ProviderHealth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Monitoring {
    pub report: Report,
    pub rdns: RdnsHealth,
}

pub async fn monitoring(db: &Db, settings: &Settings, query: &ReportQuery) -> Result<Monitoring> {
    let report = utilization(db, query).await?;
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    let (pending, oldest_pending_secs) = rdns::outbox_depth(&mut conn).await?;
    let mut providers = Vec::new();
    for provider in &settings.rdns {
        let (last_ok_at, last_sync_ok) = rdns::sync_health(&mut conn, &provider.name).await?;
        providers.push(ProviderHealth {
            name: provider.name.clone(),
            last_ok_at,
            last_sync_ok,
        });
    }
    Ok(Monitoring {
        report,
        rdns: RdnsHealth {
            pending,
            oldest_pending_secs,
            providers,
        },
    })
}
