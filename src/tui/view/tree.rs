//! The tree pane: one line per visible row, only the rows on screen are formatted.

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{block, clean, state_style};
use crate::service::view::{IpView, SubnetView};
use crate::tui::app::{App, hit_key};
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
    if app.tree.visible_len() == 0 {
        let location = app.tree.location().map(clean).unwrap_or_default();
        let hint = format!("nothing at {location} (Esc clears the filter)");
        frame.render_widget(Paragraph::new(hint).style(theme.style(Slot::Muted)), inner);
        return;
    }
    let hits: HashSet<Key> = app.hits.iter().filter_map(hit_key).collect();
    let rows: Vec<(usize, &Node)> = app.tree.rows(app.tree.offset, height).collect();
    // The name column fits the widest name on screen, but state and usage always stay
    // in view: a longer name is cut with an ellipsis.
    let name_width = rows
        .iter()
        .map(|(_, n)| lead(n).chars().count())
        .max()
        .unwrap_or(0)
        .min(width.saturating_sub(STATE_AND_USAGE));
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(row, node)| {
            let line = tree_line(
                node,
                name_width,
                width,
                theme,
                hits.contains(&node.entry.key()),
            );
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

/// Columns after the name: ` subdiv` and ` 100%`.
const STATE_AND_USAGE: usize = 12;

/// Indentation stops deepening here, so deep IPv6 rows keep their columns.
const MAX_INDENT: u16 = 6;

/// Indentation, fold marker and name.
fn lead(node: &Node) -> String {
    let marker = match (node.expandable(), node.expanded) {
        (true, true) => "▾ ",
        (true, false) => "▸ ",
        _ => "  ",
    };
    let indent = "  ".repeat(usize::from(node.depth.min(MAX_INDENT)));
    format!("{indent}{marker}{}", name(node))
}

/// `text` in exactly `width` columns: padded, or cut with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text:<width$}")
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn tree_line<'a>(
    node: &Node,
    name_width: usize,
    width: usize,
    theme: &Theme,
    hit: bool,
) -> Line<'a> {
    let name_style = if hit {
        theme.style(Slot::Highlight)
    } else {
        Default::default()
    };
    let mut spans = vec![Span::styled(fit(&lead(node), name_width), name_style)];
    let rest = match &node.entry {
        Entry::Subnet(s) => subnet_columns(s, theme, &mut spans),
        Entry::Address(a) => address_columns(a, theme, &mut spans),
    };
    // What follows is cut with an ellipsis, never mid-word without a sign: `cust-742`
    // must not pass for a customer.
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = width.saturating_sub(used + 1);
    if !rest.is_empty() && room > 1 {
        let text = rest.join(" ");
        let text = if text.chars().count() > room {
            fit(&text, room)
        } else {
            text
        };
        spans.push(Span::styled(format!(" {text}"), theme.style(Slot::Muted)));
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
fn usage_text(s: &SubnetView) -> String {
    if !s.usage_known {
        return "…".to_owned();
    }
    s.utilization.percent_text()
}

/// State and usage as spans; returns VLAN, customer and own location to follow. The VLAN
/// comes first: it is short, and cut short it would be a wrong number.
fn subnet_columns<'a>(s: &SubnetView, theme: &Theme, spans: &mut Vec<Span<'a>>) -> Vec<String> {
    let word = state_word(s);
    spans.push(Span::styled(
        format!(" {word:<6}"),
        state_style(word, theme),
    ));
    spans.push(Span::raw(format!(" {:>4}", usage_text(s))));
    let mut rest = Vec::new();
    if let Some(v) = s.vlan {
        rest.push(format!("v{v}"));
    }
    if let Some(c) = &s.customer {
        rest.push(clean(c));
    }
    // Only a location of its own: the inherited one repeats the root's on every row and
    // pushes the customer out of an 80-column screen (the detail pane names it).
    if let Some(l) = &s.location {
        rest.push(format!("@{}", clean(l)));
    }
    rest
}

/// State as a span (usage is blank for an address); returns customer, purpose and rDNS.
fn address_columns<'a>(a: &IpView, theme: &Theme, spans: &mut Vec<Span<'a>>) -> Vec<String> {
    let word = if a.parked {
        "parked"
    } else if a.reserved {
        "resv"
    } else {
        "alloc"
    };
    spans.push(Span::styled(
        format!(" {word:<6}"),
        state_style(word, theme),
    ));
    spans.push(Span::raw("     "));
    [
        a.customer.as_deref(),
        a.purpose.as_deref(),
        a.rdns.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(clean)
    .collect()
}
