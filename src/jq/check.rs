//! Checking a MetadataExtraction query before anything runs it, by jq 1.6 itself (the one built
//! into provision): whether it compiles, with jq 1.6's own message (rule R18), and the builtins
//! that mean nothing in a partition-key query (R19). Those are found by jq 1.6's compiler too:
//! each is defined ahead of the query to call a name that does not exist, and jq 1.6 reports an
//! undefined name only in a definition the query calls (a field `.input` or a key
//! `{input: ...}` calls nothing; a query's own `def input:` is its own).

use super::native::compile_errors;
use super::syntax::Refused;

/// Builtins that mean nothing in a partition-key query, where Firehose gives the query one record
/// and reads one answer: they read other input, stop the program, print elsewhere or describe
/// the program itself (rule R19), with their arities.
pub const REFUSED: [(&str, usize); 14] = [
    ("input", 0),
    ("inputs", 0),
    ("input_filename", 0),
    ("input_line_number", 0),
    ("halt", 0),
    ("halt_error", 0),
    ("halt_error", 1),
    ("debug", 0),
    ("stderr", 0),
    ("builtins", 0),
    ("modulemeta", 0),
    ("get_search_list", 0),
    ("get_jq_origin", 0),
    ("get_prog_origin", 0),
];

/// A problem with a query: an error (the stack is refused) or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: &'static str,
    pub error: bool,
    pub message: String,
}

/// Checks a query as jq 1.6 compiles it (rules R18, R19), on a stack no query can overflow (see
/// [`super::syntax::guarded`]). A query over Firehose's length limit is left to rule R1.
pub fn check(code: &str) -> Vec<Problem> {
    match super::syntax::guarded(code, || check_compiled(code)) {
        Ok(problems) => problems,
        Err(Refused::TooLong(_)) => Vec::new(),
        Err(refused) => vec![Problem { rule: "R18", error: true, message: refused.to_string() }],
    }
}

/// jq 1.6's refusal of a query, from what it printed: its first line, which says what and where
/// (the next ones repeat the query's line and count the errors).
pub fn refusal(printed: &str) -> String {
    let first = printed.lines().map(str::trim_end).find(|l| !l.is_empty()).unwrap_or("it does not compile");
    format!("jq 1.6 refuses the query: {}", crate::output::escape(first.trim_end_matches(':')))
}

/// jq 1.6's refusal of `code` ([`refusal`]), or `None` when jq 1.6 compiles it. On the caller's
/// stack: call it within [`super::syntax::guarded`].
pub fn refused_by_jq(code: &str) -> Option<String> {
    let errors = compile_errors(code);
    (!errors.is_empty()).then(|| refusal(&errors.join("\n")))
}

/// The name a probe definition calls: undefined, so that jq names it when the query calls it.
fn probe_name(builtin: &str, arity: usize) -> String {
    format!("__provision_calls_{builtin}_{arity}")
}

fn check_compiled(code: &str) -> Vec<Problem> {
    if let Some(message) = refused_by_jq(code) {
        return vec![Problem { rule: "R18", error: true, message }];
    }
    // One line of probes ahead of the query: its lines keep their numbers.
    let probes = REFUSED.iter().copied().chain([("env", 0)]);
    let mut program = String::new();
    for (builtin, arity) in probes.clone() {
        let params = if arity == 0 { String::new() } else { format!("({})", vec!["f"; arity].join("; ")) };
        program.push_str(&format!("def {builtin}{params}: {}; ", probe_name(builtin, arity)));
    }
    program.push_str(code);
    let called = compile_errors(&program).join("\n");
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for (builtin, arity) in probes {
        if !called.contains(&format!("{}/0 is not defined", probe_name(builtin, arity))) || seen.contains(&builtin) {
            continue;
        }
        seen.push(builtin);
        problems.push(if builtin == "env" {
            env_warning("env")
        } else {
            Problem {
                rule: "R19",
                error: true,
                message: format!(
                    "`{builtin}` means nothing in a partition-key query (Firehose gives the query one record and reads one answer): remove it"
                ),
            }
        });
    }
    if mentions_variable(code, "$ENV") {
        problems.push(env_warning("$ENV"));
    }
    problems
}

