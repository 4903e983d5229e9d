//! The layers as DESIGN.md section 3 draws them, read from the code's own imports:
//! `engine` and `model` at the bottom, then `store` (the only SQL), `service`, and the
//! CLI and the UI on top, which speak to the service layer only. `main` picks the CLI
//! or the UI; the UI's palette reads the CLI's clap definition (so it never drifts),
//! the CLI knows nothing of the UI. No module imports one that imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path below the crate root: `["tui", "app", "forms"]`.
type Module = Vec<String>;

struct Source {
    path: PathBuf,
    module: Module,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).unwrap().with_extension("");
                let mut module: Module = relative
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                if module.last().is_some_and(|m| m == "mod") {
                    module.pop();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                found.push(Source { path, module, text });
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// Everything a source names by path: `crate::a::b`, `crate::{a, b::c}` and `super::x`
/// (read from the file's own module; a glob names nothing in particular).
fn references(source: &Source) -> BTreeSet<Module> {
    let mut found = BTreeSet::new();
    let text = &source.text;
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                found.insert(path_of(item.trim()));
            }
        } else {
            found.insert(path_of(rest));
        }
    }
    for (at, _) in text.match_indices("super::") {
        if at > 0 && text[..at].ends_with("super::") {
            continue;
        }
        let mut base = source.module.clone();
        let mut rest = &text[at..];
        while let Some(more) = rest.strip_prefix("super::") {
            base.pop();
            rest = more;
        }
        base.extend(path_of(rest));
        found.insert(base);
    }
    found.retain(|m| !m.is_empty());
    found
}

/// The leading `a::b::c` of `text`, lower-case segments only (modules, not items).
fn path_of(text: &str) -> Module {
    let mut module = Vec::new();
    for segment in text.split("::") {
        let name: String = segment
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            break;
        }
        let whole = name.len() == segment.len();
        module.push(name);
        if !whole {
            break;
        }
    }
    module
}

/// Which top-level modules each top-level module names.
fn top_level_uses(sources: &[Source]) -> BTreeMap<String, BTreeSet<(String, PathBuf)>> {
    let mut uses: BTreeMap<String, BTreeSet<(String, PathBuf)>> = BTreeMap::new();
    for source in sources {
        let Some(from) = source.module.first() else {
            continue;
        };
        for target in references(source) {
            if &target[0] != from {
                uses.entry(from.clone())
                    .or_default()
                    .insert((target[0].clone(), source.path.clone()));
            }
        }
    }
    uses
}

#[test]
fn each_layer_imports_only_what_lies_below_it() {
    let sources = sources();
    let uses = top_level_uses(&sources);
    let forbidden: &[(&[&str], &[&str])] = &[
        (&["cli", "tui"], &["store"]),
        (&["cli"], &["tui"]),
        (&["engine", "model"], &["store", "service", "cli", "tui"]),
        (
            &[
                "billing",
                "import",
                "provision",
                "rdns",
                "config",
                "input",
                "os",
                "error",
            ],
            &["store", "service", "cli", "tui"],
        ),
        (&["store"], &["service", "cli", "tui"]),
        (&["service"], &["cli", "tui"]),
    ];
    let mut crossed = Vec::new();
    for (froms, targets) in forbidden {
        for from in *froms {
            for (target, path) in uses.get(*from).into_iter().flatten() {
                if targets.contains(&target.as_str()) {
                    crossed.push(format!("{} uses crate::{target}", path.display()));
                }
            }
        }
    }
    assert!(
        crossed.is_empty(),
        "layers crossed:\n{}",
        crossed.join("\n")
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let sources = sources();
    // For every parent module, which of its children name which others.
    let mut edges: BTreeMap<Module, BTreeSet<(String, String)>> = BTreeMap::new();
    for source in &sources {
        for target in references(source) {
            let shared = source
                .module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if shared < source.module.len() && shared < target.len() {
                edges
                    .entry(source.module[..shared].to_vec())
                    .or_default()
                    .insert((source.module[shared].clone(), target[shared].clone()));
            }
        }
    }
    let mut cycles = Vec::new();
    for (parent, pairs) in &edges {
        for (a, b) in pairs {
            if a < b && pairs.contains(&(b.clone(), a.clone())) {
                let at = |m: &str| [parent.as_slice(), &[m.to_owned()]].concat().join("::");
                cycles.push(format!("{} <-> {}", at(a), at(b)));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules importing each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn no_source_file_is_over_400_lines() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| s.text.lines().count() > 400)
        .map(|s| format!("{}: {} lines", s.path.display(), s.text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "split these by responsibility:\n{}",
        long.join("\n")
    );
}
