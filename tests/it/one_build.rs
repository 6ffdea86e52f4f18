//! The demo's `cargo build` and the tests share one build of every dependency: no dependency is
//! compiled with other features for the tests (which would compile the AWS SDK a second time on a
//! newcomer's first run).

use std::collections::BTreeMap;
use std::process::Command;

/// Each package of `cargo tree` (with or without the dev-dependencies) and its features.
fn features(edges: &[&str]) -> BTreeMap<String, String> {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let output = Command::new(cargo)
        .args(["tree", "--locked", "--prefix", "none", "--format", "{p}|{f}"])
        .args(edges)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.trim_end_matches(" (*)").split_once('|'))
        .map(|(package, features)| (package.to_string(), features.to_string()))
        .collect()
}

#[test]
fn dev_dependencies_turn_on_no_feature_the_binary_lacks() {
    let binary = features(&["--edges", "no-dev"]);
    let tests = features(&[]);
    assert!(binary.keys().any(|p| p.starts_with("aws-sdk-s3 ")), "{binary:?}");
    let differing: Vec<String> = binary
        .iter()
        .filter_map(|(package, with)| {
            let for_tests = tests.get(package)?;
            (for_tests != with).then(|| format!("{package}: [{with}] for the binary, [{for_tests}] for the tests"))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "compiled twice on a first run; add the features to Cargo.toml's shared list:\n{}",
        differing.join("\n")
    );
}
