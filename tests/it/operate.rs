//! Operating the pipelines against moto: the alarms a stream derives (checked through the SDK:
//! namespace, metric, dimension, threshold, actions, tags), planned clean, a buffer change moving
//! the freshness threshold in place, the alarms table removed deleting only those alarms, a
//! hand-written alarm and a topic applied and destroyed; `status` reading metrics put into moto.

use crate::common::*;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StateValue};

const ALARMS: &str = "\n[topic.ops]\nsubscriptions = [{ protocol = \"email\", endpoint = \"data-team@example.com\" }]\n\n[firehose.events.alarms]\nactions = [\"topic.ops\"]\n";

/// An alarm made (or overwritten) by hand: PutMetricAlarm on `namespace`'s metric `x`.
async fn put_alarm_by_hand(cw: &aws_sdk_cloudwatch::Client, name: &str, namespace: &str, description: Option<&str>) {
    cw.put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(description.map(String::from))
        .evaluation_periods(1)
        .threshold(99.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .metric_name("x")
        .namespace(namespace)
        .period(60)
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .send()
        .await
        .unwrap();
}

async fn cloudwatch(fx: &Fixture) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&fx.moto.sdk_config().await)
}

/// The stack's alarms as CloudWatch has them, by name.
async fn alarms(fx: &Fixture) -> std::collections::BTreeMap<String, aws_sdk_cloudwatch::types::MetricAlarm> {
    let out = cloudwatch(fx).await.describe_alarms().send().await.unwrap();
    out.metric_alarms().iter().map(|a| (a.alarm_name().unwrap().to_string(), a.clone())).collect()
}

fn with_alarms(fx: &Fixture) {
    let text = std::fs::read_to_string(fx.stack_path()).unwrap();
    fx.write_file("stack.toml", &format!("{text}{ALARMS}"));
}

#[tokio::test]
async fn a_stream_s_derived_alarms_live_change_and_go_with_it() {
    let fx = Fixture::new();
    with_alarms(&fx);
    let applied = fx.apply();
    // The six resources, the topic, and six alarms (no conversion on the default stream).
    applied.assert_stdout("Resources: 13 added");
    fx.assert_clean();
    let live = alarms(&fx).await;
    let names: Vec<&str> = live.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "PUT-S3-lambda-delivery",
            "PUT-S3-lambda-freshness",
            "PUT-S3-lambda-limits",
            "PUT-S3-lambda-partitions",
            "PUT-S3-lambda-processing",
            "PUT-S3-lambda-throttled"
        ]
    );
    let topic = "arn:aws:sns:us-east-1:123456789012:firehose-dp-demo-ops";
    let freshness = &live["PUT-S3-lambda-freshness"];
    assert_eq!(freshness.namespace(), Some("AWS/Firehose"));
    assert_eq!(freshness.metric_name(), Some("DeliveryToS3.DataFreshness"));
    assert_eq!(freshness.dimensions()[0].name(), Some("DeliveryStreamName"));
    assert_eq!(freshness.dimensions()[0].value(), Some("PUT-S3-lambda"));
    // 60 s of buffering x 1.5 (dynamic partitioning) + the Lambda processor's 300 s + 60 s.
    assert_eq!(freshness.threshold(), Some(450.0));
    assert_eq!(freshness.alarm_actions(), [topic]);
    assert_eq!(freshness.treat_missing_data(), Some("notBreaching"));
    let partitions = &live["PUT-S3-lambda-partitions"];
    let expression = partitions.metrics().iter().find_map(|m| m.expression()).unwrap();
    assert_eq!(expression, "MAX([active / 400, exceeded])");
    let tags = cloudwatch(&fx)
        .await
        .list_tags_for_resource()
        .resource_arn(freshness.alarm_arn().unwrap())
        .send()
        .await
        .unwrap();
    let tag = |k: &str| tags.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value()).map(String::from);
    assert_eq!(tag("provision:stack").as_deref(), Some("firehose-dp-demo"));
    assert_eq!(tag("provision:address").as_deref(), Some("alarm.events_freshness"));
    // A buffer change moves the freshness threshold, in place.
    fx.edit("buffer_interval_seconds = 60", "buffer_interval_seconds = 120");
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    plan.assert_stdout("alarm.events_freshness will be updated in-place");
    plan.assert_stdout("threshold   = 450.0 -> 540.0");
    fx.apply();
    fx.assert_clean();
    assert_eq!(alarms(&fx).await["PUT-S3-lambda-freshness"].threshold(), Some(540.0));
    // Without the alarms table: only those alarms go; the topic and the stream stay.
    let text = std::fs::read_to_string(fx.stack_path()).unwrap();
    fx.write_file("stack.toml", &text.replace("\n[firehose.events.alarms]\nactions = [\"topic.ops\"]\n", ""));
    let plan = fx.ok(&["plan"], 0);
    plan.assert_stdout("Plan: 0 to add, 0 to change, 6 to destroy.");
    fx.apply();
    assert!(alarms(&fx).await.is_empty());
    let sns = aws_sdk_sns::Client::new(&fx.moto.sdk_config().await);
    assert!(sns.get_topic_attributes().topic_arn(topic).send().await.is_ok(), "the topic stays");
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(sns.get_topic_attributes().topic_arn(topic).send().await.is_err(), "destroy removes the topic");
}

