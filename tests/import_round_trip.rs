//! Export, then import into an empty database, reproduces the same tree: a generated
//! tree of thousands of nodes in both families (allocations of many lengths for many
//! customers, VLANs, descriptions, pools with addresses, parked and released space)
//! goes out as CSV and comes back with every subnet and address as it was.

mod support;

use carve::service::addresses::{self, Holder, Source};
use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::import::{ImportRequest, Quiet, import};
use carve::service::subnets::{self, Changes};
use carve::store::Db;
use support::TestDb;
use support::site::{count, net};

/// A small deterministic generator (the same tree every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

async fn sites(t: &TestDb) {
    t.exec(
        "INSERT INTO locations (name) VALUES ('FRA1'), ('AMS1');
         INSERT INTO vlans (location_id, vid) SELECT id, 102 FROM locations WHERE name = 'FRA1';
         INSERT INTO vlans (location_id, vid) SELECT id, 300 FROM locations WHERE name = 'AMS1';
         INSERT INTO devices (name, location_id) SELECT 'srv-1', id FROM locations WHERE name = 'FRA1';
         INSERT INTO customers (name) SELECT 'cust-' || n FROM generate_series(0, 24) n;",
    )
    .await;
}

async fn grow(db: &Db) {
    let roots = [
        ("10.0.0.0/16", "FRA1", Some(102)),
        ("10.1.0.0/16", "AMS1", Some(300)),
        ("2001:db8::/40", "FRA1", None),
        ("2001:db8:100::/40", "AMS1", None),
    ];
    for (cidr, location, vlan) in roots {
        subnets::add_root(db, &net(cidr), Some(location), vlan, None, false)
            .await
            .unwrap();
    }
    let mut rng = Lcg(7);
    let mut taken = Vec::new();
    for i in 0..1200 {
        let (root, _, _) = roots[rng.next(4) as usize];
        let v4 = root.contains('.');
        let len = if v4 {
            22 + rng.next(9)
        } else {
            48 + rng.next(17)
        } as u8;
        let mut request = SubnetRequest::length(if v4 { 4 } else { 6 }, len, Some(net(root)));
        let customer = format!("cust-{}", rng.next(25));
        request.customer = Some(customer.clone());
        if rng.next(3) == 0 {
            request.description = Some(format!("link {i}, \"core\""));
        }
        if rng.next(5) == 0 {
            request.purpose = Some("transit".into());
        }
        match allocate_subnet(db, &request).await {
            Ok(a) => taken.push((a.cidr, customer)),
            Err(e) => assert_eq!(e.kind, carve::error::ErrorKind::Exhausted, "{}", e.message),
        }
    }
    // Some space goes back, some becomes pools with addresses, some is parked.
    for (cidr, _) in taken.iter().step_by(7) {
        subnets::release(db, cidr, false).await.unwrap();
    }
    let pools: Vec<_> = taken
        .iter()
        .skip(3)
        .step_by(11)
        .filter(|(c, _)| c.prefix_len() < 30 || c.prefix_len() > 32)
        .take(30)
        .collect();
    for (n, (pool, customer)) in pools.into_iter().enumerate() {
        let pool_on = Changes {
            pool: Some(true),
            ..Changes::default()
        };
        if subnets::set(db, pool, &pool_on).await.is_err() {
            continue; // released above: not a pool candidate
        }
        // A customer's pool hands out addresses to that customer only.
        for k in 0..10 {
            let holder = Holder {
                customer: Some(customer.clone()),
                rdns: (k % 2 == 0).then(|| format!("h{k}.p{n}.example.net")),
                purpose: (k == 0).then(|| "gateway".to_owned()),
                device: (k == 1).then(|| "srv-1".to_owned()),
                ..Holder::default()
            };
            addresses::allocate(db, &Source::Subnet(*pool), &holder)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_generated_tree_round_trips_through_export_and_import() {
    let source = support::test_db().await;
    sites(&source).await;
    let db = source.db();
    grow(&db).await;
    let free: Vec<String> = sqlx::query_scalar(
        "SELECT cidr::text FROM subnets WHERE allocation_status = 'unallocated'
         AND NOT is_unavailable AND NOT is_pool AND parent_id IS NOT NULL ORDER BY cidr",
    )
    .fetch_all(&source.pool)
    .await
    .unwrap();
    for cidr in free.iter().step_by(9).take(15) {
        subnets::park(&db, &net(cidr), true, Some("rma".into()))
            .await
            .unwrap();
    }
    let nodes = count(&source, "SELECT count(*) FROM subnets").await;
    let ips = count(&source, "SELECT count(*) FROM ip_addresses").await;
    assert!(
        nodes > 2000 && ips > 200,
        "{nodes} subnets, {ips} addresses"
    );
    source.assert_tree_is_sound().await;

    let rows = carve::service::export::rows(&db, &Quiet).await.unwrap();
    let csv = carve::import::export::csv(&rows);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tree.csv");
    std::fs::write(&file, &csv).unwrap();

    let target = support::test_db().await;
    sites(&target).await;
    let request = ImportRequest {
        path: file,
        sheet: None,
        location: None,
        fill_down: Vec::new(),
        dry_run: false,
    };
    let report = import(&target.db(), &request, &Quiet).await.unwrap();
    assert!(
        report.problems.is_empty(),
        "{:?}",
        &report.problems[..3.min(report.problems.len())]
    );
    target.assert_tree_is_sound().await;
    assert_eq!(count(&target, "SELECT count(*) FROM subnets").await, nodes);
    assert_eq!(
        count(&target, "SELECT count(*) FROM ip_addresses").await,
        ips
    );
    let again = carve::service::export::rows(&target.db(), &Quiet)
        .await
        .unwrap();
    assert_eq!(
        carve::import::export::csv(&again),
        csv,
        "the tree came back different"
    );
    // Inherited attributes are the same as well.
    let inherited = "SELECT string_agg(concat_ws(':', s.cidr, l.name, v.vid), ' ' ORDER BY s.cidr)
                     FROM subnets s LEFT JOIN locations l ON l.id = s.effective_location_id
                     LEFT JOIN vlans v ON v.id = s.effective_vlan_id";
    let of = |t: &TestDb| {
        let pool = t.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(inherited)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(of(&target).await, of(&source).await);
}
