//! Problems found in stack.toml, located at the file, line and column of the key they concern.

use crate::model::address::{AttrPath, Position, Step};
use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors stop the command, warnings are shown and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The rule book's ids (docs/src/rules.md, checked both ways by a test), and the categories of what
/// the files say wrong before any rule runs. A closed set: an id is a name the compiler knows.
macro_rules! rules {
    (book: $($id:ident),* $(,)?; categories: $($cat:ident = $text:literal),* $(,)?) => {
        /// A rule of the rule book, or a category of problem.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($id,)*
            $($cat,)*
        }

        impl Rule {
            /// Every rule of the rule book, in its order.
            pub const BOOK: &'static [Rule] = &[$(Rule::$id),*];

            /// Its id, as the rule book and diagnostics write it (`P12`, `syntax`).
            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$id => stringify!($id),)*
                    $(Rule::$cat => $text,)*
                }
            }

            /// The rule of an id (`None`: no such rule).
            pub fn parse(id: &str) -> Option<Rule> {
                match id {
                    $(stringify!($id) => Some(Rule::$id),)*
                    $($text => Some(Rule::$cat),)*
                    _ => None,
                }
            }
        }
    };
}

rules! {
    book: N1, N2, N3, N4, N5, N6, N7, N8, N9, N10, G1, G2, G3, G4, F1, F2, P1, P2, P3, P4, P5, P6, P7, P8, P9,
    P10, P11, P12, P13, P14, P15, P16, P17, P18, D1, D2, D3, D4, D5, D6, R1, R2, R3, R4, R5, R6, R7,
    R8, R10, R11, R12, R14, R15, R16, R17, R18, R19, L1, L2, L3, L4, L5, L6, L7, I1, I5, I6, I7, K1,
    S1, S2, S4, S5, S6, S7, B1, B2, B3, T1, T2, T3, T4, T5, C1, C2, C3, C4, C5, C6, C7, C8, A1, A2,
    A3, A4, A5, A6, A7, A8, A9, A10, A11, A12;
    categories: Syntax = "syntax", Schema = "schema", File = "file", Interpolation = "interpolation",
    Lambda = "lambda", Module = "module", Reference = "reference", Source = "source", Stack = "stack",
    Variable = "variable"
}

impl Rule {
    /// Whether it is what the files say wrong (syntax, unknown keys, types, variables, modules),
    /// shown before the rules.
    pub fn is_of_the_files(self) -> bool {
        matches!(self, Rule::Syntax | Rule::Schema | Rule::Variable | Rule::Module)
    }
}

impl Rule {
    /// Its id (see [`Rule::id`]).
    pub fn as_str(self) -> &'static str {
        self.id()
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, id: &&str) -> bool {
        self.id() == *id
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One problem with stack.toml, tied to a position such as
/// `firehose.events.processor[2].retries` (see [`Position`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Rule id from the rule book (`P12`, `N1`...), or a category (`syntax`, `reference`).
    pub rule: Rule,
    /// What it points at; shown as `key`.
    #[serde(rename = "key")]
    pub position: Position,
    pub message: String,
    pub help: Option<String>,
    pub location: Option<Location>,
}

/// Where in the file a diagnostic points (1-based line and column; `span` in bytes).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub span: std::ops::Range<usize>,
}

impl Diagnostic {
    pub fn error(rule: Rule, at: impl Into<Position>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            rule,
            position: at.into(),
            message: message.into(),
            help: None,
            location: None,
        }
    }

    pub fn warning(rule: Rule, at: impl Into<Position>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(rule, at, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Where it points, printed (`firehose.events.prefix`).
    pub fn key(&self) -> String {
        self.position.to_string()
    }
}

impl Diagnostic {
    /// `key: message`, or the message alone when no key applies (a syntax error).
    fn title(&self) -> String {
        let key = self.key();
        if key.is_empty() {
            self.message.clone()
        } else {
            format!("{key}: {}", self.message)
        }
    }
}

impl fmt::Display for Diagnostic {
    /// A one-line form: `error[N1]: bucket.data.name: message (stack.toml:12:8)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{label}[{}]: {}", self.rule, self.title())?;
        if let Some(loc) = &self.location {
            write!(f, " ({}:{}:{})", loc.file.display(), loc.line, loc.column)?;
        }
        if let Some(help) = &self.help {
            write!(f, "; help: {help}")?;
        }
        Ok(())
    }
}

