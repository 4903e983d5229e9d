//! The database's own state: its schema after migrating, and the embedded cluster's.

use std::path::PathBuf;

use serde::Serialize;

/// The schema after `migrate` (or a read-only check of it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationReport {
    /// The schema version after migrating.
    pub schema_version: i64,
    /// Versions applied by this call (empty when the schema was current).
    pub applied: Vec<i64>,
}

/// Whether the embedded cluster exists and runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClusterState {
    /// No cluster has been created under the data directory yet.
    Uninitialised,
    Stopped,
    Running {
        pid: u32,
    },
}

/// Where the embedded cluster lives: its files, its socket and the server it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterPlace {
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub bin_dir: PathBuf,
    pub log_file: PathBuf,
}

/// How many rows of each kind a database holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contents {
    pub subnets: i64,
    pub addresses: i64,
    pub services: i64,
    pub invoices: i64,
    pub journal_rows: i64,
    pub row_history: i64,
    pub rdns_outbox: i64,
}
