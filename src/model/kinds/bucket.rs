//! `[bucket.NAME]`: an S3 bucket with secure defaults.

use super::BuildSite;
use super::{push, CheckSite, Kind, KindInfo, KindSpec, ReplaceRule};
use crate::defaults as d;
use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{account_regional_suffix, OFFLINE_ACCOUNT};
use crate::model::{Attr, Attributes, Environment, Resource, Tags};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// The facts of the bucket kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "bucket",
    noun: "bucket",
    found_by: super::FoundBy::TaggingApi("s3"),
    name_in_arn: |arn| super::arn_resource(arn, "s3").filter(|r| !r.contains('/')).map(str::to_string),
    may_reference: &[],
    default_wait_seconds: d::OTHER_WAIT_SECONDS,
    // CreateBucket takes tags, but S3-compatible services (moto among them) drop them: a bucket
    // is tagged by a second call, and a run killed in between leaves an untagged bucket (a
    // conflict until imported).
    create_carries_tags: false,
    hotswap: &[],
    holds: Some("object version(s)"),
    delete_refused_while_holding: true,
    on_existing: super::OnExisting::Fails("BucketAlreadyOwnedByYou"),
    arn: |env, name| env.bucket_arn(name),
    may_be_existing: true,
    // Bucket configuration calls: not published. Object calls, listings of a bucket's objects
    // and versions among them, are GET requests of that bucket, which S3 allows 5,500 a second
    // per prefix ("Best practices design patterns: optimizing Amazon S3 performance").
    rates: &[
        ("S3", 50.0),
        ("S3.GetObject", f64::INFINITY),
        ("S3.ListObjectsV2", f64::INFINITY),
        ("S3.ListObjectVersions", f64::INFINITY),
    ],
    // A stream delivers to a bucket in another Region of its account.
    reached_from: crate::model::kinds::Reach::Account,
    forget_also: None,
    names: super::Names::Global,
    names_ignore_case: false,
};

kind_section! {
    /// `[bucket.NAME]`
    pub struct BucketSection {
        region: "The Region it lives in (default: its instance's, `[stack] region` in stack.toml); its name is global across every account and Region.",
        /// Bucket name: 3 to 63 lowercase letters, digits, `.` and `-` (rule N1).
        pub name: String,
        /// Let `destroy` delete every object version and delete marker first; an object S3 refuses
        /// to delete (a bucket policy's Deny, Object Lock, a legal hold) stops it, naming S3's
        /// reason and the keys.
        #[serde(default)]
        pub force_destroy: bool,
        /// Where the name lives: `"global"` (any account may create any free name) or
        /// `"account-regional"`: created in the account's regional namespace, a name only this
        /// account can create in this Region, so no one can pre-create or squat it; the name must
        /// then end with `-<account>-<region>-an` (rule N6), e.g.
        /// `"firehose-to-s3-${aws.account_id}-${aws.region}-an"` (the default stack's). A
        /// create-time choice: not compared with live.
        #[serde(default)]
        #[schemars(extend("default" = "global"))]
        pub namespace: Namespace,
        #[serde(default)]
        /// Object versioning.
        pub versioning: bool,
        /// A bucket policy denying every request made without TLS; provision then owns the bucket
        /// policy. `false` for a local emulator (moto refuses every object read under that policy);
        /// may be a variable: `"${var.require_tls}"`.
        #[serde(default = "default_require_tls")]
        #[schemars(extend("default" = d::REQUIRE_TLS))]
        pub require_tls: Flag,
        /// How long destroy may spend emptying the bucket (`force_destroy`), in seconds.
        #[schemars(extend("default" = d::OTHER_WAIT_SECONDS))]
        pub wait_timeout_seconds: Option<u64>,
    }
}

/// An S3 bucket namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Namespace {
    #[default]
    Global,
    AccountRegional,
}

fn default_require_tls() -> Flag {
    Flag::Bool(d::REQUIRE_TLS)
}

/// A yes/no setting written as `true`/`false`, or as a string that interpolates to one
/// (`"${var.require_tls}"`), so that an environment can set it from a variable.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    /// The value, interpolated; a string that is not `true` or `false` is reported at `key`.
    fn value(&self, b: &mut dyn BuildSite<'_>, key: &Position) -> bool {
        match self {
            Flag::Bool(v) => *v,
            Flag::Text(raw) => match b.text(key, raw).trim() {
                "true" => true,
                "false" => false,
                other => {
                    b.report(
                        crate::model::diagnostic::Diagnostic::error(
                            crate::model::diagnostic::Rule::Schema,
                            key,
                            format!("expected true or false, got {other:?}"),
                        )
                        .with_help("true, false, or a variable holding \"true\" or \"false\""),
                    );
                    true
                }
            },
        }
    }
}

