//! A query's text, below both the rule checks ([`super::check`]) and the fallback engine
//! ([`super::jaq`]): tokens walked, places named, nesting bounded before any parser, and the one
//! rewrite the fallback engine needs (string interpolation formatted with `@text`, as jq 1.6
//! formats it).

use jaq_core::load::lex::{StrPart, Tok, Token};
use jaq_core::load::Lexer;

/// jq 1.6's builtins (`jq -n builtins`), `name/arity`.
pub const JQ16_BUILTINS: [&str; 217] = [
    "IN/1",
    "IN/2",
    "INDEX/1",
    "INDEX/2",
    "JOIN/2",
    "JOIN/3",
    "JOIN/4",
    "acos/0",
    "acosh/0",
    "add/0",
    "all/0",
    "all/1",
    "all/2",
    "any/0",
    "any/1",
    "any/2",
    "arrays/0",
    "ascii_downcase/0",
    "ascii_upcase/0",
    "asin/0",
    "asinh/0",
    "atan/0",
    "atan2/2",
    "atanh/0",
    "booleans/0",
    "bsearch/1",
    "builtins/0",
    "capture/1",
    "capture/2",
    "cbrt/0",
    "ceil/0",
    "combinations/0",
    "combinations/1",
    "contains/1",
    "copysign/2",
    "cos/0",
    "cosh/0",
    "debug/0",
    "del/1",
    "delpaths/1",
    "drem/2",
    "empty/0",
    "endswith/1",
    "env/0",
    "erf/0",
    "erfc/0",
    "error/0",
    "error/1",
    "exp/0",
    "exp10/0",
    "exp2/0",
    "explode/0",
    "expm1/0",
    "fabs/0",
    "fdim/2",
    "finites/0",
    "first/0",
    "first/1",
    "flatten/0",
    "flatten/1",
    "floor/0",
    "fma/3",
    "fmax/2",
    "fmin/2",
    "fmod/2",
    "format/1",
    "frexp/0",
    "from_entries/0",
    "fromdate/0",
    "fromdateiso8601/0",
    "fromjson/0",
    "fromstream/1",
    "gamma/0",
    "get_jq_origin/0",
    "get_prog_origin/0",
    "get_search_list/0",
    "getpath/1",
    "gmtime/0",
    "group_by/1",
    "gsub/2",
    "gsub/3",
    "halt/0",
    "halt_error/0",
    "halt_error/1",
    "has/1",
    "hypot/2",
    "implode/0",
    "in/1",
    "index/1",
    "indices/1",
    "infinite/0",
    "input/0",
    "input_filename/0",
    "input_line_number/0",
    "inputs/0",
    "inside/1",
    "isempty/1",
    "isfinite/0",
    "isinfinite/0",
    "isnan/0",
    "isnormal/0",
    "iterables/0",
    "j0/0",
    "j1/0",
    "jn/2",
    "join/1",
    "keys/0",
    "keys_unsorted/0",
    "last/0",
    "last/1",
    "ldexp/2",
    "leaf_paths/0",
    "length/0",
    "lgamma/0",
    "lgamma_r/0",
    "limit/2",
    "localtime/0",
    "log/0",
    "log10/0",
    "log1p/0",
    "log2/0",
    "logb/0",
    "ltrimstr/1",
    "map/1",
    "map_values/1",
    "match/1",
    "match/2",
    "max/0",
    "max_by/1",
    "min/0",
    "min_by/1",
    "mktime/0",
    "modf/0",
    "modulemeta/0",
    "nan/0",
    "nearbyint/0",
    "nextafter/2",
    "nexttoward/2",
    "normals/0",
    "not/0",
    "now/0",
    "nth/1",
    "nth/2",
    "nulls/0",
    "numbers/0",
    "objects/0",
    "path/1",
    "paths/0",
    "paths/1",
    "pow/2",
    "pow10/0",
    "range/1",
    "range/2",
    "range/3",
    "recurse/0",
    "recurse/1",
    "recurse/2",
    "recurse_down/0",
    "remainder/2",
    "repeat/1",
    "reverse/0",
    "rindex/1",
    "rint/0",
    "round/0",
    "rtrimstr/1",
    "scalars/0",
    "scalars_or_empty/0",
    "scalb/2",
    "scalbln/2",
    "scan/1",
    "select/1",
    "setpath/2",
    "significand/0",
    "sin/0",
    "sinh/0",
    "sort/0",
    "sort_by/1",
    "split/1",
    "split/2",
    "splits/1",
    "splits/2",
    "sqrt/0",
    "startswith/1",
    "stderr/0",
    "strflocaltime/1",
    "strftime/1",
    "strings/0",
    "strptime/1",
    "sub/2",
    "sub/3",
    "tan/0",
    "tanh/0",
    "test/1",
    "test/2",
    "tgamma/0",
    "to_entries/0",
    "todate/0",
    "todateiso8601/0",
    "tojson/0",
    "tonumber/0",
    "tostream/0",
    "tostring/0",
    "transpose/0",
    "trunc/0",
    "truncate_stream/1",
    "type/0",
    "unique/0",
    "unique_by/1",
    "until/2",
    "utf8bytelength/0",
    "values/0",
    "walk/1",
    "while/2",
    "with_entries/1",
    "y0/0",
    "y1/0",
    "yn/2",
];

