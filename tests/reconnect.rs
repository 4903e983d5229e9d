//! The UI's controller rides out a PostgreSQL restart: a change asked for while the
//! database is down waits, is applied exactly once when it is back, the UI hears
//! "reconnecting" and "back", and the status bar says so. Runs its own cluster (the
//! shared test cluster cannot be restarted under other tests).

mod support;

use std::time::Duration;

use carve::service::allocate::SubnetRequest;
use carve::service::subnets;
use carve::store::local::LocalCluster;
use carve::store::{Db, migrate};
use carve::tui::app::App;
use carve::tui::keymap::Keymap;
use carve::tui::ops::{Effect, Msg, Op};
use carve::tui::theme::Theme;
use carve::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sqlx::{ConnectOptions, Connection};
use support::messages::{done, wait_for};
use support::site::net;

#[tokio::test]
async fn a_change_asked_for_during_a_restart_is_applied_once_when_the_database_is_back() {
    let dir = support::reachable_tempdir();
    let cluster = LocalCluster::new(dir.path(), None).expect("PostgreSQL binaries");
    cluster.ensure_running().await.unwrap();
    let mut admin = cluster.connect_options("postgres").connect().await.unwrap();
    sqlx::query("CREATE DATABASE restarts")
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let db = Db::connect(
        carve::store::Target::single(cluster.connect_options("restarts")),
        Duration::from_secs(3),
        Duration::from_secs(30),
        4,
    )
    .await
    .unwrap();
    migrate(&db.pool).await.unwrap();
    let root = net("203.0.113.0/24");
    subnets::add_root(&db, &root, None, None, None, false)
        .await
        .unwrap();

    let (controller, mut rx) = support::messages::open_ui(&db);
    cluster.stop().await.unwrap();
    let op = Op::Allocate(SubnetRequest::length(4, 26, Some(root)));
    controller.run(Effect::Run {
        id: 1,
        op,
        plan: None,
    });
    wait_for(&mut rx, Duration::from_secs(30), |m| {
        matches!(m, Msg::Connection { up: false })
    })
    .await;

    cluster.ensure_running().await.unwrap();
    wait_for(&mut rx, Duration::from_secs(60), |m| {
        matches!(m, Msg::Connection { up: true })
    })
    .await;
    let outcome = done(&mut rx, 1, Duration::from_secs(60))
        .await
        .expect("applied once the database is back");
    assert!(
        outcome.summary.contains("203.0.113.0/26"),
        "{}",
        outcome.summary
    );
    let allocated: i64 =
        sqlx::query_scalar("SELECT count(*) FROM subnets WHERE allocation_status = 'allocated'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let journaled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM provisioning_logs WHERE event = 'ipam_allocate_subnet' AND outcome = 'ok'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((allocated, journaled), (1, 1), "applied exactly once");
    db.pool.close().await;
    cluster.stop().await.unwrap();
}

#[test]
fn the_status_bar_says_reconnecting_and_the_screen_reloads_when_back() {
    let theme = Theme::load("dark", false).unwrap();
    let mut app = App::new(Keymap::default(), "db".into(), (80, 24));
    let _ = app.start();
    app.pending = 0;
    assert!(app.update(Msg::Connection { up: false }).is_empty());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &app, &theme)).unwrap();
    let buffer = terminal.backend().buffer();
    let last: String = (0..80).map(|x| buffer[(x, 23)].symbol()).collect();
    assert!(last.contains("reconnecting"), "{last}");
    assert!(
        !app.update(Msg::Connection { up: true }).is_empty(),
        "everything is read again"
    );
    assert!(!app.reconnecting);
    assert!(
        app.update(Msg::Connection { up: true }).is_empty(),
        "only once"
    );
}

/// What tells a retry from a repeat: a command's journal rows commit with its change.
#[tokio::test]
async fn the_journal_tells_whether_a_command_committed() {
    let t = support::test_db().await;
    let db = t.db();
    let root = net("198.51.100.0/24");
    subnets::add_root(&db, &root, None, None, None, false)
        .await
        .unwrap();
    let done = carve::actor::new_command_id();
    let request = SubnetRequest::length(4, 28, Some(root));
    carve::actor::with_command(
        done.clone(),
        carve::service::allocate::allocate_subnet(&db, &request),
    )
    .await
    .unwrap();
    let mut dry = request.clone();
    dry.dry_run = true;
    let rolled_back = carve::actor::new_command_id();
    carve::actor::with_command(
        rolled_back.clone(),
        carve::service::allocate::allocate_subnet(&db, &dry),
    )
    .await
    .unwrap();
    let committed = |id: String| {
        let db = db.clone();
        async move {
            carve::service::database::command_committed(&db, &id)
                .await
                .unwrap()
        }
    };
    assert!(committed(done).await);
    assert!(!committed(rolled_back).await);
    assert!(!committed(carve::actor::new_command_id()).await);
}
