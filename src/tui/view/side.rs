//! The side panes: the selection's detail (every field, ancestors, its journal), the
//! VLANs of its location, and the PTR names of its pool. Stacked on a tall screen; on
//! 80x24 one at a time, Tab switching.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::tree::state_word;
use super::{block, clean, field, state_style};
use crate::model::PtrState;
use crate::service::browse::Detail;
use crate::service::cooldown;
use crate::service::view::{IpView, SubnetView};
use crate::tui::app::{App, Pane};
use crate::tui::theme::{Slot, Theme};

/// Below this height the panes take turns.
const STACK_HEIGHT: u16 = 40;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.height >= STACK_HEIGHT {
        let [detail, vlans, rdns] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(9),
        ])
        .areas(area);
        pane(frame, detail, app, theme, Pane::Detail, " Detail ".into());
        pane(frame, vlans, app, theme, Pane::Vlans, " VLANs ".into());
        pane(frame, rdns, app, theme, Pane::Rdns, " rDNS ".into());
    } else {
        let tabs = [
            (Pane::Detail, "Detail"),
            (Pane::Vlans, "VLANs"),
            (Pane::Rdns, "rDNS"),
        ];
        let spans: Vec<Span> = tabs
            .iter()
            .flat_map(|(p, name)| {
                let style = if *p == app.pane {
                    theme.style(Slot::Title)
                } else {
                    theme.style(Slot::Muted)
                };
                [Span::raw(" "), Span::styled(*name, style)]
            })
            .chain([Span::styled(" (Tab) ", theme.style(Slot::Muted))])
            .collect();
        pane(frame, area, app, theme, app.pane, Line::from(spans));
    }
}