/// How a builtin of jq 1.6 the fallback engine lacks is described.
pub(super) const FALLBACK_LACKS: &str = "is a jq 1.6 builtin preview's fallback engine";

pub(super) type Visit<'a> = Option<&'a Token<&'a str>>;

/// Calls `f(previous token, token, next token)` on every token, nested ones included.
pub(super) fn walk<'a>(tokens: &'a [Token<&'a str>], f: &mut impl FnMut(Visit<'a>, &'a Token<&'a str>, Visit<'a>)) {
    let mut previous = None;
    for (i, token) in tokens.iter().enumerate() {
        f(previous, token, tokens.get(i + 1));
        match &token.1 {
            Tok::Block(inner) => walk(inner, f),
            Tok::Str(parts) => {
                for part in parts {
                    if let StrPart::Term(t) = part {
                        walk(std::slice::from_ref(t), f);
                    }
                }
            }
            _ => {}
        }
        previous = Some(token);
    }
}

/// `line L, column C` of a slice of `code` (1-based), or the end.
pub(super) fn position(code: &str, part: &str) -> String {
    let start = (part.as_ptr() as usize).checked_sub(code.as_ptr() as usize).filter(|s| *s <= code.len());
    let offset = start.unwrap_or(code.len());
    let mut boundary = offset.min(code.len());
    while !code.is_char_boundary(boundary) {
        boundary -= 1;
    }
    let before = &code[..boundary];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}")
}

/// The longest query: Firehose takes processor parameters of at most 5,120 characters (rule R1).
pub const MAX_QUERY_CHARS: usize = 5120;

/// The stack the parsers and the compiler run on. Many constructs recurse once per use in the
/// parsers (`try`, unary `-`, `. as $x |`, `| not`, `//`, `|`): a query of [`MAX_QUERY_CHARS`]
/// made of one of them nests as deep as it is long, which overflows a thread's usual 8 MiB in
/// a debug build (64 MiB are enough for the worst there, measured). This much is reserved, not
/// used: only what a parse touches is mapped.
/// `parses_of_every_construct_at_the_length_limit_stay_on_the_stack` measures the worst cases.
const PARSER_STACK_BYTES: usize = 256 << 20;

/// Why a query is not handed to a parser at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Longer than [`MAX_QUERY_CHARS`] (rule R1 says so).
    TooLong(usize),
    /// Nested more than [`MAX_NESTING`] brackets, strings, `if`s or `def`s (rule R18).
    TooDeep(String),
    /// The parser's thread could not run or did not finish (its message).
    Failed(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::TooLong(n) => {
                write!(f, "the jq query is {n} characters long: Firehose takes at most {MAX_QUERY_CHARS} (rule R1)")
            }
            Refused::TooDeep(message) | Refused::Failed(message) => f.write_str(message),
        }
    }
}

/// Runs `parse` (anything that lexes, parses or compiles `code`) where no query can overflow the
/// stack: only for a query within [`MAX_QUERY_CHARS`] and [`MAX_NESTING`], on a thread of its
/// own with [`PARSER_STACK_BYTES`] of stack.
pub fn guarded<T: Send>(code: &str, parse: impl FnOnce() -> T + Send) -> Result<T, Refused> {
    let length = code.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(Refused::TooLong(length));
    }
    if let Some(message) = too_deep(code) {
        return Err(Refused::TooDeep(message));
    }
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("jq-parser".into())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, parse)
            .map_err(|e| Refused::Failed(format!("cannot start the jq parser: {e}")))?;
        parser.join().map_err(|_| Refused::Failed("internal error: the jq parser failed".into()))
    })
}

/// How deep a query may nest (brackets, string interpolations, `if ... end`, `def`s) before it is
/// parsed: the parsers recurse once per level, and a query nested thousands deep would overflow
/// provision's own stack. Real partitioning queries nest a few levels.
pub const MAX_NESTING: usize = 64;

