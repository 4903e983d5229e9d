//! Provisioning logic that needs no database: reading and checking a product's
//! `ipam_config`.

pub mod config;

pub use config::{Fault, IpamConfig, Mode, Rule, RuleKind};
