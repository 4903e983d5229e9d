//! The domain's types, shared by every layer: the store builds them from rows, the
//! service layer returns them, the CLI and the UI show them. Beside `engine` at the
//! bottom: nothing here reaches the database or knows a layer above.

mod billing;
mod catalog;
mod database;
mod journal;
mod rdns;
mod subnet;

pub use billing::{StoredInvoice, StoredPlan, Voided};
pub use catalog::{Catalog, Device, Named, Product, Service, Vlan};
pub use database::{ClusterPlace, ClusterState, Contents, MigrationReport};
pub use journal::{Event, JournalEntry, LogFilter};
pub use rdns::{Pending, PtrState, SyncRecord};
pub use subnet::{IpRecord, Owner, Subnet, SubnetStatus};
