//! What the tests of `carve ip reserve` / `unreserve` read back: the state a refused
//! command must leave, a refusal's kind and words, and journal rows of one address.

use super::TestDb;
use super::cli::Cli;

/// Every address row with its reservation, every subnet, and the count of journal rows
/// of changes that succeeded: what a refused command must leave as it was.
pub async fn state(t: &TestDb) -> String {
    let addresses: String = sqlx::query_scalar(
        "SELECT coalesce(string_agg(concat_ws(':', address, customer_id, is_unavailable,
                    is_reserved, reserve_reason, description, allocation_id IS NOT NULL),
                    ' ' ORDER BY address), '')
         FROM ip_addresses",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    let journal: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provisioning_logs WHERE outcome = 'ok'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    format!("{} | {addresses} | {journal}", t.snapshot().await)
}

/// The (kind, message) of a refused command, which must exit 1.
pub fn refused(cli: &Cli, args: &[&str]) -> (String, String) {
    let (code, doc, stderr) = cli.json(args, None);
    assert_eq!(code, 1, "{args:?} was not refused: {doc} {stderr}");
    let text = |k: &str| doc["error"][k].as_str().unwrap_or_default().to_owned();
    (text("kind"), text("message"))
}

pub async fn journaled(t: &TestDb, event: &str, address: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM provisioning_logs
         WHERE event = $1 AND outcome = 'ok' AND address = $2::inet",
    )
    .bind(event)
    .bind(address)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}
