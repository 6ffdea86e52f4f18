//! `[alarm.NAME]`: a CloudWatch metric alarm on one metric, or on a metric math expression over
//! named metrics; and the alarms a stream derives from its own settings
//! (`[firehose.NAME.alarms]`, see [`derived`]).

pub mod derived;

use super::{push, resolve, BuildSite, CheckSite, Kind, KindInfo, KindSpec, Reference, ReplaceRule, Resolved};
use crate::defaults as d;
use crate::model::address::Position;
use crate::model::diagnostic::{Diagnostic, Rule};
use crate::model::{Address, Attr, Attributes, Resource, Tags};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The facts of the alarm kind.
pub(crate) const INFO: KindInfo = KindInfo {
    name: "alarm",
    noun: "alarm",
    found_by: super::FoundBy::TaggingApi("cloudwatch:alarm"),
    name_in_arn: |arn| super::arn_resource(arn, "cloudwatch")?.strip_prefix("alarm:").map(String::from),
    may_reference: &[Kind::Topic, Kind::Firehose],
    default_wait_seconds: d::OTHER_WAIT_SECONDS,
    create_carries_tags: true,
    hotswap: &[],
    holds: None,
    delete_refused_while_holding: false,
    on_existing: super::OnExisting::Upserts,
    arn: |env, name| env.alarm_arn(name),
    may_be_existing: false,
    // "CloudWatch service quotas": PutMetricAlarm 3 TPS, DeleteAlarms 3 TPS, DescribeAlarms 9 TPS,
    // GetMetricData 50 TPS; the tag calls are not listed there: paced as the slowest writes.
    rates: &[
        ("CloudWatch", 3.0),
        ("CloudWatch.DescribeAlarms", 9.0),
        ("CloudWatch.GetMetricData", 50.0),
        ("CloudWatch.ListTagsForResource", 3.0),
    ],
    reached_from: crate::model::kinds::Reach::Region,
    forget_also: None,
    names: super::Names::Regional,
    names_ignore_case: false,
};

/// CloudWatch's comparison operators for a static threshold (rule A6).
pub const COMPARISONS: [&str; 4] =
    ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];
/// What an alarm does while its metric has no data (rule A7). The default here is
/// `notBreaching`: a quiet stream is not an outage.
pub const MISSING_DATA: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];
/// The standard statistics (rule A5).
pub const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
/// At most this many actions of each kind per alarm ("CloudWatch service quotas", rule A9).
pub const MAX_ACTIONS: usize = 5;
/// At most this many metrics in a metric math alarm ("CloudWatch service quotas", rule A8).
pub const MAX_MATH_METRICS: usize = 10;

