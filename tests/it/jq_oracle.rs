#![allow(clippy::print_stderr)]
//! The jq 1.6 built into provision against a jq 1.6 binary, the engine Firehose runs: a corpus
//! of queries (the developer guide's examples, numbers of every shape, unicode strings, null and
//! missing values, nested paths, time functions, tostring, @text, tojson, split, if, //,
//! select...) over records of every shape, and generated records; any difference, in an answer
//! or in an error's text, fails. Both run as preview runs them: through preview's own
//! evaluator, each in its confined worker process (the binary; the built-in one in
//! `provision __jq-worker`), so framing, budgets and the answers' encoding are on the path too.
//! Needs a jq 1.6 binary (`/usr/bin/jq`, or `PROVISION_JQ`): without it the test fails, unless
//! `PROVISION_TEST_NO_JQ16` is set (never in CI), and then says it did not run.

use crate::common::jq16_binary;
use provision::datapath::query::{Budget, Engine, Evaluator};
use provision::jq::Outcome;

fn jq16() -> Option<std::path::PathBuf> {
    provision::sandbox::set_program(env!("CARGO_BIN_EXE_provision").into());
    match jq16_binary() {
        Some(jq) => Some(jq),
        None if std::env::var_os("PROVISION_TEST_NO_JQ16").is_some() => {
            eprintln!("jq 1.6 not found and PROVISION_TEST_NO_JQ16 set: the differential test was not run");
            None
        }
        None => panic!("jq 1.6 is required: install it (Debian's jq package), point PROVISION_JQ at it, or set PROVISION_TEST_NO_JQ16=1 to skip this test"),
    }
}

/// The jq 1.6 built into provision, as preview runs it.
fn built_in() -> Engine {
    Engine::BuiltIn(env!("CARGO_BIN_EXE_provision").into())
}

const QUERIES: &[&str] = &[
    // The developer guide's examples.
    "{customer_id: .customer_id}",
    "{device: .type.device}",
    "{year: .event_timestamp | strftime(\"%Y\")}",
    "{customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime(\"%Y\"), month: .event_timestamp|strftime(\"%m\"), day: .event_timestamp|strftime(\"%d\"), hour: .event_timestamp|strftime(\"%H\")}",
    // Numbers.
    "{n: .n}",
    "{n: (.n | tostring)}",
    "{n: \"\\(.n)\"}",
    "{n: \"id-\\(.n)-\\(.s)\"}",
    "{n: (.n | @text)}",
    "{n: ([.n] | tojson)}",
    "{n: (.n * 2)}",
    "{n: (.n / 3)}",
    "{n: (.n + 0.1)}",
    "{n: (.n | floor)}",
    "{n: (.n | tostring | length)}",
    "{n: ((.n // 0) * 1000 | floor)}",
    "{n: (.n | tonumber)}",
    "{n: ([.n, 1.0, 2.50] | @csv)}",
    // Strings.
    "{s: .s}",
    "{s: (.s | ascii_downcase)}",
    "{s: (.s | ascii_upcase)}",
    "{s: (.s | split(\"-\") | .[0])}",
    "{s: (.s | split(\"-\") | length)}",
    "{s: (.s | length)}",
    "{s: (.s | index(\"b\"))}",
    "{s: (.s | indices(\"-\") | tostring)}",
    "{s: (.s | ltrimstr(\"a\"))}",
    "{s: (.s | .[0:2])}",
    "{s: (.s | tojson)}",
    "{s: (.s | @base64)}",
    "{s: (.s | explode | implode)}",
    "{s: (.s | startswith(\"A\"))}",
    "{s: ([.s, .n] | @tsv)}",
    "{s: ([.s, .n, null, true] | join(\"/\"))}",
    // Null and missing.
    "{m: .missing}",
    "{m: (.missing // \"none\")}",
    "{m: (.a.b.c // \"x\")}",
    "{m: (.n // .s // \"neither\")}",
    // Nested paths.
    "{d: .arr[0]}",
    "{d: (.arr | length)}",
    "{d: (.arr | map(tostring) | join(\"-\"))}",
    "{d: (.obj | keys_unsorted | join(\",\"))}",
    "{d: (.obj | keys | join(\",\"))}",
    "{d: (.obj | to_entries | map(.key) | join(\"\"))}",
    "{d: .k.z}",
    // Time.
    "{t: (.ts | todate)}",
    "{t: (.ts | strftime(\"%Y/%m/%d/%H\"))}",
    "{t: (.ts | todate[0:10])}",
    "{t: (.ts | gmtime | mktime)}",
    // Control.
    "{c: (if .n > 1 then \"big\" else \"small\" end)}",
    "{c: (select(.n != null) | .n)}",
    "{c: (.arr[] | tostring)}",
    "{c: (.flag | not)}",
    "{c: .flag}",
    "{c: ($ENV | length)}",
    "{c: (env | length)}",
    "{l: ($__loc__ | tostring)}",
    // What is not an object of scalars.
    "{o: .obj}",
    ".n",
    "empty",
    "{a: .n, b: .s, c: .flag}",
];

