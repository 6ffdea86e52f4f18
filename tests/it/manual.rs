//! The manual (`docs/src/`, an mdBook) and the README hold together: each key table is the doc
//! comments of its keys (the text `stack.toml`'s JSON Schema shows in an editor), every kind and
//! section has one, every page is in the book's summary, and every link of the README and the
//! manual leads to a file and a heading that exist. `PROVISION_UPDATE_DOCS=1 cargo test --test it
//! manual` writes the key tables again after a doc comment changed.

use crate::common::repo;
use provision::config::schema::{definitions, key_table};
use std::path::{Path, PathBuf};

/// Every Markdown file of the manual.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("docs/src"), &mut out);
    out.sort();
    out
}

const OPEN: &str = "<!-- keys: ";
const CLOSE: &str = "<!-- /keys -->";

/// `text` with each key table written from the schema; the definitions it names.
fn with_key_tables(text: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut named = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let line_end = start + rest[start..].find('\n').expect("a marker line ends");
        let definition = rest[start + OPEN.len()..line_end].split_whitespace().next().unwrap().to_string();
        let close = rest[line_end..].find(CLOSE).map(|i| line_end + i).expect("each key table is closed");
        let table = key_table(&definition).unwrap_or_else(|| panic!("{definition} is not in the schema"));
        out.push_str(&rest[..=line_end]);
        out.push_str(&table);
        out.push_str(CLOSE);
        named.push(definition);
        rest = &rest[close + CLOSE.len()..];
    }
    out.push_str(rest);
    (out, named)
}

#[test]
fn the_manual_s_key_tables_are_the_doc_comments_of_the_keys() {
    let update = std::env::var_os("PROVISION_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    let mut named = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let (generated, here) = with_key_tables(&text);
        named.extend(here);
        if generated != text {
            if update {
                std::fs::write(&page, &generated).unwrap();
            } else {
                stale.push(page.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "key tables out of date with the doc comments in {stale:?}: run `PROVISION_UPDATE_DOCS=1 cargo test --test it manual`"
    );
    // Every table of stack.toml has its keys in the manual, but the small values documented where
    // they are used.
    let described_in_place = ["IgnoreTagsSection", "ExistingSection", "VariableSection"];
    for definition in definitions().iter().filter(|d| d.ends_with("Section")) {
        assert!(
            named.contains(definition) || described_in_place.contains(&definition.as_str()),
            "{definition} has no key table in docs/src/ (add `{OPEN}{definition} -->` and `{CLOSE}` to its page)"
        );
    }
}

#[test]
fn a_key_table_marker_is_filled_and_the_rest_of_the_page_kept() {
    let page = "# Bucket\n\nbefore\n<!-- keys: BucketSection (note) -->\nold table\n<!-- /keys -->\nafter\n";
    let (text, named) = with_key_tables(page);
    assert_eq!(named, ["BucketSection"]);
    assert!(text.starts_with("# Bucket\n\nbefore\n<!-- keys: BucketSection (note) -->\n| key |"), "{text}");
    assert!(text.ends_with("|\n<!-- /keys -->\nafter\n") && !text.contains("old table"), "{text}");
}

#[test]
fn every_page_of_the_manual_is_in_its_summary() {
    let summary = std::fs::read_to_string(repo().join("docs/src/SUMMARY.md")).unwrap();
    for page in pages() {
        let relative = page.strip_prefix(repo().join("docs/src")).unwrap().to_string_lossy().into_owned();
        if relative != "SUMMARY.md" {
            assert!(summary.contains(&format!("]({relative})")), "docs/src/{relative} is not in SUMMARY.md");
        }
    }
}

/// GitHub's anchor of a heading: lowercase, punctuation but `-` and `_` dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown text outside its code blocks.
fn prose(text: &str) -> impl Iterator<Item = &str> {
    let mut fence = false;
    text.lines().filter(move |line| {
        if line.starts_with("```") {
            fence = !fence;
            return false;
        }
        !fence
    })
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    prose(text).filter(|line| line.starts_with('#')).map(|line| anchor(line.trim_start_matches('#'))).collect()
}

/// The targets of the Markdown links of `text` (`[text](target)`), outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_link_of_the_readme_and_the_manual_leads_to_a_file_and_a_heading() {
    let mut broken = Vec::new();
    for file in std::iter::once(repo().join("README.md")).chain(pages()) {
        let text = std::fs::read_to_string(&file).unwrap();
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
            if !linked.exists() {
                broken.push(format!("{}: {target} (no such file)", file.display()));
                continue;
            }
            if !fragment.is_empty() {
                let text = std::fs::read_to_string(&linked).unwrap_or_default();
                if !anchors(&text).iter().any(|a| a == fragment) {
                    broken.push(format!("{}: {target} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn links_and_anchors_are_read_as_github_reads_them() {
    assert_eq!(
        anchor(" Walkthrough: the sample's Verify step, by hand"),
        "walkthrough-the-samples-verify-step-by-hand"
    );
    assert_eq!(anchor(" `[firehose.NAME.alarms]` (derived)"), "firehosenamealarms-derived");
    assert_eq!(links("see [a](b.md#c) and [d](https://e)\n```\n[x](y)\n```\n"), ["b.md#c", "https://e"]);
    assert_eq!(anchors("# A b\n```\n# not\n```\n## C-d"), ["a-b", "c-d"]);
}
