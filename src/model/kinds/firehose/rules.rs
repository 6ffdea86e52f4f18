//! The stream's rules (docs/src/rules.md): names, buffering, dynamic partitioning, processors, the
//! jq query's keys, prefixes, the roles' references; its format conversion's are conversion's.

use super::{FirehoseSection, FirehoseSpec, Param};
use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::kinds::CheckSite;
use crate::model::*;
use crate::prefix::{self, Part};

/// Every rule of a stream, written (`written`: its table as stack.toml writes it, for the
/// rules about what is written, "set both or neither"; a stream derived from a module is
/// written too) or not.
pub(crate) fn check(f: &FirehoseSpec, site: &CheckSite<'_, FirehoseSection>, out: &mut Vec<Diagnostic>) {
    let CheckSite { at, written, stack, .. } = *site;
    if let Some(raw) = written {
        check_written(&site.key(), f, raw, stack, out);
    }
    if let Some(c) = &f.format_conversion {
        crate::model::kinds::conversion::check(at, f, c, stack, out);
    }
}

fn check_written(key: &Position, f: &FirehoseSpec, raw: &FirehoseSection, stack: &Stack, out: &mut Vec<Diagnostic>) {
    // S1
    if f.name.is_empty() || f.name.len() > 64 || !super::super::matches_charset(&f.name, "_.-") {
        out.push(
            Diagnostic::error(Rule::S1, key.at("name"), format!("invalid stream name {:?}", f.name))
                .with_help("1 to 64 of a-z A-Z 0-9 _ . -"),
        );
    }
    // D3, D4
    super::super::in_range(out, Rule::D3, key.at("buffer_size_mb"), f.buffer_size_mb.into(), 1..=128);
    super::super::in_range(out, Rule::D3, key.at("buffer_interval_seconds"), f.buffer_interval_seconds.into(), 0..=900);
    if raw.buffer_size_mb.is_some() != raw.buffer_interval_seconds.is_some() {
        out.push(Diagnostic::error(
            Rule::D3,
            key.at("buffer_size_mb"),
            "set buffer_size_mb and buffer_interval_seconds together, or neither",
        ));
    }
    let kinds: Vec<&str> = f.processors.iter().map(|p| p.kind.as_str()).collect();
    if f.dynamic_partitioning {
        if f.buffer_size_mb < 64 {
            out.push(
                Diagnostic::error(
                    Rule::D4,
                    key.at("buffer_size_mb"),
                    "dynamic partitioning needs at least 64 MB of buffering",
                )
                .with_help("64 to 128"),
            );
        }
        if f.buffer_interval_seconds < 60 {
            out.push(
                Diagnostic::error(
                    Rule::D4,
                    key.at("buffer_interval_seconds"),
                    "dynamic partitioning needs at least 60 s of buffering",
                )
                .with_help("60 to 900"),
            );
        }
        if let Some(retry) = f.dynamic_partitioning_retry_seconds {
            super::super::in_range(out, Rule::D2, key.at("dynamic_partitioning_retry_seconds"), retry.into(), 0..=7200);
        }
        if !kinds.iter().any(|k| *k == "Lambda" || *k == "MetadataExtraction") {
            out.push(Diagnostic::error(
                Rule::D6,
                key.at("dynamic_partitioning"),
                "dynamic partitioning needs a Lambda or MetadataExtraction processor",
            ));
        }
    }
    // S7
    const COMPRESSION: [&str; 5] = ["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"];
    if !COMPRESSION.contains(&f.compression.as_str()) {
        out.push(
            Diagnostic::error(Rule::S7, key.at("compression"), format!("unknown compression {:?}", f.compression))
                .with_help(format!("one of {}", COMPRESSION.join(", "))),
        );
    }
    if !valid_file_extension(&f.file_extension) {
        out.push(
            Diagnostic::error(
                Rule::S7,
                key.at("file_extension"),
                format!("invalid file extension {:?}", f.file_extension),
            )
            .with_help("a dot then a-z 0-9 ! - _ . * ' ( ), e.g. \".json\""),
        );
    }
    if raw.s3_backup && raw.s3_backup_bucket.is_none() {
        out.push(
            Diagnostic::error(Rule::S5, key.at("s3_backup"), "s3_backup = true needs s3_backup_bucket")
                .with_help("set s3_backup_bucket = \"bucket.NAME\""),
        );
    }
    if let Some(kms) = &f.kms_key_arn {
        let stream = stack.resources.iter().find(|r| key.address() == Some(&r.address));
        let env = stream.map_or(stack.env.clone(), |r| stack.env_at(&r.location));
        check_kms_key(key, kms, &env, out);
    }
    check_processors(key, f, raw, stack, out);
    check_prefixes(key, f, &kinds, out);
    check_roles(key, f, raw, stack, out);
}

