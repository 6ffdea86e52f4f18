//! Addresses, parsed and printed in this one place (as Terraform's `addrs` has them):
//!
//! - an instance address names one resource of the expanded stack: `bucket.data`,
//!   `firehose.events[acme]` (an instance of a table with `for_each`),
//!   `module.tenant[acme].firehose.events` (a resource of a module instance). Plans, the
//!   `provision:address` tag, `--target`, `output`, `show`, `forget` and `import` use it.
//! - a [`Selector`] is what a user may write to pick instances: an instance address, or a part of
//!   one (`module.tenant`, `module.tenant[acme]`, `firehose.events` for every instance).
//!
//! Where a resource is written in stack.toml (its file and line) is a config address, kept by the
//! builder's source map for diagnostics (`crate::config::sources`).

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
