//! Serde types exactly as written in stack.toml. Unknown keys are rejected.
//! These carry raw (uninterpolated) strings; `config::load` turns them into the model.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole stack.toml file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackFile {
    pub stack: StackSection,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub bucket: BTreeMap<String, BucketSection>,
    #[serde(default)]
    pub log_group: BTreeMap<String, LogGroupSection>,
    #[serde(default)]
    pub role: BTreeMap<String, RoleSection>,
    #[serde(default)]
    pub lambda: BTreeMap<String, LambdaSection>,
    #[serde(default)]
    pub firehose: BTreeMap<String, FirehoseSection>,
}

/// `[stack]`: identity of the stack.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackSection {
    pub name: String,
    pub region: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// `[bucket.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSection {
    pub name: String,
    #[serde(default)]
    pub force_destroy: bool,
    #[serde(default)]
    pub versioning: bool,
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// `[log_group.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogGroupSection {
    pub name: String,
    pub retention_days: Option<i32>,
    #[serde(default)]
    pub streams: Vec<String>,
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// `[role.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSection {
    pub name: Option<String>,
    pub path: Option<String>,
    pub trust: Vec<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub statement: Vec<StatementSection>,
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// `[[role.NAME.statement]]`: an extra statement for the role's inline policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementSection {
    pub effect: Option<String>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// `[lambda.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaSection {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    pub source: String,
    pub role: String,
    pub memory_mb: Option<i32>,
    pub timeout_seconds: Option<i32>,
    #[serde(default = "default_true")]
    pub publish: bool,
    pub description: Option<String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// `[firehose.NAME]`: a Direct PUT stream delivering to S3.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirehoseSection {
    pub name: String,
    pub role: String,
    pub bucket: String,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub buffer_size_mb: Option<i32>,
    pub buffer_interval_seconds: Option<i32>,
    pub compression: Option<String>,
    pub file_extension: Option<String>,
    pub kms_key_arn: Option<String>,
    pub log_group: Option<String>,
    pub log_stream: Option<String>,
    #[serde(default)]
    pub dynamic_partitioning: bool,
    pub dynamic_partitioning_retry_seconds: Option<i32>,
    #[serde(default)]
    pub s3_backup: bool,
    pub s3_backup_bucket: Option<String>,
    pub s3_backup_prefix: Option<String>,
    #[serde(default)]
    pub processor: Vec<ProcessorSection>,
    #[serde(default)]
    pub prevent_destroy: bool,
}

/// `[[firehose.NAME.processor]]`: one record processor; which keys apply depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorSection {
    #[serde(rename = "type")]
    pub kind: String,
    pub sub_record_type: Option<String>,
    pub delimiter: Option<String>,
    pub function: Option<String>,
    pub retries: Option<i32>,
    pub buffer_size_mb: Option<f64>,
    pub buffer_interval_seconds: Option<i32>,
    pub query: Option<String>,
    pub json_parsing_engine: Option<String>,
}

fn default_true() -> bool {
    true
}
