//! `provision status`: the health of each stream of the stack, from its state, its metrics over a
//! window and the stack's alarms in ALARM. Pure logic: which metrics to ask for (one batch for
//! the whole fleet), and what the answers say; the reads are `aws::metrics`'.

use crate::model::address::Selector;
use crate::model::kinds::alarm::derived::{DIMENSION, NAMESPACE, PARTITION_QUOTA};
use crate::model::kinds::alarm::AlarmMetric;
use crate::model::{Address, Kind, Location, Spec, Stack};
use serde::Serialize;
use std::collections::BTreeMap;

/// One metric of one resource, aggregated by `statistic` over periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricQuery {
    /// Unique among the queries of a read: a lowercase letter first, then letters, digits, `_`.
    pub id: String,
    pub namespace: String,
    pub metric: String,
    /// The dimension naming the resource, and its value.
    pub dimension: (String, String),
    pub statistic: String,
}

/// The datapoints of one query, oldest first: (seconds since the epoch, value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub points: Vec<(i64, f64)>,
}

/// An alarm as CloudWatch has it: its name, its state (`ALARM`, `OK`, `INSUFFICIENT_DATA`) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmState {
    pub name: String,
    pub state: String,
    pub reason: String,
}

impl AlarmState {
    /// Whether it is in ALARM.
    pub fn firing(&self) -> bool {
        self.state == "ALARM"
    }
}

/// One alarm of the stack in the listing `status --alarms` prints: where it lives, the stream
/// it watches (if one of the selection), and its state (`MISSING`: not deployed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackAlarm {
    pub name: String,
    pub location: String,
    pub stream: Option<String>,
    pub state: String,
    pub reason: String,
}

/// How many buckets the window is cut into (the sparkline's length, at most).
pub const BUCKETS: i64 = 24;

/// A stream of the stack, what it can report and the alarms that watch it.
#[derive(Debug, Clone)]
pub struct Watched {
    pub address: Address,
    pub name: String,
    /// Where it lives: its metrics and alarms are read there.
    pub location: Location,
    pub dynamic_partitioning: bool,
    pub partition_quota: i32,
    pub lambda: bool,
    pub conversion: bool,
    /// The stack's alarms on this stream, by name.
    pub alarms: Vec<String>,
}

/// The metrics read per stream: (key, metric, statistic), and whether the stream has it.
const METRICS: [(&str, &str, &str); 8] = [
    ("in", "IncomingRecords", "Sum"),
    ("out", "DeliveryToS3.Records", "Sum"),
    ("ok", "DeliveryToS3.Success", "Average"),
    ("fresh", "DeliveryToS3.DataFreshness", "Maximum"),
    ("throttled", "ThrottledRecords", "Sum"),
    ("partitions", "PartitionCount", "Maximum"),
    ("processing", "ExecuteProcessing.Success", "Minimum"),
    ("conversion", "FailedConversion.Records", "Sum"),
];

impl Watched {
    fn has(&self, key: &str) -> bool {
        match key {
            "partitions" => self.dynamic_partitioning,
            "processing" => self.lambda,
            "conversion" => self.conversion,
            _ => true,
        }
    }
}

/// The streams of `stack` the selectors pick (all without any), each with the alarms watching
/// it: its derived ones, and alarms of the stack whose metric names it by its dimension.
pub fn watched(stack: &Stack, selectors: &[Selector]) -> Vec<Watched> {
    let mut out: Vec<Watched> = stack
        .resources
        .iter()
        .filter(|r| selectors.is_empty() || selectors.iter().any(|s| s.matches(&r.address)))
        .filter_map(|r| match &r.spec {
            Spec::Firehose(f) => Some(Watched {
                address: r.address.clone(),
                name: f.name.clone(),
                location: r.location.clone(),
                dynamic_partitioning: f.dynamic_partitioning,
                partition_quota: PARTITION_QUOTA,
                lambda: f.processors.iter().any(|p| p.kind == "Lambda"),
                conversion: f.format_conversion.is_some(),
                alarms: Vec::new(),
            }),
            _ => None,
        })
        .collect();
    for r in &stack.resources {
        let Spec::Alarm(a) = &r.spec else { continue };
        let names_stream = |stream: &str| match &a.metric {
            AlarmMetric::Single(m) => m.dimensions.get(DIMENSION).is_some_and(|d| d == stream),
            AlarmMetric::Math { metrics, .. } => {
                metrics.values().any(|m| m.dimensions.get(DIMENSION).is_some_and(|d| d == stream))
            }
        };
        if let Some(w) = out.iter_mut().find(|w| w.location == r.location && names_stream(&w.name)) {
            w.alarms.push(a.name.clone());
            // A derived partitions alarm knows the quota the stream was given.
            if let Some(quota) = crate::model::kinds::alarm::derived::partition_quota_of(a) {
                w.partition_quota = quota;
            }
        }
    }
    out
}

