//! The alarms a stream derives from what stack.toml already says of it (`[firehose.NAME.alarms]`):
//! one alarm per way it can fail, each a resource of the stack (`alarm.<NAME>_<which>`, named
//! `<stream name>-<which>`), thresholds computed from the stream's buffering, processors, dynamic
//! partitioning and format conversion. Metric names, statistics and the dimension are those of
//! the Firehose developer guide ("Monitoring with CloudWatch metrics"; "Implement best practices
//! with CloudWatch Alarms"); docs/src/rules.md cites each.

use super::{AlarmMetric, AlarmSpec, MetricStat};
use crate::model::address::Position;
use crate::model::diagnostic::Rule;
use crate::model::kinds::{BuildSite, Kind, Reference};
use crate::model::{Address, FirehoseSpec, Param};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The namespace of Firehose's metrics.
pub const NAMESPACE: &str = "AWS/Firehose";
/// The dimension naming a stream.
pub const DIMENSION: &str = "DeliveryStreamName";
/// Every derived alarm is evaluated over periods of this length: Firehose's metrics are
/// compared "per 5 minutes" in AWS's own recommendations.
pub const PERIOD: i32 = 300;
/// Firehose's default quota of active partitions per stream ("Buffer data for dynamic
/// partitioning": 500 by default, raised up to 5,000 on request).
pub const PARTITION_QUOTA: i32 = 500;
/// The most active partitions Firehose allows a stream, raised on request.
pub const MAX_PARTITION_QUOTA: i32 = 5000;
/// How much of a limit is used before its alarm fires (active partitions, the ingestion limits).
pub const LIMIT_SHARE: f64 = 0.8;
/// Firehose's default buffer interval of a Lambda processor, in seconds.
const LAMBDA_BUFFER_INTERVAL: i32 = 60;
/// Time a delivery itself may take beyond the buffering (writing the object, a retry), in seconds.
const DELIVERY_GRACE: i32 = 60;

/// `[firehose.NAME.alarms]`: derive the stream's alarms, notifying `actions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmsSection {
    /// Notified on ALARM: `topic.NAME`, or an existing topic `{ existing_arn = "arn:aws:sns:..." }`
    /// (rule A9).
    pub actions: Vec<Reference>,
    /// Notified on OK, as `actions`.
    #[serde(default)]
    pub ok_actions: Vec<Reference>,
    /// The freshness alarm's threshold in seconds, instead of the one derived from the buffering
    /// (see Operating the pipelines for the formula).
    pub freshness_seconds: Option<i32>,
    /// The stream's active-partition quota when AWS raised it (1 to 5,000; default 500): the
    /// partitions alarm fires at 80% of it.
    pub partition_quota: Option<i32>,
    /// Derived alarms to leave out: `freshness`, `throttled`, `delivery`, `partitions`,
    /// `processing`, `conversion`, `limits` (rule A10).
    #[serde(default)]
    pub without: Vec<String>,
}

/// Every alarm a stream can derive, in this order.
pub const WHICH: [&str; 7] = ["freshness", "throttled", "delivery", "partitions", "processing", "conversion", "limits"];

/// The freshness threshold, in seconds: what a record may wait for before it is late. The
/// stream's buffer interval (times 1.5 with dynamic partitioning, whose multi-stage buffering
/// "might be 1.5 times of the configured buffering hint time"), plus the Lambda processor's
/// buffer interval (records wait to be sent to the function first), plus a minute to deliver.
pub fn freshness_threshold(stream: &FirehoseSpec) -> i32 {
    let buffering = if stream.dynamic_partitioning {
        (stream.buffer_interval_seconds * 3 + 1) / 2
    } else {
        stream.buffer_interval_seconds
    };
    buffering + lambda_buffer_interval(stream).unwrap_or(0) + DELIVERY_GRACE
}

/// The buffer interval of the stream's Lambda processor, if it has one.
fn lambda_buffer_interval(stream: &FirehoseSpec) -> Option<i32> {
    let lambda = stream.processors.iter().find(|p| p.kind == "Lambda")?;
    Some(match lambda.parameters.get("BufferIntervalInSeconds") {
        Some(Param::Text(s)) => s.parse().unwrap_or(LAMBDA_BUFFER_INTERVAL),
        _ => LAMBDA_BUFFER_INTERVAL,
    })
}

