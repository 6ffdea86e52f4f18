//! Our own fuzzing, bounded and seeded so that CI runs the same cases every time: generated jq
//! queries (recursion, endless generators, memory hogs among them) through preview's budgeted
//! engine, arbitrary bytes as stack files, saved plans and records. Nothing may panic, hang or
//! grow without bound; each query ends within its budget with an outcome.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use provision::datapath::query::{Budget, Engine, Evaluator};
use provision::jq::Outcome;
use std::time::Duration;

fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(20261201), failure_persistence: None, ..Config::default() }
}

/// A jq term from a small grammar that reaches what hostile queries do: recursion without end,
/// generators without end, quadratic memory, and ordinary paths and string functions.
fn term() -> impl Strategy<Value = String> {
    let leaves =
        [".", ".a", ".a.b[0]", "1.0", "\"x\"", "null", "range(1e9)", "repeat(1)", "env", "now", "infinite", "nan"];
    let leaf = prop::sample::select(leaves.to_vec()).prop_map(String::from);
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} | {b})")),
            inner.clone().prop_map(|a| format!("[{a}]")),
            inner.clone().prop_map(|a| format!("last({a})")),
            inner.clone().prop_map(|a| format!("[limit(1e9; {a})] | length")),
            inner.clone().prop_map(|a| format!("until(false; {a})")),
            inner.clone().prop_map(|a| format!("[recurse({a}; true)]")),
            inner.clone().prop_map(|a| format!("(def f: {a} + f; f)")),
            inner.clone().prop_map(|a| format!("({a} | tostring | ascii_downcase)")),
            inner.clone().prop_map(|a| format!("({a} | combinations(20))")),
            inner.prop_map(|a| format!("({a} // \"none\")")),
        ]
    })
}

/// The worker is the provision binary, confined by its own sandbox, as preview runs it.
fn engine() -> Engine {
    provision::sandbox::set_program(env!("CARGO_BIN_EXE_provision").into());
    Engine::BuiltIn(env!("CARGO_BIN_EXE_provision").into())
}

/// A budget a loaded machine keeps to for a query that ends (the small budgets of real use are
/// measured by the benchmarks, not here).
const BUDGET: Budget = Budget { per_record: Duration::from_secs(1), memory_mib: 192, over_in_a_row: 2 };

