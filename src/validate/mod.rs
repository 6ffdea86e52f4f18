//! The rule book (`docs/rules.md`): pure checks over the model and the raw file.
//! Each diagnostic carries the rule id and the key it concerns.

pub mod jq;

use crate::diagnostic::Diagnostic;
use crate::model::kinds::firehose::FirehoseSection;
use crate::model::*;
use crate::prefix::{self, Part};

/// Runs every rule; returns errors and warnings.
/// `raw_stream` gives a stream's table as written (for the rules about what is written: "set
/// both or neither").
pub fn check<'a>(stack: &Stack, raw_stream: &dyn Fn(&Address) -> Option<&'a FirehoseSection>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_stack_name(&stack.name, &mut out);
    check_existing_not_declared(stack, &mut out);
    check_unique_names(stack, &mut out);
    for resource in &stack.resources {
        let key = resource.address.to_string();
        match &resource.spec {
            Spec::Bucket(b) => {
                check_bucket_name(&key, &b.name, &mut out);
                check_bucket_namespace(&key, b, &stack.env, &mut out);
            }
            Spec::LogGroup(g) => check_log_group(&key, g, &mut out),
            Spec::Role(r) => {
                check_role_name(&key, &r.name, &mut out);
                check_role_path(&key, &r.path, &mut out);
            }
            Spec::Lambda(l) => check_lambda(&key, l, &mut out),
            Spec::Firehose(f) => {
                if let Some(raw) = raw_stream(&resource.address) {
                    check_firehose(&key, f, raw, stack, &mut out);
                }
                if let Some(c) = &f.format_conversion {
                    check_conversion(&resource.address, f, c, stack, &mut out);
                }
            }
            Spec::Table(t) => crate::model::kinds::table::check(&key, t, &mut out),
        }
    }
    out
}

/// Two resources of a kind with one ARN would be one resource in AWS (every instance of a module
/// given the same stream name): one error naming both.
fn check_unique_names(stack: &Stack, out: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<(Kind, String), &Address> = std::collections::HashMap::new();
    for r in &stack.resources {
        let arn = r.spec.arn(&stack.env);
        if let Some(first) = seen.get(&(r.address.kind, arn.clone())) {
            out.push(
                Diagnostic::error(
                    "N7",
                    format!("{}.name", r.address),
                    format!("{} and {first} are both named {:?}", r.address, r.spec.physical_name()),
                )
                .with_help(
                    "give each its own name: in a module or a for_each, use ${each.key} or a variable in the name",
                ),
            );
        } else {
            seen.insert((r.address.kind, arn), &r.address);
        }
    }
}

/// The function processor `i` of a stream invokes, as built.
fn processor_function(f: &FirehoseSpec, i: usize) -> Option<&Address> {
    match f.processors.get(i)?.parameters.get("LambdaArn")? {
        Param::LambdaArn { function, .. } => Some(function),
        Param::Text(_) => None,
    }
}

fn matches_charset(s: &str, extra: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn check_stack_name(name: &str, out: &mut Vec<Diagnostic>) {
    if name.is_empty() || name.len() > 64 || !matches_charset(name, "-_") {
        out.push(
            Diagnostic::error("stack", "stack.name", format!("invalid stack name {name:?}"))
                .with_help("1 to 64 of a-z A-Z 0-9 - _"),
        );
    }
}

/// I7: a resource referenced as existing (never owned) must not be one the stack declares (and
/// so owns): which of the two is meant cannot be guessed.
fn check_existing_not_declared(stack: &Stack, out: &mut Vec<Diagnostic>) {
    for e in &stack.existing {
        if let Some(declared) = stack.resources.iter().find(|r| r.address.kind == e.kind && r.physical_name() == e.name)
        {
            out.push(
                Diagnostic::error(
                    "I7",
                    &e.key,
                    format!(
                        "the existing {} {:?} is also declared by {}, which this stack owns",
                        e.kind.noun(),
                        e.name,
                        declared.address
                    ),
                )
                .with_help(format!(
                    "reference it by its address (\"{}\"), or remove its declaration",
                    declared.address
                )),
            );
        }
    }
}

/// N1: S3 bucket naming rules.
pub fn check_bucket_name(key: &str, name: &str, out: &mut Vec<Diagnostic>) {
    let key = format!("{key}.name");
    let bad = |why: &str| Diagnostic::error("N1", &key, format!("invalid bucket name {name:?}: {why}"));
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
fn check_bucket_namespace(key: &str, b: &BucketSpec, env: &Environment, out: &mut Vec<Diagnostic>) {
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
                "N6",
                format!("{key}.name"),
                format!("{:?} is not a name of this account's regional namespace: it must end with {suffix:?}", b.name),
            )
            .with_help("name = \"PREFIX-${aws.account_id}-${aws.region}-an\" (S3 refuses any other name in this namespace), or namespace = \"global\""),
        );
    }
}

