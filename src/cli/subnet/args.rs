//! The `carve subnet` command line: its verbs and their arguments.

use clap::{Args, Subcommand};

use crate::service::lookup::ShownState;

#[derive(Debug, Subcommand)]
pub enum SubnetCommand {
    /// Add a new root block (it must not overlap another root).
    Add {
        /// The new root block, as a CIDR (it must not overlap another root).
        cidr: String,
        /// The location (site) it is at; its subtree inherits it.
        #[arg(long)]
        location: Option<String>,
        /// The VLAN id (1..4094) it is on; its subtree inherits it.
        #[arg(long)]
        vlan: Option<i32>,
        /// Free text about it.
        #[arg(long)]
        description: Option<String>,
        /// Hand out single addresses from it.
        #[arg(long)]
        pool: bool,
    },
    /// Allocate a block: a length anywhere (or in a pool, at a location), or one CIDR.
    Allocate(AllocateArgs),
    /// Split a free subnet into equal pieces (default: its two halves).
    Split {
        /// The free block to split, as a CIDR.
        cidr: String,
        /// Length of the pieces.
        #[arg(long)]
        to: Option<u8>,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Merge a subdivided subnet whose whole subtree is free back into one block.
    Merge {
        /// The subdivided block to merge, as a CIDR.
        cidr: String,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Return an allocated or reserved subnet to free space.
    Release {
        /// The allocated or reserved block to free, as a CIDR.
        cidr: String,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Reserve a block (carving it out if needed) so nothing allocates it.
    Reserve {
        /// The block to reserve, as a CIDR.
        cidr: String,
        /// Why: kept with it and shown by show.
        #[arg(long)]
        reason: Option<String>,
        /// Show what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Park a subnet and its whole subtree: kept, but never allocated.
    Park {
        /// The block to park with its subtree, as a CIDR.
        cidr: String,
        /// Why: kept with it and shown by show.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Undo a park.
    Unpark {
        /// The parked block, as a CIDR.
        cidr: String,
    },
    /// Change a subnet's own attributes.
    Set(SetArgs),
    /// Show a subnet, what holds it and what it holds (compact unless --full).
    Show {
        /// The block, as a CIDR (203.0.113.0/24).
        cidr: String,
        /// Show every buddy node, not only the meaningful ones.
        #[arg(long)]
        full: bool,
    },
    /// The free blocks inside a block as they are; with --len, the blocks of that
    /// length an allocation could take there.
    Free {
        /// The block to look in, as a CIDR.
        cidr: String,
        /// Count (and list the first few of) the free blocks of this prefix length.
        #[arg(long)]
        len: Option<u8>,
        /// Free for this customer: space held for them counts too.
        #[arg(long)]
        customer: Option<String>,
    },
    /// List every subnet that carries meaning (structural buddy nodes are left out).
    List {
        /// Only IPv4 (4) or IPv6 (6).
        #[arg(long, value_name = "4|6", value_parser = crate::cli::family)]
        family: Option<u8>,
        /// Only subnets in this state, as the STATE column words it.
        #[arg(long, value_enum)]
        status: Option<ShownState>,
        /// Only subnets at this location.
        #[arg(long)]
        location: Option<String>,
        /// Only subnets of this customer.
        #[arg(long)]
        customer: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AllocateArgs {
    /// Prefix length to allocate.
    #[arg(long, required_unless_present = "cidr", conflicts_with = "cidr")]
    pub len: Option<u8>,
    /// Address family for --len (default: the pool's, else 4).
    #[arg(long, value_name = "4|6", value_parser = crate::cli::family)]
    pub family: Option<u8>,
    /// Only carve from inside this subnet.
    #[arg(long)]
    pub pool: Option<String>,
    /// Only carve from space whose (inherited) location is this.
    #[arg(long)]
    pub location: Option<String>,
    /// The strongest move allowed: exact < merge < split.
    #[arg(long, default_value = "split")]
    pub strategy: String,
    /// Take exactly this block (splitting down to it if needed).
    #[arg(long)]
    pub cidr: Option<String>,
    /// The VLAN id to record; only untagged space or space on that VLAN is used.
    #[arg(long)]
    pub vlan: Option<i32>,
    /// The customer it is allocated to, by name.
    #[arg(long)]
    pub customer: Option<String>,
    /// The device the space is for; without --location, only space at the device's
    /// location is used.
    #[arg(long)]
    pub device: Option<String>,
    /// Free text about it.
    #[arg(long)]
    pub description: Option<String>,
    /// What it is for (primary, management, ...).
    #[arg(long)]
    pub purpose: Option<String>,
    /// With --cidr: take the block even while it is in release cooldown (ending the
    /// cooldown, journaled as cooldown_forced).
    #[arg(long, requires = "cidr")]
    pub force: bool,
    /// Show the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The block to change, as a CIDR.
    pub cidr: String,
    /// Set its location (cascades to the subtree).
    #[arg(long, conflicts_with = "no_location")]
    pub location: Option<String>,
    /// Clear its location.
    #[arg(long)]
    pub no_location: bool,
    /// Set its VLAN id.
    #[arg(long, conflicts_with = "no_vlan")]
    pub vlan: Option<i32>,
    /// Clear its VLAN.
    #[arg(long)]
    pub no_vlan: bool,
    /// Set its description.
    #[arg(long)]
    pub description: Option<String>,
    /// Make it an address pool (a leaf only).
    #[arg(long, conflicts_with = "no_pool")]
    pub pool: bool,
    /// Make it an ordinary block again.
    #[arg(long)]
    pub no_pool: bool,
    /// Keep the first N usable addresses of a pool back (a gateway, say).
    #[arg(long)]
    pub reserve_first: Option<i32>,
}
