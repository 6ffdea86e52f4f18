//! `[firehose.NAME]`: a Direct PUT delivery stream to S3 with its record processors, and the
//! least-privilege statements its role needs (rule I2).

mod rules;
pub(crate) use rules::check;

use super::{push, BuildSite, Kind, KindInfo, KindSpec, Reference, ReplaceRule, Resolved};
use crate::defaults as d;
use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{Address, Attr, Attributes, Outputs, Resource, Tags, UNKNOWN};
use crate::policy::Statement;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The facts of the stream kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "firehose",
    noun: "stream",
    found_by: super::FoundBy::TaggingApi("firehose"),
    name_in_arn: |arn| {
        let stream = super::arn_resource(arn, "firehose")?.strip_prefix("deliverystream/")?;
        Some(stream.to_string())
    },
    // Topics: its derived alarms notify them (`[firehose.NAME.alarms]`).
    may_reference: &[Kind::Bucket, Kind::LogGroup, Kind::Role, Kind::Lambda, Kind::Topic],
    default_wait_seconds: d::FIREHOSE_WAIT_SECONDS,
    create_carries_tags: true,
    // `watch` lets a stream take its function's new version.
    hotswap: &["processors"],
    holds: None,
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::Fails("ResourceInUseException"),
    arn: |env, name| env.stream_arn(name),
    may_be_existing: false,
    // "Amazon Data Firehose Quota": control-plane APIs 5 TPS each; the data plane is limited
    // per stream in records and bytes, which `send` paces itself.
    rates: &[("Firehose", 5.0), ("Firehose.PutRecord", f64::INFINITY), ("Firehose.PutRecordBatch", f64::INFINITY)],
    reached_from: crate::model::kinds::Reach::Region,
    forget_also: None,
    names: super::Names::Regional,
    names_ignore_case: false,
};

