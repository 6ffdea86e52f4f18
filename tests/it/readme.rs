//! The README and the manual are executable: every `$ ` command of the README's walkthrough, and
//! of each page of the manual that shows some, runs here, in order, against one moto a page, in a
//! copy of the repository's stack and examples, and its output must match what the page shows. A
//! page that drifts from what provision does fails the build.
//!
//! Conventions of the README's blocks: `...` on a line of its own stands for any lines (none
//! included); elapsed times and rates may differ; `# exits N` after a command says its exit code
//! (0 otherwise); output is stdout then stderr. The setup commands (`cargo build`, `export PATH`,
//! `scripts/local-aws.sh`) are done by this test itself: any other command that is not
//! `provision ...` fails it, so the walkthrough holds nothing untested.

use crate::common::*;
use std::path::Path;

/// A command of the README and the output it shows.
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    exit: i32,
    expected: Vec<String>,
}

/// The `$ ` commands of the README's fenced blocks, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    let mut current: Option<Step> = None;
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_block = !in_block;
            steps.extend(current.take());
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            steps.extend(current.take());
            let (command, comment) = command.split_once("  #").map_or((command, ""), |(c, k)| (c, k));
            let exit = comment.trim().strip_prefix("exits ").and_then(|n| n.trim().parse().ok()).unwrap_or(0);
            current = Some(Step { line: i + 1, command: command.trim().to_string(), exit, expected: vec![] });
        } else if let Some(step) = current.as_mut() {
            step.expected.push(line.to_string());
        }
    }
    steps
}

/// A line with what legitimately varies between runs (elapsed times, rates) made equal.
fn normalize(line: &str) -> String {
    let mut out = String::new();
    let words: Vec<&str> = line.trim_end().split(' ').collect();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        let number = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '.');
        let w = if number(word) && (next == "s" || next.starts_with("s)") || next.starts_with("s:")) {
            "<seconds>"
        } else if word.starts_with('(') && number(&word[1..]) && next.starts_with("records/s") {
            "(<rate>"
        } else {
            word
        };
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Whether `actual` lines match `expected` lines, `...` matching any run of lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((first, rest)) => {
            actual.split_first().is_some_and(|(a, more)| normalize(a) == normalize(first) && matches(rest, more))
        }
    }
}

/// Runs every `$ ` command of `page` (the README, or a page of the manual) in order, against one
/// moto, in a copy of the repository's stack and examples; what differs from the page, by line.
fn run_page(page: &Path) -> (usize, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = page.strip_prefix(root).unwrap_or(page).display().to_string();
    let text = std::fs::read_to_string(page).unwrap();
    let steps = steps(&text);
    let provision_steps = steps.iter().filter(|s| s.command.starts_with("provision ")).count();
    let moto = Moto::start();
    let sandbox = tempfile::tempdir().unwrap();
    for file in ["stack.toml", "stack.schema.json"] {
        std::fs::copy(root.join(file), sandbox.path().join(file)).unwrap();
    }
    copy_dir(&root.join("examples"), &sandbox.path().join("examples"));
    let setup = [
        "cargo build",
        "cargo install --path .",
        "export PATH=",
        "eval \"$(scripts/local-aws.sh",
        "scripts/local-aws.sh",
    ];
    let mut failures = Vec::new();
    for step in &steps {
        let Some(args) = step.command.strip_prefix("provision ") else {
            assert!(
                setup.iter().any(|s| step.command.starts_with(s)),
                "{name}:{}: `{}` is neither provision nor a setup step this test does itself",
                step.line,
                step.command
            );
            continue;
        };
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
            .args(&args)
            .current_dir(sandbox.path())
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("PROVISION_VAR_require_tls", "false")
            .env("NO_COLOR", "1")
            .env_remove("AWS_PROFILE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let mut actual: Vec<String> = text.lines().map(String::from).collect();
        while actual.last().is_some_and(|l| l.trim().is_empty()) {
            actual.pop();
        }
        let mut expected = step.expected.clone();
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
        let code = out.status.code().unwrap_or(-1);
        if code != step.exit || !matches(&expected, &actual) {
            failures.push(format!(
                "{name}:{}: `{}` exited {code} (the page: {}) and printed:\n{}\n--- the page shows:\n{}",
                step.line,
                step.command,
                step.exit,
                text,
                expected.join("\n")
            ));
        }
    }
    (provision_steps, failures)
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let (ran, failures) = run_page(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    assert!(ran >= 7, "the walkthrough runs {ran} provision commands");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every page of the manual showing `$ ` commands runs them as the README's are run.
#[test]
fn the_manual_s_examples_run_as_written() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src");
    let mut pages: Vec<_> =
        walk(&docs).into_iter().filter(|p| !steps(&std::fs::read_to_string(p).unwrap()).is_empty()).collect();
    pages.sort();
    assert!(!pages.is_empty(), "no page of the manual shows a command to run");
    let mut failures = Vec::new();
    for page in pages {
        failures.extend(run_page(&page).1);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The Markdown files under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    out
}

#[test]
fn wildcards_and_timings_match_and_nothing_else_does() {
    let e = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "z"]), &e(&["a", "b", "c", "z"])));
    assert!(matches(&e(&["a", "...", "z"]), &e(&["a", "z"])));
    assert!(!matches(&e(&["a", "z"]), &e(&["a", "b", "z"])));
    assert!(matches(&e(&["Sent 5 in 0.87 s (23042 records/s): ok"]), &e(&["Sent 5 in 2.57 s (7796 records/s): ok"])));
    assert!(!matches(&e(&["Sent 5 records"]), &e(&["Sent 6 records"])));
}