/// N3: IAM role names.
fn check_role_name(key: &str, name: &str, out: &mut Vec<Diagnostic>) {
    if name.is_empty() || name.len() > 64 || !matches_charset(name, "_+=,.@-") {
        out.push(
            Diagnostic::error("N3", format!("{key}.name"), format!("invalid role name {name:?}"))
                .with_help("1 to 64 of a-z A-Z 0-9 _ + = , . @ - (the default is <stack>-<resource>)"),
        );
    }
}

/// N3: a role path is `/` or `/segments/`, at most 512 characters of printable ASCII.
fn check_role_path(key: &str, path: &str, out: &mut Vec<Diagnostic>) {
    let printable = path.chars().all(|c| ('!'..='~').contains(&c));
    if path.len() > 512 || !path.starts_with('/') || !path.ends_with('/') || path.contains("//") || !printable {
        out.push(
            Diagnostic::error("N3", format!("{key}.path"), format!("invalid role path {path:?}"))
                .with_help("`/` or `/segment/.../`, e.g. \"/service-role/\""),
        );
    }
}

/// N4, N5: log group name and retention.
fn check_log_group(key: &str, g: &LogGroupSpec, out: &mut Vec<Diagnostic>) {
    if g.name.is_empty() || g.name.len() > 512 || !matches_charset(&g.name, "._-/#") || g.name.starts_with("aws/") {
        out.push(
            Diagnostic::error("N4", format!("{key}.name"), format!("invalid log group name {:?}", g.name))
                .with_help("1 to 512 of a-z A-Z 0-9 . - _ / #, not starting with `aws/`"),
        );
    }
    const RETENTION: [i32; 22] = crate::model::kinds::log_group::RETENTION_DAYS;
    if let Some(days) = g.retention_days {
        if !RETENTION.contains(&days) {
            out.push(
                Diagnostic::error(
                    "N5",
                    format!("{key}.retention_days"),
                    format!("{days} is not a retention CloudWatch accepts"),
                )
                .with_help(format!("one of {RETENTION:?}, or leave it out to keep logs forever")),
            );
        }
    }
}

/// N2: Lambda names; basic limits.
fn check_lambda(key: &str, l: &LambdaSpec, out: &mut Vec<Diagnostic>) {
    if l.name.is_empty() || l.name.len() > 64 || !matches_charset(&l.name, "-_") {
        out.push(
            Diagnostic::error("N2", format!("{key}.name"), format!("invalid function name {:?}", l.name))
                .with_help("1 to 64 of a-z A-Z 0-9 - _"),
        );
    }
    if !(128..=10240).contains(&l.memory_mb) {
        out.push(
            Diagnostic::error("lambda", format!("{key}.memory_mb"), format!("{} MB is out of range", l.memory_mb))
                .with_help("128 to 10240"),
        );
    }
    for variable in l.environment.keys() {
        if crate::datapath::lambda_runner::RESERVED_VARIABLES.contains(&variable.as_str()) {
            out.push(
                Diagnostic::error(
                    "L7",
                    format!("{key}.environment.{variable}"),
                    format!("`{variable}` is set by Lambda itself: a function cannot set it"),
                )
                .with_help("Lambda refuses reserved variables (AWS_REGION, AWS_LAMBDA_*, _HANDLER, credentials...): use another name"),
            );
        }
    }
    if !(1..=900).contains(&l.timeout_seconds) {
        out.push(
            Diagnostic::error(
                "lambda",
                format!("{key}.timeout_seconds"),
                format!("{} s is out of range", l.timeout_seconds),
            )
            .with_help("1 to 900"),
        );
    }
}

fn in_range(out: &mut Vec<Diagnostic>, rule: &str, key: String, value: i64, range: std::ops::RangeInclusive<i64>) {
    if !range.contains(&value) {
        out.push(Diagnostic::error(rule, key, format!("{value} is out of range")).with_help(format!(
            "{} to {}",
            range.start(),
            range.end()
        )));
    }
}

