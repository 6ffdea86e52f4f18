//! The validated, interpolated stack: typed desired resources with resolved references.
//! Live state read from AWS is expressed in the same types, so a diff compares like with like.

pub mod address;
pub mod diagnostic;
pub mod kinds;
pub mod location;
pub mod stack_file;

pub use address::{Address, AttrPath, ConfigAddress, ModulePath, ModuleStep, Position};
pub use kinds::alarm::AlarmSpec;
pub use kinds::bucket::BucketSpec;
pub use kinds::firehose::{processors_json, FirehoseSpec, Param, Processor, S3Backup};
pub use kinds::lambda::LambdaSpec;
pub use kinds::log_group::LogGroupSpec;
pub use kinds::role::{RoleSpec, INLINE_POLICY_NAME};
pub use kinds::topic::TopicSpec;
pub use kinds::StackFile;
pub use kinds::{Kind, KindInfo, KindSpec, ReplaceRule, Spec};
pub use location::{region_is_well_formed, AssumeRole, Location, HOME_TAG, LOCATION_TAG};

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Tag holding the name of the stack that owns a resource.
pub const OWNER_TAG: &str = "provision:stack";
/// Tag holding the resource's address in its stack (finds resources removed from stack.toml).
pub const ADDRESS_TAG: &str = "provision:address";

/// The AWS partition of a region: `aws`, `aws-cn` (China) or `aws-us-gov` (GovCloud).
///
/// ```
/// assert_eq!(provision::model::partition_of("cn-north-1"), "aws-cn");
/// assert_eq!(provision::model::partition_of("us-gov-west-1"), "aws-us-gov");
/// assert_eq!(provision::model::partition_of("eu-west-1"), "aws");
/// ```
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The ARN of an S3 bucket in a partition.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// Version name Lambda gives unpublished code and configuration.
pub const UNPUBLISHED: &str = "$LATEST";

/// The ARN a processor uses for a function: version-qualified when it publishes versions and a
/// version is known, else the unqualified ARN (`None` when published but not yet known).
pub fn function_arn_for_use(arn: &str, publish: bool, version: Option<&str>) -> Option<String> {
    match (publish, version) {
        (false, _) => Some(arn.to_string()),
        (true, Some(v)) if v != UNPUBLISHED => Some(format!("{arn}:{v}")),
        (true, _) => None,
    }
}

/// Where the stack lives: the values every ARN is built from.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub region: String,
    pub account_id: String,
    /// Roles (by name) found where an earlier provision created them, outside the stack's role
    /// path: a role whose `path` stack.toml does not write stays there (see [`role_path`]).
    pub kept_role_paths: BTreeMap<String, String>,
}

/// The path under which provision creates a stack's roles when stack.toml writes none: IAM lists
/// roles by path prefix, so discovery finds the stack's roles without listing the account's.
pub fn role_path(stack: &str) -> String {
    format!("/provision/{stack}/")
}

impl Environment {
    /// The account and Region.
    pub fn location(&self) -> Location {
        Location::new(&self.account_id, &self.region)
    }

    /// The same values in another location (the roles kept at earlier paths kept).
    pub fn at(&self, location: &Location) -> Environment {
        Environment {
            region: location.region.clone(),
            account_id: location.account.clone(),
            kept_role_paths: self.kept_role_paths.clone(),
        }
    }

    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    pub fn bucket_arn(&self, bucket: &str) -> String {
        bucket_arn(self.partition(), bucket)
    }

    pub fn role_arn(&self, path: &str, name: &str) -> String {
        format!("arn:{}:iam::{}:role{path}{name}", self.partition(), self.account_id)
    }

    /// The ARN of `resource` of `service` in this Region and account.
    fn regional_arn(&self, service: &str, resource: std::fmt::Arguments<'_>) -> String {
        format!("arn:{}:{service}:{}:{}:{resource}", self.partition(), self.region, self.account_id)
    }