fn pane(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    which: Pane,
    title: Line<'static>,
) {
    let block = block(title, theme);
    let lines = match &app.detail {
        None if app.pending > 0 => vec![Line::styled("loading...", theme.style(Slot::Muted))],
        None => vec![Line::styled("nothing selected", theme.style(Slot::Muted))],
        Some(d) => match which {
            Pane::Detail => detail_lines(d, theme, usize::from(area.width.saturating_sub(2))),
            Pane::Vlans => vlan_lines(d, theme),
            Pane::Rdns => rdns_lines(d, theme),
        },
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn detail_lines(d: &Detail, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(ip) = &d.address {
        address_lines(ip, theme, &mut lines);
        lines.push(Line::raw(""));
    }
    subnet_lines(&d.subnet, theme, &mut lines);
    if !d.ancestors.is_empty() {
        let chain: Vec<String> = d.ancestors.iter().map(|a| a.cidr.to_string()).collect();
        lines.push(field("inside", chain.join(" > "), theme));
    }
    if let Some(e) = &d.last_change {
        // Laid out like a history line (who in six columns); `carve log` has the machine.
        let who = e.person();
        let event = clean(&short_event(&e.event));
        // After the 10-column label; who goes first when it does not fit.
        let [at, who] = history_columns(
            &when(&e.at),
            &clean(who),
            &event,
            &None,
            width.saturating_sub(10),
        );
        lines.push(field("changed", format!("{at}{who}{event}"), theme));
    }
    if !d.journal.is_empty() {
        lines.push(Line::styled("history", theme.style(Slot::Title)));
        for e in &d.journal {
            let when = when(&e.at);
            let event = short_event(&e.event);
            let target = e
                .address
                .map(|a| a.addr().to_string())
                .or(e.cidr.map(|c| c.to_string()));
            let style = if e.outcome == "failed" {
                theme.style(Slot::Error)
            } else {
                theme.style(Slot::Muted)
            };
            let who = e.person();
            let [when, who] = history_columns(&when, &clean(who), &clean(&event), &target, width);
            lines.push(Line::from(vec![
                Span::styled(when, theme.style(Slot::Muted)),
                Span::raw(who),
                Span::styled(clean(&event), style),
                Span::raw(format!(" {}", target.unwrap_or_default())),
            ]));
        }
    }
    lines
}

/// The time and actor columns of a history line, dropped (actor first, then the date,
/// then the time) until the event and its target fit on one line of `width`.
fn history_columns(
    when: &str,
    who: &str,
    event: &str,
    target: &Option<String>,
    width: usize,
) -> [String; 2] {
    let rest = event.chars().count() + target.as_ref().map_or(0, |t| t.chars().count() + 1);
    let who = format!("{who:<6.6} ");
    let time = when.get(6..).unwrap_or(when);
    let choices = [
        [format!("{when} "), who],
        [format!("{when} "), String::new()],
        [format!("{time} "), String::new()],
    ];
    choices
        .into_iter()
        .find(|[a, b]| a.chars().count() + b.chars().count() + rest <= width)
        .unwrap_or_default()
}

/// `ipam_allocate_subnet` -> `alloc`, `ipam_subnet_split` -> `split`, `ipam_allocate_ip`
/// -> `alloc_ip`: the words of the tree, short enough for one line at 80x24.
fn short_event(event: &str) -> String {
    let event = event.strip_prefix("ipam_").unwrap_or(event);
    let event = event.strip_prefix("subnet_").unwrap_or(event);
    let event = event.strip_suffix("_subnet").unwrap_or(event);
    event.replace("allocate", "alloc")
}

/// 2026-11-25T15:29:10.386Z -> 11-25 15:29
fn when(at: &str) -> String {
    at.get(5..16).unwrap_or(at).replace('T', " ")
}

fn subnet_lines(s: &SubnetView, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let word = state_word(s);
    lines.push(Line::from(vec![
        Span::styled(s.cidr.to_string(), theme.style(Slot::Title)),
        Span::raw("  "),
        Span::styled(word, state_style(word, theme)),
    ]));
    let used = match s.usage_known {
        false => "…".to_owned(),
        true => s.utilization.summary(),
    };
    lines.push(field("usage", used, theme));
    let location = match (&s.location, &s.effective_location) {
        (Some(own), _) => own.clone(),
        (None, Some(inherited)) => format!("{inherited} (inherited)"),
        (None, None) => "-".to_owned(),
    };
    lines.push(field("location", location, theme));
    lines.push(field(
        "vlan",
        s.vlan.map_or("-".to_owned(), |v| v.to_string()),
        theme,
    ));
    lines.push(field(
        "customer",
        s.customer.clone().unwrap_or_else(|| "-".into()),
        theme,
    ));
    optional(lines, "device", s.device.clone(), theme);
    optional(
        lines,
        "service",
        s.service.map(|id| format!("#{id}")),
        theme,
    );
    optional(lines, "purpose", s.purpose.clone(), theme);
    optional(lines, "descr", s.description.clone(), theme);
    if s.pool {
        lines.push(field("pool", "yes: hands out addresses (A)".into(), theme));
    }
    if s.parked {
        let reason = s
            .parked_reason
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "parked"), theme.style(Slot::Parked)),
            Span::raw(clean(&reason)),
        ]));
    } else if s.parked_above {
        lines.push(field("parked", "through a parked ancestor".into(), theme));
    }
    cooldown_line(s.cooldown_left, theme, lines);
}

/// How long a release cooldown has left, if the selection is cooling.
fn cooldown_line(left: Option<i64>, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    if let Some(left) = left {
        let text = cooldown::left_text(left);
        lines.push(field("cooldown", text, theme));
    }
}