fn check_firehose(key: &str, f: &FirehoseSpec, raw: &FirehoseSection, stack: &Stack, out: &mut Vec<Diagnostic>) {
    // S1
    if f.name.is_empty() || f.name.len() > 64 || !matches_charset(&f.name, "_.-") {
        out.push(
            Diagnostic::error("S1", format!("{key}.name"), format!("invalid stream name {:?}", f.name))
                .with_help("1 to 64 of a-z A-Z 0-9 _ . -"),
        );
    }
    // D3, D4
    in_range(out, "D3", format!("{key}.buffer_size_mb"), f.buffer_size_mb.into(), 1..=128);
    in_range(out, "D3", format!("{key}.buffer_interval_seconds"), f.buffer_interval_seconds.into(), 0..=900);
    if raw.buffer_size_mb.is_some() != raw.buffer_interval_seconds.is_some() {
        out.push(Diagnostic::error(
            "D3",
            format!("{key}.buffer_size_mb"),
            "set buffer_size_mb and buffer_interval_seconds together, or neither",
        ));
    }
    let kinds: Vec<&str> = f.processors.iter().map(|p| p.kind.as_str()).collect();
    if f.dynamic_partitioning {
        if f.buffer_size_mb < 64 {
            out.push(
                Diagnostic::error(
                    "D4",
                    format!("{key}.buffer_size_mb"),
                    "dynamic partitioning needs at least 64 MB of buffering",
                )
                .with_help("64 to 128"),
            );
        }
        if f.buffer_interval_seconds < 60 {
            out.push(
                Diagnostic::error(
                    "D4",
                    format!("{key}.buffer_interval_seconds"),
                    "dynamic partitioning needs at least 60 s of buffering",
                )
                .with_help("60 to 900"),
            );
        }
        if let Some(retry) = f.dynamic_partitioning_retry_seconds {
            in_range(out, "D2", format!("{key}.dynamic_partitioning_retry_seconds"), retry.into(), 0..=7200);
        }
        if !kinds.iter().any(|k| *k == "Lambda" || *k == "MetadataExtraction") {
            out.push(Diagnostic::error(
                "D6",
                format!("{key}.dynamic_partitioning"),
                "dynamic partitioning needs a Lambda or MetadataExtraction processor",
            ));
        }
    }
    // S7
    const COMPRESSION: [&str; 5] = ["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"];
    if !COMPRESSION.contains(&f.compression.as_str()) {
        out.push(
            Diagnostic::error("S7", format!("{key}.compression"), format!("unknown compression {:?}", f.compression))
                .with_help(format!("one of {}", COMPRESSION.join(", "))),
        );
    }
    if !valid_file_extension(&f.file_extension) {
        out.push(
            Diagnostic::error(
                "S7",
                format!("{key}.file_extension"),
                format!("invalid file extension {:?}", f.file_extension),
            )
            .with_help("a dot then a-z 0-9 ! - _ . * ' ( ), e.g. \".json\""),
        );
    }
    if raw.s3_backup && raw.s3_backup_bucket.is_none() {
        out.push(
            Diagnostic::error("S5", format!("{key}.s3_backup"), "s3_backup = true needs s3_backup_bucket")
                .with_help("set s3_backup_bucket = \"bucket.NAME\""),
        );
    }
    if let Some(kms) = &f.kms_key_arn {
        check_kms_key(key, kms, &stack.env, out);
    }
    check_processors(key, f, raw, stack, out);
    check_prefixes(key, f, &kinds, out);
    check_roles(key, f, raw, stack, out);
}

/// C1-C3, C6, C7: what record format conversion needs of the stream and its table (developer
/// guide, "Convert input data format"; API reference, DataFormatConversionConfiguration).
fn check_conversion(
    stream: &Address,
    f: &FirehoseSpec,
    c: &crate::model::kinds::conversion::FormatConversion,
    stack: &Stack,
    out: &mut Vec<Diagnostic>,
) {
    use crate::model::kinds::conversion::Deserializer;
    let key = stream.to_string();
    let at = format!("{key}.format_conversion");
    let table = c.table.as_ref().and_then(|t| stack.get(t));
    if let Some(Resource { spec: Spec::Table(t), address, .. }) = table {
        let reads = t.stream.as_ref();
        if reads != Some(stream) {
            let what = reads.map_or("another stream".to_string(), |s| s.to_string());
            out.push(
                Diagnostic::error(
                    "C1",
                    format!("{at}.table"),
                    format!("{address} is a table over {what}, not this stream"),
                )
                .with_help("the schema is a [table] whose `stream` is this stream"),
            );
        }
        // C6: what the deserializer cannot fill.
        for (column, ty) in &t.columns {
            if matches!(c.deserializer, Deserializer::Hive { .. }) && ty.contains("binary") {
                out.push(
                    Diagnostic::error(
                        "C6",
                        format!("{address}.columns.{column}"),
                        format!("`{column}` is {ty}: the Hive JSON SerDe does not support BINARY"),
                    )
                    .with_help("use the openx deserializer, or a string column"),
                );
            }
        }
    }
    if f.buffer_size_mb < 64 {
        out.push(
            Diagnostic::error(
                "C2",
                format!("{key}.buffer_size_mb"),
                "record format conversion needs at least 64 MB of buffering",
            )
            .with_help("64 to 128"),
        );
    }
    if f.compression != "UNCOMPRESSED" {
        out.push(
            Diagnostic::error(
                "C3",
                format!("{key}.compression"),
                format!("compression {:?} with record format conversion", f.compression),
            )
            .with_help("UNCOMPRESSED: the serializer compresses (format_conversion.compression)"),
        );
    }
    let output = c.serializer.output();
    let extension = f.file_extension.to_ascii_lowercase();
    if !extension.is_empty() && !extension.contains(output) {
        out.push(
            Diagnostic::warning(
                "C7",
                format!("{key}.file_extension"),
                format!("objects named {:?} will hold {output}", f.file_extension),
            )
            .with_help(format!("leave file_extension out (Firehose names them .{output}) or say .{output}")),
        );
    }
}

