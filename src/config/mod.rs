//! stack.toml -> validated model: parse, apply `--var` overrides, interpolate, resolve references,
//! derive ARNs and IAM policies, and run the rule book.

pub mod builder;
pub mod declarations;
pub mod expand;
pub mod interpolate;
pub mod schema;

#[cfg(test)]
mod fleet_tests;

pub use builder::build;

use crate::model::diagnostic::{self, did_you_mean, Diagnostic, Locator, Rule, Severity};
use crate::model::stack_file::StackSection;
use crate::model::*;
use crate::package::{Package, PackageError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The directory module files must lie in: `--project-dir`, or the stack file's directory;
/// canonical.
pub fn project_root(stack_file: &Path, options: &Options) -> PathBuf {
    let dir = match &options.project_dir {
        Some(dir) => dir.clone(),
        None => stack_file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
    };
    dir.canonicalize().unwrap_or(dir)
}

/// What a command gives the loader besides the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--project-dir`: the directory module sources must resolve inside (default: the stack
    /// file's directory).
    pub project_dir: Option<PathBuf>,
    /// `--var NAME=VALUE`, in order (the last one wins).
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`s: TOML files of `NAME = "value"`, applied before `--var`.
    pub var_files: Vec<PathBuf>,
    /// Whether Lambda code is packaged (plan and apply need it; destroy, output, import, unlock
    /// do not, so they work when the source directory is gone).
    pub package_code: bool,
}

/// A source directory with its include and exclude globs.
type PackageKey = (PathBuf, Vec<String>, Vec<String>);

/// A parsed stack.toml and the module files it uses, expanded into module instances, before
/// interpolation (which needs the region and account).
pub struct Loaded {
    pub path: PathBuf,
    /// stack.toml first, then each module file it uses (directly or not), once.
    pub files: Vec<expand::SourceFile>,
    /// The module instances, stack.toml's first, callers before what they call.
    pub instances: Vec<expand::Instance>,
    /// `[stack]`, as written.
    pub stack: StackSection,
    /// Problems found while parsing and expanding (files were parsed with the offending lines
    /// left out).
    pub parse_errors: Vec<Diagnostic>,
    /// Variable values after defaults, `PROVISION_VAR_*`, var files and `--var`.
    pub values: BTreeMap<String, String>,
    /// Values of the variables declared sensitive.
    pub sensitive: Vec<String>,
    /// `[stack] name`, its variables expanded (one file, one stack per environment).
    pub name: String,
    /// `[stack] region`, its variables expanded.
    pub region: Option<String>,
    package_code: bool,
    /// Lambda packages by source directory and globs, so that building the stack twice (offline
    /// check, then for the real account) packages each directory once.
    packages: std::sync::Mutex<BTreeMap<PackageKey, Arc<Package>>>,
    /// The project directory (canonical): every source must resolve inside it.
    root: PathBuf,
    /// Where each block and module call is written.
    pub declarations: declarations::Declarations,
}

impl Loaded {
    /// The package of a source directory, made once per load.
    fn package(&self, dir: &Path, include: &[String], exclude: &[String]) -> Result<Arc<Package>, PackageError> {
        let key = (dir.to_path_buf(), include.to_vec(), exclude.to_vec());
        let mut packages = self.packages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = packages.get(&key) {
            return Ok(p.clone());
        }
        crate::input::inside(dir, &self.root).map_err(PackageError::OutsideProject)?;
        let p = Arc::new(crate::package::package(dir, include, exclude)?);
        packages.insert(key, p.clone());
        Ok(p)
    }
}

/// Errors (and warnings) found in stack.toml and its modules, with the texts they point into.
#[derive(Debug)]
pub struct Invalid {
    pub diagnostics: Vec<Diagnostic>,
    /// Each file's text, by path (a source map: each diagnostic's location names its file).
    pub sources: Vec<(PathBuf, String)>,
    /// The stack file, as named on the command line.
    pub file: PathBuf,
}

impl Invalid {
    fn new(diagnostics: Vec<Diagnostic>, sources: Vec<(PathBuf, String)>, file: &Path) -> Invalid {
        Invalid { diagnostics, sources, file: file.to_path_buf() }
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::io::IsTerminal;
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        write!(f, "{}", diagnostic::render(&self.diagnostics, &self.sources, color))?;
        write!(f, "{} is invalid: {} error(s); nothing was sent to AWS", self.file.display(), self.errors())
    }
}

impl std::error::Error for Invalid {}

/// How many broken lines parsing skips over before giving up (so all problems show at once).
const MAX_RECOVERIES: usize = 50;

/// Prefix of environment variables that set stack variables (`PROVISION_VAR_token=...`).
pub const ENV_VAR_PREFIX: &str = "PROVISION_VAR_";

/// Reads and parses stack.toml and the module files it uses, expands the modules and applies
/// variable values. Parse problems are reported all at once (see [`parse`]).
pub fn load(path: &Path, options: &Options) -> Result<Loaded, Invalid> {
    let root = project_root(path, options);
    let text = crate::input::inside(path, &root)
        .and_then(|real| crate::input::read_text(&real, crate::input::MAX_STACK_BYTES))
        .map_err(|e| {
            Invalid::new(
                vec![Diagnostic::error(
                    Rule::File,
                    Position::InFile { file: path.to_path_buf(), path: AttrPath::root() },
                    e,
                )
                .with_help("pass the stack file with -f FILE (default ./stack.toml)")],
                Vec::new(),
                path,
            )
        })?;
    let (mut file, locator, mut parse_errors) =
        parse(path, &text).map_err(|errors| Invalid::new(errors, vec![(path.to_path_buf(), text.clone())], path))?;
    let Some(stack) = file.stack.take() else {
        let d =
            Diagnostic::error(Rule::Schema, Position::stack_file(AttrPath::root().key("stack")), "missing key `stack`")
                .with_help("stack.toml starts with [stack] name = \"...\"");
        return Err(Invalid::new(vec![d], vec![(path.to_path_buf(), text)], path));
    };
    let (values, sensitive) = variable_values(&file, options, &root, &locator, &mut parse_errors);
    let mut files = vec![expand::SourceFile { path: path.to_path_buf(), file, locator }];
    let (instances, problems) = expand::expand(&mut files, &mut ModuleFiles, &root);
    parse_errors.extend(problems);
    for file in &files {
        parse_errors.extend(expand::check_names(file));
    }
    // Refused before anything is built: the count comes from the files alone.
    if let Some(too_many) = expand::too_many_resources(&files, &instances) {
        let sources = files.iter().map(|f| (f.path.clone(), f.locator.text().to_string())).collect();
        return Err(Invalid::new(vec![too_many], sources, path));
    }
    let declarations = declarations::Declarations::new(&files, &instances);
    let first = &files[0].locator;
    // The stack's identity may hold variables (`name = "dp-${var.env}"`): expanded before
    // anything else, with variables only, since the account and region are not known yet.
    let mut identity = |key: Position, raw: &str| {
        let ctx = interpolate::Values::new(&values, "", "", "");
        match ctx.interpolate_variables(raw) {
            Ok(text) => text,
            Err(e) => {
                parse_errors
                    .push(first.locate(Diagnostic::error(Rule::Interpolation, key, e.message).with_help(e.help)));
                raw.to_string()
            }
        }
    };
    let name = identity(Position::stack("name"), &stack.name);
    let region = stack.region.as_deref().map(|r| identity(Position::stack("region"), r));
    Ok(Loaded {
        path: path.to_path_buf(),
        files,
        instances,
        stack,
        parse_errors,
        values,
        sensitive,
        name,
        region,
        package_code: options.package_code,
        packages: Default::default(),
        root,
        declarations,
    })
}

impl Loaded {
    /// Each file's text, for diagnostics.
    pub fn sources(&self) -> Vec<(PathBuf, String)> {
        self.files.iter().map(|f| (f.path.clone(), f.locator.text().to_string())).collect()
    }
}

/// Reads module files from disk.
struct ModuleFiles;

impl expand::Reader for ModuleFiles {
    fn resolve(&mut self, dir: &Path, source: &str, root: &Path) -> Result<(PathBuf, PathBuf), String> {
        expand::resolve_source(dir, source, root)
    }

    /// A file that is not TOML at all is "not a module file", located by line and column, its
    /// text never shown: only a file that parses as TOML is echoed in diagnostics.
    fn read(&mut self, path: &Path) -> Result<(StackFile, Locator, Vec<Diagnostic>), Vec<Diagnostic>> {
        let text = crate::input::read_text(path, crate::input::MAX_STACK_BYTES).map_err(|_| Vec::new())?;
        if let Err(e) = text.parse::<toml::Table>() {
            let at = e
                .span()
                .map(|s| Locator::new(path, &text).location_of(s))
                .map(|l| format!(" at line {}, column {}", l.line, l.column))
                .unwrap_or_default();
            return Err(vec![Diagnostic::error(
                Rule::Module,
                Position::InFile { file: path.to_path_buf(), path: AttrPath::root() },
                format!("not a module file: it is not TOML{at}"),
            )
            .with_help("a module file is TOML, like stack.toml without [stack]")]);
        }
        parse(path, &text)
    }
}

/// Parses one file (stack.toml or a module file). A key that is unknown or of the wrong type is
/// reported and its line left out, so that every such problem is found in one run; a problem
/// that leaves nothing sensible to parse is returned as the error.
fn parse(path: &Path, text: &str) -> Result<(StackFile, Locator, Vec<Diagnostic>), Vec<Diagnostic>> {
    let locator = Locator::new(path, text);
    let mut parse_errors = Vec::new();
    let mut working = text.to_string();
    loop {
        match toml::from_str::<StackFile>(&working) {
            Ok(file) => return Ok((file, locator, parse_errors)),
            Err(e) => {
                let d = parse_diagnostic(&e, &locator);
                let line = d.location.as_ref().and_then(|l| single_line_entry(&working, l.span.start));
                parse_errors.push(d);
                match line {
                    Some(range) if parse_errors.len() < MAX_RECOVERIES => comment_out(&mut working, range.start),
                    _ => return Err(parse_errors),
                }
            }
        }
    }
}

/// Replaces the first character at `offset` with `#`, padded with spaces to that character's
/// width in bytes: every later offset stays the original text's, so the next problem's span is
/// located (and sliced) in the text the user wrote.
fn comment_out(text: &mut String, offset: usize) {
    let width = text[offset..].chars().next().map_or(0, char::len_utf8);
    let padded = format!("#{}", " ".repeat(width.saturating_sub(1)));
    text.replace_range(offset..offset + width, &padded);
}

/// Variable values, in increasing precedence: defaults, `PROVISION_VAR_NAME`, var files, `--var`.
fn variable_values(
    file: &StackFile,
    options: &Options,
    root: &Path,
    locator: &Locator,
    errors: &mut Vec<Diagnostic>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let mut values: BTreeMap<String, String> =
        file.variables.iter().filter_map(|(k, v)| v.default_value().map(|d| (k.clone(), d.to_string()))).collect();
    for name in file.variables.keys() {
        if let Ok(value) = std::env::var(format!("{ENV_VAR_PREFIX}{name}")) {
            values.insert(name.clone(), value);
        }
    }
    let known: Vec<&str> = file.variables.keys().map(String::as_str).collect();
    let mut set = |name: &str, value: String, from: &str, errors: &mut Vec<Diagnostic>| {
        if file.variables.contains_key(name) {
            values.insert(name.to_string(), value);
        } else {
            let hint =
                did_you_mean(name, known.iter().copied()).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
            let declared = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            errors.push(
                locator.locate(
                    Diagnostic::error(
                        Rule::Variable,
                        Position::stack_file(AttrPath::root().key("variables")),
                        format!("{from}: no variable `{name}` in [variables]"),
                    )
                    .with_help(format!("{hint}declared: {declared}")),
                ),
            );
        }
    };
    for var_file in &options.var_files {
        match crate::input::inside(var_file, root).and_then(|real| read_var_file(&real)) {
            Ok(pairs) => {
                for (name, value) in pairs {
                    set(&name, value, &var_file.display().to_string(), errors);
                }
            }
            Err(message) => errors.push(
                Diagnostic::error(
                    Rule::Variable,
                    Position::InFile { file: var_file.clone(), path: AttrPath::root() },
                    message,
                )
                .with_help("a var file holds NAME = \"value\" lines, like [variables]"),
            ),
        }
    }
    for (name, value) in &options.vars {
        set(name, value.clone(), &format!("--var {name}"), errors);
    }
    for name in file.variables.keys() {
        if !values.contains_key(name) {
            errors.push(locator.locate(
                Diagnostic::error(Rule::Variable, Position::stack_file(AttrPath::root().key("variables").key(name)), format!("variable `{name}` has no value"))
                    .with_help(format!(
                        "give it a default, or set it with --var {name}=VALUE, --var-file FILE or {ENV_VAR_PREFIX}{name}"
                    )),
            ));
        }
    }
    let sensitive = file
        .variables
        .iter()
        .filter(|(_, v)| v.sensitive())
        .filter_map(|(k, _)| values.get(k).cloned())
        .filter(|v| !v.is_empty())
        .collect();
    (values, sensitive)
}

/// A var file: a TOML table of strings (numbers and booleans are taken as their text).
fn read_var_file(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = crate::input::read_text(path, crate::input::MAX_VAR_FILE_BYTES)?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| format!("not a TOML file: {}", e.message()))?;
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => Ok((k, s)),
            toml::Value::Integer(i) => Ok((k, i.to_string())),
            toml::Value::Float(f) => Ok((k, f.to_string())),
            toml::Value::Boolean(b) => Ok((k, b.to_string())),
            other => Err(format!("`{k}` must be a string, got {}", other.type_str())),
        })
        .collect()
}

