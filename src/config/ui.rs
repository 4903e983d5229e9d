//! The `[ui]` section: settings for the terminal UI.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct UiSection {
    theme: String,
}

impl Default for UiSection {
    fn default() -> Self {
        UiSection {
            // The TUI's default theme (`tui::theme::DEFAULT_THEME`).
            theme: "dark".to_owned(),
        }
    }
}

impl UiSection {
    pub(super) fn theme(self) -> Result<String> {
        checked_theme("ui.theme", self.theme)
    }
}

/// A theme spec (`key` names where it was set), checked for shape only: whether a
/// bundled theme of that name exists, or the file loads, is `tui::theme::Theme::load`'s
/// to say when the TUI starts (the config layer does not depend on the TUI).
pub(super) fn checked_theme(key: &str, theme: String) -> Result<String> {
    if theme.is_empty() {
        return Err(Error::config(format!(
            "{key} must name a bundled theme or a theme file"
        )));
    }
    // A file, as in `tui::theme::is_path_spec`; like every path in the config file
    // it must be absolute.
    let is_path = theme.contains('/') || theme.ends_with(".toml");
    if is_path && !Path::new(&theme).is_absolute() {
        return Err(Error::config(format!(
            "{key} {theme:?}: a theme file must be an absolute path"
        )));
    }
    Ok(theme)
}

/// One key or several, as written under `[keys]`: `allocate = "a"` or
/// `refresh = ["F5", "C-r"]`. Which keys and actions exist is the TUI keymap's to check.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            KeyList::One(key) => vec![key],
            KeyList::Many(keys) => keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Overrides, Settings, parse_str, resolve};
    use crate::error::Result;

    fn settings(text: &str) -> Result<Settings> {
        let file = parse_str(text).map_err(crate::error::Error::config)?;
        resolve(file, None, &Overrides::default(), |k| {
            (k == "CARVE_DATA_DIR").then(|| "/srv/carve".to_owned())
        })
    }

    #[test]
    fn theme_defaults_to_dark() {
        assert_eq!(settings("").unwrap().theme, "dark");
        assert_eq!(settings("[ui]\n").unwrap().theme, "dark");
        let s = settings("[ui]\ntheme = \"high-contrast\"\n").unwrap();
        assert_eq!(s.theme, "high-contrast");
        let s = settings("[ui]\ntheme = \"/etc/carve/mine.toml\"\n").unwrap();
        assert_eq!(s.theme, "/etc/carve/mine.toml");
    }

    #[test]
    fn bad_themes_are_refused_by_key() {
        let err = settings("[ui]\ntheme = \"themes/mine.toml\"\n").unwrap_err();
        assert!(
            err.message.starts_with("ui.theme \"themes/mine.toml\""),
            "{err}"
        );
        assert!(err.message.contains("must be an absolute path"), "{err}");
        let err = settings("[ui]\ntheme = \"mine.toml\"\n").unwrap_err();
        assert!(err.message.contains("must be an absolute path"), "{err}");
        let err = settings("[ui]\ntheme = \"\"\n").unwrap_err();
        assert!(err.message.starts_with("ui.theme"), "{err}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_line_column_and_key() {
        let err = parse_str("[ui]\ntheme = \"dark\"\ncolours = true\n").unwrap_err();
        assert!(err.starts_with("3:1: key `ui.colours`"), "{err}");
        assert!(err.contains("unknown field"), "{err}");
        let err = parse_str("[ui]\ntheme = 3\n").unwrap_err();
        assert!(err.starts_with("2:"), "{err}");
        assert!(err.contains("key `ui.theme`"), "{err}");
    }
}
