//! Reading what the user hands carve, a file or stdin, never without a bound: `/dev/zero`
//! given as an ipam_config once grew carve to 23 GB. Each reader stops at its limit and
//! says which input broke which limit.

pub mod json;

use std::io::{BufRead, Read};

use crate::error::{Error, Result};

/// An ipam_config document (JSON): real ones are a few kB.
pub const IPAM_CONFIG_MAX: u64 = 4 << 20;
/// A CSV or TSV file to import: over a million address rows.
pub const IMPORT_TEXT_MAX: u64 = 256 << 20;
/// One line of a usage-sample file (service,period_start,bytes_in,bytes_out).
pub const INGEST_LINE_MAX: u64 = 4 << 10;
/// An XLSX, XLS or ODS file to import (compressed: far more rows than a CSV of the limit).
pub const WORKBOOK_MAX: u64 = 64 << 20;

/// Refuses a file that is not a regular file or holds more than `limit` bytes, before a
/// reader that cannot be bounded (a spreadsheet library) opens it.
pub fn check_file(path: &std::path::Path, limit: u64) -> Result<()> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::validation(format!("cannot read {shown}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::validation(format!(
            "{shown} is not a regular file: carve imports spreadsheets from files only"
        )));
    }
    if meta.len() > limit {
        return Err(Error::validation(format!(
            "{shown} is larger than {}: carve reads at most that much here",
            size(limit)
        )));
    }
    Ok(())
}

/// All of `input` (called `name` in messages), refused when it holds more than `limit` bytes.
pub fn read_all(input: impl Read, name: &str, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::validation(format!("cannot read {name}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Error::validation(format!(
            "{name} is larger than {}: carve reads at most that much here",
            size(limit)
        )));
    }
    Ok(bytes)
}

/// The next line of `input` into `line` (cleared first), with its newline; `Ok(false)` at
/// the end. A line longer than `limit` bytes is refused, naming its number.
pub fn read_line(
    input: &mut impl BufRead,
    line: &mut String,
    name: &str,
    number: u64,
    limit: u64,
) -> Result<bool> {
    line.clear();
    let read = Read::take(&mut *input, limit + 1)
        .read_line(line)
        .map_err(|e| Error::validation(format!("{name}: line {number}: {e}")))?;
    if line.len() as u64 > limit && !line.ends_with('\n') {
        return Err(Error::validation(format!(
            "{name}: line {number} is longer than {}: not a line of this format",
            size(limit)
        )));
    }
    Ok(read > 0)
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_input_stops_at_the_limit() {
        let endless = std::io::repeat(b'0');
        let why = read_all(endless, "/dev/zero", 1 << 10).unwrap_err();
        assert_eq!(
            why.message,
            "/dev/zero is larger than 1 KiB: carve reads at most that much here"
        );
        let mut line = String::new();
        let mut endless = std::io::BufReader::new(std::io::repeat(b'x'));
        let why = read_line(&mut endless, &mut line, "f", 1, 4 << 10).unwrap_err();
        assert_eq!(
            why.message,
            "f: line 1 is longer than 4 KiB: not a line of this format"
        );
    }

    #[test]
    fn inputs_within_the_limit_are_read_whole() {
        assert_eq!(read_all(&b"abc"[..], "x", 3).unwrap(), b"abc");
        let mut input = &b"a,b\nc\n"[..];
        let mut line = String::new();
        assert!(read_line(&mut input, &mut line, "x", 1, 4).unwrap());
        assert_eq!(line, "a,b\n");
        assert!(read_line(&mut input, &mut line, "x", 2, 4).unwrap());
        assert!(!read_line(&mut input, &mut line, "x", 3, 4).unwrap());
    }
}
