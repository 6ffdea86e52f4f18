//! Addresses, parsed and printed in this one place (as Terraform's `addrs` has them):
//!
//! - an instance address names one resource of the expanded stack: `bucket.data`,
//!   `firehose.events[acme]` (an instance of a table with `for_each`),
//!   `module.tenant[acme].firehose.events` (a resource of a module instance). Plans, the
//!   `provision:address` tag, `--target`, `output`, `show`, `forget` and `import` use it.
//! - a [`Selector`] is what a user may write to pick instances: an instance address, or a part of
//!   one (`module.tenant`, `module.tenant[acme]`, `firehose.events` for every instance).
//! - a [`ConfigAddress`] names a declaration in the files, before expansion: the module calls
//!   leading to it (names, no keys), its kind and name. Every instance of a `for_each` table, and
//!   of a module called with `for_each`, has the one config address of the block that declares it.
//! - an [`AttrPath`] is a place inside a table (`processor[2].parameters`), and a [`Position`]
//!   what a diagnostic points at: an attribute of a resource instance, of a module call, a key of
//!   a file (`stack.tags."a.b"`), or a file. A position yields its declaration, whose range the
//!   config keeps (`crate::config::declarations`): the attribute is found inside that block.

use super::Kind;
use std::fmt;

/// One module call on the way to a resource: `module.NAME` or `module.NAME[KEY]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleStep {
    pub name: String,
    /// The instance key, for a module called with `for_each`.
    pub key: Option<String>,
}

/// The module instance a resource belongs to: empty for the root (stack.toml itself).
pub type ModulePath = Vec<ModuleStep>;

/// One resource instance of the expanded stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The module instance it belongs to (empty: stack.toml itself).
    pub module: ModulePath,
    pub kind: Kind,
    /// `NAME` of `[kind.NAME]`.
    pub name: String,
    /// The instance key, for a table with `for_each`.
    pub key: Option<String>,
}

/// The longest instance key, and what one may hold: keys become part of addresses and tags.
pub const MAX_KEY_LEN: usize = 64;

/// Whether `key` may be a `for_each` key: 1 to 64 of `A-Z a-z 0-9 _ -` (a key is part of
/// physical names and of the `provision:address` tag, whose values AWS limits).
///
/// ```
/// assert!(provision::model::address::is_valid_key("acme-eu_1"));
/// for bad in ["a b", "", "a.b", "a]"] {
///     assert!(!provision::model::address::is_valid_key(bad));
/// }
/// ```
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
}

