//! Reading a spreadsheet into rows of text cells, whatever it was saved as: CSV or TSV
//! with any common delimiter (sniffed), UTF-8 with or without a BOM or Windows-1252 /
//! Latin-1; XLSX, XLS and ODS through calamine. Row numbers are the ones the user sees
//! in their spreadsheet program (1-based, blank lines counted).

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Reader};

use crate::error::{Error, Result};
use crate::input;

/// One sheet's rows; a text file is one sheet named after nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// None for CSV and TSV.
    pub name: Option<String>,
    /// (row number, cells).
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Reads every sheet of `path` (only `sheet` when given).
pub fn read(path: &Path, sheet: Option<&str>) -> Result<Vec<Sheet>> {
    let shown = path.display();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => workbook(path, sheet),
        _ => {
            if sheet.is_some() {
                return Err(Error::validation(format!(
                    "{shown} is a text file: it has no sheets (--sheet is for XLSX, XLS, ODS)"
                )));
            }
            let file = std::fs::File::open(path)
                .map_err(|e| Error::validation(format!("cannot read {shown}: {e}")))?;
            let bytes = input::read_all(file, &shown.to_string(), input::IMPORT_TEXT_MAX)?;
            Ok(vec![text(&bytes)?])
        }
    }
}

/// The most columns read from a sheet: an address sheet never needs more, and a cell far
/// out (AZ400000) must not make carve build a grid of millions of empty cells.
const MAX_COLUMNS: u32 = 64;

fn workbook(path: &Path, only: Option<&str>) -> Result<Vec<Sheet>> {
    let shown = path.display();
    input::check_file(path, input::WORKBOOK_MAX)?;
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| Error::validation(format!("cannot read {shown} as a spreadsheet: {e}")))?;
    let names = book.sheet_names();
    if let Some(only) = only
        && !names.iter().any(|n| n == only)
    {
        let names: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        return Err(Error::validation(format!(
            "{shown} has no sheet {only:?} (it has {})",
            names.join(", ")
        )));
    }
    let mut sheets = Vec::new();
    for name in names.iter().filter(|n| only.is_none_or(|o| o == *n)) {
        let failed = |e: &dyn std::fmt::Display| {
            Error::validation(format!("cannot read sheet {name:?} of {shown}: {e}"))
        };
        // Cells by row, only those that hold something (XLSX is read cell by cell; XLS
        // and ODS come as a grid, which their formats keep small).
        let mut cells: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        let mut keep = |(row, col): (u32, u32), text: String| {
            if col < MAX_COLUMNS && !text.is_empty() {
                cells.entry(row).or_default().push((col, text));
            }
        };
        match &mut book {
            calamine::Sheets::Xlsx(xlsx) => {
                let mut reader = xlsx.worksheet_cells_reader(name).map_err(|e| failed(&e))?;
                while let Some(cell) = reader.next_cell().map_err(|e| failed(&e))? {
                    keep(
                        cell.get_position(),
                        cell_text(&Data::from(cell.get_value().clone())),
                    );
                }
            }
            other => {
                let range = other.worksheet_range(name).map_err(|e| failed(&e))?;
                for cell in range.used_cells() {
                    let (row, col) = (cell.0 as u32, cell.1 as u32);
                    let start = range.start().unwrap_or_default();
                    keep((start.0 + row, start.1 + col), cell_text(cell.2));
                }
            }
        }
        let rows = cells
            .into_iter()
            .map(|(row, cells)| {
                let width = cells.iter().map(|(c, _)| *c + 1).max().unwrap_or(0);
                let mut line = vec![String::new(); width as usize];
                for (col, text) in cells {
                    line[col as usize] = text;
                }
                (row as usize + 1, line)
            })
            .collect();
        sheets.push(Sheet {
            name: Some(name.clone()),
            rows,
        });
    }
    Ok(sheets)
}

/// A cell as the user sees it: whole numbers without ".0" (a VLAN typed as 102 is stored
/// by Excel as the float 102).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A text file: decoded, delimiter sniffed, split into rows (quoted fields may hold the
/// delimiter, doubled quotes and line breaks). A quote never closed is an error that
/// names the row it opens on (it would swallow the rest of the file).
pub fn text(bytes: &[u8]) -> Result<Sheet> {
    let text = decode(bytes);
    let delimiter = sniff(&text);
    let (rows, unclosed) = split_rows(&text, delimiter);
    if let Some(row) = unclosed {
        return Err(Error::validation(format!(
            "row {row}: a quoted field opens here and is never closed"
        )));
    }
    Ok(Sheet { name: None, rows })
}

/// UTF-8 (a BOM dropped); a line that is not UTF-8 is read as Windows-1252, the superset
/// of Latin-1 that spreadsheets write (one stray byte spoils only its own line).
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let lines: Vec<String> = bytes
        .split(|b| *b == b'\n')
        .map(|line| match std::str::from_utf8(line) {
            Ok(text) => text.to_owned(),
            Err(_) => encoding_rs::WINDOWS_1252.decode(line).0.into_owned(),
        })
        .collect();
    lines.join("\n")
}

const DELIMITERS: [char; 4] = [',', '\t', ';', '|'];

