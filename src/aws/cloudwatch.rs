//! CloudWatch metric alarms (and, for `status`, metric data and alarm states).

use super::batch::Batcher;
use super::sdk_error;
use super::ArnTags;
use crate::model::kinds::alarm::{AlarmMetric, MetricStat, EXPRESSION_ID};
use crate::model::{AlarmSpec, Live, Outputs, Spec, Tags};
use anyhow::{Context as _, Result};
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat as Stat, Statistic, Tag,
};
use aws_sdk_cloudwatch::Client;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

fn not_found<E: ProvideErrorMetadata>(e: &E) -> bool {
    matches!(e.code(), Some("ResourceNotFound") | Some("ResourceNotFoundException"))
}

fn dimensions(d: &BTreeMap<String, String>) -> Vec<Dimension> {
    d.iter().map(|(k, v)| Dimension::builder().name(k).value(v).build()).collect()
}

fn dimension_map(d: &[Dimension]) -> BTreeMap<String, String> {
    d.iter().map(|d| (d.name().unwrap_or_default().to_string(), d.value().unwrap_or_default().to_string())).collect()
}

/// The alarm spec of what DescribeAlarms returned (tags given).
fn spec_of(a: &MetricAlarm, tags: Tags) -> AlarmSpec {
    let metric = if a.metrics().is_empty() {
        AlarmMetric::Single(MetricStat {
            namespace: a.namespace().unwrap_or_default().to_string(),
            metric: a.metric_name().unwrap_or_default().to_string(),
            dimensions: dimension_map(a.dimensions()),
            statistic: a
                .statistic()
                .map(|s| s.as_str().to_string())
                .or_else(|| a.extended_statistic().map(String::from))
                .unwrap_or_default(),
            period: a.period().unwrap_or_default(),
        })
    } else {
        let mut expression = String::new();
        let mut metrics = BTreeMap::new();
        for q in a.metrics() {
            match (q.expression(), q.metric_stat()) {
                (Some(e), _) => expression = e.to_string(),
                (None, Some(stat)) => {
                    let m = stat.metric();
                    metrics.insert(
                        q.id().unwrap_or_default().to_string(),
                        MetricStat {
                            namespace: m.and_then(Metric::namespace).unwrap_or_default().to_string(),
                            metric: m.and_then(Metric::metric_name).unwrap_or_default().to_string(),
                            dimensions: m.map(|m| dimension_map(m.dimensions())).unwrap_or_default(),
                            statistic: stat.stat().unwrap_or_default().to_string(),
                            period: stat.period().unwrap_or_default(),
                        },
                    );
                }
                (None, None) => {}
            }
        }
        AlarmMetric::Math { expression, metrics }
    };
    let evaluation_periods = a.evaluation_periods().unwrap_or(1);
    let mut actions = a.alarm_actions().to_vec();
    actions.sort();
    let mut ok_actions = a.ok_actions().to_vec();
    ok_actions.sort();
    AlarmSpec {
        name: a.alarm_name().unwrap_or_default().to_string(),
        description: a.alarm_description().unwrap_or_default().to_string(),
        metric,
        evaluation_periods,
        datapoints_to_alarm: a.datapoints_to_alarm().unwrap_or(evaluation_periods),
        threshold: a.threshold().unwrap_or_default(),
        comparison: a.comparison_operator().map(|c| c.as_str().to_string()).unwrap_or_default(),
        treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_string(),
        actions,
        ok_actions,
        tags,
    }
}

/// Reads an alarm by name (`None`: it does not exist), in one DescribeAlarms with the alarms
/// read meanwhile (100 names a call).
pub(super) async fn read(
    client: &Client,
    reads: &Batcher<MetricAlarm>,
    name: &str,
    arn: &str,
    tags: Option<&Tags>,
) -> Result<Option<Live>> {
    let Some(alarm) = reads.get(name, |names| describe(client.clone(), names)).await? else { return Ok(None) };
    let arn = alarm.alarm_arn().unwrap_or(arn).to_string();
    let tags = match tags {
        Some(t) => t.clone(),
        None => client.tags_of(&arn).await?.unwrap_or_default(),
    };
    Ok(Some(Live::new(Spec::Alarm(spec_of(&alarm, tags)), arn)))
}

/// The metric alarms of these names (at most 100) that exist, by name.
async fn describe(client: Client, names: Vec<String>) -> Result<HashMap<String, MetricAlarm>> {
    let mut found = HashMap::new();
    let mut pages = client.describe_alarms().set_alarm_names(Some(names)).max_records(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        for alarm in page.map_err(sdk_error)?.metric_alarms() {
            if let Some(name) = alarm.alarm_name() {
                found.insert(name.to_string(), alarm.clone());
            }
        }
    }
    Ok(found)
}

fn query(id: &str, m: &MetricStat) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(&m.namespace)
        .metric_name(&m.metric)
        .set_dimensions(Some(dimensions(&m.dimensions)))
        .build();
    let stat = Stat::builder().metric(metric).period(m.period).stat(&m.statistic).build();
    MetricDataQuery::builder().id(id).metric_stat(stat).return_data(false).build()
}

