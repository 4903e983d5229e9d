//! Profiles through the binary and on screen: the chosen tenant is named before every
//! change, its read-only setting holds, a wrong name is a config error, and the UI's
//! status bar shows it.

mod support;

use carve::tui::app::App;
use carve::tui::keymap::Keymap;
use carve::tui::theme::Theme;
use carve::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[tokio::test]
async fn the_profile_is_named_before_every_change() {
    let t = support::test_db().await;
    let home = support::reachable_tempdir();
    let config = home.path().join("carve.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.lab]\nurl = \"{url}\"\n\n[profiles.look]\nurl = \"{url}\"\nread_only = true\n",
            url = t.url
        ),
    )
    .unwrap();
    let run = |profile: &str, args: &[&str]| {
        let mut command = support::carve(home.path());
        command
            .arg("--config")
            .arg(&config)
            .args(["--profile", profile])
            .args(args);
        support::run(&mut command)
    };
    let (code, stdout, stderr) = run("lab", &["--json", "location", "add", "FRA1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.starts_with("carve: profile lab ("), "{stderr}");
    assert!(stderr.contains(&t.name), "the database is named: {stderr}");
    assert!(
        stdout.trim_start().starts_with('{'),
        "stdout stays one JSON document"
    );
    let (code, _, stderr) = run("lab", &["location", "list"]);
    assert_eq!(code, 0);
    assert!(!stderr.contains("profile"), "reads say nothing: {stderr}");

    let (code, _, stderr) = run("look", &["location", "add", "AMS1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("read-only"), "{stderr}");
    let (code, _, stderr) = run("prod", &["location", "list"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no profile \"prod\" (known: lab, look)"),
        "{stderr}"
    );
    let mut command = support::carve(home.path());
    command
        .arg("--config")
        .arg(&config)
        .env("CARVE_PROFILE", "look")
        .args(["location", "add", "AMS1"]);
    assert_eq!(support::run(&mut command).0, 1, "CARVE_PROFILE chooses too");
    let locations: i64 = sqlx::query_scalar("SELECT count(*) FROM locations")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(locations, 1);
}

#[test]
fn the_status_bar_names_the_profile() {
    let theme = Theme::load("dark", false).unwrap();
    let mut app = App::new(
        Keymap::default(),
        "carve@db1.eu.example.net/carve".into(),
        (80, 24),
    );
    app.profile = Some("prod-eu".into());
    let _ = app.start();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &app, &theme)).unwrap();
    let buffer = terminal.backend().buffer();
    let last: String = (0..80).map(|x| buffer[(x, 23)].symbol()).collect();
    assert!(last.contains("[prod-eu]"), "{last}");
}
