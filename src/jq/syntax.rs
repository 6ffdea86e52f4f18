//! A query's text before jq sees it: its length and nesting bounded (rules R1, R18), and the
//! thread with a large stack any compile of it runs on.

/// The longest query: Firehose takes processor parameters of at most 5,120 characters (rule R1).
pub const MAX_QUERY_CHARS: usize = 5120;

/// The stack the parsers and the compiler run on. Many constructs recurse once per use in the
/// parsers (`try`, unary `-`, `. as $x |`, `| not`, `//`, `|`): a query of [`MAX_QUERY_CHARS`]
/// made of one of them nests as deep as it is long, which overflows a thread's usual 8 MiB in
/// a debug build (64 MiB are enough for the worst there, measured). This much is reserved, not
/// used: only what a parse touches is mapped.
/// `checks_of_every_construct_at_the_length_limit_stay_on_the_stack` runs the worst cases.
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