impl Address {
    /// `kind.name` of stack.toml itself.
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self { module: Vec::new(), kind, name: name.into(), key: None }
    }

    /// This address with instance key `key`.
    pub fn with_key(mut self, key: Option<String>) -> Self {
        self.key = key;
        self
    }

    /// This address inside module instance `module`.
    pub fn in_module(mut self, module: &[ModuleStep]) -> Self {
        let mut path = module.to_vec();
        path.append(&mut self.module);
        self.module = path;
        self
    }

    /// Parses an instance address (`bucket.data`, `firehose.events[acme]`,
    /// `module.tenant["acme"].lambda.extractor`).
    ///
    /// ```
    /// use provision::model::{Address, Kind};
    /// let a = Address::parse("module.tenant[\"acme\"].firehose.events").unwrap();
    /// assert_eq!((a.kind, a.name.as_str(), a.module[0].key.as_deref()), (Kind::Firehose, "events", Some("acme")));
    /// assert_eq!(a.to_string(), "module.tenant[acme].firehose.events");
    /// assert_eq!(Address::parse("bucket.data[x]").unwrap().key.as_deref(), Some("x"));
    /// assert!(Address::parse("module.tenant").is_none() && Address::parse("nope.x").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Address> {
        match Selector::parse(text)? {
            Selector { module, resource: Some((kind, name, key)) } => Some(Address { module, kind, name, key }),
            _ => None,
        }
    }

    /// This address as the `provision:address` tag holds it: AWS tag values allow no brackets,
    /// so a key is written `=KEY` (`module.tenant=acme.firehose.events`, `bucket.data=eu`).
    ///
    /// ```
    /// use provision::model::Address;
    /// let a = Address::parse("module.tenant[acme].firehose.events[k]").unwrap();
    /// assert_eq!(a.tag_value(), "module.tenant=acme.firehose.events=k");
    /// assert_eq!(Address::parse_tag(&a.tag_value()), Some(a));
    /// assert_eq!(Address::parse("bucket.data").unwrap().tag_value(), "bucket.data");
    /// ```
    pub fn tag_value(&self) -> String {
        let mut out = String::new();
        for step in &self.module {
            out.push_str("module.");
            out.push_str(&step.name);
            if let Some(key) = &step.key {
                out.push('=');
                out.push_str(key);
            }
            out.push('.');
        }
        out.push_str(self.kind.as_str());
        out.push('.');
        out.push_str(&self.name);
        if let Some(key) = &self.key {
            out.push('=');
            out.push_str(key);
        }
        out
    }

    /// Parses [`Address::tag_value`]'s form (the printed form too).
    pub fn parse_tag(text: &str) -> Option<Address> {
        if text.contains('[') {
            return Address::parse(text);
        }
        let split_key = |s: &str| -> (String, Option<String>) {
            match s.rsplit_once('=') {
                Some((name, key)) if is_valid_key(key) && !name.is_empty() => (name.to_string(), Some(key.to_string())),
                _ => (s.to_string(), None),
            }
        };
        let mut module = Vec::new();
        let mut rest = text;
        while let Some(after) = rest.strip_prefix("module.") {
            let end = after.find('.')?;
            let (name, key) = split_key(&after[..end]);
            module.push(ModuleStep { name, key });
            rest = &after[end + 1..];
        }
        let (kind, name) = rest.split_once('.')?;
        let kind = Kind::parse(kind)?;
        let (name, key) = split_key(name);
        (!name.is_empty()).then_some(Address { module, kind, name, key })
    }

    /// The address an owned resource's `provision:address` tag names. A tag that is missing, does
    /// not parse or names another kind gives `kind.PHYSICAL_NAME[?]`: never an address stack.toml
    /// can declare (`?` is no key), so such a resource is an orphan, never taken for a declared one.
    ///
    /// ```
    /// use provision::model::{Address, Kind};
    /// let tagged = Address::from_tag(Some("module.t=a.bucket.data"), Kind::Bucket, "b-1");
    /// assert_eq!(tagged.to_string(), "module.t[a].bucket.data");
    /// assert_eq!(Address::from_tag(Some("role.x"), Kind::Bucket, "b-1").to_string(), "bucket.b-1[?]");
    /// assert_eq!(Address::from_tag(None, Kind::Bucket, "b-1").to_string(), "bucket.b-1[?]");
    /// ```
    pub fn from_tag(tag: Option<&str>, kind: Kind, physical_name: &str) -> Address {
        tag.and_then(Address::parse_tag)
            .filter(|a| a.kind == kind)
            .unwrap_or_else(|| Address::new(kind, physical_name).with_key(Some("?".into())))
    }

    /// The module instance part, printed (`module.tenant[acme]`), empty for the root.
    pub fn module_display(&self) -> String {
        module_display(&self.module)
    }

    /// This address without its module path and key: `kind.name`, as written in its own file.
    pub fn config_key(&self) -> String {
        format!("{}.{}", self.kind.as_str(), self.name)
    }
}

/// `module.a[x].module.b` for a module path.
pub fn module_display(module: &[ModuleStep]) -> String {
    let mut out = String::new();
    for (i, step) in module.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str("module.");
        out.push_str(&crate::output::escape_line(&step.name));
        push_key(&mut out, step.key.as_deref());
    }
    out
}

fn push_key(out: &mut String, key: Option<&str>) {
    if let Some(key) = key {
        out.push('[');
        out.push_str(&crate::output::escape_line(key));
        out.push(']');
    }
}