/// Why a query is refused before any parser sees it: nested deeper than [`MAX_NESTING`]. A scan
/// without recursion: brackets, interpolations (`\(...)` inside strings) and strings on a
/// stack of their own, `if`/`end` and `def` counted as words.
pub fn too_deep(code: &str) -> Option<String> {
    #[derive(PartialEq)]
    enum Mode {
        Code,
        Text,
    }
    let mut stack: Vec<Mode> = vec![Mode::Code];
    let (mut words, mut deepest) = (0usize, 0usize);
    let mut chars = code.chars().peekable();
    let mut word = String::new();
    while let Some(c) = chars.next() {
        let in_code = stack.last() == Some(&Mode::Code);
        if in_code && (c.is_ascii_alphanumeric() || c == '_') {
            word.push(c);
            continue;
        }
        match word.as_str() {
            "if" | "def" => words += 1,
            "end" => words = words.saturating_sub(1),
            _ => {}
        }
        word.clear();
        match (in_code, c) {
            (true, '"') => stack.push(Mode::Text),
            (true, '(' | '[' | '{') => stack.push(Mode::Code),
            (true, ')' | ']' | '}') if stack.len() > 1 => {
                stack.pop();
            }
            (true, '#') => {
                // A comment, to the end of the line.
                while chars.next_if(|c| *c != '\n').is_some() {}
            }
            // An escape: `\(` opens an interpolation; any other escaped character is skipped.
            (false, '\\') if chars.next() == Some('(') => stack.push(Mode::Code),
            (false, '"') => {
                stack.pop();
            }
            _ => {}
        }
        deepest = deepest.max(stack.len() + words);
    }
    (deepest > MAX_NESTING).then(|| {
        format!("the jq query nests more than {MAX_NESTING} levels deep: provision does not parse it (simplify it)")
    })
}

/// The query with every interpolated string not already formatted written `@text "..."`: what
/// jq 1.6 does with `"\(x)"`, and what lets the fallback engine print numbers as jq 1.6 does.
pub fn with_text_format(code: &str) -> String {
    let Ok(tokens) = Lexer::new(code).lex() else { return code.to_string() };
    let mut at = Vec::new();
    walk(&tokens, &mut |previous, token, _| {
        let interpolated = matches!(&token.1, Tok::Str(parts) if parts.iter().any(|p| matches!(p, StrPart::Term(_))));
        let formatted = previous.is_some_and(|p| matches!(p.1, Tok::Fmt));
        if interpolated && !formatted {
            if let Some(start) = (token.0.as_ptr() as usize).checked_sub(code.as_ptr() as usize) {
                at.push(start);
            }
        }
    });
    let mut out = code.to_string();
    at.sort_unstable();
    for start in at.into_iter().rev() {
        out.insert_str(start, "@text ");
    }
    out
}

/// `$__loc__` written as jq 1.6 evaluates it, `{"file":"<top-level>","line":N}` (N its line),
/// for the fallback engine, which lacks the variable.
pub fn with_locations(code: &str) -> String {
    let Ok(tokens) = Lexer::new(code).lex() else { return code.to_string() };
    let mut at = Vec::new();
    walk(&tokens, &mut |_, token, _| {
        if matches!(token.1, Tok::Var) && token.0 == "$__loc__" {
            if let Some(start) = (token.0.as_ptr() as usize).checked_sub(code.as_ptr() as usize) {
                at.push(start);
            }
        }
    });
    let mut out = code.to_string();
    at.sort_unstable();
    for start in at.into_iter().rev() {
        let line = code[..start].matches('\n').count() + 1;
        out.replace_range(start..start + "$__loc__".len(), &format!("{{\"file\":\"<top-level>\",\"line\":{line}}}"));
    }
    out
}

/// A load error (lexing or parsing) in words, with its place.
pub fn describe_load_errors(code: &str, errors: &jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let Some((_, error)) = errors.first() else { return "the jq query does not parse".into() };
    match error {
        Error::Lex(e) => match e.first() {
            Some((expect, rest)) => {
                format!("the jq query does not parse: expected {} at {}", expect.as_str(), position(code, rest))
            }
            None => "the jq query does not parse".into(),
        },
        Error::Parse(e) => match e.first() {
            Some((expect, "")) => {
                format!("the jq query does not parse: expected {} at the end", expect.as_str())
            }
            Some((expect, found)) => format!(
                "the jq query does not parse: expected {}, found `{found}` at {}",
                expect.as_str(),
                position(code, found)
            ),
            None => "the jq query does not parse".into(),
        },
        Error::Io(e) => format!("the jq query imports what cannot be read: {:?}", e.first().map(|(p, _)| p)),
    }
}

/// A compile error (an undefined name) in words.
pub fn describe_compile_errors(errors: &jaq_core::compile::Errors<&str, ()>) -> String {
    use jaq_core::compile::Undefined;
    let Some((name, undefined)) = errors.iter().flat_map(|(_, e)| e.iter()).next() else {
        return "the jq query does not compile".into();
    };
    match undefined {
        Undefined::Filter(arity) => {
            let signature = format!("{name}/{arity}");
            if JQ16_BUILTINS.contains(&signature.as_str()) {
                format!("`{signature}` {FALLBACK_LACKS} (jaq) cannot evaluate: install jq 1.6 (PROVISION_JQ) for this query")
            } else {
                format!("jq 1.6 has no filter `{signature}`, and the query does not define it")
            }
        }
        Undefined::Var => format!("the variable `{name}` is not defined"),
        other => format!("`{name}` is not defined ({})", other.as_str()),
    }
}
