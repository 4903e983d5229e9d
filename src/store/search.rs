//! Text search for the UI's `/`: a piece of a customer or device name, an rDNS name or a
//! description. Bounded by a limit; ILIKE scans, which is fine at today's table sizes.

use ipnet::IpNet;
use sqlx::PgConnection;

use super::errors::db_error;
use crate::error::Result;

/// `%text%` for ILIKE, with `%`, `_` and `\` in `text` matched literally.
fn contains(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// Blocks whose customer, device or description contains `text`, then address records
/// whose customer, device or rDNS name does: (the subnet, the address if a record), in
/// address order, at most `limit` of each.
pub async fn text(
    conn: &mut PgConnection,
    text: &str,
    limit: i64,
) -> Result<Vec<(IpNet, Option<IpNet>)>> {
    sqlx::query_as(
        "(SELECT s.cidr, NULL::inet FROM subnets s
            LEFT JOIN customers c ON c.id = s.customer_id
            LEFT JOIN devices d ON d.id = s.device_id
          WHERE c.name ILIKE $1 OR d.name ILIKE $1 OR s.description ILIKE $1
          ORDER BY s.cidr LIMIT $2)
         UNION ALL
         (SELECT s.cidr, a.address FROM ip_addresses a
            JOIN subnets s ON s.id = a.subnet_id
            LEFT JOIN customers c ON c.id = a.customer_id
            LEFT JOIN devices d ON d.id = a.device_id
          WHERE c.name ILIKE $1 OR d.name ILIKE $1 OR a.rdns ILIKE $1
          ORDER BY a.address LIMIT $2)",
    )
    .bind(contains(text))
    .bind(limit)
    .fetch_all(conn)
    .await
    .map_err(db_error)
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_in_the_text_match_themselves() {
        assert_eq!(super::contains("web_1%"), r"%web\_1\%%");
    }
}
