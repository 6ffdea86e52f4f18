//! stack.toml validation: the corpus of invalid files, the example stacks, the JSON Schema, and
//! proof that an invalid file never reaches the network.

use provision::config;
use provision::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Diagnostics of a file: the errors of an invalid one, or the warnings of a valid one.
fn diagnostics(path: &Path) -> (bool, Vec<Diagnostic>) {
    match config::validate_offline(path, &config::Options { package_code: true, ..Default::default() }) {
        Ok((_, warnings)) => (true, warnings),
        Err(invalid) => (false, invalid.diagnostics),
    }
}

/// `# expect: RULE line=N word=WORD` from the file's first line (the line is required).
fn expectation(text: &str) -> (String, usize, String) {
    let header = text.lines().next().unwrap().strip_prefix("# expect: ").expect("corpus file starts with `# expect:`");
    let (rule, rest) = header.split_once(" line=").unwrap();
    let (line, word) = rest.split_once(" word=").unwrap();
    let line = line.parse().unwrap_or_else(|_| panic!("`{header}`: line={line} is not a line number"));
    (rule.to_string(), line, word.to_string())
}

/// The rule book's rules, from docs/src/rules.md's tables: (id, what it says).
fn rule_book() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("docs/src/rules.md")).unwrap();
    text.lines()
        .filter_map(|l| {
            let mut cells = l.strip_prefix("| ")?.splitn(2, " | ");
            let id = cells.next()?.trim_matches('`').to_string();
            let what = cells.next()?.to_string();
            (id != "id" && !id.starts_with("---")).then_some((id, what))
        })
        .collect()
}

/// Rules that are warnings (a valid file reports them).
fn is_warning_rule(id: &str) -> bool {
    rule_book().iter().any(|(r, what)| r == id && what.starts_with("*warning*"))
        || ["P6", "P16", "P17", "P18"].contains(&id)
}

