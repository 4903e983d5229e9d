//! Search answers: the hits of a `/` search (or of finding what a change made), and
//! revealing one: load the levels its path lacks, unfold it, select the hit.

use ipnet::IpNet;

use super::App;
use crate::error::Error;
use crate::service::browse::{Hit, Level};
use crate::tui::ops::Effect;
use crate::tui::tree::{Key, Kids};

/// The row a hit selects: the address, else the deepest subnet of its path.
pub fn hit_key(hit: &Hit) -> Option<Key> {
    match (hit.address, hit.path.last()) {
        (Some(a), _) => Some(Key::Address(a)),
        (None, Some(c)) => Some(Key::Subnet(*c)),
        (None, None) => None,
    }
}

/// The subnets to unfold for a hit: its whole path for an address inside the last one,
/// else all but the last (the hit itself stays folded).
fn to_unfold(hit: &Hit) -> &[IpNet] {
    match hit.address {
        Some(_) => &hit.path,
        None => &hit.path[..hit.path.len().saturating_sub(1)],
    }
}

impl App {
    pub(super) fn searched(&mut self, id: u64, result: Result<Vec<Hit>, Error>) -> Vec<Effect> {
        if id == self.locate_id {
            // Finding what a change made: quietly, the status keeps the change's result.
            return match result {
                Ok(hits) if !hits.is_empty() => self.reveal_hit(hits[0].clone(), id),
                _ => Vec::new(),
            };
        }
        match result {
            Ok(hits) => {
                if self.tree.location().is_some() {
                    self.tree
                        .keep_located(hits.iter().flat_map(|h| h.path.iter().copied()));
                }
                let plural = if hits.len() == 1 { "" } else { "es" };
                self.say(format!("{} match{plural}", hits.len()));
                self.hits = hits;
                self.hit = 0;
                self.reveal()
            }
            Err(e) => {
                self.fail(&e);
                Vec::new()
            }
        }
    }

    /// What to unfold for `hit`: when finding where the selection went (`id` is the
    /// locate's) and the block itself is not in the view (split into lifted pieces,
    /// merged away, folded into the compact view), the block holding it is unfolded too.
    fn unfold_for(&self, hit: &Hit, id: u64) -> Vec<IpNet> {
        let mut cidrs = to_unfold(hit).to_vec();
        if id == self.locate_id
            && hit.address.is_none()
            && let Some(last) = hit.path.last()
            && self.locate_target != Some(Key::Subnet(*last))
        {
            cidrs.push(*last);
        }
        cidrs
    }

    pub(super) fn revealed(
        &mut self,
        id: u64,
        hit: Hit,
        levels: Vec<(Option<Key>, Level)>,
        error: Option<Error>,
    ) -> Vec<Effect> {
        for (parent, level) in levels {
            // A level that arrived meanwhile (a reload unfolding it) stays.
            let known = parent
                .as_ref()
                .and_then(|p| self.tree.node(p))
                .map(|n| &n.kids);
            if !matches!(known, Some(Kids::Loaded(_))) {
                self.tree.insert(parent.as_ref(), level);
            }
        }
        for cidr in self.unfold_for(&hit, id) {
            self.tree.expand(&Key::Subnet(cidr));
        }
        if let Some(e) = error {
            self.fail(&e);
        }
        match (id == self.locate_id, self.locate_target, hit_key(&hit)) {
            // The block that now holds the space the selection was on.
            (true, Some(Key::Subnet(target)), Some(Key::Subnet(deepest))) => {
                self.tree.select_nearest(&target, &deepest);
                self.reselect = None;
            }
            (_, _, Some(target)) => {
                self.tree.select(&target);
            }
            _ => {}
        }
        self.selection_changed()
    }

    /// Loads what the current hit's path lacks, then (on the answer) unfolds the path
    /// and selects the hit.
    pub(super) fn reveal(&mut self) -> Vec<Effect> {
        let Some(hit) = self.hits.get(self.hit).cloned() else {
            return Vec::new();
        };
        let id = self.search_id;
        self.reveal_hit(hit, id)
    }

    pub(super) fn reveal_hit(&mut self, hit: Hit, id: u64) -> Vec<Effect> {
        if self.tree.is_empty() {
            // A reload is on its way: reveal once its roots are in.
            self.deferred_reveal = Some((hit, id));
            return Vec::new();
        }
        let mut missing: Vec<Option<IpNet>> = Vec::new();
        let loaded =
            |key: &Key| matches!(self.tree.node(key).map(|n| &n.kids), Some(Kids::Loaded(_)));
        missing.extend(
            self.unfold_for(&hit, id)
                .iter()
                .filter(|c| !loaded(&Key::Subnet(**c)))
                .map(|c| Some(*c)),
        );
        self.effect(Effect::Reveal {
            id,
            hit,
            missing,
            full: self.full,
        })
    }
}
