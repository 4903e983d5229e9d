//! `carve import FILE` and its progress bar.

use std::path::PathBuf;

use super::output::{Output, clean};
use super::progress::Shown;
use crate::config::Settings;
use crate::error::{Error, ErrorKind, Result};
use crate::service::database;
use crate::service::import::{ImportReport, ImportRequest, import};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// CSV or TSV (any delimiter, UTF-8 or Latin-1), XLSX, XLS or ODS.
    file: PathBuf,
    /// Show what would be created and every problem; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Only this sheet of a workbook (default: every sheet with an address column).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// The location of new root blocks whose rows name none.
    #[arg(long, value_name = "LOC")]
    location: Option<String>,
    /// A column (by its header) whose blank cells take the value above, as a merged
    /// cell shows it; may be given again for another column.
    #[arg(long, value_name = "COLUMN")]
    fill_down: Vec<String>,
}

impl ImportArgs {
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }
}

pub async fn run(args: ImportArgs, settings: &Settings, out: &Output) -> Result<()> {
    let request = ImportRequest {
        path: args.file,
        sheet: args.sheet,
        location: args.location,
        fill_down: args.fill_down,
        dry_run: args.dry_run,
    };
    let (db, _) = database::open(settings).await?;
    let progress = Shown::on(out);
    let report = import(&db, &request, &progress).await;
    drop(progress);
    let report = report?;
    if report.problems.is_empty() {
        out.emit(&report, summary);
        return Ok(());
    }
    let count = report.problems.len();
    if request.dry_run {
        // The report (with every problem) is the output; the exit code says it failed.
        out.emit(&report, summary);
        return Err(Error::new(
            ErrorKind::Alert,
            format!("{count} problem(s): this file would not import"),
        ));
    }
    let lines: Vec<String> = report
        .problems
        .iter()
        .map(|p| clean(&format!("  {}: {}", p.at, p.message)))
        .collect();
    Err(Error::validation(format!(
        "{}: {count} problem(s), nothing was changed:\n{}",
        clean(&report.file),
        lines.join("\n")
    )))
}

/// The summary at the end (and, for a dry run, the plan and the problems).
fn summary(r: &ImportReport) -> String {
    let mut text = String::new();
    if r.dry_run {
        for line in r.changes.iter().take(50) {
            text.push_str(&format!("would {}\n", clean(line)));
        }
        if r.changes.len() > 50 {
            text.push_str(&format!(
                "... and {} more (--json lists them all)\n",
                r.changes.len() - 50
            ));
        }
        for p in &r.problems {
            text.push_str(&clean(&format!("problem {}: {}", p.at, p.message)));
            text.push('\n');
        }
        for f in r.filled.iter().take(50) {
            text.push_str(&clean(&format!(
                "filled {}: {} {:?} (from row {})\n",
                f.at, f.column, f.value, f.from_row
            )));
        }
        if r.filled.len() > 50 {
            text.push_str(&format!(
                "... and {} more filled cells\n",
                r.filled.len() - 50
            ));
        }
    }
    for m in &r.statuses {
        text.push_str(&clean(&format!(
            "status {:?} -> {} ({} rows)\n",
            m.status, m.became, m.rows
        )));
    }
    let verb = if r.dry_run {
        "would import"
    } else {
        "imported"
    };
    text.push_str(&format!(
        "{verb} {}: {} rows read, {} subnets ({} from rows, {} buddy steps and free halves), \
         {} given meaning, {} addresses; {} unchanged, {} skipped, {} problems\n",
        clean(&r.file),
        r.rows,
        r.subnets + r.assigned,
        r.subnets_from_rows,
        r.subnets - r.subnets_from_rows,
        r.assigned,
        r.ips,
        r.unchanged,
        r.skipped,
        r.problems.len()
    ));
    if !r.ignored_columns.is_empty() {
        let columns: Vec<String> = r.ignored_columns.iter().map(|c| clean(c)).collect();
        text.push_str(&format!("ignored columns: {}\n", columns.join(", ")));
    }
    if !r.not_carried.is_empty() {
        let columns: Vec<String> = r.not_carried.iter().map(|c| clean(c)).collect();
        text.push_str(&format!(
            "not carried (carve has no place for them): {}\n",
            columns.join("; ")
        ));
    }
    if !r.ignored_sheets.is_empty() {
        let sheets: Vec<String> = r.ignored_sheets.iter().map(|c| clean(c)).collect();
        text.push_str(&format!(
            "sheets without addresses: {}\n",
            sheets.join(", ")
        ));
    }
    text
}
