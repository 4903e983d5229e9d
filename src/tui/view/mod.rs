//! Drawing: pure functions from the app state to a frame. One file per pane; colours
//! only through theme slots; database text cleaned of control characters first.

mod dialog;
mod side;
mod status;
mod tree;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::app::App;
use super::geometry::{MIN_SIZE, too_small};
use super::theme::{Slot, Theme};

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if too_small((area.width, area.height)) {
        let text = format!(
            "carve needs {}x{}; this terminal is {}x{}. Enlarge it (q quits).",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [main, bar] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    // The tree gets most of a narrow screen: its lines carry the most.
    // At 80 columns the tree needs 47 inside its border for `v102 cust-7421` after a
    // /29 at depth one; the detail pane keeps 28, one history entry a line.
    let tree_share = if area.width >= 140 { 55 } else { 62 };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(tree_share), Constraint::Fill(1)]).areas(main);
    tree::draw(frame, left, app, theme);
    side::draw(frame, right, app, theme);
    status::draw(frame, bar, app, theme);
    if app.dialog.is_some() {
        dialog::draw(frame, area, app, theme);
    }
}

/// A bordered block with a title in the theme's colours.
fn block<'a>(title: impl Into<Line<'a>>, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Slot::Border))
        .title(title.into().style(theme.style(Slot::Title)))
}

pub use crate::engine::text::clean;

/// `label  value` rows for the detail pane.
fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<10}"), theme.style(Slot::Muted)),
        Span::raw(clean(&value)),
    ])
}

/// A rectangle of `width` x `height` centred in `area` (clamped to it).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    let [_, row, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, rect, _] = Layout::new(
        Direction::Horizontal,
        [
            Constraint::Fill(1),
            Constraint::Length(width),
            Constraint::Fill(1),
        ],
    )
    .areas(row);
    rect
}

/// The style of a state word, so every state has a slot and a word (never colour alone).
fn state_style(word: &str, theme: &Theme) -> Style {
    theme.style(match word {
        "alloc" | "allocated" | "pool" => Slot::Allocated,
        "free" => Slot::Free,
        "parked" => Slot::Parked,
        "reserved" | "resv" => Slot::Reserved,
        "subdiv" | "subdivided" => Slot::Subdivided,
        _ => Slot::Muted,
    })
}