/// A TOML or schema error as a diagnostic, with the key path and a suggestion for unknown keys.
fn parse_diagnostic(e: &toml::de::Error, locator: &Locator) -> Diagnostic {
    let message = e.message().to_string();
    let location = e.span().map(|s| locator.location_of(s));
    let path = location.as_ref().map(|l| locator.path_at(l.span.start)).unwrap_or_default();
    // Located by its span already; a problem of no key (a syntax error between tables) is
    // shown without one.
    let key = if path.is_empty() {
        Position::stack_file(path)
    } else {
        Position::InFile { file: locator.file().to_path_buf(), path }
    };
    let (rule, help, message) = match unknown_key(&message) {
        Some((key, expected, suggestion)) => (
            Rule::Schema,
            Some(match suggestion {
                Some(s) => format!("did you mean `{s}`? allowed here: {}", expected.join(", ")),
                None => format!("allowed here: {}", expected.join(", ")),
            }),
            format!("unknown key `{key}`"),
        ),
        None if e.span().is_some()
            && !message.contains("missing field")
            && !message.starts_with("invalid type")
            && !message.starts_with("invalid value")
            && !message.starts_with("data did not match") =>
        {
            (Rule::Syntax, None, message)
        }
        None => (Rule::Schema, None, in_user_terms(&message)),
    };
    let help = help.or_else(|| {
        message.starts_with("invalid key").then(|| {
            "keys are ASCII letters, digits, `_` and `-`; put any other key in quotes (\"key\" = ...)".to_string()
        })
    });
    let mut d = Diagnostic::error(rule, key, message);
    d.help = help;
    d.location = location;
    d
}

