//! Use cases shared by the CLI and the TUI. Owns transactions and journaling; speaks to
//! PostgreSQL only through `store`.

pub mod database;
