//! Pure prefix-tree logic: no IO, no async, no SQL. Everything here is testable on its own.

pub mod address;
pub mod capacity;
pub mod dns;
pub mod free;
pub mod plan;
pub mod prefix;
pub mod text;
pub mod usage;
pub mod view;
pub mod vlan;

pub use plan::{SplitStep, Strategy};
pub use prefix::{Family, parse_cidr};
#[cfg(test)]
mod model_tests;
