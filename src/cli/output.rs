//! How results and errors reach the terminal: human text, or with `--json` exactly one
//! JSON document on stdout. Errors always go to stderr as one `error: ...` line.

use serde::Serialize;
use serde_json::json;

use crate::engine::text::{clean_lines, cut};
use crate::error::Error;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    /// `--quiet`: no progress on stderr, even on a terminal.
    pub quiet: bool,
}

impl Output {
    /// Prints `value` as JSON, or the text `human` builds from it.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(text) => print_line(&text),
                Err(e) => eprintln!("error: cannot encode the result as JSON: {e}"),
            }
        } else {
            // Every renderer's text passes here: stored text reaches the terminal cleaned
            // even where a renderer forgot to.
            print_line(&clean_lines(human(value).trim_end()));
        }
    }

    pub fn error(&self, error: &Error) {
        eprintln!("error: {}", one_line(&error.message));
        // An alert follows a report that is already the one JSON document on stdout.
        if self.json
            && !matches!(
                error.kind,
                crate::error::ErrorKind::Alert | crate::error::ErrorKind::Check(_)
            )
        {
            let doc = json!({"error": {"kind": error.kind.as_str(), "message": error.message}});
            print_line(&doc.to_string());
        }
    }
}

/// An error as the one line scripts and people expect, whatever it quotes: a message
/// listing several problems (an import's rows) keeps them apart with `;`, and a stored
/// name holding a newline cannot split it. Messages quote input (a file's sheet names, a
/// cell), so the line is cleaned for the terminal too.
fn one_line(message: &str) -> String {
    let mut line = String::new();
    for part in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(&clean(part));
    }
    line
}

/// Writes one line to stdout. When the reader has gone (`carve log | head`), carve stops
/// quietly, as other command-line tools do, instead of panicking in `println!`.
pub fn print_line(text: &str) {
    write_out(format!("{text}\n").as_bytes());
}

/// Writes bytes to stdout as they are (an export), stopping quietly like [`print_line`].
pub fn write_out(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
    }
}

/// Aligns `label: value` rows so values start in one column.
pub fn rows(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    pairs
        .iter()
        .map(|(k, v)| format!("{} {v}\n", padded(&format!("{k}:"), width)))
        .collect()
}

/// A plain table: a header row, then the rows, columns padded to their widest cell.
/// The last column is not padded, so long descriptions do not push lines wider.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(clean(cell).chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            // A cell is one line whatever it holds: a stored newline must not split a row.
            let cell = clean(cell);
            if i == last {
                text.push_str(&cell);
            } else {
                text.push_str(&padded(&cell, widths[i]));
                text.push_str("  ");
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// `text` padded with spaces to `width` characters. By hand: `format!("{:<w$}")` panics
/// ("Formatting argument out of range") once a width passes u16::MAX, which one stored
/// name of 100,000 characters did to every listing.
fn padded(text: &str, width: usize) -> String {
    let n = text.chars().count();
    let mut out = String::with_capacity(text.len() + width.saturating_sub(n));
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

/// An optional value for a table cell: `-` when absent.
pub fn cell<T: std::fmt::Display>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string)
}

/// Text from the database for a table cell: cleaned, and cut to 60 characters so one
/// long description cannot wrap a listing across the screen (`show` has it whole).
pub fn short(text: &str) -> String {
    const MAX: usize = 60;
    cut(&clean(text), MAX)
}

pub use crate::engine::text::clean;

#[cfg(test)]
#[path = "output_tests.rs"]
mod tests;
