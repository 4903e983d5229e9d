//! The UI's flows as plain data: messages in, state and effects out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ipnet::IpNet;

use crate::engine::Family;
use crate::engine::usage::{LeafCounts, Utilization};
use crate::error::Error;
use crate::service::browse::{Hit, Level};
use crate::service::view::SubnetView;
use crate::tui::app::App;
use crate::tui::dialog::Dialog;
use crate::tui::keymap::Keymap;
use crate::tui::ops::{Effect, Msg, Op, Outcome};
use crate::tui::tree::Key;

pub(super) fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

pub fn view(cidr: &str, status: &'static str) -> SubnetView {
    let cidr = net(cidr);
    let free: &[(u8, u64)] = if status == "unallocated" {
        &[(cidr.prefix_len(), 1)]
    } else {
        &[]
    };
    SubnetView {
        cidr,
        family: Family::of(&cidr).number(),
        status,
        parked: false,
        parked_reason: None,
        parked_above: false,
        location: None,
        effective_location: Some("EU-FRA".into()),
        vlan: None,
        customer: None,
        device: None,
        service: None,
        description: None,
        purpose: None,
        reserve_reason: None,
        pool: false,
        cooldown_left: None,
        utilization: Utilization::of_block(
            &cidr,
            &LeafCounts {
                free: free.to_vec(),
                ..LeafCounts::default()
            },
        ),
        usage_known: status != "subdivided",
        children: None,
    }
}

pub(super) fn level(views: Vec<SubnetView>) -> Level {
    Level {
        subnets: views,
        addresses: Vec::new(),
    }
}

pub(super) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.update(key(KeyCode::Char(c))))
        .collect()
}

/// An app with two roots loaded, the first one subdivided.
pub(super) fn loaded() -> App {
    let mut app = App::new(Keymap::default(), "test".into(), (80, 24));
    let effects = app.start();
    assert!(matches!(
        effects[..],
        [Effect::LoadLevel {
            parent: None,
            full: false,
            ..
        }]
    ));
    let roots = level(vec![
        view("203.0.113.0/24", "subdivided"),
        view("2001:db8::/32", "unallocated"),
    ]);
    app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots),
    });
    app
}

pub(super) fn selected(app: &App) -> Option<Key> {
    app.tree.selected_key()
}

#[test]
fn unfolding_loads_children_lazily_and_folding_steps_out() {
    let mut app = loaded();
    assert_eq!(selected(&app), Some(Key::Subnet(net("203.0.113.0/24"))));
    let effects = app.update(key(KeyCode::Char('l')));
    let parent = Some(Key::Subnet(net("203.0.113.0/24")));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadLevel { parent: p, .. } if *p == parent))
    );
    let children = level(vec![
        view("203.0.113.0/25", "allocated"),
        view("203.0.113.128/25", "unallocated"),
    ]);
    app.update(Msg::Level {
        parent,
        generation: app.generation(),
        result: Ok(children),
    });
    assert_eq!(app.tree.visible_len(), 4);
    app.update(key(KeyCode::Char('j')));
    assert_eq!(selected(&app), Some(Key::Subnet(net("203.0.113.0/25"))));
    // h on a leaf steps out to the parent; h again folds it.
    app.update(key(KeyCode::Char('h')));
    assert_eq!(selected(&app), parent);
    app.update(key(KeyCode::Char('h')));
    assert_eq!(app.tree.visible_len(), 2);
    // Unfolding again needs no load: the children are known.
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::LoadLevel { .. }))
    );
    assert_eq!(app.tree.visible_len(), 4);
    app.update(key(KeyCode::Char('G')));
    assert_eq!(selected(&app), Some(Key::Subnet(net("2001:db8::/32"))));
}

#[test]
fn a_search_reveals_its_hit_and_a_newer_answer_wins() {
    let mut app = loaded();
    app.update(key(KeyCode::Char('/')));
    assert!(app.prompt.is_some());
    typed(&mut app, "203.0.113.70");
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Search { id, query, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(query, "203.0.113.70");
    let hit = Hit {
        path: vec![net("203.0.113.0/24"), net("203.0.113.64/27")],
        address: None,
    };
    // An answer to an older search is dropped.
    assert!(
        app.update(Msg::Searched {
            id: id - 1,
            result: Ok(vec![hit.clone()])
        })
        .is_empty()
    );
    let effects = app.update(Msg::Searched {
        id,
        result: Ok(vec![hit.clone()]),
    });
    let Some(Effect::Reveal { missing, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        missing,
        &vec![Some(net("203.0.113.0/24"))],
        "only the unloaded level"
    );
    let children = level(vec![
        view("203.0.113.0/26", "allocated"),
        view("203.0.113.64/27", "allocated"),
    ]);
    let levels = vec![(Some(Key::Subnet(net("203.0.113.0/24"))), children)];
    let effects = app.update(Msg::Revealed {
        id,
        hit,
        levels,
        error: None,
    });
    assert_eq!(selected(&app), Some(Key::Subnet(net("203.0.113.64/27"))));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::LoadDetail { cidr, .. } if *cidr == net("203.0.113.64/27"))
        )
    );
}