/// K1: a KMS key or alias ARN of the stack's partition and region (never a wildcard: the
/// generated delivery-role statement names exactly this key).
fn check_kms_key(key: &Position, arn: &str, env: &Environment, out: &mut Vec<Diagnostic>) {
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
                Rule::K1,
                key.at("kms_key_arn"),
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

fn check_processors(key: &Position, f: &FirehoseSpec, raw: &FirehoseSection, stack: &Stack, out: &mut Vec<Diagnostic>) {
    const TYPES: [&str; 6] = [
        "RecordDeAggregation",
        "Decompression",
        "CloudWatchLogProcessing",
        "Lambda",
        "MetadataExtraction",
        "AppendDelimiterToRecord",
    ];
    if raw.processor.len() > 5 {
        out.push(Diagnostic::error(Rule::R2, key.at("processor").index(5), "at most 5 processors"));
    }
    let mut lambdas = 0;
    for (i, p) in raw.processor.iter().enumerate() {
        let pkey = key.at("processor").index(i);
        let t = p.kind.as_str();
        if !TYPES.contains(&t) {
            let hint = crate::model::diagnostic::did_you_mean(t, TYPES)
                .map(|s| format!("did you mean {s}? "))
                .unwrap_or_default();
            out.push(
                Diagnostic::error(Rule::R1, pkey.at("type"), format!("unknown processor type {t:?}"))
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
            let rule = if t == "AppendDelimiterToRecord" { Rule::R17 } else { Rule::R1 };
            let help = if allowed.is_empty() {
                format!("{t} takes no parameters")
            } else {
                format!("{t} takes {}", allowed.join(", "))
            };
            out.push(
                Diagnostic::error(rule, pkey.at(*name), format!("`{name}` does not apply to a {t} processor"))
                    .with_help(help),
            );
        }
        for (name, value) in [("query", &p.query), ("delimiter", &p.delimiter)] {
            if value.as_ref().is_some_and(|v| v.is_empty() || v.chars().count() > 5120) {
                out.push(
                    Diagnostic::error(Rule::R1, pkey.at(name), "a processor parameter is 1 to 5120 characters")
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
                            Rule::R10,
                            pkey.at("sub_record_type"),
                            format!("{sub:?} is not a sub-record type"),
                        )
                        .with_help("JSON or DELIMITED"),
                    );
                }
                if sub == "DELIMITED" && p.delimiter.is_none() {
                    out.push(Diagnostic::error(
                        Rule::R11,
                        pkey.at("delimiter"),
                        "DELIMITED de-aggregation needs a base64 delimiter",
                    ));
                }
                if !f.dynamic_partitioning {
                    out.push(Diagnostic::error(
                        Rule::R12,
                        pkey.at("type"),
                        "RecordDeAggregation needs dynamic_partitioning = true",
                    ));
                }
            }
            "MetadataExtraction" => {
                if !f.dynamic_partitioning {
                    out.push(Diagnostic::error(
                        Rule::R14,
                        pkey.at("type"),
                        "MetadataExtraction needs dynamic_partitioning = true",
                    ));
                }
                if p.query.is_none() {
                    out.push(
                        Diagnostic::error(Rule::R15, pkey.at("query"), "MetadataExtraction needs a jq `query`")
                            .with_help("e.g. query = \"{customer_id: .customer_id}\""),
                    );
                }
                if let Some(query) = p.query.as_deref() {
                    for problem in crate::jq::check::check(query) {
                        let d = if problem.error {
                            Diagnostic::error(
                                Rule::parse(problem.rule).unwrap_or(Rule::R18),
                                pkey.at("query"),
                                problem.message,
                            )
                        } else {
                            Diagnostic::warning(
                                Rule::parse(problem.rule).unwrap_or(Rule::R19),
                                pkey.at("query"),
                                problem.message,
                            )
                        };
                        out.push(d.with_help("Firehose evaluates the query with jq 1.6, once per record"));
                    }
                }
                if p.json_parsing_engine.as_deref().is_some_and(|e| e != "JQ-1.6") {
                    out.push(Diagnostic::error(
                        Rule::R15,
                        pkey.at("json_parsing_engine"),
                        "the only JSON parsing engine is JQ-1.6",
                    ));
                }
            }
            "CloudWatchLogProcessing" if !raw.processor.iter().any(|q| q.kind == "Decompression") => {
                out.push(Diagnostic::error(
                    Rule::R16,
                    pkey.at("type"),
                    "CloudWatchLogProcessing needs a Decompression processor",
                ));
            }
            "Lambda" => {
                lambdas += 1;
                if p.function.is_none() {
                    out.push(
                        Diagnostic::error(Rule::R4, pkey.at("type"), "a Lambda processor needs `function`")
                            .with_help("set function = \"lambda.NAME\""),
                    );
                }
                if lambdas > 1 {
                    out.push(Diagnostic::error(Rule::R3, pkey.at("type"), "at most one Lambda processor per stream"));
                }
                if let Some(r) = p.retries {
                    super::super::in_range(out, Rule::R5, pkey.at("retries"), r.into(), 0..=300);
                }
                if let Some(mb) = p.buffer_size_mb {
                    if !(0.2..=3.0).contains(&mb) {
                        out.push(
                            Diagnostic::error(Rule::R6, pkey.at("buffer_size_mb"), format!("{mb} is out of range"))
                                .with_help("0.2 to 3"),
                        );
                    }
                }
                if let Some(s) = p.buffer_interval_seconds {
                    super::super::in_range(out, Rule::R7, pkey.at("buffer_interval_seconds"), s.into(), 60..=900);
                }
                if p.buffer_size_mb.is_some() != p.buffer_interval_seconds.is_some() {
                    out.push(Diagnostic::error(
                        Rule::R8,
                        pkey.at("buffer_size_mb"),
                        "set buffer_size_mb and buffer_interval_seconds together, or neither",
                    ));
                }
                if let Some(Resource { spec: Spec::Lambda(l), address, .. }) =
                    processor_function(f, i).and_then(|a| stack.get(a))
                {
                    if l.timeout_seconds > 300 {
                        out.push(
                            Diagnostic::error(
                                Rule::L4,
                                Position::resource(address).at("timeout_seconds"),
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
fn check_query_keys(key: &Position, f: &FirehoseSpec, prefix_exprs: &[(&str, &str)], out: &mut Vec<Diagnostic>) {
    let used: Vec<&str> = prefix_exprs.iter().filter(|(n, _)| *n == "partitionKeyFromQuery").map(|(_, v)| *v).collect();
    let mut emitted = Vec::new();
    for (i, p) in f.processors.iter().enumerate() {
        let Some(query) = p.parameters.get("MetadataExtractionQuery").and_then(|q| q.known()) else { continue };
        let qkey = key.at("processor").index(i).at("query");
        match crate::jq::keys::object_keys(query) {
            Some(keys) => {
                for k in &keys {
                    if !used.contains(&k.as_str()) {
                        out.push(
                            Diagnostic::error(
                                Rule::P16,
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
                    Rule::P16,
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
                    Rule::P16,
                    key.at("prefix"),
                    format!("no query emits `{k}`: records would go to the error prefix"),
                )
                .with_help(format!("emit `{k}` from the MetadataExtraction query")),
            );
        }
    }
}

fn check_prefixes(key: &Position, f: &FirehoseSpec, kinds: &[&str], out: &mut Vec<Diagnostic>) {
    let pkey = key.at("prefix");
    let ekey = key.at("error_output_prefix");
    let parse = |k: &Position, text: &str, out: &mut Vec<Diagnostic>| -> Option<Vec<Part>> {
        if text.len() > 1024 {
            out.push(Diagnostic::error(Rule::P1, k, "longer than 1024 characters"));
        }
        match prefix::parse(text) {
            Ok(parts) => {
                let min = prefix::min_evaluated_len(&parts);
                if min > 512 {
                    out.push(Diagnostic::error(
                        Rule::P2,
                        k,
                        format!("evaluates to at least {min} characters; the limit is 512"),
                    ));
                }
                for (ns, value) in prefix::expressions(&parts) {
                    if !prefix::NAMESPACES.contains(&ns) {
                        out.push(
                            Diagnostic::error(Rule::P3, k, format!("unknown expression namespace `{ns}`")).with_help(
                                match crate::model::diagnostic::did_you_mean(ns, prefix::NAMESPACES.iter().copied()) {
                                    Some(s) => format!("did you mean `{s}`? one of {}", prefix::NAMESPACES.join(", ")),
                                    None => format!("one of {}", prefix::NAMESPACES.join(", ")),
                                },
                            ),
                        );
                    }
                    if ns == "firehose" && value != "random-string" && value != "error-output-type" {
                        out.push(
                            Diagnostic::error(
                                Rule::P7,
                                k,
                                format!("`!{{firehose:{value}}}` is not a firehose expression"),
                            )
                            .with_help("random-string or error-output-type"),
                        );
                    }
                    if ns == "timestamp" && value.matches('\'').count() % 2 == 1 {
                        out.push(
                            Diagnostic::error(
                                Rule::P5,
                                k,
                                format!("timestamp pattern `{value}` has an unclosed quote"),
                            )
                            .with_help("quote literal text in pairs: !{timestamp:'year='yyyy}"),
                        );
                    }
                    if ns == "timestamp" && value.matches('\'').count() % 2 == 0 {
                        if let Err(e) = crate::prefix::timefmt::check(value) {
                            out.push(
                                Diagnostic::warning(
                                    Rule::P6,
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
                    (Rule::P5, "quote literal text in pairs: !{timestamp:'year='yyyy}")
                } else {
                    (Rule::P4, "expressions are !{namespace:value}")
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
            Rule::P7,
            &pkey,
            "`!{firehose:error-output-type}` is only allowed in error_output_prefix",
        ));
    }
    if !error_exprs.is_empty() && !error_exprs.contains(&("firehose", "error-output-type")) {
        out.push(Diagnostic::error(
            Rule::P8,
            &ekey,
            "an error prefix with expressions must contain `!{firehose:error-output-type}`",
        ));
    }
    if !prefix_exprs.is_empty() && f.error_output_prefix.is_empty() {
        out.push(
            Diagnostic::error(Rule::P9, &ekey, "a prefix with expressions needs an error_output_prefix")
                .with_help("e.g. error_output_prefix = \"error/!{firehose:error-output-type}/\""),
        );
    }
    if keys_from(&error_exprs) {
        out.push(Diagnostic::error(Rule::P10, &ekey, "partition keys cannot be used in error_output_prefix"));
    }
    if !f.dynamic_partitioning && keys_from(&prefix_exprs) {
        out.push(Diagnostic::error(Rule::P11, &pkey, "partition keys in the prefix need dynamic_partitioning = true"));
    }
    if f.dynamic_partitioning && !keys_from(&prefix_exprs) {
        out.push(Diagnostic::error(Rule::P12, &pkey, "dynamic partitioning needs at least one !{partitionKeyFromLambda:..} or !{partitionKeyFromQuery:..} in the prefix"));
    }
    if f.dynamic_partitioning && f.error_output_prefix.is_empty() && prefix_exprs.is_empty() {
        out.push(Diagnostic::error(Rule::P12, &ekey, "dynamic partitioning needs an error_output_prefix"));
    }
    if uses(&prefix_exprs, "partitionKeyFromLambda") && !kinds.contains(&"Lambda") {
        out.push(Diagnostic::error(Rule::P14, &pkey, "!{partitionKeyFromLambda:..} needs a Lambda processor"));
    }
    if uses(&prefix_exprs, "partitionKeyFromQuery") && !kinds.contains(&"MetadataExtraction") {
        out.push(Diagnostic::error(
            Rule::P15,
            &pkey,
            "!{partitionKeyFromQuery:..} needs a MetadataExtraction processor",
        ));
    }
    check_query_keys(key, f, &prefix_exprs, out);
    if !f.prefix.is_empty() && prefix_exprs.is_empty() {
        out.push(
            Diagnostic::warning(
                Rule::P17,
                &pkey,
                "a prefix without expressions gets `YYYY/MM/dd/HH/` appended by Firehose",
            )
            .with_help("add your own !{timestamp:...} expressions to control the layout"),
        );
    }
    for (k, text) in [(&pkey, &f.prefix), (&ekey, &f.error_output_prefix)] {
        if !text.is_empty() && !text.ends_with('/') && !text.ends_with('}') {
            out.push(Diagnostic::warning(Rule::P18, k, "does not end with `/`: the object name is appended directly"));
        }
    }
}

/// I1, I5: the stream's role must trust Firehose, a processor function's role must trust Lambda.
/// S6: the stream's log stream must be one its log group creates.
fn check_roles(key: &Position, f: &FirehoseSpec, raw: &FirehoseSection, stack: &Stack, out: &mut Vec<Diagnostic>) {
    // The stack's role with this ARN (an existing role is not the stack's to check, or change:
    // its trust is its owner's).
    let role_with_arn = |arn: &str| {
        stack
            .resources
            .iter()
            .find(|r| matches!(&r.spec, Spec::Role(_)) && r.spec.arn(&stack.env_at(&r.location)) == arn)
    };
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
                Diagnostic::error(Rule::I1, key.at("role"), format!("{role} does not trust firehose.amazonaws.com"))
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
                    Rule::I5,
                    Position::resource(address).at("role"),
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
                        Rule::S6,
                        key.at("log_stream"),
                        format!("log stream {stream:?} is not created by {}", group.address),
                    )
                    .with_help(format!("add {stream:?} to {}", Position::resource(&group.address).at("streams"))),
                );
            }
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

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn kms_keys_are_exact_arns_of_the_stack_s_region() {
        let env = Environment { region: "us-east-1".into(), account_id: "123456789012".into(), ..Default::default() };
        let check = |arn: &str| {
            let mut out = Vec::new();
            check_kms_key(&Position::resource(&Address::new(Kind::Firehose, "s")), arn, &env, &mut out);
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
}
