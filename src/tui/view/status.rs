//! The bottom line: a prompt while one is open, else where you are (database, view,
//! filter), what is in flight, and the last result or error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::clean;
use crate::tui::app::App;
use crate::tui::theme::{Slot, Theme};

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bar = theme.style(Slot::StatusBar);
    if let Some(prompt) = &app.prompt {
        let hint = match prompt.sigil() {
            '/' => "  (address, CIDR, customer or vlan N; Enter searches, Esc cancels)",
            _ => "  (a carve command, e.g. subnet list; Enter runs it)",
        };
        let line = Line::from(vec![
            Span::raw(format!("{}{}", prompt.sigil(), prompt.line)),
            Span::styled("█", theme.style(Slot::Key)),
            Span::styled(hint, theme.style(Slot::Muted)),
        ]);
        frame.render_widget(Paragraph::new(line).style(bar), area);
        return;
    }
    // The last result first (it is what the user waits for), then where this is.
    let mut spans = Vec::new();
    if app.reconnecting {
        let style = theme.style(Slot::Error);
        spans.push(Span::styled(" reconnecting to the database…", style));
    }
    if let Some(lag) = app.standby_lag.filter(|lag| *lag > 0) {
        spans.push(Span::styled(
            format!(" standby {lag} s behind"),
            theme.style(Slot::Parked),
        ));
    }
    if app.read_only.is_some() {
        spans.push(Span::styled(" READ-ONLY", theme.style(Slot::Parked)));
    }
    if let Some(profile) = &app.profile {
        spans.push(Span::styled(
            format!(" [{}]", clean(profile)),
            theme.style(Slot::Key),
        ));
    }
    if app.pending > 0 {
        spans.push(Span::raw(format!(
            " {}",
            SPINNER[app.spinner % SPINNER.len()]
        )));
    }
    if !app.status.text.is_empty() {
        let style = if app.status.error {
            theme.style(Slot::Error)
        } else {
            bar
        };
        spans.push(Span::styled(format!(" {}", clean(&app.status.text)), style));
    }
    let mut place = clean(&app.database);
    if let Some(location) = app.tree.location() {
        place.push_str(&format!(" at {}", clean(location)));
    }
    let help = " ? help ";
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = usize::from(area.width).saturating_sub(used + help.len() + 3);
    let place = shorten(&place, room);
    let gap = room.saturating_sub(place.chars().count());
    spans.push(Span::raw(format!("{} {place} ", " ".repeat(gap + 1))));
    spans.push(Span::styled(help, theme.style(Slot::Key)));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

/// `text` cut to `width` characters, with an ellipsis in front when cut (the end of a
/// database description, its name, is what tells tenants apart).
fn shorten(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = text.chars().skip(n - width + 1).collect();
    format!("…{tail}")
}
