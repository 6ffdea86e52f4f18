//! Checking a MetadataExtraction query before anything runs it: syntax errors with their place,
//! names jq 1.6 does not have, and builtins that mean nothing in a partition-key query (rules R18,
//! R19 in docs/src/rules.md).

use super::syntax::{position, walk, Refused, FALLBACK_LACKS};
use jaq_core::load::lex::Tok;
use jaq_core::load::lex::Token;
use jaq_core::load::Lexer;

/// Builtins that mean nothing in a partition-key query, where Firehose gives the query one record
/// and reads one answer: they read other input, stop the program, print elsewhere or describe
/// the program itself (rule R19).
pub const REFUSED: [&str; 13] = [
    "input",
    "inputs",
    "input_filename",
    "input_line_number",
    "halt",
    "halt_error",
    "debug",
    "stderr",
    "builtins",
    "modulemeta",
    "get_search_list",
    "get_jq_origin",
    "get_prog_origin",
];

/// A problem with a query: an error (the stack is refused) or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub rule: &'static str,
    pub error: bool,
    pub message: String,
}

/// Checks a query as jq 1.6 would compile it (rules R18, R19), on the parser's own stack (see
/// [`super::syntax::guarded`]). A query over Firehose's length limit is left to rule R1.
pub fn check(code: &str) -> Vec<Problem> {
    match super::syntax::guarded(code, || check_parsed(code)) {
        Ok(problems) => problems,
        Err(Refused::TooLong(_)) => Vec::new(),
        Err(refused) => vec![Problem { rule: "R18", error: true, message: refused.to_string() }],
    }
}

