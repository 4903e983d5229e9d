//! Undo against real PostgreSQL: every kind of change is put back to the exact rows it
//! found (ids, attributes, parked state, the subtree under a park), a whole provisioning
//! by its command id; a change that later work depends on is refused with the names of
//! those changes and nothing moves; `--last` walks back one's own changes; history is kept
//! by the database, so a change made in psql blocks an undo too.

mod support;

use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::allocate::{SubnetRequest, allocate_subnet};
use carve::service::provision;
use carve::service::subnets::{self, Changes};
use carve::service::undo::{Target, undo};
use support::site::{count, net, order, product, site};
use support::undo::{allocate, last_change, root, rows, undo_id};

/// Runs `change`, undoes it by its journal id, and checks every row is back.
macro_rules! round_trip {
    ($t:expr, $db:expr, $what:literal, $change:expr) => {{
        let before = rows($t).await;
        $change.await.unwrap();
        let after = rows($t).await;
        assert_ne!(before, after, "{}: the change changed nothing", $what);
        let done = undo_id($db, last_change($t).await).await;
        let done = done.unwrap_or_else(|e| panic!("{}: {}", $what, e.message));
        assert!(!done.undone[0].rows.is_empty(), "{}", $what);
        assert_eq!(rows($t).await, before, "{}: not put back exactly", $what);
        $t.assert_tree_is_sound().await;
        done
    }};
}

#[tokio::test]
async fn each_kind_of_change_is_put_back_exactly() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    let request = SubnetRequest::length(4, 29, Some(net("10.0.0.0/24")));
    let done = round_trip!(&t, &db, "allocate", allocate_subnet(&db, &request));
    // The split down to the /29 is part of the allocation: all of it goes.
    let removed = done.undone[0].rows.iter().filter(|r| r.action == "removed");
    assert_eq!(removed.count(), 10, "{:?}", done.undone[0].rows);
    assert_eq!(t.leaves().await, ["10.0.0.0/24:unallocated"]);

    assert_eq!(allocate(&db, 26).await, "10.0.0.0/26");
    round_trip!(
        &t,
        &db,
        "release",
        subnets::release(&db, &net("10.0.0.0/26"), false)
    );
    round_trip!(
        &t,
        &db,
        "split",
        subnets::split(&db, &net("10.0.0.64/26"), Some(28), false)
    );
    subnets::split(&db, &net("10.0.0.64/26"), Some(28), false)
        .await
        .unwrap();
    round_trip!(
        &t,
        &db,
        "merge",
        subnets::merge(&db, &net("10.0.0.64/26"), false)
    );
    // Parking cascades down the subtree; undoing it must bring the subtree back too.
    round_trip!(
        &t,
        &db,
        "park",
        subnets::park(&db, &net("10.0.0.0/25"), true, Some("rma".into()))
    );
    subnets::park(&db, &net("10.0.0.0/25"), true, None)
        .await
        .unwrap();
    round_trip!(
        &t,
        &db,
        "unpark",
        subnets::park(&db, &net("10.0.0.0/25"), false, None)
    );
    let edit = Changes {
        description: Some(Some("uplinks".into())),
        pool: Some(true),
        ..Changes::default()
    };
    round_trip!(
        &t,
        &db,
        "set",
        subnets::set(&db, &net("10.0.0.128/25"), &edit)
    );

    subnets::set(&db, &net("10.0.0.128/25"), &edit)
        .await
        .unwrap();
    let pool = Source::Subnet(net("10.0.0.128/25"));
    let holder = Holder {
        purpose: Some("router".into()),
        rdns: Some("gw.example.net".into()),
        ..Holder::default()
    };
    round_trip!(
        &t,
        &db,
        "ip allocate",
        addresses::allocate(&db, &pool, &holder)
    );
    let ip = addresses::allocate(&db, &pool, &holder).await.unwrap();
    let address = ip.ip.address;
    round_trip!(&t, &db, "ip release", addresses::release(&db, address));
    round_trip!(
        &t,
        &db,
        "ip park",
        addresses::park(&db, address, true, Some("abuse".into()))
    );

    // Each undo is journaled, naming what it undid.
    let undos = count(
        &t,
        "SELECT count(*) FROM provisioning_logs WHERE event = 'undo'
           AND (detail->>'undoes')::bigint IN (SELECT id FROM provisioning_logs)",
    )
    .await;
    assert!(undos >= 10, "{undos}");
}

