//! Keys: what each does in the main view, in a prompt and in a dialog.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Pane};
use crate::error::Error;
use crate::tui::dialog::{Dialog, Edited, Prompt, PromptKind, split_args};
use crate::tui::forms;
use crate::tui::keymap::Action;
use crate::tui::ops::Effect;

impl App {
    pub(super) fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Vec::new();
        }
        if let Some(prompt) = &mut self.prompt {
            return match prompt.key(&key) {
                Edited::Submit => {
                    let prompt = self.prompt.take().expect("a prompt");
                    self.submit_prompt(prompt)
                }
                Edited::Cancel => {
                    self.prompt = None;
                    Vec::new()
                }
                Edited::Changed => Vec::new(),
            };
        }
        if self.dialog.is_some() {
            return self.dialog_key(key);
        }
        match self.keymap.action(&key) {
            Some(action) => self.act(action),
            None => Vec::new(),
        }
    }

    fn submit_prompt(&mut self, prompt: Prompt) -> Vec<Effect> {
        match prompt.kind {
            PromptKind::Search => {
                self.search_id = self.id();
                let id = self.search_id;
                self.effect(Effect::Search {
                    id,
                    query: prompt.line,
                    full: self.full,
                })
            }
            PromptKind::Palette => match split_args(&prompt.line) {
                Ok(args) if args.is_empty() => Vec::new(),
                Ok(args) => {
                    let id = self.id();
                    self.say(format!("running carve {}", prompt.line.trim()));
                    self.effect(Effect::Palette { id, args })
                }
                Err(e) => {
                    self.fail(&Error::validation(format!(":{}: {e}", prompt.line)));
                    Vec::new()
                }
            },
        }
    }

    fn dialog_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(dialog) = self.dialog.take() else {
            return Vec::new();
        };
        match dialog {
            Dialog::Form(mut form) => match form.key(&key) {
                Edited::Cancel => Vec::new(),
                Edited::Changed => {
                    self.dialog = Some(Dialog::Form(form));
                    Vec::new()
                }
                Edited::Submit => forms::submit(self, form),
            },
            Dialog::Plan {
                title,
                lines,
                confirm,
            } => match key.code {
                KeyCode::Enter | KeyCode::Char('y') => {
                    let id = self.id();
                    self.say("working...");
                    self.effect(Effect::Run { id, op: confirm })
                }
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => {
                    self.say("cancelled: nothing was changed");
                    Vec::new()
                }
                _ => {
                    self.dialog = Some(Dialog::Plan {
                        title,
                        lines,
                        confirm,
                    });
                    Vec::new()
                }
            },
            Dialog::Text { .. } | Dialog::Help => Vec::new(),
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        let page = isize::try_from(self.tree_height().max(1)).unwrap_or(1);
        match action {
            Action::Quit => {
                self.quit = true;
                return Vec::new();
            }
            Action::Up => self.tree.move_by(-1),
            Action::Down => self.tree.move_by(1),
            Action::PageUp => self.tree.move_by(-page),
            Action::PageDown => self.tree.move_by(page),
            Action::Top => self.tree.move_to(0),
            Action::Bottom => self.tree.move_to(usize::MAX),
            Action::Expand | Action::Collapse | Action::Toggle => return self.fold(action),
            Action::ToggleFull => {
                self.full = !self.full;
                self.say(if self.full {
                    "full buddy tree"
                } else {
                    "compact view"
                });
                return self.reload();
            }
            Action::Refresh => return self.reload(),
            Action::Search => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    line: String::new(),
                })
            }
            Action::Palette => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Palette,
                    line: String::new(),
                })
            }
            Action::NextMatch | Action::PrevMatch if !self.hits.is_empty() => {
                let n = self.hits.len();
                self.hit = if action == Action::NextMatch {
                    (self.hit + 1) % n
                } else {
                    (self.hit + n - 1) % n
                };
                self.say(format!("match {} of {n}", self.hit + 1));
                return self.reveal();
            }
            Action::NextMatch | Action::PrevMatch => self.say("no search yet: / to search"),
            Action::Help => self.dialog = Some(Dialog::Help),
            Action::NextPane => {
                self.pane = match self.pane {
                    Pane::Detail => Pane::Vlans,
                    Pane::Vlans => Pane::Rdns,
                    Pane::Rdns => Pane::Detail,
                }
            }
            _ => return forms::open(self, action),
        }
        self.selection_changed()
    }

    fn fold(&mut self, action: Action) -> Vec<Effect> {
        let Some(node) = self.tree.selected() else {
            return Vec::new();
        };
        let key = node.entry.key();
        let (expanded, expandable) = (node.expanded, node.expandable());
        match (action, expanded) {
            (Action::Collapse, true) | (Action::Toggle, true) => self.tree.collapse(&key),
            (Action::Collapse, false) => {
                if let Some(parent) = self.tree.parent_key(&key) {
                    self.tree.select(&parent);
                }
            }
            (Action::Expand, true) => self.tree.move_by(1),
            _ if expandable && self.tree.expand(&key) => {
                let mut effects = self.effect(Effect::LoadLevel {
                    parent: Some(key),
                    full: self.full,
                });
                effects.extend(self.selection_changed());
                return effects;
            }
            _ => {}
        }
        self.selection_changed()
    }
}