#[test]
fn the_fuzzed_evaluator_is_the_one_preview_runs() {
    // Without this, every fuzz case could end "within its budget" because the worker never ran.
    let mut evaluator = Evaluator::new(engine(), "{k: .a.b[0]}", BUDGET).unwrap();
    let outcomes = evaluator.evaluate(&[br#"{"a": {"b": [1]}}"#]);
    assert!(matches!(&outcomes[0], Outcome::Keys(keys) if keys[0].2 == "1"), "{outcomes:?}");
}

/// Many batches go to two workers side by side: every answer lands on its own record, in order,
/// and a record over its budget fails alone (its worker is replaced, the rest of its batch sent
/// again), for the built-in jq 1.6 and for a jq 1.6 binary.
#[test]
fn answers_keep_their_records_order_across_workers_and_failures() {
    let query = "{k: (if .slow then last(range(1e15)) else .v end)}";
    let records: Vec<Vec<u8>> = (0..700)
        .map(|i| {
            let slow = i == 300 || i == 520;
            format!("{{\"v\": {i}, \"slow\": {slow}}}").into_bytes()
        })
        .collect();
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let mut engines = vec![engine()];
    match crate::common::jq16_binary() {
        Some(jq) => engines.push(Engine::Jq16(jq)),
        // Never in CI: without a jq 1.6 binary the test runs the built-in one only, by name.
        None => assert!(
            std::env::var_os("PROVISION_TEST_NO_JQ16").is_some(),
            "jq 1.6 is required (Debian's jq package), or set PROVISION_TEST_NO_JQ16=1"
        ),
    }
    for e in engines {
        let mut evaluator = Evaluator::new(e.clone(), query, BUDGET).unwrap();
        let outcomes = evaluator.evaluate(&refs);
        assert_eq!(outcomes.len(), 700);
        for (i, o) in outcomes.iter().enumerate() {
            match o {
                Outcome::OverBudget(_) => assert!(i == 300 || i == 520, "{e:?}: record {i}: {o:?}"),
                Outcome::Keys(keys) => assert_eq!(keys[0].2, i.to_string(), "{e:?}: record {i}"),
                other => panic!("{e:?}: record {i}: {other:?}"),
            }
        }
        assert!(matches!(outcomes[300], Outcome::OverBudget(_)) && matches!(outcomes[520], Outcome::OverBudget(_)));
    }
}

/// Every query ends within its budget with an outcome: the recursion that overflowed the stack,
/// the generators that never ended and the memory hogs included. The cases are counted: a query
/// jq 1.6 refuses to compile ends with a message but proves nothing of the budget, so most
/// of them must compile and run.
#[test]
fn any_query_ends_within_its_budget() {
    use proptest::test_runner::TestRunner;
    let cases = 48;
    let evaluated = std::cell::Cell::new(0u32);
    let refused = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(config(cases));
    runner
        .run(&term(), |query| {
            let query = format!("{{k: ({query})}}");
            let records: [&[u8]; 3] = [br#"{"a": {"b": [1]}}"#, b"[]", b"not json"];
            let outcomes = match Evaluator::new(engine(), &query, BUDGET) {
                Ok(mut evaluator) => evaluator.evaluate(&records),
                Err(message) => {
                    prop_assert!(!message.is_empty());
                    refused.set(refused.get() + 1);
                    return Ok(());
                }
            };
            // An outcome for each record: the budget ended what would not end (a query the
            // budget failed to stop is ended by the suite's watchdog, .config/nextest.toml).
            prop_assert_eq!(outcomes.len(), 3);
            for o in outcomes {
                if let Outcome::Keys(keys) = o {
                    prop_assert!(keys.iter().all(|(k, _, _)| k == "k"));
                }
            }
            evaluated.set(evaluated.get() + 1);
            Ok(())
        })
        .unwrap();
    assert_eq!(evaluated.get() + refused.get(), cases, "every case ran");
    assert!(evaluated.get() >= cases * 3 / 4, "{} of {cases} queries compiled and ran", evaluated.get());
}

/// The per-record budget counts from the worker's readiness, not from its start: a jq 1.6 that
/// takes 1.5 s to start (three times the budget) and the built-in one answer every ordinary
/// record within a 500 ms budget (before: the first record of each worker was over budget
/// whenever the start took longer than the budget).
#[test]
fn a_slow_to_start_worker_puts_no_ordinary_record_over_budget() {
    let budget = Budget { per_record: Duration::from_millis(500), memory_mib: 192, over_in_a_row: 2 };
    let mut engines = vec![engine()];
    let dir = tempfile::tempdir().unwrap();
    if std::path::Path::new("/usr/bin/jq").exists() {
        let slow = dir.path().join("slow-jq");
        std::fs::write(&slow, "#!/bin/sh\nsleep 1.5\nexec /usr/bin/jq \"$@\"\n").unwrap();
        std::fs::set_permissions(&slow, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        engines.push(Engine::Jq16(slow));
    } else {
        assert!(
            std::env::var_os("PROVISION_TEST_NO_JQ16").is_some(),
            "jq 1.6 is required, or PROVISION_TEST_NO_JQ16=1"
        );
    }
    for engine in engines {
        let described = engine.describe();
        let mut evaluator = Evaluator::new(engine, "{k: .v}", budget).unwrap();
        let records: Vec<Vec<u8>> = (0..600).map(|i| format!("{{\"v\": {i}}}").into_bytes()).collect();
        let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        let outcomes = evaluator.evaluate(&refs);
        let over: Vec<_> = outcomes.iter().filter(|o| matches!(o, Outcome::OverBudget(_))).collect();
        assert!(over.is_empty(), "{described}: {over:?}");
        assert!(matches!(&outcomes[599], Outcome::Keys(k) if k[0].2 == "599"), "{described}: {:?}", outcomes[599]);
    }
}

/// A record built to exhaust the worker's memory ends with the memory named; once the budget is
/// exceeded `over_in_a_row` times in a row, the remaining records are not evaluated (said so).
#[test]
fn the_budget_names_memory_and_stops_after_records_over_it_in_a_row() {
    let budget = Budget { per_record: Duration::from_secs(20), memory_mib: 192, over_in_a_row: 2 };
    let mut evaluator =
        Evaluator::new(engine(), "{k: (if .big then [range(1e9)] | length else .v end)}", budget).unwrap();
    let outcomes = evaluator.evaluate(&[br#"{"v": 1}"#, br#"{"big": true}"#, br#"{"v": 2}"#]);
    assert!(matches!(&outcomes[0], Outcome::Keys(k) if k[0].2 == "1"), "{outcomes:?}");
    assert!(
        matches!(&outcomes[1], Outcome::OverBudget(m) if m.contains("out of its 192 MiB of memory")),
        "{outcomes:?}"
    );
    assert!(matches!(&outcomes[2], Outcome::Keys(k) if k[0].2 == "2"), "a new worker answers: {outcomes:?}");
    // Records that never end, each over its (short) budget: two, then the rest not evaluated.
    let budget = Budget { per_record: Duration::from_millis(200), memory_mib: 192, over_in_a_row: 2 };
    let mut evaluator = Evaluator::new(engine(), "{k: last(range(1e15))}", budget).unwrap();
    let outcomes = evaluator.evaluate(&[b"{}".as_slice(); 5]);
    let over = |o: &Outcome, text: &str| matches!(o, Outcome::OverBudget(m) if m.contains(text));
    assert_eq!(outcomes.iter().filter(|o| over(o, "did not finish within")).count(), 2, "{outcomes:?}");
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| over(o, "not evaluated: the query exceeded its budget for 2 records in a row"))
            .count(),
        3,
        "{outcomes:?}"
    );
}

proptest! {
    #![proptest_config(config(48))]

    /// Arbitrary bytes as a stack file: a message, never a panic.
    #[test]
    fn any_bytes_as_a_stack_file_load_or_say_why(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.toml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(invalid) = provision::config::validate_offline(&path, &provision::config::Options::default()) {
            prop_assert!(invalid.errors() > 0);
            let _ = invalid.to_string();
        }
    }

    /// Arbitrary bytes, and saved plans with one field mangled, as a plan file: refused with a
    /// message, never a panic.
    #[test]
    fn any_bytes_as_a_saved_plan_are_refused_with_a_message(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        field in "[a-z_]{1,20}",
        value in "\\PC{0,40}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, &bytes).unwrap();
        prop_assert!(provision::plan::saved::SavedPlan::read(&path).is_err());
        let mangled = serde_json::json!({"format": "provision-plan/2", "provision_version": "0.1.0", "stack": "s",
            "account_id": "123456789012", "region": "us-east-1", "partition": "aws", "stack_fingerprint": "x",
            "live_fingerprint": "y", "plan": {}, field.clone(): value.clone()});
        std::fs::write(&path, mangled.to_string()).unwrap();
        // Unknown fields are ignored and a string field takes any string (what it must be is
        // checked before applying); the fields of other types refuse the file, saying so.
        match provision::plan::saved::SavedPlan::read(&path) {
            Ok(saved) => {
                prop_assert!(!["plan", "request"].contains(&field.as_str()), "{field} = {value:?} was read");
                let stack = if field == "stack" { value.as_str() } else { "s" };
                prop_assert_eq!(saved.stack, stack);
            }
            Err(e) => {
                prop_assert!(["plan", "request"].contains(&field.as_str()), "{field} = {value:?}: {e:#}");
                prop_assert!(format!("{e:#}").contains("is not a saved plan"), "{e:#}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Arbitrary records through the default stack's processors and the jq example's, in
    /// process: never a panic, every record accounted for.
    #[test]
    fn any_records_are_previewed_and_accounted_for(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..20)) {
        // Inside the repository (every file a run reads lies inside the project, named below).
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let path = dir.path().join("records.jsonl");
        let mut text: Vec<u8> = Vec::new();
        for line in &lines {
            text.extend(line.iter().filter(|b| **b != b'\n'));
            text.push(b'\n');
        }
        std::fs::write(&path, &text).unwrap();
        let stack = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/query-partitioning.toml");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
            .arg("-f").arg(&stack)
            .arg("--project-dir").arg(env!("CARGO_MANIFEST_DIR"))
            .args(["preview", "--json", "--records"]).arg(&path)
            .env_remove("PROVISION_JQ")
            .output().unwrap();
        prop_assert!(out.status.code() == Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let s = &report["summary"];
        let total = s["delivered"].as_u64().unwrap() + s["dropped"].as_u64().unwrap() + s["failed"].as_u64().unwrap() + s["rejected"].as_u64().unwrap();
        prop_assert_eq!(total, s["records"].as_u64().unwrap());
    }
}
