//! The shape of the code (docs/ARCHITECTURE.md, "Invariants"): no import circle among
//! the modules of any crate, no source file over 600 lines before its tests, and no file
//! access in the crates that compute. The crate graph itself is checked by
//! `.ci/boundaries` with `cargo tree`.

use crate::support::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file, in lines before its `#[cfg(test)]` module.
const MAX_LINES: usize = 600;

/// Files allowed over [`MAX_LINES`] for now, each with the reason.
const LONG_FILES: [(&str, &str); 0] = [];

/// Import circles known and left for now, each with the reason (as `crate: a -> b -> a`).
const KNOWN_CIRCLES: [(&str, &str); 0] = [];

/// Crates that compute and never touch a file.
const NO_FILES: [&str; 5] = [
    "cumin-link",
    "cumin-cohort",
    "cumin-stats",
    "cumin-estimate",
    "cumin-jay",
];

/// A crate's modules: path (`["normalise", "values"]`) → source before its tests, without
/// comment lines.
fn modules(src: &Path) -> BTreeMap<Vec<String>, (PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut out = BTreeMap::new();
    for p in files {
        let rel = p.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(
            parts.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            parts.pop();
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let body = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_owned();
        out.insert(parts, (p, body));
    }
    out
}

/// The paths after each `prefix` in `code` (`crate::a::b::C` → `[a, b, C]`), comments
/// left out.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(rest[..end].split("::").filter(|s| !s.is_empty()).collect());
        }
    }
    out
}

/// Module `from` uses module `to` (the longest prefix of `path` that is a module);
/// edges from a module to its own descendants are its declarations, not imports.
fn edges(
    mods: &BTreeMap<Vec<String>, (PathBuf, String)>,
) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let resolve = |path: Vec<String>| {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|p| mods.contains_key(p))
    };
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, (_, code)) in mods.iter().filter(|(m, _)| !m.is_empty()) {
        // `super` is the parent of the module, whether it is a file or a folder.
        let parent: Vec<String> = m[..m.len() - 1].to_vec();
        let mut targets: Vec<Vec<String>> = paths_after(code, "crate::")
            .into_iter()
            .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        for p in paths_after(code, "super::") {
            let mut full = parent.clone();
            full.extend(p.iter().map(|s| (*s).to_owned()));
            targets.push(full);
        }
        for t in targets.into_iter().filter_map(resolve) {
            if !t.is_empty() && t != *m && !t.starts_with(m) {
                graph.entry(m.clone()).or_default().insert(t);
            }
        }
    }
    graph
}

/// A circle through `start`, if any.
fn circle(
    graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    start: &Vec<String>,
) -> Option<Vec<Vec<String>>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut c = path.clone();
                c.push(next.clone());
                return Some(c);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

fn crates() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                p.join("src"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn no_crate_has_an_import_circle() {
    let mut found = Vec::new();
    for (name, src) in crates() {
        let graph = edges(&modules(&src));
        if let Some(c) = graph.keys().find_map(|m| circle(&graph, m)) {
            let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            let circle = format!("{name}: {}", names.join(" -> "));
            if !KNOWN_CIRCLES.iter().any(|(k, _)| *k == circle) {
                found.push(circle);
            }
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn no_source_file_is_over_600_lines_before_its_tests() {
    let mut long = Vec::new();
    for (_, src) in crates() {
        for (file, body) in modules(&src).into_values() {
            let rel = file
                .strip_prefix(root())
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let rel = rel.trim_start_matches("./").to_owned();
            let lines = body.lines().count();
            if lines > MAX_LINES && !LONG_FILES.iter().any(|(f, _)| rel.ends_with(f)) {
                long.push(format!("{rel}: {lines}"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_computing_crates_touch_no_file() {
    let mut found = Vec::new();
    for (name, src) in crates()
        .into_iter()
        .filter(|(n, _)| NO_FILES.contains(&n.as_str()))
    {
        for (file, body) in modules(&src).into_values() {
            let code: Vec<&str> = body
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            for needle in ["std::fs", "File::", "read_extract", "read_text_table"] {
                if code.iter().any(|l| l.contains(needle)) {
                    found.push(format!("{name}: {} uses {needle}", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let mut mods = BTreeMap::new();
    mods.insert(
        vec!["a".to_owned()],
        (PathBuf::from("a.rs"), "use crate::b::X;".to_owned()),
    );
    mods.insert(
        vec!["b".to_owned()],
        (PathBuf::from("b.rs"), "use crate::a::Y;".to_owned()),
    );
    mods.insert(
        vec!["c".to_owned()],
        (PathBuf::from("c.rs"), "// use crate::a::Y;".to_owned()),
    );
    let graph = edges(&mods);
    assert!(circle(&graph, &vec!["a".to_owned()]).is_some());
    assert!(circle(&graph, &vec!["c".to_owned()]).is_none());
}

/// Every file of the repository that a reader follows links from.
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                text_files(&path, out);
            }
        } else if [".md", ".rs", ".py", ".sh", ".toml", ".R"]
            .iter()
            .any(|ext| name.ends_with(ext))
            || name == "justfile"
        {
            out.push(path);
        }
    }
}

#[test]
fn no_link_or_path_leaves_the_repository() {
    let mut files = Vec::new();
    text_files(&root(), &mut files);
    // Spelt in two pieces so that this file does not match itself.
    let outside = format!("{}/shared/", "..");
    let leaving: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains(&outside)))
        .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        leaving.is_empty(),
        "files pointing outside the repository: {leaving:?}"
    );
}

#[test]
fn the_validation_page_is_a_map_not_a_notebook() {
    let page = std::fs::read_to_string(root().join("docs/validation.md")).unwrap();
    let chars = page.chars().count();
    assert!(
        chars < 15_000,
        "docs/validation.md has {chars} characters; dated investigations belong in docs/notes/"
    );
}
