//! Sixteen provisionings at once, two products drawing from the same pools, more asked
//! for than there is: every service gets exactly what its product asks for or fails
//! cleanly, and nothing overlaps.

mod support;

use std::collections::HashSet;

use carve::engine::parse_cidr;
use carve::error::ErrorKind;
use carve::service::provision::{self, ProvisionRequest};
use carve::service::{products, subnets};
use serde_json::json;

/// FRA1 with two root blocks (each a pool or not), cust-7422, and servers srv-0..srv-7.
async fn eight_servers(t: &support::TestDb, roots: [(&str, bool); 2]) -> carve::store::Db {
    t.exec(
        "INSERT INTO locations (name) VALUES ('FRA1');
         INSERT INTO customers (name) VALUES ('cust-7422');",
    )
    .await;
    let db = t.db();
    for (cidr, pool) in roots {
        let net = parse_cidr(cidr).unwrap();
        subnets::add_root(&db, &net, Some("FRA1"), None, None, pool)
            .await
            .unwrap();
    }
    for i in 0..8 {
        products::add_device(&db, &format!("srv-{i}"), "FRA1", None)
            .await
            .unwrap();
    }
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_provisionings_from_shared_pools_never_overlap() {
    let t = support::test_db().await;
    // 14 usable IPv4 addresses and 16 /64s; the 16 orders ask for 24 of each.
    let db = eight_servers(&t, [("198.51.100.0/28", true), ("2001:db8:2::/60", false)]).await;
    let small = json!({ "mode": "full", "rules": [
        { "kind": "subnet", "family": 6, "prefix_length": 64, "pools": ["2001:db8:2::/60"] },
        { "kind": "ip", "family": 4, "pools": ["198.51.100.0/28"] } ] });
    let large = json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "count": 2, "pools": ["198.51.100.0/28"] },
        { "kind": "subnet", "family": 6, "prefix_length": 63, "pools": ["2001:db8:2::/60"] } ] });
    products::save(&db, "small", &small, false).await.unwrap();
    products::save(&db, "large", &large, false).await.unwrap();

    let mut tasks = Vec::new();
    for i in 0..16 {
        let db = t.db();
        let request = ProvisionRequest {
            customer: "cust-7422".into(),
            product: if i % 2 == 0 { "small" } else { "large" }.into(),
            // Two orders per device, so device locks are contended too.
            device: format!("srv-{}", i % 8),
            dry_run: false,
        };
        tasks.push(tokio::spawn(async move {
            (
                request.product.clone(),
                provision::provision(&db, &request).await,
            )
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    let mut taken: Vec<ipnet::IpNet> = Vec::new();
    for task in tasks {
        let (product, outcome) = task.await.unwrap();
        match outcome {
            Ok(done) => {
                ok += 1;
                let mut shape: Vec<String> = done
                    .allocations
                    .iter()
                    .map(|h| match (h.cidr, h.address) {
                        (Some(c), _) => {
                            taken.push(c);
                            format!("/{}", c.prefix_len())
                        }
                        (_, Some(a)) => {
                            taken.push(ipnet::IpNet::from(a));
                            "ip".to_owned()
                        }
                        _ => unreachable!(),
                    })
                    .collect();
                shape.sort();
                let expected = if product == "small" {
                    vec!["/64", "ip"]
                } else {
                    vec!["/63", "ip", "ip"]
                };
                assert_eq!(shape, expected, "{product} got {shape:?}");
            }
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::Exhausted, "{e:?}");
                failed += 1;
            }
        }
    }
    assert_eq!(ok + failed, 16);
    assert!(ok >= 5 && failed >= 1, "ok {ok}, failed {failed}");
    for (i, a) in taken.iter().enumerate() {
        for b in &taken[i + 1..] {
            assert!(!a.contains(b) && !b.contains(a), "{a} and {b} overlap");
        }
    }
    t.assert_tree_is_sound().await;

    // The database agrees: each active service holds exactly its product's shape, and
    // nothing is held outside a service.
    let shapes: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT p.name,
                (SELECT count(*) FROM subnets s WHERE s.service_id = v.id),
                (SELECT count(*) FROM ip_addresses a WHERE a.service_id = v.id)
         FROM services v JOIN products p ON p.id = v.product_id",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(shapes.len(), ok);
    for (product, nets, ips) in &shapes {
        let expected = if product == "small" { (1, 1) } else { (1, 2) };
        assert_eq!((*nets, *ips), expected, "{product}");
    }
    let stray: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM subnets WHERE allocation_status = 'allocated' AND service_id IS NULL)
              + (SELECT count(*) FROM ip_addresses WHERE service_id IS NULL)",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(stray, 0, "a failed provisioning left space behind");
    let journal: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, count(*) FROM provisioning_logs WHERE event = 'service_provision'
         GROUP BY outcome ORDER BY outcome",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let count = |o: &str| journal.iter().find(|(x, _)| x == o).map_or(0, |(_, n)| *n);
    assert_eq!((count("ok"), count("failed")), (ok as i64, failed as i64));
    let unique: HashSet<_> = taken.iter().collect();
    assert_eq!(unique.len(), taken.len());
}

/// Rules that name a pool and rules that take "anywhere" under the same roots, and
/// re-provisions (which wipe first) racing new provisionings: none deadlocks, all finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reprovisions_racing_provisionings_with_pool_less_rules_all_finish() {
    let t = support::test_db().await;
    let db = eight_servers(&t, [("198.51.100.0/24", true), ("192.0.2.0/24", false)]).await;
    let mixed = json!({ "mode": "full", "rules": [
        { "kind": "ip", "family": 4, "pools": ["198.51.100.0/24"] },
        { "kind": "subnet", "family": 4, "prefix_length": 30 } ] });
    products::save(&db, "mixed", &mixed, false).await.unwrap();
    let order = |i: usize| ProvisionRequest {
        customer: "cust-7422".into(),
        product: "mixed".into(),
        device: format!("srv-{}", i % 8),
        dry_run: false,
    };
    let started = std::time::Instant::now();
    let mut first = Vec::new();
    for i in 0..12 {
        let (db, request) = (t.db(), order(i));
        first.push(tokio::spawn(async move {
            provision::provision(&db, &request).await
        }));
    }
    let mut ids = Vec::new();
    for task in first {
        ids.push(
            task.await
                .unwrap()
                .expect("room for every order")
                .service
                .id,
        );
    }
    let mut race = Vec::new();
    for (i, id) in ids.iter().take(6).enumerate() {
        let (db, id) = (t.db(), *id);
        race.push(tokio::spawn(async move {
            provision::reprovision(&db, id, false).await
        }));
        let (db, request) = (t.db(), order(i + 12));
        race.push(tokio::spawn(async move {
            provision::provision(&db, &request).await
        }));
    }
    for task in race {
        task.await.unwrap().expect("no deadlock, no exhaustion");
    }
    eprintln!(
        "12 provisionings, then 6 re-provisions racing 6 provisionings: {:?}",
        started.elapsed()
    );
    t.assert_tree_is_sound().await;
    let shapes: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (SELECT count(*) FROM subnets s WHERE s.service_id = v.id),
                (SELECT count(*) FROM ip_addresses a WHERE a.service_id = v.id)
         FROM services v",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(shapes.len(), 18);
    assert!(shapes.iter().all(|s| *s == (1, 1)), "{shapes:?}");
    let stray: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM subnets WHERE allocation_status = 'allocated' AND service_id IS NULL)
              + (SELECT count(*) FROM ip_addresses WHERE service_id IS NULL)",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(stray, 0);
}
