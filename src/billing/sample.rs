//! One row of a usage file: `service,period_start,bytes_in,bytes_out`, the counters being
//! the bytes moved in that 5-minute period (deltas, not running totals).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::cycle::PERIOD;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub service_id: i64,
    /// Unix seconds, a multiple of 300.
    pub period_start: i64,
    pub bytes_in: i64,
    pub bytes_out: i64,
}

/// The fields of one line: split at commas, each trimmed, and unquoted when a whole field
/// is quoted as some exporters do (no field of this format holds a comma or a quote).
pub fn fields(line: &str) -> Result<Vec<&str>, String> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            let inner = f
                .strip_prefix('"')
                .map_or(Some(f), |rest| rest.strip_suffix('"'));
            match inner {
                Some(text) if !text.contains('"') => Ok(text),
                _ => Err(format!(
                    "field {} has an unclosed or stray quote",
                    crate::engine::text::quote(f)
                )),
            }
        })
        .collect()
}

/// True for a header row (`service,period_start,...`), which is skipped.
pub fn is_header(fields: &[&str]) -> bool {
    fields
        .first()
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("service"))
}

/// The row read, or why it is refused (the caller adds the row number). `now` is Unix
/// seconds: no sample can be for a period that has not begun.
pub fn parse(fields: &[&str], now: i64) -> Result<Sample, String> {
    let [service, period, bytes_in, bytes_out] = fields else {
        return Err(format!(
            "{} fields, expected 4 (service,period_start,bytes_in,bytes_out)",
            fields.len()
        ));
    };
    let service_id = service
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("service {service:?} is not a service number (e.g. 42)"));
    let period_start = timestamp(period.trim()).and_then(|at| {
        if at < 0 {
            Err(format!(
                "period_start {} is before 1970: not a period carve can bill",
                period.trim()
            ))
        } else if at > now {
            Err(format!(
                "period_start {} is in the future: usage is ingested once it was measured",
                period.trim()
            ))
        } else if at % PERIOD == 0 {
            Ok(at)
        } else {
            Err(format!(
                "period_start {} is not on a 5-minute boundary (:00, :05, ... seconds 0)",
                period.trim()
            ))
        }
    });
    let bytes_in = counter("bytes_in", bytes_in);
    let bytes_out = counter("bytes_out", bytes_out);
    // Every fault of the row at once, so one fix makes it good.
    match (service_id, period_start, bytes_in, bytes_out) {
        (Ok(service_id), Ok(period_start), Ok(bytes_in), Ok(bytes_out)) => Ok(Sample {
            service_id,
            period_start,
            bytes_in,
            bytes_out,
        }),
        (s, p, i, o) => {
            let faults: Vec<String> = [s.err(), p.err(), i.err(), o.err()]
                .into_iter()
                .flatten()
                .collect();
            Err(faults.join(" and "))
        }
    }
}

/// RFC 3339 (`2026-11-01T00:05:00Z`) or Unix seconds.
fn timestamp(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(seconds)
            .map(|_| seconds)
            .map_err(|_| format!("period_start {text} is out of range"));
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        format!("period_start {text:?} is neither RFC 3339 (2026-11-01T00:05:00Z) nor Unix seconds")
    })?;
    if at.nanosecond() != 0 {
        return Err(format!(
            "period_start {text} is not on a 5-minute boundary (it has fractions of a second)"
        ));
    }
    Ok(at.unix_timestamp())
}

fn counter(name: &str, text: &str) -> Result<i64, String> {
    let text = text.trim();
    match text.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(n) => Err(format!(
            "{name} {n} is negative (counters are bytes per period)"
        )),
        Err(_) => Err(format!("{name} {text:?} is not a whole number of bytes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01T00:00:00Z: the tests' "now".
    const NOW: i64 = 1_796_083_200;

    #[test]
    fn rows_in_both_time_forms() {
        let a = parse(&["42", "2026-11-01T00:05:00Z", "1000", "2000"], NOW).unwrap();
        let b = parse(&["#42", "1793491500", " 1000 ", "2000"], NOW).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.period_start, 1_793_491_500);
        let c = parse(&["42", "2026-11-01T01:05:00+01:00", "0", "0"], NOW).unwrap();
        assert_eq!(c.period_start, a.period_start);
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let cases = [
            (
                vec!["42", "2026-11-01T00:02:00Z", "1", "1"],
                "5-minute boundary",
            ),
            (
                vec!["42", "2026-11-01T00:05:00Z", "-1", "1"],
                "bytes_in -1 is negative",
            ),
            (
                vec!["42", "2026-11-01T00:05:00Z", "1", "1.5"],
                "bytes_out \"1.5\"",
            ),
            (
                vec!["x", "2026-11-01T00:05:00Z", "1", "1"],
                "not a service number",
            ),
            (vec!["42", "yesterday", "1", "1"], "neither RFC 3339"),
            (
                vec!["42", "2026-11-01T00:05:00.9Z", "1", "1"],
                "fractions of a second",
            ),
            (vec!["42", "1"], "2 fields"),
            (vec!["42", "1969-12-31T23:55:00Z", "1", "1"], "before 1970"),
            (vec!["42", "-300", "1", "1"], "before 1970"),
            (
                vec!["42", "2027-01-01T00:00:00Z", "1", "1"],
                "in the future",
            ),
            (
                vec!["x", "2026-11-01T00:05:00Z", "1", "-1"],
                "not a service number (e.g. 42) and bytes_out -1 is negative",
            ),
        ];
        for (row, needle) in cases {
            let e = parse(&row, NOW).unwrap_err();
            assert!(e.contains(needle), "{row:?}: {e}");
        }
        assert!(is_header(&["Service", "period_start"]));
        assert_eq!(fields(" \"42\", 1 ").unwrap(), ["42", "1"]);
        for bad in ["\"42,1,1,1", "42\",1", "4\"2,1"] {
            let e = fields(bad).unwrap_err();
            assert!(e.contains("unclosed or stray quote"), "{bad}: {e}");
        }
        assert!(!is_header(&["42"]));
    }
}
