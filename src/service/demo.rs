//! `carve demo`: a database `carve_demo` in the embedded cluster (never the user's data),
//! filled through the same use cases a user runs, so every view has something to show.

use ipnet::IpNet;

use super::addresses::{self, Holder, Source};
use super::allocate::{SubnetRequest, allocate_subnet};
use super::billing;
use super::catalog;
use super::database::local_cluster;
use super::products;
use super::provision::{self, ProvisionRequest};
use super::subnets::{self, Changes};
use crate::config::Settings;
use crate::engine::parse_cidr;
use crate::error::{Error, Result};
use crate::model::Catalog;
use crate::store::{self, Db, Target};

pub const DEMO_DATABASE: &str = "carve_demo";

/// (Re)creates the demo database and returns a connection to it.
pub async fn create(settings: &Settings) -> Result<Db> {
    let cluster = local_cluster(settings)?;
    cluster.ensure_running().await?;
    cluster.create_database_named(DEMO_DATABASE, true).await?;
    let db = Db::connect(
        Target::single(cluster.connect_options(DEMO_DATABASE)),
        settings.connect_timeout,
        settings.lock_timeout,
        settings.max_connections,
    )
    .await?;
    store::migrate(&db.pool).await?;
    fill(&db).await?;
    Ok(db)
}

/// A URL that reaches the demo database (for the UI's command palette).
pub fn url(settings: &Settings) -> Result<String> {
    Ok(local_cluster(settings)?.url(DEMO_DATABASE))
}

fn net(text: &str) -> Result<IpNet> {
    parse_cidr(text).map_err(|e| Error::internal(e.to_string()))
}

async fn take(db: &Db, cidr: &str, customer: Option<&str>, vlan: Option<i32>) -> Result<()> {
    let request = SubnetRequest {
        vlan,
        customer: customer.map(str::to_owned),
        ..SubnetRequest::cidr(net(cidr)?)
    };
    allocate_subnet(db, &request).await.map(drop)
}

/// Fills `db` with the example data (also the TUI snapshot tests' fixture).
pub async fn fill(db: &Db) -> Result<()> {
    catalog::add(db, Catalog::Location, "EU-FRA").await?;
    catalog::add_vlan(db, "EU-FRA", 102, Some("customers")).await?;
    for customer in ["cust-7421", "cust-7422"] {
        catalog::add(db, Catalog::Customer, customer).await?;
    }
    subnets::add_root(
        db,
        &net("203.0.113.0/24")?,
        Some("EU-FRA"),
        None,
        Some("transit customers".into()),
        false,
    )
    .await?;
    take(db, "203.0.113.0/26", Some("cust-7421"), Some(102)).await?;
    take(db, "203.0.113.64/27", Some("cust-7422"), Some(102)).await?;
    subnets::split(db, &net("203.0.113.96/27")?, Some(29), false).await?;
    subnets::park(
        db,
        &net("203.0.113.96/29")?,
        true,
        Some("under abuse review".into()),
    )
    .await?;
    subnets::add_root(
        db,
        &net("2001:db8:1::/48")?,
        Some("EU-FRA"),
        None,
        None,
        false,
    )
    .await?;
    take(db, "2001:db8:1:a::/64", Some("cust-7421"), Some(102)).await?;

    let changes = Changes {
        pool: Some(true),
        pool_reserved_first: Some(1),
        ..Changes::default()
    };
    subnets::set(db, &net("203.0.113.0/26")?, &changes).await?;
    let pool = Source::Subnet(net("203.0.113.0/26")?);
    for (purpose, rdns) in [
        ("primary", "web1.cust-7421.example"),
        ("primary", "web2.cust-7421.example"),
        ("management", "bmc1.cust-7421.example"),
    ] {
        let holder = Holder {
            customer: Some("cust-7421".into()),
            vlan: Some(102),
            purpose: Some(purpose.into()),
            rdns: Some(rdns.into()),
            ..Holder::default()
        };
        addresses::allocate(db, &pool, &holder).await?;
    }
    provisioned_server(db).await
}

/// A server pool, a device and a product, and one service provisioned from them.
async fn provisioned_server(db: &Db) -> Result<()> {
    take(db, "203.0.113.128/28", None, Some(102)).await?;
    let changes = Changes {
        pool: Some(true),
        description: Some(Some("dedicated servers".into())),
        ..Changes::default()
    };
    subnets::set(db, &net("203.0.113.128/28")?, &changes).await?;
    products::add_device(db, "srv-7422", "EU-FRA", Some("server")).await?;
    let config = serde_json::from_str(DEDICATED_SERVER)
        .map_err(|e| Error::internal(format!("the bundled product example: {e}")))?;
    products::save(db, "dedicated-server", &config, false).await?;
    let order = ProvisionRequest {
        customer: "cust-7422".into(),
        product: "dedicated-server".into(),
        device: "srv-7422".into(),
        dry_run: false,
    };
    let service = provision::provision(db, &order).await?.service.id;
    billed_transit(db, service).await
}

/// A commit_burst plan on the service and last month's traffic: `carve billing invoice
/// 1 --cycle <last month>` and `billing graph` have something to show.
async fn billed_transit(db: &Db, service: i64) -> Result<()> {
    use crate::billing::cycle::{Cycle, PERIOD};
    use crate::billing::plan::{Model, Plan};
    let plan = Plan {
        commit_mbps: Some(100.into()),
        commit_price: Some(rust_decimal::Decimal::new(150, 2)),
        burst_price_per_mbps: Some(rust_decimal::Decimal::new(200, 2)),
        ..Plan::new("transit-100", Model::CommitBurst, "EUR")
    };
    billing::add_plan(db, plan).await?;
    billing::assign(db, service, "transit-100", None).await?;
    let this_month = Cycle::of(time::OffsetDateTime::now_utc().unix_timestamp())
        .ok_or_else(|| Error::internal("the clock is out of range"))?;
    let last = Cycle::of(this_month.start() - 1).ok_or_else(|| Error::internal("no last month"))?;
    // A daily curve: 60 Mbps at night, 140 by day, a busy evening peak; in is a third.
    let mut usage = String::new();
    for i in 0..last.periods() as i64 {
        let hour = (i / 12) % 24;
        let mbps = match hour {
            0..=6 => 60,
            19..=22 => 170 + (i * 7919) % 40,
            _ => 120 + (i * 104_729) % 30,
        };
        let at = last.start() + PERIOD * i;
        usage.push_str(&format!(
            "{service},{at},{},{}\n",
            mbps * 12_500_000,
            mbps * 37_500_000
        ));
    }
    billing::ingest(db, "demo", usage.as_bytes(), &super::progress::Quiet)
        .await
        .map(drop)
}

/// The example product of the README, also used by the demo.
pub const DEDICATED_SERVER: &str = include_str!("../../examples/dedicated-server.json");
