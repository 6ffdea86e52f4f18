//! The validated, interpolated stack: typed desired resources with resolved references.
//! Live state read from AWS is expressed in the same types, so a diff compares like with like.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Tag holding the name of the stack that owns a resource.
pub const OWNER_TAG: &str = "provision:stack";
/// Tag holding the resource's address in its stack (finds resources removed from stack.toml).
pub const ADDRESS_TAG: &str = "provision:address";

/// The kinds of resource a stack can hold, in the order they are usually created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Bucket,
    LogGroup,
    Role,
    Lambda,
    Firehose,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Bucket, Kind::LogGroup, Kind::Role, Kind::Lambda, Kind::Firehose];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bucket => "bucket",
            Kind::LogGroup => "log_group",
            Kind::Role => "role",
            Kind::Lambda => "lambda",
            Kind::Firehose => "firehose",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A noun for messages: `bucket`, `log group`, `role`, `function`, `stream`.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Bucket => "bucket",
            Kind::LogGroup => "log group",
            Kind::Role => "role",
            Kind::Lambda => "function",
            Kind::Firehose => "stream",
        }
    }

    /// Whether the create call carries the ownership tags wherever the service runs, so that a
    /// resource of this kind without them was never created by provision. S3's CreateBucket
    /// takes tags, but S3-compatible services (moto among them) drop them: a bucket is tagged
    /// by a second call, and a run killed in between leaves an intent (see
    /// [`crate::provider::Intent`]).
    pub fn create_carries_tags(self) -> bool {
        !matches!(self, Kind::Bucket)
    }

    /// How long apply waits for a resource of this kind to become usable (or gone), by default.
    pub fn default_wait(self) -> std::time::Duration {
        std::time::Duration::from_secs(match self {
            Kind::Firehose => crate::defaults::FIREHOSE_WAIT_SECONDS,
            Kind::Lambda => crate::defaults::LAMBDA_WAIT_SECONDS,
            _ => crate::defaults::OTHER_WAIT_SECONDS,
        })
    }
}

/// `kind.name`, how resources are addressed in stack.toml and in plans.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub kind: Kind,
    pub name: String,
}

impl Address {
    pub fn new(kind: Kind, name: impl Into<String>) -> Self {
        Self { kind, name: name.into() }
    }

    /// Parses `kind.name`.
    pub fn parse(s: &str) -> Option<Address> {
        let (kind, name) = s.split_once('.')?;
        let kind = Kind::parse(kind)?;
        (!name.is_empty()).then(|| Address::new(kind, name))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind.as_str(), self.name)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

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
#[derive(Debug, Clone)]
pub struct Environment {
    pub region: String,
    pub account_id: String,
}

impl Environment {
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    pub fn bucket_arn(&self, bucket: &str) -> String {
        bucket_arn(self.partition(), bucket)
    }

    pub fn role_arn(&self, path: &str, name: &str) -> String {
        format!("arn:{}:iam::{}:role{path}{name}", self.partition(), self.account_id)
    }

    pub fn function_arn(&self, name: &str) -> String {
        format!("arn:{}:lambda:{}:{}:function:{name}", self.partition(), self.region, self.account_id)
    }

    pub fn log_group_arn(&self, name: &str) -> String {
        format!("arn:{}:logs:{}:{}:log-group:{name}", self.partition(), self.region, self.account_id)
    }

    pub fn log_stream_arn(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.log_group_arn(group))
    }

    pub fn kms_service(&self) -> String {
        format!("s3.{}.amazonaws.com", self.region)
    }
}

/// Where the stack's lock lives: `None` when locking is off (`[stack] lock = false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSettings {
    /// The bucket holding the lock objects (`[stack] lock_bucket`, default
    /// `provision-locks-<account>-<region>`).
    pub bucket: String,
}

/// The default lock bucket of an account and region.
pub fn default_lock_bucket(account_id: &str, region: &str) -> String {
    format!("provision-locks-{account_id}-{region}")
}

/// The whole desired stack.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub env: Environment,
    pub file: PathBuf,
    pub resources: Vec<Resource>,
    /// Values of sensitive variables: never shown, anywhere.
    pub sensitive: Vec<String>,
    /// The stack lock, unless locking is off.
    pub lock: Option<LockSettings>,
}

impl Stack {
    pub fn get(&self, address: &Address) -> Option<&Resource> {
        self.resources.iter().find(|r| &r.address == address)
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
}

impl Resource {
    pub fn physical_name(&self) -> &str {
        self.spec.physical_name()
    }
}

/// The settings of a resource, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Bucket(BucketSpec),
    LogGroup(LogGroupSpec),
    Role(RoleSpec),
    Lambda(LambdaSpec),
    Firehose(FirehoseSpec),
}

pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    pub name: String,
    pub versioning: bool,
    /// Local only: whether destroy may empty the bucket.
    pub force_destroy: bool,
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
            public_access_blocked: true,
            encryption: "AES256".into(),
            object_ownership: "BucketOwnerEnforced".into(),
            tags,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: Option<i32>,
    pub streams: Vec<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleSpec {
    pub name: String,
    pub path: String,
    /// Canonical trust policy document.
    pub trust_policy: Value,
    pub managed_policies: Vec<String>,
    /// Canonical generated inline policy, if the role has any statements.
    pub inline_policy: Option<Value>,
    pub tags: Tags,
}

/// Name of the inline policy provision writes on roles.
pub const INLINE_POLICY_NAME: &str = "provision-generated";

#[derive(Debug, Clone, PartialEq)]
pub struct LambdaSpec {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    pub role_arn: String,
    pub memory_mb: i32,
    pub timeout_seconds: i32,
    pub description: String,
    pub environment: BTreeMap<String, String>,
    /// base64(sha256(zip)), as Lambda reports CodeSha256.
    pub code_sha256: String,
    pub publish: bool,
    /// Latest published version; `None` in a desired spec means "known after apply".
    pub version: Option<String>,
    pub tags: Tags,
    /// The packaged code (desired only; `None` for commands that do not need the code).
    pub package: Option<Arc<crate::package::Package>>,
    /// The source directory (desired only), for running the handler locally in `preview`.
    pub source_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FirehoseSpec {
    pub name: String,
    pub role_arn: String,
    pub bucket_arn: String,
    pub prefix: String,
    pub error_output_prefix: String,
    pub buffer_size_mb: i32,
    pub buffer_interval_seconds: i32,
    pub compression: String,
    pub file_extension: String,
    pub kms_key_arn: Option<String>,
    /// CloudWatch logging: (group, stream) when enabled.
    pub logging: Option<(String, String)>,
    pub dynamic_partitioning: bool,
    pub dynamic_partitioning_retry_seconds: Option<i32>,
    pub s3_backup: Option<S3Backup>,
    pub processors: Vec<Processor>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq)]
pub struct S3Backup {
    pub bucket_arn: String,
    pub prefix: String,
}

/// A record processor; parameters are keyed by name so their order never matters.
#[derive(Debug, Clone, PartialEq)]
pub struct Processor {
    pub kind: String,
    pub parameters: BTreeMap<String, Param>,
}

/// A processor parameter value; the Lambda ARN of a function about to change is only known after apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    LambdaArn { function: Address, arn: Option<String> },
}

impl Param {
    pub fn known(&self) -> Option<&str> {
        match self {
            Param::Text(s) => Some(s),
            Param::LambdaArn { arn, .. } => arn.as_deref(),
        }
    }
}

/// An attribute value as shown and compared in a plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Attr {
    Value(Value),
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

fn push(attrs: &mut Attributes, key: &str, value: Value) {
    attrs.push((key.to_string(), Attr::Value(value)));
}

fn push_tags(attrs: &mut Attributes, tags: &Tags) {
    for (k, v) in tags {
        push(attrs, &format!("tags.{k}"), json!(v));
    }
}

impl Spec {
    pub fn kind(&self) -> Kind {
        match self {
            Spec::Bucket(_) => Kind::Bucket,
            Spec::LogGroup(_) => Kind::LogGroup,
            Spec::Role(_) => Kind::Role,
            Spec::Lambda(_) => Kind::Lambda,
            Spec::Firehose(_) => Kind::Firehose,
        }
    }

    pub fn physical_name(&self) -> &str {
        match self {
            Spec::Bucket(s) => &s.name,
            Spec::LogGroup(s) => &s.name,
            Spec::Role(s) => &s.name,
            Spec::Lambda(s) => &s.name,
            Spec::Firehose(s) => &s.name,
        }
    }

    pub fn tags(&self) -> &Tags {
        match self {
            Spec::Bucket(s) => &s.tags,
            Spec::LogGroup(s) => &s.tags,
            Spec::Role(s) => &s.tags,
            Spec::Lambda(s) => &s.tags,
            Spec::Firehose(s) => &s.tags,
        }
    }

    pub fn tags_mut(&mut self) -> &mut Tags {
        match self {
            Spec::Bucket(s) => &mut s.tags,
            Spec::LogGroup(s) => &mut s.tags,
            Spec::Role(s) => &mut s.tags,
            Spec::Lambda(s) => &mut s.tags,
            Spec::Firehose(s) => &mut s.tags,
        }
    }

