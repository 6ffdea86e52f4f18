//! stack.toml -> validated model: parse, apply `--var` overrides, interpolate, resolve references,
//! derive ARNs and IAM policies, and run the rule book.

pub mod interpolate;
pub mod schema;

use crate::defaults;
use crate::diagnostic::{self, did_you_mean, Diagnostic, Locator, Severity};
use crate::model::*;
use crate::package::{Package, PackageError};
use crate::policy::{self, Statement};
use schema::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What a command gives the loader besides the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
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

/// A parsed stack.toml, before interpolation (which needs the region and account).
pub struct Loaded {
    pub path: PathBuf,
    pub file: StackFile,
    pub locator: Locator,
    /// Problems found while parsing (the file was parsed with the offending lines left out).
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
}

impl Loaded {
    /// The package of a source directory, made once per load.
    fn package(&self, dir: &Path, include: &[String], exclude: &[String]) -> Result<Arc<Package>, PackageError> {
        let key = (dir.to_path_buf(), include.to_vec(), exclude.to_vec());
        let mut packages = self.packages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = packages.get(&key) {
            return Ok(p.clone());
        }
        let p = Arc::new(crate::package::package(dir, include, exclude)?);
        packages.insert(key, p.clone());
        Ok(p)
    }
}

/// Errors (and warnings) found in stack.toml, with the text they point into.
#[derive(Debug)]
pub struct Invalid {
    pub diagnostics: Vec<Diagnostic>,
    pub source: String,
    /// The stack file, as named on the command line.
    pub file: PathBuf,
}

impl Invalid {
    fn new(diagnostics: Vec<Diagnostic>, source: &str, file: &Path) -> Invalid {
        Invalid { diagnostics, source: source.to_string(), file: file.to_path_buf() }
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::io::IsTerminal;
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        write!(f, "{}", diagnostic::render(&self.diagnostics, &self.source, color))?;
        write!(f, "{} is invalid: {} error(s); nothing was sent to AWS", self.file.display(), self.errors())
    }
}

impl std::error::Error for Invalid {}

/// How many broken lines parsing skips over before giving up (so all problems show at once).
const MAX_RECOVERIES: usize = 50;

/// Prefix of environment variables that set stack variables (`PROVISION_VAR_token=...`).
pub const ENV_VAR_PREFIX: &str = "PROVISION_VAR_";

/// Reads and parses stack.toml and applies variable values. A key that is unknown or of the wrong
/// type is reported and its line left out, so that every such problem is found in one run; a
/// problem that leaves nothing sensible to parse stops here.
pub fn load(path: &Path, options: &Options) -> Result<Loaded, Invalid> {
    let text = crate::input::read_text(path, crate::input::MAX_STACK_BYTES).map_err(|e| {
        Invalid::new(
            vec![Diagnostic::error("file", crate::output::escape(&path.display().to_string()), e)
                .with_help("pass the stack file with -f FILE (default ./stack.toml)")],
            "",
            path,
        )
    })?;
    let locator = Locator::new(path, &text);
    let mut parse_errors = Vec::new();
    let mut working = text.clone();
    let file = loop {
        match toml::from_str::<StackFile>(&working) {
            Ok(file) => break file,
            Err(e) => {
                let d = parse_diagnostic(&e, &locator);
                let line = d.location.as_ref().and_then(|l| single_line_entry(&working, l.span.start));
                parse_errors.push(d);
                match line {
                    Some(range) if parse_errors.len() < MAX_RECOVERIES => comment_out(&mut working, range.start),
                    _ => return Err(Invalid::new(parse_errors, &text, path)),
                }
            }
        }
    };
    let (values, sensitive) = variable_values(&file, options, &locator, &mut parse_errors);
    // The stack's identity may hold variables (`name = "dp-${var.env}"`): expanded before
    // anything else, with variables only, since the account and region are not known yet.
    let mut identity = |key: &str, raw: &str| {
        let ctx = interpolate::Context { variables: &values, stack_name: "", region: "", account_id: "" };
        match ctx.interpolate_variables(raw) {
            Ok(text) => text,
            Err(e) => {
                parse_errors.push(locator.locate(Diagnostic::error("interpolation", key, e.message).with_help(e.help)));
                raw.to_string()
            }
        }
    };
    let name = identity("stack.name", &file.stack.name);
    let region = file.stack.region.as_deref().map(|r| identity("stack.region", r));
    Ok(Loaded {
        path: path.to_path_buf(),
        file,
        locator,
        parse_errors,
        values,
        sensitive,
        name,
        region,
        package_code: options.package_code,
        packages: Default::default(),
    })
}

