//! `carve billing graph`: a cycle's rates as a chart, drawn inline in a terminal or as
//! plain text for a pipe: the series the 95th was billed on, with the 95th and the
//! commit as horizontal lines.

use std::io::{IsTerminal, Write};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::error::{Error, Result};
use crate::service::billing::Graph;

const HEIGHT: u16 = 20;

/// The points of every line, x in days since the cycle began (1 = the first day).
struct Lines {
    rate: Vec<(f64, f64)>,
    p95: Vec<(f64, f64)>,
    commit: Vec<(f64, f64)>,
    days: f64,
    top: f64,
}

fn lines(g: &Graph) -> Lines {
    let day = |i: usize| 1.0 + (i as f64 * g.period_seconds as f64) / 86_400.0;
    let days = g.mbps.len() as f64 * g.period_seconds as f64 / 86_400.0;
    let flat = |y: f64| vec![(1.0, y), (1.0 + days, y)];
    let max = g
        .mbps
        .iter()
        .chain(std::iter::once(&g.p95_mbps))
        .chain(g.commit_mbps.iter())
        .fold(0.0_f64, |a, b| a.max(*b));
    Lines {
        rate: g
            .mbps
            .iter()
            .enumerate()
            .map(|(i, m)| (day(i), *m))
            .collect(),
        p95: flat(g.p95_mbps),
        commit: g.commit_mbps.map(flat).unwrap_or_default(),
        days,
        top: if max > 0.0 { max * 1.1 } else { 1.0 },
    }
}

/// What the chart shows, as its first line: the key stands outside the plot, so no
/// legend box hides the data and it reads the same without colour.
fn title(g: &Graph) -> String {
    let commit = g
        .commit_mbps
        .map(|c| format!("; commit {c} Mbps"))
        .unwrap_or_default();
    format!(
        "service {} cycle {}: {} Mbps per 5 minutes (direction {}); 95th {:.2} Mbps{commit}",
        g.service, g.cycle, g.series, g.direction, g.p95_mbps
    )
}

fn chart<'a>(g: &Graph, l: &'a Lines, colour: bool) -> Chart<'a> {
    let style = |c: Color| {
        if colour {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    };
    let line = |data: &'a [(f64, f64)], c: Color| {
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style(c))
            .data(data)
    };
    let mut sets = vec![line(&l.rate, Color::Cyan), line(&l.p95, Color::Yellow)];
    if g.commit_mbps.is_some() {
        sets.push(line(&l.commit, Color::Red));
    }
    let end = 1.0 + l.days;
    Chart::new(sets)
        .x_axis(
            Axis::default()
                .title(format!("day of {}", g.cycle))
                .bounds([1.0, end])
                .labels([
                    "1".to_owned(),
                    format!("{:.0}", (end + 1.0) / 2.0),
                    format!("{:.0}", l.days),
                ]),
        )
        .y_axis(Axis::default().title("Mbps").bounds([0.0, l.top]).labels([
            "0".to_owned(),
            format!("{:.1}", l.top / 2.0),
            format!("{:.1}", l.top),
        ]))
}

/// The chart as plain text, `width` x `height` cells, trailing blanks trimmed.
pub fn plain(g: &Graph, width: u16, height: u16) -> String {
    let l = lines(g);
    let area = Rect::new(0, 0, width, height);
    let mut buffer = Buffer::empty(area);
    chart(g, &l, false).render(area, &mut buffer);
    let mut text = title(g) + "\n";
    for y in 0..height {
        let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
        text.push_str(row.trim_end());
        text.push('\n');
    }
    text
}

/// Draws the chart below the prompt, as wide as the terminal, in colour unless NO_COLOR.
pub fn draw_inline(g: &Graph) -> Result<()> {
    let failed = |e: std::io::Error| Error::internal(format!("cannot draw the chart: {e}"));
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let l = lines(g);
    super::output::print_line(&title(g));
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Inline(HEIGHT),
        },
    )
    .map_err(failed)?;
    terminal
        .draw(|f| f.render_widget(chart(g, &l, colour), f.area()))
        .map_err(failed)?;
    drop(terminal);
    let mut out = std::io::stdout();
    if out.is_terminal() {
        let _ = writeln!(out);
    }
    Ok(())
}
