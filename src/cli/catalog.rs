//! `carve location|customer add|list` and `carve vlan add|enable|disable|list`.

use clap::Subcommand;

use super::output::{Output, cell, clean, table};
use crate::config::Settings;
use crate::error::Result;
use crate::model::{Catalog, Named, Vlan};
use crate::service::catalog;
use crate::service::database;

#[derive(Debug, Subcommand)]
pub enum NamedCommand {
    /// Add one, by name.
    Add {
        /// Its name (unique).
        name: String,
    },
    /// List them all.
    List,
}

#[derive(Debug, Subcommand)]
pub enum VlanCommand {
    /// Add a VLAN at a location.
    Add {
        /// The location it belongs to.
        #[arg(long)]
        location: String,
        /// The VLAN id (1..4094).
        #[arg(long, required_unless_present = "next", conflicts_with = "next")]
        vid: Option<i32>,
        /// Take the lowest free id (of --range, default 1-4094) at the location.
        #[arg(long)]
        next: bool,
        /// With --next: the ids to choose from, LOW-HIGH (e.g. 100-199).
        #[arg(long, conflicts_with = "vid")]
        range: Option<String>,
        /// A name for it.
        #[arg(long)]
        name: Option<String>,
    },
    /// Allow allocations on this VLAN again.
    Enable {
        /// The location it belongs to.
        #[arg(long)]
        location: String,
        /// The VLAN id (1..4094).
        #[arg(long)]
        vid: i32,
    },
    /// Stop allocations on this VLAN (what is on it stays).
    Disable {
        /// The location it belongs to.
        #[arg(long)]
        location: String,
        /// The VLAN id (1..4094).
        #[arg(long)]
        vid: i32,
    },
    /// List VLANs (of one location).
    List {
        /// Only VLANs of this location.
        #[arg(long)]
        location: Option<String>,
    },
}

pub async fn named(
    kind: Catalog,
    command: NamedCommand,
    settings: &Settings,
    out: &Output,
) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    match command {
        NamedCommand::Add { name } => {
            let added = catalog::add(&db, kind, &name).await?;
            out.emit(&added, |n| format!("added {}\n", clean(&n.name)));
        }
        NamedCommand::List => {
            let all = catalog::list(&db, kind).await?;
            out.emit(&all, |all: &Vec<Named>| {
                let rows: Vec<Vec<String>> = all.iter().map(|n| vec![clean(&n.name)]).collect();
                table(&["NAME"], &rows)
            });
        }
    }
    Ok(())
}

pub async fn vlan(command: VlanCommand, settings: &Settings, out: &Output) -> Result<()> {
    let (db, _) = database::open(settings).await?;
    let vlans = match command {
        VlanCommand::Add {
            location,
            vid: Some(vid),
            name,
            ..
        } => vec![catalog::add_vlan(&db, &location, vid, name.as_deref()).await?],
        VlanCommand::Add {
            location,
            range,
            name,
            ..
        } => {
            let next = catalog::add_next_vlan(&db, &location, range.as_deref(), name.as_deref());
            vec![next.await?]
        }
        VlanCommand::Enable { location, vid } => {
            vec![catalog::set_vlan_enabled(&db, &location, vid, true).await?]
        }
        VlanCommand::Disable { location, vid } => {
            vec![catalog::set_vlan_enabled(&db, &location, vid, false).await?]
        }
        VlanCommand::List { location } => {
            let all = catalog::list_vlans(&db, location.as_deref()).await?;
            out.emit(&all, |all| vlan_table(all));
            return Ok(());
        }
    };
    out.emit(&vlans[0], |v| vlan_table(std::slice::from_ref(v)));
    Ok(())
}

fn vlan_table(vlans: &[Vlan]) -> String {
    let rows: Vec<Vec<String>> = vlans
        .iter()
        .map(|v| {
            vec![
                clean(&v.location),
                v.vid.to_string(),
                if v.enabled { "enabled" } else { "disabled" }.to_owned(),
                cell(&v.name.as_deref().map(clean)),
            ]
        })
        .collect();
    table(&["LOCATION", "VID", "STATE", "NAME"], &rows)
}
