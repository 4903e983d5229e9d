//! The UI state and its pure `update`: a message in, state changed, effects out. Nothing
//! here touches the database or the terminal, so every flow is testable as plain data.

mod done;
mod forms;
mod input;
mod palette;
mod search;

pub use search::hit_key;

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::dialog::{Dialog, Prompt};
use super::keymap::Keymap;
use super::ops::{Effect, Msg};
use super::tree::{Entry, Key, Kids, Tree};
use crate::error::Error;
use crate::service::browse::{Detail, Hit, Level};

/// The side pane shown when the screen is too short for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Detail,
    Vlans,
    Rdns,
}

#[derive(Debug, Clone, Default)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    pub tree: Tree,
    pub keymap: Keymap,
    /// The full buddy tree instead of the compact view.
    pub full: bool,
    pub detail: Option<Detail>,
    pub dialog: Option<Dialog>,
    pub prompt: Option<Prompt>,
    pub pane: Pane,
    pub status: Status,
    /// Where the data comes from, for the status bar.
    pub database: String,
    /// Why this session may not change data, when it may not.
    pub read_only: Option<String>,
    /// The config profile in use (`--profile`): the status bar always names it.
    pub profile: Option<String>,
    /// The database stopped answering; the controller waits for it to come back.
    pub reconnecting: bool,
    /// Reading from a standby: how far behind the primary it is, in seconds.
    pub standby_lag: Option<i64>,
    pub size: (u16, u16),
    pub hits: Vec<Hit>,
    pub hit: usize,
    /// Requests in flight, for the spinner.
    pub pending: usize,
    pub spinner: usize,
    pub quit: bool,
    next_id: u64,
    detail_id: u64,
    /// What the newest detail request is for: the answer to expect, not the one shown.
    /// Comparing with the shown detail let an older answer land last after a reload.
    detail_for: Option<(IpNet, Option<IpAddr>)>,
    search_id: u64,
    /// Bumped by every reload: a level answer for an older tree is dropped.
    generation: u64,
    /// The dry run whose plan the user waits for; a plan that arrives after they moved
    /// on (cancelled, or asked for another) is dropped, never shown.
    plan_id: Option<u64>,
    /// Why the plan on its way replaces one that was confirmed: the tree changed under
    /// it, so the service refused, and the new plan is shown with this reason.
    replanned: Option<(u64, String)>,
    /// A change elsewhere arrived while requests were in flight: reload once they end.
    stale: bool,
    /// A search hit waiting for the roots of a reload before it can be revealed.
    deferred_reveal: Option<(Hit, u64)>,
    /// After a change: the key to find (its path unfolded) once the roots are back.
    locate: Option<Key>,
    locate_id: u64,
    /// What the newest locate looks for.
    locate_target: Option<Key>,
    /// Keys to unfold again as a reload brings them back, and what to select then.
    reopen: HashSet<Key>,
    reselect: Option<Key>,
    /// Palette lines run before, oldest first, and where Up has got to in them.
    pub(super) palette_history: Vec<String>,
    pub(super) history_at: Option<usize>,
    /// The palette dry run whose output is the plan to ask about: (id, the command).
    pub(super) palette_plan: Option<(u64, Vec<String>)>,
    /// The fingerprint of the palette plan on screen, and its command.
    pub(super) palette_fingerprint: Option<(String, Vec<String>)>,
    /// A confirmed palette command held to its plan: (id, the command).
    pub(super) palette_confirm: Option<(u64, Vec<String>)>,
}

impl App {
    pub fn new(keymap: Keymap, database: String, size: (u16, u16)) -> App {
        App {
            tree: Tree::default(),
            keymap,
            full: false,
            detail: None,
            dialog: None,
            prompt: None,
            pane: Pane::Detail,
            status: Status::default(),
            database,
            read_only: None,
            profile: None,
            reconnecting: false,
            standby_lag: None,
            size,
            hits: Vec::new(),
            hit: 0,
            pending: 0,
            spinner: 0,
            quit: false,
            next_id: 0,
            detail_id: 0,
            detail_for: None,
            search_id: 0,
            generation: 0,
            plan_id: None,
            replanned: None,
            stale: false,
            deferred_reveal: None,
            locate: None,
            locate_id: 0,
            locate_target: None,
            reopen: HashSet::new(),
            reselect: None,
            palette_history: Vec::new(),
            history_at: None,
            palette_plan: None,
            palette_fingerprint: None,
            palette_confirm: None,
        }
    }

