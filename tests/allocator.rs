//! The allocator on real PostgreSQL: every strategy path, both families, edge lengths,
//! parked subtrees, location and VLAN filters, journaling.

mod support;

use carve::engine::{Strategy, parse_cidr};
use carve::model::SubnetStatus;
use carve::service::allocate::{Allocation, SubnetRequest, Target, allocate_subnet};
use carve::service::subnets;
use carve::store::Db;

fn net(s: &str) -> ipnet::IpNet {
    parse_cidr(s).unwrap()
}

fn request(len: u8, family: u8, pool: Option<&str>) -> SubnetRequest {
    SubnetRequest::length(family, len, pool.map(net))
}

async fn alloc(db: &Db, len: u8, family: u8, pool: Option<&str>) -> Allocation {
    allocate_subnet(db, &request(len, family, pool))
        .await
        .unwrap()
}

async fn add(db: &Db, cidr: &str) {
    support::add_root(db, cidr, false).await;
}

fn events(a: &Allocation) -> Vec<String> {
    a.events
        .iter()
        .map(|e| format!("{} {}", e.event, e.cidr.unwrap()))
        .collect()
}

#[tokio::test]
async fn split_walks_down_then_exact_takes_the_lowest_free_leaf() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "203.0.113.0/24").await;
    let first = alloc(&db, 26, 4, Some("203.0.113.0/24")).await;
    assert_eq!(
        (first.cidr, first.strategy),
        (net("203.0.113.0/26"), Strategy::Split)
    );
    assert_eq!(
        events(&first),
        [
            "ipam_subnet_split 203.0.113.0/24",
            "ipam_subnet_split 203.0.113.0/25",
            "ipam_allocate_subnet 203.0.113.0/26"
        ]
    );
    let second = alloc(&db, 26, 4, None).await;
    assert_eq!(
        (second.cidr, second.strategy),
        (net("203.0.113.64/26"), Strategy::Exact)
    );
    // Best fit: a /27 comes from the smallest free leaf that holds one, the /25 is left whole.
    let third = alloc(&db, 27, 4, None).await;
    assert_eq!(third.cidr, net("203.0.113.128/27"));
    assert_eq!(
        t.leaves().await,
        [
            "203.0.113.0/26:allocated",
            "203.0.113.64/26:allocated",
            "203.0.113.128/27:allocated",
            "203.0.113.160/27:unallocated",
            "203.0.113.192/26:unallocated"
        ]
    );
    t.assert_tree_is_sound().await;
    // The journal holds exactly the events returned, in the same transactions.
    assert_eq!(t.journal().await.len(), 1 + 3 + 1 + 3);
}

#[tokio::test]
async fn merge_collapses_free_subtrees_across_several_levels() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "198.51.100.0/24").await;
    subnets::split(&db, &net("198.51.100.0/24"), Some(27), false)
        .await
        .unwrap();
    assert_eq!(t.leaves().await.len(), 8);
    // No free /25 leaf exists; strategy merge collapses the lowest free /25 subtree
    // (two levels of /26 and /27 under it).
    let mut req = request(25, 4, None);
    req.strategy = Strategy::Merge;
    let merged = allocate_subnet(&db, &req).await.unwrap();
    assert_eq!(
        (merged.cidr, merged.strategy),
        (net("198.51.100.0/25"), Strategy::Merge)
    );
    assert_eq!(
        events(&merged),
        [
            "ipam_subnet_merge 198.51.100.0/25",
            "ipam_allocate_subnet 198.51.100.0/25"
        ]
    );
    assert_eq!(t.leaves().await[0], "198.51.100.0/25:allocated");
    assert_eq!(t.leaves().await.len(), 5);
    t.assert_tree_is_sound().await;
    // A subtree with anything used in it is not merged: exact-only then fails cleanly.
    alloc(&db, 27, 4, None).await;
    req.strategy = Strategy::Merge;
    let err = allocate_subnet(&db, &req).await.unwrap_err();
    assert!(err.message.starts_with("no free /25 of IPv4"), "{err}");
}

#[tokio::test]
async fn ipv6_allocations_share_the_engine() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "2001:db8:1::/48").await;
    let a = alloc(&db, 64, 6, Some("2001:db8:1::/48")).await;
    assert_eq!(a.cidr, net("2001:db8:1::/64"));
    assert_eq!(a.events.len(), 17, "16 split steps and the allocation");
    let b = alloc(&db, 64, 6, None).await;
    assert_eq!(
        (b.cidr, b.strategy),
        (net("2001:db8:1:1::/64"), Strategy::Exact)
    );
    let detail = carve::service::lookup::show(&db, &net("2001:db8:1::/48"), false)
        .await
        .unwrap();
    assert_eq!(detail.subnet.utilization.total_64s, Some(65536));
    assert_eq!(detail.subnet.utilization.free_64s, Some(65534));
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn edge_lengths_of_both_families() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "10.0.0.0/8").await;
    add(&db, "192.0.2.0/30").await;
    add(&db, "2001:db8:ff::/126").await;
    add(&db, "2001:db9::/32").await;
    let whole = alloc(&db, 8, 4, Some("10.0.0.0/8")).await;
    assert_eq!(
        (whole.cidr, whole.strategy),
        (net("10.0.0.0/8"), Strategy::Exact)
    );
    assert_eq!(
        alloc(&db, 31, 4, Some("192.0.2.0/30")).await.cidr,
        net("192.0.2.0/31")
    );
    assert_eq!(
        alloc(&db, 32, 4, Some("192.0.2.0/30")).await.cidr,
        net("192.0.2.2/32")
    );
    assert_eq!(
        alloc(&db, 32, 4, Some("192.0.2.0/30")).await.cidr,
        net("192.0.2.3/32")
    );
    assert_eq!(
        alloc(&db, 127, 6, Some("2001:db8:ff::/126")).await.cidr,
        net("2001:db8:ff::/127")
    );
    assert_eq!(
        alloc(&db, 128, 6, Some("2001:db8:ff::/126")).await.cidr,
        net("2001:db8:ff::2/128")
    );
    assert_eq!(
        alloc(&db, 32, 6, Some("2001:db9::/32")).await.cidr,
        net("2001:db9::/32")
    );
    let err = allocate_subnet(&db, &request(31, 4, Some("192.0.2.0/30")))
        .await
        .unwrap_err();
    assert_eq!(err.message, "no free /31 in 192.0.2.0/30 (nothing free)");
    t.assert_tree_is_sound().await;
}

