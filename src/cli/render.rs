//! Human text for the shapes the service layer returns. Every state has a word (never
//! colour alone); text from the database is stripped of control characters.

use crate::engine::view::Node;
use crate::model::Event;
use crate::service::cooldown;
use crate::service::view::{IpView, SubnetView, event_lines};

use super::output::{cell, clean, short, table};

pub fn subnet_table(subnets: &[SubnetView]) -> String {
    if subnets.is_empty() {
        return "(none)\n".to_owned();
    }
    let rows: Vec<Vec<String>> = subnets.iter().map(subnet_row).collect();
    table(
        &[
            "CIDR",
            "STATE",
            "LOCATION",
            "VLAN",
            "CUSTOMER",
            "USED",
            "DESCRIPTION",
        ],
        &rows,
    )
}

fn subnet_row(s: &SubnetView) -> Vec<String> {
    let location = match (&s.location, &s.effective_location) {
        (Some(own), _) => clean(own),
        (None, Some(inherited)) => format!("({})", clean(inherited)),
        (None, None) => "-".to_owned(),
    };
    let mut state = s.state_word().to_owned();
    if s.pool {
        state.push_str(",pool");
    }
    vec![
        s.cidr.to_string(),
        state,
        location,
        cell(&s.vlan),
        cell(&s.customer.as_deref().map(short)),
        s.utilization.percent_text(),
        cell(&s.description.as_deref().map(short)),
    ]
}

pub fn subnet_detail(s: &SubnetView) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("subnet", s.cidr.to_string()),
        ("state", s.state_word().to_owned()),
    ];
    if let Some(reason) = &s.parked_reason {
        rows.push(("parked for", clean(reason)));
    }
    if let Some(reason) = &s.reserve_reason {
        rows.push(("reserved for", clean(reason)));
    }
    if let Some(left) = s.cooldown_left {
        rows.push(("cooldown", cooldown::left_text(left)));
    }
    if s.parked_above {
        rows.push(("parked", "through a parked ancestor".to_owned()));
    }
    rows.push(("location", location_text(s)));
    rows.push(("vlan", cell(&s.vlan)));
    rows.push(("customer", cell(&s.customer.as_deref().map(clean))));
    held_for(&mut rows, s.device.as_deref(), s.service);
    if let Some(d) = &s.description {
        rows.push(("description", clean(d)));
    }
    if let Some(p) = &s.purpose {
        rows.push(("purpose", clean(p)));
    }
    rows.push(("pool", if s.pool { "yes" } else { "no" }.to_owned()));
    rows.push(("usage", s.utilization.summary()));
    rows
}

fn location_text(s: &SubnetView) -> String {
    match (&s.location, &s.effective_location) {
        (Some(own), _) => clean(own),
        (None, Some(inherited)) => format!("{} (inherited)", clean(inherited)),
        (None, None) => "-".to_owned(),
    }
}

pub fn ip_table(ips: &[IpView]) -> String {
    let rows: Vec<Vec<String>> = ips
        .iter()
        .map(|ip| {
            vec![
                ip.address.to_string(),
                ip.status.to_owned(),
                cell(&ip.customer.as_deref().map(clean)),
                cell(&ip.vlan),
                cell(&ip.purpose.as_deref().map(clean)),
                cell(&ip.rdns.as_deref().map(clean)),
            ]
        })
        .collect();
    table(
        &["ADDRESS", "STATE", "CUSTOMER", "VLAN", "PURPOSE", "RDNS"],
        &rows,
    )
}

pub fn ip_detail(ip: &IpView) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("address", ip.address.to_string()),
        ("state", ip.status.to_owned()),
        ("subnet", ip.subnet.to_string()),
        ("customer", cell(&ip.customer.as_deref().map(clean))),
        ("vlan", cell(&ip.vlan)),
        ("purpose", cell(&ip.purpose.as_deref().map(clean))),
        ("rdns", cell(&ip.rdns.as_deref().map(clean))),
    ];
    held_for(&mut rows, ip.device.as_deref(), ip.service);
    if let Some(reason) = &ip.parked_reason {
        rows.push(("parked for", clean(reason)));
    }
    if ip.reserved {
        let reason = ip.reserve_reason.as_deref().map_or("-".to_owned(), clean);
        rows.push(("reserved for", reason));
    }
    if let Some(left) = ip.cooldown_left {
        rows.push(("cooldown", cooldown::left_text(left)));
    }
    rows
}

/// The device and service rows, when the space is held for them.
fn held_for(rows: &mut Vec<(&'static str, String)>, device: Option<&str>, service: Option<i64>) {
    if let Some(device) = device {
        rows.push(("device", clean(device)));
    }
    if let Some(service) = service {
        rows.push(("service", format!("#{service}")));
    }
}

/// One line per journal event: `split 203.0.113.0/24 -> .0/25 + .128/25`.
pub fn events(events: &[Event]) -> String {
    event_lines(events)
        .into_iter()
        .map(|(name, what)| format!("  {name:<22} {what}\n"))
        .collect()
}

/// The forest as an indented tree, one subnet a line.
pub fn tree(roots: &[Node<SubnetView>]) -> String {
    let mut rows = Vec::new();
    for root in roots {
        tree_rows(root, String::new(), String::new(), &mut rows);
    }
    table(
        &["SUBNET", "STATE", "CUSTOMER", "VLAN", "USED", "DESCRIPTION"],
        &rows,
    )
}

fn tree_rows(
    node: &Node<SubnetView>,
    lead: String,
    child_lead: String,
    rows: &mut Vec<Vec<String>>,
) {
    let s = &node.item;
    let mut state = s.state_word().to_owned();
    if s.pool {
        state.push_str(",pool");
    }
    rows.push(vec![
        format!("{lead}{}", s.cidr),
        state,
        cell(&s.customer.as_deref().map(short)),
        cell(&s.vlan),
        s.utilization.percent_text(),
        cell(
            &s.description
                .as_deref()
                .or(s.parked_reason.as_deref())
                .map(short),
        ),
    ]);
    let last = node.children.len().saturating_sub(1);
    for (i, child) in node.children.iter().enumerate() {
        let (branch, next) = if i == last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        tree_rows(
            child,
            format!("{child_lead}{branch}"),
            format!("{child_lead}{next}"),
            rows,
        );
    }
}

/// What a journal event is about: its address if it has one, else its CIDR.
pub fn target(address: Option<ipnet::IpNet>, cidr: Option<ipnet::IpNet>) -> String {
    address
        .map(|a| a.addr().to_string())
        .or(cidr.map(|c| c.to_string()))
        .unwrap_or_default()
}

/// A journal detail as `key=value` pairs, leaving out empty values and the keys the
/// table already shows: compact enough for an 80-column terminal.
pub fn detail(value: &serde_json::Value) -> String {
    use serde_json::Value;
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("+"),
            Value::Object(_) => detail(v),
            other => other.to_string(),
        }
    }
    match value {
        Value::Object(map) => map
            .iter()
            .filter(|(k, v)| !v.is_null() && !matches!(k.as_str(), "cidr" | "address"))
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => text(other),
    }
}
