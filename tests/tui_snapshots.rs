//! Snapshots of the terminal UI on the demo data (a real database, the real controller),
//! drawn on ratatui's TestBackend at 80x24 and 160x48: the main screen, each dialog,
//! the help overlay, and the monochrome theme NO_COLOR selects. (The palette's output
//! dialog is in the tmux tests: its text comes from running the carve binary.)

mod support;

use crossterm::event::KeyCode;
use ratatui::style::Color;

use support::screen::{Screen, text_of};

#[tokio::test]
async fn the_main_screen_at_80x24_and_160x48() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('l')]).await;
    let screen = text_of(&s.draw());
    // The customers tell apart, and each history entry is one line of the detail pane.
    assert!(
        screen.contains("v102 cust-7421") && screen.contains("v102 cust-7422"),
        "{screen}"
    );
    let detail: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.rsplit_once("││").map(|(_, right)| right))
        .collect();
    let history = detail
        .iter()
        .position(|l| l.starts_with("history"))
        .unwrap();
    let entries = &detail[history + 1..history + 7];
    assert!(
        entries.iter().all(|l| l.contains("203.0.113.")),
        "{entries:#?}"
    );
    insta::assert_snapshot!("main_80x24", screen);
    let mut s = Screen::open(160, 48, "dark", false).await;
    s.keys(&[
        KeyCode::Char('l'),
        KeyCode::Char('j'),
        KeyCode::Char('l'),
        KeyCode::Char('j'),
    ])
    .await;
    insta::assert_snapshot!("main_160x48", text_of(&s.draw()));
}

#[tokio::test]
async fn search_finds_the_holder_of_an_address() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('/')]).await;
    s.text("203.0.113.70").await;
    insta::assert_snapshot!("search_prompt", text_of(&s.draw()));
    s.keys(&[KeyCode::Enter]).await;
    let screen = text_of(&s.draw());
    assert!(
        screen.contains("cust-7422") && screen.contains("vlan      102"),
        "{screen}"
    );
    insta::assert_snapshot!("search_hit", screen);
}

#[tokio::test]
async fn each_dialog() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('a')]).await;
    insta::assert_snapshot!("dialog_allocate", text_of(&s.draw()));
    s.keys(&[KeyCode::Backspace, KeyCode::Backspace]).await;
    s.text("29").await;
    s.keys(&[KeyCode::Enter]).await;
    insta::assert_snapshot!("dialog_plan", text_of(&s.draw()));
    s.keys(&[KeyCode::Esc, KeyCode::Char('s')]).await;
    insta::assert_snapshot!("dialog_split", text_of(&s.draw()));
    s.keys(&[KeyCode::Esc, KeyCode::Char('p')]).await;
    insta::assert_snapshot!("dialog_park", text_of(&s.draw()));
    s.keys(&[KeyCode::Esc, KeyCode::Char('e')]).await;
    insta::assert_snapshot!("dialog_edit", text_of(&s.draw()));
    s.keys(&[KeyCode::Esc, KeyCode::Char('?')]).await;
    insta::assert_snapshot!("dialog_help", text_of(&s.draw()));
}

#[tokio::test]
async fn the_address_dialogs_and_the_location_filter() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    // Unfold the /24 and select its first child, the pool 203.0.113.0/26.
    s.keys(&[KeyCode::Char('l'), KeyCode::Char('j'), KeyCode::Char('A')])
        .await;
    let screen = text_of(&s.draw());
    assert!(
        screen.contains("Next free address in 203.0.113.0/26"),
        "{screen}"
    );
    insta::assert_snapshot!("dialog_allocate_ip", screen);
    // Unfold the pool and select its first address record.
    s.keys(&[
        KeyCode::Esc,
        KeyCode::Char('l'),
        KeyCode::Char('j'),
        KeyCode::Char('d'),
    ])
    .await;
    let screen = text_of(&s.draw());
    assert!(screen.contains("rDNS of 203.0.113.2"), "{screen}");
    insta::assert_snapshot!("dialog_rdns", screen);
    s.keys(&[KeyCode::Esc, KeyCode::Char('r')]).await;
    let screen = text_of(&s.draw());
    assert!(
        screen.contains("Release 203.0.113.2 (cust-7421, primary)?"),
        "{screen}"
    );
    insta::assert_snapshot!("dialog_release_address", screen);
    s.keys(&[KeyCode::Esc, KeyCode::Char('L')]).await;
    let screen = text_of(&s.draw());
    assert!(screen.contains("Show one location"), "{screen}");
    insta::assert_snapshot!("dialog_location", screen);
}

#[tokio::test]
async fn no_color_keeps_every_state_readable_without_colour() {
    let mut s = Screen::open(80, 24, "dark", true).await;
    s.keys(&[KeyCode::Char('l')]).await;
    let buffer = s.draw();
    for cell in buffer.content() {
        assert!(
            cell.fg == Color::Reset && cell.bg == Color::Reset,
            "a colour under NO_COLOR: {cell:?}"
        );
    }
    // The states are words, so the screen reads the same as in colour.
    let screen = text_of(&buffer);
    for word in ["pool", "alloc", "parked", "free", "subdiv"] {
        assert!(screen.contains(word), "{word} missing:\n{screen}");
    }
    insta::assert_snapshot!("main_80x24_no_color", screen);
}