#[tokio::test]
async fn a_hand_written_alarm_and_a_topic_are_applied_planned_clean_and_destroyed() {
    let fx = Fixture::example("minimal.toml");
    let text = std::fs::read_to_string(fx.stack_path()).unwrap();
    fx.write_file(
        "stack.toml",
        &format!(
            "{text}\n[topic.ops]\nname = \"minimal-ops\"\n\n[alarm.slow]\ndescription = \"records arrive late\"\n\
             expression = \"MAX([fresh / 60])\"\nmetrics = {{ fresh = {{ namespace = \"AWS/Firehose\", metric = \"DeliveryToS3.DataFreshness\", dimensions = {{ DeliveryStreamName = \"${{firehose.events.name}}\" }}, statistic = \"p99\", period_seconds = 300 }} }}\n\
             evaluation_periods = 3\ndatapoints_to_alarm = 2\nthreshold = 15\ncomparison = \"GreaterThanThreshold\"\nactions = [\"topic.ops\"]\nok_actions = [\"topic.ops\"]\n"
        ),
    );
    fx.apply();
    fx.assert_clean();
    let live = alarms(&fx).await;
    let slow = &live["firehose-minimal-slow"];
    assert_eq!((slow.evaluation_periods(), slow.datapoints_to_alarm()), (Some(3), Some(2)));
    assert_eq!(slow.ok_actions(), ["arn:aws:sns:us-east-1:123456789012:minimal-ops"]);
    let stat = slow.metrics().iter().find_map(|m| m.metric_stat()).unwrap();
    assert_eq!(stat.stat(), Some("p99"));
    // Drift: someone changes the threshold by hand; the plan puts it back.
    let cw = cloudwatch(&fx).await;
    put_alarm_by_hand(&cw, "firehose-minimal-slow", "y", None).await;
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    plan.assert_stdout("alarm.slow will be updated in-place");
    fx.apply();
    fx.assert_clean();
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(alarms(&fx).await.is_empty());
}

#[tokio::test]
async fn status_reads_the_metrics_says_no_data_yet_and_exits_2_on_an_alarm() {
    let fx = Fixture::new();
    with_alarms(&fx);
    fx.apply();
    // Deployed, nothing sent: no data yet, never 0; healthy.
    let quiet = fx.ok(&["status"], 0);
    quiet.assert_stdout("firehose.events  ACTIVE  no data yet");
    // Against the emulator, healthy as far as it can tell, and said so (it publishes no metric itself).
    quiet.assert_stdout("Every stream ACTIVE, no alarm of the stack in ALARM; this endpoint is not AWS");
    // Metrics put into moto over the last half hour: summed and shown.
    let cw = cloudwatch(&fx).await;
    let now = std::time::SystemTime::now();
    for i in 0..6u64 {
        let at = aws_sdk_cloudwatch::primitives::DateTime::from(now - std::time::Duration::from_secs(300 * i + 30));
        let datum = |name: &str, value: f64| {
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(Dimension::builder().name("DeliveryStreamName").value("PUT-S3-lambda").build())
                .timestamp(at)
                .value(value)
                .build()
        };
        cw.put_metric_data()
            .namespace("AWS/Firehose")
            .metric_data(datum("IncomingRecords", 1000.0))
            .metric_data(datum("DeliveryToS3.Records", 990.0))
            .metric_data(datum("DeliveryToS3.DataFreshness", 100.0 + i as f64))
            .metric_data(datum("PartitionCount", 12.0))
            .send()
            .await
            .unwrap();
    }
    let json = fx.ok(&["status", "firehose.events", "--json", "--since", "1h"], 0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let s = &report["streams"][0];
    assert_eq!(s["records_in"], 6000.0, "{s}");
    assert_eq!(s["records_delivered"], 5940.0, "{s}");
    assert_eq!(s["freshness_max"], 105.0, "{s}");
    assert_eq!(s["partitions_max"], 12.0, "{s}");
    assert_eq!(s["partition_quota"], 500, "{s}");
    assert_eq!(s["no_data"], false);
    let text = fx.ok(&["status"], 0);
    assert!(text.stdout.contains("6,000") && text.stdout.contains("12/500"), "{}", text.all());
    // An alarm in ALARM: named on its stream's line, exit 2.
    cw.set_alarm_state()
        .alarm_name("PUT-S3-lambda-throttled")
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .unwrap();
    let firing = fx.ok(&["status"], 2);
    firing.assert_stdout("PUT-S3-lambda-throttled");
    // Every alarm of the stack, whatever its state, when asked: the one in ALARM with its reason.
    let listed = fx.ok(&["status", "--alarms"], 2);
    listed.assert_stdout("Alarms of the stack (6):");
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.contains("PUT-S3-lambda-throttled") && l.contains("ALARM") && l.ends_with("test")),
        "{}",
        listed.all()
    );
    assert!(
        listed.stdout.lines().any(|l| l.contains("PUT-S3-lambda-freshness") && !l.contains(" ALARM")),
        "{}",
        listed.all()
    );
    // A selection that names no stream is an error naming the streams.
    let none = fx.ok(&["status", "module.nothing"], 1);
    none.assert_stderr("its streams: firehose.events");
}

