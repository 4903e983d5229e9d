//! Dialogs over the screen: forms, plans to confirm, text, and the help overlay
//! generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{block, centered, clean};
use crate::tui::app::App;
use crate::tui::dialog::{Dialog, Form, FormKind};
use crate::tui::theme::{Slot, Theme};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(dialog) = &app.dialog else { return };
    let (title, lines) = match dialog {
        Dialog::Form(form) => (form.title.clone(), form_lines(form, theme)),
        Dialog::Plan { title, lines, .. } => (title.clone(), plan_lines(lines, theme)),
        Dialog::Text { title, text } => {
            let mut lines: Vec<Line> = text.lines().map(|l| Line::raw(clean(l))).collect();
            lines.push(Line::styled("any key closes", theme.style(Slot::Muted)));
            (title.clone(), lines)
        }
        Dialog::Help => ("Keys".to_owned(), help_lines(app, theme)),
    };
    let width = area.width.saturating_sub(4).min(76);
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let body = Paragraph::new(lines)
        .block(block(format!(" {} ", clean(&title)), theme))
        .style(theme.style(Slot::Dialog))
        .wrap(Wrap { trim: false });
    frame.render_widget(body, rect);
}

fn form_lines(form: &Form, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = form
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let focused = i == form.focus;
            let value = if focused {
                format!("{}█", f.value)
            } else {
                f.value.clone()
            };
            let label_style = if focused {
                theme.style(Slot::Selected)
            } else {
                theme.style(Slot::Muted)
            };
            Line::from(vec![
                Span::styled(format!("{:<12}", f.label), label_style),
                Span::raw(format!("{value:<24} ")),
                Span::styled(f.hint, theme.style(Slot::Muted)),
            ])
        })
        .collect();
    if let Some(error) = &form.error {
        lines.push(Line::styled(clean(error), theme.style(Slot::Error)));
    }
    lines.push(Line::from(vec![
        Span::styled("Tab", theme.style(Slot::Key)),
        Span::raw(" next field  "),
        Span::styled("Enter", theme.style(Slot::Key)),
        Span::raw(match form.kind {
            FormKind::Allocate | FormKind::AllocateIp | FormKind::Split => " show the plan  ",
            _ => " apply  ",
        }),
        Span::styled("Esc", theme.style(Slot::Key)),
        Span::raw(" cancel"),
    ]));
    lines
}

fn plan_lines(plan: &[(String, String)], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = plan
        .iter()
        .map(|(event, what)| {
            Line::from(vec![
                Span::styled(format!("{event:<22} "), theme.style(Slot::Muted)),
                Span::raw(clean(what)),
            ])
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("Enter", theme.style(Slot::Key)),
        Span::raw(" do it   "),
        Span::styled("Esc", theme.style(Slot::Key)),
        Span::raw(" cancel: nothing is changed"),
    ]));
    lines
}

/// Every key of the keymap, in two columns so it fits 80x24.
fn help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let entries = app.keymap.help();
    let half = entries.len().div_ceil(2);
    let cell = |(keys, what): &(String, &'static str)| {
        vec![
            Span::styled(format!("{keys:<12} "), theme.style(Slot::Key)),
            Span::raw(format!("{what:<24}")),
        ]
    };
    let mut lines: Vec<Line> = (0..half)
        .map(|row| {
            let mut spans = cell(&entries[row]);
            if let Some(right) = entries.get(row + half) {
                spans.push(Span::raw(" "));
                spans.extend(cell(right));
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::styled(
        "Ctrl-c quits from anywhere; any key closes this",
        theme.style(Slot::Muted),
    ));
    lines
}