impl fmt::Display for Address {
    /// Escaped: an address may come from a tag anyone able to tag could write.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = module_display(&self.module);
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(self.kind.as_str());
        out.push('.');
        out.push_str(&crate::output::escape_line(&self.name));
        push_key(&mut out, self.key.as_deref());
        f.write_str(&out)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One step of an [`AttrPath`]: a key of a table, or an index into an array.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A place inside a table, `a.b[2].c`; printed as TOML writes keys (a key that is not a bare
/// key, such as a tag key holding `.`, is quoted: `tags."team.name"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrPath(Vec<Step>);

impl AttrPath {
    /// The table itself.
    pub fn root() -> AttrPath {
        AttrPath(Vec::new())
    }

    /// This path, then key `key`.
    pub fn key(mut self, key: impl Into<String>) -> AttrPath {
        self.0.push(Step::Key(key.into()));
        self
    }

    /// This path, then index `i`.
    pub fn index(mut self, i: usize) -> AttrPath {
        self.0.push(Step::Index(i));
        self
    }

    /// Its steps, outermost first.
    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The table holding its last step (the root for the root).
    pub fn parent(&self) -> AttrPath {
        AttrPath(self.0.split_last().map_or(Vec::new(), |(_, rest)| rest.to_vec()))
    }

    /// Whether it is `other` or inside it.
    pub fn starts_with(&self, other: &AttrPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// This path with `inner` appended.
    pub fn join(mut self, inner: &AttrPath) -> AttrPath {
        self.0.extend(inner.0.iter().cloned());
        self
    }

    /// Parses `a.b[2]."c.d"`, the printed form.
    ///
    /// ```
    /// use provision::model::address::AttrPath;
    /// let p = AttrPath::parse("tags.\"team.name\"").unwrap();
    /// assert_eq!(p, AttrPath::root().key("tags").key("team.name"));
    /// assert_eq!(p.to_string(), "tags.\"team.name\"");
    /// assert_eq!(AttrPath::parse("processor[2].query").unwrap().to_string(), "processor[2].query");
    /// assert!(AttrPath::parse("a..b").is_none() && AttrPath::parse("a[x]").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<AttrPath> {
        let mut steps = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted.find('"')?;
                steps.push(Step::Key(quoted[..end].to_string()));
                rest = &quoted[end + 1..];
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                if end == 0 {
                    return None;
                }
                steps.push(Step::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let close = inner.find(']')?;
                steps.push(Step::Index(inner[..close].parse().ok()?));
                rest = &inner[close + 1..];
            }
            if let Some(next) = rest.strip_prefix('.') {
                if next.is_empty() {
                    return None;
                }
                rest = next;
            } else if !rest.is_empty() {
                return None;
            }
        }
        Some(AttrPath(steps))
    }
}

/// A key as TOML writes it: bare when it is one (`A-Z a-z 0-9 _ -`), else quoted and escaped.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("\"{}\"", crate::output::escape_line(key).replace('"', "\\\""))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => f.write_str(&toml_key(k))?,
                Step::Key(k) => write!(f, ".{}", toml_key(k))?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A declaration in the files: the module calls leading to it (their names, no keys), its kind
/// and its name. `module.tenant[acme].firehose.events[k]` is declared at
/// `module.tenant.firehose.events`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigAddress {
    pub module: Vec<String>,
    pub kind: Kind,
    pub name: String,
}

impl fmt::Display for ConfigAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.module {
            write!(f, "module.{}.", crate::output::escape_line(m))?;
        }
        write!(f, "{}.{}", self.kind.as_str(), crate::output::escape_line(&self.name))
    }
}

impl ConfigAddress {
    /// The block as its file writes its header: `[firehose.events]`.
    pub fn header(&self) -> String {
        format!("[{}.{}]", self.kind.as_str(), toml_key(&self.name))
    }
}

impl Address {
    /// The declaration this instance was expanded from.
    pub fn config_address(&self) -> ConfigAddress {
        ConfigAddress {
            module: self.module.iter().map(|m| m.name.clone()).collect(),
            kind: self.kind,
            name: self.name.clone(),
        }
    }
}

