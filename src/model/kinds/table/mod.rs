//! `[table.NAME]`: an AWS Glue Data Catalog table (with its database) over a stream's
//! destination, so that Athena queries the partitions right after deploy: no crawler, no
//! `MSCK REPAIR`. Its partition projection is derived from the stream's prefix: one partition
//! column per partition key (`injected`, or `enum` / `integer` as declared) and per timestamp
//! part (`integer` for a lone month, day, hour, minute or second; `date` otherwise), and
//! `storage.location.template` is the prefix with each expression replaced by its column.
//!
//! Glue tables take no AWS tags: ownership is marked in the table's parameters, in the create
//! call itself. The database is created with the table when missing (tagged as the stack's) and
//! deleted with its last table only if the stack created it.

mod infer;
mod projection;

pub use infer::{infer_columns, Inferred};
pub use projection::{project, PrefixProjection, Projected, Projection, Unprojectable};

use super::{push, BuildSite, CheckSite, Kind, KindInfo, KindSpec, ReplaceRule};
use crate::defaults as d;
use crate::model::diagnostic::{did_you_mean, Diagnostic, Rule};
use crate::model::{Attr, Attributes, Resource, Tags, ADDRESS_TAG, HOME_TAG, OWNER_TAG};
use crate::prefix::{parse, Part};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The facts of the table kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "table",
    noun: "table",
    // Glue tables take no tags: discovery lists the tables carrying the ownership parameters.
    found_by: super::FoundBy::DatabaseTables,
    name_in_arn: |arn| {
        let table = super::arn_resource(arn, "glue")?.strip_prefix("table/")?;
        table.contains('/').then(|| table.to_string())
    },
    may_reference: &[Kind::Firehose],
    default_wait_seconds: d::OTHER_WAIT_SECONDS,
    // The ownership markers are parameters of the CreateTable call itself.
    create_carries_tags: true,
    hotswap: &[],
    holds: None,
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::Fails("AlreadyExistsException"),
    arn: |env, name| env.table_arn(database_of(name), table_of(name)),
    may_be_existing: false,
    // Glue publishes no per-action rate for Data Catalog calls: 10/s, adapted.
    rates: &[("Glue", 10.0)],
    reached_from: crate::model::kinds::Reach::Region,
    forget_also: None,
    names: super::Names::Regional,
    names_ignore_case: false,
};

/// The SerDe reading JSON records (one document per line, as Firehose writes them).
pub const JSON_SERDE: &str = "org.openx.data.jsonserde.JsonSerDe";
/// The input format of text records.
pub const INPUT_FORMAT: &str = "org.apache.hadoop.mapred.TextInputFormat";
/// The output format Hive pairs with it.
pub const OUTPUT_FORMAT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
/// Where date projections start by default (`since`).
pub const DEFAULT_SINCE: &str = "2020-01-01";
/// The pattern Firehose appends to a prefix without expressions (rule P17).
const FIREHOSE_DEFAULT_PATTERN: &str = "yyyy/MM/dd/HH";

kind_section! {
    /// `[table.NAME]`: a Glue table over a stream's destination, queryable by Athena at once.
    pub struct TableSection {
        /// Table name: lowercase letters, digits and `_`, what Athena accepts (rule T1).
        pub name: String,
        /// Glue database (lowercase letters, digits, `_`); created with the table when missing.
        pub database: String,
        /// The stream whose destination the table reads: `firehose.NAME`.
        pub stream: String,
        /// The records' columns and their Athena types (rules T4, T5), e.g. `{ customer_id =
        /// "string", amount = "double" }`; `provision preview --columns` infers them from sample
        /// records.
        #[serde(default)]
        pub columns: BTreeMap<String, String>,
        /// How each partition key of the prefix is projected, by key: `{ type = "enum", values = [...] }`
        /// or `{ type = "integer", range = [1, 12], digits = 2 }`; default `injected` (queries name the value).
        #[serde(default)]
        #[schemars(extend("default" = {}))]
        pub partition: BTreeMap<String, PartitionSection>,
        /// The first day date projections cover (`YYYY-MM-DD`).
        #[schemars(extend("default" = DEFAULT_SINCE))]
        pub since: Option<String>,
    }
}