    pub fn function_arn(&self, name: &str) -> String {
        self.regional_arn("lambda", format_args!("function:{name}"))
    }

    pub fn log_group_arn(&self, name: &str) -> String {
        self.regional_arn("logs", format_args!("log-group:{name}"))
    }

    pub fn stream_arn(&self, name: &str) -> String {
        self.regional_arn("firehose", format_args!("deliverystream/{name}"))
    }

    pub fn table_arn(&self, database: &str, table: &str) -> String {
        self.regional_arn("glue", format_args!("table/{database}/{table}"))
    }

    /// The account's Glue Data Catalog.
    pub fn catalog_arn(&self) -> String {
        self.regional_arn("glue", format_args!("catalog"))
    }

    pub fn database_arn(&self, database: &str) -> String {
        self.regional_arn("glue", format_args!("database/{database}"))
    }

    pub fn topic_arn(&self, name: &str) -> String {
        self.regional_arn("sns", format_args!("{name}"))
    }

    pub fn alarm_arn(&self, name: &str) -> String {
        self.regional_arn("cloudwatch", format_args!("alarm:{name}"))
    }

    pub fn log_stream_arn(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.log_group_arn(group))
    }

    pub fn kms_service(&self) -> String {
        format!("s3.{}.amazonaws.com", self.region)
    }
}

/// Tags the stack leaves to others (`[stack] ignore_tags`): never added, changed, removed or
/// shown as drift, like Terraform's `ignore_tags`. AWS's reserved `aws:` prefix is always
/// ignored; provision's own ownership tags never are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreTags {
    pub keys: Vec<String>,
    pub key_prefixes: Vec<String>,
}

impl IgnoreTags {
    /// Whether the stack ignores tag `key`.
    ///
    /// ```
    /// let ignore = provision::model::IgnoreTags { keys: vec!["CostCenter".into()], key_prefixes: vec!["org:".into()] };
    /// assert!(ignore.ignores("CostCenter") && ignore.ignores("org:team") && ignore.ignores("aws:createdBy"));
    /// assert!(!ignore.ignores("project") && !ignore.ignores("provision:stack"));
    /// ```
    pub fn ignores(&self, key: &str) -> bool {
        if is_ownership_tag(key) {
            return false;
        }
        key.starts_with("aws:")
            || self.keys.iter().any(|k| k == key)
            || self.key_prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }
}

/// Whether `key` is one of provision's ownership tags (the stack, the address, the location, the
/// deployment's home).
pub fn is_ownership_tag(key: &str) -> bool {
    key == OWNER_TAG || key == ADDRESS_TAG || key == LOCATION_TAG || key == HOME_TAG
}

/// The ownership tags, in the order they are written.
pub const OWNERSHIP_TAGS: [&str; 4] = [OWNER_TAG, ADDRESS_TAG, LOCATION_TAG, HOME_TAG];

/// Where the stack's lock lives: `None` when locking is off (`[stack] lock = false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSettings {
    /// The stack whose lock and location index these are.
    pub stack: String,
    /// The bucket holding the lock objects (`[stack] lock_bucket`, default
    /// `provision-locks-<account>-<region>-an`).
    pub bucket: String,
    /// Whether that bucket is created in the account-regional namespace (the default one): a
    /// name only this account can create, so it cannot be pre-created or squatted.
    pub account_regional: bool,
    /// The lock bucket older versions used (`provision-locks-<account>-<region>`, in the global
    /// namespace): a lock held there is honoured until it is released.
    pub legacy_bucket: Option<String>,
}

/// Account id used by offline validation (no AWS call tells the real one).
pub const OFFLINE_ACCOUNT: &str = "123456789012";

/// The default lock bucket of an account and region, in the account-regional namespace.
///
/// ```
/// assert_eq!(provision::model::default_lock_bucket("123456789012", "eu-west-1"), "provision-locks-123456789012-eu-west-1-an");
/// ```
pub fn default_lock_bucket(account_id: &str, region: &str) -> String {
    format!("provision-locks{}", account_regional_suffix(account_id, region))
}

