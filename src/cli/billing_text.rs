//! Billing results as text: plans, ingest and close summaries, and an invoice with the
//! working a customer can check it by.

use std::fmt::Write;

use super::output::{clean, rows, table};
use crate::billing::cycle::{Cycle, utc_text};
use crate::billing::plan::{Model, Plan};
use crate::model::{StoredInvoice, StoredPlan, Voided};
use crate::service::billing::{Assignment, CloseReport, IngestReport};

pub fn plans(plans: &[StoredPlan]) -> String {
    if plans.is_empty() {
        return "no billing plans (add one: carve billing plan add NAME --model p95 --currency EUR --price-per-mbps 0.90)\n".into();
    }
    let rows: Vec<Vec<String>> = plans
        .iter()
        .map(|p| {
            vec![
                clean(&p.plan.name),
                p.plan.model.as_str().into(),
                p.plan.currency.clone(),
                p.services.to_string(),
                pricing(&p.plan),
            ]
        })
        .collect();
    table(&["PLAN", "MODEL", "CURRENCY", "SERVICES", "PRICING"], &rows)
}

/// One line saying how the plan charges.
pub fn pricing(plan: &Plan) -> String {
    let tiers = |unit: &str| {
        let list: Vec<String> = plan.tiers.iter().map(ToString::to_string).collect();
        format!("tiers per {unit} {}", list.join(" "))
    };
    let or_zero = |d: Option<rust_decimal::Decimal>| d.unwrap_or_default();
    match plan.model {
        Model::P95 => format!("{} per Mbps of the 95th", or_zero(plan.price_per_mbps)),
        Model::CommitBurst => {
            let burst = match plan.burst_price_per_mbps {
                Some(price) => format!("burst {price} per Mbps"),
                None => format!("burst {}", tiers("Mbps")),
            };
            format!(
                "commit {} Mbps at {}, {burst}",
                or_zero(plan.commit_mbps),
                or_zero(plan.commit_price)
            )
        }
        Model::Transfer => format!("{} GB included, {}", plan.included_gb, tiers("GB")),
        Model::Flat => format!("{} per cycle", or_zero(plan.flat_fee)),
    }
}

pub fn assignment(a: &Assignment) -> String {
    let direction = match a.direction {
        Some(d) => format!("direction {d}"),
        None => format!("direction {} (the default)", a.default_direction),
    };
    format!(
        "service {} ({}) is billed by plan {}, {direction}\n",
        a.service,
        clean(&a.customer),
        clean(&a.plan)
    )
}

pub fn ingest(r: &IngestReport) -> String {
    format!(
        "{}: {} rows, {} new, {} already stored\n",
        r.file, r.rows, r.ingested, r.unchanged
    )
}

pub fn close(r: &CloseReport) -> String {
    let whose = r
        .service
        .map(|s| format!(" for service {s}"))
        .unwrap_or_default();
    let mut text = if r.already_closed {
        format!(
            "cycle {} was already closed{whose}: nothing changed; {} invoice(s) stand\n\n",
            r.cycle, r.unchanged
        )
    } else if r.dry_run {
        format!(
            "dry run for cycle {}: {} invoice(s) would be issued, {} stand; nothing stored\n\n",
            r.cycle, r.issued, r.unchanged
        )
    } else {
        format!(
            "cycle {} closed{whose}: {} invoice(s) issued, {} already issued and unchanged\n\n",
            r.cycle, r.issued, r.unchanged
        )
    };
    if r.invoices.is_empty() {
        text.push_str(
            "no service is billed in this cycle (carve billing assign SERVICE --plan NAME)\n",
        );
        return text;
    }
    let lines: Vec<Vec<String>> = r
        .invoices
        .iter()
        .map(|i| {
            vec![
                i.id.map_or_else(|| "-".into(), |id| id.to_string()),
                i.service_id.to_string(),
                clean(&i.customer),
                clean(&i.plan.name),
                format!("{} {}", i.invoice.total, i.invoice.currency),
                i.status.clone(),
            ]
        })
        .collect();
    text.push_str(&table(
        &["INVOICE", "SERVICE", "CUSTOMER", "PLAN", "TOTAL", "STATUS"],
        &lines,
    ));
    text
}

