//! Problems found in stack.toml, located at the file, line and column of the key they concern.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors stop the command, warnings are shown and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem with stack.toml, tied to a key path such as `firehose.events.processor[2].retries`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Rule id from the rule book (`P12`, `N1`...), or a short category (`syntax`, `reference`).
    pub rule: String,
    pub key: String,
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
    pub fn error(rule: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            rule: rule.to_string(),
            key: key.into(),
            message: message.into(),
            help: None,
            location: None,
        }
    }

    pub fn warning(rule: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(rule, key, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl Diagnostic {
    /// `key: message`, or the message alone when no key applies (a syntax error).
    fn title(&self) -> String {
        if self.key.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.key, self.message)
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
                level.primary_title(title).id(d.rule.clone()).element(
                    Snippet::source(source.as_str())
                        .path(path)
                        .fold(true)
                        .annotation(AnnotationKind::Primary.span(loc.span.clone())),
                )
            }
            _ => Group::with_title(level.primary_title(title).id(d.rule.clone())),
        };
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(crate::output::escape(help)));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

/// Finds spans of key paths in the original TOML text.
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

    /// Attaches the location of the diagnostic's key (or its nearest existing parent).
    pub fn locate(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        if diagnostic.location.is_none() {
            diagnostic.location = self.span_of(&diagnostic.key).map(|span| self.location_of(span));
        }
        diagnostic
    }

    /// Attaches the location of `key` (or its nearest existing parent), the diagnostic keeping
    /// its own key (an instance's, such as `module.t[a].bucket.data.name`).
    pub fn locate_key(&self, mut diagnostic: Diagnostic, key: &str) -> Diagnostic {
        if diagnostic.location.is_none() {
            diagnostic.location = self.span_of(key).map(|span| self.location_of(span));
        }
        diagnostic
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

    /// The dotted key path of the deepest item containing `offset`, e.g. `firehose.events.prefix`.
    pub fn key_at(&self, offset: usize) -> String {
        let mut path = Vec::new();
        if let Some(doc) = &self.doc {
            collect_path(doc.as_item(), offset, &mut path);
        }
        path.join(".")
    }

    fn span_of(&self, key: &str) -> Option<std::ops::Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut item: &toml_edit::Item = doc.as_item();
        let mut best = None;
        for segment in split_key(key) {
            let next = match segment {
                Segment::Key(k) => item.as_table_like().and_then(|t| t.get(&k)),
                Segment::Index(i) => item.get(i),
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
fn collect_path(item: &toml_edit::Item, offset: usize, path: &mut Vec<String>) {
    if let toml_edit::Item::ArrayOfTables(array) = item {
        for (i, table) in array.iter().enumerate() {
            let found = table
                .iter()
                .any(|(k, v)| contains(table.key(k).and_then(|k| k.span()), offset) || contains(v.span(), offset))
                || contains(table.span(), offset);
            if found {
                if let Some(last) = path.last_mut() {
                    last.push_str(&format!("[{i}]"));
                }
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
            path.push(key.to_string());
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

enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into segments.
fn split_key(key: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in key.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            out.push(Segment::Key(rest[..open].to_string()));
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Segment::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
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
        let d = locator.locate(Diagnostic::error("R5", "firehose.events.processor[1].retries", "bad"));
        let loc = d.location.unwrap();
        assert_eq!(loc.line, 12);
        assert_eq!(loc.column, 11);
        assert_eq!(&TEXT[loc.span], "400");
    }

    #[test]
    fn falls_back_to_the_nearest_parent() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let d = locator.locate(Diagnostic::error("x", "firehose.events.prefix", "missing"));
        assert_eq!(d.location.unwrap().line, 4);
    }

    #[test]
    fn finds_the_key_path_at_an_offset() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let offset = TEXT.find("retries").unwrap();
        assert_eq!(locator.key_at(offset), "firehose.events.processor[1].retries");
        assert_eq!(locator.key_at(TEXT.find("\"x\"").unwrap()), "stack.name");
    }

    #[test]
    fn renders_a_snippet_with_rule_and_help() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let d = locator.locate(
            Diagnostic::error("R5", "firehose.events.processor[1].retries", "400 is out of range")
                .with_help("0 to 300"),
        );
        let text = render(&[d], &[(PathBuf::from("stack.toml"), TEXT.to_string())], false);
        assert!(text.contains("error[R5]: firehose.events.processor[1].retries: 400 is out of range"), "{text}");
        assert!(text.contains("stack.toml:12:11"), "{text}");
        assert!(text.contains("retries = 400"), "{text}");
        assert!(text.contains("^^^"), "{text}");
        assert!(text.contains("help: 0 to 300"), "{text}");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("bukcet", ["bucket", "role"]), Some("bucket"));
        assert_eq!(did_you_mean("zzzzzz", ["bucket", "role"]), None);
    }
}