/// Renders diagnostics with a snippet of the file each points into (`sources`, by path) and a
/// caret under the value (annotate-snippets).
pub fn render(diagnostics: &[Diagnostic], sources: &[(PathBuf, String)], color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    // The snippet is the user's text: annotate-snippets shows C0 controls as symbols, and C1
    // controls (U+0080 to U+009F, which terminals obey too) become `¤`, a character of the same
    // width in bytes, so that carets stay under their values.
    let shown: Vec<(&PathBuf, String)> = sources
        .iter()
        .map(|(path, text)| {
            (path, text.chars().map(|c| if ('\u{80}'..='\u{9f}').contains(&c) { '¤' } else { c }).collect())
        })
        .collect();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = crate::output::escape(&d.title());
        let source = d.location.as_ref().and_then(|loc| shown.iter().find(|(p, _)| **p == loc.file));
        let mut group = match (&d.location, source) {
            (Some(loc), Some((_, source))) => {
                let path = loc.file.display().to_string();
                level.primary_title(title).id(d.rule.id()).element(
                    Snippet::source(source.as_str())
                        .path(path)
                        .fold(true)
                        .annotation(AnnotationKind::Primary.span(loc.span.clone())),
                )
            }
            _ => Group::with_title(level.primary_title(title).id(d.rule.id())),
        };
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(crate::output::escape(help)));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

/// A file's text and its TOML document: the spans of its keys, found by their structured paths.
pub struct Locator {
    file: PathBuf,
    text: String,
    doc: Option<toml_edit::ImDocument<String>>,
}

impl Locator {
    pub fn new(file: &Path, text: &str) -> Self {
        Self {
            file: file.to_path_buf(),
            text: text.to_string(),
            doc: toml_edit::ImDocument::parse(text.to_string()).ok(),
        }
    }

    /// The file it reads.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Attaches the location of `path` in this file (or of its nearest existing parent), unless
    /// the diagnostic has one already.
    pub fn locate_at(&self, mut diagnostic: Diagnostic, path: &AttrPath) -> Diagnostic {
        if diagnostic.location.is_none() {
            diagnostic.location = self.span_of(path).map(|span| self.location_of(span));
        }
        diagnostic
    }

    /// Attaches the location of the diagnostic's own path, read from this file's root (its
    /// position is a key of this file).
    pub fn locate(&self, diagnostic: Diagnostic) -> Diagnostic {
        let path = diagnostic.position.path().clone();
        self.locate_at(diagnostic, &path)
    }

    /// Location of a byte span in the file (clamped to the text; at least one character wide).
    pub fn location_of(&self, span: std::ops::Range<usize>) -> Location {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(&self.text, span.end.clamp(start, self.text.len()));
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = self.text[line_start..start].chars().count() + 1;
        Location { file: self.file.clone(), line, column, span: start..end.max(start) }
    }

    /// The original text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The path of the deepest item containing `offset`, e.g. `firehose.events.prefix`.
    pub fn path_at(&self, offset: usize) -> AttrPath {
        let mut path = AttrPath::root();
        if let Some(doc) = &self.doc {
            collect_path(doc.as_item(), offset, &mut path);
        }
        path
    }

    /// The span of `path`, or of its nearest existing parent: each step taken in the document
    /// (a key of a table, an index into an array), never a search through the text.
    pub fn span_of(&self, path: &AttrPath) -> Option<std::ops::Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut item: &toml_edit::Item = doc.as_item();
        let mut best = None;
        for step in path.steps() {
            let next = match step {
                Step::Key(k) => item.as_table_like().and_then(|t| t.get(k)),
                Step::Index(i) => item.get(*i),
            };
            match next {
                Some(n) => {
                    if let Some(span) = n.span().or_else(|| table_span(n)) {
                        best = Some(span);
                    }
                    item = n;
                }
                None => break,
            }
        }
        best
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn contains(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset <= s.end)
}

/// Walks tables, arrays of tables and inline tables down to the key whose span holds `offset`.
fn collect_path(item: &toml_edit::Item, offset: usize, path: &mut AttrPath) {
    if let toml_edit::Item::ArrayOfTables(array) = item {
        for (i, table) in array.iter().enumerate() {
            let found = table
                .iter()
                .any(|(k, v)| contains(table.key(k).and_then(|k| k.span()), offset) || contains(v.span(), offset))
                || contains(table.span(), offset);
            if found {
                *path = std::mem::take(path).index(i);
                collect_path(&toml_edit::Item::Table(table.clone()), offset, path);
                return;
            }
        }
        return;
    }
    let Some(table) = item.as_table_like() else { return };
    for (key, value) in table.iter() {
        let key_span = table.get_key_value(key).and_then(|(k, _)| k.span());
        let value_span = value.span().or_else(|| table_span(value));
        let nested = matches!(value, toml_edit::Item::Table(_) | toml_edit::Item::ArrayOfTables(_))
            || value.as_inline_table().is_some();
        if contains(key_span.clone(), offset) || contains(value_span, offset) || (nested && descends(value, offset)) {
            *path = std::mem::take(path).key(key);
            if nested {
                collect_path(value, offset, path);
            }
            return;
        }
    }
}

