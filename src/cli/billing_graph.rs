//! `carve billing graph`: a cycle's rates as a chart, drawn inline in a terminal or as
//! plain text for a pipe, with the 95th billed and the commit as horizontal lines.

use std::io::{IsTerminal, Write};

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::error::{Error, Result};
use crate::service::billing::Graph;

const HEIGHT: u16 = 20;

/// The points of every line: in, out, the 95th and (commit_burst) the commit, with x in
/// days since the cycle began (1 = the first day).
struct Series {
    rate_in: Vec<(f64, f64)>,
    rate_out: Vec<(f64, f64)>,
    p95: Vec<(f64, f64)>,
    commit: Vec<(f64, f64)>,
    days: f64,
    top: f64,
}

fn series(g: &Graph) -> Series {
    let day = |i: usize| 1.0 + (i as f64 * g.period_seconds as f64) / 86_400.0;
    let points = |v: &[f64]| v.iter().enumerate().map(|(i, m)| (day(i), *m)).collect();
    let days = g.in_mbps.len() as f64 * g.period_seconds as f64 / 86_400.0;
    let flat = |y: f64| vec![(1.0, y), (1.0 + days, y)];
    let max = g
        .in_mbps
        .iter()
        .chain(&g.out_mbps)
        .chain(std::iter::once(&g.p95_mbps))
        .chain(g.commit_mbps.iter())
        .fold(0.0_f64, |a, b| a.max(*b));
    Series {
        rate_in: points(&g.in_mbps),
        rate_out: points(&g.out_mbps),
        p95: flat(g.p95_mbps),
        commit: g.commit_mbps.map(flat).unwrap_or_default(),
        days,
        top: if max > 0.0 { max * 1.1 } else { 1.0 },
    }
}

fn chart<'a>(g: &Graph, s: &'a Series, colour: bool) -> Chart<'a> {
    let style = |c: Color| {
        if colour {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    };
    let line = |name: String, data: &'a [(f64, f64)], c: Color| {
        Dataset::default()
            .name(name)
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(style(c))
            .data(data)
    };
    let mut sets = vec![
        line("in".into(), &s.rate_in, Color::Cyan),
        line("out".into(), &s.rate_out, Color::Green),
        line(
            format!("95th {:.2} Mbps ({})", g.p95_mbps, g.direction),
            &s.p95,
            Color::Yellow,
        ),
    ];
    if let Some(commit) = g.commit_mbps {
        sets.push(line(format!("commit {commit} Mbps"), &s.commit, Color::Red));
    }
    let end = 1.0 + s.days;
    Chart::new(sets)
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)))
        .x_axis(
            Axis::default()
                .title(format!("day of {}", g.cycle))
                .bounds([1.0, end])
                .labels([
                    "1".to_owned(),
                    format!("{:.0}", (end + 1.0) / 2.0),
                    format!("{:.0}", s.days),
                ]),
        )
        .y_axis(Axis::default().title("Mbps").bounds([0.0, s.top]).labels([
            "0".to_owned(),
            format!("{:.1}", s.top / 2.0),
            format!("{:.1}", s.top),
        ]))
}

/// The chart as plain text, `width` x `height` cells, trailing blanks trimmed.
pub fn plain(g: &Graph, width: u16, height: u16) -> String {
    let s = series(g);
    let area = Rect::new(0, 0, width, height);
    let mut buffer = Buffer::empty(area);
    chart(g, &s, false).render(area, &mut buffer);
    let mut text = format!("service {} cycle {}\n", g.service, g.cycle);
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
    let s = series(g);
    println!("service {} cycle {}", g.service, g.cycle);
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut terminal = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Inline(HEIGHT),
        },
    )
    .map_err(failed)?;
    terminal
        .draw(|f| f.render_widget(chart(g, &s, colour), f.area()))
        .map_err(failed)?;
    drop(terminal);
    let mut out = std::io::stdout();
    if out.is_terminal() {
        let _ = writeln!(out);
    }
    Ok(())
}
