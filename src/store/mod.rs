//! The only layer that speaks SQL. It connects, migrates, runs the embedded cluster and
//! returns domain types to the service layer.

pub mod addresses;
pub mod attributes;
pub mod backup;
pub mod billing;
pub mod candidates;
pub mod capacity;
pub mod carving;
pub mod catalog;
pub mod changes;
mod connect;
pub mod cooldown;
mod errors;
pub mod free;
pub mod history;
pub mod import;
pub mod journal;
pub mod local;
pub mod locks;
mod migrate;
mod pooler;
pub mod rdns;
pub mod replication;
pub mod roles;
pub mod rows;
pub mod search;
pub mod services;
mod targets;
pub mod tree;

pub use connect::{Db, Target, describe_options, target_from_url};
pub use errors::db_error;
pub use migrate::{check_schema, known_schema_version, migrate};
pub use targets::SessionKind;