const RECORDS: &[&str] = &[
    r#"{"type":{"device":"mobile","event":"click"},"customer_id":"123456789012","event_timestamp":1565382027,"region":"us-east-1"}"#,
    r#"{"n": 1.0, "s": "aé-b", "ts": 1565382027.5, "arr": [1, 2.5, "x"], "flag": true, "obj": {"b": 1, "a": 2}}"#,
    r#"{"n": 12345678901234567890, "s": "ÄBC-def", "ts": 0, "arr": [], "flag": false}"#,
    r#"{"n": 1e-5, "s": "", "ts": 1700000000.999, "arr": [null], "obj": {}}"#,
    r#"{"n": -0.0, "s": "x\u0001y\u007f", "ts": 4102444800}"#,
    r#"{"n": 1.5e300, "s": "日本-語", "arr": [[1], [2]]}"#,
    r#"{"n": 100, "s": "a\"b\\c", "ts": 1565382027}"#,
    r#"{"n": 0.1, "type": {"device": "pc"}, "k": {"z": 1, "y": 2}}"#,
    r#"{}"#,
    r#"{"n": "12", "s": 5}"#,
    r#"nope"#,
    r#"[1, 2]"#,
    r#"{"n": 9007199254740993, "s": "b-b"}"#,
    r#"{"n": 1e17, "s": "A-B-C", "customer_id": 42.50}"#,
    r#"{"ts": 1e12}"#,
];

/// Outcomes compared exactly (errors with their texts), but a query over its budget (or a
/// crashed process), which agrees with another such.
fn same(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::OverBudget(_), Outcome::OverBudget(_)) => true,
        _ => a == b,
    }
}