kind_section! {
    /// `[alarm.NAME]`: a CloudWatch metric alarm.
    pub struct AlarmSection {
        /// Alarm name, unique in the Region: 1-255 characters, no control characters (rule A1);
        /// default `<stack>-<NAME>`.
        pub name: Option<String>,
        /// What the alarm means and what to do when it fires (at most 1024 characters).
        pub description: Option<String>,
        /// The metric's namespace, e.g. `AWS/Firehose` (one metric, rule A2; or `expression` and
        /// `metrics`).
        pub namespace: Option<String>,
        /// The metric's name, e.g. `DeliveryToS3.DataFreshness`.
        pub metric: Option<String>,
        /// The metric's dimensions, e.g. `{ DeliveryStreamName = "${firehose.events.name}" }`.
        #[serde(default)]
        pub dimensions: BTreeMap<String, String>,
        /// `SampleCount`, `Average`, `Sum`, `Minimum` or `Maximum` (or `extended_statistic`; rule
        /// A5).
        pub statistic: Option<String>,
        /// A percentile or trimmed statistic: `p99`, `p99.9`, `tm90`, `iqm`...
        pub extended_statistic: Option<String>,
        /// The length of each evaluated period: 10, 20, 30 or a multiple of 60 seconds (rule A3).
        pub period_seconds: Option<i32>,
        /// Metric math over `metrics` instead of one metric: `"MAX([a, b / 60])"`; the alarm
        /// evaluates its result (rule A8).
        pub expression: Option<String>,
        /// The metrics `expression` names, by id (a lowercase letter first, then letters, digits, `_`).
        #[serde(default)]
        pub metrics: BTreeMap<String, MetricSection>,
        /// How many periods are evaluated (default 1); the window is at most a day for periods
        /// under an hour (rule A4).
        #[schemars(extend("default" = 1))]
        pub evaluation_periods: Option<i32>,
        /// How many of them must breach ("M out of N"; default: all of them).
        pub datapoints_to_alarm: Option<i32>,
        /// The threshold the statistic (or the expression) is compared with.
        pub threshold: f64,
        /// `GreaterThanThreshold`, `GreaterThanOrEqualToThreshold`, `LessThanThreshold` or
        /// `LessThanOrEqualToThreshold` (rule A6).
        pub comparison: String,
        /// `notBreaching` (the default: a quiet stream is not an outage), `breaching`, `ignore` or
        /// `missing` (rule A7).
        #[schemars(extend("default" = "notBreaching"))]
        pub treat_missing_data: Option<String>,
        /// Notified on ALARM: `topic.NAME`, or an existing topic `{ existing_arn =
        /// "arn:aws:sns:..." }`; 5 at most (rule A9).
        #[serde(default)]
        pub actions: Vec<Reference>,
        /// Notified on OK, as `actions`.
        #[serde(default)]
        pub ok_actions: Vec<Reference>,
    }
}

/// One metric of a metric math alarm.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricSection {
    pub namespace: String,
    pub metric: String,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// A standard statistic, or an extended one (`p99`).
    pub statistic: String,
    /// 10, 20, 30 or a multiple of 60 seconds.
    pub period_seconds: i32,
}

/// A metric and how it is aggregated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricStat {
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    /// A standard statistic (`Sum`) or an extended one (`p99`).
    pub statistic: String,
    pub period: i32,
}

/// What an alarm evaluates.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmMetric {
    /// One metric.
    Single(MetricStat),
    /// A metric math expression over named metrics.
    Math { expression: String, metrics: BTreeMap<String, MetricStat> },
}

/// The id of the expression among a metric math alarm's queries (its result).
pub const EXPRESSION_ID: &str = "result";

/// An alarm, desired or live.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub metric: AlarmMetric,
    pub evaluation_periods: i32,
    /// Normalized: when not set, all of the evaluation periods.
    pub datapoints_to_alarm: i32,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: String,
    /// Sorted ARNs.
    pub actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub tags: Tags,
}

/// Builds `[alarm.NAME]`.
pub(crate) fn build(b: &mut dyn BuildSite<'_>, name: &str, s: &AlarmSection) -> Option<Resource> {
    let (address, key) = b.address(Kind::Alarm, name);
    let alarm_name = b.aws_name(&key, s.name.as_ref(), name);
    let metric = metric_of(b, &key, s)?;
    let (alarm_actions, mut depends_on) = actions(b, &key.at("actions"), &s.actions);
    let (ok_actions, ok_depends) = actions(b, &key.at("ok_actions"), &s.ok_actions);
    depends_on.extend(ok_depends);
    let evaluation_periods = s.evaluation_periods.unwrap_or(1);
    let spec = AlarmSpec {
        name: alarm_name,
        description: s.description.as_deref().map(|d| b.text(&key.at("description"), d)).unwrap_or_default(),
        metric,
        evaluation_periods,
        datapoints_to_alarm: s.datapoints_to_alarm.unwrap_or(evaluation_periods),
        threshold: s.threshold,
        comparison: s.comparison.clone(),
        treat_missing_data: s.treat_missing_data.clone().unwrap_or_else(|| "notBreaching".into()),
        actions: alarm_actions,
        ok_actions,
        tags: b.tags(&address),
    };
    Some(b.resource(address, spec.into(), depends_on, s.prevent_destroy, None))
}

