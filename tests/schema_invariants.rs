//! The database itself refuses every row that would break the tree, even raw SQL that
//! bypasses carve's code (DESIGN.md section 1).

mod support;

use sqlx::PgPool;

/// Runs `sql`, expects PostgreSQL to refuse it with `code` naming `constraint`, and checks
/// that the table's row count did not change.
async fn refused(pool: &PgPool, table: &str, sql: &str, code: &str, constraint: &str) {
    let count = |pool: &PgPool| {
        let q = format!("SELECT count(*) FROM {table}");
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = count(pool).await;
    let err = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .expect_err(&format!("the database accepted: {sql}"));
    let db = err.as_database_error().expect("a database error");
    assert_eq!(db.code().as_deref(), Some(code), "{sql}: {}", db.message());
    assert_eq!(db.constraint(), Some(constraint), "{sql}: {}", db.message());
    assert_eq!(count(pool).await, before, "{sql} changed {table}");
}

/// 203.0.113.0/24 split into its two /25 halves, the lower half split again.
async fn small_tree(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO subnets (cidr, allocation_status) VALUES ('203.0.113.0/24', 'subdivided');
         INSERT INTO subnets (cidr, parent_id, parent_cidr, allocation_status)
             SELECT c, id, cidr, s FROM subnets,
                 (VALUES ('203.0.113.0/25'::cidr, 'subdivided'), ('203.0.113.128/25', 'unallocated')) v(c, s)
             WHERE cidr = '203.0.113.0/24';
         INSERT INTO subnets (cidr, parent_id, parent_cidr, is_pool)
             SELECT c, id, cidr, true FROM subnets,
                 (VALUES ('203.0.113.0/26'::cidr), ('203.0.113.64/26')) v(c)
             WHERE cidr = '203.0.113.0/25';",
    )
    .execute(pool)
    .await
    .expect("a valid tree is accepted");
}

#[tokio::test]
async fn a_valid_tree_and_address_are_accepted() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    sqlx::query(
        "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr)
         SELECT '203.0.113.70', id, cidr FROM subnets WHERE cidr = '203.0.113.64/26'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let leaves: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets s WHERE NOT EXISTS (SELECT 1 FROM subnets c WHERE c.parent_id = s.id)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(leaves, 3);
    // The containment lookup a NOC engineer runs most: who holds this address?
    let holders: Vec<String> = sqlx::query_scalar(
        "SELECT cidr::text FROM subnets WHERE cidr >>= '203.0.113.70'::inet ORDER BY masklen(cidr)",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        holders,
        ["203.0.113.0/24", "203.0.113.0/25", "203.0.113.64/26"]
    );
}

#[tokio::test]
async fn duplicate_cidr_is_refused() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    refused(
        &db.pool,
        "subnets",
        "INSERT INTO subnets (cidr) VALUES ('203.0.113.0/24')",
        "23505",
        "subnets_cidr_key",
    )
    .await;
}

#[tokio::test]
async fn overlapping_roots_and_siblings_are_refused() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    // A root that overlaps an existing root, both ways round.
    for cidr in ["203.0.112.0/23", "203.0.113.128/26", "203.0.0.0/16"] {
        refused(
            &db.pool,
            "subnets",
            &format!("INSERT INTO subnets (cidr) VALUES ('{cidr}')"),
            "23P01",
            "subnets_no_overlapping_siblings",
        )
        .await;
    }
    // Two children of one parent that overlap without being equal cannot be built
    // either: the second is refused by the exclusion constraint.
    let db2 = support::test_db().await;
    sqlx::raw_sql(
        "INSERT INTO subnets (cidr, allocation_status) VALUES ('198.51.100.0/24', 'subdivided');
         INSERT INTO subnets (cidr, parent_id, parent_cidr)
             SELECT '198.51.100.0/25', id, cidr FROM subnets WHERE cidr = '198.51.100.0/24'",
    )
    .execute(&db2.pool)
    .await
    .unwrap();
    sqlx::query("ALTER TABLE subnets DROP CONSTRAINT subnets_child_inside_parent")
        .execute(&db2.pool)
        .await
        .unwrap();
    refused(
        &db2.pool,
        "subnets",
        "INSERT INTO subnets (cidr, parent_id, parent_cidr)
         SELECT '198.51.100.0/26', id, cidr FROM subnets WHERE cidr = '198.51.100.0/24'",
        "23P01",
        "subnets_no_overlapping_siblings",
    )
    .await;
}

