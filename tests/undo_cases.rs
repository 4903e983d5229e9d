//! Undo in the cases that trip a naive one: a record put back into a subnet that changed
//! since, inherited locations after an undo, an undo that was itself undone, two undos
//! of one change at once, what others took in between, billing, a release cooldown that
//! ended, a cascade that touched a row only in passing.

mod support;

use std::time::Duration;

use carve::billing::plan::{Model, Plan};
use carve::config::ReleaseCooldown;
use carve::error::ErrorKind;
use carve::service::addresses::{self, Holder, Source};
use carve::service::subnets::{self, Changes};
use carve::service::undo::{Target, undo};
use carve::service::{billing, provision};
use support::site::{count, net, order, product, site};
use support::undo::{allocate, last_change, root, rows, undo_id};

fn pool(yes: bool) -> Changes {
    Changes {
        pool: Some(yes),
        ..Changes::default()
    }
}

fn located(location: &str) -> Changes {
    Changes {
        location: Some(Some(location.to_owned())),
        ..Changes::default()
    }
}

#[tokio::test]
async fn a_record_never_comes_back_into_a_subnet_that_changed_since() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    allocate(&db, 26).await;
    subnets::set(&db, &net("10.0.0.0/26"), &pool(true))
        .await
        .unwrap();
    let source = Source::Subnet(net("10.0.0.0/26"));
    let ip = addresses::allocate(&db, &source, &Holder::default())
        .await
        .unwrap();
    addresses::release(&db, ip.ip.address).await.unwrap();
    let release = last_change(&t).await;
    subnets::set(&db, &net("10.0.0.0/26"), &pool(false))
        .await
        .unwrap();
    subnets::release(&db, &net("10.0.0.0/26"), false)
        .await
        .unwrap();
    let before = rows(&t).await;
    let e = undo_id(&db, release).await.unwrap_err();
    assert!(
        e.message
            .contains("address 10.0.0.1's subnet 10.0.0.0/26 changed since, by #")
            && e.message.contains("release 10.0.0.0/26"),
        "{}",
        e.message
    );
    assert_eq!(rows(&t).await, before);
}

#[tokio::test]
async fn locations_are_inherited_again_after_an_undo() {
    let t = support::test_db().await;
    t.exec("INSERT INTO locations (name) VALUES ('FRA'), ('AMS')")
        .await;
    let db = root(&t, "10.0.0.0/24").await;
    allocate(&db, 26).await;
    subnets::set(&db, &net("10.0.0.0/25"), &located("FRA"))
        .await
        .unwrap();
    let fra = last_change(&t).await;
    subnets::set(&db, &net("10.0.0.0/24"), &located("AMS"))
        .await
        .unwrap();
    undo_id(&db, fra).await.unwrap();
    let wrong = count(
        &t,
        "SELECT count(*) FROM subnets s JOIN locations l ON l.name = 'AMS'
         WHERE s.effective_location_id IS DISTINCT FROM l.id",
    )
    .await;
    assert_eq!(wrong, 0, "every node inherits AMS from the root again");
}

#[tokio::test]
async fn a_change_put_back_by_undoing_its_undo_counts_as_done_again() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    let describe = |text: &str| Changes {
        description: Some(Some(text.to_owned())),
        ..Changes::default()
    };
    subnets::set(&db, &net("10.0.0.0/24"), &describe("one"))
        .await
        .unwrap();
    subnets::set(&db, &net("10.0.0.0/24"), &describe("two"))
        .await
        .unwrap();
    let two = last_change(&t).await;
    undo(&db, &Target::Last, false).await.unwrap();
    let undo_of_two = count(&t, "SELECT max(id) FROM provisioning_logs").await;
    undo_id(&db, undo_of_two).await.unwrap();
    // "two" is in force again: the next undo --last takes it back (not "one"), and
    // an undo of it by id works too.
    let plan = undo(&db, &Target::Last, true).await.unwrap();
    assert_eq!(plan.undone[0].journal[0].id, two);
    undo_id(&db, two).await.unwrap();
    let description = "SELECT count(*) FROM subnets WHERE description = 'one'";
    assert_eq!(count(&t, description).await, 1);
}