/// A bucket, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    pub name: String,
    pub versioning: bool,
    /// Local only: whether destroy may empty the bucket.
    pub force_destroy: bool,
    /// Local only (a create-time choice, implied by the name): created in the account-regional
    /// namespace.
    pub account_regional: bool,
    /// All four S3 Block Public Access settings on.
    pub public_access_blocked: bool,
    /// Default encryption algorithm (`AES256`), empty when none.
    pub encryption: String,
    /// Object ownership (`BucketOwnerEnforced`: ACLs disabled), empty when not set.
    pub object_ownership: String,
    /// Canonical bucket policy, if any.
    pub policy: Option<Value>,
    pub tags: Tags,
}

impl BucketSpec {
    /// A bucket with provision's secure defaults: public access blocked, SSE-S3 encryption,
    /// bucket-owner-enforced ownership, and (with `require_tls`) a policy denying requests without TLS.
    pub fn secure(
        name: String,
        arn: &str,
        versioning: bool,
        force_destroy: bool,
        require_tls: bool,
        tags: Tags,
    ) -> BucketSpec {
        BucketSpec {
            policy: require_tls.then(|| crate::policy::deny_insecure_transport(arn)),
            name,
            versioning,
            force_destroy,
            account_regional: false,
            public_access_blocked: true,
            encryption: "AES256".into(),
            object_ownership: "BucketOwnerEnforced".into(),
            tags,
        }
    }
}

/// Builds `[bucket.NAME]`.
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &BucketSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Bucket, name);
    let bucket_name = b.text(&key.at("name"), &s.name);
    let arn = b.env().bucket_arn(&bucket_name);
    let require_tls = s.require_tls.value(b, &key.at("require_tls"));
    let mut spec = BucketSpec::secure(bucket_name, &arn, s.versioning, s.force_destroy, require_tls, b.tags(&address));
    spec.account_regional = s.namespace == Namespace::AccountRegional;
    Some(b.resource(address, spec.into(), vec![], s.prevent_destroy, s.wait_timeout_seconds))
}

impl KindSpec for BucketSpec {
    fn attributes(&self) -> Attributes {
        let BucketSpec {
            name,
            versioning,
            force_destroy: _,    // local: what destroy may do
            account_regional: _, // local: how it is created (the name says where it lives)
            public_access_blocked,
            encryption,
            object_ownership,
            policy,
            tags: _,
        } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "versioning", json!(versioning));
        push(&mut a, "public_access_blocked", json!(public_access_blocked));
        push(&mut a, "encryption", json!(encryption));
        push(&mut a, "object_ownership", json!(object_ownership));
        push(&mut a, "policy", policy.clone().unwrap_or(Value::Null));
        a
    }

    fn replaces(&self, _key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        None
    }

    fn with_local_settings(&self, desired: &Self) -> Self {
        BucketSpec { force_destroy: desired.force_destroy, account_regional: desired.account_regional, ..self.clone() }
    }

    fn force_destroy(&self) -> bool {
        self.force_destroy
    }
}

/// Rules N1, N6.
pub(crate) fn check(b: &BucketSpec, site: &CheckSite<'_, BucketSection>, out: &mut Vec<Diagnostic>) {
    let CheckSite { at, stack, .. } = *site;
    let key = &site.key();
    check_bucket_name(key, &b.name, out);
    let env = stack.get(at).map_or(stack.env.clone(), |r| stack.env_at(&r.location));
    check_bucket_namespace(key, b, &env, out);
}