/// serde's wording ("invalid type: string \"x\", expected i32") in the words of a TOML user.
fn in_user_terms(message: &str) -> String {
    let rust_type = |t: &str| -> String {
        let t = t.trim().trim_end_matches('.');
        match t {
            "i8" | "i16" | "i32" | "i64" | "isize" | "an integer" => "an integer".into(),
            "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".into(),
            "f32" | "f64" | "a float" => "a number".into(),
            "a boolean" | "bool" => "true or false".into(),
            "a string" | "a borrowed string" => "a string".into(),
            "a sequence" => "an array".into(),
            "a map" => "a table".into(),
            _ if t.starts_with("struct ") => "a table".into(),
            _ if t.starts_with("data did not match any variant of untagged enum VariableSection") => {
                "a string, or a table such as { default = \"...\", sensitive = true }".into()
            }
            _ if t.starts_with("data did not match any variant of untagged enum ForEach") => {
                "a list of strings, or a table of tables: for_each = [\"acme\", \"globex\"]".into()
            }
            _ if t.starts_with("data did not match any variant of untagged enum Reference") => {
                "a reference such as \"bucket.NAME\", or an existing resource: { existing = \"name\" } (a role: { existing_arn = \"arn:...\" })".into()
            }
            other => other.into(),
        }
    };
    let what = |found: &str| -> String {
        let found = found.trim();
        let (kind, value) = found.split_once(' ').unwrap_or((found, ""));
        let kind = match kind {
            "string" => "a string",
            "integer" => "an integer",
            "floating" => "a number",
            "boolean" => "a boolean",
            "sequence" => "an array",
            "map" => "a table",
            other => other,
        };
        let value = value.trim_start_matches("point").trim();
        if value.is_empty() {
            kind.to_string()
        } else {
            format!("{kind} ({})", value.trim_matches('`'))
        }
    };
    if let Some(rest) = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: ")) {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {}, got {}", rust_type(expected), what(found));
        }
    }
    if message.starts_with("data did not match any variant of untagged enum") {
        return format!("expected {}", rust_type(message));
    }
    if let Some(field) = message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        return format!("missing key `{field}`");
    }
    message.to_string()
}

