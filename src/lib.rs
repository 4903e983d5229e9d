//! carve: a terminal IP address manager for network operations engineers.
//!
//! Layers, dependencies pointing down (DESIGN.md section 3):
//! `cli` / `tui` -> `service` -> `store` -> `engine`; `config`, `error`, `input` and `os`
//! are shared.

pub mod actor;
pub mod billing;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod import;
pub mod input;
pub mod logging;
pub mod os;
pub mod provision;
pub mod rdns;
pub mod service;
pub mod store;
pub mod tui;