/// PutMetricAlarm with every setting of `spec`: CloudWatch's create and update are one call,
/// which replaces every setting (tags are written at creation only).
async fn put(client: &Client, spec: &AlarmSpec, with_tags: bool) -> Result<()> {
    let mut request = client
        .put_metric_alarm()
        .alarm_name(&spec.name)
        .alarm_description(&spec.description)
        .actions_enabled(true)
        .set_alarm_actions(Some(spec.actions.clone()))
        .set_ok_actions(Some(spec.ok_actions.clone()))
        .evaluation_periods(spec.evaluation_periods)
        .datapoints_to_alarm(spec.datapoints_to_alarm)
        .threshold(spec.threshold)
        .comparison_operator(ComparisonOperator::from(spec.comparison.as_str()))
        .treat_missing_data(&spec.treat_missing_data);
    match &spec.metric {
        AlarmMetric::Single(m) => {
            request = request
                .namespace(&m.namespace)
                .metric_name(&m.metric)
                .set_dimensions(Some(dimensions(&m.dimensions)))
                .period(m.period);
            request = if m.is_standard() {
                request.statistic(Statistic::from(m.statistic.as_str()))
            } else {
                request.extended_statistic(&m.statistic)
            };
        }
        AlarmMetric::Math { expression, metrics } => {
            let mut queries: Vec<MetricDataQuery> = metrics.iter().map(|(id, m)| query(id, m)).collect();
            queries.push(MetricDataQuery::builder().id(EXPRESSION_ID).expression(expression).return_data(true).build());
            request = request.set_metrics(Some(queries));
        }
    }
    if with_tags {
        let tags: Vec<Tag> = spec.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        request = request.set_tags(Some(tags));
    }
    request.send().await.map_err(sdk_error)?;
    Ok(())
}

pub(super) async fn update(client: &Client, desired: &AlarmSpec, live: &AlarmSpec, arn: &str) -> Result<Outputs> {
    let settings =
        AlarmSpec { tags: Tags::new(), ..desired.clone() } != AlarmSpec { tags: Tags::new(), ..live.clone() };
    if settings {
        put(client, desired, false).await?;
    }
    client.retag(arn, &desired.tags, &live.tags).await?;
    Ok(Outputs { arn: arn.to_string(), qualified_arn: None })
}

/// Alarm reads of this run, batched: DescribeAlarms takes 100 names.
struct AlarmReads(std::sync::Arc<Batcher<MetricAlarm>>);

impl Default for AlarmReads {
    fn default() -> AlarmReads {
        AlarmReads(Batcher::new(100))
    }
}

#[async_trait::async_trait]
impl crate::provider::KindApi<AlarmSpec> for super::Clients {
    async fn read(&self, name: &str, _: Option<&AlarmSpec>, tags: Option<&Tags>) -> Result<Option<Live>> {
        read(&self.cloudwatch, &self.kind_state.get::<AlarmReads>().0, name, &self.env()?.alarm_arn(name), tags).await
    }
    /// Creates the alarm with its tags. PutMetricAlarm would overwrite an alarm of that name: one
    /// that exists is converged only when it carries the stack's tags. CloudWatch has no
    /// create-only call, so an alarm someone makes between that read and the put is overwritten;
    /// the put ignores tags on an alarm that exists, so the read after it tells: one that does not
    /// carry the stack's tags is reported, never taken for the stack's.
    async fn create(&self, spec: &AlarmSpec, _: Duration) -> Result<Outputs> {
        let (client, reads, arn) =
            (&self.cloudwatch, &self.kind_state.get::<AlarmReads>().0, &self.env()?.alarm_arn(&spec.name));
        if let Some(existing) = read(client, reads, &spec.name, arn, None).await? {
            super::ensure_ours(&existing, &spec.tags)?;
            let Spec::Alarm(was) = &existing.spec else { anyhow::bail!("internal error: not an alarm") };
            return update(client, spec, was, &existing.arn).await;
        }
        put(client, spec, true).await?;
        let live =
            read(client, reads, &spec.name, arn, None).await?.context("the alarm vanished right after its creation")?;
        super::ensure_ours(&live, &spec.tags).with_context(|| {
            format!(
                "alarm {} was made by someone else between provision's read and its PutMetricAlarm (CloudWatch has no create-only call), which overwrote its settings; it is not the stack's: restore it, or give the stack's alarm another name",
                super::one_line(&spec.name, 255)
            )
        })?;
        Ok(Outputs { arn: live.arn, qualified_arn: None })
    }
    async fn update(&self, desired: &AlarmSpec, was: &AlarmSpec, live: &Live, _: Duration) -> Result<Outputs> {
        update(&self.cloudwatch, desired, was, &live.arn).await
    }
    async fn delete(&self, spec: &AlarmSpec, _: &Live, _: bool, _: Duration) -> Result<()> {
        let (client, name) = (&self.cloudwatch, &spec.name);
        super::unless_missing(client.delete_alarms().alarm_names(name).send().await, not_found).map(|_| ())
    }
    /// Nothing: an alarm holds its state and history, which CloudWatch keeps for the metric.
    async fn data_held(&self, _: &AlarmSpec, _: &Live) -> Result<Option<String>> {
        Ok(None)
    }
}

arn_tags!(Client => cloudwatch for AlarmSpec {
    arn: resource_arn,
    list: list_tags_for_resource,
    read: |out| {
        out.tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_string(), t.value().unwrap_or_default().to_string()))
            .collect()
    },
    write: |request, tags| request.set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect())),
    gone: not_found,
});
