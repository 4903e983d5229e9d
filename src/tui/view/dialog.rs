//! Dialogs over the screen: forms, plans to confirm, text, and the help overlay
//! generated from the keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{block, centered, clean};
use crate::tui::app::App;
use crate::tui::dialog::{Dialog, Form, FormKind};
use crate::tui::theme::{Slot, Theme};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(dialog) = &app.dialog else { return };
    let (title, mut lines, scroll) = match dialog {
        Dialog::Form(form) => (form.title.clone(), form_lines(form, theme), 0),
        Dialog::Plan { title, lines, .. } => (title.clone(), plan_lines(lines, theme), 0),
        Dialog::Text {
            title,
            text,
            scroll,
            run,
        } => {
            let mut lines: Vec<Line> = text.lines().map(|l| Line::raw(clean(l))).collect();
            let hint = match run {
                Some(_) => "Enter runs it   Esc cancels: nothing is changed   j/k scroll",
                None => "j/k PageUp/PageDown scroll, any other key closes",
            };
            lines.push(Line::styled(hint, theme.style(Slot::Muted)));
            (title.clone(), lines, *scroll)
        }
        Dialog::Help => ("Keys".to_owned(), help_lines(app, theme), 0),
    };
    // The last line says how to confirm or leave: it stays in view whatever the body does.
    let footer = lines.pop().unwrap_or_default();
    let width = area.width.saturating_sub(4).min(76);
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let body_height: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let height = u16::try_from(body_height + 3)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let frame_block = block(format!(" {} ", clean(&title)), theme).style(theme.style(Slot::Dialog));
    let inner = frame_block.inner(rect);
    frame.render_widget(frame_block, rect);
    let [body_area, footer_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    let body = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(body, body_area);
    frame.render_widget(Paragraph::new(footer), footer_area);
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
            // A value typing would replace is shown selected, as in any form.
            let value_style = if focused && f.fresh && !f.value.is_empty() {
                theme.style(Slot::Highlight)
            } else {
                Default::default()
            };
            Line::from(vec![
                Span::styled(format!("{:<12}", f.label), label_style),
                Span::styled(format!("{value:<24}"), value_style),
                Span::raw(" "),
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
            FormKind::Allocate | FormKind::AllocateIp | FormKind::Split | FormKind::Park => {
                " show the plan  "
            }
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
    let entries = app.keymap.help(app.read_only.is_some());
    let half = entries.len().div_ceil(2);
    let cell = |(keys, what): &(String, &'static str)| {
        vec![
            Span::styled(format!("{keys:<12} "), theme.style(Slot::Key)),
            Span::raw(format!("{what:<23}")),
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