/// `[table.NAME.partition.KEY]`: how a partition key's values are projected.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartitionSection {
    /// `injected` (default: queries give the value), `enum` (with `values`) or `integer` (with `range`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `enum`: every value the key takes.
    #[serde(default)]
    pub values: Vec<String>,
    /// `integer`: the lowest and highest value.
    pub range: Option<[i64; 2]>,
    /// `integer`: zero-padded to this many digits.
    pub digits: Option<u32>,
}

/// A table, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// `database/table`: how Glue addresses it (and the end of its ARN).
    pub name: String,
    /// `s3://bucket/` and the prefix's literal start.
    pub location: String,
    /// The record's columns: (name, type), by name.
    pub columns: Vec<(String, String)>,
    /// Partition columns: (name, type), in prefix order.
    pub partition_keys: Vec<(String, String)>,
    /// Table parameters: the projection, the location template, the classification.
    pub parameters: BTreeMap<String, String>,
    pub serde: String,
    pub input_format: String,
    pub output_format: String,
    /// The ownership markers (kept in the table's parameters: Glue tables take no tags).
    pub tags: Tags,
    /// The stream it reads (desired only: not compared).
    pub stream: Option<crate::model::Address>,
}

/// SerDe, input and output formats of a table over Parquet objects (what Firehose writes with
/// a Parquet serializer) and over ORC ones.
pub const PARQUET_FORMATS: [&str; 3] = [
    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
];
pub const ORC_FORMATS: [&str; 3] = [
    "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
    "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
];

impl TableSpec {
    /// The Glue database.
    pub fn database(&self) -> &str {
        database_of(&self.name)
    }

    /// The table's name within its database.
    pub fn table(&self) -> &str {
        table_of(&self.name)
    }
}

/// The database of a table's AWS name, `<database>/<table>`.
fn database_of(name: &str) -> &str {
    name.split_once('/').map_or("", |(db, _)| db)
}

/// The table of a table's AWS name, `<database>/<table>`.
fn table_of(name: &str) -> &str {
    name.split_once('/').map_or(name, |(_, t)| t)
}