#[tokio::test]
async fn two_undos_of_one_change_at_once_undo_it_once() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    allocate(&db, 26).await;
    let id = last_change(&t).await;
    let (a, b) = tokio::join!(undo_id(&db, id), undo_id(&db, id));
    let (ok, refused) = match (a, b) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => ((), e),
        other => panic!("{other:?}"),
    };
    let () = ok;
    assert_eq!(refused.kind, ErrorKind::Conflict);
    assert!(
        refused.message.contains("was undone already, by #"),
        "{}",
        refused.message
    );
    assert_eq!(t.leaves().await, ["10.0.0.0/24:unallocated"]);
}

#[tokio::test]
async fn what_others_took_meanwhile_or_bill_blocks_with_a_reason() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    subnets::set(&db, &net("10.0.0.0/24"), &pool(true))
        .await
        .unwrap();
    let source = Source::Subnet(net("10.0.0.0/24"));
    let ip = addresses::allocate(&db, &source, &Holder::default())
        .await
        .unwrap();
    addresses::release(&db, ip.ip.address).await.unwrap();
    let release = last_change(&t).await;
    addresses::allocate(&db, &source, &Holder::default())
        .await
        .unwrap();
    let e = undo_id(&db, release).await.unwrap_err();
    assert!(
        e.message.contains("10.0.0.1 is in use again, by #")
            && e.message.contains("ipam_allocate_ip"),
        "{}",
        e.message
    );

    let t = support::test_db().await;
    let db = site(&t).await;
    product(&db, "dedicated", support::site::dedicated()).await;
    let command = carve::actor::new_command_id();
    let service = carve::actor::with_command(
        command.clone(),
        provision::provision(&db, &order("dedicated", "srv-1")),
    )
    .await
    .unwrap()
    .service
    .id;
    let flat = Plan {
        flat_fee: Some("10".parse().unwrap()),
        ..Plan::new("flat", Model::Flat, "eur")
    };
    billing::add_plan(&db, flat).await.unwrap();
    billing::assign(&db, service, "flat", None).await.unwrap();
    let e = undo(&db, &Target::Command(command), false)
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains(&format!("service {service} has billing records")),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_release_is_undone_after_its_cooldown_ended() {
    let t = support::test_db().await;
    let mut db = root(&t, "10.0.0.0/24").await;
    db.release_cooldown = ReleaseCooldown {
        ips: None,
        subnets: Some(Duration::from_secs(1)),
    };
    allocate(&db, 26).await;
    let held = rows(&t).await;
    subnets::release(&db, &net("10.0.0.0/26"), false)
        .await
        .unwrap();
    let release = last_change(&t).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    carve::service::cooldown::expire(&db).await;
    let ended = "SELECT count(*) FROM provisioning_logs WHERE event = 'cooldown_end'";
    assert_eq!(count(&t, ended).await, 1);
    undo_id(&db, release).await.unwrap();
    let now = rows(&t).await;
    assert_eq!(now, held, "the block is held again, as before its release");
}

#[tokio::test]
async fn a_park_is_undone_though_its_subtree_was_edited_since() {
    let t = support::test_db().await;
    let db = root(&t, "10.0.0.0/24").await;
    allocate(&db, 26).await;
    subnets::park(&db, &net("10.0.0.0/25"), true, Some("rma".into()))
        .await
        .unwrap();
    let park = last_change(&t).await;
    let note = Changes {
        description: Some(Some("spare".into())),
        ..Changes::default()
    };
    subnets::set(&db, &net("10.0.0.64/26"), &note)
        .await
        .unwrap();
    undo_id(&db, park).await.unwrap();
    let parked = "SELECT count(*) FROM subnets WHERE hidden";
    assert_eq!(count(&t, parked).await, 0);
    let kept = "SELECT count(*) FROM subnets WHERE description = 'spare'";
    assert_eq!(count(&t, kept).await, 1, "the later edit stays");
}
