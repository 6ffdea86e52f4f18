//! Firehose Direct PUT streams delivering to S3 (ExtendedS3 destination).
//! Every field is sent explicitly, on create and on update, so AWS fills in nothing behind our back.

use super::{sdk_error, sync_tags};
use crate::defaults;
use crate::error::has_code;
use crate::model::kinds::conversion::{Deserializer, FormatConversion, Schema, Serializer};
use crate::model::{FirehoseSpec, Live, Outputs, Param, Processor, S3Backup, Spec, Tags};
use crate::retry;
use anyhow::{anyhow, bail, Result};
use aws_sdk_firehose::types::{
    BufferingHints, CloudWatchLoggingOptions, CompressionFormat, DeliveryStreamStatus, DeliveryStreamType,
    DynamicPartitioningConfiguration, EncryptionConfiguration, ExtendedS3DestinationConfiguration,
    ExtendedS3DestinationDescription, ExtendedS3DestinationUpdate, KmsEncryptionConfig, NoEncryptionConfig,
    ProcessingConfiguration, Processor as AwsProcessor, ProcessorParameter, ProcessorParameterName, ProcessorType,
    RetryOptions, S3BackupMode, S3DestinationConfiguration, S3DestinationUpdate, Tag,
};
use aws_sdk_firehose::types::{
    DataFormatConversionConfiguration, Deserializer as AwsDeserializer, HiveJsonSerDe, InputFormatConfiguration,
    OpenXJsonSerDe, OrcCompression, OrcFormatVersion, OrcSerDe, OutputFormatConfiguration, ParquetCompression,
    ParquetSerDe, ParquetWriterVersion, SchemaConfiguration, Serializer as AwsSerializer,
};
use aws_sdk_firehose::Client;
use std::collections::BTreeMap;
use std::time::Duration;

/// The stream as described, with what UpdateDestination needs.
struct Described {
    arn: String,
    status: DeliveryStreamStatus,
    failure: Option<String>,
    version_id: String,
    destination_id: String,
    destination: Option<ExtendedS3DestinationDescription>,
}

async fn describe(client: &Client, name: &str) -> Result<Option<Described>> {
    let out = match client.describe_delivery_stream().delivery_stream_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(None),
        Err(e) => return Err(sdk_error(e)),
    };
    let d = out.delivery_stream_description().ok_or_else(|| anyhow!("no stream description"))?;
    let dest = d.destinations().first();
    Ok(Some(Described {
        arn: d.delivery_stream_arn().to_string(),
        status: d.delivery_stream_status().clone(),
        failure: d.failure_description().map(|f| format!("{}: {}", f.r#type().as_str(), f.details())),
        version_id: d.version_id().to_string(),
        destination_id: dest.map(|x| x.destination_id().to_string()).unwrap_or_default(),
        destination: dest.and_then(|x| x.extended_s3_destination_description().cloned()),
    }))
}

/// The stream's tags now (`None`: gone). A stream has at most 50 tags: one page.
pub(super) async fn tags_now(client: &Client, name: &str) -> Result<Option<Tags>> {
    Ok(super::unless_missing(
        client.list_tags_for_delivery_stream().delivery_stream_name(name).limit(50).send().await,
        |s| s.is_resource_not_found_exception(),
    )?
    .map(|out| out.tags().iter().map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string())).collect()))
}

/// Lists the Region's stream names for this run's reads: a declared stream not among them does
/// not exist and is not read (a DescribeDeliveryStream saved per new stream, at Firehose's 5 a
/// second).
pub(super) async fn list_names(clients: &super::Clients) -> Result<()> {
    clients.known_names::<FirehoseSpec>().set(names(&clients.firehose).await?);
    Ok(())
}

/// The names of the Region's delivery streams (ListDeliveryStreams, 10,000 a call).
async fn names(client: &Client) -> Result<std::collections::HashSet<String>> {
    let mut names = std::collections::HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let out = client
            .list_delivery_streams()
            .limit(10_000)
            .set_exclusive_start_delivery_stream_name(after.take())
            .send()
            .await
            .map_err(sdk_error)?;
        let page = out.delivery_stream_names();
        names.extend(page.iter().cloned());
        match page.last() {
            Some(last) if out.has_more_delivery_streams() => after = Some(last.clone()),
            _ => return Ok(names),
        }
    }
}

