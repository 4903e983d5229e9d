//! The tree pane: one line per visible row, only the rows on screen are formatted.

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, clean, state_style};
use crate::service::view::{IpView, SubnetView};
use crate::tui::app::App;
use crate::tui::theme::{Slot, Theme};
use crate::tui::tree::{Entry, Key, Node};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut title = format!(" Subnets ({}) ", if app.full { "full" } else { "compact" });
    if let Some(location) = app.tree.location() {
        title.push_str(&format!("at {} ", clean(location)));
    }
    let block = block(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    if app.tree.is_empty() {
        let hint = if app.pending > 0 {
            "loading..."
        } else {
            "no subnets yet: add a block with `carve subnet add CIDR` (or : subnet add CIDR)"
        };
        frame.render_widget(Paragraph::new(hint).style(theme.style(Slot::Muted)), inner);
        return;
    }
    let hits: HashSet<Key> = app
        .hits
        .iter()
        .map(|h| match (h.address, h.path.last()) {
            (Some(a), _) => Key::Address(a),
            (None, Some(c)) => Key::Subnet(*c),
            (None, None) => Key::Subnet(ipnet::IpNet::default()),
        })
        .collect();
    let rows: Vec<(usize, &Node)> = app.tree.rows(app.tree.offset, height).collect();
    // The name column fits the widest name on screen, leaving room for the rest.
    let name_width = rows
        .iter()
        .map(|(_, n)| usize::from(n.depth) * 2 + 2 + name(n).len())
        .max()
        .unwrap_or(0)
        .min(width.saturating_sub(14));
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(row, node)| {
            let line = tree_line(node, name_width, theme, hits.contains(&node.entry.key()));
            if row == app.tree.cursor {
                line.patch_style(theme.style(Slot::Selected))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn name(node: &Node) -> String {
    match &node.entry {
        Entry::Subnet(s) => s.cidr.to_string(),
        Entry::Address(a) => a.address.to_string(),
    }
}

fn tree_line<'a>(node: &Node, name_width: usize, theme: &Theme, hit: bool) -> Line<'a> {
    let marker = match (node.expandable(), node.expanded) {
        (true, true) => "▾ ",
        (true, false) => "▸ ",
        _ => "  ",
    };
    let lead = format!(
        "{}{marker}{}",
        "  ".repeat(usize::from(node.depth)),
        name(node)
    );
    let name_style = if hit {
        theme.style(Slot::Highlight)
    } else {
        Default::default()
    };
    let mut spans = vec![Span::styled(format!("{lead:<name_width$}"), name_style)];
    match &node.entry {
        Entry::Subnet(s) => subnet_columns(s, theme, &mut spans),
        Entry::Address(a) => address_columns(a, theme, &mut spans),
    }
    Line::from(spans)
}

/// `free`, `alloc`, `subdiv`, `resv`, `parked`, `pool`: a word for every state.
pub fn state_word(s: &SubnetView) -> &'static str {
    match s.state_word() {
        "parked" => "parked",
        _ if s.pool => "pool",
        "allocated" => "alloc",
        "subdivided" => "subdiv",
        "reserved" => "resv",
        other => other,
    }
}

/// `47%`, `<1%`, or `…` while the figure is being read.
pub fn usage_text(s: &SubnetView) -> String {
    if !s.usage_known {
        return "…".to_owned();
    }
    let pct = s.utilization.percent_used();
    if pct > 0.0 && pct < 1.0 {
        "<1%".to_owned()
    } else {
        format!("{:.0}%", pct.floor())
    }
}

fn subnet_columns<'a>(s: &SubnetView, theme: &Theme, spans: &mut Vec<Span<'a>>) {
    let word = state_word(s);
    spans.push(Span::styled(
        format!(" {word:<6}"),
        state_style(word, theme),
    ));
    spans.push(Span::raw(format!(" {:>4}", usage_text(s))));
    let mut rest = Vec::new();
    if let Some(c) = &s.customer {
        rest.push(clean(c));
    }
    if let Some(v) = s.vlan {
        rest.push(format!("v{v}"));
    }
    if let Some(l) = &s.effective_location {
        rest.push(format!("@{}", clean(l)));
    }
    if !rest.is_empty() {
        spans.push(Span::styled(
            format!(" {}", rest.join(" ")),
            theme.style(Slot::Muted),
        ));
    }
}

fn address_columns<'a>(a: &IpView, theme: &Theme, spans: &mut Vec<Span<'a>>) {
    let word = if a.parked { "parked" } else { "alloc" };
    spans.push(Span::styled(
        format!(" {word:<6}"),
        state_style(word, theme),
    ));
    let rest: Vec<String> = [
        a.customer.as_deref(),
        a.purpose.as_deref(),
        a.rdns.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(clean)
    .collect();
    if !rest.is_empty() {
        spans.push(Span::styled(
            format!("      {}", rest.join(" ")),
            theme.style(Slot::Muted),
        ));
    }
}