/// The delimiter that splits the most of the first lines into the same number (more than
/// one) of fields; lines it does not split (a title) do not count. A delimiter inside a
/// quoted field does not split it, whichever delimiter is tried: `"a;b;c"` in a comma
/// file's description must not make `;` look like the delimiter.
fn sniff(text: &str) -> char {
    // The first 64 KiB hold the header and plenty of rows, whatever the file's size.
    let head = match text.get(..64 * 1024).and_then(|h| h.rfind('\n')) {
        Some(end) if text.len() > 64 * 1024 => &text[..end],
        _ => text,
    };
    let mut best = (',', 0usize);
    for delimiter in DELIMITERS {
        let mut widths: BTreeMap<usize, usize> = BTreeMap::new();
        for width in row_widths(head, delimiter)
            .into_iter()
            .filter(|w| *w > 1)
            .take(20)
        {
            *widths.entry(width).or_default() += 1;
        }
        let score = widths.iter().map(|(w, n)| w * n).max().unwrap_or(0);
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// How many fields `delimiter` makes of each row, counting only delimiters outside
/// quotes. A quote opens a quoted field only where a field of any candidate delimiter
/// starts, so a quote inside a field (`12" rack`) stays the literal it is.
fn row_widths(text: &str, delimiter: char) -> Vec<usize> {
    let mut widths = Vec::new();
    let (mut width, mut quoted, mut field_start) = (1usize, false, true);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field_start => quoted = true,
            _ if quoted => {}
            '\n' => {
                widths.push(width);
                width = 1;
            }
            c if c == delimiter => width += 1,
            _ => {}
        }
        field_start =
            !quoted && (c == '\n' || DELIMITERS.contains(&c) || (field_start && c == ' '));
    }
    if width > 1 {
        widths.push(width);
    }
    widths
}

/// Splits `text` into numbered rows of fields (RFC 4180 quoting). A row's number is the
/// line it starts on. Also returns the row of a quote never closed, if any.
fn split_rows(text: &str, delimiter: char) -> (Vec<(usize, Vec<String>)>, Option<usize>) {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut line, mut start, mut quoted, mut any) = (1usize, 1usize, false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' | '\r' if !quoted => {
                row.push(std::mem::take(&mut field));
                rows.push((start, std::mem::take(&mut row)));
                line += 1;
                start = line;
                any = false;
                continue;
            }
            c if c == delimiter && !quoted => row.push(std::mem::take(&mut field)),
            c => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
        any = true;
    }
    if any || !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((start, row));
    }
    (rows, quoted.then_some(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(sheet: &Sheet) -> Vec<(usize, Vec<&str>)> {
        sheet
            .rows
            .iter()
            .map(|(n, r)| (*n, r.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn delimiters_are_sniffed_and_quotes_kept_together() {
        let sheet = text(b"subnet;customer\n10.0.0.0/24;\"Acme; Inc\"\n\n10.0.1.0/24;x\n").unwrap();
        assert_eq!(
            cells(&sheet),
            [
                (1, vec!["subnet", "customer"]),
                (2, vec!["10.0.0.0/24", "Acme; Inc"]),
                (3, vec![""]),
                (4, vec!["10.0.1.0/24", "x"]),
            ]
        );
        let tsv = text(b"ip\tcustomer\r\n10.0.0.1\ta, b\r\n").unwrap();
        assert_eq!(cells(&tsv)[1], (2, vec!["10.0.0.1", "a, b"]));
    }

    #[test]
    fn delimiters_inside_quotes_do_not_count_when_sniffing() {
        let file = b"subnet,customer,description\n\
                     10.0.0.0/24,acme,\"a;b;c;d;e;f\"\n\
                     10.0.1.0/24,acme,\"g;h;i;j;k;l\"\n\
                     10.0.2.0/24,beta,\"12\"\" rack; row 3\"\n";
        let sheet = text(file).unwrap();
        assert_eq!(
            cells(&sheet)[1],
            (2, vec!["10.0.0.0/24", "acme", "a;b;c;d;e;f"])
        );
        assert_eq!(cells(&sheet)[3].1[2], "12\" rack; row 3");
    }

    #[test]
    fn a_quoted_line_break_stays_in_its_field_and_rows_keep_their_line() {
        let sheet =
            text(b"ip,notes\n10.0.0.1,\"two\nlines\"\n10.0.0.2,\"say \"\"hi\"\"\"\n").unwrap();
        assert_eq!(
            cells(&sheet),
            [
                (1, vec!["ip", "notes"]),
                (2, vec!["10.0.0.1", "two\nlines"]),
                (4, vec!["10.0.0.2", "say \"hi\""]),
            ]
        );
    }

    #[test]
    fn latin1_and_a_bom_are_decoded() {
        let sheet = text(b"\xEF\xBB\xBFip,customer\n10.0.0.1,M\xC3\xBCller\n").unwrap();
        assert_eq!(cells(&sheet)[1].1, ["10.0.0.1", "Müller"]);
        let sheet = text(b"ip,customer\n10.0.0.1,M\xFCller\n").unwrap();
        assert_eq!(cells(&sheet)[1].1, ["10.0.0.1", "Müller"]);
        // One stray Latin-1 byte spoils only its own line.
        let sheet = text(b"ip,customer\n10.0.0.1,M\xC3\xBCller\n10.0.0.2,Jos\xE9\n").unwrap();
        assert_eq!(cells(&sheet)[1].1, ["10.0.0.1", "Müller"]);
        assert_eq!(cells(&sheet)[2].1, ["10.0.0.2", "José"]);
    }

    #[test]
    fn a_title_line_does_not_fool_the_sniffer_and_an_open_quote_is_an_error() {
        let sheet = text(b"IP-Plan Frankfurt\nsubnet;customer\n10.3.0.0/24;Acme\n").unwrap();
        assert_eq!(cells(&sheet)[2].1, ["10.3.0.0/24", "Acme"]);
        let err = text(b"subnet,notes\n10.9.0.0/24,\"main office\n10.9.1.0/24,x\n").unwrap_err();
        assert!(
            err.message.contains("row 2: a quoted field opens here"),
            "{}",
            err.message
        );
    }
}
