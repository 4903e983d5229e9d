//! The database itself refuses every row that would break the tree, even raw SQL that
//! bypasses carve's code (DESIGN.md section 1).

mod support;

use sqlx::PgPool;

/// A statement PostgreSQL must refuse: with this SQLSTATE, naming this constraint,
/// leaving `table` as it was.
struct Refusal<'a> {
    why: &'a str,
    table: &'a str,
    sql: String,
    code: &'a str,
    constraint: &'a str,
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn all_refused(pool: &PgPool, cases: Vec<Refusal<'_>>) {
    for case in cases {
        let before = count(pool, case.table).await;
        let err = sqlx::query(sqlx::AssertSqlSafe(case.sql.clone()))
            .execute(pool)
            .await
            .expect_err(&format!("{}: the database accepted {}", case.why, case.sql));
        let db = err.as_database_error().expect("a database error");
        let context = format!("{}: {}", case.why, db.message());
        assert_eq!(db.code().as_deref(), Some(case.code), "{context}");
        assert_eq!(db.constraint(), Some(case.constraint), "{context}");
        assert_eq!(
            count(pool, case.table).await,
            before,
            "{}: {} changed",
            case.why,
            case.table
        );
    }
}

fn refusal<'a>(
    why: &'a str,
    table: &'a str,
    sql: impl Into<String>,
    code: &'a str,
    constraint: &'a str,
) -> Refusal<'a> {
    Refusal {
        why,
        table,
        sql: sql.into(),
        code,
        constraint,
    }
}

/// SQL that inserts `cidr` as a child of the subnet `parent`, copying what the parent
/// foreign key expects.
fn child_of(parent: &str, cidr: &str) -> String {
    format!(
        "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden)
         SELECT '{cidr}', id, cidr, hidden FROM subnets WHERE cidr = '{parent}'"
    )
}

/// SQL that records `address` in the subnet `subnet`.
fn address_in(subnet: &str, address: &str) -> String {
    format!(
        "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr, subnet_hidden)
         SELECT '{address}', id, cidr, hidden FROM subnets WHERE cidr = '{subnet}'"
    )
}

/// 203.0.113.0/24 split into its two /25 halves, the lower half split again.
async fn small_tree(pool: &PgPool) {
    sqlx::raw_sql(
        "INSERT INTO subnets (cidr, allocation_status) VALUES ('203.0.113.0/24', 'subdivided');
         INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden, allocation_status)
             SELECT c, id, cidr, hidden, s FROM subnets,
                 (VALUES ('203.0.113.0/25'::cidr, 'subdivided'), ('203.0.113.128/25', 'unallocated')) v(c, s)
             WHERE cidr = '203.0.113.0/24';
         INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden, is_pool)
             SELECT c, id, cidr, hidden, true FROM subnets,
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
    db.exec(&address_in("203.0.113.64/26", "203.0.113.70"))
        .await;
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
    let sql = "INSERT INTO subnets (cidr) VALUES ('203.0.113.0/24')";
    all_refused(
        &db.pool,
        vec![refusal(
            "duplicate root",
            "subnets",
            sql,
            "23505",
            "subnets_cidr_key",
        )],
    )
    .await;
}