/// Builds `[table.NAME]` from the stream it reads.
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &TableSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Table, name);
    let stream = b.reference(&key.at("stream"), &s.stream, Kind::Firehose)?;
    let Some(Resource { spec: super::Spec::Firehose(f), .. }) = b.built(&stream) else { return None };
    let prefix = f.prefix.clone();
    let bucket = super::arn_resource(&f.bucket_arn, "s3").unwrap_or_default().to_string();
    let since = s.since.as_deref().unwrap_or(DEFAULT_SINCE);
    let Ok(since) = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d") else {
        b.report(
            Diagnostic::error(Rule::T3, key.at("since"), format!("{since:?} is not a day"))
                .with_help("since = \"2024-01-01\""),
        );
        return None;
    };
    let projection = match project(&prefix, &bucket, &s.partition, since) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                let (at, message) = match &e.partition {
                    Some(p) => (key.at("partition").at(p), e.message),
                    None => (key.at("stream"), format!("{stream}'s prefix: {}", e.message)),
                };
                b.report(Diagnostic::error(e.rule, at, message).with_help(e.help));
            }
            return None;
        }
    };
    // The objects are what the stream writes: JSON, or Parquet or ORC when it converts.
    let output = f.format_conversion.as_ref().map(|c| c.serializer.output());
    let [serde, input_format, output_format] = match output {
        Some("parquet") => PARQUET_FORMATS,
        Some(_) => ORC_FORMATS,
        None => [JSON_SERDE, INPUT_FORMAT, OUTPUT_FORMAT],
    };
    // A stream reading its schema from this table waits for it: the table does not wait for
    // the stream then (Glue needs nothing of the stream).
    let schema_of_stream = f.format_conversion.as_ref().is_some_and(|c| c.table.as_ref() == Some(&address));
    let mut parameters = BTreeMap::from([
        ("classification".to_string(), output.unwrap_or("json").to_string()),
        ("EXTERNAL".to_string(), "TRUE".to_string()),
        ("projection.enabled".to_string(), "true".to_string()),
        ("storage.location.template".to_string(), projection.template.clone()),
    ]);
    for c in &projection.columns {
        c.parameters(&mut parameters);
    }
    let all_tags = b.tags(&address);
    let tags: Tags =
        all_tags.into_iter().filter(|(k, _)| k == OWNER_TAG || k == ADDRESS_TAG || k == HOME_TAG).collect();
    let spec = TableSpec {
        name: format!("{}/{}", b.text(&key.at("database"), &s.database), b.text(&key.at("name"), &s.name)),
        location: projection.location,
        columns: s.columns.iter().map(|(k, v)| (k.clone(), v.trim().to_ascii_lowercase())).collect(),
        partition_keys: projection.columns.iter().map(|c| (c.column.clone(), c.column_type().to_string())).collect(),
        parameters,
        serde: serde.into(),
        input_format: input_format.into(),
        output_format: output_format.into(),
        tags,
        stream: Some(stream.clone()),
    };
    Some(b.resource(
        address,
        spec.into(),
        if schema_of_stream { vec![] } else { vec![stream] },
        s.prevent_destroy,
        None,
    ))
}