/// What a diagnostic points at, in the expanded stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Position {
    /// A resource instance's table (`path` empty) or an attribute of it.
    Resource { address: Address, path: AttrPath },
    /// A module call's table in its caller, or an attribute of it: `module` is the called
    /// instance's path, whose last step is the call.
    Call { module: ModulePath, path: AttrPath },
    /// A key of the file of module instance `module` (empty: stack.toml), from its root:
    /// `stack.tags."a.b"`, `variables.region`.
    Key { module: ModulePath, path: AttrPath },
    /// A key of a file read as it is (a var file, a module file being parsed), from its root.
    InFile { file: std::path::PathBuf, path: AttrPath },
}

/// Where a position's block is declared: what the config's table of declarations is asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Declared {
    /// `[kind.NAME]` in the file of the module path.
    Block(ConfigAddress),
    /// `[module.NAME]` in the caller's file: the caller's module names, and the call's name.
    Call { caller: Vec<String>, name: String },
    /// The root of the file of the module path (names, no keys).
    File(Vec<String>),
    /// A file named by its path.
    Path(std::path::PathBuf),
}

impl Position {
    /// `address`'s table.
    pub fn resource(address: &Address) -> Position {
        Position::Resource { address: address.clone(), path: AttrPath::root() }
    }

    /// `path` of stack.toml, from its root (`stack.name`).
    pub fn stack_file(path: AttrPath) -> Position {
        Position::Key { module: Vec::new(), path }
    }

    /// The key of `[stack]` named `key` (`stack.region`).
    pub fn stack(key: &str) -> Position {
        Position::stack_file(AttrPath::root().key("stack").key(key))
    }

    /// The module call of instance `module` (its last step).
    pub fn call(module: &[ModuleStep]) -> Position {
        Position::Call { module: module.to_vec(), path: AttrPath::root() }
    }

    fn path_mut(&mut self) -> &mut AttrPath {
        match self {
            Position::Resource { path, .. }
            | Position::Call { path, .. }
            | Position::Key { path, .. }
            | Position::InFile { path, .. } => path,
        }
    }

    /// Its attribute path, inside its table (or file).
    pub fn path(&self) -> &AttrPath {
        match self {
            Position::Resource { path, .. }
            | Position::Call { path, .. }
            | Position::Key { path, .. }
            | Position::InFile { path, .. } => path,
        }
    }

    /// Key `key` inside this position.
    pub fn at(&self, key: impl Into<String>) -> Position {
        let mut p = self.clone();
        let path = std::mem::take(p.path_mut());
        *p.path_mut() = path.key(key);
        p
    }

    /// Index `i` inside this position.
    pub fn index(&self, i: usize) -> Position {
        let mut p = self.clone();
        let path = std::mem::take(p.path_mut());
        *p.path_mut() = path.index(i);
        p
    }

    /// `inner` inside this position.
    pub fn join(&self, inner: &AttrPath) -> Position {
        let mut p = self.clone();
        let path = std::mem::take(p.path_mut());
        *p.path_mut() = path.join(inner);
        p
    }

    /// Whether this position is `other` or inside it.
    pub fn starts_with(&self, other: &Position) -> bool {
        let same_table = match (self, other) {
            (Position::Resource { address: a, .. }, Position::Resource { address: b, .. }) => a == b,
            (Position::Call { module: a, .. }, Position::Call { module: b, .. }) => a == b,
            (Position::Key { module: a, .. }, Position::Key { module: b, .. }) => a == b,
            (Position::InFile { file: a, .. }, Position::InFile { file: b, .. }) => a == b,
            _ => false,
        };
        same_table && self.path().starts_with(other.path())
    }

    /// The resource instance it is in, if any.
    pub fn address(&self) -> Option<&Address> {
        match self {
            Position::Resource { address, .. } => Some(address),
            _ => None,
        }
    }

