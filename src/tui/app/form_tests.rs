//! Forms: what they offer first, and how typing edits them.

use crossterm::event::KeyCode;

use super::tests::{key, loaded};
use crate::tui::dialog::Dialog;
use crate::tui::ops::{Effect, Op};

fn typed(app: &mut super::App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.update(key(KeyCode::Char(c))))
        .collect()
}

fn field(app: &super::App, label: &str) -> String {
    let Some(Dialog::Form(form)) = &app.dialog else {
        panic!("no form: {:?}", app.dialog)
    };
    let f = form.fields.iter().find(|f| f.label == label).expect(label);
    f.value.clone()
}

#[test]
fn allocate_on_a_free_leaf_offers_the_leaf_and_typing_replaces_what_is_offered() {
    let mut app = loaded();
    // The second root, 2001:db8::/32, is a free leaf.
    app.update(key(KeyCode::Char('j')));
    app.update(key(KeyCode::Char('a')));
    assert_eq!(field(&app, "length"), "32", "take this block first");
    assert_eq!(field(&app, "pool"), "2001:db8::/32");
    typed(&mut app, "48");
    assert_eq!(field(&app, "length"), "48", "typed over, not appended");
    // Backspace edits a value instead; a field reached again is offered anew.
    app.update(key(KeyCode::Backspace));
    assert_eq!(field(&app, "length"), "4");
    for _ in 0..6 {
        app.update(key(KeyCode::Tab));
    }
    typed(&mut app, "uplink to AMS");
    app.update(key(KeyCode::Tab));
    typed(&mut app, "transit");
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run {
        op: Op::Allocate(request),
        ..
    }) = effects.first()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(request.description.as_deref(), Some("uplink to AMS"));
    assert_eq!(request.purpose.as_deref(), Some("transit"));
    assert!(matches!(
        request.target,
        crate::service::allocate::Target::Length { len: 4, .. }
    ));
}

fn palette_line(app: &super::App) -> String {
    app.prompt
        .as_ref()
        .map(|p| p.line.clone())
        .unwrap_or_default()
}

#[test]
fn the_palette_refuses_database_commands_recalls_lines_completes_and_plans_changes() {
    let mut app = loaded();
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "demo");
    assert!(
        app.update(key(KeyCode::Enter)).is_empty(),
        "demo is never run"
    );
    assert!(app.status.error && app.status.text.starts_with(":demo is not run"));

    // Tab completes verbs; Up brings back the line run before.
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "sub");
    app.update(key(KeyCode::Tab));
    typed(&mut app, "rel");
    app.update(key(KeyCode::Tab));
    assert_eq!(palette_line(&app), "subnet release ");
    typed(&mut app, "203.0.113.0/26");
    // A change: its dry run first, the plan shown, Enter runs it for real.
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Palette { id, args }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        args,
        [
            "subnet",
            "release",
            "203.0.113.0/26",
            "--dry-run",
            "--print-plan"
        ]
    );
    app.update(crate::tui::ops::Msg::Palette {
        id,
        ok: true,
        output: "would have released 203.0.113.0/26\ncarve-plan: 0123abcd\n".into(),
    });
    let Some(Dialog::Text {
        text, run: Some(_), ..
    }) = &app.dialog
    else {
        panic!("no plan to confirm: {:?}", app.dialog)
    };
    assert_eq!(text, "would have released 203.0.113.0/26");
    // Enter runs it held to the plan shown.
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Palette { args, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        args,
        &[
            "subnet",
            "release",
            "203.0.113.0/26",
            "--expect-plan",
            "0123abcd"
        ]
    );

    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char(':')));
    app.update(key(KeyCode::Up));
    assert_eq!(palette_line(&app), "subnet release 203.0.113.0/26");
    app.update(key(KeyCode::Up));
    assert_eq!(palette_line(&app), "demo");
    app.update(key(KeyCode::Down));
    assert_eq!(palette_line(&app), "subnet release 203.0.113.0/26");
}

/// An app whose one root is a pool, unfolded to its one address, which is selected.
fn on_address(reserved: bool) -> super::App {
    use super::tests::{level, net, view};
    use crate::service::view::IpView;
    let mut app = super::App::new(Default::default(), "test".into(), (80, 24));
    app.start();
    let mut pool = view("198.51.100.0/29", "allocated");
    pool.pool = true;
    let generation = app.generation();
    app.update(crate::tui::ops::Msg::Level {
        parent: None,
        generation,
        result: Ok(level(vec![pool])),
    });
    app.update(key(KeyCode::Char('l')));
    let ip = IpView {
        address: "198.51.100.3".parse().unwrap(),
        subnet: net("198.51.100.0/29"),
        status: if reserved { "reserved" } else { "allocated" },
        parked: false,
        parked_reason: None,
        reserved,
        reserve_reason: reserved.then(|| "DHCP".to_owned()),
        customer: None,
        device: None,
        service: None,
        vlan: None,
        purpose: None,
        rdns: None,
        rdns_updated_at: None,
        description: None,
        allocation_id: None,
        cooldown_left: None,
    };
    let mut addresses = level(Vec::new());
    addresses.addresses = vec![ip];
    let generation = app.generation();
    app.update(crate::tui::ops::Msg::Level {
        parent: Some(crate::tui::tree::Key::Subnet(net("198.51.100.0/29"))),
        generation,
        result: Ok(addresses),
    });
    app.update(key(KeyCode::Char('j')));
    app
}

#[test]
fn r_on_an_address_asks_why_then_shows_the_plan_and_enter_reserves_it() {
    use crate::service::plan::Plan;
    use crate::tui::ops::{Msg, Outcome};
    let mut app = on_address(false);
    app.update(key(KeyCode::Char('R')));
    assert_eq!(field(&app, "reason"), "");
    typed(&mut app, "DHCP range");
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run { id, op, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    let Op::ReserveIp {
        address,
        reason,
        dry_run: true,
    } = &op
    else {
        panic!("not a planned reservation: {op:?}")
    };
    assert_eq!(address.to_string(), "198.51.100.3");
    assert_eq!(reason.as_deref(), Some("DHCP range"));
    let plan = Plan {
        steps: vec![("reserve", Some("198.51.100.3/32".parse().unwrap()))],
        seen: None,
    };
    let mut outcome = Outcome::said("reserve 198.51.100.3 (DHCP range)".into());
    outcome.plan = Some(plan.clone());
    app.update(Msg::Done {
        id,
        op,
        result: Ok(outcome),
    });
    assert!(
        matches!(app.dialog, Some(Dialog::Plan { .. })),
        "{:?}",
        app.dialog
    );
    let effects = app.update(key(KeyCode::Enter));
    let Some(Effect::Run {
        op: Op::ReserveIp {
            dry_run: false,
            reason,
            ..
        },
        plan: held,
        ..
    }) = effects.first()
    else {
        panic!("Enter did not reserve: {effects:?}")
    };
    assert_eq!(reason.as_deref(), Some("DHCP range"));
    assert_eq!(held.as_ref(), Some(&plan), "held to the plan shown");
}

#[test]
fn r_on_a_reserved_address_plans_freeing_it() {
    let mut app = on_address(true);
    let effects = app.update(key(KeyCode::Char('R')));
    assert!(
        matches!(
            effects.first(),
            Some(Effect::Run {
                op: Op::ReserveIp {
                    reason: None,
                    dry_run: true,
                    ..
                },
                ..
            })
        ),
        "{effects:?}"
    );
}
