//! Every default, in one place: used by the config builder, the AWS readers (for what AWS leaves
//! out of an answer) and the JSON Schema (so editors show them).

/// `[lambda.*] memory_mb`.
pub const LAMBDA_MEMORY_MB: i32 = 128;
/// `[lambda.*] timeout_seconds`.
pub const LAMBDA_TIMEOUT_SECONDS: i32 = 3;
/// `[lambda.*] wait_timeout_seconds`.
pub const LAMBDA_WAIT_SECONDS: u64 = 300;

/// `[firehose.*] buffer_size_mb`.
pub const BUFFER_SIZE_MB: i32 = 5;
/// Buffer size of a stream that converts records to Parquet or ORC, in MB (Firehose's default then).
pub const CONVERSION_BUFFER_SIZE_MB: i32 = 128;
/// `[firehose.*] buffer_interval_seconds`.
pub const BUFFER_INTERVAL_SECONDS: i32 = 300;
/// `[firehose.*] dynamic_partitioning_retry_seconds`.
pub const DYNAMIC_PARTITIONING_RETRY_SECONDS: i32 = 300;
/// `[firehose.*] compression`.
pub const COMPRESSION: &str = "UNCOMPRESSED";
/// `[firehose.*] log_stream`.
pub const LOG_STREAM: &str = "DestinationDelivery";
/// `[firehose.*] wait_timeout_seconds`.
pub const FIREHOSE_WAIT_SECONDS: u64 = 1200;
/// How long apply waits for other kinds (buckets, roles, log groups) by default.
pub const OTHER_WAIT_SECONDS: u64 = 300;

/// Lambda processor `retries` (NumberOfRetries).
pub const PROCESSOR_RETRIES: i32 = 3;
/// Lambda processor `buffer_size_mb` (BufferSizeInMBs).
pub const PROCESSOR_BUFFER_SIZE_MB: f64 = 1.0;
/// Lambda processor `buffer_interval_seconds` (BufferIntervalInSeconds).
pub const PROCESSOR_BUFFER_INTERVAL_SECONDS: i32 = 60;
/// RecordDeAggregation `sub_record_type`.
pub const SUB_RECORD_TYPE: &str = "JSON";
/// MetadataExtraction `json_parsing_engine`.
pub const JSON_PARSING_ENGINE: &str = "JQ-1.6";

/// `[role.*] path` (documented default; built by [`crate::model::role_path`]).
pub const ROLE_PATH: &str = "/provision/<stack>/";
/// `[bucket.*] require_tls`.
pub const REQUIRE_TLS: bool = true;
/// `[lambda.*] publish`.
pub const PUBLISH: bool = true;
/// `[stack] lock`.
pub const LOCK: bool = true;