#[test]
fn every_corpus_file_reports_its_rule_at_its_line() {
    // Module files the corpus calls live in tests/invalid/modules/.
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let (rule, line, word) = expectation(&text);
        let (valid, found) = diagnostics(file);
        if valid && !is_warning_rule(&rule) {
            failures.push(format!("{}: expected an error, but the file is valid", file.display()));
            continue;
        }
        let hit = found.iter().any(|d| {
            let text = format!("{} {} {}", d.key(), d.message, d.help.clone().unwrap_or_default()).to_lowercase();
            d.rule.as_str() == rule
                && d.location.as_ref().map(|loc| loc.line) == Some(line)
                && text.contains(&word.to_lowercase())
        });
        if !hit {
            let got: Vec<String> = found.iter().map(|d| d.to_string()).collect();
            failures.push(format!(
                "{}: expected {rule} at line {line:?} with {word:?}; got:\n  {}",
                file.display(),
                got.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every rule of docs/src/rules.md is held by a test, so that none can be added without one: a rule
/// that validation checks (or whose first part it checks, as S5) by a corpus file naming it; a
/// rule about what plan, apply, preview or send do, or one that allows something, by a test whose
/// name declares it (`fn rule_d5_...`, `fn rule_l2_l3_...`). Test names are read from every Rust
/// file of the repository (a function after `#[test]` or `#[tokio::test]`): a comment, or code
/// that is not a test, holds nothing.
#[test]
fn every_rule_of_the_rule_book_has_a_corpus_file_or_a_test_naming_it() {
    let book = rule_book();
    assert!(book.len() >= 80, "docs/src/rules.md has {} rules", book.len());
    let corpus: Vec<String> = std::fs::read_dir(repo().join("tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| expectation(&std::fs::read_to_string(p).unwrap()).0)
        .collect();
    let names = test_names(&[repo().join("src"), repo().join("tests")]);
    assert!(names.len() >= 300, "only {} tests found", names.len());
    let declared: Vec<String> = names.iter().flat_map(|n| rules_declared_by(n)).collect();
    let behaviour = ["*plan*:", "*preview*:", "*apply*:", "*send*:"];
    let mut missing = Vec::new();
    for (id, what) in &book {
        let held = if behaviour.iter().any(|b| what.starts_with(b)) || what.contains("nothing to check") {
            declared.contains(&id.to_lowercase())
        } else {
            corpus.contains(id)
        };
        if !held {
            missing.push(id.clone());
        }
    }
    assert!(missing.is_empty(), "rules without a corpus file or a test named for them: {missing:?}");
}

/// The names of the test functions in the Rust files under `roots`: the `fn` after a
/// `#[test]` or `#[tokio::test...]` attribute (other attributes and doc comments between).
fn test_names(roots: &[PathBuf]) -> Vec<String> {
    let mut names = Vec::new();
    let mut dirs = roots.to_vec();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut armed = false;
            for line in text.lines().map(str::trim) {
                if line == "#[test]" || line.starts_with("#[tokio::test") {
                    armed = true;
                } else if armed && (line.starts_with("fn ") || line.starts_with("async fn ")) {
                    let name = line.trim_start_matches("async ").trim_start_matches("fn ");
                    names.push(name.split(['(', '<']).next().unwrap_or_default().to_string());
                    armed = false;
                } else if armed && !(line.starts_with("#[") || line.starts_with("//")) {
                    armed = false;
                }
            }
        }
    }
    names
}

/// The rule ids a test's name declares: the ids after `rule_` (`rule_l2_l3_...`: l2, l3).
fn rules_declared_by(name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split('_').collect();
    let is_id = |p: &str| {
        let letters = p.trim_end_matches(|c: char| c.is_ascii_digit());
        !letters.is_empty() && letters.len() < p.len() && letters.chars().all(|c| c.is_ascii_lowercase())
    };
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if *p == "rule" {
            out.extend(parts[i + 1..].iter().take_while(|p| is_id(p)).map(|p| p.to_string()));
        }
    }
    out
}

#[test]
fn a_test_name_declares_its_rules() {
    assert_eq!(rules_declared_by("rule_l2_l3_the_lambda_contract_is_checked"), ["l2", "l3"]);
    assert_eq!(rules_declared_by("rule_d5_limits"), ["d5"]);
    assert!(rules_declared_by("the_rule_book").is_empty() && rules_declared_by("ruled_d5").is_empty());
}

#[test]
fn all_problems_are_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/minimal.toml"))
        .unwrap()
        .replace("name = \"minimal\"", "name = \"bad stream\"\nbuffer_sise_mb = 64\nretries = 3")
        .replace(
            "[bucket.data]\nname = \"firehose-minimal-${aws.account_id}\"",
            "[bucket.data]\nname = \"Bad_Bucket\"",
        );
    let path = dir.path().join("stack.toml");
    std::fs::write(&path, text).unwrap();
    let (valid, found) = diagnostics(&path);
    assert!(!valid);
    let rules: Vec<&str> = found.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(rules.iter().filter(|r| **r == "schema").count(), 2, "{rules:?}");
    assert!(rules.contains(&"N1") && rules.contains(&"S1"), "{rules:?}");
    let typo = found.iter().find(|d| d.key().ends_with("buffer_sise_mb")).expect("the misspelled key is named");
    assert!(typo.help.as_deref().unwrap_or("").contains("did you mean `buffer_size_mb`"), "{typo:?}");
}

#[test]
/// The examples are the passing cases of many rules; `query-partitioning.toml` mixes timestamps
/// and partition keys in one prefix, which rule P13 allows.
fn rule_p13_example_stacks_validate_clean_without_warnings() {
    let mut stacks = vec![repo().join("stack.toml")];
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            stacks.push(path);
        }
    }
    assert!(stacks.len() >= 3);
    for stack in stacks {
        let (valid, found) = diagnostics(&stack);
        assert!(valid && found.is_empty(), "{}: {found:?}", stack.display());
    }
}

fn schema() -> serde_json::Value {
    serde_json::from_str(&config::schema::json_schema()).unwrap()
}

fn as_json(toml_text: &str) -> serde_json::Value {
    serde_json::to_value(toml::from_str::<toml::Value>(toml_text).unwrap()).unwrap()
}

#[test]
fn committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(repo().join("stack.schema.json")).unwrap();
    assert_eq!(committed, config::schema::json_schema(), "run `provision schema > stack.schema.json`");
    let stack = std::fs::read_to_string(repo().join("stack.toml")).unwrap();
    assert!(stack.starts_with("#:schema ./stack.schema.json"));
}