    /// Where its table is declared.
    pub fn declared(&self) -> Declared {
        let names = |m: &[ModuleStep]| m.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        match self {
            Position::Resource { address, .. } => Declared::Block(address.config_address()),
            Position::Call { module, .. } => match module.split_last() {
                Some((call, caller)) => Declared::Call { caller: names(caller), name: call.name.clone() },
                None => Declared::File(Vec::new()),
            },
            Position::Key { module, .. } => Declared::File(names(module)),
            Position::InFile { file, .. } => Declared::Path(file.clone()),
        }
    }

    /// What the user can find in the file, for messages: the block's header and, for an
    /// instance of a `for_each` table or module call, its key (`[firehose.events] (key "acme")`).
    pub fn block_to_find(&self) -> String {
        match self {
            Position::Resource { address, .. } => {
                let header = address.config_address().header();
                let keys: Vec<String> = address
                    .module
                    .iter()
                    .filter_map(|m| m.key.as_ref().map(|k| format!("module.{} key {:?}", m.name, k)))
                    .chain(address.key.iter().map(|k| format!("key {k:?}")))
                    .collect();
                let file = if address.module.is_empty() {
                    String::new()
                } else {
                    format!(
                        " in the file of module.{}",
                        address.module.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(".module.")
                    )
                };
                if keys.is_empty() {
                    format!("{header}{file}")
                } else {
                    format!("{header}{file} ({})", crate::output::escape_line(&keys.join(", ")))
                }
            }
            other => other.to_string(),
        }
    }
}

impl From<&Position> for Position {
    fn from(p: &Position) -> Position {
        p.clone()
    }
}

impl From<&Address> for Position {
    fn from(a: &Address) -> Position {
        Position::resource(a)
    }
}

impl fmt::Display for Position {
    /// `module.t[a].firehose.events.buffer_size_mb`, `stack.tags."a.b"`, `module.t[a].region`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, path) = match self {
            Position::Resource { address, path } => (address.to_string(), path),
            Position::Call { module, path } | Position::Key { module, path } => (module_display(module), path),
            Position::InFile { file, path } if path.is_empty() => {
                return f.write_str(&crate::output::escape_line(&file.display().to_string()))
            }
            Position::InFile { path, .. } => (String::new(), path),
        };
        match (head.is_empty(), path.is_empty()) {
            (true, _) => write!(f, "{path}"),
            (false, true) => f.write_str(&head),
            (false, false) => write!(f, "{head}.{path}"),
        }
    }
}

impl serde::Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a user writes to pick instances (`--target`, `show`, `output`): an instance address, or
/// a part of one. A step or resource written without a key picks every instance of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub module: ModulePath,
    /// The resource, when one is named: kind, name, key.
    pub resource: Option<(Kind, String, Option<String>)>,
}

impl Selector {
    /// Parses `module.a[x].module.b`, `module.a[x].kind.name[k]`, `kind.name`. Keys may be
    /// quoted (`["acme"]`, as Terraform prints them).
    ///
    /// ```
    /// use provision::model::{address::Selector, Address};
    /// let all = Selector::parse("module.tenant").unwrap();
    /// assert!(all.matches(&Address::parse("module.tenant[acme].bucket.data").unwrap()));
    /// assert!(!Selector::parse("module.tenant[globex]").unwrap().matches(&Address::parse("module.tenant[acme].bucket.data").unwrap()));
    /// assert!(Selector::parse("firehose.events").unwrap().matches(&Address::parse("firehose.events[a]").unwrap()));
    /// ```
    pub fn parse(text: &str) -> Option<Selector> {
        let mut module = Vec::new();
        let mut rest = text.trim();
        while let Some(after) = rest.strip_prefix("module.") {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() {
                return None;
            }
            let (key, tail) = take_key(&after[end..])?;
            module.push(ModuleStep { name: name.to_string(), key });
            if tail.is_empty() {
                return Some(Selector { module, resource: None });
            }
            rest = tail.strip_prefix('.')?;
        }
        let (kind, name) = rest.split_once('.')?;
        let kind = Kind::parse(kind)?;
        let (name, key) = match name.strip_suffix(']').and_then(|n| n.rfind('[').map(|i| (&n[..i], &name[i..]))) {
            Some(("", _)) => return None,
            Some((base, bracketed)) => {
                let (key, tail) = take_key(bracketed)?;
                if !tail.is_empty() {
                    return None;
                }
                (base, key)
            }
            _ => (name, None),
        };
        (!name.is_empty()).then(|| Selector { module, resource: Some((kind, name.to_string(), key)) })
    }