/// Compares both engines over every query and record; the pairs compared.
fn compare(jq: &std::path::Path, queries: &[&str], records: &[String]) -> usize {
    let mut differences = Vec::new();
    let mut pairs = 0;
    for query in queries {
        // A loaded machine must not turn a slow answer into a difference: budgets far above any
        // answer's time (the small budgets are measured by the benchmarks).
        let budget = Budget { per_record: std::time::Duration::from_secs(30), ..Budget::default() };
        let mut exact = Evaluator::new(Engine::Jq16(jq.to_path_buf()), query, budget).unwrap();
        let mut emulated = Evaluator::new(built_in(), query, budget).unwrap();
        let data: Vec<&[u8]> = records.iter().map(|r| r.as_bytes()).collect();
        let want = exact.evaluate(&data);
        let got = emulated.evaluate(&data);
        for ((record, want), got) in records.iter().zip(want).zip(got) {
            pairs += 1;
            if !same(&want, &got) {
                differences.push(format!("{query}\n    on {record}\n    jq 1.6:   {want:?}\n    built in: {got:?}"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} difference(s) in {pairs} pairs:\n{}",
        differences.len(),
        differences.join("\n")
    );
    pairs
}

#[test]
fn the_built_in_jq_agrees_with_jq_1_6_on_the_corpus() {
    let Some(jq) = jq16() else { return };
    let records: Vec<String> = RECORDS.iter().map(|r| r.to_string()).collect();
    let pairs = compare(&jq, QUERIES, &records);
    assert!(pairs >= 300, "{pairs} pairs");
}

/// A random JSON value: numbers of every shape, strings with unicode and escapes, nesting.
fn value(rng: &mut fastrand::Rng, depth: u32) -> serde_json::Value {
    use serde_json::json;
    match rng.u32(0..if depth > 2 { 6 } else { 8 }) {
        0 => json!(null),
        1 => json!(rng.bool()),
        2 => json!(rng.i64(-1_000_000..1_000_000)),
        3 => {
            // Integers and fractions of every magnitude, exponents both ways.
            let mantissa = rng.f64() * 10.0 - 5.0;
            let x = mantissa * 10f64.powi(rng.i32(-20..25));
            serde_json::Number::from_f64(x).map(serde_json::Value::Number).unwrap_or(json!(0))
        }
        4 => json!(rng.u64(..)),
        5 => {
            let alphabet: Vec<char> = "aZ09-_ é日本\u{1}\u{7f}\"\\/".chars().collect();
            json!((0..rng.usize(0..8)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect::<String>())
        }
        6 => json!((0..rng.usize(0..4)).map(|_| value(rng, depth + 1)).collect::<Vec<_>>()),
        _ => {
            let keys = ["n", "s", "ts", "arr", "obj", "k", "flag"];
            let map: serde_json::Map<String, serde_json::Value> = (0..rng.usize(0..5))
                .map(|_| (keys[rng.usize(..keys.len())].to_string(), value(rng, depth + 1)))
                .collect();
            json!(map)
        }
    }
}

#[test]
fn the_built_in_jq_agrees_with_jq_1_6_on_generated_records() {
    let Some(jq) = jq16() else { return };
    let mut rng = fastrand::Rng::with_seed(20261201);
    let records: Vec<String> = (0..300)
        .map(|_| {
            let mut record = serde_json::Map::new();
            for key in ["n", "s", "arr", "obj"] {
                record.insert(key.to_string(), value(&mut rng, 1));
            }
            // Arrival times and event times of any plausible epoch (1653 to 2286), fractions too.
            let ts = rng.f64() * 2e10 - 1e10;
            let ts = if rng.bool() { ts.trunc() } else { ts };
            record.insert("ts".to_string(), serde_json::json!(ts));
            serde_json::Value::Object(record).to_string()
        })
        .collect();
    let queries = [
        "{n: .n}",
        "{n: \"\\(.n)\"}",
        "{s: (.s | tostring)}",
        "{a: (.arr | tojson)}",
        "{o: (.obj | tojson)}",
        "{t: (.ts | todate)}",
    ];
    compare(&jq, &queries, &records);
}

/// Whether the jq 1.6 binary compiles `query` (never run: `if false then (...)`).
fn binary_compiles(jq: &std::path::Path, query: &str) -> bool {
    let program = format!("if false then ({query}\n) else 0 end");
    std::process::Command::new(jq).args(["-n", &program]).output().unwrap().status.success()
}

/// Rules R18 and R19 refuse a builtin only where jq 1.6 refuses it, or where it means nothing in
/// a partition-key query (R19's list): every name and arity of jq 1.6's own `builtins` list is
/// called in a query that jq 1.6 compiles, and provision's check of it is compared. The special
/// variables jq 1.6 has (`$ENV`, `$__loc__`) pass too; one it lacks is refused as jq 1.6 does.
#[test]
fn rule_r18_r19_builtins_are_refused_only_where_jq_1_6_refuses_them() {
    let Some(jq) = jq16() else { return };
    let compiles = |query: &str| binary_compiles(&jq, query);
    let listed = std::process::Command::new(&jq).args(["-n", "-r", "builtins[]"]).output().unwrap();
    let signatures: Vec<String> = String::from_utf8(listed.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(signatures.len(), 217, "jq 1.6 lists 217 builtins");
    let mut wrong = Vec::new();
    for signature in &signatures {
        let (name, arity) = signature.split_once('/').unwrap();
        let arguments = vec!["."; arity.parse().unwrap()].join("; ");
        let call = if arguments.is_empty() { name.to_string() } else { format!("{name}({arguments})") };
        let query = format!("{{k: ({call})}}");
        assert!(compiles(&query), "jq 1.6 does not compile {query}");
        let errors: Vec<_> = provision::jq::check::check(&query).into_iter().filter(|p| p.error).collect();
        let meaningless = provision::jq::check::REFUSED.iter().any(|(n, a)| *n == name && a.to_string() == arity);
        let refused_as = errors.iter().map(|p| p.rule).collect::<Vec<_>>();
        if (meaningless && refused_as != ["R19"]) || (!meaningless && !errors.is_empty()) {
            wrong.push(format!("{query}: {errors:?}"));
        }
    }
    assert!(wrong.is_empty(), "provision disagrees with jq 1.6 on:\n{}", wrong.join("\n"));
    for variable in ["$ENV", "$__loc__"] {
        let query = format!("{{k: ({variable} | tostring)}}");
        assert!(compiles(&query));
        assert!(provision::jq::check::check(&query).iter().all(|p| !p.error), "{query}");
    }
    let unknown = "{k: $__prog_args}";
    assert!(!compiles(unknown));
    assert!(provision::jq::check::check(unknown).iter().any(|p| p.error), "{unknown}");
}

/// The validator (rule R18) accepts exactly what jq 1.6 compiles: every query of the corpus,
/// and queries of jq 1.7 and later that jq 1.6 refuses, or the reverse.
#[test]
fn the_validator_accepts_exactly_what_jq_1_6_compiles() {
    let Some(jq) = jq16() else { return };
    let compiles = |query: &str| binary_compiles(&jq, query);
    let newer_or_older = [
        "{k: .a | abs}",
        "{k: pick(.a)}",
        "{k: .a | ltrimstr}",
        "{k: .a | trim}",
        "{k: .a | toarray}",
        "{k: (.a | have_decnum)}",
        "{k: .a | @base32d}",
        "{k: (.a | debug(\"x\"))}",
        "{k: (.a | splits(\",\") )}",
        ". as [$a] ?// $a | {k: $a}",
        "{k: (.a as {$b} ?// [$b] | $b)}",
        "{k: limit(0; .a)}",
        "{k: .a | significand}",
        "{k: getpath([\"a\"])}",
        "{k: $__loc__.line}",
        "{a: 1,}",
        "{k: .a | ascii}",
        "{k: (.a | ltrimstr(\"x\") | rtrimstr(\"y\"))}",
    ];
    let mut wrong = Vec::new();
    for query in QUERIES.iter().chain(&newer_or_older) {
        let accepted = !provision::jq::check::check(query).iter().any(|p| p.error && p.rule == "R18");
        if accepted != compiles(query) {
            wrong.push(format!("{query}: jq 1.6 {}, provision {}", compiles(query), accepted));
        }
    }
    assert!(wrong.is_empty(), "provision's acceptance differs from jq 1.6's:\n{}", wrong.join("\n"));
}
