//! Reading a spreadsheet into rows of text cells, whatever it was saved as: CSV or TSV
//! with any common delimiter (sniffed), UTF-8 with or without a BOM or Windows-1252 /
//! Latin-1; XLSX, XLS and ODS through calamine. Row numbers are the ones the user sees
//! in their spreadsheet program (1-based, blank lines counted).

use std::path::Path;

use calamine::{Data, Reader};

use crate::error::{Error, Result};

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
            let bytes = std::fs::read(path)
                .map_err(|e| Error::validation(format!("cannot read {shown}: {e}")))?;
            Ok(vec![text(&bytes)])
        }
    }
}

fn workbook(path: &Path, only: Option<&str>) -> Result<Vec<Sheet>> {
    let shown = path.display();
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| Error::validation(format!("cannot read {shown} as a spreadsheet: {e}")))?;
    let names = book.sheet_names();
    if let Some(only) = only
        && !names.iter().any(|n| n == only)
    {
        return Err(Error::validation(format!(
            "{shown} has no sheet {only:?} (it has {})",
            names.join(", ")
        )));
    }
    let mut sheets = Vec::new();
    for name in names.iter().filter(|n| only.is_none_or(|o| o == *n)) {
        let range = book.worksheet_range(name).map_err(|e| {
            Error::validation(format!("cannot read sheet {name:?} of {shown}: {e}"))
        })?;
        let first = range.start().map_or(0, |(row, _)| row as usize);
        let skip = range.start().map_or(0, |(_, col)| col as usize);
        let rows = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                // Leading empty columns keep their place, so column letters stay true.
                let mut row = vec![String::new(); skip];
                row.extend(cells.iter().map(cell_text));
                (first + i + 1, row)
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
/// delimiter, doubled quotes and line breaks).
pub fn text(bytes: &[u8]) -> Sheet {
    let text = decode(bytes);
    let delimiter = sniff(&text);
    Sheet {
        name: None,
        rows: split_rows(&text, delimiter),
    }
}

/// UTF-8 (a BOM dropped), else Windows-1252, the superset of Latin-1 spreadsheets use.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

const DELIMITERS: [char; 4] = [',', '\t', ';', '|'];

/// The delimiter that splits the first lines most consistently into more than one field.
fn sniff(text: &str) -> char {
    // The first 64 KiB hold the header and plenty of rows, whatever the file's size.
    let head = match text.get(..64 * 1024).and_then(|h| h.rfind('\n')) {
        Some(end) if text.len() > 64 * 1024 => &text[..end],
        _ => text,
    };
    let mut best = (',', 0usize);
    for delimiter in DELIMITERS {
        let widths: Vec<usize> = split_rows(head, delimiter)
            .into_iter()
            .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
            .take(20)
            .map(|(_, row)| row.len())
            .collect();
        let Some(&first) = widths.first() else {
            continue;
        };
        // Lines that agree with the header, weighted by how many fields they make.
        let agreeing = widths.iter().filter(|&&w| w == first).count();
        let score = if first > 1 { agreeing * first } else { 0 };
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// Splits `text` into numbered rows of fields (RFC 4180 quoting). A row's number is the
/// line it starts on.
fn split_rows(text: &str, delimiter: char) -> Vec<(usize, Vec<String>)> {
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
    rows
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
        let sheet = text(b"subnet;customer\n10.0.0.0/24;\"Acme; Inc\"\n\n10.0.1.0/24;x\n");
        assert_eq!(
            cells(&sheet),
            [
                (1, vec!["subnet", "customer"]),
                (2, vec!["10.0.0.0/24", "Acme; Inc"]),
                (3, vec![""]),
                (4, vec!["10.0.1.0/24", "x"]),
            ]
        );
        let tsv = text(b"ip\tcustomer\r\n10.0.0.1\ta, b\r\n");
        assert_eq!(cells(&tsv)[1], (2, vec!["10.0.0.1", "a, b"]));
    }

    #[test]
    fn a_quoted_line_break_stays_in_its_field_and_rows_keep_their_line() {
        let sheet = text(b"ip,notes\n10.0.0.1,\"two\nlines\"\n10.0.0.2,\"say \"\"hi\"\"\"\n");
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
        let sheet = text(b"\xEF\xBB\xBFip,customer\n10.0.0.1,M\xC3\xBCller\n");
        assert_eq!(cells(&sheet)[1].1, ["10.0.0.1", "Müller"]);
        let sheet = text(b"ip,customer\n10.0.0.1,M\xFCller\n");
        assert_eq!(cells(&sheet)[1].1, ["10.0.0.1", "Müller"]);
    }
}