/// The metric (or the expression over metrics) `[alarm.NAME]` evaluates; written wrongly
/// (both, neither, a part missing), reported at `key` (rule A2).
fn metric_of(b: &mut dyn BuildSite<'_>, key: &Position, s: &AlarmSection) -> Option<AlarmMetric> {
    let mut text = |at: &Position, v: &str| b.text(at, v);
    let single = s.namespace.is_some() || s.metric.is_some();
    match (&s.expression, single) {
        (Some(expression), false) => {
            let expression = text(&key.at("expression"), expression);
            let mut metrics = BTreeMap::new();
            for (id, m) in &s.metrics {
                let at = key.at("metrics").at(id);
                let dimensions =
                    m.dimensions.iter().map(|(k, v)| (k.clone(), text(&at.at("dimensions").at(k), v))).collect();
                metrics.insert(
                    id.clone(),
                    MetricStat {
                        namespace: text(&at.at("namespace"), &m.namespace),
                        metric: text(&at.at("metric"), &m.metric),
                        dimensions,
                        statistic: m.statistic.clone(),
                        period: m.period_seconds,
                    },
                );
            }
            Some(AlarmMetric::Math { expression, metrics })
        }
        (None, true) => {
            let (Some(namespace), Some(metric)) = (&s.namespace, &s.metric) else {
                b.report(
                    Diagnostic::error(Rule::A2, key, "an alarm on one metric names its `namespace` and `metric`")
                        .with_help("namespace = \"AWS/Firehose\", metric = \"ThrottledRecords\""),
                );
                return None;
            };
            let statistic = match (&s.statistic, &s.extended_statistic) {
                (Some(st), None) | (None, Some(st)) => st.clone(),
                _ => {
                    b.report(
                        Diagnostic::error(
                            Rule::A5,
                            key.at("statistic"),
                            "give `statistic` or `extended_statistic`, one of them",
                        )
                        .with_help(format!(
                            "statistic = one of {}, or extended_statistic = \"p99\"",
                            STATISTICS.join(", ")
                        )),
                    );
                    return None;
                }
            };
            let Some(period) = s.period_seconds else {
                b.report(
                    Diagnostic::error(Rule::A3, key, "an alarm on one metric gives its `period_seconds`")
                        .with_help("e.g. 300"),
                );
                return None;
            };
            let mut text = |at: &Position, v: &str| b.text(at, v);
            let dimensions =
                s.dimensions.iter().map(|(k, v)| (k.clone(), text(&key.at("dimensions").at(k), v))).collect();
            Some(AlarmMetric::Single(MetricStat {
                namespace: text(&key.at("namespace"), namespace),
                metric: text(&key.at("metric"), metric),
                dimensions,
                statistic,
                period,
            }))
        }
        (Some(_), true) => {
            b.report(
                Diagnostic::error(Rule::A2, key, "an alarm evaluates one metric or an expression, not both")
                    .with_help("keep `namespace`/`metric`, or `expression` with `metrics`"),
            );
            None
        }
        (None, false) => {
            b.report(
                Diagnostic::error(Rule::A2, key, "an alarm needs a metric (`namespace`, `metric`) or an `expression`")
                    .with_help("namespace = \"AWS/Firehose\", metric = \"ThrottledRecords\", statistic = \"Sum\", period_seconds = 300"),
            );
            None
        }
    }
}

/// The ARNs of an alarm's actions (topics of the stack or existing ones), sorted, and the
/// topics of the stack they name.
pub(crate) fn actions(b: &mut dyn BuildSite<'_>, key: &Position, refs: &[Reference]) -> (Vec<String>, Vec<Address>) {
    let mut arns = Vec::new();
    let mut depends_on = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let resolved = resolve(b, &key.index(i), r, Kind::Topic);
        if let Some(Resolved::Declared(a)) = &resolved {
            depends_on.push(a.clone());
        }
        let arn = super::resolved_arn(b, &resolved);
        if !arn.is_empty() {
            arns.push(arn);
        }
    }
    arns.sort();
    arns.dedup();
    (arns, depends_on)
}

