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