#[tokio::test]
async fn a_child_outside_its_parent_or_not_a_buddy_half_is_refused() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    let under_24 = |cidr: &str| {
        format!(
            "INSERT INTO subnets (cidr, parent_id, parent_cidr)
             SELECT '{cidr}', id, cidr FROM subnets WHERE cidr = '203.0.113.0/24'"
        )
    };
    // Outside the parent entirely.
    refused(
        &db.pool,
        "subnets",
        &under_24("198.51.100.0/25"),
        "23514",
        "subnets_child_inside_parent",
    )
    .await;
    // Inside, but two steps down: the /25 in between must exist.
    refused(
        &db.pool,
        "subnets",
        &under_24("203.0.113.192/26"),
        "23514",
        "subnets_child_inside_parent",
    )
    .await;
    // A parent_cidr that lies about the parent's real CIDR.
    refused(
        &db.pool,
        "subnets",
        "INSERT INTO subnets (cidr, parent_id, parent_cidr)
         SELECT '198.51.100.0/25', id, '198.51.100.0/24' FROM subnets WHERE cidr = '203.0.113.0/24'",
        "23503",
        "subnets_parent_fkey",
    )
    .await;
    // A parent that does not exist.
    refused(
        &db.pool,
        "subnets",
        "INSERT INTO subnets (cidr, parent_id, parent_cidr) VALUES ('10.0.0.0/25', 999999, '10.0.0.0/24')",
        "23503",
        "subnets_parent_fkey",
    )
    .await;
    // A parent that still has children cannot be deleted.
    refused(
        &db.pool,
        "subnets",
        "DELETE FROM subnets WHERE cidr = '203.0.113.0/25'",
        "23503",
        "subnets_parent_fkey",
    )
    .await;
}

#[tokio::test]
async fn prefix_lengths_and_statuses_outside_the_rules_are_refused() {
    let db = support::test_db().await;
    let cases = [
        (
            "INSERT INTO subnets (cidr) VALUES ('10.0.0.0/7')",
            "subnets_prefix_length",
        ),
        (
            "INSERT INTO subnets (cidr) VALUES ('2001:db8::/31')",
            "subnets_prefix_length",
        ),
        (
            "INSERT INTO subnets (cidr, allocation_status) VALUES ('10.0.0.0/8', 'taken')",
            "subnets_allocation_status_check",
        ),
    ];
    for (sql, constraint) in cases {
        refused(&db.pool, "subnets", sql, "23514", constraint).await;
    }
}

#[tokio::test]
async fn addresses_must_be_unique_hosts_inside_their_subnet() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    let into_pool = |address: &str| {
        format!(
            "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr)
             SELECT '{address}', id, cidr FROM subnets WHERE cidr = '203.0.113.0/26'"
        )
    };
    sqlx::query(sqlx::AssertSqlSafe(into_pool("203.0.113.5")))
        .execute(&db.pool)
        .await
        .unwrap();
    refused(
        &db.pool,
        "ip_addresses",
        &into_pool("203.0.113.5"),
        "23505",
        "ip_addresses_address_key",
    )
    .await;
    refused(
        &db.pool,
        "ip_addresses",
        &into_pool("203.0.113.70"),
        "23514",
        "ip_addresses_inside_subnet",
    )
    .await;
    refused(
        &db.pool,
        "ip_addresses",
        &into_pool("2001:db8::1"),
        "23514",
        "ip_addresses_inside_subnet",
    )
    .await;
    refused(
        &db.pool,
        "ip_addresses",
        &into_pool("203.0.113.6/24"),
        "23514",
        "ip_addresses_host_form",
    )
    .await;
    // A subnet_cidr that lies about the subnet.
    refused(
        &db.pool,
        "ip_addresses",
        "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr)
         SELECT '203.0.113.70', id, '203.0.113.64/26' FROM subnets WHERE cidr = '203.0.113.0/26'",
        "23503",
        "ip_addresses_subnet_fkey",
    )
    .await;
    // A subnet that holds addresses cannot be deleted from under them.
    refused(
        &db.pool,
        "subnets",
        "DELETE FROM subnets WHERE cidr = '203.0.113.0/26'",
        "23503",
        "ip_addresses_subnet_fkey",
    )
    .await;
}

#[tokio::test]
async fn vlan_ids_stay_in_range_and_unique_per_location() {
    let db = support::test_db().await;
    sqlx::query("INSERT INTO locations (name) VALUES ('EU-FRA')")
        .execute(&db.pool)
        .await
        .unwrap();
    let vlan = |vid: i32| {
        format!(
            "INSERT INTO vlans (location_id, vid) SELECT id, {vid} FROM locations WHERE name = 'EU-FRA'"
        )
    };
    sqlx::query(sqlx::AssertSqlSafe(vlan(102)))
        .execute(&db.pool)
        .await
        .unwrap();
    for vid in [0, 4095] {
        refused(&db.pool, "vlans", &vlan(vid), "23514", "vlans_vid_check").await;
    }
    refused(
        &db.pool,
        "vlans",
        &vlan(102),
        "23505",
        "vlans_location_id_vid_key",
    )
    .await;
    refused(
        &db.pool,
        "locations",
        "INSERT INTO locations (name) VALUES (' EU-FRA ')",
        "23514",
        "locations_name_check",
    )
    .await;
}
