//! A product's `ipam_config`: read from JSON with every fault collected and named by its
//! JSON path (`rules[1].prefix_length: 129 is out of range for IPv6`), so one save shows
//! the author everything to fix.

mod new_vlan;

use std::fmt;

use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::prefix::parse_cidr;
use crate::engine::vlan::VlanRange;
use crate::engine::{Family, Strategy};

/// The most allocations one rule may ask for: a bigger count is a typo, not an order.
pub const MAX_COUNT: u64 = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpamConfig {
    pub mode: Mode,
    pub rules: Vec<Rule>,
    /// Each service gets a VLAN of its own from this range, on all its subnets.
    pub new_vlan: Option<VlanRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Provisioning fulfils the rules.
    Full,
    /// Provisioning touches no IPAM state.
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Ip,
    Subnet,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub kind: RuleKind,
    pub family: Family,
    pub count: u32,
    /// Subnet rules only.
    pub prefix_length: Option<u8>,
    pub purpose: Option<String>,
    /// Allow-lists, tried in order; empty means any.
    pub vlans: Vec<i32>,
    pub pools: Vec<IpNet>,
    /// The strongest strategy a subnet rule may use (exact < merge < split).
    pub strategy: Strategy,
}

/// One thing wrong with a config, at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Reads a config, or returns every fault in it.
pub fn parse(value: &Value) -> Result<IpamConfig, Vec<Fault>> {
    let mut faults = Faults::default();
    let config = read_config(value, &mut faults);
    match config {
        Some(config) if faults.0.is_empty() => Ok(config),
        _ => Err(faults.0),
    }
}

#[derive(Default)]
pub(super) struct Faults(Vec<Fault>);

impl Faults {
    pub(super) fn add(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Fault {
            path: path.to_owned(),
            message: message.into(),
        });
    }

    /// Reports keys of `object` that are not in `known`.
    pub(super) fn unknown_keys(&mut self, path: &str, object: &Map<String, Value>, known: &[&str]) {
        for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
            let at = join(path, key);
            self.add(
                &at,
                format!("unknown key (expected one of: {})", known.join(", ")),
            );
        }
    }
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn read_config(value: &Value, faults: &mut Faults) -> Option<IpamConfig> {
    let Some(object) = value.as_object() else {
        faults.add(
            "$",
            "the config must be a JSON object with \"mode\" and \"rules\"",
        );
        return None;
    };
    faults.unknown_keys("", object, &["mode", "rules", "new_vlan"]);
    let mode = match object.get("mode").map(|m| m.as_str()) {
        Some(Some("full")) => Some(Mode::Full),
        Some(Some("disabled")) => Some(Mode::Disabled),
        None => {
            faults.add("mode", "missing (\"full\" or \"disabled\")");
            None
        }
        Some(_) => {
            faults.add(
                "mode",
                format!("{} is not \"full\" or \"disabled\"", object["mode"]),
            );
            None
        }
    };
    let rules = match object.get("rules") {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => {
            let rules: Vec<Option<Rule>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| read_rule(&format!("rules[{i}]"), item, faults))
                .collect();
            rules.into_iter().collect()
        }
        Some(other) => {
            faults.add("rules", format!("{other} is not a list of rules"));
            None
        }
    };
    if mode == Some(Mode::Full) && rules.as_ref().is_some_and(Vec::is_empty) {
        faults.add(
            "rules",
            "mode \"full\" needs at least one rule (or use mode \"disabled\")",
        );
    }
    let new_vlan = new_vlan::read(object.get("new_vlan"), rules.as_deref(), faults);
    Some(IpamConfig {
        mode: mode?,
        rules: rules?,
        new_vlan: new_vlan?,
    })
}

const RULE_KEYS: &[&str] = &[
    "kind",
    "family",
    "count",
    "prefix_length",
    "purpose",
    "vlans",
    "pools",
    "strategy",
];

