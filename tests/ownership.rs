//! A customer's block keeps its free space for that customer (issue 17, item 1): the
//! allocator draws from it only for the same holder, `--cidr` inside it for another is
//! refused naming the holder, the database refuses it whatever the code path, and
//! export/import round-trips it (the race of two customers is in ownership_race.rs).

mod support;

use serde_json::Value;
use support::cli::Cli;

/// The message of a refused command (exit 1).
fn refusal(cli: &Cli, args: &[&str]) -> String {
    let (code, doc, stderr) = cli.json(args, None);
    assert_eq!(code, 1, "{args:?}: {doc} {stderr}");
    doc["error"]["message"].as_str().unwrap().to_owned()
}

fn cidr_of(doc: &Value) -> &str {
    doc["cidr"].as_str().unwrap()
}

/// Initech holds 10.9.0.0/22 (imported as the sheet: the /22 and a /24 in it).
fn initech(cli: &Cli) {
    cli.import("c.csv", support::cli::INITECH_SHEET);
    cli.ok(&["customer", "add", "Umbrella"]);
}

#[tokio::test]
async fn another_customer_never_gets_space_inside_a_customers_block() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    initech(&cli);
    let before = t.snapshot().await;

    // The command: Umbrella asks for a /23 and the only space is Initech's.
    let (code, doc, stderr) = cli.json(
        &[
            "subnet",
            "allocate",
            "--len",
            "23",
            "--customer",
            "Umbrella",
        ],
        None,
    );
    assert_eq!(code, 1, "{doc} {stderr}");
    assert_eq!(doc["error"]["kind"], "exhausted", "{doc}");
    // Nor without a customer, nor by naming the block.
    let (code, _, _) = cli.json(&["subnet", "allocate", "--len", "24"], None);
    assert_eq!(code, 1);
    assert_eq!(
        refusal(
            &cli,
            &[
                "subnet",
                "allocate",
                "--cidr",
                "10.9.2.0/23",
                "--customer",
                "Umbrella"
            ]
        ),
        "10.9.2.0/23 lies inside 10.9.0.0/22, held for customer Initech: \
         only allocations for customer Initech take space there"
    );
    let message = refusal(
        &cli,
        &[
            "subnet",
            "allocate",
            "--len",
            "24",
            "--pool",
            "10.9.0.0/22",
            "--customer",
            "Umbrella",
        ],
    );
    assert!(
        message.starts_with("pool 10.9.0.0/22 is held for customer Initech"),
        "{message}"
    );
    assert_eq!(t.snapshot().await, before, "refusals change nothing");

    // Initech draws from its own block, with or without naming it.
    let own = cli.ok(&["subnet", "allocate", "--len", "24", "--customer", "Initech"]);
    assert_eq!(cidr_of(&own), "10.9.1.0/24");
    let own = cli.ok(&[
        "subnet",
        "allocate",
        "--cidr",
        "10.9.2.0/24",
        "--customer",
        "Initech",
    ]);
    assert_eq!(cidr_of(&own), "10.9.2.0/24");

    // Once Initech lets its block go, the free space in it is anyone's.
    let released = cli.ok(&["subnet", "release", "10.9.0.0/22"]);
    let holds = &released["holds"];
    assert_eq!(holds["blocks_total"], 3, "{released}");
    assert_eq!(holds["blocks"][0]["holder"], "customer Initech");
    let theirs = cli.ok(&[
        "subnet",
        "allocate",
        "--len",
        "24",
        "--customer",
        "Umbrella",
    ]);
    assert_eq!(cidr_of(&theirs), "10.9.3.0/24");
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn the_database_refuses_a_block_inside_someone_elses_whatever_the_code_path() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    initech(&cli);
    cli.ok(&["subnet", "add", "203.0.113.0/24", "--pool"]);
    cli.ok(&["customer", "add", "acme"]);
    cli.ok(&[
        "ip",
        "allocate",
        "--subnet",
        "203.0.113.0/24",
        "--customer",
        "acme",
    ]);
    let refused = |sql: &'static str| {
        let pool = t.pool.clone();
        async move {
            let err = sqlx::query(sql).execute(&pool).await.expect_err(sql);
            err.as_database_error()
                .unwrap()
                .constraint()
                .unwrap()
                .to_owned()
        }
    };
    // Umbrella's block inside Initech's /22 (a leaf under it, by hand).
    assert_eq!(
        refused(
            "UPDATE subnets SET allocation_status = 'allocated',
                    customer_id = (SELECT id FROM customers WHERE name = 'Umbrella')
             WHERE cidr = '10.9.2.0/23'"
        )
        .await,
        "subnets_inside_owner"
    );
    // An address of Umbrella's in a pool of Initech's: make the /24 a pool first.
    t.exec("UPDATE subnets SET is_pool = true WHERE cidr = '10.9.1.0/24'")
        .await;
    assert_eq!(
        refused(
            "INSERT INTO ip_addresses (address, subnet_id, subnet_cidr, subnet_hidden, subnet_pool,
                 subnet_owner_customer, customer_id)
             SELECT '10.9.1.5', s.id, s.cidr, s.hidden, s.is_pool, s.owner_customer_id,
                    (SELECT id FROM customers WHERE name = 'Umbrella')
             FROM subnets s WHERE s.cidr = '10.9.1.0/24'"
        )
        .await,
        "ip_addresses_inside_owner"
    );
    // A pool holding acme's address stops being a pool: its address would lie in a
    // plain block (the issue's --no-pool hole, where globex then got acme's address).
    assert_eq!(
        refused("UPDATE subnets SET is_pool = false WHERE cidr = '203.0.113.0/24'").await,
        "ip_addresses_in_pool"
    );
    // A customer's block handed to another while a block of the first is inside it.
    assert_eq!(
        refused(
            "UPDATE subnets SET customer_id = (SELECT id FROM customers WHERE name = 'Umbrella')
             WHERE cidr = '10.9.0.0/22'"
        )
        .await,
        "subnets_inside_owner"
    );
}

