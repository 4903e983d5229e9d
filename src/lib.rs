//! carve: a terminal IP address manager for network operations engineers.
//!
//! Layers, dependencies pointing down (DESIGN.md section 3):
//! `main` -> `cli` / `tui` -> `service` -> `store` -> `model` and `engine`. The domain's
//! types live in `model`, so that showing one never needs the store; the feature logic
//! (`billing`, `import`, `provision`, `rdns`) sits beside the service layer and below it,
//! and `config`, `error`, `input` and `os` are shared. The UI's palette reads the CLI's
//! clap definition; the CLI knows nothing of the UI. `tests/layers.rs` holds the rules.

pub mod actor;
pub mod billing;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod import;
pub mod input;
pub mod logging;
pub mod model;
pub mod os;
pub mod provision;
pub mod rdns;
pub mod service;
pub mod store;
pub mod tui;
