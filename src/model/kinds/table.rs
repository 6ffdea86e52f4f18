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

use super::{push, Context, Kind, KindInfo, KindSpec, ReplaceRule};
use crate::defaults as d;
use crate::diagnostic::{did_you_mean, Diagnostic};
use crate::model::{Attr, Attributes, Environment, Resource, Tags, ADDRESS_TAG, OWNER_TAG};
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
    existing: None,
    // Glue publishes no per-action rate for Data Catalog calls: 10/s, adapted.
    rates: &[("Glue", 10.0)],
    forget_also: None,
    names: super::Names::Regional,
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

/// `[table.NAME]`: a Glue table over a stream's destination, queryable by Athena at once.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSection {
    /// One instance per key, addressed `kind.NAME[KEY]` (see [`crate::model::stack_file::ForEach`]).
    pub for_each: Option<crate::model::stack_file::ForEach>,
    /// The Region it lives in (default: its instance's, `[stack] region` in stack.toml); IAM
    /// roles are global in their account: the Region is that of their ownership tag.
    pub region: Option<String>,
    /// Table name: lowercase letters, digits and `_` (what Athena accepts).
    pub name: String,
    /// Glue database (lowercase letters, digits, `_`); created with the table when missing.
    pub database: String,
    /// The stream whose destination the table reads: `firehose.NAME`.
    pub stream: String,
    /// The record's columns and their Athena types, e.g. `{ customer_id = "string", amount = "double" }`;
    /// `provision preview --columns` infers them from sample records.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// How each partition key of the prefix is projected, by key: `{ type = "enum", values = [...] }`
    /// or `{ type = "integer", range = [1, 12], digits = 2 }`; default `injected` (queries name the value).
    #[serde(default)]
    pub partition: BTreeMap<String, PartitionSection>,
    /// The first day date projections cover (`YYYY-MM-DD`).
    #[schemars(extend("default" = DEFAULT_SINCE))]
    pub since: Option<String>,
    #[serde(default)]
    /// Refuse any plan that destroys or replaces this resource.
    pub prevent_destroy: bool,
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
        self.name.split_once('/').map_or("", |(db, _)| db)
    }

    /// The table's name within its database.
    pub fn table(&self) -> &str {
        self.name.split_once('/').map_or(self.name.as_str(), |(_, t)| t)
    }
}

/// One partition column and how Athena projects its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Projected {
    pub column: String,
    /// The prefix expression it stands for, as written.
    pub expression: String,
    pub projection: Projection,
}

/// Athena partition projection types.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Injected,
    Enum(Vec<String>),
    Integer { range: [i64; 2], digits: Option<u32> },
    Date { format: String, range: String, unit: &'static str },
}

impl Projected {
    /// The column's type.
    fn column_type(&self) -> &'static str {
        match self.projection {
            Projection::Integer { .. } => "int",
            _ => "string",
        }
    }

    /// The `projection.<column>.*` parameters.
    fn parameters(&self, out: &mut BTreeMap<String, String>) {
        let key = |k: &str| format!("projection.{}.{k}", self.column);
        match &self.projection {
            Projection::Injected => {
                out.insert(key("type"), "injected".into());
            }
            Projection::Enum(values) => {
                out.insert(key("type"), "enum".into());
                out.insert(key("values"), values.join(","));
            }
            Projection::Integer { range, digits } => {
                out.insert(key("type"), "integer".into());
                out.insert(key("range"), format!("{},{}", range[0], range[1]));
                if let Some(digits) = digits {
                    out.insert(key("digits"), digits.to_string());
                }
            }
            Projection::Date { format, range, unit } => {
                out.insert(key("type"), "date".into());
                out.insert(key("format"), format.clone());
                out.insert(key("range"), range.clone());
                out.insert(key("interval"), "1".into());
                out.insert(key("interval.unit"), (*unit).into());
            }
        }
    }
}

