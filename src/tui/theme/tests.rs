use super::*;

fn dark_text() -> &'static str {
    BUNDLED[0].1
}

fn message(result: Result<Theme>) -> String {
    result.unwrap_err().message
}

#[test]
fn every_bundled_theme_defines_every_slot_in_16_colours() {
    assert_eq!(bundled_names(), ["dark", "light", "high-contrast", "mono"]);
    assert_eq!(bundled_names()[0], DEFAULT_THEME);
    for (name, text) in BUNDLED {
        let theme = Theme::load(name, false).unwrap();
        assert_eq!(theme.name, name);
        for slot in ALL_SLOTS {
            assert!(
                text.contains(&format!("\n{:<10} =", slot.name())),
                "{name}: {slot:?}"
            );
            let style = theme.style(slot);
            for colour in [style.fg, style.bg].into_iter().flatten() {
                assert!(
                    !matches!(colour, Color::Rgb(..) | Color::Indexed(_)),
                    "{name}: {slot:?} uses {colour:?}, not one of the 16 colours"
                );
            }
        }
    }
    let dark = Theme::load("dark", false).unwrap();
    assert_eq!(dark.style(Slot::Allocated).fg, Some(Color::Green));
    assert!(
        dark.style(Slot::Selected)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn slot_names_round_trip() {
    for slot in ALL_SLOTS {
        assert_eq!(Slot::from_name(slot.name()), Some(slot));
    }
    assert_eq!(Slot::from_name("status_bar"), Some(Slot::StatusBar));
    assert_eq!(Slot::from_name("StatusBar"), None);
}

#[test]
fn default_is_another_name_for_dark() {
    let theme = Theme::load("default", false).unwrap();
    assert_eq!(theme.name, "dark");
    assert_eq!(
        theme.style(Slot::Parked),
        Theme::load("dark", false).unwrap().style(Slot::Parked)
    );
}

#[test]
fn a_user_theme_loads_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = dark_text()
        .replace("name = \"dark\"", "name = \"mine\"")
        .replace(
            "parked     = { fg = \"yellow\" }",
            "parked = { fg = \"#ff8800\", modifiers = [\"italic\"] }",
        );
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, text).unwrap();
    let theme = Theme::load(path.to_str().unwrap(), false).unwrap();
    assert_eq!(theme.name, "mine");
    let parked = theme.style(Slot::Parked);
    assert_eq!(parked.fg, Some(Color::Rgb(0xff, 0x88, 0x00)));
    assert!(parked.add_modifier.contains(Modifier::ITALIC));

    let gone = dir.path().join("gone.toml");
    let err = message(Theme::load(gone.to_str().unwrap(), false));
    assert!(
        err.starts_with(&format!("theme {}: cannot read", gone.display())),
        "{err}"
    );
    // A bare name ending in .toml is a path too, never looked up among the bundled.
    assert!(is_path_spec("dark.toml") && is_path_spec("./dark") && !is_path_spec("dark"));
    assert!(message(Theme::load("dark.toml", false)).contains("cannot read"));
}

#[test]
fn bad_colour_names_file_slot_key_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.toml");
    std::fs::write(
        &path,
        dark_text().replace("fg = \"yellow\"", "fg = \"purpel\""),
    )
    .unwrap();
    let err = message(Theme::load(path.to_str().unwrap(), false));
    let expected = format!(
        "theme {}: slots.parked.fg: \"purpel\" is not a colour",
        path.display()
    );
    assert!(err.starts_with(&expected), "{err}");

    let bad_bg = dark_text().replace("bg = \"gray\"", "bg = \"grey!\"");
    let err = message(Theme::parse("t.toml", &bad_bg, false));
    assert!(
        err.starts_with("theme t.toml: slots.status_bar.bg: \"grey!\""),
        "{err}"
    );
    // Even with colour off, a bad colour is an error: the file is wrong either way.
    assert!(Theme::parse("t.toml", &bad_bg, true).is_err());

    let bad_modifier = dark_text().replace("[\"bold\"] }\nborder", "[\"blink\"] }\nborder");
    let err = message(Theme::parse("t.toml", &bad_modifier, false));
    assert!(
        err.contains("slots.title.modifiers: \"blink\" is not a modifier"),
        "{err}"
    );
}

#[test]
fn unknown_and_missing_slots_are_named() {
    let unknown = dark_text().replace("muted      =", "mutted =");
    let err = message(Theme::parse("t.toml", &unknown, false));
    assert!(
        err.starts_with("theme t.toml: slots.mutted: not a slot (slots: allocated,"),
        "{err}"
    );

    let missing = dark_text().replace("border     = { fg = \"gray\" }", "");
    let err = message(Theme::parse("t.toml", &missing, false));
    assert_eq!(err, "theme t.toml: slots.border is missing");
}

#[test]
fn unknown_keys_are_refused_and_named() {
    let top = format!("{}\n[extras]\nsparkle = true\n", dark_text());
    let err = message(Theme::parse("t.toml", &top, false));
    assert!(err.starts_with("theme t.toml: "), "{err}");
    assert!(err.contains("unknown field `extras`"), "{err}");

    let in_slot = dark_text().replace("key        = { fg", "key = { colour");
    let err = message(Theme::parse("t.toml", &in_slot, false));
    assert!(err.contains("slots.key: unknown field `colour`"), "{err}");

    let not_a_table = dark_text().replace(
        "dialog     = { fg = \"reset\", bg = \"reset\" }",
        "dialog = \"reset\"",
    );
    let err = message(Theme::parse("t.toml", &not_a_table, false));
    assert!(err.contains("slots.dialog: must be a table"), "{err}");

    let no_name = dark_text().replace("name = \"dark\"", "");
    assert!(message(Theme::parse("t.toml", &no_name, false)).contains("`name`"));
    let syntax = dark_text().replace("[slots]", "[slots");
    let err = message(Theme::parse("t.toml", &syntax, false));
    assert!(err.starts_with("theme t.toml: 8:"), "{err}");
}

#[test]
fn unknown_bundled_name_lists_the_themes() {
    let err = message(Theme::load("neon", false));
    assert!(err.starts_with("theme \"neon\" does not exist"), "{err}");
    assert!(
        err.contains("bundled: dark, light, high-contrast, mono"),
        "{err}"
    );
}

#[test]
fn no_color_drops_colours_and_keeps_modifiers() {
    for (name, _) in BUNDLED {
        let theme = Theme::load(name, true).unwrap();
        for slot in ALL_SLOTS {
            let style = theme.style(slot);
            assert_eq!((style.fg, style.bg), (None, None), "{name}: {slot:?}");
        }
    }
    let error = Theme::load("dark", true).unwrap().style(Slot::Error);
    assert!(error.add_modifier.contains(Modifier::BOLD));
    assert!(no_color_requested(Some("1")));
    assert!(!no_color_requested(Some("")));
    assert!(!no_color_requested(None));
}
