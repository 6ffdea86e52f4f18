//! Serde types exactly as written in stack.toml. Unknown keys are rejected.
//! These carry raw (uninterpolated) strings; `config::load` turns them into the model.

use crate::defaults as d;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole stack.toml file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackFile {
    /// Identity of the stack.
    pub stack: StackSection,
    #[serde(default)]
    /// Variables with their defaults; override with `--var NAME=VALUE`, `--var-file FILE` or the
    /// environment variable `PROVISION_VAR_NAME`; use as `${var.NAME}`.
    pub variables: BTreeMap<String, VariableSection>,
    #[serde(default)]
    /// S3 buckets, addressed `bucket.NAME`.
    pub bucket: BTreeMap<String, BucketSection>,
    #[serde(default)]
    /// CloudWatch log groups, addressed `log_group.NAME`.
    pub log_group: BTreeMap<String, LogGroupSection>,
    #[serde(default)]
    /// IAM roles, addressed `role.NAME`.
    pub role: BTreeMap<String, RoleSection>,
    #[serde(default)]
    /// Lambda functions, addressed `lambda.NAME`.
    pub lambda: BTreeMap<String, LambdaSection>,
    #[serde(default)]
    /// Firehose Direct PUT streams delivering to S3, addressed `firehose.NAME`.
    pub firehose: BTreeMap<String, FirehoseSection>,
}

/// `[stack]`: identity of the stack.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackSection {
    /// Stack name, the value of the ownership tag `provision:stack`: `[a-zA-Z0-9-_]{1,64}`.
    pub name: String,
    /// AWS region; default from AWS_REGION or the profile.
    pub region: Option<String>,
    #[serde(default)]
    /// Tags applied to every resource.
    pub tags: BTreeMap<String, String>,
    /// Lock the stack while apply, destroy and import run (default true).
    #[serde(default = "default_lock")]
    #[schemars(extend("default" = d::LOCK))]
    pub lock: bool,
    /// Bucket holding the lock objects; default `provision-locks-<account>-<region>`, created on first use.
    pub lock_bucket: Option<String>,
}

/// A variable: its default value, or a table that can also mark it sensitive.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VariableSection {
    /// The default value.
    Value(String),
    /// `{ default = "...", sensitive = true, description = "..." }`.
    Declared(DeclaredVariable),
}

/// A variable declared as a table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredVariable {
    /// The default value; without one, a value must be given (`--var`, `--var-file`, `PROVISION_VAR_NAME`).
    pub default: Option<String>,
    /// Never show the value: attributes holding it appear as `(sensitive)` in plans and output.
    #[serde(default)]
    pub sensitive: bool,
    /// What the variable is for.
    pub description: Option<String>,
}

impl VariableSection {
    /// The default value, if any.
    pub fn default_value(&self) -> Option<&str> {
        match self {
            VariableSection::Value(v) => Some(v),
            VariableSection::Declared(d) => d.default.as_deref(),
        }
    }

    pub fn sensitive(&self) -> bool {
        matches!(self, VariableSection::Declared(d) if d.sensitive)
    }
}

/// `[bucket.NAME]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BucketSection {
    /// Bucket name (3-63 lowercase letters, digits, `.`, `-`).
    pub name: String,
    #[serde(default)]
    /// Let destroy delete every object version first.
    pub force_destroy: bool,
    #[serde(default)]
    /// Object versioning.
    pub versioning: bool,
    /// Bucket policy denying requests made without TLS (default true); provision then owns the bucket policy.
    #[serde(default = "default_true")]
    #[schemars(extend("default" = d::REQUIRE_TLS))]
    pub require_tls: bool,
    #[serde(default)]
    /// Refuse any plan that destroys or replaces this resource.
    pub prevent_destroy: bool,
    /// How long destroy may take to empty the bucket (force_destroy), in seconds.
    #[schemars(extend("default" = d::OTHER_WAIT_SECONDS))]
    pub wait_timeout_seconds: Option<u64>,
}