    /// The comparable attributes; local-only settings (force_destroy, the zip) are left out.
    pub fn attributes(&self) -> Attributes {
        let mut a = Attributes::new();
        match self {
            Spec::Bucket(s) => {
                push(&mut a, "name", json!(s.name));
                push(&mut a, "versioning", json!(s.versioning));
                push(&mut a, "public_access_blocked", json!(s.public_access_blocked));
                push(&mut a, "encryption", json!(s.encryption));
                push(&mut a, "object_ownership", json!(s.object_ownership));
                push(&mut a, "policy", s.policy.clone().unwrap_or(Value::Null));
            }
            Spec::LogGroup(s) => {
                push(&mut a, "name", json!(s.name));
                push(&mut a, "retention_days", json!(s.retention_days));
                push(&mut a, "streams", json!(s.streams));
            }
            Spec::Role(s) => {
                push(&mut a, "name", json!(s.name));
                push(&mut a, "path", json!(s.path));
                push(&mut a, "trust_policy", s.trust_policy.clone());
                push(&mut a, "managed_policies", json!(s.managed_policies));
                push(&mut a, "inline_policy", s.inline_policy.clone().unwrap_or(Value::Null));
            }
            Spec::Lambda(s) => {
                push(&mut a, "name", json!(s.name));
                push(&mut a, "runtime", json!(s.runtime));
                push(&mut a, "handler", json!(s.handler));
                push(&mut a, "role", json!(s.role_arn));
                push(&mut a, "memory_mb", json!(s.memory_mb));
                push(&mut a, "timeout_seconds", json!(s.timeout_seconds));
                push(&mut a, "description", json!(s.description));
                for (k, v) in &s.environment {
                    push(&mut a, &format!("environment.{k}"), json!(v));
                }
                push(&mut a, "code_sha256", json!(s.code_sha256));
                if s.publish {
                    a.push(("version".into(), s.version.as_ref().map_or(Attr::Unknown, |v| Attr::Value(json!(v)))));
                }
            }
            Spec::Firehose(s) => {
                push(&mut a, "name", json!(s.name));
                push(&mut a, "role", json!(s.role_arn));
                push(&mut a, "bucket", json!(s.bucket_arn));
                push(&mut a, "prefix", json!(s.prefix));
                push(&mut a, "error_output_prefix", json!(s.error_output_prefix));
                push(&mut a, "buffer_size_mb", json!(s.buffer_size_mb));
                push(&mut a, "buffer_interval_seconds", json!(s.buffer_interval_seconds));
                push(&mut a, "compression", json!(s.compression));
                push(&mut a, "file_extension", json!(s.file_extension));
                push(&mut a, "kms_key_arn", json!(s.kms_key_arn));
                push(&mut a, "log_group", json!(s.logging.as_ref().map(|l| &l.0)));
                push(&mut a, "log_stream", json!(s.logging.as_ref().map(|l| &l.1)));
                push(&mut a, "dynamic_partitioning", json!(s.dynamic_partitioning));
                push(&mut a, "dynamic_partitioning_retry_seconds", json!(s.dynamic_partitioning_retry_seconds));
                push(&mut a, "s3_backup", json!(s.s3_backup.is_some()));
                if let Some(b) = &s.s3_backup {
                    push(&mut a, "s3_backup_bucket", json!(b.bucket_arn));
                    push(&mut a, "s3_backup_prefix", json!(b.prefix));
                }
                push(&mut a, "processors", processors_json(&s.processors));
            }
        }
        push_tags(&mut a, self.tags());
        a
    }
}

/// Processors as JSON for display and comparison: parameters as a name-sorted object.
pub fn processors_json(processors: &[Processor]) -> Value {
    Value::Array(
        processors
            .iter()
            .map(|p| {
                let params: serde_json::Map<String, Value> =
                    p.parameters.iter().map(|(k, v)| (k.clone(), json!(v.known().unwrap_or(UNKNOWN)))).collect();
                json!({ "type": p.kind, "parameters": params })
            })
            .collect(),
    )
}

/// A resource as it exists in AWS.
#[derive(Debug, Clone)]
pub struct Live {
    pub spec: Spec,
    pub arn: String,
    /// Why the resource is unusable and must be recreated (a stream in CREATING_FAILED).
    pub problem: Option<String>,
    /// When AWS says it was created (seconds since the epoch); read only where ownership must
    /// be proven (an untagged resource with an intent).
    pub created: Option<i64>,
}

impl Live {
    /// The stack named by the ownership tag, if any.
    pub fn owner(&self) -> Option<&str> {
        self.spec.tags().get(OWNER_TAG).map(String::as_str)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_partition_of_the_region() {
        let cn = Environment { region: "cn-north-1".into(), account_id: "123456789012".into() };
        assert_eq!(cn.bucket_arn("b"), "arn:aws-cn:s3:::b");
        assert_eq!(cn.role_arn("/", "r"), "arn:aws-cn:iam::123456789012:role/r");
        assert_eq!(cn.function_arn("f"), "arn:aws-cn:lambda:cn-north-1:123456789012:function:f");
        let gov = Environment { region: "us-gov-west-1".into(), account_id: "123456789012".into() };
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