/// K1: a KMS key or alias ARN of the stack's partition and region (never a wildcard: the
/// generated delivery-role statement names exactly this key).
fn check_kms_key(key: &str, arn: &str, env: &Environment, out: &mut Vec<Diagnostic>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let resource_ok = |r: &str| {
        let key_id = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let alias = |a: &str| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c));
        r.strip_prefix("key/").is_some_and(key_id) || r.strip_prefix("alias/").is_some_and(alias)
    };
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1] == env.partition()
        && parts[2] == "kms"
        && parts[3] == env.region
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && resource_ok(parts[5]);
    if !valid {
        out.push(
            Diagnostic::error(
                "K1",
                format!("{key}.kms_key_arn"),
                format!("{arn:?} is not a KMS key or alias ARN of {}", env.region),
            )
            .with_help(format!(
                "arn:{}:kms:{}:ACCOUNT:key/KEY-ID or arn:{}:kms:{}:ACCOUNT:alias/NAME",
                env.partition(),
                env.region,
                env.partition(),
                env.region
            )),
        );
    }
}

/// S7: empty, or a dot followed by `[0-9a-z!-_.*'()]`.
fn valid_file_extension(ext: &str) -> bool {
    ext.is_empty()
        || ext.strip_prefix('.').is_some_and(|rest| {
            !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "!-_.*'()".contains(c))
        })
}

