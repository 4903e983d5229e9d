//! Confirming a plan: Enter sends the plan the dry run returned, and a refusal because
//! the tree changed meanwhile brings the new plan, never a different change unasked.

use crossterm::event::KeyCode;

use super::tests::{key, loaded, net};
use crate::error::{Error, ErrorKind};
use crate::service::plan::Plan;
use crate::tui::dialog::Dialog;
use crate::tui::ops::{Effect, Msg, Op, Outcome};

fn release_plan(customer: &str) -> Outcome {
    Outcome {
        summary: "release 203.0.113.0/24".into(),
        events: vec![(
            "holds",
            format!("203.0.113.0/24 allocated, customer {customer}"),
        )],
        select: None,
        confirm: None,
        plan: Some(Plan {
            steps: vec![("release", Some(net("203.0.113.0/24")))],
            seen: Some(7),
        }),
    }
}

fn run_of(effects: &[Effect]) -> (u64, Op, Option<Plan>) {
    match effects.first() {
        Some(Effect::Run { id, op, plan }) => (*id, op.clone(), plan.clone()),
        other => panic!("not a run: {other:?}"),
    }
}

#[test]
fn enter_runs_the_plan_shown_and_a_changed_tree_brings_the_new_plan() {
    let mut app = loaded();
    let (id, op, _) = run_of(&app.update(key(KeyCode::Char('r'))));
    assert!(op.is_dry_run());
    app.update(Msg::Done {
        id,
        op,
        result: Ok(release_plan("cust-7421")),
    });
    let (id, confirmed, plan) = run_of(&app.update(key(KeyCode::Enter)));
    assert!(!confirmed.is_dry_run());
    assert_eq!(
        plan,
        release_plan("cust-7421").plan,
        "the plan shown goes along"
    );

    let refusal = Error::new(
        ErrorKind::Changed,
        "203.0.113.0/24 changed since the plan (journal #9): nothing was done",
    );
    let effects = app.update(Msg::Done {
        id,
        op: confirmed,
        result: Err(refusal),
    });
    let (id, again, plan) = run_of(&effects);
    assert!(again.is_dry_run(), "planned again, not run: {again:?}");
    assert!(plan.is_none());
    app.update(Msg::Done {
        id,
        op: again,
        result: Ok(release_plan("cust-7422")),
    });
    let Some(Dialog::Plan { lines, .. }) = &app.dialog else {
        panic!("no new plan: {:?}", app.dialog)
    };
    assert_eq!(lines[0].0, "changed");
    assert!(lines[0].1.contains("changed since the plan"), "{lines:?}");
    assert!(lines[1].1.contains("cust-7422"), "{lines:?}");
    assert!(
        app.status.text.starts_with("the tree changed"),
        "{}",
        app.status.text
    );
}