impl MetricStat {
    fn json(&self) -> serde_json::Value {
        json!({
            "namespace": self.namespace,
            "metric": self.metric,
            "dimensions": self.dimensions,
            "statistic": self.statistic,
            "period_seconds": self.period,
        })
    }

    /// Whether the statistic is a standard one (`Sum`) rather than an extended one (`p99`).
    pub fn is_standard(&self) -> bool {
        STATISTICS.contains(&self.statistic.as_str())
    }
}

impl KindSpec for AlarmSpec {
    fn attributes(&self) -> Attributes {
        let AlarmSpec {
            name,
            description,
            metric,
            evaluation_periods,
            datapoints_to_alarm,
            threshold,
            comparison,
            treat_missing_data,
            actions,
            ok_actions,
            tags: _,
        } = self;
        let mut a = Attributes::new();
        push(&mut a, "name", json!(name));
        push(&mut a, "description", json!(description));
        match metric {
            AlarmMetric::Single(m) => {
                push(&mut a, "namespace", json!(m.namespace));
                push(&mut a, "metric", json!(m.metric));
                push(&mut a, "dimensions", json!(m.dimensions));
                push(&mut a, "statistic", json!(m.statistic));
                push(&mut a, "period_seconds", json!(m.period));
            }
            AlarmMetric::Math { expression, metrics } => {
                push(&mut a, "expression", json!(expression));
                let metrics: serde_json::Map<String, serde_json::Value> =
                    metrics.iter().map(|(id, m)| (id.clone(), m.json())).collect();
                push(&mut a, "metrics", serde_json::Value::Object(metrics));
            }
        }
        push(&mut a, "evaluation_periods", json!(evaluation_periods));
        push(&mut a, "datapoints_to_alarm", json!(datapoints_to_alarm));
        push(&mut a, "threshold", json!(threshold));
        push(&mut a, "comparison", json!(comparison));
        push(&mut a, "treat_missing_data", json!(treat_missing_data));
        push(&mut a, "actions", json!(actions));
        push(&mut a, "ok_actions", json!(ok_actions));
        a
    }

    fn replaces(&self, _key: &str, _after: &Option<Attr>) -> Option<ReplaceRule> {
        None
    }
}

