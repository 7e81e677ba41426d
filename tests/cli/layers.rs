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

/// The top-level modules a source text names through `crate::`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
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
        for used in uses(&text) {
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
}