/// Reads a stream with one DescribeDeliveryStream; tags come from discovery when known.
pub(super) async fn read(client: &Client, name: &str, tags: Option<&Tags>) -> Result<Option<Live>> {
    let Some(d) = describe(client, name).await? else { return Ok(None) };
    let tags: Tags = match tags {
        Some(tags) => tags.clone(),
        // Deleted between the two calls: no tags (not ours).
        None => tags_now(client, name).await?.unwrap_or_default(),
    };
    let dest = d.destination.ok_or_else(|| anyhow!("stream {name} does not deliver to S3 (ExtendedS3)"))?;
    let processing = dest.processing_configuration();
    let processors = if processing.and_then(|p| p.enabled()).unwrap_or(false) {
        processing.map(|p| p.processors()).unwrap_or_default().iter().map(processor_from_aws).collect()
    } else {
        Vec::new()
    };
    let logging = dest.cloud_watch_logging_options().filter(|l| l.enabled().unwrap_or(false)).map(|l| {
        (l.log_group_name().unwrap_or_default().to_string(), l.log_stream_name().unwrap_or_default().to_string())
    });
    let dynamic = dest.dynamic_partitioning_configuration();
    let dynamic_partitioning = dynamic.and_then(|c| c.enabled()).unwrap_or(false);
    let s3_backup = (dest.s3_backup_mode() == Some(&S3BackupMode::Enabled)).then(|| {
        let b = dest.s3_backup_description();
        S3Backup {
            bucket_arn: b.map(|b| b.bucket_arn().to_string()).unwrap_or_default(),
            prefix: b.and_then(|b| b.prefix()).unwrap_or_default().to_string(),
        }
    });
    let spec = FirehoseSpec {
        name: name.to_string(),
        role_arn: dest.role_arn().to_string(),
        bucket_arn: dest.bucket_arn().to_string(),
        prefix: dest.prefix().unwrap_or_default().to_string(),
        error_output_prefix: dest.error_output_prefix().unwrap_or_default().to_string(),
        buffer_size_mb: dest.buffering_hints().and_then(|b| b.size_in_mbs()).unwrap_or(defaults::BUFFER_SIZE_MB),
        buffer_interval_seconds: dest
            .buffering_hints()
            .and_then(|b| b.interval_in_seconds())
            .unwrap_or(defaults::BUFFER_INTERVAL_SECONDS),
        compression: dest.compression_format().as_str().to_string(),
        file_extension: dest.file_extension().unwrap_or_default().to_string(),
        kms_key_arn: dest
            .encryption_configuration()
            .and_then(|e| e.kms_encryption_config())
            .map(|k| k.awskms_key_arn().to_string()),
        logging,
        dynamic_partitioning,
        dynamic_partitioning_retry_seconds: dynamic_partitioning.then(|| {
            dynamic
                .and_then(|c| c.retry_options())
                .and_then(|r| r.duration_in_seconds())
                .unwrap_or(defaults::DYNAMIC_PARTITIONING_RETRY_SECONDS)
        }),
        s3_backup,
        processors,
        format_conversion: dest
            .data_format_conversion_configuration()
            .filter(|c| c.enabled().unwrap_or(true))
            .map(|c| Box::new(conversion_from_aws(c))),
        tags,
    };
    let problem = (d.status == DeliveryStreamStatus::CreatingFailed).then(|| {
        format!(
            "the stream is CREATING_FAILED ({})",
            crate::output::escape(&d.failure.clone().unwrap_or_else(|| "no reason given".into()))
        )
    });
    Ok(Some(Live { problem, ..Live::new(Spec::Firehose(spec), d.arn) }))
}