/// The names of every alarm of the stack in `location`, for reading those in ALARM, and the
/// longest prefix they share (DescribeAlarms filters by it).
pub fn alarm_names(stack: &Stack, location: &Location) -> (Vec<String>, String) {
    let names: Vec<String> = stack
        .resources
        .iter()
        .filter(|r| r.address.kind == Kind::Alarm && &r.location == location)
        .map(|r| r.spec.physical_name().to_string())
        .collect();
    let mut prefix = names.first().cloned().unwrap_or_default();
    for n in &names {
        while !n.starts_with(&prefix) {
            prefix.pop();
        }
    }
    (names, prefix)
}

/// The window read: from `start` to `end` (seconds since the epoch) by `period` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub period: i32,
}

impl Window {
    /// The last `since` seconds up to the end of the current minute (its datapoints so far
    /// count), cut into at most [`BUCKETS`] periods of a whole number of minutes (CloudWatch
    /// keeps Firehose's metrics by the minute).
    pub fn last(since: i64, now: i64) -> Window {
        let minutes = (since.max(60) + 60 * BUCKETS - 1) / (60 * BUCKETS);
        let period = (minutes.max(1) * 60) as i32;
        let end = now - now % 60 + if now % 60 == 0 { 0 } else { 60 };
        Window { start: end - since.max(60), end, period }
    }
}

/// The queries for every stream, in one list (GetMetricData takes them 500 a call).
pub fn queries(streams: &[Watched]) -> Vec<MetricQuery> {
    let mut out = Vec::new();
    for (i, w) in streams.iter().enumerate() {
        for (key, metric, statistic) in METRICS {
            if w.has(key) {
                out.push(MetricQuery {
                    id: format!("s{i}_{key}"),
                    namespace: NAMESPACE.into(),
                    metric: metric.into(),
                    dimension: (DIMENSION.into(), w.name.clone()),
                    statistic: statistic.into(),
                });
            }
        }
    }
    out
}

/// What status says of one stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamStatus {
    pub address: String,
    pub name: String,
    /// Where it lives (the `LOCATION` column of a fleet across Regions or accounts).
    pub location: String,
    /// `ACTIVE`, `CREATING`, ... or `MISSING` (not deployed).
    pub state: String,
    /// No datapoint at all in the window: nothing is said to be 0.
    pub no_data: bool,
    pub records_in: Option<f64>,
    pub records_delivered: Option<f64>,
    /// The share of successful S3 writes over the window (0 to 1).
    pub delivery_success: Option<f64>,
    pub freshness_now: Option<f64>,
    pub freshness_max: Option<f64>,
    pub throttled: Option<f64>,
    pub partitions_max: Option<f64>,
    pub partition_quota: Option<i32>,
    /// The lowest share of successful invocations of the Lambda processor in a period.
    pub processing_success: Option<f64>,
    pub conversion_failed: Option<f64>,
    /// The stack's alarms on the stream in ALARM, by name.
    pub alarms: Vec<String>,
    /// Records in per period over the window, oldest first (`None`: no datapoint).
    pub records_in_series: Vec<Option<f64>>,
    pub healthy: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub window: Window,
    pub streams: Vec<StreamStatus>,
    /// The stack's alarms in ALARM that watch no stream of the selection (hand-written ones).
    pub other_alarms: Vec<String>,
    /// Every alarm of the stack in the selection's locations, whatever its state (`--alarms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<Vec<StackAlarm>>,
}

impl Report {
    /// Healthy: every stream ACTIVE and no alarm of the stack in ALARM.
    pub fn healthy(&self) -> bool {
        self.streams.iter().all(|s| s.healthy) && self.other_alarms.is_empty()
    }