/// Whether `variable` (`$ENV`) stands in the query as a whole name (a warning's test: text in
/// a string counts too).
fn mentions_variable(code: &str, variable: &str) -> bool {
    code.match_indices(variable)
        .any(|(i, _)| !code[i + variable.len()..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'))
}

fn env_warning(what: &str) -> Problem {
    Problem {
        rule: "R19",
        error: false,
        message: format!("Firehose's query sees no environment: `{what}` is {{}} there (and in preview)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jq::syntax::{too_deep, MAX_NESTING};

    fn rules(code: &str) -> Vec<(&'static str, bool)> {
        check(code).into_iter().map(|p| (p.rule, p.error)).collect()
    }

    /// The one problem of a query, an error of `rule`.
    fn the_error(query: &str, rule: &str) -> Problem {
        let mut problems = check(query);
        assert_eq!(problems.len(), 1, "{query}: {problems:?}");
        let problem = problems.remove(0);
        assert_eq!((problem.rule, problem.error), (rule, true), "{query}: {problem:?}");
        problem
    }

    #[test]
    fn queries_nested_thousands_deep_are_refused_before_jq_sees_them() {
        for deep in [
            "if true then ".repeat(150) + "." + &" else . end".repeat(150),
            "[.".repeat(300) + &"]".repeat(300),
            "\"\\(".repeat(300) + "." + &")\"".repeat(300),
            "def f: ".repeat(300) + ".",
        ] {
            assert!(deep.len() <= crate::jq::syntax::MAX_QUERY_CHARS);
            assert!(the_error(&deep, "R18").message.contains("nests more than 64 levels"), "{}", &deep[..40]);
        }
        // Real queries, with strings and comments holding brackets, pass.
        for fine in [
            "{region: .region, device: (.type.device // \"x\")}",
            "{k: \"[[[(((\\(.a) ]]\"} # ((((",
            &("[".repeat(60) + &"]".repeat(60)),
        ] {
            assert!(too_deep(fine).is_none(), "{fine}");
            assert!(check(fine).is_empty(), "{fine}");
        }
        assert!(too_deep(&"(".repeat(65)).is_some());
        let deepest = "[".repeat(MAX_NESTING - 1) + "." + &"]".repeat(MAX_NESTING - 1);
        assert!(check(&deepest).is_empty());
    }

    /// jq 1.6 decides: what it compiles passes, what it refuses is refused with its message.
    #[test]
    fn jq_1_6_decides_what_compiles() {
        assert_eq!(rules(". as [$a] ?// $a | {a: $a}"), [], "destructuring alternatives are jq 1.6's");
        assert_eq!(rules("{a: (.a | ltrimstr(\"x\")), b: (.b | splits(\",\"))}"), []);
        for (query, message) in [
            ("{k: .a | abs}", "abs/0 is not defined"),
            ("{k: pick(.a)}", "pick/1 is not defined"),
            ("{k: .a | ltrimstr}", "ltrimstr/0 is not defined"),
            ("{k: .a | frobnicate}", "frobnicate/0 is not defined"),
        ] {
            let refused = the_error(query, "R18").message;
            assert!(
                refused.starts_with("jq 1.6 refuses the query: jq: error: ") && refused.contains(message),
                "{refused}"
            );
        }
    }

    #[test]
    fn syntax_errors_say_where() {
        let p = check("{a: .a,\n b: (.b | }");
        assert_eq!(p[0].rule, "R18");
        assert!(p[0].message.contains("line 2"), "{p:?}");
        assert_eq!(rules("{customer_id: .customer_id}"), []);
    }

    #[test]
    fn builtins_without_meaning_here_are_refused_and_env_is_empty() {
        for (q, builtin) in [
            ("{a: input}", "input"),
            ("{a: (halt_error)}", "halt_error"),
            ("{a: (halt_error(1))}", "halt_error"),
            ("{a: (.x | debug)}", "debug"),
            ("{a: [inputs]}", "inputs"),
            ("{a: ($__loc__ | input_line_number)}", "input_line_number"),
        ] {
            let refused = the_error(q, "R19").message;
            assert!(refused.starts_with(&format!("`{builtin}` means nothing")), "{refused}");
        }
        // jq 1.6 has `$__loc__` (`{"file":"<top-level>","line":1}`): Firehose takes it.
        assert_eq!(rules("{a: $__loc__.line}"), []);
        assert_eq!(rules("{a: .input, input: .b, debug: .halt}"), [], "fields and keys named so call nothing");
        assert_eq!(rules("def input: .x; {a: input}"), [], "the query's own definition is its own");
        assert_eq!(rules("{a: env.HOME}"), [("R19", false)]);
        assert_eq!(rules("{a: $ENV.HOME}"), [("R19", false)]);
        assert_eq!(rules("{a: $ENVIRONMENT}").first().map(|r| r.0), Some("R18"), "another variable, undefined");
    }

    /// Every construct a parser recurses on, repeated up to Firehose's length limit: checked
    /// without overflowing anything; one character more is rule R1's.
    #[test]
    fn checks_of_every_construct_at_the_length_limit_stay_on_the_stack() {
        use crate::jq::syntax::MAX_QUERY_CHARS;
        let fill = |unit: &str, head: &str, tail: &str| {
            let n = (MAX_QUERY_CHARS - head.len() - tail.len()) / unit.len();
            format!("{head}{}{tail}", unit.repeat(n))
        };
        let before = ["try ", ". as $a | ", "label $out | ", "def f: "].map(|unit| fill(unit, "", "."));
        let after = [" | not", " // .", " | .", ", .", ".a?"].map(|unit| fill(unit, ".", ""));
        let others = [
            fill("-", "", "1"),
            fill(" + 1", "1", ""),
            fill(" and true", "true", ""),
            fill("reduce . as $x (.; ", "", ""),
        ];
        for query in before.into_iter().chain(after).chain(others) {
            assert!(query.chars().count() <= MAX_QUERY_CHARS);
            let _ = check(&query);
            let longer = format!("{query} ").repeat(2);
            assert!(check(&longer).is_empty(), "left to rule R1");
        }
    }
}
