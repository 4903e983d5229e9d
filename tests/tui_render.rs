//! How long one frame takes with a 100k-row tree unfolded. Only the rows on screen are
//! formatted, so it should not depend on the tree's size. The figure is printed; the
//! bound is generous (shared, noisy machines; debug builds) and catches only an
//! accidental walk over the whole tree per frame.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ipnet::{IpNet, Ipv6Net};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use carve::engine::usage::{LeafCounts, Utilization};
use carve::service::browse::Level;
use carve::service::view::SubnetView;
use carve::tui::app::App;
use carve::tui::keymap::Keymap;
use carve::tui::ops::Msg;
use carve::tui::theme::Theme;
use carve::tui::tree::Key;
use carve::tui::view;

fn view_of(cidr: IpNet, status: &'static str) -> SubnetView {
    SubnetView {
        cidr,
        family: 6,
        status,
        parked: false,
        parked_reason: None,
        parked_above: false,
        location: None,
        effective_location: Some("EU-FRA".into()),
        vlan: Some(102),
        customer: Some("cust-7422".into()),
        device: None,
        service: None,
        description: None,
        purpose: None,
        reserve_reason: None,
        pool: false,
        cooldown_left: None,
        utilization: Utilization::of_block(&cidr, &LeafCounts::default()),
        usage_known: true,
        children: None,
    }
}

/// p50 and max of `frames` draws after `setup`.
fn measure(app: &App, theme: &Theme, frames: usize) -> (Duration, Duration) {
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let start = Instant::now();
            terminal.draw(|f| view::draw(f, app, theme)).unwrap();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[frames / 2], times[frames - 1])
}

#[test]
fn one_frame_of_a_100k_row_tree_costs_what_a_short_one_does() {
    let theme = Theme::load("dark", false).unwrap();
    let root: IpNet = "2001:db8::/32".parse().unwrap();
    let mut app = App::new(Keymap::default(), "bench".into(), (160, 48));
    let _ = app.start();
    let roots = Level {
        subnets: vec![view_of(root, "subdivided")],
        addresses: Vec::new(),
    };
    app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots),
    });
    let (small_p50, _) = measure(&app, &theme, 50);

    let children: Vec<SubnetView> = Ipv6Net::new("2001:db8::".parse().unwrap(), 32)
        .unwrap()
        .subnets(49)
        .unwrap()
        .take(100_000)
        .map(|n| view_of(IpNet::V6(n), "allocated"))
        .collect();
    let unfold = Instant::now();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('l'),
        KeyModifiers::NONE,
    )));
    let level = Level {
        subnets: children,
        addresses: Vec::new(),
    };
    app.update(Msg::Level {
        parent: Some(Key::Subnet(root)),
        generation: app.generation(),
        result: Ok(level),
    });
    let unfolded = unfold.elapsed();
    assert_eq!(app.tree.visible_len(), 100_001);
    let (top_p50, top_max) = measure(&app, &theme, 50);
    // The middle and the end of the tree cost the same as the top.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('G'),
        KeyModifiers::NONE,
    )));
    let (end_p50, _) = measure(&app, &theme, 50);
    println!(
        "frame at 160x48: 1 row p50 {small_p50:?}; 100k rows unfolded (insert {unfolded:?}): \
         top p50 {top_p50:?} max {top_max:?}, end p50 {end_p50:?}"
    );
    assert!(top_p50 < Duration::from_millis(250) && end_p50 < Duration::from_millis(250));
}

#[test]
fn text_from_the_database_reaches_the_screen_without_control_characters() {
    let theme = Theme::load("dark", false).unwrap();
    let root: IpNet = "203.0.113.0/24".parse().unwrap();
    let mut hostile = view_of(root, "allocated");
    hostile.customer = Some("evil\u{1b}[2J\u{1b}]0;pwned\u{7}corp".into());
    hostile.description = Some("line\rbreak\u{9b}31m".into());
    let mut app = App::new(Keymap::default(), "db\u{1b}[5m".into(), (80, 24));
    let _ = app.start();
    let roots = Level {
        subnets: vec![hostile],
        addresses: Vec::new(),
    };
    app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots),
    });
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &app, &theme)).unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "{:?} reached the screen",
            cell.symbol()
        );
    }
    let screen: String = buffer.content().iter().map(|c| c.symbol()).collect();
    assert!(
        screen.contains("evil[2J]0;p"),
        "the text stays, only the controls go: {screen}"
    );
}