/// The active-partition quota a derived partitions alarm was built for (the inverse of its
/// expression, `MAX([active / AT, exceeded])` with AT 80% of the quota), if `alarm` is one.
pub fn partition_quota_of(alarm: &AlarmSpec) -> Option<i32> {
    let AlarmMetric::Math { expression, metrics } = &alarm.metric else { return None };
    if metrics.get("active").is_none_or(|m| m.metric != "PartitionCount") {
        return None;
    }
    let at: f64 = expression.strip_prefix("MAX([active / ")?.split(',').next()?.trim().parse().ok()?;
    Some((at / LIMIT_SHARE).round() as i32)
}

/// One of the stream's metrics.
fn metric(stream: &str, name: &str, statistic: &str) -> MetricStat {
    MetricStat {
        namespace: NAMESPACE.into(),
        metric: name.into(),
        dimensions: BTreeMap::from([(DIMENSION.to_string(), stream.to_string())]),
        statistic: statistic.into(),
        period: PERIOD,
    }
}

/// What one derived alarm watches, how, and what it means (its description).
struct Derived {
    which: &'static str,
    metric: AlarmMetric,
    comparison: &'static str,
    threshold: f64,
    description: String,
}

/// The alarms `stream` can have, given what it says (a stream without dynamic partitioning has
/// no partitions alarm, one without a Lambda processor no processing alarm...).
fn alarms_of(stream: &FirehoseSpec, alarms: &AlarmsSection) -> Vec<Derived> {
    let s = stream.name.as_str();
    let single = |name: &str, statistic: &str| AlarmMetric::Single(metric(s, name, statistic));
    let mut out = Vec::new();
    let freshness = alarms.freshness_seconds.unwrap_or_else(|| freshness_threshold(stream));
    out.push(Derived {
        which: "freshness",
        metric: single("DeliveryToS3.DataFreshness", "Maximum"),
        comparison: "GreaterThanThreshold",
        threshold: f64::from(freshness),
        description: format!(
            "Records of stream {s} waited more than {freshness} s to reach S3 (its buffering allows less): delivery is late or stuck. Check the stream's delivery log and the bucket's permissions."
        ),
    });
    out.push(Derived {
        which: "throttled",
        metric: single("ThrottledRecords", "Sum"),
        comparison: "GreaterThanThreshold",
        threshold: 0.0,
        description: format!(
            "Producers of stream {s} were throttled: ingestion went over the stream's limits. Retry the failed records; ask for higher limits."
        ),
    });
    out.push(Derived {
        which: "delivery",
        metric: single("DeliveryToS3.Success", "Minimum"),
        comparison: "LessThanThreshold",
        threshold: 1.0,
        description: format!(
            "Some of stream {s}'s writes to S3 failed. Check the delivery log, the bucket policy and the role's permissions."
        ),
    });
    if stream.dynamic_partitioning {
        let quota = alarms.partition_quota.unwrap_or(PARTITION_QUOTA);
        let at = (f64::from(quota) * LIMIT_SHARE).floor();
        out.push(Derived {
            which: "partitions",
            metric: AlarmMetric::Math {
                expression: format!("MAX([active / {at}, exceeded])"),
                metrics: BTreeMap::from([
                    ("active".to_string(), metric(s, "PartitionCount", "Maximum")),
                    ("exceeded".to_string(), metric(s, "PartitionCountExceeded", "Maximum")),
                ]),
            },
            comparison: "GreaterThanOrEqualToThreshold",
            threshold: 1.0,
            description: format!(
                "Stream {s} had {at} or more active partitions (of its quota of {quota}), or went over the quota: records beyond it go to the error prefix as activePartitionExceeded. Use fewer distinct keys per buffer interval, or ask for a higher quota (partition_quota)."
            ),
        });
    }
    if lambda_buffer_interval(stream).is_some() {
        out.push(Derived {
            which: "processing",
            metric: single("ExecuteProcessing.Success", "Minimum"),
            comparison: "LessThanThreshold",
            threshold: 1.0,
            description: format!(
                "Invocations of stream {s}'s Lambda processor failed: its records go to the error prefix as processing-failed. Check the function's logs (provision logs)."
            ),
        });
    }
    if stream.format_conversion.is_some() {
        out.push(Derived {
            which: "conversion",
            metric: single("FailedConversion.Records", "Sum"),
            comparison: "GreaterThanThreshold",
            threshold: 0.0,
            description: format!(
                "Records of stream {s} could not be converted to the table's format: they go to the error prefix as format-conversion-failed. Check them against the table's columns (provision preview)."
            ),
        });
    }
    let rate = |id: &str, sum: &str, limit: &str| {
        [(format!("{id}_in"), metric(s, sum, "Sum")), (format!("{id}_limit"), metric(s, limit, "Maximum"))]
    };
    let metrics: BTreeMap<String, MetricStat> = rate("bytes", "IncomingBytes", "BytesPerSecondLimit")
        .into_iter()
        .chain(rate("records", "IncomingRecords", "RecordsPerSecondLimit"))
        .chain(rate("puts", "IncomingPutRequests", "PutRequestsPerSecondLimit"))
        .collect();
    out.push(Derived {
        which: "limits",
        metric: AlarmMetric::Math {
            expression: format!(
                "MAX([bytes_in / {PERIOD} / bytes_limit, records_in / {PERIOD} / records_limit, puts_in / {PERIOD} / puts_limit])"
            ),
            metrics,
        },
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: LIMIT_SHARE,
        description: format!(
            "Stream {s} ingested {}% or more of one of its limits (bytes, records or put requests per second): producers are about to be throttled. Ask for higher limits, or spread the load over more streams.",
            (LIMIT_SHARE * 100.0) as i32
        ),
    });
    out.retain(|d| !alarms.without.iter().any(|w| w == d.which));
    out
}

