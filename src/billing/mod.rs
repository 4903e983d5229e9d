//! IP transit billing, pure: plans and their validation, calendar cycles of 5-minute
//! samples, the 95th percentile, and invoices with their working. No IO, no database;
//! `service::billing` feeds it and stores what it computes.
//!
//! Definitions (README "Billing"): a sample's rate is bytes x 8 / 300 s in bit/s, Mbps is
//! 10^6 bit/s, GB is 10^9 bytes; the 95th is the value at 1-based rank ceil(0.95 x N) of
//! the N expected periods sorted ascending, a missing sample counting as zero.

pub mod cycle;
pub mod invoice;
pub mod money;
pub mod plan;
pub mod sample;

#[cfg(test)]
mod invoice_tests;
