//! The tree pane's model: nodes loaded level by level into an arena, and the flat list
//! of visible rows rebuilt only when something is folded, unfolded or loaded. Drawing a
//! frame touches only the rows on screen, so a 100k-row tree draws as fast as a short one.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;

use crate::engine::usage::Utilization;
use crate::service::browse::Level;
use crate::service::view::{IpView, SubnetView};

/// What a row is: a subnet, or an address record inside a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Subnet(IpNet),
    Address(IpAddr),
}

#[derive(Debug, Clone)]
pub enum Entry {
    Subnet(Box<SubnetView>),
    Address(Box<IpView>),
}

impl Entry {
    pub fn key(&self) -> Key {
        match self {
            Entry::Subnet(s) => Key::Subnet(s.cidr),
            Entry::Address(a) => Key::Address(a.address),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kids {
    Unloaded,
    Loading,
    Loaded(Vec<usize>),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub entry: Entry,
    pub depth: u16,
    pub parent: Option<usize>,
    pub kids: Kids,
    pub expanded: bool,
}

impl Node {
    /// Whether unfolding can show anything: a subdivided subnet or a pool, until its
    /// children are known; then whether it has any.
    pub fn expandable(&self) -> bool {
        match (&self.entry, &self.kids) {
            (Entry::Address(_), _) => false,
            (_, Kids::Loaded(kids)) => !kids.is_empty(),
            (Entry::Subnet(s), _) => s.status == "subdivided" || s.pool,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: Vec<Node>,
    roots: Vec<usize>,
    index: HashMap<Key, usize>,
    visible: Vec<usize>,
    /// Only subnets at this effective location (and their contents) are shown, and the
    /// blocks above one that has it of its own (`located`).
    location: Option<String>,
    located: HashSet<IpNet>,
    /// Subnets whose usage was asked for and has not arrived yet.
    usage_asked: HashSet<IpNet>,
    pub cursor: usize,
    pub offset: usize,
}

impl Tree {
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The visible rows from `start`, at most `n` of them.
    pub fn rows(&self, start: usize, n: usize) -> impl Iterator<Item = (usize, &Node)> {
        self.visible
            .iter()
            .enumerate()
            .skip(start)
            .take(n)
            .map(|(row, i)| (row, &self.nodes[*i]))
    }

    pub fn node(&self, key: &Key) -> Option<&Node> {
        self.index.get(key).map(|i| &self.nodes[*i])
    }

    pub fn selected(&self) -> Option<&Node> {
        self.visible.get(self.cursor).map(|i| &self.nodes[*i])
    }

    pub fn selected_key(&self) -> Option<Key> {
        self.selected().map(|n| n.entry.key())
    }

    /// The subnet a selection belongs to: itself, or the pool holding an address.
    pub fn selected_subnet(&self) -> Option<&SubnetView> {
        let i = *self.visible.get(self.cursor)?;
        match &self.nodes[i].entry {
            Entry::Subnet(s) => Some(s),
            Entry::Address(_) => match &self.nodes[self.nodes[i].parent?].entry {
                Entry::Subnet(s) => Some(s),
                Entry::Address(_) => None,
            },
        }
    }

    /// Forgets everything (a reload); returns the keys that were unfolded, so they can
    /// be unfolded again as they load.
    pub fn clear(&mut self) -> HashSet<Key> {
        let open = self
            .nodes
            .iter()
            .filter(|n| n.expanded)
            .map(|n| n.entry.key())
            .collect();
        self.nodes.clear();
        self.roots.clear();
        self.index.clear();
        self.visible.clear();
        self.usage_asked.clear();
        open
    }

    /// Stores a loaded level under `parent` (the roots when None) and returns the keys
    /// it added; None when the parent is no longer in the tree (a stale answer).
    pub fn insert(&mut self, parent: Option<&Key>, level: Level) -> Option<Vec<Key>> {
        let parent = match parent {
            Some(key) => Some(*self.index.get(key)?),
            None => None,
        };
        let depth = parent.map_or(0, |p| self.nodes[p].depth + 1);
        let entries = level
            .subnets
            .into_iter()
            .map(|s| Entry::Subnet(Box::new(s)))
            .chain(
                level
                    .addresses
                    .into_iter()
                    .map(|a| Entry::Address(Box::new(a))),
            );
        let mut added = Vec::new();
        let mut keys = Vec::new();
        for entry in entries {
            let key = entry.key();
            keys.push(key);
            let i = self.nodes.len();
            self.nodes.push(Node {
                entry,
                depth,
                parent,
                kids: Kids::Unloaded,
                expanded: false,
            });
            self.index.insert(key, i);
            added.push(i);
        }
        match parent {
            Some(p) => self.nodes[p].kids = Kids::Loaded(added),
            None => self.roots = added,
        }
        self.rebuild();
        Some(keys)
    }

    /// Marks `key` unfolded; returns true when its children must be loaded first.
    pub fn expand(&mut self, key: &Key) -> bool {
        let Some(&i) = self.index.get(key) else {
            return false;
        };
        if !self.nodes[i].expandable() {
            return false;
        }
        self.nodes[i].expanded = true;
        let load = self.nodes[i].kids == Kids::Unloaded;
        if load {
            self.nodes[i].kids = Kids::Loading;
        }
        self.rebuild();
        load
    }

    /// A level that failed to load: folded again, to be loaded on the next unfold.
    pub fn load_failed(&mut self, key: &Key) {
        if let Some(&i) = self.index.get(key) {
            self.nodes[i].kids = Kids::Unloaded;
            self.nodes[i].expanded = false;
            self.rebuild();
        }
    }

    pub fn collapse(&mut self, key: &Key) {
        if let Some(&i) = self.index.get(key) {
            self.nodes[i].expanded = false;
            self.rebuild();
        }
    }

    pub fn parent_key(&self, key: &Key) -> Option<Key> {
        let i = *self.index.get(key)?;
        self.nodes[i].parent.map(|p| self.nodes[p].entry.key())
    }

    /// Stores a usage figure; None (unreadable) lets it be asked for again.
    pub fn set_usage(&mut self, cidr: &IpNet, usage: Option<Utilization>) {
        if let Some(usage) = usage
            && let Some(&i) = self.index.get(&Key::Subnet(*cidr))
            && let Entry::Subnet(s) = &mut self.nodes[i].entry
        {
            s.utilization = usage;
            s.usage_known = true;
        }
        self.usage_asked.remove(cidr);
    }

    /// Subnets among the visible rows whose usage is unknown and not yet asked for;
    /// they count as asked for from now on.
    pub fn ask_usage(&mut self, start: usize, n: usize) -> Vec<IpNet> {
        let unknown: Vec<IpNet> = self
            .rows(start, n)
            .filter_map(|(_, node)| match &node.entry {
                Entry::Subnet(s) if !s.usage_known => Some(s.cidr),
                _ => None,
            })
            .filter(|c| !self.usage_asked.contains(c))
            .collect();
        self.usage_asked.extend(unknown.iter().copied());
        unknown
    }

    pub fn set_location(&mut self, location: Option<String>) {
        self.location = location;
        self.located.clear();
        self.rebuild();
    }

    /// Keeps the blocks on these paths in view under the location filter: the way down
    /// to a block at the location beneath a root elsewhere.
    pub fn keep_located(&mut self, paths: impl IntoIterator<Item = IpNet>) {
        self.located.extend(paths);
        self.rebuild();
    }

    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// Puts the cursor on `key` when it is visible.
    pub fn select(&mut self, key: &Key) -> bool {
        let Some(&i) = self.index.get(key) else {
            return false;
        };
        match self.visible.iter().position(|v| *v == i) {
            Some(row) => {
                self.cursor = row;
                true
            }
            None => false,
        }
    }

    /// Puts the cursor on `target`, else on the first visible block inside it (its
    /// pieces after a split), else on `holder` (the block it was merged into).
    pub fn select_nearest(&mut self, target: &IpNet, holder: &IpNet) {
        if self.select(&Key::Subnet(*target)) {
            return;
        }
        let inside = self
            .visible
            .iter()
            .position(|i| match &self.nodes[*i].entry {
                Entry::Subnet(s) => target.contains(&s.cidr),
                Entry::Address(_) => false,
            });
        match inside {
            Some(row) => self.cursor = row,
            None => {
                self.select(&Key::Subnet(*holder));
            }
        }
    }

    /// Moves the cursor by `delta` rows, clamped.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    pub fn move_to(&mut self, row: usize) {
        self.cursor = row.min(self.visible.len().saturating_sub(1));
    }

    /// Keeps the cursor on screen for a pane `height` rows tall.
    pub fn scroll_into_view(&mut self, height: usize) {
        let height = height.max(1);
        // No blank rows below the last one while there is more above.
        self.offset = self.offset.min(self.visible.len().saturating_sub(height));
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
    }

    fn shown(&self, i: usize) -> bool {
        match (&self.location, &self.nodes[i].entry) {
            (Some(wanted), Entry::Subnet(s)) => {
                self.located.contains(&s.cidr)
                    || s.effective_location
                        .as_deref()
                        .is_none_or(|l| l.eq_ignore_ascii_case(wanted))
            }
            _ => true,
        }
    }

    /// Recomputes the visible rows (depth-first over unfolded, loaded nodes) and keeps
    /// the cursor on the same node when it is still visible.
    fn rebuild(&mut self) {
        let selected = self.visible.get(self.cursor).copied();
        let mut visible = Vec::with_capacity(self.visible.len().max(self.roots.len()));
        let mut stack: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            if !self.shown(i) {
                continue;
            }
            visible.push(i);
            if let (true, Kids::Loaded(kids)) = (self.nodes[i].expanded, &self.nodes[i].kids) {
                stack.extend(kids.iter().rev());
            }
        }
        self.visible = visible;
        if let Some(row) = selected.and_then(|s| self.visible.iter().position(|v| *v == s)) {
            self.cursor = row;
        }
        self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
    }
}
