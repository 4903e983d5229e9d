//! What an allocation may draw from: parked subtrees never, location and VLAN filters,
//! and the inherited location and VLAN that the filters read.

mod support;

use carve::engine::parse_cidr;
use carve::service::allocate::{SubnetRequest, Target, allocate_subnet};
use carve::service::subnets;
use carve::store::Db;

fn net(s: &str) -> ipnet::IpNet {
    parse_cidr(s).unwrap()
}

fn request(len: u8, family: u8, pool: Option<&str>) -> SubnetRequest {
    SubnetRequest::length(family, len, pool.map(net))
}

async fn alloc(
    db: &Db,
    len: u8,
    family: u8,
    pool: Option<&str>,
) -> carve::service::allocate::Allocation {
    allocate_subnet(db, &request(len, family, pool))
        .await
        .unwrap()
}

#[tokio::test]
async fn parked_subtrees_are_never_allocated_and_come_back_when_unparked() {
    let t = support::test_db().await;
    let db = t.db();
    support::add_root(&db, "203.0.113.0/24", false).await;
    subnets::split(&db, &net("203.0.113.0/24"), Some(25), false)
        .await
        .unwrap();
    subnets::park(&db, &net("203.0.113.0/25"), true, Some("abuse".into()))
        .await
        .unwrap();
    let a = alloc(&db, 26, 4, None).await;
    assert_eq!(a.cidr, net("203.0.113.128/26"));
    alloc(&db, 26, 4, None).await;
    let err = allocate_subnet(&db, &request(26, 4, None))
        .await
        .unwrap_err();
    assert!(err.message.starts_with("no free /26 of IPv4"), "{err}");
    let exact = SubnetRequest {
        target: Target::Cidr(net("203.0.113.0/26")),
        ..request(26, 4, None)
    };
    let err = allocate_subnet(&db, &exact).await.unwrap_err();
    assert_eq!(err.message, "203.0.113.0/26 is parked (abuse)");
    subnets::park(&db, &net("203.0.113.0/25"), false, None)
        .await
        .unwrap();
    assert_eq!(alloc(&db, 26, 4, None).await.cidr, net("203.0.113.0/26"));
}

#[tokio::test]
async fn location_filters_and_the_location_cascade() {
    let t = support::test_db().await;
    let db = t.db();
    t.exec("INSERT INTO locations (name) VALUES ('EU-FRA'), ('US-NYC')")
        .await;
    t.exec(
        "INSERT INTO vlans (location_id, vid) SELECT id, 102 FROM locations WHERE name = 'EU-FRA'",
    )
    .await;
    support::add_root_at(&db, "198.51.100.0/24", Some("US-NYC"), false).await;
    support::add_root_at(&db, "203.0.113.0/24", Some("EU-FRA"), false).await;
    let mut req = request(28, 4, None);
    req.target = Target::Length {
        family: 4,
        len: 28,
        pool: None,
        location: Some("EU-FRA".into()),
    };
    req.vlan = Some(102);
    let a = allocate_subnet(&db, &req).await.unwrap();
    assert_eq!(a.cidr, net("203.0.113.0/28"));
    let shown = carve::service::lookup::show(&db, &a.cidr, false)
        .await
        .unwrap();
    assert_eq!(shown.subnet.effective_location.as_deref(), Some("EU-FRA"));
    assert_eq!(shown.subnet.vlan, Some(102));
    // VLAN 102 exists only at EU-FRA.
    req.target = Target::Length {
        family: 4,
        len: 28,
        pool: None,
        location: Some("US-NYC".into()),
    };
    let err = allocate_subnet(&db, &req).await.unwrap_err();
    assert_eq!(
        err.message,
        "unknown VLAN 102 at US-NYC (add it with: carve vlan add --location US-NYC --vid 102)"
    );
    // Moving the EU block to US-NYC cascades to every node under it; a child's own
    // location wins over the inherited one.
    let changes = subnets::Changes {
        location: Some(Some("EU-FRA".into())),
        ..Default::default()
    };
    subnets::set(&db, &net("203.0.113.128/25"), &changes)
        .await
        .unwrap();
    let changes = subnets::Changes {
        location: Some(Some("US-NYC".into())),
        ..Default::default()
    };
    subnets::set(&db, &net("203.0.113.0/24"), &changes)
        .await
        .unwrap();
    let effective: Vec<String> = sqlx::query_scalar(
        "SELECT s.cidr::text || '=' || l.name FROM subnets s JOIN locations l ON l.id = s.effective_location_id
         WHERE s.cidr <<= '203.0.113.0/24' ORDER BY s.cidr",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert!(
        effective.contains(&"203.0.113.0/28=US-NYC".to_owned()),
        "{effective:?}"
    );
    assert!(
        effective.contains(&"203.0.113.128/25=EU-FRA".to_owned()),
        "{effective:?}"
    );
    assert_eq!(
        effective.len(),
        9,
        "every node has an effective location: {effective:?}"
    );
}

#[tokio::test]
async fn a_vlan_draws_only_from_untagged_space_or_space_on_that_vlan() {
    let t = support::test_db().await;
    let db = t.db();
    t.exec("INSERT INTO locations (name) VALUES ('EU-FRA')")
        .await;
    t.exec("INSERT INTO vlans (location_id, vid) SELECT id, v FROM locations, (VALUES (102), (103), (104)) x(v)")
        .await;
    support::add_root_at(&db, "203.0.113.0/24", Some("EU-FRA"), false).await;
    support::add_root_at(&db, "198.51.100.0/24", Some("EU-FRA"), false).await;
    subnets::split(&db, &net("203.0.113.0/24"), Some(26), false)
        .await
        .unwrap();
    // Tag the /25s after the split: the tag cascades down to the /26s below.
    for (cidr, vid) in [("203.0.113.0/25", 102), ("203.0.113.128/25", 103)] {
        let changes = subnets::Changes {
            vlan: Some(Some(vid)),
            ..Default::default()
        };
        subnets::set(&db, &net(cidr), &changes).await.unwrap();
    }
    let on_vlan = |vid: i32| {
        let mut req = request(28, 4, None);
        req.target = Target::Length {
            family: 4,
            len: 28,
            pool: None,
            location: Some("EU-FRA".into()),
        };
        req.vlan = Some(vid);
        req
    };
    assert_eq!(
        allocate_subnet(&db, &on_vlan(103)).await.unwrap().cidr,
        net("203.0.113.128/28")
    );
    assert_eq!(
        allocate_subnet(&db, &on_vlan(102)).await.unwrap().cidr,
        net("203.0.113.0/28")
    );
    // VLAN 104 has no tagged space: it comes from untagged space, and is tagged 104.
    let a = allocate_subnet(&db, &on_vlan(104)).await.unwrap();
    assert_eq!(a.cidr, net("198.51.100.0/28"));
    let shown = carve::service::lookup::show(&db, &a.cidr, false)
        .await
        .unwrap();
    assert_eq!(shown.subnet.vlan, Some(104));
    // In a pool tagged 102, a VLAN 103 request finds nothing.
    let mut req = on_vlan(103);
    req.target = Target::Length {
        family: 4,
        len: 28,
        pool: Some(net("203.0.113.0/25")),
        location: None,
    };
    let err = allocate_subnet(&db, &req).await.unwrap_err();
    assert!(
        err.message.starts_with("no free /28 in 203.0.113.0/25"),
        "{err}"
    );
}