/// The lock bucket of older versions, in the global namespace (still read for held locks).
pub fn legacy_lock_bucket(account_id: &str, region: &str) -> String {
    format!("provision-locks-{account_id}-{region}")
}

/// The suffix S3 requires of a bucket name in an account's regional namespace:
/// `-<account>-<region>-an`.
pub fn account_regional_suffix(account_id: &str, region: &str) -> String {
    format!("-{account_id}-{region}-an")
}

/// The whole desired stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub env: Environment,
    pub file: PathBuf,
    /// The module files it uses (`[module.NAME] source`), each once.
    pub module_files: Vec<PathBuf>,
    pub resources: Vec<Resource>,
    /// Values of sensitive variables: never shown, anywhere.
    pub sensitive: Vec<String>,
    /// The stack lock, unless locking is off.
    pub lock: Option<LockSettings>,
    /// Tags left to others.
    pub ignore_tags: IgnoreTags,
    /// Resources the stack uses but never owns (`{ existing = ... }`), checked to exist at plan.
    pub existing: Vec<Existing>,
    /// The roles through which accounts other than the credentials' own are reached, by
    /// account (`assume_role` on `[stack]` or a module call).
    pub access: BTreeMap<String, AssumeRole>,
}

/// A resource the stack uses but must never own: read at plan time to check that it exists
/// (in this account), never modified, never deleted, never adopted even if tagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub kind: Kind,
    pub name: String,
    /// Where stack.toml names it, e.g. `firehose.events.bucket`.
    pub key: Position,
    /// Where it is looked for: the location of the instance naming it.
    pub location: Location,
}

impl Stack {
    pub fn get(&self, address: &Address) -> Option<&Resource> {
        self.resources.iter().find(|r| &r.address == address)
    }

    /// Where the stack lives: `[stack] region` in its account.
    pub fn home(&self) -> Location {
        self.env.location()
    }

    /// Every location the stack declares resources in, the home first.
    pub fn locations(&self) -> Vec<Location> {
        let home = self.home();
        let mut out = vec![home.clone()];
        let mut others: Vec<Location> =
            self.resources.iter().map(|r| r.location.clone()).filter(|l| *l != home).collect();
        others.sort();
        others.dedup();
        out.extend(others);
        out
    }

    /// The values ARNs are built from in a location.
    pub fn env_at(&self, location: &Location) -> Environment {
        self.env.at(location)
    }
}

/// One desired resource.
#[derive(Debug, Clone)]
pub struct Resource {
    pub address: Address,
    pub prevent_destroy: bool,
    /// How long apply waits for this resource to become usable (`wait_timeout_seconds`).
    pub wait_timeout: std::time::Duration,
    /// Resources that must exist before this one.
    pub depends_on: Vec<Address>,
    pub spec: Spec,
    /// Where it lives.
    pub location: Location,
}

impl Resource {
    pub fn physical_name(&self) -> &str {
        self.spec.physical_name()
    }
}

pub type Tags = BTreeMap<String, String>;

/// An attribute value as shown and compared in a plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Attr {
    Value(serde_json::Value),
    #[serde(serialize_with = "serialize_unknown")]
    Unknown,
    /// A value holding a sensitive variable: compared, never shown.
    #[serde(serialize_with = "serialize_sensitive")]
    Sensitive,
}

fn serialize_unknown<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(UNKNOWN)
}

fn serialize_sensitive<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(crate::output::SENSITIVE)
}

/// Text shown for values only known after apply.
pub const UNKNOWN: &str = "(known after apply)";

/// Named attributes of a spec, in display order.
pub type Attributes = Vec<(String, Attr)>;

