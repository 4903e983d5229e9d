//! Two customers allocating at once under one customer's block (issue 17, item 1): the
//! other customer never gets space inside it, whatever the interleaving.

mod support;

use support::cli::Cli;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_customers_allocating_at_once_under_one_customers_block() {
    use carve::engine::parse_cidr;
    use carve::service::allocate::{SubnetRequest, allocate_subnet};

    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let cli = Cli::of(home.path(), &t.url);
    cli.ok(&["subnet", "add", "10.8.0.0/14"]);
    cli.import("c.csv", support::cli::INITECH_SHEET);
    cli.ok(&["customer", "add", "Umbrella"]);
    let mut tasks = Vec::new();
    for task in 0..16usize {
        let db = t.db();
        tasks.push(tokio::spawn(async move {
            let customer = if task % 2 == 0 { "Initech" } else { "Umbrella" };
            let mut got = Vec::new();
            for _ in 0..12 {
                let mut request =
                    SubnetRequest::length(4, 26, Some(parse_cidr("10.8.0.0/14").unwrap()));
                request.customer = Some(customer.to_owned());
                match allocate_subnet(&db, &request).await {
                    Ok(a) => got.push((customer, a.cidr)),
                    Err(e) => panic!("{customer}: {e:?}"),
                }
            }
            got
        }));
    }
    let initechs = parse_cidr("10.9.0.0/22").unwrap();
    let (mut inside, mut outside) = (0, 0);
    for task in tasks {
        for (customer, cidr) in task.await.unwrap() {
            if customer == "Umbrella" {
                assert!(
                    !initechs.contains(&cidr),
                    "Umbrella got {cidr} inside Initech's block"
                );
            } else if initechs.contains(&cidr) {
                inside += 1;
            } else {
                outside += 1;
            }
        }
    }
    assert_eq!(inside + outside, 96);
    // Nothing in the database is held for one customer inside another's space.
    let foreign: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets WHERE customer_id IS NOT NULL
           AND parent_owner_customer <> 0 AND parent_owner_customer <> customer_id",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(foreign, 0);
    t.assert_tree_is_sound().await;
}
