//! The only layer that speaks SQL. It connects, migrates, runs the embedded cluster and
//! returns domain types to the service layer.

mod connect;
pub mod local;
mod migrate;

pub use connect::{Db, connect_options_from_url, describe_options};
pub use migrate::{MigrationReport, known_schema_version, migrate};
