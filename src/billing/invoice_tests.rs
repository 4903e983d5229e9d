//! Invoices worked out by hand for every model and direction, and properties of the 95th.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::cycle::{Cycle, PERIOD, Series, p95};
use super::invoice::{self, Invoice};
use super::plan::{Direction, Model, Plan, Tier};

/// Bytes in one period at `mbps` (x 37.5 MB).
fn mbps(mbps: u64) -> u64 {
    mbps * 37_500_000
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn series(cycle: &str, mut bytes: impl FnMut(usize) -> Option<(u64, u64)>) -> Series {
    let cycle = Cycle::parse(cycle).unwrap();
    let mut s = Series::new(cycle);
    for i in 0..cycle.periods() {
        if let Some((i_bytes, o_bytes)) = bytes(i) {
            assert!(s.add(cycle.start() + i as i64 * PERIOD, i_bytes, o_bytes));
        }
    }
    s
}

fn plan(model: Model) -> Plan {
    Plan::new("t", model, "EUR")
}

fn p95_plan(price: &str) -> Plan {
    Plan {
        price_per_mbps: Some(d(price)),
        ..plan(Model::P95)
    }
}

fn tiers(list: &[&str]) -> Vec<Tier> {
    list.iter().map(|t| Tier::parse(t).unwrap()).collect()
}

fn bill(plan: &Plan, direction: Direction, series: &Series) -> Invoice {
    invoice::compute(plan, direction, series).unwrap()
}

fn amounts(invoice: &Invoice) -> Vec<String> {
    invoice
        .lines
        .iter()
        .map(|l| format!("{} {}", l.description, l.amount))
        .collect()
}

#[test]
fn p95_discards_exactly_the_top_five_percent() {
    // November: N = 8640, rank 8208. 432 samples at 1000 Mbps are the top 5 %.
    let top = |n: usize| {
        series("2026-11", move |i| {
            Some((if i < n { mbps(1000) } else { mbps(100) }, 0))
        })
    };
    let inv = bill(&p95_plan("2.50"), Direction::In, &top(432));
    assert_eq!((inv.working.periods, inv.working.rank), (8640, 8208));
    assert_eq!(inv.working.p95_mbps, d("100"));
    assert_eq!(inv.total, d("250.00"));
    // One more high sample and the 95th is the high value.
    let inv = bill(&p95_plan("2.50"), Direction::In, &top(433));
    assert_eq!(inv.working.p95_mbps, d("1000"));
    assert_eq!(inv.total, d("2500.00"));
}

#[test]
fn n_not_a_multiple_of_twenty() {
    // January: 31 days, N = 8928, rank ceil(8481.6) = 8482; 446 samples above it.
    let top = |n: usize| {
        series("2027-01", move |i| {
            Some((0, if i >= 8928 - n { mbps(900) } else { mbps(40) }))
        })
    };
    let inv = bill(&p95_plan("1"), Direction::Out, &top(446));
    assert_eq!((inv.working.periods, inv.working.rank), (8928, 8482));
    assert_eq!(inv.working.p95_mbps, d("40"));
    assert_eq!(
        bill(&p95_plan("1"), Direction::Out, &top(447))
            .working
            .p95_mbps,
        d("900")
    );
    // February 2026: N = 8064, rank ceil(7660.8) = 7661.
    let feb = bill(
        &p95_plan("1"),
        Direction::In,
        &series("2026-02", |_| Some((1, 1))),
    );
    assert_eq!((feb.working.periods, feb.working.rank), (8064, 7661));
}

#[test]
fn every_direction() {
    // In peaks (200) in the first 1000 periods, out (150) in the last 1000; 10 otherwise.
    let s = series("2026-11", |i| {
        let i_mbps = if i < 1000 { 200 } else { 10 };
        let o_mbps = if i >= 8640 - 1000 { 150 } else { 10 };
        Some((mbps(i_mbps), mbps(o_mbps)))
    });
    let billed = |d: Direction| bill(&p95_plan("1.00"), d, &s);
    assert_eq!(billed(Direction::In).total, d("200.00"));
    assert_eq!(billed(Direction::Out).total, d("150.00"));
    assert_eq!(billed(Direction::Max).total, d("200.00"));
    // Per period: 210 (first 1000), 160 (last 1000), 20 (6640): rank 8208 is past 7640.
    let sum = billed(Direction::Sum);
    assert_eq!(sum.total, d("210.00"));
    let w = &sum.working;
    assert_eq!(
        (w.p95_in_mbps, w.p95_out_mbps, w.p95_sum_mbps),
        (d("200"), d("150"), d("210"))
    );
}

#[test]
fn all_zero_traffic_and_a_single_spike() {
    let zero = series("2026-11", |_| Some((0, 0)));
    let spike = series("2026-11", |i| {
        Some(if i == 4000 {
            (mbps(10_000), mbps(10_000))
        } else {
            (0, 0)
        })
    });
    let commit = Plan {
        commit_mbps: Some(d("100")),
        commit_price: Some(d("1.20")),
        burst_price_per_mbps: Some(d("3")),
        ..plan(Model::CommitBurst)
    };
    for s in [&zero, &spike] {
        assert_eq!(bill(&p95_plan("2"), Direction::Max, s).total, d("0.00"));
        assert_eq!(bill(&commit, Direction::Max, s).total, d("120.00"));
    }
    assert_eq!(
        bill(&p95_plan("2"), Direction::Max, &spike).working.in_gb,
        d("375")
    );
}

#[test]
fn missing_samples_count_as_zero_and_are_listed() {
    // 8000 samples at 50 Mbps, 640 missing: the 95th (rank 8208) is still 50.
    let most = series("2026-11", |i| (i >= 640).then_some((mbps(50), 0)));
    let inv = bill(&p95_plan("1"), Direction::In, &most);
    assert_eq!((inv.working.samples, inv.working.missing), (8000, 640));
    assert_eq!(inv.working.gaps.len(), 1);
    assert_eq!(inv.working.gaps[0].periods, 640);
    assert_eq!(inv.total, d("50.00"));
    // Only 400 samples: 8240 zeros fill the ranks up to 8208.
    let few = series("2026-11", |i| (i < 400).then_some((mbps(50), 0)));
    assert_eq!(bill(&p95_plan("1"), Direction::In, &few).total, d("0.00"));
}

#[test]
fn commit_and_burst_with_a_price_or_tiers() {
    let at = |m: u64| series("2026-11", move |_| Some((mbps(m), mbps(m / 2))));
    let burst = Plan {
        commit_mbps: Some(d("100")),
        commit_price: Some(d("1.00")),
        burst_price_per_mbps: Some(d("3.00")),
        ..plan(Model::CommitBurst)
    };
    let inv = bill(&burst, Direction::Max, &at(250));
    assert_eq!(
        amounts(&inv),
        ["commit 100.00", "burst above commit (max) 450.00"]
    );
    assert_eq!(inv.working.over_commit_mbps, Some(d("150")));
    assert_eq!(bill(&burst, Direction::Max, &at(40)).total, d("100.00"));
    let tiered = Plan {
        burst_price_per_mbps: None,
        tiers: tiers(&["100:2.00", "rest:1.50"]),
        ..burst
    };
    let inv = bill(&tiered, Direction::Max, &at(250));
    assert_eq!(
        amounts(&inv),
        [
            "commit 100.00",
            "burst above commit (max), first 100 Mbps 200.00",
            "burst above commit (max), above 100 Mbps 75.00"
        ]
    );
    assert_eq!(inv.total, d("375.00"));
}

#[test]
fn transfer_through_tiers_across_their_boundaries() {
    // 300 GB in, 700 GB out: 7000 periods of 100 MB out, 3000 of 100 MB in.
    let s = series("2026-11", |i| {
        Some((
            if i < 3000 { 100_000_000 } else { 0 },
            if i < 7000 { 100_000_000 } else { 0 },
        ))
    });
    let transfer = Plan {
        included_gb: d("50"),
        tiers: tiers(&["100:0.05", "500:0.04", "rest:0.03"]),
        ..plan(Model::Transfer)
    };
    let out = bill(&transfer, Direction::Out, &s);
    assert_eq!(
        amounts(&out),
        [
            "included transfer 0.00",
            "transfer (out), first 100 GB 5.00",
            "transfer (out), 100 to 500 GB 16.00",
            "transfer (out), above 500 GB 4.50",
        ]
    );
    assert_eq!(out.working.billable_gb, Some(d("650")));
    assert_eq!(out.total, d("25.50"));
    assert_eq!(bill(&transfer, Direction::Max, &s).total, d("25.50"));
    assert_eq!(bill(&transfer, Direction::Sum, &s).total, d("34.50"));
    // 300 GB in: 250 billable, 100 x 0.05 + 150 x 0.04.
    assert_eq!(bill(&transfer, Direction::In, &s).total, d("11.00"));
    // Under the included amount: nothing to pay, the first tier shows with 0.
    let little = series("2026-11", |i| (i == 0).then_some((0, 1_000_000_000)));
    assert_eq!(
        amounts(&bill(&transfer, Direction::Out, &little)),
        [
            "included transfer 0.00",
            "transfer (out), first 100 GB 0.00"
        ]
    );
}

#[test]
fn each_line_is_rounded_half_even_to_the_cent() {
    // 3.08 Mbps x 0.125 = 0.385 -> 0.38 (half-up would say 0.39); 0.375 -> 0.38.
    let commit = |c: &str| Plan {
        commit_mbps: Some(d(c)),
        commit_price: Some(d("0.125")),
        burst_price_per_mbps: Some(d("1")),
        ..plan(Model::CommitBurst)
    };
    let idle = series("2026-11", |_| None);
    assert_eq!(
        bill(&commit("3.08"), Direction::Max, &idle).total,
        d("0.38")
    );
    assert_eq!(bill(&commit("3"), Direction::Max, &idle).total, d("0.38"));
    // 1,234,567,890 bytes per period = 32.921810(4) Mbps; x 0.75 = 24.69.
    let odd = series("2026-11", |_| Some((1_234_567_890, 0)));
    let inv = bill(&p95_plan("0.75"), Direction::In, &odd);
    assert_eq!(inv.lines[0].quantity, d("32.92181"));
    assert_eq!(inv.total, d("24.69"));
    let flat = Plan {
        flat_fee: Some(d("99.995")),
        ..plan(Model::Flat)
    };
    assert_eq!(bill(&flat, Direction::Max, &idle).total, d("100.00"));
    let yen = Plan {
        currency: "JPY".into(),
        ..p95_plan("0.75")
    };
    assert_eq!(bill(&yen, Direction::In, &odd).total, d("25"));
}

#[test]
fn plans_refuse_fields_they_need_or_cannot_use() {
    let faults = |p: Plan| p.check().join("; ");
    assert!(faults(plan(Model::P95)).contains("model p95 needs --price-per-mbps"));
    assert!(
        faults(Plan {
            flat_fee: Some(d("1")),
            ..p95_plan("1")
        })
        .contains("--flat-fee 1 does not apply to model p95")
    );
    assert!(faults(plan(Model::Transfer)).contains("needs at least one --tier"));
    assert!(
        faults(Plan {
            tiers: tiers(&["100:1", "50:1", "rest:1"]),
            ..plan(Model::Transfer)
        })
        .contains("bounds must rise")
    );
    assert!(
        faults(Plan {
            tiers: tiers(&["100:1"]),
            ..plan(Model::Transfer)
        })
        .contains("last tier must be without end")
    );
    assert!(
        faults(Plan {
            tiers: tiers(&["rest:1", "100:1"]),
            ..plan(Model::Transfer)
        })
        .contains("only the last tier")
    );
    let both = Plan {
        commit_mbps: Some(d("1")),
        commit_price: Some(d("1")),
        burst_price_per_mbps: Some(d("1")),
        tiers: tiers(&["rest:1"]),
        ..plan(Model::CommitBurst)
    };
    assert!(faults(both).contains("either --burst-price-per-mbps or --tier"));
    assert!(faults(p95_plan("-1")).contains("is negative"));
    assert!(
        faults(p95_plan("1000000000.01"))
            .contains("--price-per-mbps 1000000000.01 is above the limit of 1000000000")
    );
    let huge = Plan {
        tiers: tiers(&["10000000000000000:1", "rest:1"]),
        ..plan(Model::Transfer)
    };
    assert!(faults(huge).contains("bound 10000000000000000 is above the limit"));
    assert!(p95_plan("1").check().is_empty());
    assert!(Tier::parse("100").is_err() && Tier::parse("x:1").is_err());
}

#[test]
fn an_amount_out_of_range_is_an_error_not_a_panic() {
    // Only a plan written by hand past the checks can get here.
    let absurd = Plan {
        price_per_mbps: Some(Decimal::MAX),
        ..plan(Model::P95)
    };
    let busy = series("2026-11", |_| Some((mbps(1000), 0)));
    let e = invoice::compute(&absurd, Direction::In, &busy).unwrap_err();
    assert!(e.contains("beyond the range"), "{e}");
}

proptest! {
    #[test]
    fn the_95th_lies_between_the_bulk_and_the_maximum(values in proptest::collection::vec(0u64..1_000_000, 1..600)) {
        let v = p95(&values);
        prop_assert!(v <= *values.iter().max().unwrap());
        let at_or_below = values.iter().filter(|x| **x <= v).count();
        let rank = (95 * values.len()).div_ceil(100);
        // At least `rank` samples lie at or under it, and fewer than `rank` strictly under.
        prop_assert!(at_or_below >= rank);
        prop_assert!(values.iter().filter(|x| **x < v).count() < rank);
    }

    #[test]
    fn ingest_order_does_not_change_the_invoice(
        samples in proptest::collection::vec((0usize..8640, 0u64..5_000_000_000, 0u64..5_000_000_000), 0..300),
        seed in any::<u64>(),
    ) {
        let cycle = Cycle::parse("2026-11").unwrap();
        // Last write wins per period in both orders, so keep one sample per period.
        let mut unique = std::collections::BTreeMap::new();
        for (i, a, b) in samples { unique.insert(i, (a, b)); }
        let mut rows: Vec<_> = unique.into_iter().collect();
        let build = |rows: &[(usize, (u64, u64))]| {
            let mut s = Series::new(cycle);
            for (i, (a, b)) in rows { s.add(cycle.start() + *i as i64 * PERIOD, *a, *b); }
            s
        };
        let plan = Plan { tiers: tiers(&["10:0.5", "rest:0.25"]), ..plan(Model::Transfer) };
        let first = build(&rows);
        let mut state = seed | 1;
        for k in (1..rows.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            rows.swap(k, (state % (k as u64 + 1)) as usize);
        }
        let shuffled = build(&rows);
        for d in [Direction::In, Direction::Out, Direction::Max, Direction::Sum] {
            prop_assert_eq!(bill(&plan, d, &first), bill(&plan, d, &shuffled));
            prop_assert_eq!(bill(&p95_plan("1.3"), d, &first), bill(&p95_plan("1.3"), d, &shuffled));
        }
    }
}
