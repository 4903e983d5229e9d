//! Snapshots of the terminal UI on the demo data (a real database, the real controller),
//! drawn on ratatui's TestBackend at 80x24 and 160x48: the main screen, each dialog,
//! the help overlay, and the monochrome theme NO_COLOR selects. (The palette's output
//! dialog is in the tmux tests: its text comes from running the carve binary.)

mod support;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use carve::tui::app::App;
use carve::tui::controller::Controller;
use carve::tui::keymap::Keymap;
use carve::tui::ops::Msg;
use carve::tui::theme::Theme;
use carve::tui::view;

/// The app on the demo data, and the controller that answers it.
struct Screen {
    app: App,
    controller: Controller,
    rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    terminal: Terminal<TestBackend>,
    theme: Theme,
    _db: support::TestDb,
}

impl Screen {
    async fn open(width: u16, height: u16, theme: &str, no_color: bool) -> Screen {
        let t = support::test_db().await;
        carve::service::demo::fill(&t.db()).await.unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let controller = Controller::new(t.db(), tx, Vec::new());
        let app = App::new(Keymap::default(), "carve_demo".into(), (width, height));
        let mut screen = Screen {
            app,
            controller,
            rx,
            terminal: Terminal::new(TestBackend::new(width, height)).unwrap(),
            theme: Theme::load(theme, no_color).unwrap(),
            _db: t,
        };
        let effects = screen.app.start();
        screen.settle(effects).await;
        screen
    }

    /// Runs effects and feeds the answers back until nothing is pending.
    async fn settle(&mut self, effects: Vec<carve::tui::ops::Effect>) {
        for effect in effects {
            self.controller.run(effect);
        }
        while self.app.pending > 0 {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
                .await
                .expect("an answer within 10 s")
                .expect("the controller is alive");
            for effect in self.app.update(msg) {
                self.controller.run(effect);
            }
        }
    }

    async fn keys(&mut self, keys: &[KeyCode]) {
        for code in keys {
            let effects = self
                .app
                .update(Msg::Key(KeyEvent::new(*code, KeyModifiers::NONE)));
            self.settle(effects).await;
        }
    }

    async fn text(&mut self, text: &str) {
        let keys: Vec<KeyCode> = text.chars().map(KeyCode::Char).collect();
        self.keys(&keys).await;
    }

    /// The screen as text, journal times masked (they change every run).
    fn draw(&mut self) -> Buffer {
        let (app, theme) = (&self.app, &self.theme);
        self.terminal.draw(|f| view::draw(f, app, theme)).unwrap();
        let mut buffer = self.terminal.backend().buffer().clone();
        mask_times(&mut buffer);
        buffer
    }
}

/// `11-25 15:49 root  ` -> `MM-DD hh:mm who   `: the time and the actor change from run
/// to run and machine to machine.
fn mask_times(buffer: &mut Buffer) {
    let area = buffer.area;
    for y in 0..area.height {
        let row: Vec<char> = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().chars().next().unwrap_or(' '))
            .collect();
        let shape = "00-00 00:00";
        for start in 0..row.len().saturating_sub(shape.len() - 1) {
            let fits = shape.chars().enumerate().all(|(i, s)| {
                let c = row[start + i];
                if s == '0' { c.is_ascii_digit() } else { c == s }
            });
            if fits && start + 18 <= row.len() {
                // The time, then the six columns of who did it (the test's OS user).
                for (i, m) in "MM-DD hh:mm who   ".chars().enumerate() {
                    buffer[(area.x + u16::try_from(start + i).unwrap(), y)].set_char(m);
                }
            }
        }
    }
}

fn text_of(buffer: &Buffer) -> String {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let line: String = (0..area.width)
                .map(|x| buffer[(x, y)].symbol().to_owned())
                .collect();
            line.trim_end().to_owned() + "\n"
        })
        .collect()
}

#[tokio::test]
async fn the_main_screen_at_80x24_and_160x48() {
    let mut s = Screen::open(80, 24, "dark", false).await;
    s.keys(&[KeyCode::Char('l')]).await;
    insta::assert_snapshot!("main_80x24", text_of(&s.draw()));
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