#[tokio::test]
async fn a_whole_provisioning_is_undone_by_its_command_id() {
    let t = support::test_db().await;
    let db = site(&t).await;
    product(&db, "dedicated", support::site::dedicated()).await;
    let before = rows(&t).await;
    let command = carve::actor::new_command_id();
    carve::actor::with_command(
        command.clone(),
        provision::provision(&db, &order("dedicated", "srv-1")),
    )
    .await
    .unwrap();
    let done = undo(&db, &Target::Command(command), false).await.unwrap();
    assert_eq!(rows(&t).await, before, "the provisioning left something");
    assert!(done.undone[0].rows.iter().any(|r| r.kind == "service"));
    t.assert_tree_is_sound().await;

    // Cancel, undone: the service is active again and holds its space again.
    let service = provision::provision(&db, &order("dedicated", "srv-1"))
        .await
        .unwrap()
        .service
        .id;
    let provisioned = rows(&t).await;
    provision::cancel(&db, service, false).await.unwrap();
    undo_id(&db, last_change(&t).await).await.unwrap();
    assert_eq!(rows(&t).await, provisioned, "the cancel was not taken back");
    let status = "SELECT count(*) FROM services WHERE status = 'active'";
    assert_eq!(count(&t, status).await, 1);
}

#[tokio::test]
async fn a_change_that_later_work_depends_on_is_refused_and_nothing_moves() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    assert_eq!(allocate(&db, 26).await, "10.0.0.0/26");
    let first = last_change(&t).await;
    // The next /26 comes out of the split the first allocation made.
    assert_eq!(allocate(&db, 26).await, "10.0.0.64/26");
    let second = last_change(&t).await;
    let before = rows(&t).await;
    let e = undo_id(&db, first).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
    assert!(
        e.message
            .contains(&format!("cannot undo #{first} ipam_allocate_subnet"))
            && e.message.contains("10.0.0.64/26 changed since")
            && e.message
                .contains(&format!("by #{second} ipam_allocate_subnet")),
        "{}",
        e.message
    );
    assert_eq!(rows(&t).await, before);
    // Newest first, both go.
    undo_id(&db, second).await.unwrap();
    undo_id(&db, first).await.unwrap();
    assert_eq!(t.leaves().await, ["10.0.0.0/24:unallocated"]);

    // An address added in a subnet blocks undoing what made the subnet a pool.
    let pool = Changes {
        pool: Some(true),
        ..Changes::default()
    };
    subnets::set(&db, &net("10.0.0.0/24"), &pool).await.unwrap();
    let made_pool = last_change(&t).await;
    let source = Source::Subnet(net("10.0.0.0/24"));
    addresses::allocate(&db, &source, &Holder::default())
        .await
        .unwrap();
    let e = undo_id(&db, made_pool).await.unwrap_err();
    assert!(
        e.message.contains("address 10.0.0.1 was added since, by #")
            && e.message.contains("ipam_allocate_ip"),
        "{}",
        e.message
    );

    // History is the database's: a change made in psql blocks an undo as well.
    let t2 = support::test_db().await;
    let db2 = root(&t2, "10.0.0.0/24").await;
    allocate(&db2, 25).await;
    let allocation = last_change(&t2).await;
    t2.exec("UPDATE subnets SET description = 'by hand' WHERE cidr = '10.0.0.0/25'")
        .await;
    let e = undo_id(&db2, allocation).await.unwrap_err();
    assert!(
        e.message
            .contains("10.0.0.0/25 changed since, outside carve"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn undo_last_walks_back_ones_own_changes_and_an_undo_can_be_undone() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    let empty = rows(&t).await;
    allocate(&db, 26).await;
    let one = rows(&t).await;
    allocate(&db, 27).await;
    subnets::park(&db, &net("10.0.0.128/25"), true, None)
        .await
        .unwrap();
    for _ in 0..3 {
        undo(&db, &Target::Last, false).await.unwrap();
    }
    assert_eq!(rows(&t).await, empty);
    // The root block's creation is a change as well; after it, nothing is left.
    undo(&db, &Target::Last, false).await.unwrap();
    assert_eq!(count(&t, "SELECT count(*) FROM subnets").await, 0);
    let e = undo(&db, &Target::Last, false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{}", e.message);
    assert!(
        e.message.contains("no change left to undo"),
        "{}",
        e.message
    );

    // Undoing an undo puts the change back (a redo), and an undo is not undone twice.
    let undo_of_root = count(
        &t,
        "SELECT max(id) FROM provisioning_logs WHERE event = 'undo' AND outcome = 'ok'",
    )
    .await;
    undo_id(&db, undo_of_root).await.unwrap();
    let allocation = count(
        &t,
        "SELECT min(id) FROM provisioning_logs WHERE event = 'ipam_allocate_subnet'",
    )
    .await;
    let e = undo_id(&db, allocation).await.unwrap_err();
    assert!(
        e.message.contains("was undone already, by #"),
        "{}",
        e.message
    );
    let undo_of_allocation = count(
        &t,
        &format!("SELECT id FROM provisioning_logs WHERE detail->>'undoes' = '{allocation}'"),
    )
    .await;
    undo_id(&db, undo_of_allocation).await.unwrap();
    assert_eq!(rows(&t).await, one);
}

#[tokio::test]
async fn what_cannot_be_undone_says_why_and_a_dry_run_changes_nothing() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    let e = undo_id(&db, 999_999).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    // A failed attempt changed nothing.
    subnets::add_root(&db, &net("192.0.2.0/24"), None, None, None, false)
        .await
        .unwrap();
    let whole = SubnetRequest::length(4, 24, Some(net("192.0.2.0/24")));
    allocate_subnet(&db, &whole).await.unwrap();
    let e = allocate_subnet(&db, &whole).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Exhausted);
    let failed = count(
        &t,
        "SELECT max(id) FROM provisioning_logs WHERE outcome = 'failed'",
    )
    .await;
    let e = undo_id(&db, failed).await.unwrap_err();
    assert!(e.message.contains("failed attempt"), "{}", e.message);
    // Billing is not kept in row history: said so, with the way to take it back.
    carve::service::billing::set_default_direction(&db, carve::billing::plan::Direction::In)
        .await
        .unwrap();
    let billing = last_change(&t).await;
    let e = undo_id(&db, billing).await.unwrap_err();
    assert!(
        e.message.contains("changed no subnet, address or service"),
        "{}",
        e.message
    );
    for target in ["abc", "12x", ""] {
        assert_eq!(
            Target::parse(target).unwrap_err().kind,
            ErrorKind::Validation
        );
    }

    allocate(&db, 26).await;
    let before = rows(&t).await;
    let journal = t.journal().await;
    let plan = undo(&db, &Target::Last, true).await.unwrap();
    assert!(plan.dry_run && !plan.undone[0].rows.is_empty());
    assert_eq!(rows(&t).await, before);
    assert_eq!(t.journal().await, journal, "a dry run journals nothing");
}