fn check_processors(key: &str, f: &FirehoseSpec, raw: &FirehoseSection, stack: &Stack, out: &mut Vec<Diagnostic>) {
    const TYPES: [&str; 6] = [
        "RecordDeAggregation",
        "Decompression",
        "CloudWatchLogProcessing",
        "Lambda",
        "MetadataExtraction",
        "AppendDelimiterToRecord",
    ];
    if raw.processor.len() > 5 {
        out.push(Diagnostic::error("R2", format!("{key}.processor[5]"), "at most 5 processors"));
    }
    let mut lambdas = 0;
    for (i, p) in raw.processor.iter().enumerate() {
        let pkey = format!("{key}.processor[{i}]");
        let t = p.kind.as_str();
        if !TYPES.contains(&t) {
            let hint =
                crate::diagnostic::did_you_mean(t, TYPES).map(|s| format!("did you mean {s}? ")).unwrap_or_default();
            out.push(
                Diagnostic::error("R1", format!("{pkey}.type"), format!("unknown processor type {t:?}"))
                    .with_help(format!("{hint}one of {}", TYPES.join(", "))),
            );
            continue;
        }
        let allowed: &[&str] = match t {
            "RecordDeAggregation" => &["sub_record_type", "delimiter"],
            "Lambda" => &["function", "retries", "buffer_size_mb", "buffer_interval_seconds"],
            "MetadataExtraction" => &["query", "json_parsing_engine"],
            _ => &[],
        };
        let given = [
            ("sub_record_type", p.sub_record_type.is_some()),
            ("delimiter", p.delimiter.is_some()),
            ("function", p.function.is_some()),
            ("retries", p.retries.is_some()),
            ("buffer_size_mb", p.buffer_size_mb.is_some()),
            ("buffer_interval_seconds", p.buffer_interval_seconds.is_some()),
            ("query", p.query.is_some()),
            ("json_parsing_engine", p.json_parsing_engine.is_some()),
        ];
        for (name, _) in given.iter().filter(|(n, set)| *set && !allowed.contains(n)) {
            let rule = if t == "AppendDelimiterToRecord" { "R17" } else { "R1" };
            let help = if allowed.is_empty() {
                format!("{t} takes no parameters")
            } else {
                format!("{t} takes {}", allowed.join(", "))
            };
            out.push(
                Diagnostic::error(
                    rule,
                    format!("{pkey}.{name}"),
                    format!("`{name}` does not apply to a {t} processor"),
                )
                .with_help(help),
            );
        }
        for (name, value) in [("query", &p.query), ("delimiter", &p.delimiter)] {
            if value.as_ref().is_some_and(|v| v.is_empty() || v.chars().count() > 5120) {
                out.push(
                    Diagnostic::error("R1", format!("{pkey}.{name}"), "a processor parameter is 1 to 5120 characters")
                        .with_help("shorten it"),
                );
            }
        }
        match t {
            "RecordDeAggregation" => {
                let sub = p.sub_record_type.as_deref().unwrap_or("JSON");
                if sub != "JSON" && sub != "DELIMITED" {
                    out.push(
                        Diagnostic::error(
                            "R10",
                            format!("{pkey}.sub_record_type"),
                            format!("{sub:?} is not a sub-record type"),
                        )
                        .with_help("JSON or DELIMITED"),
                    );
                }
                if sub == "DELIMITED" && p.delimiter.is_none() {
                    out.push(Diagnostic::error(
                        "R11",
                        format!("{pkey}.delimiter"),
                        "DELIMITED de-aggregation needs a base64 delimiter",
                    ));
                }
                if !f.dynamic_partitioning {
                    out.push(Diagnostic::error(
                        "R12",
                        format!("{pkey}.type"),
                        "RecordDeAggregation needs dynamic_partitioning = true",
                    ));
                }
            }
            "MetadataExtraction" => {
                if !f.dynamic_partitioning {
                    out.push(Diagnostic::error(
                        "R14",
                        format!("{pkey}.type"),
                        "MetadataExtraction needs dynamic_partitioning = true",
                    ));
                }
                if p.query.is_none() {
                    out.push(
                        Diagnostic::error("R15", format!("{pkey}.query"), "MetadataExtraction needs a jq `query`")
                            .with_help("e.g. query = \"{customer_id: .customer_id}\""),
                    );
                }
                if let Some(query) = p.query.as_deref() {
                    for problem in crate::jq::check::check(query) {
                        let d = if problem.error {
                            Diagnostic::error(problem.rule, format!("{pkey}.query"), problem.message)
                        } else {
                            Diagnostic::warning(problem.rule, format!("{pkey}.query"), problem.message)
                        };
                        out.push(d.with_help("Firehose evaluates the query with jq 1.6, once per record"));
                    }
                }
                if p.json_parsing_engine.as_deref().is_some_and(|e| e != "JQ-1.6") {
                    out.push(Diagnostic::error(
                        "R15",
                        format!("{pkey}.json_parsing_engine"),
                        "the only JSON parsing engine is JQ-1.6",
                    ));
                }
            }
            "CloudWatchLogProcessing" if !raw.processor.iter().any(|q| q.kind == "Decompression") => {
                out.push(Diagnostic::error(
                    "R16",
                    format!("{pkey}.type"),
                    "CloudWatchLogProcessing needs a Decompression processor",
                ));
            }
            "Lambda" => {
                lambdas += 1;
                if p.function.is_none() {
                    out.push(
                        Diagnostic::error("R4", format!("{pkey}.type"), "a Lambda processor needs `function`")
                            .with_help("set function = \"lambda.NAME\""),
                    );
                }
                if lambdas > 1 {
                    out.push(Diagnostic::error(
                        "R3",
                        format!("{pkey}.type"),
                        "at most one Lambda processor per stream",
                    ));
                }
                if let Some(r) = p.retries {
                    in_range(out, "R5", format!("{pkey}.retries"), r.into(), 0..=300);
                }
                if let Some(mb) = p.buffer_size_mb {
                    if !(0.2..=3.0).contains(&mb) {
                        out.push(
                            Diagnostic::error("R6", format!("{pkey}.buffer_size_mb"), format!("{mb} is out of range"))
                                .with_help("0.2 to 3"),
                        );
                    }
                }
                if let Some(s) = p.buffer_interval_seconds {
                    in_range(out, "R7", format!("{pkey}.buffer_interval_seconds"), s.into(), 60..=900);
                }
                if p.buffer_size_mb.is_some() != p.buffer_interval_seconds.is_some() {
                    out.push(Diagnostic::error(
                        "R8",
                        format!("{pkey}.buffer_size_mb"),
                        "set buffer_size_mb and buffer_interval_seconds together, or neither",
                    ));
                }
                if let Some(Resource { spec: Spec::Lambda(l), address, .. }) =
                    processor_function(f, i).and_then(|a| stack.get(a))
                {
                    if l.timeout_seconds > 300 {
                        out.push(
                            Diagnostic::error(
                                "L4",
                                format!("{address}.timeout_seconds"),
                                "a Lambda used by Firehose must finish within 300 s",
                            )
                            .with_help("timeout_seconds of at most 300"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// P16: every key a MetadataExtraction query emits is used in the prefix; a prefix key nobody emits
/// sends records to the error prefix at run time (warning).
fn check_query_keys(key: &str, f: &FirehoseSpec, prefix_exprs: &[(&str, &str)], out: &mut Vec<Diagnostic>) {
    let used: Vec<&str> = prefix_exprs.iter().filter(|(n, _)| *n == "partitionKeyFromQuery").map(|(_, v)| *v).collect();
    let mut emitted = Vec::new();
    for (i, p) in f.processors.iter().enumerate() {
        let Some(query) = p.parameters.get("MetadataExtractionQuery").and_then(|q| q.known()) else { continue };
        let qkey = format!("{key}.processor[{i}].query");
        match jq::object_keys(query) {
            Some(keys) => {
                for k in &keys {
                    if !used.contains(&k.as_str()) {
                        out.push(
                            Diagnostic::error(
                                "P16",
                                &qkey,
                                format!("the query emits `{k}` but the prefix does not use it"),
                            )
                            .with_help(format!(
                                "add !{{partitionKeyFromQuery:{k}}} to {key}.prefix, or drop it from the query"
                            )),
                        );
                    }
                }
                emitted.extend(keys);
            }
            None => out.push(
                Diagnostic::warning(
                    "P16",
                    &qkey,
                    "the query is not a jq object constructor; its keys cannot be checked",
                )
                .with_help("write it as {key: .path, ...}"),
            ),
        }
    }
    for k in used {
        if !emitted.iter().any(|e| e == k) && f.processors.iter().any(|p| p.kind == "MetadataExtraction") {
            out.push(
                Diagnostic::warning(
                    "P16",
                    format!("{key}.prefix"),
                    format!("no query emits `{k}`: records would go to the error prefix"),
                )
                .with_help(format!("emit `{k}` from the MetadataExtraction query")),
            );
        }
    }
}

fn check_prefixes(key: &str, f: &FirehoseSpec, kinds: &[&str], out: &mut Vec<Diagnostic>) {
    let pkey = format!("{key}.prefix");
    let ekey = format!("{key}.error_output_prefix");
    let parse = |k: &str, text: &str, out: &mut Vec<Diagnostic>| -> Option<Vec<Part>> {
        if text.len() > 1024 {
            out.push(Diagnostic::error("P1", k, "longer than 1024 characters"));
        }
        match prefix::parse(text) {
            Ok(parts) => {
                let min = prefix::min_evaluated_len(&parts);
                if min > 512 {
                    out.push(Diagnostic::error(
                        "P2",
                        k,
                        format!("evaluates to at least {min} characters; the limit is 512"),
                    ));
                }
                for (ns, value) in prefix::expressions(&parts) {
                    if !prefix::NAMESPACES.contains(&ns) {
                        out.push(Diagnostic::error("P3", k, format!("unknown expression namespace `{ns}`")).with_help(
                            match crate::diagnostic::did_you_mean(ns, prefix::NAMESPACES.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`? one of {}", prefix::NAMESPACES.join(", ")),
                                None => format!("one of {}", prefix::NAMESPACES.join(", ")),
                            },
                        ));
                    }
                    if ns == "firehose" && value != "random-string" && value != "error-output-type" {
                        out.push(
                            Diagnostic::error("P7", k, format!("`!{{firehose:{value}}}` is not a firehose expression"))
                                .with_help("random-string or error-output-type"),
                        );
                    }
                    if ns == "timestamp" && value.matches('\'').count() % 2 == 1 {
                        out.push(
                            Diagnostic::error("P5", k, format!("timestamp pattern `{value}` has an unclosed quote"))
                                .with_help("quote literal text in pairs: !{timestamp:'year='yyyy}"),
                        );
                    }
                    if ns == "timestamp" && value.matches('\'').count() % 2 == 0 {
                        if let Err(e) = crate::prefix::timefmt::check(value) {
                            out.push(
                                Diagnostic::warning(
                                    "P6",
                                    k,
                                    format!("timestamp pattern `{value}`: {e}: Firehose may reject it"),
                                )
                                .with_help("quote literal text: !{timestamp:'year='yyyy}"),
                            );
                        }
                    }
                }
                Some(parts)
            }
            Err(e) => {
                let (rule, help) = if e.unclosed_quote {
                    ("P5", "quote literal text in pairs: !{timestamp:'year='yyyy}")
                } else {
                    ("P4", "expressions are !{namespace:value}")
                };
                out.push(Diagnostic::error(rule, k, e.message).with_help(help));
                None
            }
        }
    };
    let Some(prefix_parts) = parse(&pkey, &f.prefix, out) else { return };
    let Some(error_parts) = parse(&ekey, &f.error_output_prefix, out) else { return };
    let prefix_exprs: Vec<(&str, &str)> = prefix::expressions(&prefix_parts).collect();
    let error_exprs: Vec<(&str, &str)> = prefix::expressions(&error_parts).collect();
    let uses = |exprs: &[(&str, &str)], ns: &str| exprs.iter().any(|(n, _)| *n == ns);
    let keys_from = |exprs: &[(&str, &str)]| exprs.iter().any(|(n, _)| n.starts_with("partitionKeyFrom"));
    if prefix_exprs.contains(&("firehose", "error-output-type")) {
        out.push(Diagnostic::error(
            "P7",
            &pkey,
            "`!{firehose:error-output-type}` is only allowed in error_output_prefix",
        ));
    }
    if !error_exprs.is_empty() && !error_exprs.contains(&("firehose", "error-output-type")) {
        out.push(Diagnostic::error(
            "P8",
            &ekey,
            "an error prefix with expressions must contain `!{firehose:error-output-type}`",
        ));
    }
    if !prefix_exprs.is_empty() && f.error_output_prefix.is_empty() {
        out.push(
            Diagnostic::error("P9", &ekey, "a prefix with expressions needs an error_output_prefix")
                .with_help("e.g. error_output_prefix = \"error/!{firehose:error-output-type}/\""),
        );
    }
    if keys_from(&error_exprs) {
        out.push(Diagnostic::error("P10", &ekey, "partition keys cannot be used in error_output_prefix"));
    }
    if !f.dynamic_partitioning && keys_from(&prefix_exprs) {
        out.push(Diagnostic::error("P11", &pkey, "partition keys in the prefix need dynamic_partitioning = true"));
    }
    if f.dynamic_partitioning && !keys_from(&prefix_exprs) {
        out.push(Diagnostic::error("P12", &pkey, "dynamic partitioning needs at least one !{partitionKeyFromLambda:..} or !{partitionKeyFromQuery:..} in the prefix"));
    }
    if f.dynamic_partitioning && f.error_output_prefix.is_empty() && prefix_exprs.is_empty() {
        out.push(Diagnostic::error("P12", &ekey, "dynamic partitioning needs an error_output_prefix"));
    }
    if uses(&prefix_exprs, "partitionKeyFromLambda") && !kinds.contains(&"Lambda") {
        out.push(Diagnostic::error("P14", &pkey, "!{partitionKeyFromLambda:..} needs a Lambda processor"));
    }
    if uses(&prefix_exprs, "partitionKeyFromQuery") && !kinds.contains(&"MetadataExtraction") {
        out.push(Diagnostic::error("P15", &pkey, "!{partitionKeyFromQuery:..} needs a MetadataExtraction processor"));
    }
    check_query_keys(key, f, &prefix_exprs, out);
    if !f.prefix.is_empty() && prefix_exprs.is_empty() {
        out.push(
            Diagnostic::warning(
                "P17",
                &pkey,
                "a prefix without expressions gets `YYYY/MM/dd/HH/` appended by Firehose",
            )
            .with_help("add your own !{timestamp:...} expressions to control the layout"),
        );
    }
    for (k, text) in [(&pkey, &f.prefix), (&ekey, &f.error_output_prefix)] {
        if !text.is_empty() && !text.ends_with('/') && !text.ends_with('}') {
            out.push(Diagnostic::warning(
                "P18",
                k.as_str(),
                "does not end with `/`: the object name is appended directly",
            ));
        }
    }
}

/// I1, I5: the stream's role must trust Firehose, a processor function's role must trust Lambda.
/// S6: the stream's log stream must be one its log group creates.
fn check_roles(key: &str, f: &FirehoseSpec, raw: &FirehoseSection, stack: &Stack, out: &mut Vec<Diagnostic>) {
    // The stack's role with this ARN (an existing role is not the stack's to check, or change:
    // its trust is its owner's).
    let role_with_arn =
        |arn: &str| stack.resources.iter().find(|r| matches!(&r.spec, Spec::Role(_)) && r.spec.arn(&stack.env) == arn);
    let trusts = |role: Option<&Resource>, service: &str| -> bool {
        match role {
            Some(Resource { spec: Spec::Role(r), .. }) => r.trust_policy.to_string().contains(service),
            _ => true,
        }
    };
    if let Some(role) = role_with_arn(&f.role_arn) {
        let role = &role.address;
        if !trusts(stack.get(role), "firehose.amazonaws.com") {
            out.push(
                Diagnostic::error("I1", format!("{key}.role"), format!("{role} does not trust firehose.amazonaws.com"))
                    .with_help("add \"firehose.amazonaws.com\" to the role's trust"),
            );
        }
    }
    for i in 0..f.processors.len() {
        let Some(Resource { spec: Spec::Lambda(l), address, .. }) = processor_function(f, i).and_then(|a| stack.get(a))
        else {
            continue;
        };
        let Some(role) = role_with_arn(&l.role_arn) else { continue };
        if !trusts(Some(role), "lambda.amazonaws.com") {
            let role = &role.address;
            out.push(
                Diagnostic::error(
                    "I5",
                    format!("{address}.role"),
                    format!("{role} does not trust lambda.amazonaws.com"),
                )
                .with_help(format!("add \"lambda.amazonaws.com\" to {role}'s trust (used by {key}.processor[{i}])")),
            );
        }
    }
    let group = f
        .logging
        .as_ref()
        .and_then(|(name, _)| stack.resources.iter().find(|r| matches!(&r.spec, Spec::LogGroup(g) if &g.name == name)));
    if let (Some(group), Some(stream)) =
        (group, f.logging.as_ref().map(|(_, s)| s).filter(|_| raw.log_stream.is_some()))
    {
        if let Spec::LogGroup(g) = &group.spec {
            if !g.streams.contains(stream) {
                out.push(
                    Diagnostic::error(
                        "S6",
                        format!("{key}.log_stream"),
                        format!("log stream {stream:?} is not created by {}", group.address),
                    )
                    .with_help(format!("add {stream:?} to {}.streams", group.address)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(name: &str) -> Vec<String> {
        let mut out = Vec::new();
        check_bucket_name("bucket.x", name, &mut out);
        out.into_iter().map(|d| d.rule).collect()
    }

    #[test]
    fn kms_keys_are_exact_arns_of_the_stack_s_region() {
        let env = Environment { region: "us-east-1".into(), account_id: "123456789012".into(), ..Default::default() };
        let check = |arn: &str| {
            let mut out = Vec::new();
            check_kms_key("firehose.s", arn, &env, &mut out);
            out.into_iter().map(|d| d.rule).collect::<Vec<_>>()
        };
        assert!(check("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab").is_empty());
        assert!(check("arn:aws:kms:us-east-1:123456789012:alias/firehose").is_empty());
        for bad in [
            "*",
            "arn:aws:kms:us-east-1:123456789012:key/*",
            "arn:aws:kms:eu-west-1:123456789012:alias/x",
            "arn:aws-cn:kms:us-east-1:123456789012:alias/x",
        ] {
            assert_eq!(check(bad), ["K1"], "{bad}");
        }
    }

    #[test]
    fn lambda_s_reserved_variables_cannot_be_set() {
        let check = |name: &str| {
            let mut spec = crate::testing::stack(crate::testing::DEFAULT_STACK)
                .resources
                .into_iter()
                .find_map(|r| match r.spec {
                    Spec::Lambda(l) => Some(l),
                    _ => None,
                })
                .unwrap();
            spec.environment.insert(name.into(), "x".into());
            let mut out = Vec::new();
            check_lambda("lambda.f", &spec, &mut out);
            out.into_iter().map(|d| d.rule).collect::<Vec<_>>()
        };
        assert_eq!(check("AWS_REGION"), ["L7"]);
        assert_eq!(check("_HANDLER"), ["L7"]);
        assert!(check("STAGE").is_empty());
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
            check_bucket_namespace("bucket.b", &spec, &env, &mut out);
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

    #[test]
    fn an_existing_resource_must_not_be_one_the_stack_declares() {
        let mut stack = crate::testing::stack(crate::testing::DEFAULT_STACK);
        let existing =
            |name: &str| Existing { kind: Kind::Bucket, name: name.into(), key: "firehose.events.bucket".into() };
        stack.existing = vec![existing("data-lake")];
        let mut out = Vec::new();
        check_existing_not_declared(&stack, &mut out);
        assert!(out.is_empty(), "{out:?}");
        stack.existing = vec![existing(crate::testing::BUCKET)];
        check_existing_not_declared(&stack, &mut out);
        assert_eq!(out.iter().map(|d| d.rule.as_str()).collect::<Vec<_>>(), ["I7"]);
        assert!(out[0].message.contains("also declared by bucket.data"), "{}", out[0].message);
    }
}