/// A prefix's projection: its partition columns and the location template.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixProjection {
    pub columns: Vec<Projected>,
    /// `s3://bucket/` + the prefix with each expression replaced by `${column}`.
    pub template: String,
    /// `s3://bucket/` + the prefix's literal start.
    pub location: String,
}

/// Why a prefix cannot be projected: the rule, the expression, what is wrong, what would do.
#[derive(Debug, Clone, PartialEq)]
pub struct Unprojectable {
    pub rule: &'static str,
    pub message: String,
    pub help: String,
    /// The partition declaration at fault, if one is.
    pub partition: Option<String>,
}

fn unprojectable(rule: &'static str, message: String, help: impl Into<String>) -> Unprojectable {
    Unprojectable { rule, message, help: help.into(), partition: None }
}

/// The projection of `prefix` (a stream's, as evaluated by Firehose) over `bucket`, with the
/// partition keys' declared projections and the first day dates cover (`since`, `YYYY-MM-DD`).
pub fn project(
    prefix: &str,
    bucket: &str,
    declared: &BTreeMap<String, PartitionSection>,
    since: chrono::NaiveDate,
) -> Result<PrefixProjection, Vec<Unprojectable>> {
    let parts = parse(prefix).map_err(|e| {
        vec![unprojectable("T2", format!("the prefix cannot be parsed: {}", e.message), "see rules P3-P5")]
    })?;
    let mut parts = parts;
    if !parts.iter().any(|p| matches!(p, Part::Expression { .. })) {
        // Firehose appends `yyyy/MM/dd/HH/` to a prefix without expressions (rule P17).
        parts.push(Part::Expression { namespace: "timestamp".into(), value: FIREHOSE_DEFAULT_PATTERN.into() });
        parts.push(Part::Literal("/".into()));
    }
    let mut errors = Vec::new();
    let mut columns: Vec<Projected> = Vec::new();
    let mut template = format!("s3://{bucket}/");
    let mut location = format!("s3://{bucket}/");
    let mut literal_start = true;
    for (i, part) in parts.iter().enumerate() {
        let (namespace, value) = match part {
            Part::Literal(text) => {
                template.push_str(text);
                if literal_start {
                    location.push_str(text);
                }
                continue;
            }
            Part::Expression { namespace, value } => (namespace.as_str(), value.as_str()),
        };
        literal_start = false;
        let expression = format!("!{{{namespace}:{value}}}");
        // The column is named by the Hive-style `name=` before the expression, else by the key.
        let hive_name = match i.checked_sub(1).map(|j| &parts[j]) {
            Some(Part::Literal(text)) => text.rsplit('/').next().and_then(|t| t.strip_suffix('=')).map(String::from),
            _ => None,
        };
        let projected = match namespace {
            "partitionKeyFromLambda" | "partitionKeyFromQuery" => {
                let column = hive_name.unwrap_or_else(|| value.to_string());
                declared_projection(value, declared.get(value))
                    .map_err(|e| Unprojectable { partition: Some(value.to_string()), ..e })
                    .map(|projection| Projected { column, expression: expression.clone(), projection })
            }
            "timestamp" => timestamp_projection(value, since).map(|projection| Projected {
                column: hive_name.unwrap_or_else(|| "dt".into()),
                expression: expression.clone(),
                projection,
            }),
            _ => Err(unprojectable(
                "T2",
                format!("`{expression}` cannot be projected: its value is not known before it is written"),
                "a table over this stream needs a prefix of partition keys and timestamps only",
            )),
        };
        match projected {
            Ok(p) => {
                if columns.iter().any(|c| c.column == p.column) {
                    errors.push(unprojectable(
                        "T2",
                        format!("`{expression}` would be a second partition column `{}`", p.column),
                        "name each expression's column with a distinct `name=` before it",
                    ));
                }
                template.push_str(&format!("${{{}}}", p.column));
                columns.push(p);
            }
            Err(e) => errors.push(e),
        }
    }
    for key in declared.keys() {
        let used = columns.iter().any(|c| c.expression.ends_with(&format!(":{key}}}")));
        if !used {
            let keys = columns.iter().filter_map(|c| c.expression.split(':').nth(1)).map(|k| k.trim_end_matches('}'));
            let hint = did_you_mean(key, keys).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
            errors.push(Unprojectable {
                partition: Some(key.clone()),
                ..unprojectable(
                    "T3",
                    format!("partition `{key}` is not a partition key of the stream's prefix"),
                    format!("{hint}declare only keys the prefix uses as !{{partitionKeyFrom...:{key}}}"),
                )
            });
        }
    }
    if !template.ends_with('/') {
        errors.push(unprojectable(
            "T2",
            "the prefix does not end with `/`: object names run into the last partition value".into(),
            "end the stream's prefix with `/`",
        ));
    }
    // The location is the literal start up to its last `/`: a "directory".
    let location = location.rfind('/').map_or(location.clone(), |end| location[..=end].to_string());
    if errors.is_empty() {
        Ok(PrefixProjection { columns, template, location })
    } else {
        Err(errors)
    }
}