/// Athena's rule for database, table and column names: lowercase letters, digits, `_`.
fn athena_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Athena column types (Hive DDL): primitives, and `array<>`, `map<>`, `struct<>` of them.
fn athena_type(t: &str) -> bool {
    let t = t.trim();
    let primitive = [
        "boolean",
        "tinyint",
        "smallint",
        "int",
        "integer",
        "bigint",
        "float",
        "double",
        "string",
        "binary",
        "date",
        "timestamp",
    ];
    if primitive.contains(&t) {
        return true;
    }
    let sized = |name: &str| {
        t.strip_prefix(name)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .is_some_and(|args| args.split(',').all(|a| a.trim().parse::<u32>().is_ok()))
    };
    if sized("decimal") || sized("char") || sized("varchar") {
        return true;
    }
    let inner = |name: &str| t.strip_prefix(name).and_then(|r| r.strip_prefix('<')).and_then(|r| r.strip_suffix('>'));
    if let Some(of) = inner("array") {
        return athena_type(of);
    }
    // map<K,V> and struct<a:T,...>: split at top-level commas.
    let top_level = |s: &str| {
        let (mut depth, mut start, mut items) = (0, 0, Vec::new());
        for (i, c) in s.char_indices() {
            match c {
                '<' | '(' => depth += 1,
                '>' | ')' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(s[start..i].to_string());
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(s[start..].to_string());
        items
    };
    if let Some(kv) = inner("map") {
        let items = top_level(kv);
        return items.len() == 2 && items.iter().all(|i| athena_type(i));
    }
    if let Some(fields) = inner("struct") {
        return top_level(fields)
            .iter()
            .all(|f| f.split_once(':').is_some_and(|(name, ty)| athena_name(name.trim()) && athena_type(ty)));
    }
    false
}

/// Rules T1 (names) and T4-T5 (columns) of a built table.
pub(crate) fn check(t: &TableSpec, site: &CheckSite<'_, TableSection>, out: &mut Vec<Diagnostic>) {
    let key = &site.key();
    let names = [("database", t.database()), ("name", t.table())];
    for (field, name) in names {
        if !athena_name(name) {
            out.push(
                Diagnostic::error(Rule::T1, key.at(field), format!("{name:?} is not a name Athena can query"))
                    .with_help("1 to 255 of lowercase letters, digits and _"),
            );
        }
    }
    if t.columns.is_empty() {
        out.push(
            Diagnostic::error(Rule::T4, key.at("columns"), "a table needs the record's columns")
                .with_help("`provision preview --columns` infers them from sample records, e.g. columns = { customer_id = \"string\" }"),
        );
    }
    for (column, ty) in &t.columns {
        let at = key.at("columns").at(column);
        if !athena_name(column) || column.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(
                Diagnostic::error(Rule::T1, &at, format!("{column:?} is not a column name Athena can query"))
                    .with_help("lowercase letters, digits and _, not starting with a digit"),
            );
        }
        if !athena_type(ty) {
            out.push(
                Diagnostic::error(Rule::T4, &at, format!("{ty:?} is not an Athena column type"))
                    .with_help("string, bigint, int, double, boolean, timestamp, date, decimal(P,S), array<T>, map<K,V>, struct<a:T,...>"),
            );
        }
        if t.partition_keys.iter().any(|(p, _)| p == column) {
            out.push(
                Diagnostic::error(Rule::T5, &at, format!("`{column}` is also a partition column of the prefix"))
                    .with_help("a column is either in the records or in the prefix: remove it from columns"),
            );
        }
    }
}

impl KindSpec for TableSpec {
    fn listed_in(&self) -> Option<&str> {
        Some(self.database())
    }

    fn attributes(&self) -> Attributes {
        let TableSpec {
            name,
            location,
            columns,
            partition_keys,
            parameters,
            serde,
            input_format,
            output_format,
            tags: _,
            stream: _,
        } = self;
        let pairs = |v: &[(String, String)]| json!(v.iter().map(|(n, t)| format!("{n} {t}")).collect::<Vec<_>>());
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "location", json!(location));
        push(&mut a, "columns", pairs(columns));
        push(&mut a, "partition_keys", pairs(partition_keys));
        for (k, v) in parameters {
            push(&mut a, &format!("parameters.{k}"), json!(v));
        }
        push(&mut a, "serde", json!(serde));
        push(&mut a, "input_format", json!(input_format));
        push(&mut a, "output_format", json!(output_format));
        a
    }

    fn replaces(&self, _key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        // `name` (database/table) is the only thing Glue cannot change in place.
        None
    }
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[role.r]\ntrust = [\"firehose.amazonaws.com\"]\n[bucket.b]\nname = \"generic-bucket\"\n\
           [firehose.f]\nname = \"generic-stream\"\nrole = \"role.r\"\nbucket = \"bucket.b\"\nprefix = \"data/\"\n\
           [table.t]\nname = \"events\"\ndatabase = \"generic\"\nstream = \"firehose.f\"\n\
           columns = { id = \"string\" }\n",
    address: "table.t",
    replaced: "[role.r]\ntrust = [\"firehose.amazonaws.com\"]\n[bucket.b]\nname = \"generic-bucket\"\n\
               [firehose.f]\nname = \"generic-stream\"\nrole = \"role.r\"\nbucket = \"bucket.b\"\nprefix = \"data/\"\n\
               [table.t]\nname = \"events\"\ndatabase = \"generic_2\"\nstream = \"firehose.f\"\n\
               columns = { id = \"string\" }\n",
    drift: drift!(Table, |t| t.columns.push(("added".into(), "string".into()))),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types_are_checked_for_athena() {
        for good in
            ["string", "bigint", "decimal(10,2)", "array<string>", "map<string,int>", "struct<a:int,b:array<string>>"]
        {
            assert!(athena_type(good), "{good}");
        }
        for bad in ["text", "varchar", "array<text>", "map<string>", "struct<A:int>", ""] {
            assert!(!athena_type(bad), "{bad}");
        }
        assert!(athena_name("firehose_dp") && !athena_name("Firehose-DP") && !athena_name(""));
    }
}
