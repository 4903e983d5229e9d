//! Themes: TOML files mapping semantic slots (allocated, free, parked, ...) to ratatui
//! styles. Four are bundled (`dark`, the default, `light`, `high-contrast`, `mono`); a
//! user theme is a file in the same format. A theme that fails to load is an error naming
//! the theme and the key, never a silent fallback. `NO_COLOR` keeps modifiers and drops
//! every colour.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Every slot a view may ask for. A theme must define each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Search matches.
    Highlight,
    /// Secondary text: inherited values, hints.
    Muted,
    /// Key names in the help overlay and in dialog hints.
    Key,
    /// The body of a dialog (plan, confirm, edit form).
    Dialog,
}

pub const ALL_SLOTS: [Slot; 14] = [
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
    Slot::Highlight,
    Slot::Muted,
    Slot::Key,
    Slot::Dialog,
];

impl Slot {
    /// The key naming this slot in a theme file.
    pub fn name(self) -> &'static str {
        match self {
            Slot::Allocated => "allocated",
            Slot::Free => "free",
            Slot::Parked => "parked",
            Slot::Reserved => "reserved",
            Slot::Subdivided => "subdivided",
            Slot::Selected => "selected",
            Slot::Error => "error",
            Slot::StatusBar => "status_bar",
            Slot::Title => "title",
            Slot::Border => "border",
            Slot::Highlight => "highlight",
            Slot::Muted => "muted",
            Slot::Key => "key",
            Slot::Dialog => "dialog",
        }
    }

    pub fn from_name(name: &str) -> Option<Slot> {
        ALL_SLOTS.into_iter().find(|s| s.name() == name)
    }
}

/// The theme used when none is configured.
pub const DEFAULT_THEME: &str = "dark";

/// Themes shipped inside the binary.
pub const BUNDLED: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Other names accepted for bundled themes: (alias, theme).
const ALIASES: [(&str, &str); 1] = [("default", "dark")];

/// The names of the bundled themes, default first.
pub fn bundled_names() -> Vec<&'static str> {
    BUNDLED.iter().map(|(n, _)| *n).collect()
}

/// Whether a theme spec names a file rather than a bundled theme.
pub fn is_path_spec(spec: &str) -> bool {
    spec.contains('/') || spec.ends_with(".toml")
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Slot, Style>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    slots: toml::Table,
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
    /// A bundled theme by name, or a user theme file when `spec` contains `/` or ends in
    /// `.toml`. `no_color` as from [`no_color_from_env`].
    pub fn load(spec: &str, no_color: bool) -> Result<Theme> {
        if !is_path_spec(spec) {
            return Theme::bundled(spec, no_color);
        }
        let path = Path::new(spec);
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("theme {}: cannot read: {e}", path.display())))?;
        Theme::parse(&path.display().to_string(), &text, no_color)
    }

    /// A bundled theme by name (or alias, such as `default`).
    pub fn bundled(name: &str, no_color: bool) -> Result<Theme> {
        let name = ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map_or(name, |(_, target)| *target);
        let (_, text) = BUNDLED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            Error::config(format!(
                "theme {name:?} does not exist (bundled: {}; or a path to a .toml file)",
                bundled_names().join(", ")
            ))
        })?;
        Theme::parse(name, text, no_color)
    }

    /// Parses theme text; `origin` (a name or path) starts every error message.
    pub fn parse(origin: &str, text: &str, no_color: bool) -> Result<Theme> {
        let fail = |msg: String| Error::config(format!("theme {origin}: {msg}"));
        let file: ThemeFile = toml::from_str(text).map_err(|e| fail(toml_error(text, &e)))?;
        let mut styles = BTreeMap::new();
        for (key, value) in file.slots {
            let slot = Slot::from_name(&key).ok_or_else(|| {
                let names: Vec<&str> = ALL_SLOTS.iter().map(|s| s.name()).collect();
                fail(format!(
                    "slots.{key}: not a slot (slots: {})",
                    names.join(", ")
                ))
            })?;
            if !value.is_table() {
                let example = "{ fg = \"green\", modifiers = [\"bold\"] }";
                return Err(fail(format!("slots.{key}: must be a table like {example}")));
            }
            let spec: SlotFile = value
                .try_into()
                .map_err(|e: toml::de::Error| fail(format!("slots.{key}: {}", e.message())))?;
            let style = spec
                .to_style(no_color)
                .map_err(|m| fail(format!("slots.{key}.{m}")))?;
            styles.insert(slot, style);
        }
        if let Some(missing) = ALL_SLOTS.iter().find(|s| !styles.contains_key(s)) {
            return Err(fail(format!("slots.{} is missing", missing.name())));
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

/// [`no_color_requested`] for this process's `NO_COLOR`.
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// `LINE:COLUMN: message` for a toml error in `text`.
fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end();
    let Some(span) = error.span() else {
        return message.to_owned();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{column}: {message}")
}

impl SlotFile {
    /// The style; an error starts with the key (`fg: ...`) to follow `slots.<slot>.`.
    fn to_style(&self, no_color: bool) -> std::result::Result<Style, String> {
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            let c = colour(fg).map_err(|m| format!("fg: {m}"))?;
            if !no_color {
                style = style.fg(c);
            }
        }
        if let Some(bg) = &self.bg {
            let c = colour(bg).map_err(|m| format!("bg: {m}"))?;
            if !no_color {
                style = style.bg(c);
            }
        }
        for name in &self.modifiers {
            style = style.add_modifier(modifier(name).map_err(|m| format!("modifiers: {m}"))?);
        }
        Ok(style)
    }
}

fn colour(value: &str) -> std::result::Result<Color, String> {
    Color::from_str(value).map_err(|_| {
        format!(
            "{value:?} is not a colour (a name such as \"light_blue\", \"reset\", \
             \"#rrggbb\" or an index 0-255)"
        )
    })
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
mod tests;