#[tokio::test]
async fn undo_racing_allocations_keeps_the_tree_sound_and_loses_nothing() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/22").await;
    let request = SubnetRequest::length(4, 26, Some(net("10.0.0.0/22")));
    let first = allocate_subnet(&db, &request).await.unwrap().cidr;
    let id = last_change(&t).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (db, request) = (db.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            allocate_subnet(&db, &request).await.map(|a| a.cidr)
        }));
    }
    let undone = undo_id(&db, id).await;
    let mut taken = Vec::new();
    for task in tasks {
        taken.push(task.await.unwrap().unwrap());
    }
    t.assert_tree_is_sound().await;
    // Every allocation that was reported is held; the undone one is held only if a
    // racing allocation took it again after the undo.
    for cidr in &taken {
        let sql = format!(
            "SELECT count(*) FROM subnets WHERE cidr = '{cidr}' AND allocation_status = 'allocated'"
        );
        assert_eq!(count(&t, &sql).await, 1, "{cidr} lost");
    }
    let held = format!(
        "SELECT count(*) FROM subnets WHERE cidr = '{first}' AND allocation_status = 'allocated'"
    );
    match undone {
        Ok(_) => assert_eq!(count(&t, &held).await, i64::from(taken.contains(&first))),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Conflict, "{}", e.message);
            assert_eq!(count(&t, &held).await, 1);
        }
    }
}