#[test]
fn allocating_shows_the_plan_and_runs_only_when_confirmed() {
    let mut app = loaded();
    app.update(key(KeyCode::Char('a')));
    let Some(Dialog::Form(form)) = &app.dialog else {
        panic!("no form")
    };
    assert_eq!(form.value("pool"), Some("203.0.113.0/24"));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    typed(&mut app, "29");
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run { id, op, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    assert!(op.is_dry_run());
    let Op::Allocate(request) = &op else {
        panic!("{op:?}")
    };
    assert_eq!(request.strategy.as_str(), "split");
    let plan = Outcome {
        summary: "allocate 203.0.113.0/29".into(),
        events: vec![("ipam_subnet_split", "203.0.113.0/24 down to /29".into())],
        select: Some(Key::Subnet(net("203.0.113.0/29"))),
        confirm: None,
        plan: None,
    };
    app.update(Msg::Done {
        id,
        op: op.clone(),
        result: Ok(plan.clone()),
    });
    assert!(matches!(app.dialog, Some(Dialog::Plan { .. })));
    // Typing into the plan goes nowhere (it says so); Esc cancels: nothing runs.
    assert!(typed(&mut app, "/203").is_empty());
    assert!(app.status.text.starts_with("a plan is open"));
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.dialog.is_none());
    // A late answer to the cancelled plan never pops up.
    app.update(Msg::Done {
        id,
        op: op.clone(),
        result: Ok(plan.clone()),
    });
    assert!(app.dialog.is_none(), "a cancelled plan stays cancelled");
    app.update(key(KeyCode::Char('a')));
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run { id, op, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    app.update(Msg::Done {
        id,
        op,
        result: Ok(plan.clone()),
    });
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run {
        id, op: confirmed, ..
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}")
    };
    assert!(!confirmed.is_dry_run());
    let done = Outcome {
        summary: "allocated 203.0.113.0/29".into(),
        ..plan
    };
    let effects = app.update(Msg::Done {
        id,
        op: confirmed,
        result: Ok(done),
    });
    assert_eq!(app.status.text, "allocated 203.0.113.0/29");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadLevel { parent: None, .. })),
        "a reload"
    );
}

#[test]
fn errors_reach_the_status_bar_and_the_form_that_caused_them() {
    let mut app = loaded();
    app.update(key(KeyCode::Char('s')));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    typed(&mut app, "abc");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let Some(Dialog::Form(form)) = &app.dialog else {
        panic!("the form stays")
    };
    assert_eq!(form.error.as_deref(), Some("to: \"abc\" is not a number"));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    typed(&mut app, "26");
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run { id, op, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    let refused = Error::conflict("203.0.113.0/24 is subdivided");
    app.update(Msg::Done {
        id,
        op,
        result: Err(refused),
    });
    assert!(app.status.error);
    assert_eq!(app.status.text, "203.0.113.0/24 is subdivided");
    let Some(Dialog::Form(form)) = &app.dialog else {
        panic!("the form stays")
    };
    assert_eq!(form.error.as_deref(), Some("203.0.113.0/24 is subdivided"));
}

#[test]
fn the_palette_runs_cli_verbs_and_help_and_quit_work() {
    let mut app = loaded();
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "subnet show '203.0.113.0/24'");
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Palette { args, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(args, &["subnet", "show", "203.0.113.0/24"]);
    app.update(key(KeyCode::Char('?')));
    assert!(matches!(app.dialog, Some(Dialog::Help)));
    app.update(key(KeyCode::Char('x')));
    assert!(app.dialog.is_none(), "any key closes help");
    app.update(key(KeyCode::Char('q')));
    assert!(app.quit);
    let mut app = loaded();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.quit);
}

#[test]
fn a_stale_detail_answer_is_dropped() {
    let mut app = loaded();
    let effects = app.update(key(KeyCode::Char('j')));
    let Some(Effect::LoadDetail { id, .. }) = effects
        .iter()
        .find(|e| matches!(e, Effect::LoadDetail { .. }))
        .cloned()
    else {
        panic!("{effects:?}")
    };
    app.update(Msg::Detail {
        id: id - 1,
        result: Err(Error::internal("old")),
    });
    assert!(!app.status.error, "an older answer changes nothing");
}

#[test]
fn esc_backs_out_and_never_quits() {
    let mut app = loaded();
    app.update(key(KeyCode::Esc));
    assert!(!app.quit);
    assert_eq!(app.status.text, "q quits");
}
