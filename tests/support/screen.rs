//! The UI on the demo data with the real controller and a real database, drawn on
//! ratatui's TestBackend: keys in, answers settled, the screen as text.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use carve::tui::app::App;
use carve::tui::controller::Controller;
use carve::tui::keymap::Keymap;
use carve::tui::ops::Msg;
use carve::tui::theme::Theme;
use carve::tui::view;

/// The app on the demo data, and the controller that answers it.
pub struct Screen {
    pub app: App,
    controller: Controller,
    rx: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    terminal: Terminal<TestBackend>,
    theme: Theme,
    pub db: super::TestDb,
}

impl Screen {
    pub async fn open(width: u16, height: u16, theme: &str, no_color: bool) -> Screen {
        let t = super::test_db().await;
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
            db: t,
        };
        let effects = screen.app.start();
        screen.settle(effects).await;
        screen
    }

    /// Runs effects and feeds the answers back until nothing is pending.
    pub async fn settle(&mut self, effects: Vec<carve::tui::ops::Effect>) {
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

    pub async fn keys(&mut self, keys: &[KeyCode]) {
        for code in keys {
            let effects = self
                .app
                .update(Msg::Key(KeyEvent::new(*code, KeyModifiers::NONE)));
            self.settle(effects).await;
        }
    }

    pub async fn text(&mut self, text: &str) {
        let keys: Vec<KeyCode> = text.chars().map(KeyCode::Char).collect();
        self.keys(&keys).await;
    }

    /// The screen as text, journal times masked (they change every run).
    pub fn draw(&mut self) -> Buffer {
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
            if fits {
                // The time, then (where it is shown) who did it: the test's OS user.
                let who: String = format!("{:<6.6} ", carve::actor::current().os_user);
                let after: String = row[start + 11..].iter().skip(1).take(7).collect();
                let mask = if after == who {
                    "MM-DD hh:mm who   "
                } else {
                    "MM-DD hh:mm"
                };
                for (i, m) in mask.chars().enumerate() {
                    buffer[(area.x + u16::try_from(start + i).unwrap(), y)].set_char(m);
                }
            }
        }
        // A narrow pane shows the time alone at the start of a history line.
        for start in 1..row.len().saturating_sub(5) {
            let time = &row[start..start + 5];
            let digits = [0, 1, 3, 4].iter().all(|i| time[*i].is_ascii_digit());
            if digits
                && time[2] == ':'
                && !row[start - 1].is_alphanumeric()
                && row[start + 5] == ' '
            {
                for (i, m) in "hh:mm".chars().enumerate() {
                    buffer[(area.x + u16::try_from(start + i).unwrap(), y)].set_char(m);
                }
            }
        }
    }
}

pub fn text_of(buffer: &Buffer) -> String {
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