/// `[log_group.NAME]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGroupSection {
    /// Log group name.
    pub name: String,
    /// Retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653; absent keeps logs forever.
    pub retention_days: Option<i32>,
    #[serde(default)]
    /// Log streams created with the group.
    pub streams: Vec<String>,
    #[serde(default)]
    /// Refuse any plan that destroys or replaces this resource.
    pub prevent_destroy: bool,
}

/// `[role.NAME]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleSection {
    /// Role name; default `<stack>-<resource name>`.
    pub name: Option<String>,
    /// Role path, `/` or `/.../`.
    #[schemars(extend("default" = d::ROLE_PATH))]
    pub path: Option<String>,
    /// Service principals allowed to assume the role, e.g. `firehose.amazonaws.com`.
    pub trust: Vec<String>,
    #[serde(default)]
    /// Managed policy ARNs to attach.
    pub managed_policies: Vec<String>,
    #[serde(default)]
    /// Extra statements for the role's generated inline policy.
    pub statement: Vec<StatementSection>,
    #[serde(default)]
    /// Refuse any plan that destroys or replaces this resource.
    pub prevent_destroy: bool,
}

/// `[[role.NAME.statement]]`: an extra statement for the role's inline policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementSection {
    /// `Allow` (default) or `Deny`.
    pub effect: Option<String>,
    /// IAM actions, e.g. `kms:Decrypt`.
    pub actions: Vec<String>,
    /// Resource ARNs.
    pub resources: Vec<String>,
}

/// `[lambda.NAME]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LambdaSection {
    /// Function name.
    pub name: String,
    /// Runtime, e.g. `python3.12`.
    pub runtime: String,
    /// Handler, e.g. `index.lambda_handler`.
    pub handler: String,
    /// Source directory relative to stack.toml, zipped deterministically.
    pub source: String,
    /// Execution role: `role.NAME`.
    pub role: String,
    /// Memory in MB, 128-10240.
    #[schemars(extend("default" = d::LAMBDA_MEMORY_MB))]
    pub memory_mb: Option<i32>,
    /// Timeout in seconds, 1-900 (at most 300 when used by Firehose).
    #[schemars(extend("default" = d::LAMBDA_TIMEOUT_SECONDS))]
    pub timeout_seconds: Option<i32>,
    #[serde(default = "default_true")]
    /// Publish a version on each change; processors use the qualified ARN.
    #[schemars(extend("default" = d::PUBLISH))]
    pub publish: bool,
    /// Function description.
    pub description: Option<String>,
    #[serde(default)]
    /// Environment variables.
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    /// Refuse any plan that destroys or replaces this resource.
    pub prevent_destroy: bool,
    /// How long apply waits for the function to settle (State, LastUpdateStatus), in seconds.
    #[schemars(extend("default" = d::LAMBDA_WAIT_SECONDS))]
    pub wait_timeout_seconds: Option<u64>,
    /// Files to package (gitignore-style globs, relative to `source`); default: everything not excluded.
    #[serde(default)]
    pub include: Vec<String>,
    /// Files never to package (gitignore-style globs), besides dotfiles, secrets and `.provisionignore`.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[firehose.NAME]`: a Direct PUT stream delivering to S3.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirehoseSection {
    /// Stream name: 1-64 of `[a-zA-Z0-9_.-]`.
    pub name: String,
    /// Delivery role: `role.NAME` (its least-privilege policy is generated).
    pub role: String,
    /// Destination: `bucket.NAME`.
    pub bucket: String,
    /// S3 prefix; may use `!{timestamp:..}`, `!{firehose:random-string}`, `!{partitionKeyFromLambda:..}`, `!{partitionKeyFromQuery:..}`.
    pub prefix: Option<String>,
    /// S3 prefix for failed records; with expressions it must contain `!{firehose:error-output-type}`.
    pub error_output_prefix: Option<String>,
    /// Buffer size in MB, 1-128 (at least 64 with dynamic partitioning).
    #[schemars(extend("default" = d::BUFFER_SIZE_MB))]
    pub buffer_size_mb: Option<i32>,
    /// Buffer interval in seconds, 0-900 (at least 60 with dynamic partitioning).
    #[schemars(extend("default" = d::BUFFER_INTERVAL_SECONDS))]
    pub buffer_interval_seconds: Option<i32>,
    /// UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY.
    #[schemars(extend("default" = d::COMPRESSION))]
    pub compression: Option<String>,
    /// Object file extension, e.g. `.json`.
    pub file_extension: Option<String>,
    /// KMS key for S3 encryption; absent means NoEncryption.
    pub kms_key_arn: Option<String>,
    /// CloudWatch error logging: `log_group.NAME`.
    pub log_group: Option<String>,
    /// Log stream within the group; must be listed in its `streams`.
    #[schemars(extend("default" = d::LOG_STREAM))]
    pub log_stream: Option<String>,
    #[serde(default)]
    /// Dynamic partitioning; can only be set at creation (changing it replaces the stream).
    pub dynamic_partitioning: bool,
    /// Retry duration for dynamic partitioning, 0-7200.
    #[schemars(extend("default" = d::DYNAMIC_PARTITIONING_RETRY_SECONDS))]
    pub dynamic_partitioning_retry_seconds: Option<i32>,
    #[serde(default)]
    /// Back up source records (needs `s3_backup_bucket`); disabling replaces the stream.
    pub s3_backup: bool,
    /// Backup destination: `bucket.NAME`.
    pub s3_backup_bucket: Option<String>,
    /// Backup prefix.
    pub s3_backup_prefix: Option<String>,
    #[serde(default)]
    /// Record processors, in order (at most 5).
    pub processor: Vec<ProcessorSection>,
    #[serde(default)]
    /// Refuse any plan that destroys or replaces this resource.
    pub prevent_destroy: bool,
    /// How long apply waits for the stream to become ACTIVE, or to be gone, in seconds.
    #[schemars(extend("default" = d::FIREHOSE_WAIT_SECONDS))]
    pub wait_timeout_seconds: Option<u64>,
}