kind_section! {
    /// `[firehose.NAME]`: a Direct PUT stream delivering to S3.
    pub struct FirehoseSection {
        /// Stream name: 1-64 of `[a-zA-Z0-9_.-]` (rule S1).
        pub name: String,
        /// Delivery role: `role.NAME` (its least-privilege policy is generated), or an existing role
        /// the stack never changes: `{ existing = "name" }` / `{ existing_arn = "arn:..." }`.
        pub role: Reference,
        /// Destination: `bucket.NAME`, or an existing bucket the stack never owns: `{ existing = "name" }`.
        pub bucket: Reference,
        /// S3 prefix; may use `!{timestamp:..}`, `!{firehose:random-string}`,
        /// `!{partitionKeyFromLambda:..}`, `!{partitionKeyFromQuery:..}` (rules P1-P18).
        pub prefix: Option<String>,
        /// S3 prefix for failed records; with expressions it must contain
        /// `!{firehose:error-output-type}` (rules P1-P18).
        pub error_output_prefix: Option<String>,
        /// Buffer size in MB, 1-128; set it with `buffer_interval_seconds` or neither (rule D3); at
        /// least 64 with dynamic partitioning (D4).
        #[schemars(extend("default" = d::BUFFER_SIZE_MB))]
        pub buffer_size_mb: Option<i32>,
        /// Buffer interval in seconds, 0-900; set it with `buffer_size_mb` or neither (rule D3); at
        /// least 60 with dynamic partitioning (D4).
        #[schemars(extend("default" = d::BUFFER_INTERVAL_SECONDS))]
        pub buffer_interval_seconds: Option<i32>,
        /// `UNCOMPRESSED`, `GZIP`, `ZIP`, `Snappy` or `HADOOP_SNAPPY`.
        #[schemars(extend("default" = d::COMPRESSION))]
        pub compression: Option<String>,
        /// Object file extension, e.g. `.json`.
        pub file_extension: Option<String>,
        /// The S3 destination's encryption key: a key or alias ARN of the stack's Region (rule K1);
        /// absent means NoEncryption.
        pub kms_key_arn: Option<String>,
        /// CloudWatch error logging: `log_group.NAME` (with `log_stream`, a stream listed in its
        /// `streams`).
        pub log_group: Option<String>,
        /// Log stream within the group; must be listed in its `streams`.
        #[schemars(extend("default" = d::LOG_STREAM))]
        pub log_stream: Option<String>,
        #[serde(default)]
        /// Dynamic partitioning; can only be set at creation (changing it replaces the stream).
        pub dynamic_partitioning: bool,
        /// Retry duration for dynamic partitioning, 0-7200 seconds.
        #[schemars(extend("default" = d::DYNAMIC_PARTITIONING_RETRY_SECONDS))]
        pub dynamic_partitioning_retry_seconds: Option<i32>,
        /// Back up source records (needs `s3_backup_bucket`, and optionally `s3_backup_prefix`);
        /// enabling is in place, disabling replaces the stream.
        #[serde(default)]
        pub s3_backup: bool,
        /// Backup destination: `bucket.NAME`.
        pub s3_backup_bucket: Option<String>,
        /// Backup prefix.
        pub s3_backup_prefix: Option<String>,
        #[serde(default)]
        /// Record processors, in order (at most 5).
        #[schemars(extend("default" = []))]
        pub processor: Vec<ProcessorSection>,
        /// Record format conversion to Parquet or ORC through a `[table]` of the stack.
        pub format_conversion: Option<super::conversion::FormatConversionSection>,
        /// Alarms derived from the stream's settings, one per way it can fail, notifying `actions`.
        pub alarms: Option<super::alarm::derived::AlarmsSection>,
        /// How long apply waits for the stream to become ACTIVE, or to be gone, in seconds.
        #[schemars(extend("default" = d::FIREHOSE_WAIT_SECONDS))]
        pub wait_timeout_seconds: Option<u64>,
    }
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

/// A stream, desired or live.
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
    /// Record format conversion (JSON to Parquet or ORC), if any.
    pub format_conversion: Option<Box<super::conversion::FormatConversion>>,
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

/// Whether `desired` differs from `live` only in the version its Lambda processor invokes: the
/// same processors in the same order, the same parameters, every Lambda ARN naming the same
/// function (`same_function(address, live ARN)` says whether a function of the stack is the one a
/// live ARN names, whatever its version). What `watch` may hotswap in a stream: the invoked
/// function, a jq query or any other parameter is apply's.
pub fn only_versions_differ(
    desired: &[Processor],
    live: &[Processor],
    same_function: &dyn Fn(&Address, &str) -> bool,
) -> bool {
    desired.len() == live.len()
        && desired.iter().zip(live).all(|(d, l)| {
            d.kind == l.kind
                && d.parameters.len() == l.parameters.len()
                && d.parameters.iter().all(|(name, value)| match (value, l.parameters.get(name)) {
                    (Param::Text(a), Some(Param::Text(b))) => a == b,
                    (Param::LambdaArn { function, .. }, Some(live)) => {
                        live.known().is_some_and(|arn| same_function(function, unqualified(arn)))
                    }
                    _ => false,
                })
        })
}

/// A Lambda ARN without its version or alias (`arn:...:function:NAME`).
pub fn unqualified(arn: &str) -> &str {
    let parts: Vec<&str> = arn.splitn(8, ':').collect();
    if parts.len() == 8 && parts[5] == "function" {
        &arn[..arn.len() - parts[7].len() - 1]
    } else {
        arn
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

/// Formats a megabyte count the way Firehose echoes it back ("3", "0.2").
pub fn format_mb(mb: f64) -> String {
    if mb.fract() == 0.0 {
        format!("{}", mb as i64)
    } else {
        format!("{mb}")
    }
}

/// What the stream's role may do on S3 objects of a destination bucket.
const S3_ACTIONS: [&str; 6] = [
    "s3:AbortMultipartUpload",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:PutObject",
];

/// Builds `[firehose.NAME]` and grants its role what the stream needs (rule I2); `None` when the
/// role or bucket it names is not in the stack (reported as a reference error).
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, f: &FirehoseSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Firehose, name);
    let mut depends_on = Vec::new();
    let mut statements = Vec::new();
    let role = super::resolve(b, &key.at("role"), &f.role, Kind::Role);
    let bucket = super::resolve(b, &key.at("bucket"), &f.bucket, Kind::Bucket);
    let role_arn = super::resolved_arn(b, &role);
    let bucket_arn = match &bucket {
        None => b.env().bucket_arn(""),
        resolved => super::resolved_arn(b, resolved),
    };
    statements.push(Statement::allow(&S3_ACTIONS, vec![bucket_arn.clone(), format!("{bucket_arn}/*")]));
    depends_on.extend(role.as_ref().and_then(Resolved::address).cloned());
    depends_on.extend(bucket.as_ref().and_then(Resolved::address).cloned());

    let backup = match (&f.s3_backup, &f.s3_backup_bucket) {
        (true, Some(raw)) => b.reference(&key.at("s3_backup_bucket"), raw, Kind::Bucket),
        _ => None,
    };
    let s3_backup = backup.map(|backup| {
        let arn = super::built_arn(b, &backup);
        if arn != bucket_arn {
            statements.push(Statement::allow(&S3_ACTIONS, vec![arn.clone(), format!("{arn}/*")]));
        }
        depends_on.push(backup);
        S3Backup {
            bucket_arn: arn,
            prefix: f.s3_backup_prefix.as_ref().map(|p| b.text(&key.at("s3_backup_prefix"), p)).unwrap_or_default(),
        }
    });

    let group = f.log_group.as_ref().and_then(|raw| b.reference(&key.at("log_group"), raw, Kind::LogGroup));
    let logging = group.map(|group| {
        let group_name = b.built(&group).map(|g| g.spec.physical_name().to_string()).unwrap_or_default();
        let stream = f.log_stream.clone().unwrap_or_else(|| d::LOG_STREAM.into());
        let stream = b.text(&key.at("log_stream"), &stream);
        statements.push(Statement::allow(&["logs:PutLogEvents"], vec![b.env().log_stream_arn(&group_name, &stream)]));
        depends_on.push(group);
        (group_name, stream)
    });

    let mut processors = Vec::new();
    for (i, p) in f.processor.iter().enumerate() {
        let (parameters, function) = processor_parameters(b, &key.at("processor").index(i), p, &role_arn);
        if let Some((function, arn)) = function {
            statements.push(Statement::allow(
                &["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                vec![arn.clone(), format!("{arn}:*")],
            ));
            depends_on.push(function);
        }
        processors.push(Processor { kind: p.kind.clone(), parameters });
    }
    let format_conversion = f.format_conversion.as_ref().map(|c| {
        let at = key.at("format_conversion");
        let table = b.reference(&at.at("table"), &c.table, Kind::Table);
        let info = table.as_ref().and_then(|t| match b.later(t) {
            Some(Resource { spec: super::Spec::Table(spec), .. }) => Some(super::conversion::TableInfo {
                address: t.clone(),
                database: spec.database(),
                table: spec.table(),
                columns: &spec.columns,
            }),
            _ => None,
        });
        if let Some(info) = &info {
            // Rule I2: Firehose reads the schema with the stream's role, nothing wider.
            let env = b.env();
            let table_arn = env.table_arn(info.database, info.table);
            let resources = vec![env.catalog_arn(), env.database_arn(info.database), table_arn];
            statements
                .push(Statement::allow(&["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"], resources));
        }
        let (catalog, region) = (b.env().account_id.clone(), b.env().region.clone());
        let mut problems = Vec::new();
        let conversion =
            super::conversion::build(&at, c, info, &catalog, &region, &mut |d: Diagnostic| problems.push(d));
        for d in problems {
            b.report(d);
        }
        depends_on.extend(table);
        Box::new(conversion)
    });
    let kms_key_arn = f.kms_key_arn.as_ref().map(|k| b.text(&key.at("kms_key_arn"), k));
    if let Some(kms) = &kms_key_arn {
        statements.push(Statement::kms_for_bucket(kms, &b.env().region, &bucket_arn));
    }
    match &role {
        Some(Resolved::Declared(role)) => b.grant(role, statements),
        Some(Resolved::Existing { name: role, .. }) => {
            // A role the stack does not own keeps its policies: say what it needs.
            let needs: Vec<String> =
                statements.iter().map(|s| format!("{} on {}", s.actions.join(", "), s.resources.join(", "))).collect();
            b.report(
                Diagnostic::warning(
                    Rule::I6,
                    key.at("role"),
                    format!("the existing role {role:?} is not changed by provision"),
                )
                .with_help(format!("it needs, for this stream: {}", needs.join("; "))),
            );
        }
        None => {}
    }
    let (Some(_), Some(_)) = (&role, &bucket) else { return None };
    depends_on.sort();
    depends_on.dedup();
    let spec = FirehoseSpec {
        name: b.text(&key.at("name"), &f.name),
        role_arn,
        bucket_arn,
        prefix: f.prefix.as_ref().map(|p| b.text(&key.at("prefix"), p)).unwrap_or_default(),
        error_output_prefix: f
            .error_output_prefix
            .as_ref()
            .map(|p| b.text(&key.at("error_output_prefix"), p))
            .unwrap_or_default(),
        // With conversion, Firehose's default buffer is 128 MB (rule C2 wants at least 64).
        buffer_size_mb: f.buffer_size_mb.unwrap_or(if f.format_conversion.is_some() {
            d::CONVERSION_BUFFER_SIZE_MB
        } else {
            d::BUFFER_SIZE_MB
        }),
        buffer_interval_seconds: f.buffer_interval_seconds.unwrap_or(d::BUFFER_INTERVAL_SECONDS),
        compression: f.compression.clone().unwrap_or_else(|| d::COMPRESSION.into()),
        file_extension: f.file_extension.clone().unwrap_or_default(),
        kms_key_arn,
        logging,
        dynamic_partitioning: f.dynamic_partitioning,
        dynamic_partitioning_retry_seconds: f
            .dynamic_partitioning
            .then(|| f.dynamic_partitioning_retry_seconds.unwrap_or(d::DYNAMIC_PARTITIONING_RETRY_SECONDS)),
        s3_backup,
        processors,
        format_conversion,
        tags: b.tags(&address),
    };
    if let Some(alarms) = &f.alarms {
        super::alarm::derived::derive(b, &address, &key, &spec, alarms);
    }
    Some(b.resource(address, spec.into(), depends_on, f.prevent_destroy, f.wait_timeout_seconds))
}

/// A processor's parameters, and for a Lambda processor the function it invokes with that
/// function's unqualified ARN (for the role's policy).
fn processor_parameters(
    b: &mut dyn BuildSite<'_>,
    key: &Position,
    p: &ProcessorSection,
    role_arn: &str,
) -> (BTreeMap<String, Param>, Option<(Address, String)>) {
    let mut params = BTreeMap::new();
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            params.insert(k.to_string(), Param::Text(v));
        }
    };
    let mut function = None;
    match p.kind.as_str() {
        "RecordDeAggregation" => {
            set("SubRecordType", Some(p.sub_record_type.clone().unwrap_or_else(|| d::SUB_RECORD_TYPE.into())));
            set("Delimiter", p.delimiter.clone());
        }
        "MetadataExtraction" => {
            set("MetadataExtractionQuery", p.query.clone());
            set(
                "JsonParsingEngine",
                Some(p.json_parsing_engine.clone().unwrap_or_else(|| d::JSON_PARSING_ENGINE.into())),
            );
        }
        "Lambda" => {
            set("NumberOfRetries", Some(p.retries.unwrap_or(d::PROCESSOR_RETRIES).to_string()));
            set("RoleArn", Some(role_arn.to_string()));
            set("BufferSizeInMBs", Some(format_mb(p.buffer_size_mb.unwrap_or(d::PROCESSOR_BUFFER_SIZE_MB))));
            set(
                "BufferIntervalInSeconds",
                Some(p.buffer_interval_seconds.unwrap_or(d::PROCESSOR_BUFFER_INTERVAL_SECONDS).to_string()),
            );
            let referenced = p.function.as_ref().and_then(|f| b.reference(&key.at("function"), f, Kind::Lambda));
            if let Some(referenced) = referenced {
                let publish =
                    matches!(b.built(&referenced), Some(Resource { spec: super::Spec::Lambda(l), .. }) if l.publish);
                let arn = super::built_arn(b, &referenced);
                // An unpublished function is used unqualified; a published one by version,
                // known once the plan has read the live function.
                let used = (!publish).then(|| arn.clone());
                params.insert("LambdaArn".into(), Param::LambdaArn { function: referenced.clone(), arn: used });
                function = Some((referenced, arn));
            }
        }
        _ => {}
    }
    (params, function)
}