fn read_rule(path: &str, value: &Value, faults: &mut Faults) -> Option<Rule> {
    let Some(object) = value.as_object() else {
        faults.add(path, format!("{value} is not a rule object"));
        return None;
    };
    faults.unknown_keys(path, object, RULE_KEYS);
    let at = |key: &str| join(path, key);
    let kind = match object.get("kind").map(|k| k.as_str()) {
        Some(Some("ip")) => Some(RuleKind::Ip),
        Some(Some("subnet")) => Some(RuleKind::Subnet),
        None => {
            faults.add(&at("kind"), "missing (\"ip\" or \"subnet\")");
            None
        }
        Some(_) => {
            faults.add(
                &at("kind"),
                format!("{} is not \"ip\" or \"subnet\"", object["kind"]),
            );
            None
        }
    };
    let family = match object.get("family").map(Value::as_u64) {
        Some(Some(4)) => Some(Family::V4),
        Some(Some(6)) => Some(Family::V6),
        None => {
            faults.add(&at("family"), "missing (4 or 6)");
            None
        }
        Some(_) => {
            faults.add(&at("family"), format!("{} is not 4 or 6", object["family"]));
            None
        }
    };
    let count = match object.get("count") {
        None => Some(1),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_COUNT).contains(&n) => u32::try_from(n).ok(),
            _ => {
                faults.add(
                    &at("count"),
                    format!("{v} is not a whole number from 1 to {MAX_COUNT}"),
                );
                None
            }
        },
    };
    let prefix_length = read_prefix_length(path, object, kind, family, faults);
    let purpose = match object.get("purpose") {
        None => Some(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Some(Some(s.trim().to_owned())),
        Some(other) => {
            faults.add(&at("purpose"), format!("{other} is not a non-empty string"));
            None
        }
    };
    let vlans = read_list(&at("vlans"), object.get("vlans"), faults, |v| {
        match v.as_i64() {
            Some(vid) if (1..=4094).contains(&vid) => i32::try_from(vid).map_err(|e| e.to_string()),
            _ => Err(format!("{v} is not a VLAN id (1..4094)")),
        }
    });
    let pools = read_list(&at("pools"), object.get("pools"), faults, |v| {
        let text = v
            .as_str()
            .ok_or_else(|| format!("{v} is not a CIDR string"))?;
        let pool = parse_cidr(text).map_err(|e| e.to_string())?;
        if let Some(f) = family
            && f != Family::of(&pool)
        {
            return Err(format!("{pool} is not {f}, the rule's family"));
        }
        if let Some(Some(len)) = prefix_length
            && pool.prefix_len() > len
        {
            return Err(format!(
                "{pool} is smaller than the /{len} the rule asks for"
            ));
        }
        Ok(pool)
    });
    if let Some(vlans) = &vlans {
        repeated(&at("vlans"), vlans, faults);
    }
    if let Some(pools) = &pools {
        repeated(&at("pools"), pools, faults);
    }
    let strategy = match object.get("strategy") {
        None => Some(Strategy::Split),
        Some(v) => match v.as_str().map(str::parse::<Strategy>) {
            Some(Ok(s)) => Some(s),
            _ => {
                faults.add(
                    &at("strategy"),
                    format!("{v} is not \"exact\", \"merge\" or \"split\""),
                );
                None
            }
        },
    };
    Some(Rule {
        kind: kind?,
        family: family?,
        count: count?,
        prefix_length: prefix_length?,
        purpose: purpose?,
        vlans: vlans?,
        pools: pools?,
        strategy: strategy?,
    })
}

/// Required for subnet rules, in range for the family; refused on address rules.
fn read_prefix_length(
    path: &str,
    object: &Map<String, Value>,
    kind: Option<RuleKind>,
    family: Option<Family>,
    faults: &mut Faults,
) -> Option<Option<u8>> {
    let at = join(path, "prefix_length");
    match (kind, object.get("prefix_length")) {
        (Some(RuleKind::Subnet), None) => {
            faults.add(&at, "missing (a subnet rule needs the length it allocates)");
            None
        }
        (Some(RuleKind::Ip), Some(_)) => {
            faults.add(
                &at,
                "only subnet rules take a prefix_length (an ip rule hands out single addresses)",
            );
            None
        }
        (_, None) => Some(None),
        (_, Some(v)) => {
            let Some(len) = v.as_u64().and_then(|n| u8::try_from(n).ok()) else {
                faults.add(&at, format!("{v} is not a prefix length"));
                return None;
            };
            match family {
                Some(f) if !f.prefix_range().contains(&len) => {
                    let range = f.prefix_range();
                    faults.add(
                        &at,
                        format!(
                            "{len} is out of range for {f} (carve manages /{}../{})",
                            range.start(),
                            range.end()
                        ),
                    );
                    None
                }
                _ => Some(Some(len)),
            }
        }
    }
}

/// Reports an item listed twice (an allow-list is tried in order, so a repeat is a typo).
fn repeated<T: PartialEq + fmt::Display>(path: &str, items: &[T], faults: &mut Faults) {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            faults.add(&format!("{path}[{i}]"), format!("{item} is listed twice"));
        }
    }
}

/// An optional list whose items each pass `item`; faults name the item's index.
fn read_list<T>(
    path: &str,
    value: Option<&Value>,
    faults: &mut Faults,
    item: impl Fn(&Value) -> Result<T, String>,
) -> Option<Vec<T>> {
    let items = match value {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            faults.add(path, format!("{other} is not a list"));
            return None;
        }
    };
    let mut read = Vec::with_capacity(items.len());
    let mut clean = true;
    for (i, v) in items.iter().enumerate() {
        match item(v) {
            Ok(t) => read.push(t),
            Err(message) => {
                faults.add(&format!("{path}[{i}]"), message);
                clean = false;
            }
        }
    }
    clean.then_some(read)
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