/// A resource as it exists in AWS.
#[derive(Debug, Clone)]
pub struct Live {
    pub spec: Spec,
    pub arn: String,
    /// Why the resource is unusable and must be recreated (a stream in CREATING_FAILED).
    pub problem: Option<String>,
    /// Tags the stack ignores (`[stack] ignore_tags`, `aws:`): taken out of `spec` so that they
    /// are never compared, and kept here so that an update writing a whole tag set keeps them.
    pub ignored_tags: Tags,
    /// Where it was read: every later call about it goes there.
    pub location: Location,
    /// Its tags were not read (a role a destroy plan takes from discovery's marker): the home
    /// in `spec` is the stack's own, and the fresh read before its delete may also find none
    /// (a resource made before homes were tagged), as a read would have planned it.
    pub tags_unread: bool,
}

impl Live {
    /// A resource as read, with nothing wrong with it.
    pub fn new(spec: Spec, arn: String) -> Live {
        Live { spec, arn, problem: None, ignored_tags: Tags::new(), location: Location::default(), tags_unread: false }
    }

    /// Moves the tags `ignore` ignores out of the spec, into `ignored_tags`.
    pub fn set_aside(&mut self, ignore: &IgnoreTags) {
        let tags = self.spec.tags_mut();
        let ignored: Vec<String> = tags.keys().filter(|k| ignore.ignores(k)).cloned().collect();
        for k in ignored {
            if let Some(v) = tags.remove(&k) {
                self.ignored_tags.insert(k, v);
            }
        }
    }

    /// The stack named by the ownership tag, if any.
    pub fn owner(&self) -> Option<&str> {
        self.spec.tags().get(OWNER_TAG).map(String::as_str)
    }

    /// The home of the deployment that made it, as its tag says (`None`: made before provision
    /// wrote the tag).
    pub fn home(&self) -> Option<Location> {
        self.spec.tags().get(HOME_TAG).and_then(|v| Location::from_tag(v))
    }

    /// The home of the deployment it belongs to: its tag's, or for a resource made before the
    /// tag existed, the location it was declared to live in (the home it is in).
    pub fn deployed_from(&self) -> Location {
        self.home().unwrap_or_else(|| self.declared_location())
    }

    /// Where its location tag says it was declared to live; a resource written before the tag
    /// existed is taken to be where it was read.
    pub fn declared_location(&self) -> Location {
        self.spec.tags().get(LOCATION_TAG).and_then(|v| Location::from_tag(v)).unwrap_or_else(|| self.location.clone())
    }
}

/// What dependents need from a resource once it is applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    pub arn: String,
    /// The ARN processors use: version-qualified for a function that publishes versions.
    pub qualified_arn: Option<String>,
}

/// A resource found by its ownership tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub address: Address,
    pub physical_name: String,
    /// Its tags, when the search returned them (the tagging API does; IAM is read per role).
    pub tags: Option<Tags>,
    /// The location whose search found it (its tag may say it belongs to another).
    pub found_in: Location,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_partition_of_the_region() {
        let cn = Environment { region: "cn-north-1".into(), account_id: "123456789012".into(), ..Default::default() };
        assert_eq!(cn.bucket_arn("b"), "arn:aws-cn:s3:::b");
        assert_eq!(cn.role_arn("/", "r"), "arn:aws-cn:iam::123456789012:role/r");
        assert_eq!(cn.function_arn("f"), "arn:aws-cn:lambda:cn-north-1:123456789012:function:f");
        let gov =
            Environment { region: "us-gov-west-1".into(), account_id: "123456789012".into(), ..Default::default() };
        assert_eq!(
            gov.log_stream_arn("g", "s"),
            "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:g:log-stream:s"
        );
        assert_eq!(bucket_arn(partition_of("eu-west-1"), "b"), "arn:aws:s3:::b");
    }

    #[test]
    fn processors_use_qualified_arns_once_a_version_is_known() {
        assert_eq!(function_arn_for_use("arn:f", true, Some("3")).as_deref(), Some("arn:f:3"));
        assert_eq!(function_arn_for_use("arn:f", true, Some(UNPUBLISHED)), None);
        assert_eq!(function_arn_for_use("arn:f", false, Some("3")).as_deref(), Some("arn:f"));
    }
}
