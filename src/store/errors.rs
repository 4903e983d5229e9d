//! Turning sqlx errors into carve errors: lost connections are connection errors,
//! serialization failures and deadlocks are `Busy` (the service retries them), and
//! everything else is reported with the database's own words.

use crate::engine::text;
use crate::error::{Error, ErrorKind};

pub fn db_error(error: sqlx::Error) -> Error {
    if let Some(bound) = violated_constraint(&error).and_then(|c| length_bound(&c)) {
        return Error::validation(bound);
    }
    if let Some(refusal) = violated_constraint(&error).and_then(|c| invariant(&c)) {
        return Error::conflict(refusal);
    }
    match &error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40001") | Some("40P01") => Error::new(ErrorKind::Busy, db.message().to_owned()),
            // lock_not_available: not Busy, a retry would only wait as long again.
            Some("55P03") => Error::conflict(lock_wait_message(db.as_ref())),
            // admin_shutdown, crash_shutdown, cannot_connect_now: the server went away.
            Some("57P01") | Some("57P02") | Some("57P03") => Error::connection(format!(
                "the database connection was lost: {}",
                db.message()
            )),
            _ => Error::internal(format!("database error: {}", db.message())),
        },
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::PoolTimedOut => {
            Error::connection(format!("the database connection was lost: {error}"))
        }
        _ => Error::internal(format!("database error: {error}")),
    }
}

/// What the session waited for (the database's context names the table and row when
/// it knows them) and what to do about it.
fn lock_wait_message(db: &dyn sqlx::error::DatabaseError) -> String {
    let context = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.r#where())
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    format!(
        "gave up waiting for a lock that another session holds{context}: {}; nothing was \
         changed: try again when it is done (database.lock_timeout_secs sets the wait)",
        db.message()
    )
}

/// The name of the constraint a database error broke, if any.
pub fn violated_constraint(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|db| db.constraint().map(str::to_owned))
}

/// The words for a `<table>_<column>_length` CHECK of migration 0013: which field, and
/// the bound carve keeps for it (src/engine/text.rs).
fn length_bound(constraint: &str) -> Option<String> {
    let field = constraint.strip_suffix("_length")?;
    let (table, column) = [
        ("locations_", "location"),
        ("customers_", "customer"),
        ("devices_", "device"),
        ("vlans_", "VLAN"),
        ("products_", "product"),
        ("billing_plans_", "billing plan"),
        ("subnets_", "subnet"),
        ("ip_addresses_", "address"),
    ]
    .iter()
    .find_map(|(prefix, word)| field.strip_prefix(prefix).map(|column| (*word, column)))?;
    let max = match column {
        "name" | "kind" => text::NAME_MAX,
        "rdns" => text::PTR_MAX,
        _ => text::TEXT_MAX,
    };
    Some(format!(
        "a {table} {} is limited to {max} characters (database constraint {constraint})",
        column.replace('_', " ")
    ))
}

/// The words for an invariant the database enforces (DESIGN.md section 1), for a change
/// that reached it without a check of carve's own saying it first.
fn invariant(constraint: &str) -> Option<String> {
    let rule = match constraint {
        "subnets_inside_owner" => {
            "space under a block held for a customer, service or device is that holder's: \
             a block inside it goes to the same holder only"
        }
        "ip_addresses_inside_owner" => {
            "an address in a pool held for a customer, service or device goes to that holder only"
        }
        "ip_addresses_in_pool" => {
            "address records lie only in pools: release them before the block stops being one"
        }
        "subnets_pool_not_subdivided" | "subnets_parent_not_pool" => {
            "a pool hands out single addresses and is never subdivided"
        }
        _ => return None,
    };
    Some(format!(
        "refused: {rule} (database constraint {constraint})"
    ))
}