    /// Whether `address` is picked: its module path starts with the selector's, and it is the
    /// resource named, if one is. A step or resource written without a key picks every key.
    pub fn matches(&self, address: &Address) -> bool {
        let key_matches = |want: &Option<String>, have: &Option<String>| want == have || want.is_none();
        if address.module.len() < self.module.len() {
            return false;
        }
        let module_len = self.module.len();
        let steps = self.module.iter().zip(&address.module[..module_len]);
        if !steps.into_iter().all(|(w, h)| w.name == h.name && key_matches(&w.key, &h.key)) {
            return false;
        }
        match &self.resource {
            None => true,
            Some((kind, name, key)) => {
                address.module.len() == module_len
                    && address.kind == *kind
                    && &address.name == name
                    && key_matches(key, &address.key)
            }
        }
    }
}

impl fmt::Display for Selector {
    /// As it parses back (`module.tenant[acme]`, `firehose.events`), escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = module_display(&self.module);
        if let Some((kind, name, key)) = &self.resource {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(kind.as_str());
            out.push('.');
            out.push_str(&crate::output::escape_line(name));
            push_key(&mut out, key.as_deref());
        }
        f.write_str(&out)
    }
}

impl serde::Serialize for Selector {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Selector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Selector, D::Error> {
        let text = String::deserialize(d)?;
        Selector::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not an address")))
    }
}

impl From<&Address> for Selector {
    fn from(a: &Address) -> Selector {
        Selector { module: a.module.clone(), resource: Some((a.kind, a.name.clone(), a.key.clone())) }
    }
}

/// What `provision output NAME` names: a module instance (every resource of it), or one
/// resource and which of its values (`bucket.data`: its ARN; `bucket.data.name`: its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputName {
    Module(Selector),
    Resource { address: Address, name: bool },
}

impl OutputName {
    /// Parses `module.tenant[acme]`, `bucket.data`, `bucket.data.arn`, `bucket.data.name`.
    ///
    /// ```
    /// use provision::model::address::OutputName;
    /// assert!(matches!(OutputName::parse("bucket.data.name"), Some(OutputName::Resource { name: true, .. })));
    /// assert!(matches!(OutputName::parse("module.t[a]"), Some(OutputName::Module(_))));
    /// assert!(OutputName::parse("bucket").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<OutputName> {
        if let Some(selector) = Selector::parse(text).filter(|s| s.resource.is_none()) {
            return Some(OutputName::Module(selector));
        }
        let (resource, name) = match text.rsplit_once('.') {
            Some((a, "name")) if Address::parse(a).is_some() => (a, true),
            Some((a, "arn")) if Address::parse(a).is_some() => (a, false),
            _ => (text, false),
        };
        Address::parse(resource).map(|address| OutputName::Resource { address, name })
    }
}