#[tokio::test]
async fn an_exact_cidr_is_carved_out_or_refused_with_its_holder() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "203.0.113.0/24").await;
    t.exec("INSERT INTO customers (name) VALUES ('cust-7421')")
        .await;
    let mut req = SubnetRequest {
        target: Target::Cidr(net("203.0.113.96/29")),
        ..request(29, 4, None)
    };
    req.customer = Some("cust-7421".into());
    let a = allocate_subnet(&db, &req).await.unwrap();
    assert_eq!(
        (a.cidr, a.strategy, a.events.len()),
        (net("203.0.113.96/29"), Strategy::Split, 6)
    );
    let err = allocate_subnet(&db, &req).await.unwrap_err();
    assert_eq!(
        err.message,
        "203.0.113.96/29 is already allocated to cust-7421"
    );
    req.target = Target::Cidr(net("203.0.113.100/30"));
    let err = allocate_subnet(&db, &req).await.unwrap_err();
    assert_eq!(
        err.message,
        "203.0.113.100/30 lies inside 203.0.113.96/29, which is allocated to cust-7421"
    );
    // Reserve, then release both back to free space.
    let reserve = SubnetRequest {
        target: Target::Cidr(net("203.0.113.128/25")),
        status: SubnetStatus::Reserved,
        ..request(25, 4, None)
    };
    assert_eq!(
        allocate_subnet(&db, &reserve).await.unwrap().status,
        SubnetStatus::Reserved
    );
    subnets::release(&db, &net("203.0.113.128/25"), false)
        .await
        .unwrap();
    subnets::release(&db, &net("203.0.113.96/29"), false)
        .await
        .unwrap();
    subnets::merge(&db, &net("203.0.113.0/24"), false)
        .await
        .unwrap();
    assert_eq!(t.leaves().await, ["203.0.113.0/24:unallocated"]);
}

#[tokio::test]
async fn a_dry_run_reports_the_plan_and_changes_nothing() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "203.0.113.0/24").await;
    let before = (t.snapshot().await, t.journal().await);
    let mut req = request(29, 4, None);
    req.dry_run = true;
    let plan = allocate_subnet(&db, &req).await.unwrap();
    assert!(plan.dry_run);
    assert_eq!(plan.cidr, net("203.0.113.0/29"));
    assert_eq!(plan.events.len(), 6);
    assert_eq!((t.snapshot().await, t.journal().await), before);
}

/// Free leaves and fully free subdivided nodes, read back from the database.
async fn free_space(t: &support::TestDb) -> (Vec<ipnet::IpNet>, Vec<ipnet::IpNet>) {
    let nodes: Vec<(ipnet::IpNet, String)> =
        sqlx::query_as("SELECT cidr, allocation_status FROM subnets ORDER BY cidr")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    let free = nodes
        .iter()
        .filter(|(_, s)| s == "unallocated")
        .map(|(c, _)| *c)
        .collect();
    let mergeable = nodes
        .iter()
        .filter(|(n, s)| {
            s == "subdivided"
                && nodes
                    .iter()
                    .filter(|(d, _)| n.contains(d) && d != n)
                    .all(|(_, ds)| ds == "unallocated" || ds == "subdivided")
        })
        .map(|(c, _)| *c)
        .collect();
    (free, mergeable)
}

#[tokio::test]
async fn the_database_chooses_what_the_engine_rule_chooses() {
    let t = support::test_db().await;
    let db = t.db();
    add(&db, "10.40.0.0/20").await;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut held = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..120 {
        let r = next();
        if r % 3 == 0 && !held.is_empty() {
            let taken = held.swap_remove((r / 3) as usize % held.len());
            subnets::release(&db, &taken, false).await.unwrap();
            continue;
        }
        let len = 21 + (r % 10) as u8;
        let strategy = [Strategy::Exact, Strategy::Merge, Strategy::Split][(r / 10 % 3) as usize];
        let (free, mergeable) = free_space(&t).await;
        let expected = carve::engine::plan::choose(len, strategy, &free, &mergeable);
        let mut req = request(len, 4, None);
        req.strategy = strategy;
        match (expected, allocate_subnet(&db, &req).await) {
            (Some((rule, block)), Ok(got)) => {
                assert_eq!(
                    (got.strategy, got.cidr.network()),
                    (rule, block.network()),
                    "/{len} {strategy}"
                );
                held.push(got.cidr);
                *seen.entry(rule.as_str()).or_insert(0) += 1;
            }
            (None, Err(e)) => {
                assert_eq!(e.kind, carve::error::ErrorKind::Exhausted, "{e}");
                *seen.entry("exhausted").or_insert(0) += 1;
            }
            (expected, got) => {
                panic!("/{len} {strategy}: the rule says {expected:?}, the database {got:?}")
            }
        }
    }
    // The walk went down every path, so the comparison covered each rule.
    assert_eq!(seen.len(), 4, "{seen:?}");
    t.assert_tree_is_sound().await;
}
