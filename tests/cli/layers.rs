//! The layer rules of docs/architecture.md, checked on the source: every `crate::` path in
//! a module may only point to its own layer or below, and the modules form no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's layer: a module may use modules of its own layer or lower.
/// A new module must be placed here (the test names it when it is missing).
const LAYERS: &[(&str, u8)] = &[
    // what every layer uses: the error kinds that choose an exit code
    ("error", 0),
    // the domain: pure, no I/O, no clap, no clock reading
    ("lead", 1),
    ("field", 1),
    ("clock", 1),
    ("phone", 1),
    ("csv", 1),
    ("rules", 1),
    ("schedule", 1),
    ("handoff", 1),
    ("escalation", 1),
    ("report", 1),
    ("qa", 1),
    ("stats", 1),
    ("merge", 1),
    ("queue", 1),
    ("search", 1),
    ("short_id", 1),
    ("edit_form", 1),
    ("import_map", 1),
    // storage and git: the only code touching workspace files / running git
    ("store", 2),
    ("git", 2),
    // the application: a command's context, the one write path, shared steps
    ("context", 3),
    ("transaction", 3),
    ("route", 3),
    ("intake", 3),
    ("import", 3),
    ("prompt", 3),
    ("output", 3),
    ("notify", 3),
    // the command line
    ("commands", 4),
    ("cli", 5),
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source without comments (line and block), so a path in prose is not an import.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The first identifier of `s`.
fn ident(s: &str) -> String {
    s.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The items of a `{a::b, c::{d, e}}` group: split at top-level commas only.
fn group_items(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0usize, 0usize, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

/// The top-level modules a source file names through `crate::`, or through `super::`
/// paths that climb out of its own top-level module (`module_depth`: how many `super`s
/// reach the crate root from this file).
fn uses_in(text: &str, module_depth: usize) -> BTreeSet<String> {
    let code = code_only(text);
    let mut found = BTreeSet::new();
    let mut add = |path: &str| {
        if let Some(group) = path.strip_prefix('{') {
            for item in group_items(group) {
                let name = ident(item);
                if !name.is_empty() && name != "self" {
                    found.insert(name);
                }
            }
        } else {
            let name = ident(path);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    };
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        add(rest);
    }
    if module_depth > 0 {
        let climb = "super::".repeat(module_depth);
        let mut rest = code.as_str();
        while let Some(i) = rest.find(&climb) {
            rest = &rest[i + climb.len()..];
            add(rest);
        }
    }
    found
}

/// `uses_in` for a top-level module file.
fn uses(text: &str) -> BTreeSet<String> {
    uses_in(text, 0)
}

#[test]
fn imports_point_down_and_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(&own) = layer.get(module.as_str()) else {
            problems.push(format!(
                "src/{}: module `{module}` has no layer; add it to LAYERS in tests/cli/layers.rs",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read source");
        // src/a/b.rs is `crate::a::b`: `super::super::x` from it names the top-level `x`.
        // (A top-level file's `super::` is its own tests reaching back; only climbs that
        // leave a folder module are checked, and only names that are modules.)
        let depth = rel.components().count() - usize::from(rel.ends_with("mod.rs"));
        let climbed = if depth >= 2 { uses_in(&text, depth) } else { BTreeSet::new() };
        let climbed = climbed.into_iter().filter(|m| layer.contains_key(m.as_str()));
        for used in uses(&text).into_iter().chain(climbed) {
            if used == module || matches!(used.as_str(), "refuse") {
                continue; // own module; the `refuse!` macro is exported from `error`
            }
            match layer.get(used.as_str()) {
                Some(&l) if l > own => problems.push(format!(
                    "src/{}: `{module}` (layer {own}) uses `{used}` (layer {l}); move the code down or pass it in",
                    rel.display()
                )),
                None => problems.push(format!("src/{}: uses `crate::{used}`, which has no layer", rel.display())),
                _ => {}
            }
            graph.entry(module.clone()).or_default().insert(used);
        }
    }
    // A cycle among modules: depth-first search with colours.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(m.to_owned(), 1);
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                0 => visit(next, graph, state, path, cycles),
                1 => {
                    let start = path.iter().position(|p| p == next).unwrap_or(0);
                    cycles.push(format!("{} -> {next}", path[start..].join(" -> ")));
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(m.to_owned(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for m in graph.keys() {
        if state.get(m.as_str()).copied().unwrap_or(0) == 0 {
            visit(m, &graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    for c in cycles {
        problems.push(format!("module cycle: {c}"));
    }
    assert!(problems.is_empty(), "layer rules broken:\n{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_grouped_and_nested_paths() {
    let found = uses("use crate::{lead::Lead, store};\nfn f() { crate::git::x(); }\n// crate::cli\n");
    assert_eq!(found, ["git", "lead", "store"].map(String::from).into_iter().collect());
    let nested = uses("use crate::{lead::{Lead, LeadId}, context::Ctx};\n/* crate::cli */\n");
    assert_eq!(nested, ["context", "lead"].map(String::from).into_iter().collect());
    // From src/store/scan.rs (depth 2), `super::super::commands` is the crate's `commands`.
    let climbed = uses_in("use super::super::commands::X;\nuse super::Workspace;\n", 2);
    assert_eq!(climbed, ["commands"].map(String::from).into_iter().collect());
}