/// Rule G4 for an alarm's actions given as ARNs (existing topics): the topic lives in the
/// alarm's own account and Region (a topic of another account needs a topic policy provision
/// does not write; CloudWatch notifies topics of its own Region).
fn actions_reachable(a: &AlarmSpec, key: &Position, here: &crate::model::Location, out: &mut Vec<Diagnostic>) {
    for (k, list) in [("actions", &a.actions), ("ok_actions", &a.ok_actions)] {
        for arn in list {
            let mut parts = arn.splitn(6, ':');
            let (Some("arn"), Some(_), Some(service), Some(region), Some(account)) =
                (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if service == "sns" && (region != here.region || account != here.account) {
                out.push(
                    Diagnostic::error(
                        Rule::G4,
                        key.at(k),
                        format!(
                            "{} is a topic in {region} in account {account}, and the alarm in {here}: AWS does not reach across",
                            crate::output::escape_line(arn)
                        ),
                    )
                    .with_help("notify a topic where the alarm is (the same region and assume_role)"),
                );
            }
        }
    }
}

/// Rule A12: no text of an alarm (its name, description, namespaces, metrics, dimensions) holds
/// a control character or a bidirectional override: CloudWatch takes them, and they would hide
/// or reorder what consoles, notifications and provision's own output show.
fn hidden_text(a: &AlarmSpec, key: &Position, out: &mut Vec<Diagnostic>) {
    let mut texts: Vec<(Position, &str)> = vec![(key.at("name"), &a.name), (key.at("description"), &a.description)];
    let stats: Vec<(Position, &MetricStat)> = match &a.metric {
        AlarmMetric::Single(m) => vec![(key.clone(), m)],
        AlarmMetric::Math { metrics, .. } => metrics.iter().map(|(id, m)| (key.at("metrics").at(id), m)).collect(),
    };
    for (at, m) in stats {
        texts.push((at.at("namespace"), &m.namespace));
        texts.push((at.at("metric"), &m.metric));
        for (k, v) in &m.dimensions {
            texts.push((at.at("dimensions").at(k), k));
            texts.push((at.at("dimensions").at(k), v));
        }
    }
    for (at, text) in texts {
        if let Some(c) = text.chars().find(|c| crate::output::hides_text(*c)) {
            out.push(
                Diagnostic::error(
                    Rule::A12,
                    at,
                    format!("{} holds U+{:04X}, a control character or bidirectional override", crate::output::escape_line(text), c as u32),
                    )
                    .with_help("write it without control characters or bidirectional marks: they hide or reorder text where the alarm is shown".to_string()),
            );
        }
    }
}

/// Rules A1 to A9 and A12 (CloudWatch API reference, PutMetricAlarm and MetricDataQuery;
/// "CloudWatch service quotas").
pub(crate) fn check(a: &AlarmSpec, site: &CheckSite<'_, AlarmSection>, out: &mut Vec<Diagnostic>) {
    let CheckSite { at, written, stack, .. } = *site;
    let key = site.key();
    if let Some(here) = stack.get(at).map(|r| &r.location) {
        actions_reachable(a, &key, here, out);
    }
    let error = |rule: Rule, at: Position, message: String, help: &str| {
        Diagnostic::error(rule, at, message).with_help(help.to_string())
    };
    if a.name.is_empty() || a.name.chars().count() > 255 || a.name.chars().any(char::is_control) {
        out.push(error(
            Rule::A1,
            key.at("name"),
            format!("invalid alarm name {:?}", crate::output::escape(&a.name)),
            "1 to 255 characters, no control characters",
        ));
    }
    if a.description.chars().count() > 1024 {
        out.push(error(
            Rule::A1,
            key.at("description"),
            "the description is over 1024 characters".into(),
            "shorten it",
        ));
    }
    hidden_text(a, &key, out);
    let stats: Vec<(Position, &MetricStat)> = match &a.metric {
        AlarmMetric::Single(m) => vec![(key.clone(), m)],
        AlarmMetric::Math { expression, metrics } => {
            if expression.is_empty() || expression.chars().count() > 2048 {
                out.push(error(
                    Rule::A8,
                    key.at("expression"),
                    "an expression is 1 to 2048 characters".into(),
                    "shorten it",
                ));
            }
            if metrics.is_empty() || metrics.len() > MAX_MATH_METRICS {
                out.push(error(
                    Rule::A8,
                    key.at("metrics"),
                    format!("a metric math alarm has 1 to {MAX_MATH_METRICS} metrics ({} here)", metrics.len()),
                    "name each metric the expression uses: metrics = { m1 = { ... } }",
                ));
            }
            for id in metrics.keys() {
                if !valid_query_id(id) || id == EXPRESSION_ID {
                    out.push(error(
                        Rule::A8,
                        key.at("metrics").at(id),
                        format!("{id:?} is not a metric id CloudWatch takes here"),
                        "a lowercase letter, then letters, digits and _ (not `result`, the expression's own id)",
                    ));
                }
            }
            metrics.iter().map(|(id, m)| (key.at("metrics").at(id), m)).collect()
        }
    };
    for (at, m) in &stats {
        for (what, value) in [("namespace", &m.namespace), ("metric", &m.metric)] {
            if value.is_empty() || value.chars().count() > 255 {
                out.push(error(
                    Rule::A2,
                    at.at(what),
                    format!("the {what} is 1 to 255 characters"),
                    "e.g. AWS/Firehose",
                ));
            }
        }
        if m.dimensions.len() > 30 {
            out.push(error(
                Rule::A2,
                at.at("dimensions"),
                "at most 30 dimensions".into(),
                "keep those that name the metric",
            ));
        }
        for (k, v) in &m.dimensions {
            if k.is_empty() || k.chars().count() > 255 || v.is_empty() || v.chars().count() > 255 {
                out.push(error(
                    Rule::A2,
                    at.at("dimensions").at(k),
                    "a dimension's name and value are 1 to 255 characters".into(),
                    "e.g. DeliveryStreamName = \"${firehose.events.name}\"",
                ));
            }
        }
        if !m.is_standard() && !valid_extended_statistic(&m.statistic) {
            let extended = *at == key && written.is_some_and(|w| w.extended_statistic.is_some());
            out.push(error(
                Rule::A5,
                at.at(if extended { "extended_statistic" } else { "statistic" }),
                format!("{:?} is not a CloudWatch statistic", m.statistic),
                "SampleCount, Average, Sum, Minimum, Maximum, or a percentile such as p99 (p0 to p100, two decimals at most)",
            ));
        }
        let period = m.period;
        if !matches!(period, 10 | 20 | 30) && (period <= 0 || period % 60 != 0) {
            out.push(error(
                Rule::A3,
                at.at("period_seconds"),
                format!("{period} s is not an alarm period"),
                "10, 20, 30, or a multiple of 60",
            ));
        } else {
            // Period x EvaluationPeriods: at most a day for periods under an hour, 7 days otherwise.
            let window = i64::from(period) * i64::from(a.evaluation_periods);
            let most = if period < 3600 { 86_400 } else { 604_800 };
            if window > most {
                out.push(error(
                    Rule::A4,
                    key.at("evaluation_periods"),
                    format!(
                        "{} periods of {period} s evaluate {window} s; CloudWatch evaluates at most {most} s",
                        a.evaluation_periods
                    ),
                    "fewer or shorter periods",
                ));
            }
        }
    }
    if a.evaluation_periods < 1 {
        out.push(error(
            Rule::A4,
            key.at("evaluation_periods"),
            format!("{} is not a number of periods", a.evaluation_periods),
            "1 or more",
        ));
    }
    if a.datapoints_to_alarm < 1 || a.datapoints_to_alarm > a.evaluation_periods.max(1) {
        out.push(error(
            Rule::A4,
            key.at("datapoints_to_alarm"),
            format!(
                "{} breaching datapoints out of {} evaluation periods",
                a.datapoints_to_alarm, a.evaluation_periods
            ),
            "1 to evaluation_periods",
        ));
    }
    if !a.threshold.is_finite() {
        out.push(error(
            Rule::A6,
            key.at("threshold"),
            "the threshold is not a finite number".into(),
            "e.g. 0, 0.8, 600",
        ));
    }
    if !COMPARISONS.contains(&a.comparison.as_str()) {
        out.push(error(
            Rule::A6,
            key.at("comparison"),
            format!("unknown comparison {:?}", a.comparison),
            &COMPARISONS.join(", "),
        ));
    }
    if !MISSING_DATA.contains(&a.treat_missing_data.as_str()) {
        out.push(error(
            Rule::A7,
            key.at("treat_missing_data"),
            format!("unknown treat_missing_data {:?}", a.treat_missing_data),
            &MISSING_DATA.join(", "),
        ));
    }
    for (k, list) in [("actions", &a.actions), ("ok_actions", &a.ok_actions)] {
        if list.len() > MAX_ACTIONS {
            out.push(error(
                Rule::A9,
                key.at(k),
                format!("{} actions; an alarm takes at most {MAX_ACTIONS} per state", list.len()),
                "notify one topic, subscribed to by all",
            ));
        }
    }
}

/// A metric data query's id: a lowercase letter, then letters, digits and `_`, 1 to 255.
pub fn valid_query_id(id: &str) -> bool {
    id.len() <= 255
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `s` is an extended statistic CloudWatch takes: a percentile `p0` to `p100` with at
/// most two decimals, a trimmed statistic (`tm`, `wm`, `tc`, `ts` with the same number), or
/// `iqm`.
pub fn valid_extended_statistic(s: &str) -> bool {
    if s == "iqm" {
        return true;
    }
    let number = ["p", "tm", "wm", "tc", "ts"].iter().find_map(|p| s.strip_prefix(p));
    number.is_some_and(|n| {
        let decimals = n.split_once('.').map_or(0, |(_, d)| d.len());
        !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit() || c == '.')
            && decimals <= 2
            && n.parse::<f64>().is_ok_and(|v| (0.0..=100.0).contains(&v))
    })
}

#[cfg(test)]
pub(crate) const EXAMPLE: super::Example = super::Example {
    toml: "[topic.t]\nname = \"generic-alarm-topic\"\n\
           [alarm.a]\nname = \"generic-alarm\"\nnamespace = \"AWS/Firehose\"\nmetric = \"ThrottledRecords\"\n\
           dimensions = { DeliveryStreamName = \"s\" }\nstatistic = \"Sum\"\nperiod_seconds = 300\nthreshold = 0\n\
           comparison = \"GreaterThanThreshold\"\nactions = [\"topic.t\"]\n",
    address: "alarm.a",
    replaced: "[topic.t]\nname = \"generic-alarm-topic\"\n\
               [alarm.a]\nname = \"generic-alarm-2\"\nnamespace = \"AWS/Firehose\"\nmetric = \"ThrottledRecords\"\n\
               dimensions = { DeliveryStreamName = \"s\" }\nstatistic = \"Sum\"\nperiod_seconds = 300\nthreshold = 0\n\
               comparison = \"GreaterThanThreshold\"\nactions = [\"topic.t\"]\n",
    drift: drift!(Alarm, |a| a.threshold = 42.0),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_statistics_and_query_ids_are_what_cloudwatch_takes() {
        for ok in ["p99", "p99.9", "p0", "p100", "tm90", "wm99.99", "iqm"] {
            assert!(valid_extended_statistic(ok), "{ok}");
        }
        for bad in ["p", "p101", "p99.999", "q99", "Average", "p-1", "p9x"] {
            assert!(!valid_extended_statistic(bad), "{bad}");
        }
        assert!(valid_query_id("m1") && valid_query_id("incoming_bytes"));
        for bad in ["M1", "1m", "m-1", ""] {
            assert!(!valid_query_id(bad), "{bad}");
        }
    }

    /// A TOML basic string of `s` (TOML writes `\uXXXX`, not Rust's `\u{...}`).
    fn toml_string(s: &str) -> String {
        toml::Value::String(s.to_string()).to_string()
    }

    #[test]
    fn rule_a12_text_holding_a_control_or_bidi_character_is_refused_plain_text_passes() {
        let check = |description: &str, dimension: &str| {
            let toml = super::super::EXAMPLES
                .iter()
                .find(|(k, _)| *k == Kind::Alarm)
                .unwrap()
                .1
                .toml
                .replace("DeliveryStreamName = \"s\"", &format!("DeliveryStreamName = {}", toml_string(dimension)))
                .replace(
                    "name = \"generic-alarm\"",
                    &format!("name = \"generic-alarm\"\ndescription = {}", toml_string(description)),
                );
            let stack = format!("[stack]\nname = \"a\"\n{toml}");
            crate::testing::stack_files(&[("stack.toml", &stack)]).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(!check("records arrive late: see the runbook (été)", "PUT-S3-lambda").contains("A12"));
        for (description, dimension) in [("late\u{202e}etal", "s"), ("ok", "s\u{85}"), ("a\x1b[2Jb", "s")] {
            let errors = check(description, dimension);
            assert!(errors.contains("error[A12]"), "{description:?} {dimension:?}: {errors}");
        }
    }
}