fn address_lines(ip: &IpView, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(vec![
        Span::styled(ip.address.to_string(), theme.style(Slot::Title)),
        Span::raw("  "),
        Span::styled(ip.status, state_style(ip.status, theme)),
    ]));
    lines.push(field(
        "customer",
        ip.customer.clone().unwrap_or_else(|| "-".into()),
        theme,
    ));
    lines.push(field(
        "vlan",
        ip.vlan.map_or("-".to_owned(), |v| v.to_string()),
        theme,
    ));
    lines.push(field(
        "rdns",
        ip.rdns.clone().unwrap_or_else(|| "-".into()),
        theme,
    ));
    optional(lines, "purpose", ip.purpose.clone(), theme);
    optional(lines, "device", ip.device.clone(), theme);
    optional(
        lines,
        "service",
        ip.service.map(|id| format!("#{id}")),
        theme,
    );
    optional(lines, "descr", ip.description.clone(), theme);
    if let Some(reason) = &ip.parked_reason {
        lines.push(field("parked", reason.clone(), theme));
    }
    if ip.reserved {
        let reason = ip.reserve_reason.clone().unwrap_or_else(|| "-".into());
        lines.push(field("reserved", reason, theme));
    }
    cooldown_line(ip.cooldown_left, theme, lines);
}

fn optional(
    lines: &mut Vec<Line<'static>>,
    label: &'static str,
    value: Option<String>,
    theme: &Theme,
) {
    if let Some(value) = value {
        lines.push(field(label, value, theme));
    }
}

fn vlan_lines(d: &Detail, theme: &Theme) -> Vec<Line<'static>> {
    let Some(location) = &d.subnet.effective_location else {
        return vec![Line::styled(
            "no location: VLANs belong to a location",
            theme.style(Slot::Muted),
        )];
    };
    let mut lines = vec![Line::styled(
        format!("at {}", clean(location)),
        theme.style(Slot::Muted),
    )];
    if d.vlans.is_empty() {
        lines.push(Line::styled(
            "none (carve vlan add)",
            theme.style(Slot::Muted),
        ));
    }
    for v in &d.vlans {
        let (word, slot) = if v.enabled {
            ("enabled", Slot::Allocated)
        } else {
            ("disabled", Slot::Parked)
        };
        let mark = if Some(v.vid) == d.subnet.vlan {
            "*"
        } else {
            " "
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{mark}{:>5} ", v.vid)),
            Span::styled(format!("{word:<9}"), theme.style(slot)),
            Span::raw(clean(v.name.as_deref().unwrap_or(""))),
        ]));
    }
    lines
}

fn rdns_lines(d: &Detail, theme: &Theme) -> Vec<Line<'static>> {
    if !d.subnet.pool {
        return vec![Line::styled(
            "select a pool to see its PTR names",
            theme.style(Slot::Muted),
        )];
    }
    if d.ptrs.is_empty() {
        return vec![Line::styled(
            "no PTR names in this pool (d edits one)",
            theme.style(Slot::Muted),
        )];
    }
    d.ptrs.iter().map(|ptr| ptr_line(ptr, theme)).collect()
}

/// `ADDRESS  STATE    NAME`: in sync, pending (queued, not pushed yet; "failing" when a
/// push failed), or drift (the last sync found DNS saying something else).
fn ptr_line(ptr: &PtrState, theme: &Theme) -> Line<'static> {
    let (word, slot) = match (ptr.pending, &ptr.last_error, ptr.drift) {
        (true, Some(_), _) => ("failing", Slot::Error),
        (true, None, _) => ("pending", Slot::Reserved),
        (false, _, true) => ("drift", Slot::Error),
        _ => ("in sync", Slot::Free),
    };
    let name = match (&ptr.rdns, ptr.drift && !ptr.pending) {
        (Some(name), true) => format!("{name} (DNS: {})", ptr.dns.as_deref().unwrap_or("none")),
        (Some(name), false) => name.clone(),
        (None, true) => format!("(not carve's) {}", ptr.dns.as_deref().unwrap_or("")),
        (None, false) => "(delete queued)".into(),
    };
    Line::from(vec![
        Span::raw(format!("{:<16}", ptr.address.addr())),
        Span::styled(format!("{word:<8} "), theme.style(slot)),
        Span::raw(clean(&name)),
    ])
}