impl KindSpec for FirehoseSpec {
    fn unresolved(&self) -> bool {
        self.processors.iter().flat_map(|p| p.parameters.values()).any(|p| p.known().is_none())
    }

    fn logs(&self) -> Option<(String, Option<String>)> {
        self.logging.as_ref().map(|(group, stream)| (group.clone(), Some(stream.clone())))
    }

    fn attributes(&self) -> Attributes {
        let FirehoseSpec {
            name,
            role_arn,
            bucket_arn,
            prefix,
            error_output_prefix,
            buffer_size_mb,
            buffer_interval_seconds,
            compression,
            file_extension,
            kms_key_arn,
            logging,
            dynamic_partitioning,
            dynamic_partitioning_retry_seconds,
            s3_backup,
            processors,
            format_conversion,
            tags: _,
        } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "role", json!(role_arn));
        push(&mut a, "bucket", json!(bucket_arn));
        push(&mut a, "prefix", json!(prefix));
        push(&mut a, "error_output_prefix", json!(error_output_prefix));
        push(&mut a, "buffer_size_mb", json!(buffer_size_mb));
        push(&mut a, "buffer_interval_seconds", json!(buffer_interval_seconds));
        push(&mut a, "compression", json!(compression));
        push(&mut a, "file_extension", json!(file_extension));
        push(&mut a, "kms_key_arn", json!(kms_key_arn));
        push(&mut a, "log_group", json!(logging.as_ref().map(|l| &l.0)));
        push(&mut a, "log_stream", json!(logging.as_ref().map(|l| &l.1)));
        push(&mut a, "dynamic_partitioning", json!(dynamic_partitioning));
        push(&mut a, "dynamic_partitioning_retry_seconds", json!(dynamic_partitioning_retry_seconds));
        push(&mut a, "s3_backup", json!(s3_backup.is_some()));
        if let Some(b) = s3_backup {
            push(&mut a, "s3_backup_bucket", json!(b.bucket_arn));
            push(&mut a, "s3_backup_prefix", json!(b.prefix));
        }
        push(&mut a, "processors", processors_json(processors));
        push(&mut a, "format_conversion", format_conversion.as_ref().map_or(Value::Null, |c| c.to_json()));
        a
    }

    fn replaces(&self, key: &str, after: &Option<Attr>) -> Option<ReplaceRule> {
        let to_false = matches!(after, Some(Attr::Value(Value::Bool(false))));
        match key {
            "dynamic_partitioning" => Some(ReplaceRule::DynamicPartitioning),
            "s3_backup" if to_false => Some(ReplaceRule::BackupDisabled),
            _ => None,
        }
    }

    fn resolve(&mut self, outputs: &HashMap<Address, Outputs>) {
        for value in self.processors.iter_mut().flat_map(|p| p.parameters.values_mut()) {
            if let Param::LambdaArn { function, arn: arn @ None } = value {
                *arn = outputs.get(function).and_then(|o| o.qualified_arn.clone());
            }
        }
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[role.r]\ntrust = [\"firehose.amazonaws.com\"]\n[bucket.b]\nname = \"generic-bucket\"\n\
           [firehose.f]\nname = \"generic-stream\"\nrole = \"role.r\"\nbucket = \"bucket.b\"\n",
    address: "firehose.f",
    replaced: "[role.r]\ntrust = [\"firehose.amazonaws.com\"]\n[bucket.b]\nname = \"generic-bucket\"\n\
               [firehose.f]\nname = \"generic-stream-2\"\nrole = \"role.r\"\nbucket = \"bucket.b\"\n",
    drift: drift!(Firehose, |f| f.buffer_interval_seconds = 60),
};
