//! The crate's layout as docs/architecture.md describes it: no two source files import each
//! other, directly or around a circle, and no source file grows past about 600 lines. A file
//! that closes a circle, or outgrows the limit, fails here with the circle or the file named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a source file may have ("about 600").
const MAX_LINES: usize = 660;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/mcp/gate.rs` is `mcp::gate`, `src/mcp/mod.rs` is `mcp`,
/// `src/lib.rs` is the crate (empty).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts.join("::")
}

/// The paths that follow each `prefix` in `code` (`crate::mcp::gate::Gate` gives
/// `mcp::gate::Gate`; `crate::{aws, mcp::gate}` gives `aws` and `mcp::gate`).
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        // A whole word: not the tail of `some_crate::`.
        let whole = code[..i]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if whole {
            expand("", &code[i + prefix.len()..], &mut out);
        }
    }
    out
}

/// Adds the paths at the start of `rest` to `out`, each after `base`: one path, or a brace
/// group of them (nested groups too).
fn expand(base: &str, rest: &str, out: &mut Vec<String>) {
    let rest = rest.trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(base, &group[start..i], out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(base, &group[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    let path = &rest[..end];
    let joined = match (base.is_empty(), path.trim_end_matches(':')) {
        (_, "") => base.to_owned(),
        (true, p) => p.to_owned(),
        (false, p) => format!("{base}::{p}"),
    };
    if path.ends_with("::") && rest[end..].trim_start().starts_with('{') {
        expand(&joined, &rest[end..], out);
    } else if !joined.is_empty() && joined != "self" && !joined.starts_with("self::") {
        out.push(joined);
    } else if let Some(tail) = joined.strip_prefix("self::") {
        out.push(tail.to_owned());
    }
}

/// The code of a file without its comments (doc links name modules without importing them).
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which files each file imports: `crate::` and `super::` paths, resolved to the longest
/// module they name, and the tool routers (`State::users_router()` is `tools/users.rs`).
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let resolve = |path: &str| -> Option<String> {
        let mut parts: Vec<&str> = path.split("::").collect();
        while !parts.is_empty() {
            let candidate = parts.join("::");
            if modules.contains(&candidate) {
                return Some(candidate);
            }
            parts.pop();
        }
        None
    };
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let is_mod = file.file_stem().is_some_and(|s| s == "mod" || s == "lib");
        let parent = if is_mod {
            module.clone()
        } else {
            module.rsplit_once("::").map_or("", |(p, _)| p).to_owned()
        };
        let code = code_of(&std::fs::read_to_string(file).expect("read"));
        let mut deps = BTreeSet::new();
        for path in paths_after(&code, "crate::") {
            deps.extend(resolve(&path));
        }
        for path in paths_after(&code, "super::") {
            let full = if parent.is_empty() {
                path.to_owned()
            } else {
                format!("{parent}::{path}")
            };
            deps.extend(resolve(&full));
        }
        for path in paths_after(&code, "State::") {
            if let Some(area) = path.strip_suffix("_router") {
                deps.extend(resolve(&format!("tools::{area}")));
            }
        }
        deps.remove(&module);
        graph.insert(module, deps);
    }
    graph
}

/// A circle of imports, if there is one: the files in order, the first repeated at the end.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| n == node).expect("on the stack");
                let mut circle = stack[start..].to_vec();
                circle.push(node.to_owned());
                return Some(circle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, marks, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(circle);
        }
    }
    None
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn an_import_circle_between_source_files_fails() {
    let graph = imports(&src());
    assert!(
        graph
            .get("mcp::pipeline")
            .is_some_and(|d| d.contains("mcp::state"))
            && graph
                .get("cli::check")
                .is_some_and(|d| d.contains("policy")),
        "the scan sees imports: {graph:?}"
    );
    if let Some(circle) = find_circle(&graph) {
        panic!(
            "these files import each other around a circle: {}",
            circle.join(" -> ")
        );
    }
}

#[test]
fn the_circle_finder_finds_a_planted_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert("a".into(), ["b".into()].into());
    graph.insert("b".into(), ["c".into()].into());
    graph.insert("c".into(), ["a".into()].into());
    graph.insert("d".into(), ["a".into()].into());
    assert_eq!(
        find_circle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    graph.insert("c".into(), BTreeSet::new());
    assert_eq!(find_circle(&graph), None);
}

#[test]
fn grouped_imports_are_read() {
    let got = paths_after(
        "use crate::{aws, mcp::{gate::Gate, state}};\nlet x = crate::policy::server_policy();",
        "crate::",
    );
    assert_eq!(
        got,
        [
            "aws",
            "mcp::gate::Gate",
            "mcp::state",
            "policy::server_policy"
        ]
    );
}

#[test]
fn a_source_file_over_the_line_limit_fails() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    assert!(files.len() > 20, "the scan sees the sources: {files:?}");
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).expect("read").lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by concept (one concept per file): {long:?}"
    );
}
