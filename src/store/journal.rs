//! The provisioning journal: one row per event, written in the transaction of the change
//! it describes (or, for a failure, in a transaction of its own).

use ipnet::IpNet;
use serde_json::Value;
use sqlx::PgConnection;

use super::errors::db_error;
use super::rows::JournalEntry;
use crate::error::Result;

/// An event about to be journaled.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    pub event: &'static str,
    #[serde(skip)]
    pub failed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr: Option<IpNet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpNet>,
    pub detail: Value,
}

impl Event {
    pub fn new(event: &'static str, detail: Value) -> Event {
        Event {
            event,
            failed: false,
            cidr: None,
            address: None,
            detail,
        }
    }

    pub fn cidr(mut self, cidr: IpNet) -> Event {
        self.cidr = Some(cidr);
        self
    }

    pub fn address(mut self, address: IpNet) -> Event {
        self.address = Some(address);
        self
    }

    pub fn failed(mut self) -> Event {
        self.failed = true;
        self
    }
}

pub async fn record(conn: &mut PgConnection, event: &Event) -> Result<()> {
    sqlx::query(
        "INSERT INTO provisioning_logs (event, outcome, cidr, address, detail)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event.event)
    .bind(if event.failed { "failed" } else { "ok" })
    .bind(event.cidr)
    .bind(event.address)
    .bind(&event.detail)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Journal rows, newest first, optionally for one event name or inside/around a CIDR.
pub async fn list(
    conn: &mut PgConnection,
    limit: i64,
    event: Option<&str>,
    cidr: Option<IpNet>,
) -> Result<Vec<JournalEntry>> {
    sqlx::query_as(
        "SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at,
                event, outcome, cidr, address, detail
         FROM provisioning_logs
         WHERE ($2::text IS NULL OR event = $2)
           AND ($3::cidr IS NULL OR cidr && $3 OR address <<= $3)
         ORDER BY created_at DESC, id DESC
         LIMIT $1",
    )
    .bind(limit)
    .bind(event)
    .bind(cidr)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