/// How a partition key is projected: as declared, `injected` by default.
fn declared_projection(key: &str, declared: Option<&PartitionSection>) -> Result<Projection, Unprojectable> {
    let Some(p) = declared else { return Ok(Projection::Injected) };
    let what = |message: String, help: &str| Err(unprojectable("T3", message, help));
    match p.kind.as_deref().unwrap_or("injected") {
        "injected" => Ok(Projection::Injected),
        "enum" if p.values.is_empty() => {
            what(format!("partition `{key}`: an enum needs its `values`"), "values = [\"a\", \"b\"]")
        }
        "enum" if p.values.iter().any(|v| v.is_empty() || v.contains(',')) => {
            what(format!("partition `{key}`: enum values are not empty and hold no `,`"), "values = [\"a\", \"b\"]")
        }
        "enum" => Ok(Projection::Enum(p.values.clone())),
        "integer" => match p.range {
            Some([lo, hi]) if lo <= hi && p.digits.is_none_or(|d| (1..=18).contains(&d)) => {
                Ok(Projection::Integer { range: [lo, hi], digits: p.digits })
            }
            _ => what(
                format!("partition `{key}`: an integer projection needs `range = [LOW, HIGH]` with LOW <= HIGH"),
                "range = [1, 12], digits = 2",
            ),
        },
        other => what(
            format!("partition `{key}`: unknown projection type {other:?}"),
            "type is injected (default), enum (with values) or integer (with range)",
        ),
    }
}

/// How a timestamp part is projected: a lone month, day, hour, minute or second as a zero-padded
/// integer over its natural range; anything else (a year, several fields) as a date.
fn timestamp_projection(pattern: &str, since: chrono::NaiveDate) -> Result<Projection, Unprojectable> {
    let natural = [("MM", 1, 12), ("dd", 1, 31), ("HH", 0, 23), ("mm", 0, 59), ("ss", 0, 59)];
    if let Some((_, lo, hi)) = natural.iter().find(|(p, _, _)| *p == pattern) {
        return Ok(Projection::Integer { range: [*lo, *hi], digits: Some(2) });
    }
    let mut unit = None;
    let mut letters = pattern.chars().peekable();
    let mut quoted = false;
    while let Some(c) = letters.next() {
        if c == '\'' {
            quoted = !quoted;
            continue;
        }
        if quoted || !c.is_ascii_alphabetic() {
            continue;
        }
        let mut count = 1;
        while letters.peek() == Some(&c) {
            letters.next();
            count += 1;
        }
        let field_unit = match (c, count) {
            ('y', 4) => "YEARS",
            ('M', 2) => "MONTHS",
            ('d', 2) => "DAYS",
            ('H', 2) => "HOURS",
            ('m', 2) => "MINUTES",
            ('s', 2) => "SECONDS",
            _ => {
                return Err(unprojectable(
                    "T2",
                    format!(
                        "`!{{timestamp:{pattern}}}` cannot be projected: `{}` is not a fixed-width number",
                        c.to_string().repeat(count)
                    ),
                    "use yyyy, MM, dd, HH, mm, ss and separators",
                ))
            }
        };
        let finer = |u: &str| ["YEARS", "MONTHS", "DAYS", "HOURS", "MINUTES", "SECONDS"].iter().position(|x| *x == u);
        if unit.is_none_or(|u| finer(field_unit) > finer(u)) {
            unit = Some(field_unit);
        }
    }
    let unit = unit.ok_or_else(|| {
        unprojectable(
            "T2",
            format!("`!{{timestamp:{pattern}}}` has no date or time field to project"),
            "use yyyy, MM, dd, HH, mm, ss",
        )
    })?;
    let start = since.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default();
    let first = crate::prefix::timefmt::format(pattern, start)
        .map_err(|e| unprojectable("T2", format!("`!{{timestamp:{pattern}}}`: {}", e.0), "see rule P6"))?;
    Ok(Projection::Date { format: pattern.to_string(), range: format!("{first},NOW"), unit })
}