fn check_parsed(code: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let tokens = match Lexer::new(code).lex() {
        Ok(tokens) => tokens,
        Err(errors) => {
            let (expect, rest) = &errors[0];
            let at = position(code, rest);
            problems.push(Problem {
                rule: "R18",
                error: true,
                message: format!("the jq query does not parse: expected {} at {at}", expect.as_str()),
            });
            return problems;
        }
    };
    walk(&tokens, &mut |previous, token, next| {
        let Token(text, tok) = token;
        // `.input` is a field, `{input: ...}` a key: only a call is a call.
        let after_dot = previous.is_some_and(|p| matches!(p.1, Tok::Sym) && p.0.ends_with('.'));
        let before_colon = next.is_some_and(|n| matches!(n.1, Tok::Sym) && n.0 == ":");
        let called = !after_dot && !before_colon;
        match tok {
            Tok::Word if called && REFUSED.contains(text) => problems.push(Problem {
                rule: "R19",
                error: true,
                message: format!(
                    "`{text}` means nothing in a partition-key query (Firehose gives the query one record and reads one answer): remove it"
                ),
            }),
            Tok::Word if called && *text == "env" => problems.push(env_warning("env")),
            Tok::Var if *text == "$ENV" => problems.push(env_warning("$ENV")),
            _ => {}
        }
    });
    if problems.iter().any(|p| p.error) {
        return problems;
    }
    if let Err(message) = super::jaq::Query::compile_unguarded(code) {
        // A builtin jq 1.6 has and the fallback engine lacks: Firehose takes the query.
        let error = !message.contains(FALLBACK_LACKS);
        problems.push(Problem { rule: "R18", error, message });
    }
    problems
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
    use crate::jq::syntax::{too_deep, with_text_format, JQ16_BUILTINS, MAX_NESTING};

    fn rules(code: &str) -> Vec<(&'static str, bool)> {
        check(code).into_iter().map(|p| (p.rule, p.error)).collect()
    }

    #[test]
    fn queries_nested_thousands_deep_are_refused_before_any_parser_sees_them() {
        // Each of these overflowed provision's stack when parsed thousands deep; longer than
        // Firehose's 5,120 characters they are rule R1's (see the next test), within it too deep.
        for deep in [
            "if true then ".repeat(150) + "." + &" else . end".repeat(150),
            "[.".repeat(300) + &"]".repeat(300),
            "\"\\(".repeat(300) + "." + &")\"".repeat(300),
            "def f: ".repeat(300) + ".",
        ] {
            assert!(deep.len() <= crate::jq::syntax::MAX_QUERY_CHARS);
            assert_eq!(rules(&deep), [("R18", true)], "{}", &deep[..40]);
            let refused = crate::jq::jaq::Query::compile(&deep).err().unwrap();
            assert!(refused.contains("nests more than 64 levels"), "{refused}");
        }
        // Real queries, with strings and comments holding brackets, pass.
        for fine in [
            "{region: .region, device: (.type.device // \"x\")}",
            "{k: \"[[[(((\\(.a) ]]\"} # ((((",
            &("[".repeat(60) + &"]".repeat(60)),
        ] {
            assert!(too_deep(fine).is_none(), "{fine}");
        }
        assert!(too_deep(&"(".repeat(65)).is_some());
        // The deepest query let through parses on a test thread's 2 MiB stack.
        let deepest = "[".repeat(MAX_NESTING - 1) + "." + &"]".repeat(MAX_NESTING - 1);
        assert!(too_deep(&deepest).is_none());
        crate::jq::jaq::Query::compile(&deepest).unwrap();
        assert!(check(&deepest).iter().all(|p| !p.error));
    }

    #[test]
    fn every_jq_1_6_builtin_compiles_and_only_those() {
        for signature in JQ16_BUILTINS {
            let (name, arity) = signature.split_once('/').unwrap();
            let arity: usize = arity.parse().unwrap();
            let args = if arity == 0 { String::new() } else { format!("({})", vec!["."; arity].join("; ")) };
            let code = format!("{{k: {name}{args}}}");
            let problems = check(&code);
            let refused = REFUSED.contains(&name);
            assert!(problems.iter().all(|p| !p.error) != refused, "{signature}: {problems:?}");
        }
        let unknown = check("{k: .a | frobnicate}");
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(unknown[0].message.contains("jq 1.6 has no filter `frobnicate/0`"), "{unknown:?}");
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
        for q in ["{a: input}", "{a: (halt_error)}", "{a: (.x | debug)}", "{a: [inputs]}"] {
            assert_eq!(rules(q)[0], ("R19", true), "{q}");
        }
        // jq 1.6 has `$__loc__` (`{"file":"<top-level>","line":1}`): Firehose takes it.
        assert!(rules("{a: $__loc__.line}").iter().all(|(_, error)| !error));
        assert_eq!(rules("{a: .input, input: .b}"), [], "fields and keys named input are fine");
        assert_eq!(rules("{a: env.HOME}"), [("R19", false)]);
    }

    #[test]
    fn interpolation_is_formatted_as_jq_1_6_formats_it() {
        assert_eq!(
            with_text_format(r#"{a: "x\(.a)", b: @csv "\(.b)", c: "plain"}"#),
            r#"{a: @text "x\(.a)", b: @csv "\(.b)", c: "plain"}"#
        );
        assert_eq!(with_text_format(r#""\("\(.a)")""#), r#"@text "\(@text "\(.a)")""#);
    }

    /// Every construct the parsers recurse on, repeated up to Firehose's length limit: checked
    /// and compiled without overflowing anything (before, 2,500 of most of them aborted
    /// `validate` with a stack overflow); one character more is rule R1's.
    #[test]
    fn parses_of_every_construct_at_the_length_limit_stay_on_the_stack() {
        use crate::jq::syntax::MAX_QUERY_CHARS;
        let fill = |unit: &str, head: &str, tail: &str| {
            let n = (MAX_QUERY_CHARS - head.len() - tail.len()) / unit.len();
            format!("{head}{}{tail}", unit.repeat(n))
        };
        // Units repeated before a last `.`, after a first `.`, and the others.
        let before = ["try ", ". as $a | ", "label $out | ", "def f: "].map(|unit| fill(unit, "", "."));
        let after = [" | not", " // .", " | .", ", .", ".a?"].map(|unit| fill(unit, ".", ""));
        let others = [
            fill("-", "", "1"),
            fill(" + 1", "1", ""),
            fill(" and true", "true", ""),
            fill("reduce . as $x (.; ", "", ""),
        ];
        let bombs: Vec<String> = before.into_iter().chain(after).chain(others).collect();
        for query in &bombs {
            assert!(query.chars().count() <= MAX_QUERY_CHARS);
            let _ = check(query);
            let _ = crate::jq::jaq::Query::compile(query);
            let longer = format!("{query} ");
            let longer = longer.repeat(2);
            assert!(check(&longer).is_empty(), "left to rule R1");
            assert!(crate::jq::jaq::Query::compile(&longer).unwrap_err().contains("rule R1"));
        }
    }
}