/// `[key]` or `["key"]` at the start of `text`: the key and what follows; no bracket: no key.
fn take_key(text: &str) -> Option<(Option<String>, &str)> {
    let Some(inner) = text.strip_prefix('[') else { return Some((None, text)) };
    let close = match inner.strip_prefix('"') {
        Some(quoted) => quoted.find('"').map(|i| i + 2)?,
        None => inner.find(']')?,
    };
    let key = inner[..close].trim_matches('"');
    let tail = inner[close..].strip_prefix(']')?;
    (!key.is_empty()).then(|| (Some(key.to_string()), tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_they_parse() {
        for text in [
            "bucket.data",
            "firehose.events[acme]",
            "module.tenant[acme].firehose.events",
            "module.a.module.b[x].lambda.f[y]",
            "lambda.name.with.dots",
        ] {
            assert_eq!(Address::parse(text).unwrap().to_string(), text);
        }
        let quoted = Address::parse("module.tenant[\"acme\"].role.delivery[\"k\"]").unwrap();
        assert_eq!(quoted.to_string(), "module.tenant[acme].role.delivery[k]");
    }

    #[test]
    fn what_is_not_an_address_is_refused() {
        for text in
            ["", "bucket", "bucket.", "module.x", "module..bucket.a", "module.x[.bucket.a", "nope.a", "bucket.[k]"]
        {
            assert!(Address::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn selectors_pick_whole_modules_instances_or_every_key() {
        let a = Address::parse("module.tenant[acme].firehose.events").unwrap();
        let b = Address::parse("module.tenant[globex].firehose.events").unwrap();
        let root = Address::parse("firehose.events").unwrap();
        let pick = |s: &str| Selector::parse(s).unwrap();
        assert!(pick("module.tenant").matches(&a) && pick("module.tenant").matches(&b));
        assert!(pick("module.tenant[acme]").matches(&a) && !pick("module.tenant[acme]").matches(&b));
        assert!(pick("module.tenant[acme].firehose.events").matches(&a));
        assert!(!pick("firehose.events").matches(&a) && pick("firehose.events").matches(&root));
        assert!(!pick("module.other").matches(&a));
        let keyed = Address::parse("firehose.events[x]").unwrap();
        assert!(pick("firehose.events").matches(&keyed) && !pick("firehose.events[y]").matches(&keyed));
    }

    /// Addresses and key paths are parsed and printed in this module only: no other source file
    /// builds a dotted key from a variable (`format!("{key}.name")`), edits one
    /// (`key.replace("assume_role", ...)`), splits one, or compares an address by its text.
    #[test]
    fn no_address_or_key_string_is_parsed_or_formatted_elsewhere() {
        let forbidden = [
            regex_lite("format!(\"{key}."),
            regex_lite("format!(\"{at}."),
            regex_lite("format!(\"{pkey}."),
            regex_lite("format!(\"{shown}."),
            regex_lite("format!(\"{call_key}."),
            regex_lite("format!(\"{address}."),
            regex_lite("format!(\"{}.{name}"),
            regex_lite("format!(\"{}.managed_policies\""),
            regex_lite(".replace(\"assume_role\""),
            regex_lite("address.to_string() =="),
            regex_lite("address.to_string() !="),
            regex_lite("d.key.starts_with"),
            regex_lite("key.rsplit_once('.')"),
            regex_lite("key.split('.')"),
            regex_lite("fn key_at("),
        ];
        let mut found = Vec::new();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("model/address.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        if forbidden.iter().any(|f| line.contains(f.as_str())) {
                            found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "key strings built or parsed outside the address module:\n{}", found.join("\n"));
    }

    /// The pattern as written (a plain substring).
    fn regex_lite(text: &str) -> String {
        text.to_string()
    }

    proptest::proptest! {
        /// Addresses come from tags anyone able to tag could write: any text parses or is
        /// refused, never panics.
        #[test]
        fn any_text_parses_or_is_refused(text in "\\PC{0,40}|(module\\.[a-z\\[\\]\"=]{0,6}\\.){0,3}(bucket|role)\\.[a-z\\[\\]\"=.]{0,8}") {
            let _ = Address::parse(&text);
            let _ = Address::parse_tag(&text);
            let _ = Selector::parse(&text);
        }

        /// An instance address survives its tag form and its printed form.
        #[test]
        fn tag_and_printed_forms_round_trip(
            steps in proptest::collection::vec(("[a-z_]{1,8}", proptest::option::of("[A-Za-z0-9_-]{1,8}")), 0..3),
            name in "[a-z_][a-z0-9_-]{0,10}",
            key in proptest::option::of("[A-Za-z0-9_-]{1,8}"),
        ) {
            let module = steps.into_iter().map(|(name, key)| ModuleStep { name, key }).collect();
            let a = Address { module, kind: Kind::Firehose, name, key };
            proptest::prop_assert_eq!(Address::parse_tag(&a.tag_value()), Some(a.clone()));
            proptest::prop_assert_eq!(Address::parse(&a.to_string()), Some(a));
        }
    }
}