#[test]
fn schema_accepts_every_example_and_rejects_unknown_keys() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    for path in [
        repo().join("stack.toml"),
        repo().join("examples/minimal.toml"),
        repo().join("examples/query-partitioning.toml"),
        repo().join("examples/fleet.toml"),
        repo().join("examples/modules/firehose-pipeline/module.toml"),
        repo().join("examples/regions.toml"),
        repo().join("examples/modules/regional-pipeline/module.toml"),
    ] {
        let doc = as_json(&std::fs::read_to_string(&path).unwrap());
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    let text = std::fs::read_to_string(repo().join("stack.toml"))
        .unwrap()
        .replace("buffer_size_mb = 128", "bufer_size_mb = 128");
    assert!(!validator.is_valid(&as_json(&text)));
    let text = std::fs::read_to_string(repo().join("stack.toml")).unwrap().replace("[bucket.data]", "[buckets.data]");
    assert!(!validator.is_valid(&as_json(&text)));
}

#[test]
fn an_invalid_stack_makes_no_request() {
    // A listener that counts connections stands in for AWS.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let invalid = std::fs::read_dir(repo().join("tests/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-buffer-size-too-large.toml"))
        .unwrap();
    // A fleet whose module breaks a rule in every instance.
    let fleet = tempfile::tempdir().unwrap();
    let module = fleet.path().join("modules/firehose-pipeline");
    std::fs::create_dir_all(&module).unwrap();
    let text = std::fs::read_to_string(repo().join("examples/modules/firehose-pipeline/module.toml")).unwrap();
    std::fs::write(module.join("module.toml"), text.replace("buffer_size_mb = 128", "buffer_size_mb = 129")).unwrap();
    let fleet_stack = fleet.path().join("fleet.toml");
    std::fs::copy(repo().join("examples/fleet.toml"), &fleet_stack).unwrap();
    for (command, invalid) in ["plan", "apply", "destroy"].iter().flat_map(|c| [(*c, &invalid), (*c, &fleet_stack)]) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
            .args(
                ["-f", invalid.to_str().unwrap(), command, "--auto-approve"]
                    .iter()
                    .filter(|a| command != "plan" || **a != "--auto-approve"),
            )
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error[D3]") && stderr.contains("nothing was sent to AWS"), "{stderr}");
        if invalid == &fleet_stack {
            // Each instance's error, at the module file's line.
            for key in ["acme", "globex", "initech"] {
                assert!(stderr.contains(&format!("module.tenant[{key}].firehose.events.buffer_size_mb")), "{stderr}");
            }
            assert!(stderr.contains("modules/firehose-pipeline/module.toml:"), "{stderr}");
        }
        assert!(listener.accept().is_err(), "{command} connected to the endpoint");
    }
}

#[test]
fn validate_needs_no_credentials() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
        .args(["-f", repo().join("stack.toml").to_str().unwrap(), "validate"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is valid: 6 resources, 0 warning(s)"));
}

mod prefix_parser {
    use proptest::prelude::*;
    use provision::prefix::{parse, Part};

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_expression_like_input(s in "([a-z/=']|!\\{|\\}|:){0,40}") {
            let _ = parse(&s);
        }

        #[test]
        fn parsed_parts_rebuild_the_input(s in "([a-z/=]|!\\{(timestamp|firehose|partitionKeyFromQuery):[a-zA-Z-]{1,8}\\}){0,12}") {
            let parts = parse(&s).unwrap();
            let rebuilt: String = parts.iter().map(|p| match p {
                Part::Literal(l) => l.clone(),
                Part::Expression { namespace, value } => format!("!{{{namespace}:{value}}}"),
            }).collect();
            prop_assert_eq!(rebuilt, s);
        }
    }
}

#[test]
fn generated_policies_name_exact_resources() {
    for stack in ["stack.toml", "examples/minimal.toml", "examples/query-partitioning.toml"] {
        let (stack, _) = config::validate_offline(
            &repo().join(stack),
            &config::Options { package_code: true, ..Default::default() },
        )
        .unwrap();
        for r in &stack.resources {
            if let provision::model::Spec::Role(role) = &r.spec {
                let Some(policy) = &role.inline_policy else { continue };
                for statement in policy["Statement"].as_array().unwrap() {
                    for resource in statement["Resource"].as_array().unwrap() {
                        let arn = resource.as_str().unwrap();
                        assert!(arn != "*" && arn.starts_with("arn:aws:"), "{}: {arn}", r.address);
                    }
                    assert!(statement["Action"].as_array().unwrap().iter().all(|a| !a.as_str().unwrap().contains('*')));
                }
            }
        }
    }
}

