//! Turning sqlx errors into carve errors: lost connections are connection errors,
//! serialization failures and deadlocks are `Busy` (the service retries them), and
//! everything else is reported with the database's own words.

use crate::error::{Error, ErrorKind};

pub fn db_error(error: sqlx::Error) -> Error {
    match &error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("40001") | Some("40P01") => Error::new(ErrorKind::Busy, db.message().to_owned()),
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

/// The name of the constraint a database error broke, if any.
pub fn violated_constraint(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|db| db.constraint().map(str::to_owned))
}