/// An alarm and a topic someone else made at the names the stack wants (an untagged alarm,
/// another stack's topic): conflicts in the plan, apply refuses and changes neither (read back
/// through the SDK: the alarm's settings and tags, the topic's tags and subscriptions). Before,
/// no test put a foreign one where the stack wants one: PutMetricAlarm overwrites whatever is
/// there and CreateTopic returns the existing topic, so only provision's own checks hold.
#[tokio::test]
async fn a_foreign_alarm_and_topic_of_a_wanted_name_are_left_exactly_as_they_were() {
    let fx = Fixture::new();
    with_alarms(&fx);
    let cw = cloudwatch(&fx).await;
    put_alarm_by_hand(&cw, "PUT-S3-lambda-freshness", "Team/Own", Some("the on-call team's own")).await;
    let sns = aws_sdk_sns::Client::new(&fx.moto.sdk_config().await);
    let topic = sns
        .create_topic()
        .name("firehose-dp-demo-ops")
        .tags(aws_sdk_sns::types::Tag::builder().key("provision:stack").value("another-stack").build().unwrap())
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let read_back = || async {
        let alarm = alarms(&fx).await.remove("PUT-S3-lambda-freshness").unwrap();
        let arn = alarm.alarm_arn().unwrap().to_string();
        let alarm_tags = cw.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags().len();
        let topic_tags: Vec<(String, String)> = sns
            .list_tags_for_resource()
            .resource_arn(&topic)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let subscriptions = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
        (
            alarm.namespace().map(String::from),
            alarm.threshold(),
            alarm.alarm_description().map(String::from),
            alarm_tags,
            topic_tags,
            subscriptions.subscriptions().len(),
        )
    };
    let before = read_back().await;
    assert_eq!(before.0.as_deref(), Some("Team/Own"));
    let plan = fx.json_plan();
    let action = |address: &str| {
        plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == address).unwrap()["action"].clone()
    };
    assert_eq!(action("alarm.events_freshness"), "conflict", "{plan}");
    assert_eq!(action("topic.ops"), "conflict", "{plan}");
    let reason = |address: &str| {
        plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == address).unwrap()["reasons"][0]["code"]
            .clone()
    };
    assert_eq!(reason("topic.ops"), "owned-by-another-stack", "{plan}");
    let topic_remedy =
        plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "topic.ops").unwrap()["remedy"].clone();
    assert!(topic_remedy.as_str().unwrap().contains("stack \"another-stack\" owns it"), "{topic_remedy}");
    assert_eq!(reason("alarm.events_freshness"), "not-owned", "{plan}");
    let apply = fx.ok(&["apply", "--auto-approve"], 1);
    apply.assert_stderr("not owned by this stack; nothing was changed");
    // What to do is said per resource: the other stack's topic is not one to import.
    apply.assert_stderr("topic.ops: stack \"another-stack\" owns it: destroy it there");
    assert_eq!(read_back().await, before, "the foreign alarm or topic changed");
}