/// `[[firehose.NAME.processor]]`: one record processor; which keys apply depends on `type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessorSection {
    #[serde(rename = "type")]
    /// RecordDeAggregation, Decompression, CloudWatchLogProcessing, Lambda, MetadataExtraction or AppendDelimiterToRecord.
    pub kind: String,
    /// RecordDeAggregation: JSON or DELIMITED.
    #[schemars(extend("default" = d::SUB_RECORD_TYPE))]
    pub sub_record_type: Option<String>,
    /// RecordDeAggregation DELIMITED: base64 delimiter.
    pub delimiter: Option<String>,
    /// Lambda: `lambda.NAME`.
    pub function: Option<String>,
    /// Lambda: NumberOfRetries, 0-300.
    #[schemars(extend("default" = d::PROCESSOR_RETRIES))]
    pub retries: Option<i32>,
    /// Lambda: BufferSizeInMBs, 0.2-3.
    #[schemars(extend("default" = d::PROCESSOR_BUFFER_SIZE_MB))]
    pub buffer_size_mb: Option<f64>,
    /// Lambda: BufferIntervalInSeconds, 60-900.
    #[schemars(extend("default" = d::PROCESSOR_BUFFER_INTERVAL_SECONDS))]
    pub buffer_interval_seconds: Option<i32>,
    /// MetadataExtraction: jq object constructor, e.g. `{customer: .customer_id}`.
    pub query: Option<String>,
    /// MetadataExtraction: JQ-1.6.
    #[schemars(extend("default" = d::JSON_PARSING_ENGINE))]
    pub json_parsing_engine: Option<String>,
}

fn default_true() -> bool {
    true
}

fn default_lock() -> bool {
    d::LOCK
}

/// The JSON Schema of stack.toml, as `provision schema` prints it and `stack.schema.json` holds it.
pub fn json_schema() -> String {
    // Draft 7: what Taplo-based editors (Even Better TOML) understand.
    let schema = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<StackFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