    /// The reports of several locations as one, the streams in `order` (addresses).
    pub fn merged(window: Window, parts: Vec<Report>, order: &[Address]) -> Report {
        let mut streams: Vec<StreamStatus> = Vec::new();
        let mut other_alarms = Vec::new();
        let mut alarms: Option<Vec<StackAlarm>> = None;
        for part in parts {
            streams.extend(part.streams);
            other_alarms.extend(part.other_alarms);
            if let Some(listed) = part.alarms {
                alarms.get_or_insert_with(Vec::new).extend(listed);
            }
        }
        streams.sort_by_key(|s| order.iter().position(|a| a.to_string() == s.address));
        Report { window, streams, other_alarms, alarms }
    }
}

/// The report from what was read in one location: each stream's state (`None`: not deployed),
/// the series of [`queries`] in their order, and the alarms read (others' are left out: only
/// `stack_alarms` count); with `list_alarms`, every alarm of the stack with its state.
pub fn report(
    streams: &[Watched],
    window: Window,
    states: &[Option<String>],
    series: &[Series],
    read: &[AlarmState],
    stack_alarms: &[String],
    list_alarms: bool,
) -> Report {
    let firing: Vec<&AlarmState> = read.iter().filter(|a| a.firing()).collect();
    let queries = queries(streams);
    let by_id: BTreeMap<&str, &Series> = queries.iter().map(|q| q.id.as_str()).zip(series).collect();
    let mut claimed = Vec::new();
    let statuses = streams
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let get = |key: &str| by_id.get(format!("s{i}_{key}").as_str()).map(|s| s.points.as_slice()).unwrap_or(&[]);
            let sum = |key: &str| {
                let p = get(key);
                (!p.is_empty()).then(|| p.iter().map(|(_, v)| v).sum::<f64>())
            };
            let max = |key: &str| get(key).iter().map(|(_, v)| *v).reduce(f64::max);
            let min = |key: &str| get(key).iter().map(|(_, v)| *v).reduce(f64::min);
            let average = |key: &str| {
                let p = get(key);
                (!p.is_empty()).then(|| p.iter().map(|(_, v)| v).sum::<f64>() / p.len() as f64)
            };
            let fresh = get("fresh");
            // "Now": the last period's value, if the last two periods have one.
            let freshness_now =
                fresh.last().filter(|(t, _)| *t >= window.end - 2 * i64::from(window.period)).map(|(_, v)| *v);
            let no_data = METRICS.iter().all(|(k, _, _)| get(k).is_empty());
            let alarms: Vec<String> =
                firing.iter().filter(|f| w.alarms.contains(&f.name)).map(|f| f.name.clone()).collect();
            claimed.extend(alarms.iter().cloned());
            let state = states.get(i).cloned().flatten().unwrap_or_else(|| "MISSING".into());
            let buckets = ((window.end - window.start) / i64::from(window.period)).max(1);
            let records_in_series = (0..buckets)
                .map(|b| {
                    let from = window.start + b * i64::from(window.period);
                    let to = from + i64::from(window.period);
                    let p: Vec<f64> =
                        get("in").iter().filter(|(t, _)| *t >= from && *t < to).map(|(_, v)| *v).collect();
                    (!p.is_empty()).then(|| p.iter().sum())
                })
                .collect();
            StreamStatus {
                address: w.address.to_string(),
                name: w.name.clone(),
                location: w.location.tag_value(),
                healthy: state == "ACTIVE" && alarms.is_empty(),
                state,
                no_data,
                records_in: sum("in"),
                records_delivered: sum("out"),
                delivery_success: average("ok"),
                freshness_now,
                freshness_max: max("fresh"),
                throttled: sum("throttled"),
                partitions_max: max("partitions"),
                partition_quota: w.dynamic_partitioning.then_some(w.partition_quota),
                processing_success: min("processing"),
                conversion_failed: sum("conversion"),
                alarms,
                records_in_series,
            }
        })
        .collect();
    let other_alarms = firing
        .iter()
        .filter(|f| stack_alarms.contains(&f.name) && !claimed.contains(&f.name))
        .map(|f| f.name.clone())
        .collect();
    let alarms = list_alarms.then(|| {
        let location = streams.first().map(|w| w.location.tag_value()).unwrap_or_default();
        stack_alarms
            .iter()
            .map(|name| {
                let found = read.iter().find(|a| &a.name == name);
                StackAlarm {
                    name: name.clone(),
                    location: location.clone(),
                    stream: streams.iter().find(|w| w.alarms.contains(name)).map(|w| w.address.to_string()),
                    state: found.map_or("MISSING".to_string(), |a| a.state.clone()),
                    reason: found.map(|a| a.reason.clone()).unwrap_or_default(),
                }
            })
            .collect()
    });
    Report { window, streams: statuses, other_alarms, alarms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{stack, DEFAULT_STACK};

    fn with_alarms() -> Stack {
        stack(&format!("{DEFAULT_STACK}\n[topic.ops]\n[firehose.events.alarms]\nactions = [\"topic.ops\"]\npartition_quota = 1000\n"))
    }

    #[test]
    fn one_batch_of_queries_asks_each_stream_for_what_it_can_report() {
        let s = with_alarms();
        let streams = watched(&s, &[]);
        assert_eq!(streams.len(), 1);
        let w = &streams[0];
        assert!(w.dynamic_partitioning && w.lambda && !w.conversion);
        assert_eq!(w.partition_quota, 1000, "read back from the derived alarm");
        assert_eq!(w.alarms.len(), 6, "{:?}", w.alarms);
        let ids: Vec<String> = queries(&streams).into_iter().map(|q| q.id).collect();
        assert_eq!(ids, ["s0_in", "s0_out", "s0_ok", "s0_fresh", "s0_throttled", "s0_partitions", "s0_processing"]);
        let (names, prefix) = alarm_names(&s, &s.home());
        assert_eq!(names.len(), 6);
        assert_eq!(prefix, "PUT-S3-lambda-");
    }

    #[test]
    fn no_datapoint_is_no_data_never_zero_and_an_alarm_or_a_state_is_unhealthy() {
        let s = with_alarms();
        let streams = watched(&s, &[]);
        let window = Window::last(3600, 1_800_000_000);
        let empty = vec![Series::default(); queries(&streams).len()];
        let r = report(&streams, window, &[Some("ACTIVE".into())], &empty, &[], &[], false);
        assert!(r.healthy());
        assert!(r.streams[0].no_data && r.streams[0].records_in.is_none());
        // Datapoints: summed, the latest freshness is "now" when recent.
        let mut series = empty.clone();
        series[0].points = vec![(window.end - 600, 10.0), (window.end - 300, 5.0)];
        series[3].points = vec![(window.end - 600, 400.0), (window.end - 60, 30.0)];
        let names: Vec<String> = watched(&s, &[])[0].alarms.clone();
        let read = vec![
            AlarmState { name: names[0].clone(), state: "ALARM".into(), reason: "Threshold Crossed".into() },
            AlarmState { name: names[1].clone(), state: "OK".into(), reason: String::new() },
        ];
        let r = report(&streams, window, &[Some("ACTIVE".into())], &series, &read, &names, false);
        let st = &r.streams[0];
        assert!(!st.no_data);
        assert_eq!(st.records_in, Some(15.0));
        assert_eq!((st.freshness_now, st.freshness_max), (Some(30.0), Some(400.0)));
        assert_eq!(st.alarms, [names[0].clone()]);
        assert!(!r.healthy() && r.other_alarms.is_empty());
        assert_eq!(r.alarms, None, "listed only when asked");
        let creating = report(&streams, window, &[Some("CREATING".into())], &empty, &[], &[], false);
        assert!(!creating.healthy());
        // Asked for, every alarm of the stack is listed with its state; one not read is MISSING.
        let listed = report(&streams, window, &[Some("ACTIVE".into())], &series, &read, &names, true).alarms.unwrap();
        assert_eq!(listed.len(), 6);
        let states: Vec<&str> = listed.iter().map(|a| a.state.as_str()).collect();
        assert_eq!(states[..3], ["ALARM", "OK", "MISSING"]);
        assert!(listed.iter().all(|a| a.stream.as_deref() == Some("firehose.events")));
    }

    #[test]
    fn a_window_is_cut_into_whole_minutes() {
        // The current minute is in: a datapoint 30 s ago counts, whenever in the minute.
        assert_eq!(Window::last(3600, 7230), Window { start: 3660, end: 7260, period: 180 });
        assert_eq!(Window::last(3600, 7200), Window { start: 3600, end: 7200, period: 180 });
        assert_eq!(Window::last(600, 7200).period, 60);
        assert_eq!(Window::last(86400, 90000).period, 3600);
    }
}
