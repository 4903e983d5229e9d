//! Billing cycles (calendar months, UTC) and the 5-minute series inside one: N expected
//! periods, the samples that arrived, the gaps, and the 95th percentile.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

/// Seconds in one sample period.
pub const PERIOD: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cycle {
    pub first_day: Date,
}

impl Cycle {
    /// `2026-11`: a four-digit year from 1970 and a two-digit month (`26-01` could mean
    /// 1926 or 2026, `0000-01` is no month carve bills).
    pub fn parse(text: &str) -> Result<Cycle, String> {
        let bad = || {
            format!(
                "cycle {} is not a month like 2026-11 (YYYY-MM, from 1970)",
                crate::engine::text::quote(text)
            )
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) || year < "1970" {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u8 = month.parse().map_err(|_| bad())?;
        let month = Month::try_from(month).map_err(|_| bad())?;
        let first_day = Date::from_calendar_date(year, month, 1).map_err(|_| bad())?;
        Ok(Cycle { first_day })
    }

    /// The cycle a moment falls in.
    pub fn of(unix: i64) -> Option<Cycle> {
        let at = OffsetDateTime::from_unix_timestamp(unix).ok()?;
        let first_day = at.date().replace_day(1).ok()?;
        Some(Cycle { first_day })
    }

    /// First second of the cycle (Unix time).
    pub fn start(self) -> i64 {
        self.first_day.midnight().assume_utc().unix_timestamp()
    }

    /// First second after the cycle.
    pub fn end(self) -> i64 {
        let next = match self.first_day.month() {
            Month::December => {
                Date::from_calendar_date(self.first_day.year() + 1, Month::January, 1)
            }
            m => Date::from_calendar_date(self.first_day.year(), m.next(), 1),
        };
        next.map_or(i64::MAX, |d| d.midnight().assume_utc().unix_timestamp())
    }

    /// N: the expected 5-minute periods (8,640 in a 30-day month).
    pub fn periods(self) -> usize {
        usize::try_from((self.end() - self.start()) / PERIOD).unwrap_or(0)
    }

    /// Which period a sample's start falls in, if inside the cycle and aligned.
    pub fn index(self, unix: i64) -> Option<usize> {
        let offset = unix - self.start();
        (unix < self.end() && offset >= 0 && offset % PERIOD == 0)
            .then(|| usize::try_from(offset / PERIOD).ok())
            .flatten()
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}",
            self.first_day.year(),
            u8::from(self.first_day.month())
        )
    }
}

impl Serialize for Cycle {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `2026-12-01T00:00Z` for a Unix time.
pub fn utc_text(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).map_or_else(
        |_| unix.to_string(),
        |t| format!("{}T{:02}:{:02}Z", t.date(), t.hour(), t.minute()),
    )
}

/// One cycle of one service: bytes per period in and out, zero where no sample came.
#[derive(Debug, Clone)]
pub struct Series {
    pub cycle: Cycle,
    pub bytes_in: Vec<u64>,
    pub bytes_out: Vec<u64>,
    present: Vec<bool>,
}

/// A run of periods without a sample, `from` inclusive, `to` exclusive (Unix time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    pub from: i64,
    pub to: i64,
    pub periods: usize,
}

impl Series {
    pub fn new(cycle: Cycle) -> Series {
        let n = cycle.periods();
        Series {
            cycle,
            bytes_in: vec![0; n],
            bytes_out: vec![0; n],
            present: vec![false; n],
        }
    }

    /// Records one sample; false when it is outside the cycle or not on a period start.
    pub fn add(&mut self, unix: i64, bytes_in: u64, bytes_out: u64) -> bool {
        let Some(i) = self.cycle.index(unix) else {
            return false;
        };
        self.bytes_in[i] = bytes_in;
        self.bytes_out[i] = bytes_out;
        self.present[i] = true;
        true
    }

    pub fn samples(&self) -> usize {
        self.present.iter().filter(|p| **p).count()
    }

    /// The periods without a sample, as runs.
    pub fn gaps(&self) -> Vec<Gap> {
        let mut gaps: Vec<Gap> = Vec::new();
        let start = self.cycle.start();
        for (i, _) in self.present.iter().enumerate().filter(|(_, p)| !**p) {
            let at = start + PERIOD * i as i64;
            match gaps.last_mut() {
                Some(gap) if gap.to == at => {
                    gap.to += PERIOD;
                    gap.periods += 1;
                }
                _ => gaps.push(Gap {
                    from: at,
                    to: at + PERIOD,
                    periods: 1,
                }),
            }
        }
        gaps
    }

    /// Bytes in + out per period (for direction `sum`).
    pub fn bytes_sum(&self) -> Vec<u64> {
        self.bytes_in
            .iter()
            .zip(&self.bytes_out)
            .map(|(i, o)| i.saturating_add(*o))
            .collect()
    }
}

/// The 1-based rank of the 95th percentile among `n` ascending values: ceil(0.95 x n).
pub fn p95_rank(n: usize) -> usize {
    (95 * n).div_ceil(100)
}

/// The value at rank ceil(0.95 x n) of `values` sorted ascending (0 for no values).
pub fn p95(values: &[u64]) -> u64 {
    let rank = p95_rank(values.len());
    if rank == 0 {
        return 0;
    }
    let mut sorted = values.to_vec();
    let (_, nth, _) = sorted.select_nth_unstable(rank - 1);
    *nth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_have_their_periods() {
        let nov = Cycle::parse("2026-11").unwrap();
        assert_eq!(nov.periods(), 30 * 288);
        assert_eq!(Cycle::parse("2026-02").unwrap().periods(), 28 * 288);
        assert_eq!(Cycle::parse("2028-02").unwrap().periods(), 29 * 288);
        let dec = Cycle::parse("2026-12").unwrap();
        assert_eq!(dec.end(), Cycle::parse("2027-01").unwrap().start());
        assert_eq!(nov.to_string(), "2026-11");
        assert_eq!(Cycle::of(nov.start() + 86_400 * 3), Some(nov));
        for bad in [
            "2026-13", "2026", "26-1x", "2026-00", "", "26-01", "0000-01", "2026-1", "+2026-01",
            "1969-12",
        ] {
            assert!(Cycle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn samples_land_in_their_period_and_gaps_are_runs() {
        let nov = Cycle::parse("2026-11").unwrap();
        let mut s = Series::new(nov);
        let t0 = nov.start();
        for i in 0..nov.periods() as i64 {
            if !(10..13).contains(&i) && i != 100 {
                assert!(s.add(t0 + i * PERIOD, 1, 2));
            }
        }
        assert!(!s.add(t0 + 7, 1, 1), "not aligned");
        assert!(!s.add(nov.end(), 1, 1), "next cycle");
        assert_eq!(s.samples(), nov.periods() - 4);
        let gaps = s.gaps();
        assert_eq!(gaps.len(), 2);
        assert_eq!((gaps[0].from, gaps[0].periods), (t0 + 10 * PERIOD, 3));
        assert_eq!(gaps[1].to, t0 + 101 * PERIOD);
    }

    #[test]
    fn the_rank_is_the_ceiling_of_95_percent() {
        assert_eq!(p95_rank(8640), 8208);
        assert_eq!(p95_rank(20), 19);
        assert_eq!(p95_rank(21), 20);
        assert_eq!(p95_rank(1), 1);
        assert_eq!(p95_rank(0), 0);
        // 1..=100: the 95th value is 95; the top five are discarded.
        let values: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(p95(&values), 95);
        assert_eq!(p95(&[]), 0);
        assert_eq!(p95(&[7]), 7);
    }
}
