//! The provisioning journal as every layer sees it: an event about to be written, a row
//! written, and which rows to list.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;

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

/// Which journal rows to list; None means any.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub limit: i64,
    pub event: Option<String>,
    /// Rows about prefixes in or around this CIDR, or addresses in it.
    pub cidr: Option<IpNet>,
    /// The OS user, the one behind `sudo`, or the database role.
    pub actor: Option<String>,
    pub command_id: Option<String>,
}

/// One journal row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct JournalEntry {
    pub id: i64,
    pub at: String,
    pub event: String,
    pub outcome: String,
    pub cidr: Option<IpNet>,
    pub address: Option<IpNet>,
    pub detail: serde_json::Value,
    /// Who: the OS user and machine carve ran on, the database role, and the command
    /// the row belongs to (None for rows older than the actor columns).
    pub os_user: Option<String>,
    /// Who ran `sudo`, when root ran carve through it.
    pub sudo_user: Option<String>,
    pub client_host: Option<String>,
    pub db_role: String,
    pub command_id: Option<String>,
}

impl JournalEntry {
    /// The person behind the row: who ran `sudo`, else the OS user, else (rows older
    /// than the actor columns) the database role.
    pub fn person(&self) -> &str {
        self.sudo_user
            .as_deref()
            .or(self.os_user.as_deref())
            .unwrap_or(&self.db_role)
    }

    /// The person, marked when it acted as root through `sudo`: `alice (sudo)`.
    pub fn who(&self) -> String {
        match &self.sudo_user {
            Some(user) => format!("{user} (sudo)"),
            None => self.person().to_owned(),
        }
    }
}