/// Replaces the first character at `offset` with `#`, whatever its width in bytes.
fn comment_out(text: &mut String, offset: usize) {
    let width = text[offset..].chars().next().map_or(0, char::len_utf8);
    text.replace_range(offset..offset + width, "#");
}

/// Variable values, in increasing precedence: defaults, `PROVISION_VAR_NAME`, var files, `--var`.
fn variable_values(
    file: &StackFile,
    options: &Options,
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
                    Diagnostic::error("variable", "variables", format!("{from}: no variable `{name}` in [variables]"))
                        .with_help(format!("{hint}declared: {declared}")),
                ),
            );
        }
    };
    for var_file in &options.var_files {
        match read_var_file(var_file) {
            Ok(pairs) => {
                for (name, value) in pairs {
                    set(&name, value, &var_file.display().to_string(), errors);
                }
            }
            Err(message) => errors.push(
                Diagnostic::error("variable", var_file.display().to_string(), message)
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
                Diagnostic::error("variable", format!("variables.{name}"), format!("variable `{name}` has no value"))
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
    let key = location.as_ref().map(|l| locator.key_at(l.span.start)).unwrap_or_default();
    let (rule, help, message) = match unknown_key(&message) {
        Some((key, expected, suggestion)) => (
            "schema",
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
            ("syntax", None, message)
        }
        None => ("schema", None, in_user_terms(&message)),
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
    if message.starts_with("data did not match any variant of untagged enum VariableSection") {
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
    build(loaded, Environment { region, account_id: OFFLINE_ACCOUNT.into() })
}

/// Account id used by offline validation.
pub const OFFLINE_ACCOUNT: &str = "123456789012";

/// The region named in stack.toml, if any.
pub fn declared_region(loaded: &Loaded) -> Option<String> {
    loaded.region.clone()
}

/// Builds the desired stack and returns it with any warnings; errors stop here.
pub fn build(loaded: &Loaded, env: Environment) -> Result<(Stack, Vec<Diagnostic>), Invalid> {
    let mut b = Builder {
        loaded,
        env,
        diagnostics: Vec::new(),
        base_dir: loaded.path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let resources = b.resources();
    let lock = loaded.file.stack.lock.then(|| LockSettings {
        bucket: match &loaded.file.stack.lock_bucket {
            Some(raw) => b.text("stack.lock_bucket", raw),
            None => default_lock_bucket(&b.env.account_id, &b.env.region),
        },
    });
    let stack = Stack {
        name: loaded.name.clone(),
        env: b.env.clone(),
        file: loaded.path.clone(),
        resources,
        sensitive: loaded.sensitive.clone(),
        lock,
    };
    let mut diagnostics = loaded.parse_errors.clone();
    diagnostics.extend(b.diagnostics.into_iter().map(|d| loaded.locator.locate(d)));
    diagnostics.extend(crate::validate::check(&stack, &loaded.file).into_iter().map(|d| loaded.locator.locate(d)));
    diagnostics.sort_by_key(|d| (d.location.as_ref().map(|l| l.line), d.severity));
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(Invalid::new(diagnostics, loaded.locator.text(), &loaded.path))
    } else {
        Ok((stack, diagnostics))
    }
}

struct Builder<'a> {
    loaded: &'a Loaded,
    env: Environment,
    diagnostics: Vec<Diagnostic>,
    base_dir: PathBuf,
}

impl<'a> Builder<'a> {
    fn file(&self) -> &'a StackFile {
        &self.loaded.file
    }

    /// Interpolates one string value found at `key`.
    fn text(&mut self, key: &str, raw: &str) -> String {
        let ctx = interpolate::Context {
            variables: &self.loaded.values,
            stack_name: &self.loaded.name,
            region: &self.env.region,
            account_id: &self.env.account_id,
        };
        match ctx.interpolate(raw) {
            Ok(s) => s,
            Err(e) => {
                self.diagnostics.push(Diagnostic::error("interpolation", key, e.message).with_help(e.help));
                raw.to_string()
            }
        }
    }

    fn tags(&mut self, address: &Address) -> Tags {
        let mut tags = Tags::new();
        for (k, v) in &self.file().stack.tags.clone() {
            let v = self.text(&format!("stack.tags.{k}"), v);
            tags.insert(k.clone(), v);
        }
        tags.insert(OWNER_TAG.into(), self.loaded.name.clone());
        tags.insert(ADDRESS_TAG.into(), address.to_string());
        tags
    }

    /// Resolves a `kind.name` reference written at `key`, which must be of `kind`.
    fn reference(&mut self, key: &str, raw: &str, kind: Kind) -> Option<Address> {
        let names: Vec<String> = match kind {
            Kind::Bucket => self.file().bucket.keys().cloned().collect(),
            Kind::LogGroup => self.file().log_group.keys().cloned().collect(),
            Kind::Role => self.file().role.keys().cloned().collect(),
            Kind::Lambda => self.file().lambda.keys().cloned().collect(),
            Kind::Firehose => self.file().firehose.keys().cloned().collect(),
        };
        match Address::parse(raw) {
            Some(a) if a.kind == kind && names.contains(&a.name) => Some(a),
            _ => {
                let candidates: Vec<String> = names.iter().map(|n| format!("{}.{n}", kind.as_str())).collect();
                let hint = did_you_mean(raw, candidates.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                let listed = if candidates.is_empty() { "none".to_string() } else { candidates.join(", ") };
                self.diagnostics.push(
                    Diagnostic::error("reference", key, format!("`{raw}` is not a {} in this stack", kind.as_str()))
                        .with_help(format!("{hint}declared: {listed}")),
                );
                None
            }
        }
    }

    fn resources(&mut self) -> Vec<Resource> {
        let mut out = Vec::new();
        let file = &self.loaded.file;
        for (name, b) in &file.bucket {
            out.push(self.bucket(name, b));
        }
        for (name, g) in &file.log_group {
            out.push(self.log_group(name, g));
        }
        // Roles get statements generated from the streams that use them.
        let mut generated: BTreeMap<String, Vec<Statement>> = BTreeMap::new();
        let mut firehoses = Vec::new();
        for (name, f) in &file.firehose {
            let (resource, role, statements) = self.firehose(name, f);
            if let Some(role) = role {
                generated.entry(role).or_default().extend(statements);
            }
            firehoses.push(resource);
        }
        for (name, r) in &file.role {
            let statements = generated.remove(name).unwrap_or_default();
            out.push(self.role(name, r, statements));
        }
        for (name, l) in &file.lambda {
            out.push(self.lambda(name, l));
        }
        out.extend(firehoses.into_iter().flatten());
        out
    }

    fn bucket(&mut self, name: &str, b: &BucketSection) -> Resource {
        let address = Address::new(Kind::Bucket, name);
        let key = format!("bucket.{name}");
        let bucket_name = self.text(&format!("{key}.name"), &b.name);
        let arn = self.env.bucket_arn(&bucket_name);
        let spec =
            BucketSpec::secure(bucket_name, &arn, b.versioning, b.force_destroy, b.require_tls, self.tags(&address));
        Resource {
            address,
            prevent_destroy: b.prevent_destroy,
            wait_timeout: b.wait_timeout_seconds.map(Duration::from_secs).unwrap_or(Kind::Bucket.default_wait()),
            depends_on: vec![],
            spec: Spec::Bucket(spec),
        }
    }

    fn log_group(&mut self, name: &str, g: &LogGroupSection) -> Resource {
        let address = Address::new(Kind::LogGroup, name);
        let key = format!("log_group.{name}");
        let mut streams: Vec<String> =
            g.streams.iter().enumerate().map(|(i, s)| self.text(&format!("{key}.streams[{i}]"), s)).collect();
        streams.sort();
        streams.dedup();
        let spec = LogGroupSpec {
            name: self.text(&format!("{key}.name"), &g.name),
            retention_days: g.retention_days,
            streams,
            tags: self.tags(&address),
        };
        Resource {
            address,
            prevent_destroy: g.prevent_destroy,
            wait_timeout: Kind::LogGroup.default_wait(),
            depends_on: vec![],
            spec: Spec::LogGroup(spec),
        }
    }

    /// A role's physical name and path.
    fn role_identity(&mut self, name: &str) -> Option<(String, String)> {
        let r = self.file().role.get(name)?;
        let raw_name = r.name.clone().unwrap_or_else(|| format!("{}-{name}", self.loaded.name));
        let path = r.path.clone().unwrap_or_else(|| defaults::ROLE_PATH.into());
        Some((self.text(&format!("role.{name}.name"), &raw_name), path))
    }

    fn role_arn(&mut self, name: &str) -> String {
        let (role, path) = self.role_identity(name).unwrap_or_default();
        self.env.role_arn(&path, &role)
    }

    fn role(&mut self, name: &str, r: &RoleSection, mut statements: Vec<Statement>) -> Resource {
        let address = Address::new(Kind::Role, name);
        let key = format!("role.{name}");
        let (role_name, path) = self.role_identity(name).unwrap_or_default();
        for (i, s) in r.statement.iter().enumerate() {
            let resources = s
                .resources
                .iter()
                .enumerate()
                .map(|(j, res)| self.text(&format!("{key}.statement[{i}].resources[{j}]"), res))
                .collect();
            statements.push(Statement {
                effect: s.effect.clone().unwrap_or_else(|| "Allow".into()),
                actions: s.actions.clone(),
                resources,
                condition: None,
            });
        }
        let mut managed: Vec<String> = r
            .managed_policies
            .iter()
            .enumerate()
            .map(|(i, p)| self.text(&format!("{key}.managed_policies[{i}]"), p))
            .collect();
        managed.sort();
        managed.dedup();
        let spec = RoleSpec {
            name: role_name,
            path,
            trust_policy: policy::trust_document(&r.trust, &self.env.account_id),
            managed_policies: managed,
            inline_policy: (!statements.is_empty()).then(|| policy::document(&statements)),
            tags: self.tags(&address),
        };
        Resource {
            address,
            prevent_destroy: r.prevent_destroy,
            wait_timeout: Kind::Role.default_wait(),
            depends_on: vec![],
            spec: Spec::Role(spec),
        }
    }

    fn lambda(&mut self, name: &str, l: &LambdaSection) -> Resource {
        let address = Address::new(Kind::Lambda, name);
        let key = format!("lambda.{name}");
        let role = self.reference(&format!("{key}.role"), &l.role, Kind::Role);
        let role_arn = role.as_ref().map(|r| self.role_arn(&r.name)).unwrap_or_default();
        let source = self.text(&format!("{key}.source"), &l.source);
        let source_dir = self.base_dir.join(&source);
        let package = if self.loaded.package_code {
            match self.loaded.package(&source_dir, &l.include, &l.exclude) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.diagnostics.push(
                        Diagnostic::error("source", format!("{key}.source"), format!("cannot package the code: {e}"))
                            .with_help("source is a directory, relative to stack.toml, holding the function's code"),
                    );
                    None
                }
            }
        } else {
            None
        };
        let mut environment = BTreeMap::new();
        for (k, v) in &l.environment {
            environment.insert(k.clone(), self.text(&format!("{key}.environment.{k}"), v));
        }
        let spec = LambdaSpec {
            name: self.text(&format!("{key}.name"), &l.name),
            runtime: l.runtime.clone(),
            handler: l.handler.clone(),
            role_arn,
            memory_mb: l.memory_mb.unwrap_or(defaults::LAMBDA_MEMORY_MB),
            timeout_seconds: l.timeout_seconds.unwrap_or(defaults::LAMBDA_TIMEOUT_SECONDS),
            description: l
                .description
                .clone()
                .map(|d| self.text(&format!("{key}.description"), &d))
                .unwrap_or_default(),
            environment,
            code_sha256: package.as_ref().map(|p| p.code_sha256()).unwrap_or_default(),
            publish: l.publish,
            version: None,
            tags: self.tags(&address),
            package,
            source_dir: Some(source_dir),
        };
        Resource {
            wait_timeout: l.wait_timeout_seconds.map(Duration::from_secs).unwrap_or(Kind::Lambda.default_wait()),
            address,
            prevent_destroy: l.prevent_destroy,
            depends_on: role.into_iter().collect(),
            spec: Spec::Lambda(spec),
        }
    }

    /// The stream, the role it uses, and the least-privilege statements that role needs (I2).
    fn firehose(&mut self, name: &str, f: &FirehoseSection) -> (Option<Resource>, Option<String>, Vec<Statement>) {
        let address = Address::new(Kind::Firehose, name);
        let key = format!("firehose.{name}");
        let mut depends_on = Vec::new();
        let mut statements = Vec::new();
        let role = self.reference(&format!("{key}.role"), &f.role, Kind::Role);
        let bucket = self.reference(&format!("{key}.bucket"), &f.bucket, Kind::Bucket);
        let role_arn = role.as_ref().map(|r| self.role_arn(&r.name)).unwrap_or_default();
        let bucket_name = |b: &mut Self, a: &Option<Address>| {
            let raw = a.as_ref().and_then(|a| b.file().bucket.get(&a.name)).map(|s| s.name.clone()).unwrap_or_default();
            b.text(&format!("bucket.{}.name", a.as_ref().map(|a| a.name.as_str()).unwrap_or("")), &raw)
        };
        let primary_name = bucket_name(self, &bucket);
        let bucket_arn = self.env.bucket_arn(&primary_name);
        let s3_actions = [
            "s3:AbortMultipartUpload",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:ListBucketMultipartUploads",
            "s3:PutObject",
        ];
        statements.push(Statement::allow(&s3_actions, vec![bucket_arn.clone(), format!("{bucket_arn}/*")]));
        depends_on.extend(role.clone());
        depends_on.extend(bucket.clone());

        let s3_backup = if f.s3_backup {
            let backup = f
                .s3_backup_bucket
                .as_ref()
                .and_then(|b| self.reference(&format!("{key}.s3_backup_bucket"), b, Kind::Bucket));
            backup.map(|b| {
                let backup_name = bucket_name(self, &Some(b.clone()));
                let arn = self.env.bucket_arn(&backup_name);
                if arn != bucket_arn {
                    statements.push(Statement::allow(&s3_actions, vec![arn.clone(), format!("{arn}/*")]));
                }
                depends_on.push(b);
                S3Backup {
                    bucket_arn: arn,
                    prefix: f
                        .s3_backup_prefix
                        .as_ref()
                        .map(|p| self.text(&format!("{key}.s3_backup_prefix"), p))
                        .unwrap_or_default(),
                }
            })
        } else {
            None
        };

        let logging = match &f.log_group {
            Some(raw) => self.reference(&format!("{key}.log_group"), raw, Kind::LogGroup).map(|group| {
                let group_name = self.file().log_group.get(&group.name).map(|g| g.name.clone()).unwrap_or_default();
                let group_name = self.text(&format!("log_group.{}.name", group.name), &group_name);
                let stream = f.log_stream.clone().unwrap_or_else(|| defaults::LOG_STREAM.into());
                let stream = self.text(&format!("{key}.log_stream"), &stream);
                statements.push(Statement::allow(
                    &["logs:PutLogEvents"],
                    vec![self.env.log_stream_arn(&group_name, &stream)],
                ));
                depends_on.push(group);
                (group_name, stream)
            }),
            None => None,
        };

        let mut processors = Vec::new();
        for (i, p) in f.processor.iter().enumerate() {
            let pkey = format!("{key}.processor[{i}]");
            let mut params = BTreeMap::new();
            let mut set = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    params.insert(k.to_string(), Param::Text(v));
                }
            };
            match p.kind.as_str() {
                "RecordDeAggregation" => {
                    set(
                        "SubRecordType",
                        Some(p.sub_record_type.clone().unwrap_or_else(|| defaults::SUB_RECORD_TYPE.into())),
                    );
                    set("Delimiter", p.delimiter.clone());
                }
                "MetadataExtraction" => {
                    set("MetadataExtractionQuery", p.query.clone());
                    set(
                        "JsonParsingEngine",
                        Some(p.json_parsing_engine.clone().unwrap_or_else(|| defaults::JSON_PARSING_ENGINE.into())),
                    );
                }
                "Lambda" => {
                    set("NumberOfRetries", Some(p.retries.unwrap_or(defaults::PROCESSOR_RETRIES).to_string()));
                    set("RoleArn", Some(role_arn.clone()));
                    set(
                        "BufferSizeInMBs",
                        Some(format_mb(p.buffer_size_mb.unwrap_or(defaults::PROCESSOR_BUFFER_SIZE_MB))),
                    );
                    set(
                        "BufferIntervalInSeconds",
                        Some(
                            p.buffer_interval_seconds
                                .unwrap_or(defaults::PROCESSOR_BUFFER_INTERVAL_SECONDS)
                                .to_string(),
                        ),
                    );
                    if let Some(function) =
                        p.function.as_ref().and_then(|f| self.reference(&format!("{pkey}.function"), f, Kind::Lambda))
                    {
                        let l = &self.file().lambda[&function.name];
                        let fname = self.text(&format!("lambda.{}.name", function.name), &l.name.clone());
                        let arn = self.env.function_arn(&fname);
                        statements.push(Statement::allow(
                            &["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                            vec![arn.clone(), format!("{arn}:*")],
                        ));
                        // An unpublished function is used unqualified; a published one by version,
                        // known once the plan has read the live function.
                        let arn = (!l.publish).then_some(arn);
                        params.insert("LambdaArn".into(), Param::LambdaArn { function: function.clone(), arn });
                        depends_on.push(function);
                    }
                }
                _ => {}
            }
            processors.push(Processor { kind: p.kind.clone(), parameters: params });
        }
        if let Some(kms) = &f.kms_key_arn {
            let kms = self.text(&format!("{key}.kms_key_arn"), kms);
            statements.push(Statement::kms_for_bucket(&kms, &self.env.region, &bucket_arn));
        }
        let role_name = role.as_ref().map(|r| r.name.clone());
        if role.is_none() || bucket.is_none() {
            return (None, role_name, statements);
        }
        depends_on.sort();
        depends_on.dedup();
        let spec = FirehoseSpec {
            name: self.text(&format!("{key}.name"), &f.name),
            role_arn,
            bucket_arn,
            prefix: f.prefix.as_ref().map(|p| self.text(&format!("{key}.prefix"), p)).unwrap_or_default(),
            error_output_prefix: f
                .error_output_prefix
                .as_ref()
                .map(|p| self.text(&format!("{key}.error_output_prefix"), p))
                .unwrap_or_default(),
            buffer_size_mb: f.buffer_size_mb.unwrap_or(defaults::BUFFER_SIZE_MB),
            buffer_interval_seconds: f.buffer_interval_seconds.unwrap_or(defaults::BUFFER_INTERVAL_SECONDS),
            compression: f.compression.clone().unwrap_or_else(|| defaults::COMPRESSION.into()),
            file_extension: f.file_extension.clone().unwrap_or_default(),
            kms_key_arn: f.kms_key_arn.as_ref().map(|k| self.text(&format!("{key}.kms_key_arn"), k)),
            logging,
            dynamic_partitioning: f.dynamic_partitioning,
            dynamic_partitioning_retry_seconds: f
                .dynamic_partitioning
                .then(|| f.dynamic_partitioning_retry_seconds.unwrap_or(defaults::DYNAMIC_PARTITIONING_RETRY_SECONDS)),
            s3_backup,
            processors,
            tags: self.tags(&address),
        };
        let wait_timeout = f.wait_timeout_seconds.map(Duration::from_secs).unwrap_or(Kind::Firehose.default_wait());
        let resource = Resource {
            address,
            prevent_destroy: f.prevent_destroy,
            wait_timeout,
            depends_on,
            spec: Spec::Firehose(spec),
        };
        (Some(resource), role_name, statements)
    }
}

/// Formats a megabyte count the way Firehose echoes it back ("3", "0.2").
pub fn format_mb(mb: f64) -> String {
    if mb.fract() == 0.0 {
        format!("{}", mb as i64)
    } else {
        format!("{mb}")
    }
}
