//! `[firehose.NAME.format_conversion]`: record format conversion (JSON to Parquet or ORC) through
//! a `[table]` of the stack, as Firehose's DataFormatConversionConfiguration takes it: a
//! deserializer (OpenX or Hive JSON SerDe), the table as the schema, a serializer (Parquet or ORC
//! SerDe). Every option is filled with AWS's default when left out, so the stream is sent every
//! field and the plan after an apply is clean. Rules C1-C7 (`docs/src/rules.md`).

use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::Address;
use crate::model::{FirehoseSpec, Resource, Spec, Stack};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `[firehose.NAME.format_conversion]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormatConversionSection {
    /// The schema: `table.NAME`, a table of this stack whose `stream` is this stream (rule C1).
    pub table: String,
    /// `parquet` or `orc`.
    pub output: String,
    /// The serializer's compression (the stream's own `compression` must be `UNCOMPRESSED`: rule
    /// C3). Parquet: `UNCOMPRESSED`, `GZIP`, `SNAPPY`; ORC: `NONE`, `ZLIB`, `SNAPPY`.
    #[schemars(extend("default" = "SNAPPY"))]
    pub compression: Option<String>,
    /// `openx` (OpenX JSON SerDe) or `hive` (Apache Hive JSON SerDe).
    #[schemars(extend("default" = "openx"))]
    pub deserializer: Option<String>,
    /// OpenX: JSON keys lowercased before matching columns.
    #[schemars(extend("default" = true))]
    pub case_insensitive: Option<bool>,
    /// OpenX: dots in JSON keys become underscores (`a.b` fills column `a_b`).
    #[schemars(extend("default" = false))]
    pub convert_dots_in_json_keys_to_underscores: Option<bool>,
    /// OpenX: column -> JSON key, for keys that are not column names (`{ ts = "timestamp" }`).
    #[serde(default)]
    pub column_to_json_key_mappings: BTreeMap<String, String>,
    /// Hive: Joda-Time patterns of the records' timestamps, or `millis` (epoch milliseconds);
    /// none: `yyyy-MM-dd HH:mm:ss[.fffffffff]`.
    #[serde(default)]
    pub timestamp_formats: Vec<String>,
    /// Parquet and ORC: the HDFS block size, at least 64 MiB.
    #[schemars(extend("default" = PARQUET_BLOCK_SIZE))]
    pub block_size_bytes: Option<i32>,
    /// Parquet: page size, at least 64 KiB.
    #[schemars(extend("default" = PAGE_SIZE))]
    pub page_size_bytes: Option<i32>,
    /// Parquet: dictionary compression.
    #[schemars(extend("default" = false))]
    pub enable_dictionary_compression: Option<bool>,
    /// Parquet: padding to block boundaries, at most this many bytes.
    #[schemars(extend("default" = 0))]
    pub max_padding_bytes: Option<i32>,
    /// Parquet: V1 or V2.
    #[schemars(extend("default" = "V1"))]
    pub writer_version: Option<String>,
    /// ORC: stripe size, at least 8 MiB.
    #[schemars(extend("default" = STRIPE_SIZE))]
    pub stripe_size_bytes: Option<i32>,
    /// ORC: rows between index entries, at least 1,000.
    #[schemars(extend("default" = ROW_INDEX_STRIDE))]
    pub row_index_stride: Option<i32>,
    /// ORC: pad stripes to block boundaries.
    #[schemars(extend("default" = false))]
    pub enable_padding: Option<bool>,
    /// ORC: padding tolerance, 0 to 1.
    #[schemars(extend("default" = 0.05))]
    pub padding_tolerance: Option<f64>,
    /// ORC: columns with a Bloom filter.
    #[serde(default)]
    pub bloom_filter_columns: Vec<String>,
    /// ORC: the Bloom filters' false positive probability, 0 to 1.
    #[schemars(extend("default" = 0.05))]
    pub bloom_filter_false_positive_probability: Option<f64>,
    /// ORC: dictionary key threshold, 0 to 1.
    #[schemars(extend("default" = 0.0))]
    pub dictionary_key_threshold: Option<f64>,
    /// ORC: V0_11 or V0_12.
    #[schemars(extend("default" = "V0_12"))]
    pub format_version: Option<String>,
}

/// AWS's defaults (API reference: ParquetSerDe, OrcSerDe, OpenXJsonSerDe).
const PARQUET_BLOCK_SIZE: i32 = 256 * MIB;
const PAGE_SIZE: i32 = MIB;
const STRIPE_SIZE: i32 = 64 * MIB;
const ROW_INDEX_STRIDE: i32 = 10_000;
const MIB: i32 = 1024 * 1024;

/// How records are read: OpenX or Hive JSON SerDe.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Deserializer {
    OpenX {
        case_insensitive: bool,
        #[serde(rename = "convert_dots_in_json_keys_to_underscores")]
        convert_dots: bool,
        #[serde(rename = "column_to_json_key_mappings")]
        mappings: BTreeMap<String, String>,
    },
    Hive {
        timestamp_formats: Vec<String>,
    },
}

/// How they are written: Parquet or ORC SerDe, every option explicit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Serializer {
    Parquet {
        compression: String,
        block_size_bytes: i32,
        page_size_bytes: i32,
        enable_dictionary_compression: bool,
        max_padding_bytes: i32,
        writer_version: String,
    },
    Orc {
        compression: String,
        stripe_size_bytes: i32,
        block_size_bytes: i32,
        row_index_stride: i32,
        enable_padding: bool,
        padding_tolerance: f64,
        bloom_filter_columns: Vec<String>,
        bloom_filter_false_positive_probability: f64,
        dictionary_key_threshold: f64,
        format_version: String,
    },
}

/// The Glue table the schema is read from (SchemaConfiguration; its role is the stream's).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Schema {
    pub catalog_id: String,
    pub database: String,
    pub table: String,
    pub region: String,
    /// Always `LATEST`.
    pub version_id: String,
}

/// A stream's record format conversion, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatConversion {
    pub schema: Schema,
    pub deserializer: Deserializer,
    pub serializer: Serializer,
    /// The `[table]` it reads (desired only: not compared).
    pub table: Option<Address>,
    /// The table's columns, (name, type) (desired only: for preview, not compared).
    pub columns: Vec<(String, String)>,
}

/// The version of the table Firehose reads: the latest (picked up when the stream is updated).
pub const LATEST: &str = "LATEST";

impl Serializer {
    /// `parquet` or `orc`.
    pub fn output(&self) -> &'static str {
        match self {
            Serializer::Parquet { .. } => "parquet",
            Serializer::Orc { .. } => "orc",
        }
    }
}

impl FormatConversion {
    /// As the plan compares and shows it: every field, local-only ones left out.
    pub fn to_json(&self) -> Value {
        json!({ "schema": self.schema, "deserializer": self.deserializer, "serializer": self.serializer })
    }

    /// A Parquet conversion through table `d.t`, read with the Hive JSON SerDe, for tests.
    #[cfg(test)]
    pub(crate) fn example() -> FormatConversion {
        FormatConversion {
            schema: Schema {
                catalog_id: "1".into(),
                database: "d".into(),
                table: "t".into(),
                region: "r".into(),
                version_id: LATEST.into(),
            },
            deserializer: Deserializer::Hive { timestamp_formats: vec![] },
            serializer: Serializer::Parquet {
                compression: "SNAPPY".into(),
                block_size_bytes: PARQUET_BLOCK_SIZE,
                page_size_bytes: PAGE_SIZE,
                enable_dictionary_compression: false,
                max_padding_bytes: 0,
                writer_version: "V1".into(),
            },
            table: None,
            columns: vec![],
        }
    }
}

/// What building needs from the table: its address, `database/table` and columns.
pub struct TableInfo<'a> {
    pub address: Address,
    pub database: &'a str,
    pub table: &'a str,
    pub columns: &'a [(String, String)],
}

/// Builds the conversion of a section (rules C4, C5), reporting problems at `key`.
pub fn build(
    key: &Position,
    s: &FormatConversionSection,
    table: Option<TableInfo<'_>>,
    catalog_id: &str,
    region: &str,
    report: &mut dyn FnMut(Diagnostic),
) -> FormatConversion {
    let output = s.output.to_ascii_lowercase();
    let mut out_of_range = Vec::new();
    let mut wrong_format = Vec::new();
    let deserializer = match s.deserializer.as_deref().unwrap_or("openx") {
        "hive" => {
            let openx_options = [
                ("case_insensitive", s.case_insensitive.is_some()),
                ("convert_dots_in_json_keys_to_underscores", s.convert_dots_in_json_keys_to_underscores.is_some()),
                ("column_to_json_key_mappings", !s.column_to_json_key_mappings.is_empty()),
            ];
            wrong_format
                .extend(openx_options.iter().filter(|(_, set)| *set).map(|(k, _)| (*k, "the OpenX deserializer")));
            Deserializer::Hive { timestamp_formats: s.timestamp_formats.clone() }
        }
        other => {
            if other != "openx" {
                report(
                    Diagnostic::error(Rule::C4, key.at("deserializer"), format!("unknown deserializer {other:?}"))
                        .with_help("openx (OpenX JSON SerDe) or hive (Apache Hive JSON SerDe)"),
                );
            }
            if !s.timestamp_formats.is_empty() {
                wrong_format.push(("timestamp_formats", "the Hive deserializer"));
            }
            Deserializer::OpenX {
                case_insensitive: s.case_insensitive.unwrap_or(true),
                convert_dots: s.convert_dots_in_json_keys_to_underscores.unwrap_or(false),
                mappings: s.column_to_json_key_mappings.clone(),
            }
        }
    };
    let compression = s.compression.clone().unwrap_or_else(|| "SNAPPY".into());
    let parquet_only = [
        ("page_size_bytes", s.page_size_bytes.is_some()),
        ("enable_dictionary_compression", s.enable_dictionary_compression.is_some()),
        ("max_padding_bytes", s.max_padding_bytes.is_some()),
        ("writer_version", s.writer_version.is_some()),
    ];
    let orc_only = [
        ("stripe_size_bytes", s.stripe_size_bytes.is_some()),
        ("row_index_stride", s.row_index_stride.is_some()),
        ("enable_padding", s.enable_padding.is_some()),
        ("padding_tolerance", s.padding_tolerance.is_some()),
        ("bloom_filter_columns", !s.bloom_filter_columns.is_empty()),
        ("bloom_filter_false_positive_probability", s.bloom_filter_false_positive_probability.is_some()),
        ("dictionary_key_threshold", s.dictionary_key_threshold.is_some()),
        ("format_version", s.format_version.is_some()),
    ];
    let block_size_bytes = s.block_size_bytes.unwrap_or(PARQUET_BLOCK_SIZE);
    if block_size_bytes < 64 * MIB {
        out_of_range.push(("block_size_bytes", "at least 67108864 (64 MiB)".to_string()));
    }
    let serializer = match output.as_str() {
        "orc" => {
            wrong_format.extend(parquet_only.iter().filter(|(_, set)| *set).map(|(k, _)| (*k, "Parquet output")));
            if !["NONE", "ZLIB", "SNAPPY"].contains(&compression.as_str()) {
                out_of_range.push(("compression", "NONE, ZLIB or SNAPPY for ORC".to_string()));
            }
            let stripe_size_bytes = s.stripe_size_bytes.unwrap_or(STRIPE_SIZE);
            if stripe_size_bytes < 8 * MIB {
                out_of_range.push(("stripe_size_bytes", "at least 8388608 (8 MiB)".into()));
            }
            let row_index_stride = s.row_index_stride.unwrap_or(ROW_INDEX_STRIDE);
            if row_index_stride < 1000 {
                out_of_range.push(("row_index_stride", "at least 1000".into()));
            }
            let fraction =
                |v: Option<f64>, default: f64, field: &'static str, out: &mut Vec<(&'static str, String)>| {
                    let v = v.unwrap_or(default);
                    if !(0.0..=1.0).contains(&v) {
                        out.push((field, "0 to 1".into()));
                    }
                    v
                };
            let padding_tolerance = fraction(s.padding_tolerance, 0.05, "padding_tolerance", &mut out_of_range);
            let fpp = fraction(
                s.bloom_filter_false_positive_probability,
                0.05,
                "bloom_filter_false_positive_probability",
                &mut out_of_range,
            );
            let dictionary_key_threshold =
                fraction(s.dictionary_key_threshold, 0.0, "dictionary_key_threshold", &mut out_of_range);
            let format_version = s.format_version.clone().unwrap_or_else(|| "V0_12".into());
            if !["V0_11", "V0_12"].contains(&format_version.as_str()) {
                out_of_range.push(("format_version", "V0_11 or V0_12".into()));
            }
            Serializer::Orc {
                compression,
                stripe_size_bytes,
                block_size_bytes,
                row_index_stride,
                enable_padding: s.enable_padding.unwrap_or(false),
                padding_tolerance,
                bloom_filter_columns: s.bloom_filter_columns.clone(),
                bloom_filter_false_positive_probability: fpp,
                dictionary_key_threshold,
                format_version,
            }
        }
        other => {
            if other != "parquet" {
                report(
                    Diagnostic::error(Rule::C4, key.at("output"), format!("unknown output format {:?}", s.output))
                        .with_help("parquet or orc"),
                );
            }
            wrong_format.extend(orc_only.iter().filter(|(_, set)| *set).map(|(k, _)| (*k, "ORC output")));
            if !["UNCOMPRESSED", "GZIP", "SNAPPY"].contains(&compression.as_str()) {
                out_of_range.push(("compression", "UNCOMPRESSED, GZIP or SNAPPY for Parquet".into()));
            }
            let page_size_bytes = s.page_size_bytes.unwrap_or(PAGE_SIZE);
            if page_size_bytes < 64 * 1024 {
                out_of_range.push(("page_size_bytes", "at least 65536 (64 KiB)".into()));
            }
            let max_padding_bytes = s.max_padding_bytes.unwrap_or(0);
            if max_padding_bytes < 0 {
                out_of_range.push(("max_padding_bytes", "0 or more".into()));
            }
            let writer_version = s.writer_version.clone().unwrap_or_else(|| "V1".into());
            if !["V1", "V2"].contains(&writer_version.as_str()) {
                out_of_range.push(("writer_version", "V1 or V2".into()));
            }
            Serializer::Parquet {
                compression,
                block_size_bytes,
                page_size_bytes,
                enable_dictionary_compression: s.enable_dictionary_compression.unwrap_or(false),
                max_padding_bytes,
                writer_version,
            }
        }
    };
    for (field, valid) in out_of_range {
        report(Diagnostic::error(Rule::C5, key.at(field), format!("{field} is out of range")).with_help(valid));
    }
    for (field, belongs) in wrong_format {
        report(
            Diagnostic::error(Rule::C4, key.at(field), format!("`{field}` is an option of {belongs}"))
                .with_help(format!("remove it, or choose {belongs}")),
        );
    }
    let columns = table.as_ref().map(|t| t.columns.to_vec()).unwrap_or_default();
    // Options naming columns name the table's (C5).
    if let Some(t) = &table {
        let known = |c: &str| t.columns.iter().any(|(name, _)| name == c);
        let names = |list: Vec<&String>, field: &str, report: &mut dyn FnMut(Diagnostic)| {
            for c in list.into_iter().filter(|c| !known(c)) {
                report(
                    Diagnostic::error(Rule::C5, key.at(field), format!("{c:?} is not a column of {}", t.address))
                        .with_help(format!(
                            "its columns: {}",
                            t.columns.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                );
            }
        };
        if let Serializer::Orc { bloom_filter_columns, .. } = &serializer {
            names(bloom_filter_columns.iter().collect(), "bloom_filter_columns", report);
        }
        if let Deserializer::OpenX { mappings, .. } = &deserializer {
            names(mappings.keys().collect(), "column_to_json_key_mappings", report);
        }
    }
    FormatConversion {
        schema: Schema {
            catalog_id: catalog_id.to_string(),
            database: table.as_ref().map(|t| t.database.to_string()).unwrap_or_default(),
            table: table.as_ref().map(|t| t.table.to_string()).unwrap_or_default(),
            region: region.to_string(),
            version_id: LATEST.into(),
        },
        deserializer,
        serializer,
        table: table.map(|t| t.address),
        columns,
    }
}

/// C1-C3, C6, C7: what record format conversion needs of the stream and its table (developer
/// guide, "Convert input data format"; API reference, DataFormatConversionConfiguration).
pub(crate) fn check(
    stream: &Address,
    f: &FirehoseSpec,
    c: &crate::model::kinds::conversion::FormatConversion,
    stack: &Stack,
    out: &mut Vec<Diagnostic>,
) {
    use crate::model::kinds::conversion::Deserializer;
    let key = Position::resource(stream);
    let at = key.at("format_conversion");
    let table = c.table.as_ref().and_then(|t| stack.get(t));
    if let Some(Resource { spec: Spec::Table(t), address, .. }) = table {
        let reads = t.stream.as_ref();
        if reads != Some(stream) {
            let what = reads.map_or("another stream".to_string(), |s| s.to_string());
            out.push(
                Diagnostic::error(
                    Rule::C1,
                    at.at("table"),
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
                        Rule::C6,
                        Position::resource(address).at("columns").at(column),
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
                Rule::C2,
                key.at("buffer_size_mb"),
                "record format conversion needs at least 64 MB of buffering",
            )
            .with_help("64 to 128"),
        );
    }
    if f.compression != "UNCOMPRESSED" {
        out.push(
            Diagnostic::error(
                Rule::C3,
                key.at("compression"),
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
                Rule::C7,
                key.at("file_extension"),
                format!("objects named {:?} will hold {output}", f.file_extension),
            )
            .with_help(format!("leave file_extension out (Firehose names them .{output}) or say .{output}")),
        );
    }
}
