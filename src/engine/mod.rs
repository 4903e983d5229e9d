//! Pure prefix-tree logic: no IO, no async, no SQL. Everything here is testable on its own.

pub mod prefix;

pub use prefix::{Family, parse_cidr};
