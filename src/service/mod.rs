//! Use cases shared by the CLI and the TUI. Owns transactions and journaling; speaks to
//! PostgreSQL only through `store`.

pub mod addresses;
pub mod allocate;
pub mod backup;
pub mod billing;
pub mod browse;
pub mod catalog;
pub mod changes;
pub mod cooldown;
pub mod database;
pub mod demo;
pub mod export;
pub mod free;
pub mod holds;
pub mod import;
pub mod local;
pub mod lookup;
pub mod monitoring;
mod ownership;
pub mod plan;
pub mod products;
pub mod progress;
pub mod provision;
pub mod rdns;
pub mod report;
mod resolve;
pub mod subnets;
mod tx;
pub mod undo;
pub mod usage;
pub mod view;

/// The open database: the CLI and the UI hold it and hand it to service calls, and
/// nothing else (what it reaches is the store's business).
pub use crate::store::Db;
