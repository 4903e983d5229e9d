//! Release cooldowns: released space parked until a time, then freed by the sweep
//! (`service::cooldown::expire`: writable starts, an open UI, every allocation).

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

/// The columns that park a row for `$2` seconds.
const COOL: &str = "is_unavailable = true,
        cooldown_until = now() + make_interval(secs => $2),
        unavailable_reason = 'release cooldown until '
            || to_char((now() + make_interval(secs => $2)) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'),
        updated_at = now()";
const UNTIL: &str =
    "RETURNING to_char(cooldown_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

/// Parks a just-released leaf for `seconds`; returns when the cooldown ends (UTC text).
/// A leaf parked already (by hand, for a reason) stays parked as it is: None.
pub async fn start_subnet(
    conn: &mut PgConnection,
    id: i64,
    seconds: i64,
) -> Result<Option<String>> {
    let sql = format!("UPDATE subnets SET {COOL} WHERE id = $1 AND NOT is_unavailable {UNTIL}");
    cool(conn, &sql, id, seconds).await
}

/// Turns a released address's record into a parked one for `seconds`: its holder and
/// its PTR name go, the address stays out of reuse. Returns when the cooldown ends.
pub async fn start_address(
    conn: &mut PgConnection,
    id: i64,
    seconds: i64,
) -> Result<Option<String>> {
    let sql = format!(
        "UPDATE ip_addresses SET customer_id = NULL, device_id = NULL, service_id = NULL,
                vlan_id = NULL, purpose = NULL, description = NULL, allocation_id = NULL,
                rdns = NULL, rdns_updated_at = NULL, is_reserved = false, reserve_reason = NULL,
                {COOL}
         WHERE id = $1 {UNTIL}"
    );
    cool(conn, &sql, id, seconds).await
}

async fn cool(conn: &mut PgConnection, sql: &str, id: i64, seconds: i64) -> Result<Option<String>> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(id)
        .bind(seconds as f64)
        .fetch_optional(conn)
        .await
        .map_err(db_error)
}

/// Ends one subnet's cooldown now (`--force`): it is free again.
pub async fn end_subnet(conn: &mut PgConnection, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE subnets SET is_unavailable = false, unavailable_reason = NULL,
                cooldown_until = NULL, updated_at = now()
         WHERE id = $1 AND cooldown_until IS NOT NULL",
    )
    .bind(id)
    .execute(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Space whose cooldown ended: a subnet (`cidr`) or an address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ended {
    pub cidr: Option<IpNet>,
    pub address: Option<IpNet>,
    pub until: String,
}

/// Frees everything whose cooldown has ended: subnets are unparked, address records
/// deleted (a free address has no row). Rows another transaction holds are left for
/// the next look, so this never waits.
pub async fn expire(conn: &mut PgConnection) -> Result<Vec<Ended>> {
    sqlx::query_as(
        "WITH due_subnets AS (
             SELECT id, cooldown_until FROM subnets WHERE cooldown_until <= now()
             FOR UPDATE SKIP LOCKED),
         freed_subnets AS (
             UPDATE subnets s SET is_unavailable = false, unavailable_reason = NULL,
                    cooldown_until = NULL, updated_at = now()
             FROM due_subnets d WHERE s.id = d.id
             RETURNING s.cidr, d.cooldown_until),
         due_addresses AS (
             SELECT id FROM ip_addresses WHERE cooldown_until <= now() FOR UPDATE SKIP LOCKED),
         freed_addresses AS (
             DELETE FROM ip_addresses a USING due_addresses d WHERE a.id = d.id
             RETURNING NULL::cidr AS cidr, a.address, a.cooldown_until)
         SELECT cidr, NULL::inet AS address,
                to_char(cooldown_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS until
         FROM freed_subnets
         UNION ALL
         SELECT NULL, address,
                to_char(cooldown_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         FROM freed_addresses",
    )
    .fetch_all(conn)
    .await
    .map_err(db_error)
}
