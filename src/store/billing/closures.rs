//! Which billing cycles are closed: for every service (a row without one), for one
//! service, or reopened for one service under a cycle closed for all (migration 0012).

use sqlx::PgConnection;
use time::Date;

use super::super::errors::db_error;
use crate::error::Result;

/// How one cycle stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closure {
    /// Closed for every service (but those reopened).
    pub all: bool,
    /// Services closed on their own.
    pub closed: Vec<i64>,
    /// Services reopened under a close of all.
    pub reopened: Vec<i64>,
}

impl Closure {
    pub fn is_closed(&self, service: i64) -> bool {
        self.closed.contains(&service) || (self.all && !self.reopened.contains(&service))
    }

    /// Closed for every service, none reopened.
    pub fn wholly_closed(&self) -> bool {
        self.all && self.reopened.is_empty()
    }

    /// Closed for any service.
    pub fn any_closed(&self) -> bool {
        self.all || !self.closed.is_empty()
    }
}

pub async fn state(conn: &mut PgConnection, cycle: Date) -> Result<Closure> {
    let rows: Vec<(Option<i64>, bool)> =
        sqlx::query_as("SELECT service_id, closed FROM billing_cycle_closures WHERE cycle = $1")
            .bind(cycle)
            .fetch_all(conn)
            .await
            .map_err(db_error)?;
    let mut state = Closure::default();
    for (service, closed) in rows {
        match (service, closed) {
            (None, _) => state.all = true,
            (Some(s), true) => state.closed.push(s),
            (Some(s), false) => state.reopened.push(s),
        }
    }
    Ok(state)
}

/// Closes the cycle for every service: the one row that says so replaces the rows of
/// single services.
pub async fn close_all(conn: &mut PgConnection, cycle: Date) -> Result<()> {
    sqlx::query(
        "WITH gone AS (DELETE FROM billing_cycle_closures WHERE cycle = $1 AND service_id IS NOT NULL)
         INSERT INTO billing_cycle_closures (cycle, service_id, closed) VALUES ($1, NULL, true)
         ON CONFLICT (cycle) WHERE service_id IS NULL DO NOTHING",
    )
    .bind(cycle)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Closes the cycle for one service: under a close of all, by dropping its reopening.
pub async fn close_service(
    conn: &mut PgConnection,
    cycle: Date,
    service: i64,
    all: bool,
) -> Result<()> {
    set_service(conn, cycle, service, (!all).then_some(true)).await
}

/// Reopens the cycle for every service.
pub async fn reopen_all(conn: &mut PgConnection, cycle: Date) -> Result<()> {
    sqlx::query("DELETE FROM billing_cycle_closures WHERE cycle = $1")
        .bind(cycle)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Reopens the cycle for one service: under a close of all, by a row saying so.
pub async fn reopen_service(
    conn: &mut PgConnection,
    cycle: Date,
    service: i64,
    all: bool,
) -> Result<()> {
    set_service(conn, cycle, service, all.then_some(false)).await
}

/// The service's own row: `closed`, or none.
async fn set_service(
    conn: &mut PgConnection,
    cycle: Date,
    service: i64,
    closed: Option<bool>,
) -> Result<()> {
    let sql = match closed {
        Some(_) => {
            "INSERT INTO billing_cycle_closures (cycle, service_id, closed) VALUES ($1, $2, $3)
             ON CONFLICT (cycle, service_id) WHERE service_id IS NOT NULL
             DO UPDATE SET closed = EXCLUDED.closed, changed_at = now()"
        }
        None => {
            "DELETE FROM billing_cycle_closures WHERE cycle = $1 AND service_id = $2 AND $3::boolean IS NULL"
        }
    };
    sqlx::query(sql)
        .bind(cycle)
        .bind(service)
        .bind(closed)
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}