/// The byte range of the line holding `offset`, if that line is a whole `key = value` entry.
fn single_line_entry(text: &str, offset: usize) -> Option<std::ops::Range<usize>> {
    let start = text[..offset.min(text.len())].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[start..].find('\n').map(|i| start + i).unwrap_or(text.len());
    let line = text[start..end].trim_start();
    let is_entry = !line.starts_with('[') && !line.starts_with('#') && line.contains('=') && {
        let value = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
        // Multi-line arrays, tables and strings cannot be skipped line by line.
        let opens = |o: char, c: char| value.matches(o).count() == value.matches(c).count();
        opens('[', ']') && opens('{', '}') && !value.starts_with("\"\"\"") && !value.starts_with("\'\'\'")
    };
    let offset_in_line = text[start..end].len() - line.len();
    is_entry.then_some(start + offset_in_line..end)
}

/// From serde's "unknown field `x`, expected one of `a`, `b`": the key, the allowed keys and the closest one.
fn unknown_key(message: &str) -> Option<(String, Vec<String>, Option<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected: Vec<String> = rest.split('`').skip(1).step_by(2).map(String::from).collect();
    let suggestion = did_you_mean(key, expected.iter().map(String::as_str)).map(String::from);
    Some((key.to_string(), expected, suggestion))
}

