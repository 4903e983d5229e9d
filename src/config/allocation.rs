//! The `[allocation]` section: how long released space stays out of reuse.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct AllocationSection {
    /// `"24h"` for both, or `{ ips = "24h", subnets = "7d" }`.
    release_cooldown: Option<toml::Value>,
}

/// How long a released address or subnet stays parked before it can be handed out
/// again; None: freed at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseCooldown {
    pub ips: Option<Duration>,
    pub subnets: Option<Duration>,
}

impl AllocationSection {
    pub(super) fn release_cooldown(self) -> Result<ReleaseCooldown> {
        const KEY: &str = "allocation.release_cooldown";
        let Some(value) = self.release_cooldown else {
            return Ok(ReleaseCooldown::default());
        };
        match value {
            toml::Value::String(text) => {
                let both = duration(KEY, &text)?;
                Ok(ReleaseCooldown {
                    ips: both,
                    subnets: both,
                })
            }
            toml::Value::Table(mut table) => {
                let mut each = |part: &str| -> Result<Option<Duration>> {
                    match table.remove(part) {
                        None => Ok(None),
                        Some(toml::Value::String(text)) => {
                            duration(&format!("{KEY}.{part}"), &text)
                        }
                        Some(other) => Err(Error::config(format!(
                            "{KEY}.{part} must be a duration in quotes like \"24h\", not {other}"
                        ))),
                    }
                };
                let cooldown = ReleaseCooldown {
                    ips: each("ips")?,
                    subnets: each("subnets")?,
                };
                match table.keys().next() {
                    Some(unknown) => Err(Error::config(format!(
                        "{KEY}.{unknown} is not a setting (ips, subnets)"
                    ))),
                    None => Ok(cooldown),
                }
            }
            other => Err(Error::config(format!(
                "{KEY} must be a duration like \"24h\" or a table {{ ips = \"24h\", subnets = \"7d\" }}, not {other}"
            ))),
        }
    }
}

/// `90s`, `15m`, `24h`, `7d`, `1h30m`; `off` or `0` for none.
fn duration(key: &str, text: &str) -> Result<Option<Duration>> {
    let bad = || {
        Error::config(format!(
            "{key} {text:?} is not a duration like 30m, 24h, 7d or 1h30m (or off)"
        ))
    };
    let text = text.trim();
    if text == "off" || text == "0" {
        return Ok(None);
    }
    let mut seconds: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        seconds = n
            .checked_mul(unit)
            .and_then(|s| seconds.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || seconds == 0 {
        return Err(bad());
    }
    if seconds > 366 * 86_400 {
        return Err(Error::config(format!(
            "{key} {text:?} is longer than a year: is that meant?"
        )));
    }
    Ok(Some(Duration::from_secs(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cooldown(text: &str) -> Result<ReleaseCooldown> {
        let section: AllocationSection = toml::from_str(text).unwrap();
        section.release_cooldown()
    }

    #[test]
    fn one_duration_for_both_or_one_each() {
        let day = Some(Duration::from_secs(86_400));
        assert_eq!(
            cooldown("release_cooldown = \"24h\"").unwrap(),
            ReleaseCooldown {
                ips: day,
                subnets: day
            }
        );
        let each = cooldown("release_cooldown = { ips = \"1h30m\", subnets = \"7d\" }").unwrap();
        assert_eq!(each.ips, Some(Duration::from_secs(5400)));
        assert_eq!(each.subnets, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(
            cooldown("release_cooldown = \"off\"").unwrap(),
            ReleaseCooldown::default()
        );
        assert_eq!(cooldown("").unwrap(), ReleaseCooldown::default());
        assert_eq!(
            cooldown("release_cooldown = { subnets = \"90s\" }")
                .unwrap()
                .ips,
            None
        );
    }

    #[test]
    fn bad_durations_name_the_key() {
        for (text, needle) in [
            (
                "release_cooldown = \"24\"",
                "allocation.release_cooldown \"24\" is not a duration",
            ),
            ("release_cooldown = \"1y\"", "is not a duration"),
            ("release_cooldown = 24", "must be a duration like"),
            (
                "release_cooldown = { ip = \"1h\" }",
                "allocation.release_cooldown.ip is not a setting",
            ),
            (
                "release_cooldown = { ips = 3 }",
                "allocation.release_cooldown.ips must be a duration",
            ),
            ("release_cooldown = \"400d\"", "longer than a year"),
        ] {
            let e = cooldown(text).unwrap_err();
            assert!(e.message.contains(needle), "{text}: {}", e.message);
        }
    }
}
