//! The documentation travels with the clone: every link in the repository's Markdown
//! either leaves for the web or names a file inside the repository that exists (and, with
//! `#anchor`, a heading of it).

use crate::support::root;
use std::path::{Path, PathBuf};

/// Every Markdown file of the repository, outside build output and hidden folders.
fn markdown(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" || name == "vendor" {
            continue;
        }
        if p.is_dir() {
            markdown(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
}

/// The targets of `[text](target)` links, code spans and blocks left out.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        let mut outside = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                outside.push_str(part);
            }
        }
        let mut rest = outside.as_str();
        while let Some(at) = rest.find("](") {
            let tail = &rest[at + 2..];
            let Some(end) = tail.find(')') else { break };
            out.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    out
}

/// A heading's anchor as GitHub makes it.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_link_in_the_docs_stays_in_the_repository_and_resolves() {
    let root = root().canonicalize().unwrap();
    let mut files = Vec::new();
    markdown(&root, &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            let here = file.strip_prefix(&root).unwrap().display().to_string();
            let Ok(target) = target.canonicalize() else {
                broken.push(format!("{here}: {link} does not exist"));
                continue;
            };
            if !target.starts_with(&root) {
                broken.push(format!("{here}: {link} leaves the repository"));
                continue;
            }
            if !anchor.is_empty()
                && target.extension().is_some_and(|e| e == "md")
                && !anchors(&std::fs::read_to_string(&target).unwrap()).contains(&anchor.to_owned())
            {
                broken.push(format!("{here}: {link} names no heading"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_finder_finds_links_and_anchors() {
    assert_eq!(
        links("see [a](a.md#x) and `[b](not)` and [c](https://x.org)\n```\n[d](e)\n```\n"),
        ["a.md#x", "https://x.org"]
    );
    assert_eq!(
        slug(" 2.1 Linkage error: split identities (`--linkage exact|merge|corrected`)"),
        "21-linkage-error-split-identities---linkage-exactmergecorrected"
    );
}

/// The user guide keeps up with the tool: every file a run writes (as the golden runs'
/// manifests list them; figures and the demo's inputs by folder) is named in it with its
/// folder, and so is every subcommand.
#[test]
fn the_user_guide_names_every_output_file_and_subcommand() {
    let guide = std::fs::read_to_string(root().join("docs/user-guide.md")).unwrap();
    let mut missing = Vec::new();
    for case in ["demo", "sensitivity", "jay2025"] {
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                root().join(format!("fixtures/golden/{case}/out/manifest.json")),
            )
            .unwrap(),
        )
        .unwrap();
        for f in manifest["files"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap();
            let shown = match name.split_once('/') {
                Some((dir @ ("figures" | "input"), _)) => format!("{dir}/"),
                Some((dir, file)) => {
                    // `analyst-only/a.csv`, or a later file of a list under one folder.
                    if guide.contains(&format!("`{dir}/")) && guide.contains(&format!("`{file}`")) {
                        continue;
                    }
                    name.to_owned()
                }
                None => name.to_owned(),
            };
            if !guide.contains(&format!("`{shown}")) {
                missing.push(shown);
            }
        }
    }
    let help = crate::support::text(&crate::support::cumin(&["--help"]));
    let commands = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help");
    for c in commands {
        if !guide.contains(&format!("cumin {c}")) {
            missing.push(format!("cumin {c}"));
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "docs/user-guide.md does not name: {missing:?}"
    );
}