/// Whether any key or value below `item` spans `offset`.
fn descends(item: &toml_edit::Item, offset: usize) -> bool {
    match item {
        toml_edit::Item::ArrayOfTables(a) => a.iter().any(|t| descends(&toml_edit::Item::Table(t.clone()), offset)),
        _ => item.as_table_like().is_some_and(|t| {
            t.iter().any(|(k, v)| {
                contains(t.get_key_value(k).and_then(|(k, _)| k.span()), offset)
                    || contains(v.span(), offset)
                    || descends(v, offset)
            })
        }),
    }
}

fn table_span(item: &toml_edit::Item) -> Option<std::ops::Range<usize>> {
    match item {
        toml_edit::Item::Table(t) => t.span(),
        toml_edit::Item::ArrayOfTables(a) => a.span(),
        _ => None,
    }
}

/// The closest candidate to a misspelled name, if any is close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[stack]\nname = \"x\"\n\n[firehose.events]\nname = \"s\"\n\n[[firehose.events.processor]]\ntype = \"A\"\n\n[[firehose.events.processor]]\ntype = \"Lambda\"\nretries = 400\n";

    #[test]
    fn locates_keys_inside_arrays_of_tables() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let path = AttrPath::parse("firehose.events.processor[1].retries").unwrap();
        let d = locator.locate_at(Diagnostic::error(Rule::R5, Position::stack_file(path.clone()), "bad"), &path);
        let loc = d.location.unwrap();
        assert_eq!(loc.line, 12);
        assert_eq!(loc.column, 11);
        assert_eq!(&TEXT[loc.span], "400");
    }

    #[test]
    fn falls_back_to_the_nearest_parent() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let path = AttrPath::parse("firehose.events.prefix").unwrap();
        let d = locator.locate_at(Diagnostic::error(Rule::P1, Position::stack_file(path.clone()), "missing"), &path);
        assert_eq!(d.location.unwrap().line, 4);
    }

    #[test]
    fn finds_the_key_path_at_an_offset() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let offset = TEXT.find("retries").unwrap();
        assert_eq!(locator.path_at(offset).to_string(), "firehose.events.processor[1].retries");
        assert_eq!(locator.path_at(TEXT.find("\"x\"").unwrap()).to_string(), "stack.name");
    }

    #[test]
    fn renders_a_snippet_with_rule_and_help() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let path = AttrPath::parse("firehose.events.processor[1].retries").unwrap();
        let d = locator.locate_at(
            Diagnostic::error(Rule::R5, Position::stack_file(path.clone()), "400 is out of range")
                .with_help("0 to 300"),
            &path,
        );
        let text = render(&[d], &[(PathBuf::from("stack.toml"), TEXT.to_string())], false);
        assert!(text.contains("error[R5]: firehose.events.processor[1].retries: 400 is out of range"), "{text}");
        assert!(text.contains("stack.toml:12:11"), "{text}");
        assert!(text.contains("retries = 400"), "{text}");
        assert!(text.contains("^^^"), "{text}");
        assert!(text.contains("help: 0 to 300"), "{text}");
    }

    /// The rule book and the enum name the same rules, both ways.
    #[test]
    fn the_rule_book_and_the_rules_are_the_same_set() {
        let book = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/src/rules.md")).unwrap();
        let in_book: Vec<&str> = book
            .lines()
            .filter_map(|l| l.strip_prefix("| ")?.split(' ').next())
            .filter(|id| {
                id.len() > 1 && id.as_bytes()[0].is_ascii_uppercase() && id[1..].bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        for id in &in_book {
            assert!(
                Rule::parse(id).is_some_and(|r| Rule::BOOK.contains(&r)),
                "{id} is in docs/src/rules.md but no Rule"
            );
        }
        for rule in Rule::BOOK {
            assert!(in_book.contains(&rule.id()), "{rule} is a Rule but not in docs/src/rules.md");
        }
        assert_eq!(Rule::parse("syntax"), Some(Rule::Syntax));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("bukcet", ["bucket", "role"]), Some("bucket"));
        assert_eq!(did_you_mean("zzzzzz", ["bucket", "role"]), None);
    }
}
