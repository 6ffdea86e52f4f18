//! What `provision status` reads of CloudWatch: metric data in batches (GetMetricData, up to 500
//! queries a call, every page) and the alarms in ALARM (DescribeAlarms, by name prefix, every
//! page). Paced by the pacer like every other call.

use super::{sdk_error, Clients};
use crate::status::{AlarmState, MetricQuery, Series};
use anyhow::Result;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StateValue};
use aws_smithy_types::DateTime;

/// GetMetricData takes at most this many queries a call.
const QUERIES_PER_CALL: usize = 500;

impl Clients {
    /// The datapoints of every query between `start` and `end` (seconds since the epoch), by
    /// `period` seconds, in calls of [`QUERIES_PER_CALL`] queries, each read to its last page;
    /// in the order of `queries`.
    pub async fn metric_data(&self, queries: &[MetricQuery], period: i32, start: i64, end: i64) -> Result<Vec<Series>> {
        let mut by_id: std::collections::HashMap<String, Series> = std::collections::HashMap::new();
        let batches = queries.chunks(QUERIES_PER_CALL).map(|batch| async move {
            let queries: Vec<MetricDataQuery> = batch
                .iter()
                .map(|q| {
                    let metric = Metric::builder()
                        .namespace(&q.namespace)
                        .metric_name(&q.metric)
                        .dimensions(Dimension::builder().name(&q.dimension.0).value(&q.dimension.1).build())
                        .build();
                    let stat = MetricStat::builder().metric(metric).period(period).stat(&q.statistic).build();
                    MetricDataQuery::builder().id(&q.id).metric_stat(stat).return_data(true).build()
                })
                .collect();
            let mut out: Vec<(String, Vec<(i64, f64)>)> = Vec::new();
            let mut pages = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries))
                .start_time(DateTime::from_secs(start))
                .end_time(DateTime::from_secs(end))
                .scan_by(ScanBy::TimestampAscending)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                for r in page.map_err(sdk_error)?.metric_data_results() {
                    let points = r.timestamps().iter().map(|t| t.secs()).zip(r.values().iter().copied()).collect();
                    out.push((r.id().unwrap_or_default().to_string(), points));
                }
            }
            Ok::<_, anyhow::Error>(out)
        });
        for batch in futures::future::join_all(batches).await {
            for (id, points) in batch? {
                by_id.entry(id).or_default().points.extend(points);
            }
        }
        Ok(queries
            .iter()
            .map(|q| {
                let mut s = by_id.remove(&q.id).unwrap_or_default();
                s.points.sort_by_key(|(t, _)| *t);
                s
            })
            .collect())
    }

    /// The metric alarms whose name starts with `prefix` (every page): those in ALARM, or with
    /// `every_state` all of them.
    pub async fn alarms(&self, prefix: &str, every_state: bool) -> Result<Vec<AlarmState>> {
        let mut request = self.cloudwatch.describe_alarms().max_records(100);
        if !every_state {
            request = request.state_value(StateValue::Alarm);
        }
        if !prefix.is_empty() {
            request = request.alarm_name_prefix(prefix);
        }
        let mut pages = request.into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            // The state is checked here too: an emulator may apply one filter of several (moto
            // drops the state when a prefix is given).
            for a in page.map_err(sdk_error)?.metric_alarms() {
                let state = a.state_value().map(|s| s.as_str().to_string()).unwrap_or_default();
                if every_state || state == StateValue::Alarm.as_str() {
                    out.push(AlarmState {
                        name: a.alarm_name().unwrap_or_default().to_string(),
                        state,
                        reason: a.state_reason().unwrap_or_default().to_string(),
                    });
                }
            }
        }
        Ok(out)
    }
}
