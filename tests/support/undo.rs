//! Helpers of the undo tests: the whole state of the rows undo puts back, and the
//! changes to undo.

use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::subnets;
use carve::service::undo::{Target, UndoOutcome, undo};
use carve::store::Db;

use super::TestDb;
use super::site::{count, net};

/// Every subnet, address and service row with all its columns but the modification time:
/// equal means the undo put back exactly what was there.
pub async fn rows(t: &TestDb) -> String {
    sqlx::query_scalar(
        "SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM (
             SELECT to_jsonb(s) - 'updated_at' AS x FROM subnets s
             UNION ALL SELECT to_jsonb(a) - 'updated_at' FROM ip_addresses a
             UNION ALL SELECT to_jsonb(v) - 'updated_at' FROM services v) r",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

/// The newest successful journal row that is not an undo.
pub async fn last_change(t: &TestDb) -> i64 {
    count(
        t,
        "SELECT max(id) FROM provisioning_logs WHERE outcome = 'ok' AND event <> 'undo'",
    )
    .await
}

pub async fn undo_id(db: &Db, id: i64) -> carve::error::Result<UndoOutcome> {
    undo(db, &Target::Journal(id), false).await
}

pub async fn root(t: &TestDb, cidr: &str) -> Db {
    let db = t.db();
    subnets::add_root(&db, &net(cidr), None, None, None, false)
        .await
        .unwrap();
    db
}

pub async fn allocate(db: &Db, len: u8) -> String {
    let request = SubnetRequest::length(4, len, Some(net("10.0.0.0/24")));
    allocate_subnet(db, &request)
        .await
        .unwrap()
        .cidr
        .to_string()
}
