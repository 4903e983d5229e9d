//! Themes: bundled TOML files mapping semantic slots (allocated, free, parked, ...) to
//! ratatui styles. A theme that fails to parse is an error naming the theme and the key,
//! never a silent fallback. `NO_COLOR` keeps modifiers and drops every colour.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Every slot a view may ask for. A theme must define each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    Allocated,
    Free,
    Parked,
    Reserved,
    Subdivided,
    Selected,
    Error,
    StatusBar,
    Title,
    Border,
}

const ALL_SLOTS: [Slot; 10] = [
    Slot::Allocated,
    Slot::Free,
    Slot::Parked,
    Slot::Reserved,
    Slot::Subdivided,
    Slot::Selected,
    Slot::Error,
    Slot::StatusBar,
    Slot::Title,
    Slot::Border,
];

/// Themes shipped inside the binary.
pub const BUNDLED: [(&str, &str); 2] = [
    ("default", include_str!("../../themes/default.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Slot, Style>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    slots: BTreeMap<Slot, SlotFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotFile {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

impl Theme {
    /// A bundled theme by name; `no_color` as from the `NO_COLOR` convention.
    pub fn bundled(name: &str, no_color: bool) -> Result<Theme> {
        let (_, text) = BUNDLED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
            Error::config(format!(
                "theme {name:?} does not exist (bundled: {})",
                names.join(", ")
            ))
        })?;
        Theme::parse(name, text, no_color)
    }

    pub fn parse(origin: &str, text: &str, no_color: bool) -> Result<Theme> {
        let fail = |msg: String| Error::config(format!("theme {origin}: {msg}"));
        let file: ThemeFile = toml::from_str(text).map_err(|e| fail(e.message().to_owned()))?;
        let mut styles = BTreeMap::new();
        for (slot, spec) in file.slots {
            let key = format!("slots.{}", slot_name(slot));
            let style = spec
                .to_style(no_color)
                .map_err(|m| fail(format!("{key}: {m}")))?;
            styles.insert(slot, style);
        }
        if let Some(missing) = ALL_SLOTS.iter().find(|s| !styles.contains_key(s)) {
            return Err(fail(format!("slots.{} is missing", slot_name(*missing))));
        }
        Ok(Theme {
            name: file.name,
            styles,
        })
    }

    pub fn style(&self, slot: Slot) -> Style {
        self.styles.get(&slot).copied().unwrap_or_default()
    }
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
pub fn no_color_requested(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

fn slot_name(slot: Slot) -> String {
    format!("{slot:?}")
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
            sep.into_iter()
                .chain(std::iter::once(c.to_ascii_lowercase()))
        })
        .collect()
}

impl SlotFile {
    fn to_style(&self, no_color: bool) -> std::result::Result<Style, String> {
        let mut style = Style::default();
        let colour = |v: &String| {
            Color::from_str(v).map_err(|_| format!("{v:?} is not a colour name or #rrggbb"))
        };
        if let Some(fg) = &self.fg {
            let c = colour(fg)?;
            if !no_color {
                style = style.fg(c);
            }
        }
        if let Some(bg) = &self.bg {
            let c = colour(bg)?;
            if !no_color {
                style = style.bg(c);
            }
        }
        for name in &self.modifiers {
            style = style.add_modifier(modifier(name)?);
        }
        Ok(style)
    }
}

fn modifier(name: &str) -> std::result::Result<Modifier, String> {
    Ok(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        other => {
            return Err(format!(
                "{other:?} is not a modifier (bold, dim, italic, underlined, reversed)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_theme_defines_every_slot() {
        for (name, _) in BUNDLED {
            let theme = Theme::bundled(name, false).unwrap();
            assert_eq!(theme.name, name);
        }
        let default = Theme::bundled("default", false).unwrap();
        assert_eq!(default.style(Slot::Allocated).fg, Some(Color::Green));
        assert!(
            default
                .style(Slot::Selected)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn no_color_drops_colours_and_keeps_modifiers() {
        let theme = Theme::bundled("default", true).unwrap();
        let error = theme.style(Slot::Error);
        assert_eq!(error.fg, None);
        assert!(error.add_modifier.contains(Modifier::BOLD));
        assert!(no_color_requested(Some("1")));
        assert!(!no_color_requested(Some("")));
        assert!(!no_color_requested(None));
    }

    #[test]
    fn bad_themes_name_the_key() {
        let base = BUNDLED[0].1;
        let bad_colour = base.replace("fg = \"green\"", "fg = \"greeen\"");
        let err = Theme::parse("t.toml", &bad_colour, false).unwrap_err();
        assert!(err.message.contains("slots.allocated"), "{err}");
        assert!(err.message.contains("greeen"), "{err}");

        let missing = base.replace("border     = { fg = \"gray\" }", "");
        let err = Theme::parse("t.toml", &missing, false).unwrap_err();
        assert!(err.message.contains("slots.border is missing"), "{err}");

        let unknown = format!("{base}\nsparkle = {{}}\n");
        assert!(Theme::parse("t.toml", &unknown, false).is_err());
        assert!(
            Theme::bundled("neon", false)
                .unwrap_err()
                .message
                .contains("bundled: default, mono")
        );
    }
}
