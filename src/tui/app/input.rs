//! Keys: what each does in the main view, in a prompt and in a dialog.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::forms;
use super::{App, Pane};
use crate::error::Error;
use crate::tui::dialog::{Dialog, Edited, Prompt, PromptKind, split_args};
use crate::tui::keymap::Action;
use crate::tui::ops::Effect;
use crate::tui::palette;

impl App {
    pub(super) fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Vec::new();
        }
        if self
            .prompt
            .as_ref()
            .is_some_and(|p| p.kind == PromptKind::Palette)
            && matches!(key.code, KeyCode::Up | KeyCode::Down | KeyCode::Tab)
        {
            self.palette_key(key.code);
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
        if self.too_small() {
            // Nothing is drawn but the notice: keys must not act unseen.
            self.quit = self.keymap.action(&key) == Some(Action::Quit);
            return Vec::new();
        }
        match self.keymap.action(&key) {
            Some(action) => self.act(action),
            None => Vec::new(),
        }
    }

    fn submit_prompt(&mut self, prompt: Prompt) -> Vec<Effect> {
        match prompt.kind {
            PromptKind::Search => self.search(prompt.line),
            PromptKind::Palette => match split_args(&prompt.line) {
                Ok(args) if args.is_empty() => Vec::new(),
                Ok(args) => {
                    self.history_at = None;
                    if self.palette_history.last() != Some(&prompt.line) {
                        self.palette_history.push(prompt.line.clone());
                    }
                    if let Some(why) = palette::refused(&args) {
                        self.fail(&Error::validation(why));
                        return Vec::new();
                    }
                    self.palette(args)
                }
                Err(e) => {
                    self.fail(&Error::validation(format!(":{}: {e}", prompt.line)));
                    Vec::new()
                }
            },
        }
    }

    /// A `/` search; its hits are revealed as they come.
    pub(crate) fn search(&mut self, query: String) -> Vec<Effect> {
        self.search_id = self.id();
        let id = self.search_id;
        self.effect(Effect::Search {
            id,
            query,
            full: self.full,
        })
    }

    fn dialog_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(dialog) = self.dialog.take() else {
            return Vec::new();
        };
        match dialog {
            Dialog::Form(mut form) => match form.key(&key) {
                Edited::Cancel => {
                    self.plan_id = None;
                    self.say("cancelled: nothing was changed");
                    Vec::new()
                }
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
                plan,
            } => match key.code {
                KeyCode::Enter | KeyCode::Char('y') => {
                    let id = self.id();
                    self.say("working...");
                    self.effect(Effect::Run {
                        id,
                        op: confirm,
                        plan,
                    })
                }
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => {
                    self.say("cancelled: nothing was changed");
                    Vec::new()
                }
                _ => {
                    // Typing into an open plan must not look like it went anywhere.
                    self.say("a plan is open: Enter does it, Esc cancels");
                    self.dialog = Some(Dialog::Plan {
                        title,
                        lines,
                        confirm,
                        plan,
                    });
                    Vec::new()
                }
            },
            Dialog::Text {
                run: Some(args), ..
            } if key.code == KeyCode::Enter => {
                let id = self.id();
                self.say(format!("running carve {}", args.join(" ")));
                // Held to the plan shown: its fingerprint goes along, and a refusal
                // because the tree changed brings the new plan.
                let (shown, fingerprint) = match &self.palette_fingerprint {
                    Some((fp, shown)) if *shown == args => (shown.clone(), Some(fp.clone())),
                    _ => (args.clone(), None),
                };
                self.palette_fingerprint = None;
                let mut run = shown.clone();
                if let Some(fp) = fingerprint {
                    run.extend(["--expect-plan".to_owned(), fp]);
                    self.palette_confirm = Some((id, shown));
                }
                self.effect(Effect::Palette { id, args: run })
            }
            Dialog::Text {
                title,
                text,
                scroll,
                run,
            } => {
                let scroll = match key.code {
                    KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    _ => return Vec::new(),
                };
                self.dialog = Some(Dialog::Text {
                    title,
                    text,
                    scroll,
                    run,
                });
                Vec::new()
            }
            Dialog::Help => Vec::new(),
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        let page = isize::try_from(self.tree_height().max(1)).unwrap_or(1);
        match action {
            Action::Quit => {
                self.quit = true;
                return Vec::new();
            }
            // Esc backs out of a search or filter; it never quits (q does).
            Action::Back if !self.hits.is_empty() || self.tree.location().is_some() => {
                self.hits.clear();
                self.tree.set_location(None);
                self.say("search and filter cleared");
            }
            Action::Back => self.say("q quits"),
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
                let mut effects = self.load_level(Some(key));
                effects.extend(self.selection_changed());
                return effects;
            }
            _ => {}
        }
        self.selection_changed()
    }
}