/// Mutated stack files: whatever the text, validation answers with diagnostics, never a panic.
mod mutated_stacks {
    use proptest::prelude::*;
    use provision::config;

    /// One edit of the text: insert a string, delete a range, or duplicate a line.
    #[derive(Debug, Clone)]
    enum Edit {
        Insert(usize, String),
        Delete(usize, usize),
        DuplicateLine(usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (
                any::<usize>(),
                prop_oneof!["\\PC{0,6}", "[=\\[\\]{}\"'#.,\n]{1,3}", "(é|ü|日本|💥|\u{202e})[a-z]{0,4} = "]
            )
                .prop_map(|(at, s)| Edit::Insert(at, s)),
            (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete(at, len)),
            any::<usize>().prop_map(Edit::DuplicateLine),
        ]
    }

    fn floor(text: &str, at: usize) -> usize {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    fn apply(mut text: String, edits: &[Edit]) -> String {
        for e in edits {
            match e {
                Edit::Insert(at, s) => {
                    let at = floor(&text, *at);
                    text.insert_str(at, s);
                }
                Edit::Delete(at, len) => {
                    let start = floor(&text, *at);
                    let end = floor(&text, (start + len).min(text.len()));
                    text.replace_range(start..end.max(start), "");
                }
                Edit::DuplicateLine(n) => {
                    let lines: Vec<&str> = text.lines().collect();
                    if !lines.is_empty() {
                        let line = lines[n % lines.len()].to_string();
                        text = format!("{text}\n{line}\n");
                    }
                }
            }
        }
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn validation_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
            let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.toml")).unwrap();
            let text = apply(base, &edits);
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("stack.toml");
            std::fs::write(&path, &text).unwrap();
            match config::validate_offline(&path, &config::Options::default()) {
                Ok(_) => {}
                Err(invalid) => {
                    // Every problem is rendered (the rendering must not panic either).
                    prop_assert!(invalid.errors() > 0);
                    let _ = invalid.to_string();
                }
            }
        }
    }

    #[test]
    fn a_key_starting_with_a_non_ascii_character_is_a_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.toml");
        let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.toml")).unwrap();
        std::fs::write(&path, base.replace("[bucket.data]\n", "[bucket.data]\néphémère = true\n")).unwrap();
        let invalid = config::validate_offline(&path, &config::Options::default()).unwrap_err();
        let text = invalid.to_string();
        assert!(text.contains("invalid key") && text.contains("stack.toml:17:1"), "{text}");
        assert!(text.contains("keys are ASCII letters, digits"), "{text}");
    }
}

#[test]
fn the_kms_statement_names_the_key_and_carries_aws_s_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let text = std::fs::read_to_string(repo().join("examples/minimal.toml")).unwrap()
        + "region = \"us-east-1\"\n"
        + &format!("kms_key_arn = \"{key}\"\n");
    let text = text
        .replacen(
            "[stack]\nname = \"firehose-minimal\"\n",
            "[stack]\nname = \"firehose-minimal\"\nregion = \"us-east-1\"\n",
            1,
        )
        .replace("region = \"us-east-1\"\nkms", "kms");
    let path = dir.path().join("stack.toml");
    std::fs::write(&path, text).unwrap();
    let (stack, _) = config::validate_offline(&path, &config::Options::default()).unwrap();
    let role = stack.resources.iter().find_map(|r| match &r.spec {
        provision::model::Spec::Role(role) => role.inline_policy.clone(),
        _ => None,
    });
    let policy = role.unwrap();
    let kms =
        policy["Statement"].as_array().unwrap().iter().find(|s| s["Action"].to_string().contains("kms:")).unwrap();
    assert_eq!(kms["Resource"], serde_json::json!([key]));
    assert_eq!(kms["Condition"]["StringEquals"]["kms:ViaService"], "s3.us-east-1.amazonaws.com");
    assert_eq!(
        kms["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"],
        "arn:aws:s3:::firehose-minimal-123456789012/*"
    );
}