/// A stream's conversion as described (AWS's defaults where it leaves a field out).
fn conversion_from_aws(c: &DataFormatConversionConfiguration) -> FormatConversion {
    let s = c.schema_configuration();
    let schema = Schema {
        catalog_id: s.and_then(|s| s.catalog_id()).unwrap_or_default().to_string(),
        database: s.and_then(|s| s.database_name()).unwrap_or_default().to_string(),
        table: s.and_then(|s| s.table_name()).unwrap_or_default().to_string(),
        region: s.and_then(|s| s.region()).unwrap_or_default().to_string(),
        version_id: s.and_then(|s| s.version_id()).unwrap_or("LATEST").to_string(),
    };
    let d = c.input_format_configuration().and_then(|i| i.deserializer());
    let deserializer = match d.and_then(|d| d.hive_json_ser_de()) {
        Some(h) => Deserializer::Hive { timestamp_formats: h.timestamp_formats().to_vec() },
        None => {
            let o = d.and_then(|d| d.open_x_json_ser_de());
            Deserializer::OpenX {
                case_insensitive: o.and_then(|o| o.case_insensitive()).unwrap_or(true),
                convert_dots: o.and_then(|o| o.convert_dots_in_json_keys_to_underscores()).unwrap_or(false),
                mappings: o
                    .and_then(|o| o.column_to_json_key_mappings())
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            }
        }
    };
    let s = c.output_format_configuration().and_then(|o| o.serializer());
    let serializer = match s.and_then(|s| s.orc_ser_de()) {
        Some(o) => Serializer::Orc {
            compression: o.compression().map_or("SNAPPY", |c| c.as_str()).to_string(),
            stripe_size_bytes: o.stripe_size_bytes().unwrap_or(64 << 20),
            block_size_bytes: o.block_size_bytes().unwrap_or(256 << 20),
            row_index_stride: o.row_index_stride().unwrap_or(10_000),
            enable_padding: o.enable_padding().unwrap_or(false),
            padding_tolerance: o.padding_tolerance().unwrap_or(0.05),
            bloom_filter_columns: o.bloom_filter_columns().to_vec(),
            bloom_filter_false_positive_probability: o.bloom_filter_false_positive_probability().unwrap_or(0.05),
            dictionary_key_threshold: o.dictionary_key_threshold().unwrap_or(0.0),
            format_version: o.format_version().map_or("V0_12", |v| v.as_str()).to_string(),
        },
        None => {
            let p = s.and_then(|s| s.parquet_ser_de());
            Serializer::Parquet {
                compression: p.and_then(|p| p.compression()).map_or("SNAPPY", |c| c.as_str()).to_string(),
                block_size_bytes: p.and_then(|p| p.block_size_bytes()).unwrap_or(256 << 20),
                page_size_bytes: p.and_then(|p| p.page_size_bytes()).unwrap_or(1 << 20),
                enable_dictionary_compression: p.and_then(|p| p.enable_dictionary_compression()).unwrap_or(false),
                max_padding_bytes: p.and_then(|p| p.max_padding_bytes()).unwrap_or(0),
                writer_version: p.and_then(|p| p.writer_version()).map_or("V1", |v| v.as_str()).to_string(),
            }
        }
    };
    FormatConversion { schema, deserializer, serializer, table: None, columns: Vec::new() }
}

/// The conversion to send: every field explicit. A stream that had one and no longer wants it
/// is sent the disabled form (AWS keeps the configuration).
fn conversion(spec: &FirehoseSpec) -> Option<DataFormatConversionConfiguration> {
    let Some(c) = &spec.format_conversion else {
        return None;
    };
    let schema = SchemaConfiguration::builder()
        .role_arn(&spec.role_arn)
        .catalog_id(&c.schema.catalog_id)
        .database_name(&c.schema.database)
        .table_name(&c.schema.table)
        .region(&c.schema.region)
        .version_id(&c.schema.version_id)
        .build();
    let deserializer = match &c.deserializer {
        Deserializer::OpenX { case_insensitive, convert_dots, mappings } => AwsDeserializer::builder()
            .open_x_json_ser_de(
                OpenXJsonSerDe::builder()
                    .case_insensitive(*case_insensitive)
                    .convert_dots_in_json_keys_to_underscores(*convert_dots)
                    .set_column_to_json_key_mappings(Some(mappings.clone().into_iter().collect()))
                    .build(),
            )
            .build(),
        Deserializer::Hive { timestamp_formats } => AwsDeserializer::builder()
            .hive_json_ser_de(HiveJsonSerDe::builder().set_timestamp_formats(Some(timestamp_formats.clone())).build())
            .build(),
    };
    let serializer = match &c.serializer {
        Serializer::Parquet {
            compression,
            block_size_bytes,
            page_size_bytes,
            enable_dictionary_compression,
            max_padding_bytes,
            writer_version,
        } => AwsSerializer::builder()
            .parquet_ser_de(
                ParquetSerDe::builder()
                    .compression(ParquetCompression::from(compression.as_str()))
                    .block_size_bytes(*block_size_bytes)
                    .page_size_bytes(*page_size_bytes)
                    .enable_dictionary_compression(*enable_dictionary_compression)
                    .max_padding_bytes(*max_padding_bytes)
                    .writer_version(ParquetWriterVersion::from(writer_version.as_str()))
                    .build(),
            )
            .build(),
        Serializer::Orc {
            compression,
            stripe_size_bytes,
            block_size_bytes,
            row_index_stride,
            enable_padding,
            padding_tolerance,
            bloom_filter_columns,
            bloom_filter_false_positive_probability,
            dictionary_key_threshold,
            format_version,
        } => AwsSerializer::builder()
            .orc_ser_de(
                OrcSerDe::builder()
                    .compression(OrcCompression::from(compression.as_str()))
                    .stripe_size_bytes(*stripe_size_bytes)
                    .block_size_bytes(*block_size_bytes)
                    .row_index_stride(*row_index_stride)
                    .enable_padding(*enable_padding)
                    .padding_tolerance(*padding_tolerance)
                    .set_bloom_filter_columns(Some(bloom_filter_columns.clone()))
                    .bloom_filter_false_positive_probability(*bloom_filter_false_positive_probability)
                    .dictionary_key_threshold(*dictionary_key_threshold)
                    .format_version(OrcFormatVersion::from(format_version.as_str()))
                    .build(),
            )
            .build(),
    };
    Some(
        DataFormatConversionConfiguration::builder()
            .enabled(true)
            .schema_configuration(schema)
            .input_format_configuration(InputFormatConfiguration::builder().deserializer(deserializer).build())
            .output_format_configuration(OutputFormatConfiguration::builder().serializer(serializer).build())
            .build(),
    )
}