/// Builds `[table.NAME]` from the stream it reads.
pub(crate) fn build(b: &mut dyn Context<'_>, name: &str, s: &TableSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Table, name);
    let stream = b.reference(&format!("{key}.stream"), &s.stream, Kind::Firehose)?;
    let Some(Resource { spec: super::Spec::Firehose(f), .. }) = b.built(&stream) else { return None };
    let prefix = f.prefix.clone();
    let bucket = super::arn_resource(&f.bucket_arn, "s3").unwrap_or_default().to_string();
    let since = s.since.as_deref().unwrap_or(DEFAULT_SINCE);
    let Ok(since) = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d") else {
        b.report(
            Diagnostic::error("T3", format!("{key}.since"), format!("{since:?} is not a day"))
                .with_help("since = \"2024-01-01\""),
        );
        return None;
    };
    let projection = match project(&prefix, &bucket, &s.partition, since) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                let (at, message) = match &e.partition {
                    Some(p) => (format!("{key}.partition.{p}"), e.message),
                    None => (format!("{key}.stream"), format!("{stream}'s prefix: {}", e.message)),
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
    let tags: Tags = all_tags.into_iter().filter(|(k, _)| k == OWNER_TAG || k == ADDRESS_TAG).collect();
    let spec = TableSpec {
        name: format!(
            "{}/{}",
            b.text(&format!("{key}.database"), &s.database),
            b.text(&format!("{key}.name"), &s.name)
        ),
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
    Some(Resource {
        address,
        prevent_destroy: s.prevent_destroy,
        wait_timeout: Kind::Table.default_wait(),
        depends_on: if schema_of_stream { vec![] } else { vec![stream] },
        spec: spec.into(),
        location: b.location(),
    })
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

/// Columns inferred from JSON documents, for `preview --columns`.
#[derive(Debug, Default, PartialEq)]
pub struct Inferred {
    /// Column name (lowercased: the JSON SerDe matches keys case-insensitively) and type.
    pub columns: BTreeMap<String, String>,
    /// Keys that are not column names Athena can query.
    pub skipped: Vec<String>,
}

/// What JSON values of one place look like, merged over every document.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Boolean,
    Integer,
    Decimal,
    Text,
    /// An array, with the shape of its items (`None`: only empty arrays seen).
    Array(Option<Box<Shape>>),
    Object(BTreeMap<String, Shape>),
}

impl Shape {
    /// The shape of a value; `None` for null (no evidence).
    fn of(value: &serde_json::Value) -> Option<Shape> {
        use serde_json::Value;
        Some(match value {
            Value::Null => return None,
            Value::Bool(_) => Shape::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Shape::Integer,
            Value::Number(_) => Shape::Decimal,
            Value::String(_) => Shape::Text,
            Value::Array(items) => Shape::Array(items.iter().filter_map(Shape::of).reduce(Shape::merge).map(Box::new)),
            Value::Object(map) => {
                let mut fields: BTreeMap<String, Shape> = BTreeMap::new();
                for (k, v) in map {
                    let (k, Some(shape)) = (k.to_ascii_lowercase(), Shape::of(v)) else { continue };
                    if athena_name(&k) {
                        let merged = match fields.remove(&k) {
                            Some(old) => old.merge(shape),
                            None => shape,
                        };
                        fields.insert(k, merged);
                    }
                }
                Shape::Object(fields)
            }
        })
    }

    /// One shape for two observations: the same, a decimal for integers and decimals, arrays
    /// and objects merged inside, else text.
    fn merge(self, other: Shape) -> Shape {
        match (self, other) {
            (a, b) if a == b => a,
            (Shape::Integer, Shape::Decimal) | (Shape::Decimal, Shape::Integer) => Shape::Decimal,
            (Shape::Array(a), Shape::Array(b)) => Shape::Array(match (a, b) {
                (Some(a), Some(b)) => Some(Box::new(a.merge(*b))),
                (a, b) => a.or(b),
            }),
            (Shape::Object(mut a), Shape::Object(b)) => {
                for (k, shape) in b {
                    let merged = match a.remove(&k) {
                        Some(old) => old.merge(shape),
                        None => shape,
                    };
                    a.insert(k, merged);
                }
                Shape::Object(a)
            }
            _ => Shape::Text,
        }
    }

    /// The Athena type.
    fn athena(&self) -> String {
        match self {
            Shape::Boolean => "boolean".into(),
            Shape::Integer => "bigint".into(),
            Shape::Decimal => "double".into(),
            Shape::Text => "string".into(),
            Shape::Array(of) => format!("array<{}>", of.as_ref().map_or("string".into(), |s| s.athena())),
            Shape::Object(fields) if fields.is_empty() => "string".into(),
            Shape::Object(fields) => {
                format!(
                    "struct<{}>",
                    fields.iter().map(|(k, s)| format!("{k}:{}", s.athena())).collect::<Vec<_>>().join(",")
                )
            }
        }
    }
}

/// The columns of JSON documents: each top-level key of an object, typed by its values.
pub fn infer_columns(documents: &[serde_json::Value]) -> Inferred {
    let mut shapes: BTreeMap<String, Option<Shape>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for doc in documents {
        let serde_json::Value::Object(map) = doc else { continue };
        for (key, value) in map {
            let column = key.to_ascii_lowercase();
            if !athena_name(&column) || column.starts_with(|c: char| c.is_ascii_digit()) {
                if !skipped.contains(key) {
                    skipped.push(key.clone());
                }
                continue;
            }
            let seen = shapes.remove(&column).flatten();
            let merged = match (seen, Shape::of(value)) {
                (Some(old), Some(new)) => Some(old.merge(new)),
                (old, new) => old.or(new),
            };
            shapes.insert(column, merged);
        }
    }
    let columns = shapes.into_iter().map(|(k, s)| (k, s.map_or("string".into(), |s| s.athena()))).collect();
    Inferred { columns, skipped }
}

/// Rules T1 (names) and T4-T5 (columns) of a built table.
pub(crate) fn check(
    t: &TableSpec,
    at: &crate::model::Address,
    _written: Option<&TableSection>,
    _stack: &crate::model::Stack,
    out: &mut Vec<Diagnostic>,
) {
    let key = &at.to_string();
    let names = [("database", t.database()), ("name", t.table())];
    for (field, name) in names {
        if !athena_name(name) {
            out.push(
                Diagnostic::error("T1", format!("{key}.{field}"), format!("{name:?} is not a name Athena can query"))
                    .with_help("1 to 255 of lowercase letters, digits and _"),
            );
        }
    }
    if t.columns.is_empty() {
        out.push(
            Diagnostic::error("T4", format!("{key}.columns"), "a table needs the record's columns")
                .with_help("`provision preview --columns` infers them from sample records, e.g. columns = { customer_id = \"string\" }"),
        );
    }
    for (column, ty) in &t.columns {
        let at = format!("{key}.columns.{column}");
        if !athena_name(column) || column.starts_with(|c: char| c.is_ascii_digit()) {
            out.push(
                Diagnostic::error("T1", &at, format!("{column:?} is not a column name Athena can query"))
                    .with_help("lowercase letters, digits and _, not starting with a digit"),
            );
        }
        if !athena_type(ty) {
            out.push(
                Diagnostic::error("T4", &at, format!("{ty:?} is not an Athena column type"))
                    .with_help("string, bigint, int, double, boolean, timestamp, date, decimal(P,S), array<T>, map<K,V>, struct<a:T,...>"),
            );
        }
        if t.partition_keys.iter().any(|(p, _)| p == column) {
            out.push(
                Diagnostic::error("T5", &at, format!("`{column}` is also a partition column of the prefix"))
                    .with_help("a column is either in the records or in the prefix: remove it from columns"),
            );
        }
    }
}

impl KindSpec for TableSpec {
    fn listed_in(&self) -> Option<&str> {
        Some(self.database())
    }

    fn logs(&self) -> Option<(String, Option<String>)> {
        None
    }

    fn source_dir(&self) -> Option<&std::path::Path> {
        None
    }

    fn arn(&self, env: &Environment) -> String {
        env.table_arn(self.database(), self.table())
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
    drift: |spec| {
        if let super::Spec::Table(t) = spec {
            t.columns.push(("added".into(), "string".into()));
        }
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{stack, DEFAULT_STACK};

    fn since() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    }

    fn columns(p: &PrefixProjection) -> Vec<(&str, &Projection)> {
        p.columns.iter().map(|c| (c.column.as_str(), &c.projection)).collect()
    }

    #[test]
    fn the_default_stacks_prefix_projects_six_columns_into_its_template() {
        let text = format!(
            "{DEFAULT_STACK}\n[table.events]\nname = \"events\"\ndatabase = \"firehose_dp\"\nstream = \"firehose.events\"\n\
             columns = {{ customer_id = \"string\", amount = \"double\" }}\n"
        );
        let s = stack(&text);
        let table = s
            .resources
            .iter()
            .find_map(|r| match &r.spec {
                super::super::Spec::Table(t) => Some(t),
                _ => None,
            })
            .unwrap();
        let bucket = crate::testing::BUCKET;
        assert_eq!(
            table.parameters["storage.location.template"],
            format!("s3://{bucket}/region=${{region}}/device=${{device}}/year=${{year}}/month=${{month}}/day=${{day}}/hour=${{hour}}/")
        );
        let keys: Vec<&str> = table.partition_keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["region", "device", "year", "month", "day", "hour"]);
        assert_eq!(table.parameters["projection.device.type"], "injected");
        assert_eq!(table.parameters["projection.enabled"], "true");
        assert_eq!(table.location, format!("s3://{bucket}/"));
        assert_eq!(table.serde, JSON_SERDE);
        assert_eq!(table.name, "firehose_dp/events");
        // Ownership markers only: Glue keeps them as parameters.
        assert_eq!(table.tags.keys().collect::<Vec<_>>(), [ADDRESS_TAG, OWNER_TAG]);
    }

    #[test]
    fn timestamps_project_as_integers_or_dates_and_keys_as_declared() {
        let declared = BTreeMap::from([(
            "region".to_string(),
            PartitionSection {
                kind: Some("enum".into()),
                values: vec!["eu".into(), "us".into()],
                range: None,
                digits: None,
            },
        )]);
        let p = project(
            "logs/region=!{partitionKeyFromQuery:region}/!{timestamp:yyyy/MM/dd}/hour=!{timestamp:HH}/",
            "b",
            &declared,
            since(),
        )
        .unwrap();
        assert_eq!(p.template, "s3://b/logs/region=${region}/${dt}/hour=${hour}/");
        assert_eq!(p.location, "s3://b/logs/");
        assert_eq!(
            columns(&p),
            [
                ("region", &Projection::Enum(vec!["eu".into(), "us".into()])),
                ("dt", &Projection::Date { format: "yyyy/MM/dd".into(), range: "2024/01/01,NOW".into(), unit: "DAYS" }),
                ("hour", &Projection::Integer { range: [0, 23], digits: Some(2) }),
            ]
        );
        // A prefix without expressions: Firehose appends yyyy/MM/dd/HH/.
        let p = project("raw/", "b", &BTreeMap::new(), since()).unwrap();
        assert_eq!(p.template, "s3://b/raw/${dt}/");
        assert!(matches!(&p.columns[0].projection, Projection::Date { unit: "HOURS", .. }));
    }

    #[test]
    fn what_cannot_be_projected_is_named() {
        let rule_and_message = |prefix: &str, declared: &BTreeMap<String, PartitionSection>| {
            project(prefix, "b", declared, since())
                .unwrap_err()
                .into_iter()
                .map(|e| (e.rule, e.message))
                .collect::<Vec<_>>()
        };
        let random = rule_and_message("x/!{firehose:random-string}/", &BTreeMap::new());
        assert_eq!(random[0].0, "T2");
        assert!(random[0].1.contains("`!{firehose:random-string}` cannot be projected"), "{random:?}");
        let month_name = rule_and_message("m=!{timestamp:MMM}/", &BTreeMap::new());
        assert!(month_name[0].1.contains("`MMM` is not a fixed-width number"), "{month_name:?}");
        let open_end = rule_and_message("k=!{partitionKeyFromQuery:k}", &BTreeMap::new());
        assert!(open_end[0].1.contains("does not end with `/`"), "{open_end:?}");
        let twice = rule_and_message("a=!{partitionKeyFromQuery:x}/a=!{partitionKeyFromQuery:y}/", &BTreeMap::new());
        assert!(twice[0].1.contains("second partition column `a`"), "{twice:?}");
        let unknown = BTreeMap::from([(
            "regoin".to_string(),
            PartitionSection { kind: Some("enum".into()), values: vec!["a".into()], range: None, digits: None },
        )]);
        let typo = rule_and_message("region=!{partitionKeyFromQuery:region}/", &unknown);
        assert_eq!(typo[0].0, "T3");
        assert!(typo[0].1.contains("`regoin` is not a partition key"), "{typo:?}");
        let bad = BTreeMap::from([(
            "k".to_string(),
            PartitionSection { kind: Some("integer".into()), values: vec![], range: Some([5, 1]), digits: None },
        )]);
        assert_eq!(rule_and_message("k=!{partitionKeyFromQuery:k}/", &bad)[0].0, "T3");
    }

    #[test]
    fn columns_are_inferred_from_json_documents() {
        let docs: Vec<serde_json::Value> = [
            r#"{"customerId": "a", "amount": 3, "tags": ["x"], "geo": {"lat": 1.5}, "bad-key": 1, "note": null}"#,
            r#"{"customerId": "b", "amount": 2.5, "tags": [], "geo": {"lat": 2}, "note": 7}"#,
        ]
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect();
        let inferred = infer_columns(&docs);
        let got: Vec<(&str, &str)> = inferred.columns.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("amount", "double"),
                ("customerid", "string"),
                ("geo", "struct<lat:double>"),
                ("note", "bigint"),
                ("tags", "array<string>")
            ]
        );
        assert_eq!(inferred.skipped, ["bad-key"]);
        assert!(inferred.columns.values().all(|t| athena_type(t)), "every inferred type is one Athena takes");
    }

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