    /// The first effects: load the roots.
    pub fn start(&mut self) -> Vec<Effect> {
        self.reload()
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Smaller than the smallest screen carve draws on (only a notice is shown).
    pub fn too_small(&self) -> bool {
        super::geometry::too_small(self.size)
    }

    /// Rows of the tree pane (the screen less the status bar and borders).
    pub fn tree_height(&self) -> usize {
        usize::from(self.size.1.saturating_sub(3))
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.status = Status {
            text: text.into(),
            error: false,
        };
    }

    pub fn fail(&mut self, error: &Error) {
        self.status = Status {
            text: error.message.clone(),
            error: true,
        };
    }

    /// Sends `effect`, counting the answers it will bring (one per usage figure).
    fn effect(&mut self, effect: Effect) -> Vec<Effect> {
        self.pending += match &effect {
            Effect::LoadUsage(cidrs) => cidrs.len(),
            _ => 1,
        };
        vec![effect]
    }

    /// Reloads from the roots, keeping what was unfolded and selected.
    pub fn reload(&mut self) -> Vec<Effect> {
        self.reselect = self.reselect.or(self.tree.selected_key());
        // The selection may be gone (split, merged, folded into the compact view) or lie
        // under nodes never unfolded (the full view): find it, or what holds its space.
        self.locate = self.locate.or(self.reselect);
        // What changed may be the selection's own detail (an rDNS state, a holder): read
        // it again once the tree is back.
        self.detail_for = None;
        let open = self.tree.clear();
        self.reopen.extend(open);
        self.generation += 1;
        self.stale = false;
        self.load_level(None)
    }

    /// Asks for one level of the current tree.
    fn load_level(&mut self, parent: Option<Key>) -> Vec<Effect> {
        let (full, generation) = (self.full, self.generation);
        self.effect(Effect::LoadLevel {
            parent,
            full,
            generation,
        })
    }

    /// The current tree's reload generation (what a level answer must carry).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The answer to dry run `id` is the plan to show.
    pub fn expect_plan(&mut self, id: u64) {
        self.plan_id = Some(id);
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.selection_changed()
            }
            Msg::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                Vec::new()
            }
            Msg::External if self.pending == 0 => self.reload(),
            Msg::External => {
                self.stale = true;
                Vec::new()
            }
            Msg::Connection { up: false } => {
                self.reconnecting = true;
                Vec::new()
            }
            // Back: what changed meanwhile was not heard, so everything is read again.
            Msg::Connection { up: true } if std::mem::take(&mut self.reconnecting) => {
                if self.pending == 0 {
                    self.reload()
                } else {
                    self.stale = true;
                    Vec::new()
                }
            }
            Msg::Connection { up: true } => Vec::new(),
            Msg::Standby { lag_secs } => {
                self.standby_lag = Some(lag_secs);
                Vec::new()
            }
            other => {
                self.pending = self.pending.saturating_sub(1);
                let mut effects = self.answer(other);
                if self.stale && self.pending == 0 && effects.is_empty() {
                    effects = self.reload();
                }
                effects
            }
        }
    }

    /// An answer from the controller.
    fn answer(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Level { generation, .. } if generation != self.generation => Vec::new(),
            Msg::Level { parent, result, .. } => match result {
                Ok(level) => self.loaded(parent, level),
                Err(e) => {
                    if let Some(key) = &parent {
                        self.tree.load_failed(key);
                    }
                    self.fail(&e);
                    Vec::new()
                }
            },
            Msg::Usage { cidr, usage } => {
                // A figure that could not be read is asked for again when next on screen.
                self.tree.set_usage(&cidr, usage);
                Vec::new()
            }
            Msg::Detail { id, result } if id == self.detail_id => {
                match result {
                    Ok(detail) => self.detail = Some(*detail),
                    Err(e) => self.fail(&e),
                }
                Vec::new()
            }
            Msg::Searched { id, result } if id == self.locate_id || id == self.search_id => {
                self.searched(id, result)
            }
            Msg::Revealed {
                id,
                hit,
                levels,
                error,
            } if id == self.search_id || id == self.locate_id => {
                self.revealed(id, hit, levels, error)
            }
            Msg::Done { id, result, op } => self.done(id, op, result),
            Msg::Palette { id, ok, output } => self.palette_answer(id, ok, output),
            // Superseded answers (an older detail or search) are dropped.
            _ => Vec::new(),
        }
    }

    fn loaded(&mut self, parent: Option<Key>, level: Level) -> Vec<Effect> {
        // A level already there (a reveal brought it first) stays as it is.
        let known = match &parent {
            None => !self.tree.is_empty(),
            Some(key) => matches!(self.tree.node(key).map(|n| &n.kids), Some(Kids::Loaded(_))),
        };
        if known {
            return Vec::new();
        }
        let Some(added) = self.tree.insert(parent.as_ref(), level) else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        // Unfold again what was open before a reload, as each level arrives.
        for key in added {
            if self.reopen.remove(&key) && self.tree.expand(&key) {
                effects.extend(self.load_level(Some(key)));
            }
        }
        if let Some(key) = self.reselect
            && self.tree.select(&key)
        {
            self.reselect = None;
        }
        if parent.is_none()
            && let Some((hit, id)) = self.deferred_reveal.take()
        {
            effects.extend(self.reveal_hit(hit, id));
        }
        // With the roots back, find what the last change made (it may lie folded away).
        if parent.is_none()
            && let Some(key) = self.locate.take()
        {
            self.locate_id = self.id();
            self.locate_target = Some(key);
            let query = match key {
                Key::Subnet(c) => c.to_string(),
                Key::Address(a) => a.to_string(),
            };
            let (id, full) = (self.locate_id, self.full);
            effects.extend(self.effect(Effect::Search { id, query, full }));
        }
        effects.extend(self.selection_changed());
        effects
    }

    /// After the cursor moved or the tree changed: keep the cursor on screen, fetch the
    /// detail of a new selection (the newest request wins) and usage figures on screen.
    pub fn selection_changed(&mut self) -> Vec<Effect> {
        let height = self.tree_height();
        self.tree.scroll_into_view(height);
        let mut effects = Vec::new();
        let unknown = self.tree.ask_usage(self.tree.offset, height);
        if !unknown.is_empty() {
            effects.extend(self.effect(Effect::LoadUsage(unknown)));
        }
        let target = match self.tree.selected().map(|n| &n.entry) {
            Some(Entry::Subnet(s)) => Some((s.cidr, None)),
            Some(Entry::Address(a)) => Some((a.subnet, Some(a.address))),
            None => None,
        };
        if let Some((cidr, address)) = target
            && self.detail_for != target
        {
            self.detail_for = target;
            self.detail_id = self.id();
            let id = self.detail_id;
            effects.extend(self.effect(Effect::LoadDetail { id, cidr, address }));
        }
        effects
    }
}

#[cfg(test)]
mod form_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod reload_tests;
#[cfg(test)]
mod tests;
