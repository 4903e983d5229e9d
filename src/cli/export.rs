//! `carve export [--format csv|xlsx|json] [--output FILE]`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::output::{Output, write_out};
use super::progress::Shown;
use crate::config::Settings;
use crate::engine::text::clean_lines;
use crate::error::{Error, Result};
use crate::import::export::{self, HEADER};
use crate::service::database;
use crate::service::progress::Progress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The file's format (default: CSV; JSON on stdout with --json and no --output).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write here instead of stdout (needed for XLSX on a terminal).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// What `--json` prints when the export goes to a file.
#[derive(Serialize)]
struct Written<'a> {
    output: &'a Path,
    format: Format,
    subnets: usize,
    addresses: usize,
}

pub async fn run(args: ExportArgs, settings: &Settings, out: &Output) -> Result<()> {
    // --json is about stdout: the rows themselves when they go there, else a summary.
    let format = match (args.format, out.json, &args.output) {
        (Some(Format::Csv | Format::Xlsx), true, None) => {
            return Err(Error::validation(
                "--json prints one JSON document on stdout: give --output FILE for a CSV or \
                 XLSX export (the summary is then the JSON), or leave --format out",
            ));
        }
        (None, true, None) => Format::Json,
        (format, _, _) => format.unwrap_or(Format::Csv),
    };
    if format == Format::Xlsx && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::validation(
            "XLSX is binary: give --output FILE (or redirect stdout)",
        ));
    }
    let (db, _) = database::open(settings).await?;
    let progress = Shown::on(out);
    let rows = crate::service::export::rows(&db, &progress).await?;
    progress.stage("writing", 0);
    let bytes = match format {
        Format::Csv => export::csv(&rows).into_bytes(),
        Format::Xlsx => export::xlsx(&rows)?,
        Format::Json => {
            let objects: Vec<Value> = rows[1..].iter().map(object).collect();
            let mut text = serde_json::to_string_pretty(&objects)
                .map_err(|e| Error::internal(format!("encoding JSON: {e}")))?;
            text.push('\n');
            text.into_bytes()
        }
    };
    drop(progress);
    let (subnets, ips) = rows[1..].iter().fold((0, 0), |(s, i), r| {
        if r[1].is_empty() {
            (s + 1, i)
        } else {
            (s, i + 1)
        }
    });
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .map_err(|e| Error::validation(format!("cannot write {}: {e}", path.display())))?;
            if out.json {
                let written = Written {
                    output: path,
                    format,
                    subnets,
                    addresses: ips,
                };
                out.emit(&written, |_| String::new());
            } else {
                eprintln!(
                    "exported {subnets} subnets and {ips} addresses to {}",
                    path.display()
                );
            }
        }
        // Stored text may hold escape sequences (an OSC 52 writes the clipboard): a CSV
        // meant for a reader is shown cleaned, one meant for a file or pipe stays exact.
        None if format == Format::Csv && std::io::stdout().is_terminal() => {
            write_out(clean_lines(&String::from_utf8_lossy(&bytes)).as_bytes());
        }
        None => write_out(&bytes),
    }
    Ok(())
}

/// A row as a JSON object of its non-empty cells.
fn object(row: &[String; 11]) -> Value {
    let fields: Map<String, Value> = HEADER
        .iter()
        .zip(row)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
        .collect();
    Value::Object(fields)
}