fn processor_from_aws(p: &AwsProcessor) -> Processor {
    let parameters: BTreeMap<String, Param> = p
        .parameters()
        .iter()
        .map(|x| (x.parameter_name().as_str().to_string(), Param::Text(x.parameter_value().to_string())))
        .collect();
    Processor { kind: p.r#type().as_str().to_string(), parameters }
}

/// Parameters are sent in the order the console and the seed show them (order never matters on read).
const SEND_ORDER: [&str; 5] = ["LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"];

fn processing(spec: &FirehoseSpec) -> Result<ProcessingConfiguration> {
    let mut processors = Vec::new();
    for p in &spec.processors {
        let mut parameters = Vec::new();
        let mut ordered: Vec<(&String, &Param)> = p.parameters.iter().collect();
        ordered.sort_by_key(|(name, _)| SEND_ORDER.iter().position(|n| n == name).unwrap_or(SEND_ORDER.len()));
        for (name, value) in ordered {
            let value = value.known().ok_or_else(|| anyhow!("processor parameter {name} is not resolved yet"))?;
            parameters.push(
                ProcessorParameter::builder()
                    .parameter_name(ProcessorParameterName::from(name.as_str()))
                    .parameter_value(value)
                    .build()?,
            );
        }
        processors.push(
            AwsProcessor::builder()
                .r#type(ProcessorType::from(p.kind.as_str()))
                .set_parameters(Some(parameters))
                .build()?,
        );
    }
    // Removed processors are sent in their disabled form: AWS never deletes the configuration.
    Ok(ProcessingConfiguration::builder().enabled(!processors.is_empty()).set_processors(Some(processors)).build())
}

fn encryption(spec: &FirehoseSpec) -> Result<EncryptionConfiguration> {
    Ok(match &spec.kms_key_arn {
        Some(key) => EncryptionConfiguration::builder()
            .kms_encryption_config(KmsEncryptionConfig::builder().awskms_key_arn(key).build()?)
            .build(),
        None => EncryptionConfiguration::builder().no_encryption_config(NoEncryptionConfig::NoEncryption).build(),
    })
}

fn logging(spec: &FirehoseSpec) -> CloudWatchLoggingOptions {
    match &spec.logging {
        Some((group, stream)) => {
            CloudWatchLoggingOptions::builder().enabled(true).log_group_name(group).log_stream_name(stream).build()
        }
        None => CloudWatchLoggingOptions::builder().enabled(false).build(),
    }
}

fn buffering(spec: &FirehoseSpec) -> BufferingHints {
    BufferingHints::builder().size_in_mbs(spec.buffer_size_mb).interval_in_seconds(spec.buffer_interval_seconds).build()
}

fn dynamic(spec: &FirehoseSpec) -> DynamicPartitioningConfiguration {
    let mut b = DynamicPartitioningConfiguration::builder().enabled(spec.dynamic_partitioning);
    if let Some(seconds) = spec.dynamic_partitioning_retry_seconds {
        b = b.retry_options(RetryOptions::builder().duration_in_seconds(seconds).build());
    }
    b.build()
}

fn backup_mode(spec: &FirehoseSpec) -> S3BackupMode {
    if spec.s3_backup.is_some() {
        S3BackupMode::Enabled
    } else {
        S3BackupMode::Disabled
    }
}

/// Waits for CREATING to end; CREATING_FAILED reports AWS's failure description.
async fn wait_active(client: &Client, name: &str, wait: Duration) -> Result<String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let d = describe(client, name).await?.ok_or_else(|| anyhow!("stream {name} disappeared while creating"))?;
        match d.status {
            DeliveryStreamStatus::Active => return Ok(d.arn),
            DeliveryStreamStatus::CreatingFailed => {
                bail!(
                    "stream {name} failed to create: {}",
                    crate::output::escape(&d.failure.unwrap_or_else(|| "no reason given".into()))
                )
            }
            _ if tokio::time::Instant::now() > deadline => {
                bail!("stream {name} not ACTIVE after {} s (raise wait_timeout_seconds to wait longer)", wait.as_secs())
            }
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// The settings of a stream's S3 destination, on a create's builder or an update's (the SDK's
/// two builders have the same setters): one list for both.
macro_rules! destination_settings {
    ($builder:expr, $spec:expr) => {{
        let spec: &FirehoseSpec = $spec;
        $builder
            .role_arn(&spec.role_arn)
            .bucket_arn(&spec.bucket_arn)
            .prefix(&spec.prefix)
            .error_output_prefix(&spec.error_output_prefix)
            .buffering_hints(buffering(spec))
            .compression_format(CompressionFormat::from(spec.compression.as_str()))
            .encryption_configuration(encryption(spec)?)
            .cloud_watch_logging_options(logging(spec))
            .processing_configuration(processing(spec)?)
            .s3_backup_mode(backup_mode(spec))
            .dynamic_partitioning_configuration(dynamic(spec))
    }};
}

/// The settings of a stream's S3 backup, on a create's builder or an update's.
macro_rules! backup_settings {
    ($builder:expr, $spec:expr, $backup:expr) => {
        $builder
            .role_arn(&$spec.role_arn)
            .bucket_arn(&$backup.bucket_arn)
            .prefix(&$backup.prefix)
            .compression_format(CompressionFormat::Uncompressed)
    };
}

pub(super) async fn update(
    client: &Client,
    desired: &FirehoseSpec,
    live: &FirehoseSpec,
    arn: &str,
    wait: Duration,
) -> Result<Outputs> {
    let name = &desired.name;
    // A stream still being created (by an interrupted run) cannot be updated yet.
    wait_active(client, name, wait).await?;
    // Compare as the plan does (attributes by name), tags aside: they have their own calls.
    let destination = |s: &FirehoseSpec| {
        let mut attributes = Spec::Firehose(s.clone()).attributes();
        attributes.retain(|(key, _)| !key.starts_with("tags."));
        attributes
    };
    if destination(desired) != destination(live) {
        let mut update = destination_settings!(ExtendedS3DestinationUpdate::builder(), desired)
            .file_extension(&desired.file_extension);
        match conversion(desired) {
            Some(c) => update = update.data_format_conversion_configuration(c),
            None if live.format_conversion.is_some() => {
                update = update.data_format_conversion_configuration(
                    DataFormatConversionConfiguration::builder().enabled(false).build(),
                )
            }
            None => {}
        }
        if let Some(b) = &desired.s3_backup {
            update = update.s3_backup_update(backup_settings!(S3DestinationUpdate::builder(), desired, b).build());
        }
        let update = update.build();
        // The version id must be fresh: describe right before updating, and again on a conflict.
        retry::aws("UpdateDestination", || async {
            let current = describe(client, name).await?.ok_or_else(|| anyhow!("stream {name} not found"))?;
            client
                .update_destination()
                .delivery_stream_name(name)
                .current_delivery_stream_version_id(current.version_id)
                .destination_id(current.destination_id)
                .extended_s3_destination_update(update.clone())
                .send()
                .await
                .map_err(sdk_error)
        })
        .await?;
    }
    sync_tags(
        &desired.tags,
        &live.tags,
        |add| async move { tag(client, name, &add).await },
        |keys| async move {
            client
                .untag_delivery_stream()
                .delivery_stream_name(name)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(sdk_error)?;
            Ok(())
        },
    )
    .await?;
    Ok(Outputs { arn: arn.to_string(), qualified_arn: None })
}

pub(super) async fn tag(client: &Client, name: &str, tags: &Tags) -> Result<()> {
    let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
    client.tag_delivery_stream().delivery_stream_name(name).set_tags(Some(tags)).send().await.map_err(sdk_error)?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::provider::KindApi<FirehoseSpec> for super::Clients {
    async fn read(&self, name: &str, _: Option<&FirehoseSpec>, tags: Option<&Tags>) -> Result<Option<Live>> {
        read(&self.firehose, name, tags).await
    }
    async fn create(&self, spec: &FirehoseSpec, wait: Duration) -> Result<Outputs> {
        let client = &self.firehose;
        let mut destination = destination_settings!(ExtendedS3DestinationConfiguration::builder(), spec);
        if !spec.file_extension.is_empty() {
            destination = destination.file_extension(&spec.file_extension);
        }
        if let Some(c) = conversion(spec) {
            destination = destination.data_format_conversion_configuration(c);
        }
        if let Some(b) = &spec.s3_backup {
            destination = destination
                .s3_backup_configuration(backup_settings!(S3DestinationConfiguration::builder(), spec, b).build()?);
        }
        let destination = destination.build()?;
        let tags =
            spec.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect::<Result<Vec<_>, _>>()?;
        let created = retry::aws("CreateDeliveryStream", || async {
            client
                .create_delivery_stream()
                .delivery_stream_name(&spec.name)
                .delivery_stream_type(DeliveryStreamType::DirectPut)
                .extended_s3_destination_configuration(destination.clone())
                .set_tags(Some(tags.clone()))
                .send()
                .await
                .map_err(sdk_error)
        })
        .await;
        let lost_answer = match created {
            Ok(_) => false,
            // An earlier attempt whose answer was lost created it (the plan saw no stream, and the
            // stack lock keeps other runs out): converge that stream once it is active, if it is ours.
            Err(e) if has_code(&e, "ResourceInUseException") => true,
            Err(e) => return Err(e),
        };
        let arn = wait_active(client, &spec.name, wait).await?;
        if lost_answer {
            if let Some(live) = read(client, &spec.name, None).await? {
                super::ensure_ours(&live, &spec.tags)?;
                if let Spec::Firehose(live_spec) = &live.spec {
                    return update(client, spec, live_spec, &arn, wait).await;
                }
            }
        }
        Ok(Outputs { arn, qualified_arn: None })
    }
    async fn update(&self, desired: &FirehoseSpec, was: &FirehoseSpec, live: &Live, wait: Duration) -> Result<Outputs> {
        update(&self.firehose, desired, was, &live.arn, wait).await
    }
    /// Deletes the stream and waits until it is gone.
    async fn delete(&self, spec: &FirehoseSpec, _: &Live, _: bool, wait: Duration) -> Result<()> {
        let (client, name) = (&self.firehose, &spec.name);
        match client.delete_delivery_stream().delivery_stream_name(name).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(()),
            Err(e) => return Err(sdk_error(e)),
        }
        let deadline = tokio::time::Instant::now() + wait;
        while describe(client, name).await?.is_some() {
            if tokio::time::Instant::now() > deadline {
                bail!("stream {name} still deleting after {} s", wait.as_secs());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(())
    }
    /// Nothing: a stream holds its buffered records only while it delivers them: nothing deleting it deletes that the bucket does not keep.
    async fn data_held(&self, _: &FirehoseSpec, _: &Live) -> Result<Option<String>> {
        Ok(None)
    }
}

#[async_trait::async_trait]
impl crate::provider::KindTags<FirehoseSpec> for super::Clients {
    async fn tags_now(&self, spec: &FirehoseSpec, _: &Live) -> Result<Option<Tags>> {
        tags_now(&self.firehose, &spec.name).await
    }
    async fn tag(&self, spec: &FirehoseSpec, _: &Live, tags: &Tags) -> Result<()> {
        tag(&self.firehose, &spec.name, tags).await
    }
    async fn untag(&self, spec: &FirehoseSpec, _: &Live, keys: &[String]) -> Result<()> {
        let (client, name) = (&self.firehose, &spec.name);
        client
            .untag_delivery_stream()
            .delivery_stream_name(name)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}
