//! `database.read_url`: what only reads goes to a hot standby, changes and dry runs to
//! the primary; a UI reading from the standby follows its journal (LISTEN is refused
//! there), says how far behind it is, and shows its own change after making it.

mod support;

use std::path::Path;
use std::time::Duration;

use carve::service::allocate::SubnetRequest;
use carve::store::Db;
use carve::tui::controller::Controller;
use carve::tui::listen;
use carve::tui::ops::{Effect, Msg, Op};
use support::messages::{done, wait_for};
use support::site::net;
use support::standby::{Pair, connect};
use tokio::sync::mpsc::unbounded_channel;

async fn replay(standby: &Db, on: bool) {
    let sql = if on {
        "SELECT pg_wal_replay_resume()"
    } else {
        "SELECT pg_wal_replay_pause()"
    };
    sqlx::query(sql).execute(&standby.pool).await.unwrap();
}

fn config(home: &Path, pair: &Pair) -> String {
    let path = home.join("carve.toml");
    let text = format!(
        "[database]\nurl = \"{}\"\nread_url = \"{}\"\n",
        pair.url(&[&pair.primary.socket_dir], ""),
        pair.url(&[&pair.standby.socket_dir], "")
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn reads_come_from_the_standby_and_changes_and_dry_runs_from_the_primary() {
    let pair = Pair::start().await;
    let home = tempfile::tempdir().unwrap();
    let config = config(home.path(), &pair);
    let carve = |args: &[&str]| {
        support::run(
            support::carve(home.path())
                .args(["--json", "--config", &config])
                .args(args),
        )
    };
    assert_eq!(carve(&["subnet", "add", "198.51.100.0/24"]).0, 0);
    let standby = connect(&pair.url(&[&pair.standby.socket_dir], "")).await;
    replay(&standby, false).await;

    // The change lands on the primary; the paused standby does not show it yet.
    let (code, out, err) = carve(&["location", "add", "FRA1"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, listed, err) = carve(&["location", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(!listed.contains("FRA1"), "read from the standby: {listed}");
    // A dry run takes row locks: it is planned on the primary, which shows FRA1's
    // subnet space as it is.
    let (code, out, err) = carve(&[
        "subnet",
        "allocate",
        "--len",
        "26",
        "--pool",
        "198.51.100.0/24",
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{out}{err}");

    replay(&standby, true).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, listed, _) = carve(&["location", "list"]);
        if listed.contains("FRA1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the standby never showed FRA1"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_ui_on_the_standby_follows_the_primary_says_its_lag_and_shows_its_own_change() {
    let pair = Pair::start().await;
    let primary = connect(&pair.url(&[&pair.primary.socket_dir], "")).await;
    carve::store::migrate(&primary.pool).await.unwrap();
    let root = net("203.0.113.0/24");
    carve::service::subnets::add_root(&primary, &root, None, None, None, false)
        .await
        .unwrap();
    let standby = connect(&pair.url(&[&pair.standby.socket_dir], "")).await;
    let (tx, mut rx) = unbounded_channel();
    tokio::spawn(listen::follow_standby(standby.clone(), tx.clone()));
    wait_for(&mut rx, Duration::from_secs(10), |m| {
        matches!(m, Msg::Standby { .. })
    })
    .await;

    // A change made elsewhere reaches the screen within seconds, without LISTEN.
    carve::service::subnets::add_root(&primary, &net("198.51.100.0/24"), None, None, None, false)
        .await
        .unwrap();
    wait_for(&mut rx, Duration::from_secs(10), |m| {
        matches!(m, Msg::External)
    })
    .await;

    // Replay paused while the primary writes: the lag shows.
    replay(&standby, false).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    carve::service::subnets::add_root(&primary, &net("192.0.2.0/24"), None, None, None, false)
        .await
        .unwrap();
    wait_for(
        &mut rx,
        Duration::from_secs(15),
        |m| matches!(m, Msg::Standby { lag_secs } if *lag_secs >= 1),
    )
    .await;
    replay(&standby, true).await;
    wait_for(&mut rx, Duration::from_secs(15), |m| {
        matches!(m, Msg::Standby { lag_secs: 0 })
    })
    .await;

    // The UI's own change: done on the primary, and the next read of the standby has it.
    let controller =
        Controller::new(primary.clone(), tx, Vec::new()).reading_from(Some(standby.clone()));
    controller.run(Effect::Run {
        id: 1,
        op: Op::Allocate(SubnetRequest::length(4, 26, Some(root))),
        plan: None,
    });
    let outcome = done(&mut rx, 1, Duration::from_secs(30)).await;
    assert!(
        outcome
            .expect("allocated")
            .summary
            .contains("203.0.113.0/26")
    );
    let shown: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM subnets WHERE cidr = '203.0.113.0/26' AND allocation_status = 'allocated'",
    )
    .fetch_one(&standby.pool)
    .await
    .unwrap();
    assert_eq!(
        shown, 1,
        "the standby shows the change once Done is reported"
    );
}

#[test]
fn the_status_bar_says_how_far_behind_the_standby_is() {
    use carve::tui::app::App;
    use carve::tui::keymap::Keymap;
    use carve::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let theme = Theme::load("dark", false).unwrap();
    let mut app = App::new(Keymap::default(), "db".into(), (80, 24));
    let _ = app.start();
    app.pending = 0;
    let bar = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|f| carve::tui::view::draw(f, app, &theme))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..80)
            .map(|x| buffer[(x, 23)].symbol())
            .collect::<String>()
    };
    assert!(app.update(Msg::Standby { lag_secs: 7 }).is_empty());
    assert!(bar(&app).contains("standby 7 s behind"), "{}", bar(&app));
    let _ = app.update(Msg::Standby { lag_secs: 0 });
    assert!(!bar(&app).contains("behind"), "{}", bar(&app));
}
