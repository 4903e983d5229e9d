//! Devices and products: what provisioning draws on. A product's ipam_config is checked
//! in full before it is stored.

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::resolve;
use super::tx::journal_if_failed;
use crate::engine::text::quote;
use crate::error::{Error, Result};
use crate::model::{Device, Event, Product};
use crate::provision::config::{self, IpamConfig};
use crate::store::journal;
use crate::store::services;
use crate::store::{Db, db_error, tree};

pub async fn add_device(db: &Db, name: &str, location: &str, kind: Option<&str>) -> Result<Device> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let location_id = resolve::location(&mut tx, Some(location))
        .await?
        .ok_or_else(|| Error::internal("a named location without an id"))?;
    let kind = kind.map(str::trim).filter(|k| !k.is_empty());
    let device = services::add_device(&mut tx, name, location_id, kind).await?;
    let event = Event::new(
        "device_add",
        json!({"device": device.name, "location": device.location, "kind": device.kind}),
    );
    journal::record(&mut tx, &event).await?;
    tx.commit().await.map_err(db_error)?;
    Ok(device)
}

pub async fn list_devices(db: &Db) -> Result<Vec<Device>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    services::list_devices(&mut conn).await
}

/// A product as stored, with its config read.
#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    #[serde(flatten)]
    pub product: Product,
    pub rules: IpamConfig,
}

/// Saves a new product (`replace` false) or a new config for an existing one. Every
/// fault of the config is reported at once, each with its JSON path; nothing is stored
/// then.
pub async fn save(db: &Db, name: &str, config: &Value, replace: bool) -> Result<ProductView> {
    let event = if replace {
        "product_update"
    } else {
        "product_add"
    };
    let request = json!({"product": name, "ipam_config": config});
    let result = save_once(db, name, config, replace, event).await;
    journal_if_failed(db, event, request, false, result).await
}

async fn save_once(
    db: &Db,
    name: &str,
    config: &Value,
    replace: bool,
    event: &'static str,
) -> Result<ProductView> {
    let mut tx = db.pool.begin().await.map_err(db_error)?;
    let rules = checked(&mut tx, name, config).await?;
    let Some(product) = services::save_product(&mut tx, name, config, replace).await? else {
        return Err(unknown_product(name));
    };
    journal::record(
        &mut tx,
        &Event::new(event, json!({"product": name, "ipam_config": config})),
    )
    .await?;
    tx.commit().await.map_err(db_error)?;
    Ok(ProductView { product, rules })
}

/// The config read, with every fault (shape, ranges, and pools carve does not know)
/// in one error.
async fn checked(conn: &mut PgConnection, name: &str, value: &Value) -> Result<IpamConfig> {
    let (config, mut faults) = match config::parse(value) {
        Ok(config) => (Some(config), Vec::new()),
        Err(faults) => (None, faults),
    };
    if let Some(config) = &config {
        for (i, rule) in config.rules.iter().enumerate() {
            for (j, pool) in rule.pools.iter().enumerate() {
                if tree::find(&mut *conn, pool).await?.is_none() {
                    faults.push(config::Fault {
                        path: format!("rules[{i}].pools[{j}]"),
                        message: format!("{pool} is not a subnet carve knows (add it first)"),
                    });
                }
            }
        }
    }
    match config {
        Some(config) if faults.is_empty() => Ok(config),
        _ => Err(refused(name, &faults)),
    }
}

fn refused(name: &str, faults: &[config::Fault]) -> Error {
    let list: Vec<String> = faults.iter().map(ToString::to_string).collect();
    Error::validation(format!(
        "product {}: ipam_config refused ({} fault{}): {}",
        quote(name),
        faults.len(),
        if faults.len() == 1 { "" } else { "s" },
        list.join("; ")
    ))
}

pub fn unknown_product(name: &str) -> Error {
    Error::not_found(format!(
        "unknown product {q} (add it with: carve product add {q} --ipam-config FILE)",
        q = quote(name)
    ))
}

/// A stored product and its config, read again (a row written by hand is checked too).
pub(crate) async fn load(conn: &mut PgConnection, name: &str) -> Result<ProductView> {
    let product = services::product_by_name(conn, name)
        .await?
        .ok_or_else(|| unknown_product(name))?;
    let rules =
        config::parse(&product.ipam_config).map_err(|faults| refused(&product.name, &faults))?;
    Ok(ProductView { product, rules })
}

pub async fn show(db: &Db, name: &str) -> Result<ProductView> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    load(&mut conn, name).await
}

pub async fn list(db: &Db) -> Result<Vec<Product>> {
    let mut conn = db.pool.acquire().await.map_err(db_error)?;
    services::list_products(&mut conn).await
}
