//! VLAN id ranges: `100-199` (or one id, `42`), inside the valid 1..4094.

use std::fmt;

use serde::Serialize;

/// The ids a VLAN may have (0 and 4095 are reserved by 802.1Q).
pub const VALID: VlanRange = VlanRange { low: 1, high: 4094 };

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VlanRange {
    pub low: i32,
    pub high: i32,
}

impl VlanRange {
    /// Reads `LOW-HIGH` or a single id; the message names the text and the rule broken.
    pub fn parse(text: &str) -> Result<VlanRange, String> {
        let shown = crate::engine::text::quote(text);
        let id = |part: &str| -> Result<i32, String> {
            match part.trim().parse::<i32>() {
                Ok(vid) if (VALID.low..=VALID.high).contains(&vid) => Ok(vid),
                _ => Err(format!(
                    "VLAN range {shown}: {} is not a VLAN id ({VALID})",
                    crate::engine::text::quote(part.trim())
                )),
            }
        };
        let (low, high) = match text.split_once('-') {
            Some((low, high)) => (id(low)?, id(high)?),
            None => {
                let vid = id(text)?;
                (vid, vid)
            }
        };
        if low > high {
            return Err(format!(
                "VLAN range {shown} runs backwards (write the lower id first: {high}-{low})"
            ));
        }
        Ok(VlanRange { low, high })
    }
}

impl fmt::Display for VlanRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.low, self.high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_as_written_and_bad_ones_name_the_rule() {
        assert_eq!(
            VlanRange::parse("100-199"),
            Ok(VlanRange {
                low: 100,
                high: 199
            })
        );
        assert_eq!(VlanRange::parse(" 7 "), Ok(VlanRange { low: 7, high: 7 }));
        for (text, rule) in [
            ("0-10", "\"0\" is not a VLAN id (1-4094)"),
            ("100-4095", "\"4095\" is not a VLAN id"),
            ("a-b", "\"a\" is not a VLAN id"),
            ("", "\"\" is not a VLAN id"),
            (
                "200-100",
                "runs backwards (write the lower id first: 100-200)",
            ),
        ] {
            let error = VlanRange::parse(text).unwrap_err();
            assert!(error.contains(rule), "{text}: {error}");
        }
    }
}