#[tokio::test]
async fn a_pool_with_addresses_stays_a_pool_and_its_addresses_stay_with_their_owner() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["location", "add", "FRA1"]);
    cli.ok(&["customer", "add", "acme"]);
    cli.ok(&["customer", "add", "globex"]);
    cli.ok(&[
        "subnet",
        "add",
        "203.0.113.0/24",
        "--location",
        "FRA1",
        "--pool",
    ]);
    cli.ok(&[
        "ip",
        "allocate",
        "--subnet",
        "203.0.113.0/24",
        "--customer",
        "acme",
    ]);
    let before = t.snapshot().await;
    let (code, doc, _) = cli.json(&["subnet", "set", "203.0.113.0/24", "--no-pool"], None);
    assert_eq!(code, 1, "{doc}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("203.0.113.0/24 holds 1 address record"),
        "{message}"
    );
    assert_eq!(t.snapshot().await, before);
    // So globex's /28 cannot be carved around acme's 203.0.113.1.
    let (code, _, _) = cli.json(
        &["subnet", "allocate", "--len", "28", "--customer", "globex"],
        None,
    );
    assert_eq!(code, 1);
    assert_eq!(t.snapshot().await, before);

    // A pool a customer holds hands its addresses to that customer only.
    cli.ok(&["subnet", "add", "198.51.100.0/24"]);
    let block = cli.ok(&[
        "subnet",
        "allocate",
        "--cidr",
        "198.51.100.0/29",
        "--customer",
        "acme",
    ]);
    assert_eq!(cidr_of(&block), "198.51.100.0/29");
    cli.ok(&["subnet", "set", "198.51.100.0/29", "--pool"]);
    let message = refusal(
        &cli,
        &[
            "ip",
            "allocate",
            "--subnet",
            "198.51.100.0/29",
            "--customer",
            "globex",
        ],
    );
    assert!(
        message.starts_with("pool 198.51.100.0/29 is held for customer acme"),
        "{message}"
    );
    let ip = cli.ok(&[
        "ip",
        "allocate",
        "--subnet",
        "198.51.100.0/29",
        "--customer",
        "acme",
    ]);
    assert_eq!(ip["address"], "198.51.100.1");
    // A range of pools skips the ones held for others.
    let (code, _, _) = cli.json(
        &[
            "ip",
            "allocate",
            "--pool",
            "198.51.100.0/24",
            "--customer",
            "globex",
        ],
        None,
    );
    assert_eq!(code, 1);
}

#[tokio::test]
async fn export_and_import_round_trip_a_customers_block_with_its_allocations() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    initech(&cli);
    cli.ok(&["subnet", "allocate", "--len", "26", "--customer", "Initech"]);
    cli.ok(&[
        "subnet",
        "allocate",
        "--cidr",
        "10.9.2.0/32",
        "--customer",
        "Initech",
    ]);
    let file = home.path().join("export.csv");
    let (code, _, stderr) = support::run(support::carve(home.path()).args([
        "--database-url",
        &t.url,
        "export",
        "--format",
        "csv",
        "--output",
        file.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{stderr}");

    let copy = support::test_db().await;
    let copy_cli = Cli::of(home.path(), &copy.url);
    copy_cli.ok(&["import", file.to_str().unwrap()]);
    let held = |t: &support::TestDb| {
        let pool = t.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT string_agg(s.cidr::text || '=' || s.allocation_status || ':' || coalesce(c.name, '-')
                                   || '/' || coalesce(o.name, '-'), ' ' ORDER BY s.cidr)
                 FROM subnets s LEFT JOIN customers c ON c.id = s.customer_id
                 LEFT JOIN customers o ON o.id = s.owner_customer_id",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(held(&copy).await, held(&t).await);
}

#[tokio::test]
async fn free_space_held_for_a_customer_is_free_only_for_that_customer() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    initech(&cli);
    let anyone = cli.ok(&["subnet", "free", "10.9.0.0/22"]);
    assert_eq!(anyone["free"], serde_json::json!([]), "{anyone}");
    let theirs = cli.ok(&["subnet", "free", "10.9.0.0/22", "--customer", "Initech"]);
    assert_eq!(
        theirs["free"],
        serde_json::json!(["10.9.1.0/24", "10.9.2.0/23"])
    );
    assert_eq!(theirs["addresses"], 768);
    let (code, _, stderr) = cli.json(
        &["subnet", "free", "10.9.0.0/22", "--customer", "Nobody"],
        None,
    );
    assert_eq!(code, 1, "{stderr}");
}