#[tokio::test]
async fn overlapping_roots_and_siblings_are_refused() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    let root = |cidr: &str| format!("INSERT INTO subnets (cidr) VALUES ('{cidr}')");
    let overlap = "subnets_no_overlapping_roots";
    all_refused(
        &db.pool,
        vec![
            refusal(
                "root around a root",
                "subnets",
                root("203.0.112.0/23"),
                "23P01",
                overlap,
            ),
            refusal(
                "root inside a root",
                "subnets",
                root("203.0.113.128/26"),
                "23P01",
                overlap,
            ),
            refusal(
                "root far around a root",
                "subnets",
                root("203.0.0.0/16"),
                "23P01",
                overlap,
            ),
        ],
    )
    .await;
    // Under a parent, a sibling can only be one of its two halves: an overlapping one
    // is refused by the buddy check, the same half again by the unique CIDR. A node in
    // another subtree cannot claim a parent it is not inside.
    let under_25 = |cidr: &str| child_of("203.0.113.0/25", cidr);
    all_refused(
        &db.pool,
        vec![
            refusal(
                "sibling over both halves",
                "subnets",
                under_25("203.0.113.0/25"),
                "23514",
                "subnets_child_inside_parent",
            ),
            refusal(
                "sibling inside a sibling",
                "subnets",
                under_25("203.0.113.0/27"),
                "23514",
                "subnets_child_inside_parent",
            ),
            refusal(
                "the same half twice",
                "subnets",
                under_25("203.0.113.64/26"),
                "23505",
                "subnets_cidr_key",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_child_outside_its_parent_or_not_a_buddy_half_is_refused() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    let under_24 = |cidr: &str| child_of("203.0.113.0/24", cidr);
    let inside = "subnets_child_inside_parent";
    let parent = "subnets_parent_fkey";
    all_refused(
        &db.pool,
        vec![
            refusal("child outside its parent", "subnets", under_24("198.51.100.0/25"), "23514", inside),
            refusal("child two steps down", "subnets", under_24("203.0.113.192/26"), "23514", inside),
            refusal(
                "parent_cidr that lies",
                "subnets",
                "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden)
                 SELECT '198.51.100.0/25', id, '198.51.100.0/24', hidden FROM subnets WHERE cidr = '203.0.113.0/24'",
                "23503",
                parent,
            ),
            refusal(
                "missing parent",
                "subnets",
                "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden) VALUES ('10.0.0.0/25', 999999, '10.0.0.0/24', false)",
                "23503",
                parent,
            ),
            refusal("deleting a parent with children", "subnets", "DELETE FROM subnets WHERE cidr = '203.0.113.0/25'", "23503", parent),
        ],
    )
    .await;
}

#[tokio::test]
async fn prefix_lengths_and_statuses_outside_the_rules_are_refused() {
    let db = support::test_db().await;
    let length = "subnets_prefix_length";
    all_refused(
        &db.pool,
        vec![
            refusal(
                "IPv4 /7",
                "subnets",
                "INSERT INTO subnets (cidr) VALUES ('10.0.0.0/7')",
                "23514",
                length,
            ),
            refusal(
                "IPv6 /31",
                "subnets",
                "INSERT INTO subnets (cidr) VALUES ('2001:db8::/31')",
                "23514",
                length,
            ),
            refusal(
                "unknown status",
                "subnets",
                "INSERT INTO subnets (cidr, allocation_status) VALUES ('10.0.0.0/8', 'taken')",
                "23514",
                "subnets_allocation_status_check",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn addresses_must_be_unique_hosts_inside_their_subnet() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    let into_pool = |address: &str| address_in("203.0.113.0/26", address);
    db.exec(&into_pool("203.0.113.5")).await;
    let ips = "ip_addresses";
    let inside = "ip_addresses_inside_subnet";
    all_refused(
        &db.pool,
        vec![
            refusal("duplicate address", ips, into_pool("203.0.113.5"), "23505", "ip_addresses_address_key"),
            refusal("address in another subnet", ips, into_pool("203.0.113.70"), "23514", inside),
            refusal("address of the other family", ips, into_pool("2001:db8::1"), "23514", inside),
            refusal("address with a mask", ips, into_pool("203.0.113.6/24"), "23514", "ip_addresses_host_form"),
            refusal(
                "subnet_cidr that lies",
                ips,
                "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr, subnet_hidden)
                 SELECT '203.0.113.70', id, '203.0.113.64/26', hidden FROM subnets WHERE cidr = '203.0.113.0/26'",
                "23503",
                "ip_addresses_subnet_fkey",
            ),
            refusal(
                "deleting a subnet that holds addresses",
                "subnets",
                "DELETE FROM subnets WHERE cidr = '203.0.113.0/26'",
                "23503",
                "ip_addresses_subnet_fkey",
            ),
        ],
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
    all_refused(
        &db.pool,
        vec![
            refusal("VLAN 0", "vlans", vlan(0), "23514", "vlans_vid_check"),
            refusal("VLAN 4095", "vlans", vlan(4095), "23514", "vlans_vid_check"),
            refusal(
                "duplicate VLAN",
                "vlans",
                vlan(102),
                "23505",
                "vlans_location_id_vid_key",
            ),
            refusal(
                "location name with spaces around",
                "locations",
                "INSERT INTO locations (name) VALUES (' EU-FRA ')",
                "23514",
                "locations_name_check",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn parking_cascades_down_the_subtree_and_cannot_be_denied() {
    let db = support::test_db().await;
    small_tree(&db.pool).await;
    db.exec(&address_in("203.0.113.64/26", "203.0.113.70"))
        .await;
    let hidden = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT string_agg(cidr::text, ' ' ORDER BY cidr) FROM subnets WHERE hidden",
        )
        .fetch_one(&pool)
        .await
        .unwrap_or_default()
    };
    sqlx::query("UPDATE subnets SET is_unavailable = true WHERE cidr = '203.0.113.0/25'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        hidden(db.pool.clone()).await,
        "203.0.113.0/25 203.0.113.0/26 203.0.113.64/26"
    );
    let ip_hidden: bool = sqlx::query_scalar("SELECT subnet_hidden FROM ip_addresses")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(ip_hidden, "the address's subnet is parked from above");
    // A child cannot claim to be visible under a parked parent.
    let sql = "INSERT INTO subnets (cidr, parent_id, parent_cidr, parent_hidden)
               SELECT '203.0.113.0/27', id, cidr, false FROM subnets WHERE cidr = '203.0.113.0/26'";
    all_refused(
        &db.pool,
        vec![refusal(
            "child denying parking",
            "subnets",
            sql,
            "23503",
            "subnets_parent_fkey",
        )],
    )
    .await;
    sqlx::query("UPDATE subnets SET is_unavailable = false WHERE cidr = '203.0.113.0/25'")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(hidden(db.pool.clone()).await, "");
}

#[tokio::test]
async fn a_subtree_is_exactly_the_btree_range_up_to_cidr_last() {
    let db = support::test_db().await;
    let mismatches: i64 = sqlx::query_scalar(
        "WITH p(c) AS (VALUES ('10.0.0.0/8'::cidr), ('10.1.0.0/16'), ('10.1.2.0/24'), ('10.1.2.4/30'),
                              ('10.1.2.7/32'), ('10.255.255.255/32'), ('11.0.0.0/8'), ('9.255.0.0/16'),
                              ('2001:db8::/32'), ('2001:db8:1::/48'), ('2001:db8:1:a::/64'),
                              ('2001:db8:1:a::1/128'), ('2001:db9::/32'))
         SELECT count(*) FROM p a, p b
         WHERE (a.c <<= b.c) <> (a.c >= b.c AND a.c <= cidr_last(b.c))",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(mismatches, 0);
}
