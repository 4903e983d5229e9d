//! Actions and the keys bound to them. Defaults follow the habits of k9s, lazygit and vim
//! (see ../shared/notes/tui-conventions.md); `[keys]` in config.toml rebinds any action.
//! The help overlay is generated from the keymap, never kept by hand.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::{Error, Result};

macro_rules! actions {
    ($($variant:ident $name:literal [$($key:literal),*] $help:literal;)*) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in `[keys]`.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            /// Whether the action changes data (hidden and refused when read-only).
            pub fn changes_data(self) -> bool {
                matches!(
                    self,
                    Action::Allocate | Action::AllocateIp | Action::Split | Action::Merge
                        | Action::Park | Action::Reserve | Action::Release | Action::Edit
                        | Action::EditRdns | Action::Undo
                )
            }

            pub fn help(self) -> &'static str {
                match self { $(Action::$variant => $help),* }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*]),* }
            }
        }
    };
}

actions! {
    Up "up" ["Up", "k"] "move up";
    Down "down" ["Down", "j"] "move down";
    PageUp "page_up" ["PageUp", "C-u"] "page up";
    PageDown "page_down" ["PageDown", "C-d"] "page down";
    Top "top" ["Home", "g"] "first line";
    Bottom "bottom" ["End", "G"] "last line";
    Expand "expand" ["Right", "l"] "unfold / step in";
    Collapse "collapse" ["Left", "h"] "fold / step out";
    Toggle "toggle" ["Enter", "Space"] "fold or unfold";
    ToggleFull "toggle_full" ["f"] "compact / full tree";
    Search "search" ["/"] "find IP/CIDR/cust/vlan";
    NextMatch "next_match" ["n"] "next match";
    PrevMatch "prev_match" ["N"] "previous match";
    Allocate "allocate" ["a"] "allocate a subnet";
    AllocateIp "allocate_ip" ["A"] "allocate an address";
    Split "split" ["s"] "split a free subnet";
    Merge "merge" ["m"] "merge a free subtree";
    Park "park" ["p"] "park / unpark";
    Reserve "reserve" ["R"] "reserve a free subnet";
    Release "release" ["r"] "release (asks first)";
    Edit "edit" ["e"] "edit attributes";
    EditRdns "edit_rdns" ["d"] "edit an address's rDNS";
    Undo "undo" ["u"] "undo your last change";
    FilterLocation "filter_location" ["L"] "one location only";
    Refresh "refresh" ["F5", "C-r"] "reload";
    Help "help" ["?"] "this help";
    Palette "palette" [":"] "run a carve command";
    NextPane "next_pane" ["Tab"] "next side pane";
    Back "back" ["Esc"] "clear search and filter";
    Quit "quit" ["q"] "quit";
}

/// A key as written in config and help: `a`, `A`, `C-r`, `F5`, `Enter`, `Space`, `Up`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub fn parse(text: &str) -> Option<Key> {
        let (ctrl, rest) = match text
            .strip_prefix("C-")
            .or_else(|| text.strip_prefix("Ctrl-"))
        {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let code = match rest {
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Space" => KeyCode::Char(' '),
            "Tab" => KeyCode::Tab,
            "Backspace" => KeyCode::Backspace,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Left" => KeyCode::Left,
            "Right" => KeyCode::Right,
            "PageUp" => KeyCode::PageUp,
            "PageDown" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            f if f.len() > 1 && f.starts_with('F') => {
                KeyCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?)
            }
            c => {
                let mut chars = c.chars();
                let ch = chars.next()?;
                if chars.next().is_some() || ch.is_control() {
                    return None;
                }
                KeyCode::Char(if ctrl { ch.to_ascii_lowercase() } else { ch })
            }
        };
        Some(Key { code, ctrl })
    }

    pub fn of(event: &KeyEvent) -> Key {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let code = match event.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Key { code, ctrl }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: HashMap<Key, Action>,
    /// Per action, its keys as written, for the help overlay.
    shown: BTreeMap<Action, Vec<String>>,
}

impl Keymap {
    /// The defaults with `overrides` (action name -> keys) applied: an overridden action
    /// gets exactly the keys given. Unknown actions, unreadable keys and a key bound to
    /// two actions are config errors naming them.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap> {
        let mut shown: BTreeMap<Action, Vec<String>> = Action::ALL
            .iter()
            .map(|a| (*a, a.default_keys().iter().map(|k| k.to_string()).collect()))
            .collect();
        for (name, keys) in overrides {
            let action = Action::ALL
                .iter()
                .find(|a| a.name() == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                    Error::config(format!(
                        "keys.{name}: not an action (actions: {})",
                        names.join(", ")
                    ))
                })?;
            shown.insert(*action, keys.clone());
        }
        let mut bindings: HashMap<Key, Action> = HashMap::new();
        for (action, keys) in &shown {
            for text in keys {
                let key = Key::parse(text).ok_or_else(|| {
                    Error::config(format!(
                        "keys.{}: {text:?} is not a key (e.g. \"a\", \"C-r\", \"F5\", \"Enter\")",
                        action.name()
                    ))
                })?;
                if let Some(other) = bindings.insert(key, *action)
                    && other != *action
                {
                    return Err(Error::config(format!(
                        "keys.{}: {text:?} is already bound to {}",
                        action.name(),
                        other.name()
                    )));
                }
            }
        }
        Ok(Keymap { bindings, shown })
    }

    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        self.bindings.get(&Key::of(event)).copied()
    }

    /// Every action with its keys, in declaration order; without the ones that change
    /// data when `read_only`.
    pub fn help(&self, read_only: bool) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter(|a| !(read_only && a.changes_data()))
            .map(|a| (self.shown[a].join(" "), a.help()))
            .collect()
    }
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::new(&BTreeMap::new()).expect("the default keymap is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_follow_vim_and_k9s_habits() {
        let map = Keymap::default();
        let none = KeyModifiers::NONE;
        assert_eq!(
            map.action(&press(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(&press(KeyCode::Char('A'), KeyModifiers::SHIFT)),
            Some(Action::AllocateIp)
        );
        assert_eq!(
            map.action(&press(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            Some(Action::Refresh)
        );
        assert_eq!(
            map.action(&press(KeyCode::F(5), none)),
            Some(Action::Refresh)
        );
        assert_eq!(map.action(&press(KeyCode::Char('x'), none)), None);
    }

    #[test]
    fn overrides_replace_an_actions_keys_and_bad_ones_are_named() {
        let map = Keymap::new(&BTreeMap::from([(
            "allocate".to_owned(),
            vec!["C-a".to_owned()],
        )]))
        .unwrap();
        assert_eq!(
            map.action(&press(KeyCode::Char('a'), KeyModifiers::CONTROL)),
            Some(Action::Allocate)
        );
        assert_eq!(
            map.action(&press(KeyCode::Char('a'), KeyModifiers::NONE)),
            None
        );
        let bad = |name: &str, key: &str| {
            Keymap::new(&BTreeMap::from([(name.to_owned(), vec![key.to_owned()])]))
                .unwrap_err()
                .message
        };
        assert!(bad("alocate", "x").starts_with("keys.alocate: not an action"));
        assert_eq!(
            bad("allocate", "F99"),
            "keys.allocate: \"F99\" is not a key (e.g. \"a\", \"C-r\", \"F5\", \"Enter\")"
        );
        assert_eq!(
            bad("allocate", "j"),
            "keys.allocate: \"j\" is already bound to down"
        );
    }
}