/// N1: S3 bucket naming rules.
pub(crate) fn check_bucket_name(key: &Position, name: &str, out: &mut Vec<Diagnostic>) {
    let key = key.at("name");
    let bad = |why: &str| Diagnostic::error(Rule::N1, &key, format!("invalid bucket name {name:?}: {why}"));
    let help = "3 to 63 of a-z 0-9 . -, starting and ending with a letter or digit";
    if !(3..=63).contains(&name.len()) {
        out.push(bad("length must be 3 to 63").with_help(help));
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-') {
        out.push(bad("only lowercase letters, digits, `.` and `-` are allowed").with_help(help));
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        out.push(bad("must start and end with a letter or digit").with_help(help));
    } else if name.contains("..") {
        out.push(bad("must not contain `..`").with_help(help));
    } else if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        out.push(bad("must not be an IP address").with_help(help));
    } else if let Some(p) = ["xn--", "sthree-", "amzn-s3-demo-"].iter().find(|p| name.starts_with(*p)) {
        out.push(bad(&format!("the prefix `{p}` is reserved")).with_help(help));
    } else if let Some(s) = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].iter().find(|s| name.ends_with(*s))
    {
        out.push(bad(&format!("the suffix `{s}` is reserved")).with_help(help));
    }
}

/// N6: a bucket in the account-regional namespace is named `<prefix>-<account>-<region>-an`. The
/// account is checked where it is known (offline, any 12 digits).
fn check_bucket_namespace(key: &Position, b: &BucketSpec, env: &Environment, out: &mut Vec<Diagnostic>) {
    if !b.account_regional {
        return;
    }
    let suffix = account_regional_suffix(&env.account_id, &env.region);
    let offline = env.account_id == OFFLINE_ACCOUNT;
    let shaped = |name: &str| {
        let Some(rest) = name.strip_suffix(&format!("-{}-an", env.region)) else { return false };
        let Some((prefix, account)) = rest.rsplit_once('-') else { return false };
        !prefix.is_empty() && account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
    };
    let fits = if offline { shaped(&b.name) } else { b.name.ends_with(&suffix) && b.name.len() > suffix.len() };
    if !fits {
        out.push(
            Diagnostic::error(
                Rule::N6,
                key.at("name"),
                format!("{:?} is not a name of this account's regional namespace: it must end with {suffix:?}", b.name),
            )
            .with_help("name = \"PREFIX-${aws.account_id}-${aws.region}-an\" (S3 refuses any other name in this namespace), or namespace = \"global\""),
        );
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[bucket.b]\nname = \"generic-bucket\"\n",
    address: "bucket.b",
    replaced: "[bucket.b]\nname = \"generic-bucket-2\"\n",
    drift: drift!(Bucket, |b| b.versioning = !b.versioning),
};

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::model::Address;
    use crate::model::{Environment, Tags, OFFLINE_ACCOUNT};

    fn bucket(name: &str) -> Vec<String> {
        let mut out = Vec::new();
        check_bucket_name(&Position::resource(&Address::new(Kind::Bucket, "x")), name, &mut out);
        out.into_iter().map(|d| d.rule.to_string()).collect()
    }

    #[test]
    fn bucket_names() {
        assert!(bucket("firehose-to-s3-123456789012-us-east-1-an").is_empty());
        for bad in ["ab", "Upper", "-start", "a..b", "192.168.1.1", "xn--abc", "abc-s3alias", "a_b"] {
            assert_eq!(bucket(bad), vec!["N1"], "{bad}");
        }
    }

    #[test]
    fn account_regional_bucket_names_end_with_the_account_and_region() {
        let check = |name: &str, account: &str| {
            let env = Environment { region: "eu-west-1".into(), account_id: account.into(), ..Default::default() };
            let mut spec = BucketSpec::secure(name.into(), "arn", false, false, false, Tags::new());
            spec.account_regional = true;
            let mut out = Vec::new();
            check_bucket_namespace(&Position::resource(&Address::new(Kind::Bucket, "b")), &spec, &env, &mut out);
            out.into_iter().map(|d| d.rule).collect::<Vec<_>>()
        };
        assert!(check("data-111122223333-eu-west-1-an", "111122223333").is_empty());
        assert_eq!(check("data-999922223333-eu-west-1-an", "111122223333"), ["N6"], "another account's");
        assert_eq!(check("data-111122223333-us-east-1-an", "111122223333"), ["N6"], "another region's");
        assert_eq!(check("data-eu-west-1-an", "111122223333"), ["N6"], "no account");
        assert_eq!(check("-111122223333-eu-west-1-an", "111122223333"), ["N6"], "no prefix");
        // Offline, the account is not known: any 12 digits.
        assert!(check("data-999922223333-eu-west-1-an", OFFLINE_ACCOUNT).is_empty());
        assert_eq!(check("data-9999-eu-west-1-an", OFFLINE_ACCOUNT), ["N6"]);
    }
}
