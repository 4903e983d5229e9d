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
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("error: cannot encode the result as JSON: {e}"),
            }
        } else {
            let text = human(value);
            println!("{}", text.trim_end());
        }
    }

    pub fn error(&self, error: &Error) {
        eprintln!("error: {}", error.message);
        if self.json {
            let doc = json!({"error": {"kind": error.kind.as_str(), "message": error.message}});
            println!("{doc}");
        }
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