pub fn reopened(cycle: Cycle, service: Option<i64>, voided: &[Voided]) -> String {
    let whose = service
        .map(|s| format!(" for service {s}"))
        .unwrap_or_default();
    let list: Vec<String> = voided
        .iter()
        .map(|v| {
            format!(
                "invoice {} (service {}, {} {})",
                v.id, v.service_id, v.total, v.currency
            )
        })
        .collect();
    let voided = if list.is_empty() {
        "no invoice to void".to_owned()
    } else {
        format!("voided {}", list.join(", "))
    };
    format!(
        "cycle {cycle} reopened{whose}: {voided}; samples may change until it is closed again\n"
    )
}

pub fn invoice(i: &StoredInvoice) -> String {
    let inv = &i.invoice;
    let w = &inv.working;
    let title = match (i.id, &i.issued_at) {
        (Some(id), Some(at)) => format!("invoice {id}, issued {at}"),
        _ => "draft invoice (cycle not closed; samples may still change)".into(),
    };
    let mut text = format!(
        "{title}\nservice {} ({}), cycle {}, plan {} ({}, {}), direction {}\n\n",
        i.service_id,
        clean(&i.customer),
        i.cycle,
        clean(&i.plan.name),
        i.plan.model.as_str(),
        inv.currency,
        inv.direction
    );
    let mut lines: Vec<Vec<String>> = inv
        .lines
        .iter()
        .map(|l| {
            vec![
                l.description.clone(),
                format!("{} {}", l.quantity, l.unit),
                l.unit_price.to_string(),
                l.amount.to_string(),
            ]
        })
        .collect();
    lines.push(vec![
        String::new(),
        String::new(),
        format!("total {}", inv.currency),
        inv.total.to_string(),
    ]);
    text.push_str(&table(
        &["LINE", "QUANTITY", "UNIT PRICE", "AMOUNT"],
        &lines,
    ));
    let gaps: Vec<String> = w
        .gaps
        .iter()
        .map(|g| format!("{}..{} ({})", utc_text(g.from), utc_text(g.to), g.periods))
        .collect();
    let mut working = vec![
        ("periods (N)", w.periods.to_string()),
        (
            "samples",
            format!(
                "{}; {} missing, counted as zero traffic",
                w.samples, w.missing
            ),
        ),
        (
            "rank",
            format!(
                "{} = ceil(0.95 x {}); the {} highest are discarded",
                w.rank,
                w.periods,
                w.periods - w.rank
            ),
        ),
        (
            "95th in/out/sum",
            format!(
                "{} / {} / {} Mbps ({} / {} / {} bytes in the period at the rank)",
                w.p95_in_mbps,
                w.p95_out_mbps,
                w.p95_sum_mbps,
                w.p95_in_bytes,
                w.p95_out_bytes,
                w.p95_sum_bytes
            ),
        ),
        (
            "95th billed",
            format!("{} Mbps ({})", w.p95_mbps, inv.direction),
        ),
        (
            "transfer in/out",
            format!(
                "{} / {} GB ({} / {} bytes)",
                w.in_gb, w.out_gb, w.in_bytes, w.out_bytes
            ),
        ),
    ];
    if !gaps.is_empty() {
        let more = if w.gap_runs > gaps.len() {
            format!(" ... ({} runs in all)", w.gap_runs)
        } else {
            String::new()
        };
        working.insert(2, ("gaps (UTC)", format!("{}{more}", gaps.join(", "))));
    }
    if let (Some(commit), Some(over)) = (w.commit_mbps, w.over_commit_mbps) {
        working.push((
            "commit",
            format!("{commit} Mbps; 95th above it {over} Mbps"),
        ));
    }
    if let Some(billable) = w.billable_gb {
        working.push((
            "transfer billed",
            format!(
                "{} GB ({}), {billable} GB beyond the {} GB included",
                w.transfer_gb, inv.direction, i.plan.included_gb
            ),
        ));
    }
    let _ = write!(
        text,
        "\nworking (rate = bytes x 8 / 300 s; Mbps = 10^6 bit/s; GB = 10^9 bytes)\n{}",
        rows(&working)
    );
    text
}