/// Loads and checks stack.toml without any network access: the account id is a placeholder and
/// the region comes from stack.toml, `AWS_REGION`, `AWS_DEFAULT_REGION`, or `us-east-1`.
pub fn validate_offline(path: &Path, options: &Options) -> Result<(Stack, Vec<Diagnostic>), Invalid> {
    check_offline(&load(path, options)?)
}

/// [`validate_offline`] for a file already loaded.
pub fn check_offline(loaded: &Loaded) -> Result<(Stack, Vec<Diagnostic>), Invalid> {
    let region = declared_region(loaded)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| "us-east-1".into());
    // `[stack] assume_role` names the home account; else no AWS call tells it.
    let account_id =
        stack_role(loaded).and_then(|r| r.account().map(String::from)).unwrap_or_else(|| OFFLINE_ACCOUNT.into());
    build(loaded, Environment { region, account_id, ..Default::default() })
}

/// `[stack] assume_role` and `external_id`, their variables expanded: how the home account is
/// reached, when not with the credentials' own.
pub fn stack_role(loaded: &Loaded) -> Option<crate::model::AssumeRole> {
    let stack = &loaded.stack;
    let plain = |raw: &String| {
        interpolate::Values::new(&loaded.values, "", "", "").interpolate_variables(raw).unwrap_or(raw.clone())
    };
    stack
        .assume_role
        .as_ref()
        .map(|arn| crate::model::AssumeRole { arn: plain(arn), external_id: stack.external_id.as_ref().map(plain) })
}

pub use crate::model::OFFLINE_ACCOUNT;

/// The region named in stack.toml, if any.
pub fn declared_region(loaded: &Loaded) -> Option<String> {
    loaded.region.clone()
}

#[cfg(test)]
mod recovery_tests {
    /// Found by `validation_never_panics`: a skipped line starting with a wide character shifted
    /// every later offset, and the next problem's offset fell inside a character.
    #[test]
    fn a_skipped_line_starting_with_a_wide_character_keeps_later_lines_located() {
        let text = "[stack]\nname = \"x\"\n💥 = \"日\"\n日本 = 2\nbogus = 3\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stack.toml");
        std::fs::write(&path, text).unwrap();
        let invalid = super::validate_offline(&path, &super::Options::default()).expect_err("invalid");
        let lines: Vec<usize> =
            invalid.diagnostics.iter().filter_map(|d| d.location.as_ref().map(|l| l.line)).collect();
        assert_eq!(lines, [3, 4, 5], "{invalid}");
    }
}
