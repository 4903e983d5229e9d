//! The embedded default database (DESIGN.md section 4).

mod binaries;
mod cluster;
mod system_user;

pub use binaries::PgBinaries;
pub use cluster::{DATABASE, LocalCluster, SUPERUSER};
