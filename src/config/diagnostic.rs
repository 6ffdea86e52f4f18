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

/// Where in the file a diagnostic points.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub width: usize,
    pub source_line: String,
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{label}[{}]: {}: {}", self.rule, self.key, self.message)?;
        if let Some(loc) = &self.location {
            let gutter = loc.line.to_string().len();
            writeln!(f, "{:gutter$}--> {}:{}:{}", "", loc.file.display(), loc.line, loc.column)?;
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{} | {}", loc.line, loc.source_line)?;
            let pad = loc.source_line.chars().take(loc.column - 1).count();
            writeln!(f, "{:gutter$} | {:pad$}{}", "", "", "^".repeat(loc.width.clamp(1, 80)))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
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

    /// Location of a byte span in the file.
    pub fn location_of(&self, span: std::ops::Range<usize>) -> Location {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = self.text[line_start..start].chars().count() + 1;
        let source_line = self.text[line_start..].lines().next().unwrap_or("").to_string();
        let width =
            self.text[start..span.end.min(self.text.len())].lines().next().map(|l| l.chars().count()).unwrap_or(1);
        Location { file: self.file.clone(), line, column, width, source_line }
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
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
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
        assert_eq!(loc.source_line, "retries = 400");
    }

    #[test]
    fn falls_back_to_the_nearest_parent() {
        let locator = Locator::new(Path::new("stack.toml"), TEXT);
        let d = locator.locate(Diagnostic::error("x", "firehose.events.prefix", "missing"));
        assert_eq!(d.location.unwrap().line, 4);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("bukcet", ["bucket", "role"]), Some("bucket"));
        assert_eq!(did_you_mean("zzzzzz", ["bucket", "role"]), None);
    }
}
