//! Reloads: after a refresh or a change made elsewhere, the tree comes back as it was
//! and the selection's detail is read again.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::tests::{key, level, loaded, net, selected, view};
use crate::error::Error;
use crate::service::browse::Detail;
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use crate::tui::ops::{Effect, Msg};
use crate::tui::tree::Key;

#[test]
fn a_refresh_keeps_the_selection_and_what_was_unfolded_and_drops_stale_levels() {
    let mut app = loaded();
    let root = Some(Key::Subnet(net("203.0.113.0/24")));
    app.update(key(KeyCode::Char('l')));
    let children = || {
        level(vec![
            view("203.0.113.0/25", "allocated"),
            view("203.0.113.128/25", "unallocated"),
        ])
    };
    app.update(Msg::Level {
        parent: root,
        generation: app.generation(),
        result: Ok(children()),
    });
    app.update(key(KeyCode::Char('j')));
    app.update(key(KeyCode::Char('j')));
    let selected_before = selected(&app);
    assert_eq!(selected_before, Some(Key::Subnet(net("203.0.113.128/25"))));
    // Two refreshes in a row: the first one's answers are for an older tree.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    let old = app.generation();
    app.update(key(KeyCode::F(5)));
    assert!(app.generation() > old);
    let roots = || {
        level(vec![
            view("203.0.113.0/24", "subdivided"),
            view("2001:db8::/32", "unallocated"),
        ])
    };
    assert!(
        app.update(Msg::Level {
            parent: None,
            generation: old,
            result: Ok(roots())
        })
        .is_empty()
    );
    assert!(app.tree.is_empty(), "a stale level is dropped");
    let effects = app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots()),
    });
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadLevel { parent: p, .. } if *p == root)),
        "the unfolded root is loaded again: {effects:?}"
    );
    app.update(Msg::Level {
        parent: root,
        generation: app.generation(),
        result: Ok(children()),
    });
    assert_eq!(
        selected(&app),
        selected_before,
        "the selection survives the reload"
    );
}

#[test]
fn a_change_elsewhere_during_a_request_reloads_when_it_ends() {
    let mut app = App::new(Keymap::default(), "test".into(), (80, 24));
    app.start();
    let roots = level(vec![view("2001:db8::/32", "unallocated")]);
    let effects = app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots),
    });
    let Some(Effect::LoadDetail { id, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    assert_eq!(app.pending, 1);
    assert!(
        app.update(Msg::External).is_empty(),
        "not while a request is in flight"
    );
    let effects = app.update(Msg::Detail {
        id,
        result: Err(Error::internal("no database here")),
    });
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadLevel { parent: None, .. })),
        "the remembered change reloads once nothing is pending: {effects:?}"
    );
}

#[test]
fn a_change_elsewhere_reads_the_selections_detail_again() {
    let mut app = App::new(Keymap::default(), "test".into(), (80, 24));
    app.start();
    let roots = || level(vec![view("2001:db8::/32", "unallocated")]);
    let effects = app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots()),
    });
    let Some(Effect::LoadDetail { id, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    let detail = Detail {
        subnet: view("2001:db8::/32", "unallocated"),
        address: None,
        ancestors: Vec::new(),
        journal: Vec::new(),
        last_change: None,
        vlans: Vec::new(),
        ptrs: Vec::new(),
    };
    app.update(Msg::Detail {
        id,
        result: Ok(Box::new(detail)),
    });
    // Elsewhere, something about the selected block changed (its rDNS, its holder).
    app.update(Msg::External);
    let effects = app.update(Msg::Level {
        parent: None,
        generation: app.generation(),
        result: Ok(roots()),
    });
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadDetail { .. })),
        "the detail shown may be out of date: read it again: {effects:?}"
    );
}