/// Derives the alarms of the stream built at `stream` (its key in diagnostics `key`), each a
/// resource of its own beside it.
pub(crate) fn derive(
    b: &mut dyn BuildSite<'_>,
    stream: &Address,
    key: &Position,
    spec: &FirehoseSpec,
    alarms: &AlarmsSection,
) {
    let at = key.at("alarms");
    for (i, w) in alarms.without.iter().enumerate() {
        if !WHICH.contains(&w.as_str()) {
            b.report(
                crate::model::diagnostic::Diagnostic::error(
                    Rule::A10,
                    at.at("without").index(i),
                    format!("no derived alarm is called {w:?}"),
                )
                .with_help(format!("one of {}", WHICH.join(", "))),
            );
        }
    }
    if alarms.freshness_seconds.is_some_and(|s| s < 1) {
        b.report(
            crate::model::diagnostic::Diagnostic::error(
                Rule::A10,
                at.at("freshness_seconds"),
                "the freshness threshold is a number of seconds, 1 or more",
            )
            .with_help("leave it out to derive it from the buffering"),
        );
    }
    if alarms.partition_quota.is_some_and(|q| !(1..=MAX_PARTITION_QUOTA).contains(&q)) {
        b.report(
            crate::model::diagnostic::Diagnostic::error(
                Rule::A10,
                at.at("partition_quota"),
                "the active-partition quota is 1 to 5000",
            )
            .with_help("500 by default; Firehose raises it up to 5000 on request"),
        );
    }
    if alarms.actions.is_empty() {
        b.report(
            crate::model::diagnostic::Diagnostic::error(
                Rule::A10,
                at.at("actions"),
                "derived alarms notify someone: give them actions",
            )
            .with_help("actions = [\"topic.NAME\"]"),
        );
    }
    let (actions, mut depends_on) = super::actions(b, &at.at("actions"), &alarms.actions);
    let (ok_actions, ok_depends) = super::actions(b, &at.at("ok_actions"), &alarms.ok_actions);
    depends_on.extend(ok_depends);
    depends_on.push(stream.clone());
    for d in alarms_of(spec, alarms) {
        let address = Address { kind: Kind::Alarm, name: format!("{}_{}", stream.name, d.which), ..stream.clone() };
        let alarm = AlarmSpec {
            name: format!("{}-{}", spec.name, d.which),
            description: d.description,
            metric: d.metric,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            threshold: d.threshold,
            comparison: d.comparison.into(),
            // A quiet stream is not an outage.
            treat_missing_data: "notBreaching".into(),
            actions: actions.clone(),
            ok_actions: ok_actions.clone(),
            tags: b.tags(&address),
        };
        let derived = b.resource(address, alarm.into(), depends_on.clone(), false, None);
        b.derive(derived);
    }
}
