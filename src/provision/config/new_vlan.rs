//! `ipam_config.new_vlan`: a VLAN of its own for each service, `{"range": "100-199"}`
//! (the range is optional: any free id). Provisioning takes the lowest free id of the
//! range at the device's location and puts every subnet of the service on it.

use serde_json::Value;

use super::{Faults, Rule, RuleKind, join};
use crate::engine::vlan::{self, VlanRange};

/// Reads the key (None inside: not asked for; None outside: faulty). The rules are
/// checked against it: the VLAN goes on subnets, so a subnet rule must exist and may
/// not also name VLANs of its own.
pub(super) fn read(
    value: Option<&Value>,
    rules: Option<&[Rule]>,
    faults: &mut Faults,
) -> Option<Option<VlanRange>> {
    let path = "new_vlan";
    let object = match value {
        None => return Some(None),
        Some(Value::Object(object)) => object,
        Some(other) => {
            faults.add(
                path,
                format!("{other} is not an object like {{\"range\": \"100-199\"}}"),
            );
            return None;
        }
    };
    faults.unknown_keys(path, object, &["range"]);
    let range = match object.get("range") {
        None => Some(vlan::VALID),
        Some(Value::String(text)) => match VlanRange::parse(text) {
            Ok(range) => Some(range),
            Err(message) => {
                faults.add(&join(path, "range"), message);
                None
            }
        },
        Some(other) => {
            faults.add(
                &join(path, "range"),
                format!("{other} is not a range of VLAN ids like \"100-199\""),
            );
            None
        }
    };
    let rules = rules.unwrap_or_default();
    let subnets: Vec<(usize, &Rule)> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == RuleKind::Subnet)
        .collect();
    if subnets.is_empty() && !rules.is_empty() {
        faults.add(
            path,
            "the new VLAN goes on the service's subnets, and no rule allocates one (add a \
             subnet rule, or remove new_vlan)",
        );
    }
    for (i, _) in subnets.iter().filter(|(_, r)| !r.vlans.is_empty()) {
        faults.add(
            &format!("rules[{i}].vlans"),
            "a subnet rule goes on the service's new VLAN (new_vlan): it cannot also list \
             VLANs to draw from",
        );
    }
    Some(range)
}
