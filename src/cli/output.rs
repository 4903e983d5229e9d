//! How results and errors reach the terminal: human text, or with `--json` exactly one
//! JSON document on stdout. Errors always go to stderr as one `error: ...` line.

use serde::Serialize;
use serde_json::json;

use crate::error::Error;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
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
            print_line(human(value).trim_end());
        }
    }

    pub fn error(&self, error: &Error) {
        // Messages quote input (a file's sheet names, a cell): never raw to a terminal.
        let lines: Vec<String> = error.message.lines().map(clean).collect();
        eprintln!("error: {}", lines.join("\n"));
        // An alert follows a report that is already the one JSON document on stdout.
        if self.json && error.kind != crate::error::ErrorKind::Alert {
            let doc = json!({"error": {"kind": error.kind.as_str(), "message": error.message}});
            print_line(&doc.to_string());
        }
    }
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
        .map(|(k, v)| format!("{:<width$} {v}\n", format!("{k}:")))
        .collect()
}

/// A plain table: a header row, then the rows, columns padded to their widest cell.
/// The last column is not padded, so long descriptions do not push lines wider.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  ", w = widths[i]));
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
    let text = clean(text);
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// Text from the database, with control characters removed before it reaches a terminal.
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}
