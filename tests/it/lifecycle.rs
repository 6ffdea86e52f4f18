//! The real binary against a real moto server: plan, apply, edit, drift, ownership, destroy.

use crate::common::*;

#[tokio::test]
async fn seed_pipeline_round_trip() {
    let fx = Fixture::new();
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    plan.assert_stdout("Plan: 6 to add, 0 to change, 0 to destroy.");
    assert!(plan.stdout.contains("(known after apply)"));

    let apply = fx.apply();
    apply.assert_stdout("Apply complete! Resources: 6 added, 0 changed, 0 destroyed.");
    assert!(apply.stdout.contains("function:MetadataExtractor:1"), "outputs name the published version");
    fx.assert_clean();

    // The stream is configured exactly as the seed's describe-delivery-stream output.
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    let described = firehose.describe_delivery_stream().delivery_stream_name(STREAM).send().await.unwrap();
    let d = described.delivery_stream_description().unwrap();
    let dest = d.destinations()[0].extended_s3_destination_description().unwrap();
    assert_eq!(
        dest.prefix(),
        Some("region=!{partitionKeyFromLambda:region}/device=!{partitionKeyFromLambda:device}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/")
    );
    assert_eq!(
        dest.error_output_prefix(),
        Some("error/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/!{firehose:error-output-type}")
    );
    assert_eq!(dest.bucket_arn(), format!("arn:aws:s3:::{BUCKET}"));
    let hints = dest.buffering_hints().unwrap();
    assert_eq!((hints.size_in_mbs(), hints.interval_in_seconds()), (Some(128), Some(60)));
    assert_eq!(dest.compression_format().as_str(), "UNCOMPRESSED");
    assert_eq!(
        dest.encryption_configuration().unwrap().no_encryption_config().map(|n| n.as_str()),
        Some("NoEncryption")
    );
    let logging = dest.cloud_watch_logging_options().unwrap();
    assert_eq!(logging.enabled(), Some(true));
    assert_eq!(logging.log_group_name(), Some("/aws/kinesisfirehose/PUT-S3-lambda"));
    assert_eq!(logging.log_stream_name(), Some("DestinationDelivery"));
    let processors = dest.processing_configuration().unwrap().processors();
    let summary: Vec<(String, Vec<(String, String)>)> = processors
        .iter()
        .map(|p| {
            (
                p.r#type().as_str().to_string(),
                p.parameters()
                    .iter()
                    .map(|x| (x.parameter_name().as_str().to_string(), x.parameter_value().to_string()))
                    .collect(),
            )
        })
        .collect();
    let role = "arn:aws:iam::123456789012:role/provision/firehose-dp-demo/firehose-dp-demo-delivery".to_string();
    assert_eq!(
        summary,
        vec![
            ("RecordDeAggregation".into(), vec![("SubRecordType".into(), "JSON".into())]),
            ("AppendDelimiterToRecord".into(), vec![]),
            (
                "Lambda".into(),
                vec![
                    ("LambdaArn".into(), "arn:aws:lambda:us-east-1:123456789012:function:MetadataExtractor:1".into()),
                    ("NumberOfRetries".into(), "3".into()),
                    ("RoleArn".into(), role.clone()),
                    ("BufferSizeInMBs".into(), "3".into()),
                    ("BufferIntervalInSeconds".into(), "300".into()),
                ]
            ),
        ]
    );
    assert_eq!(dest.role_arn(), role);
    assert_eq!(dest.s3_backup_mode().map(|m| m.as_str()), Some("Disabled"));
    let dp = dest.dynamic_partitioning_configuration().unwrap();
    assert_eq!(dp.enabled(), Some(true));
    assert_eq!(dp.retry_options().and_then(|r| r.duration_in_seconds()), Some(300));

    // The delivery role's policy names exactly this bucket, function and log stream.
    let iam = aws_sdk_iam::Client::new(&fx.moto.sdk_config().await);
    let text = generated_policy(&iam, "firehose-dp-demo-delivery").await;
    assert!(text.contains(&format!("arn:aws:s3:::{BUCKET}/*")));
    assert!(text.contains("function:MetadataExtractor:*"));
    assert!(text.contains("log-stream:DestinationDelivery"));
    assert!(!text.contains("\"*\""), "no wildcard resource: {text}");

    // The bucket has the secure defaults.
    let s3 = fx.moto.s3().await;
    let block = s3.get_public_access_block().bucket(BUCKET).send().await.unwrap();
    assert_eq!(block.public_access_block_configuration().unwrap().restrict_public_buckets(), Some(true));
    let policy = s3.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    assert!(policy.policy().unwrap().contains("aws:SecureTransport"));
    let ownership = s3.get_bucket_ownership_controls().bucket(BUCKET).send().await.unwrap();
    assert_eq!(ownership.ownership_controls().unwrap().rules()[0].object_ownership().as_str(), "BucketOwnerEnforced");

    let output = fx.ok(&["output", "--json"], 0);
    let output: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(output["firehose.events"]["name"], STREAM);

    let destroy = fx.ok(&["destroy", "--auto-approve"], 0);
    destroy.assert_stdout("Destroy complete! Resources: 0 added, 0 changed, 6 destroyed.");
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    assert!(plan.stdout.contains("Plan: 6 to add"), "nothing left behind:\n{}", plan.all());
    assert!(firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names().is_empty());
    assert!(iam
        .list_roles()
        .send()
        .await
        .unwrap()
        .roles()
        .iter()
        .all(|r| !r.role_name().starts_with("firehose-dp-demo")));
}

#[tokio::test]
async fn each_edit_plans_exactly_that_change() {
    let fx = Fixture::new();
    fx.apply();
    fx.assert_clean();
    type Edit<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str, Vec<&'a str>)>);
    let edits: Vec<Edit> = vec![
        (
            "buffer_interval_seconds = 60",
            "buffer_interval_seconds = 120",
            vec![("firehose.events", "update", vec!["buffer_interval_seconds"])],
        ),
        (
            "memory_mb = 128",
            "memory_mb = 256",
            // A new configuration publishes a new version, which the stream then uses.
            vec![
                ("firehose.events", "update", vec!["processors"]),
                ("lambda.extractor", "update", vec!["memory_mb", "version"]),
            ],
        ),
        (
            "project = \"firehose-dynamic-partitioning\"",
            "project = \"renamed\"",
            vec![
                ("bucket.data", "update", vec!["tags.project"]),
                ("firehose.events", "update", vec!["tags.project"]),
                ("lambda.extractor", "update", vec!["tags.project"]),
                ("log_group.delivery", "update", vec!["tags.project"]),
                ("role.delivery", "update", vec!["tags.project"]),
                ("role.extractor", "update", vec!["tags.project"]),
            ],
        ),
        ("/hour=!{partitionKeyFromLambda:hour}/\"", "/\"", vec![("firehose.events", "update", vec!["prefix"])]),
    ];
    for (from, to, expected) in edits {
        fx.edit(from, to);
        let plan = fx.json_plan();
        let expected: Vec<(String, String, Vec<String>)> = expected
            .into_iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.into_iter().map(String::from).collect()))
            .collect();
        assert_eq!(changes(&plan), expected, "after editing {from:?} -> {to:?}");
        fx.ok(&["plan", "--detailed-exitcode"], 2);
        fx.apply();
        fx.assert_clean();
    }

    // Lambda code: the deterministic zip's hash changes, so code and version change.
    let index = fx.dir.path().join("examples/lambda/metadata_extractor/index.py");
    let code = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, format!("{code}\n# a change\n")).unwrap();
    let expected: Vec<(String, String, Vec<String>)> = vec![
        ("firehose.events".into(), "update".into(), vec!["processors".into()]),
        ("lambda.extractor".into(), "update".into(), vec!["code_sha256".into(), "version".into()]),
    ];
    assert_eq!(changes(&fx.json_plan()), expected);
    let text = fx.ok(&["plan"], 0).stdout;
    assert!(text.contains("~ version") && text.contains("(known after apply)"), "{text}");
    fx.apply();
    fx.assert_clean();
    let out = fx.ok(&["output"], 0).stdout;
    assert!(out.contains("function:MetadataExtractor:3"), "third version after two publishing edits:\n{out}");
}

#[tokio::test]
async fn drift_behind_provisions_back_is_shown_and_repaired() {
    let fx = Fixture::new();
    fx.apply();
    let config = fx.moto.sdk_config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.put_retention_policy()
        .log_group_name("/aws/kinesisfirehose/PUT-S3-lambda")
        .retention_in_days(30)
        .send()
        .await
        .unwrap();
    let lambda = aws_sdk_lambda::Client::new(&config);
    lambda.update_function_configuration().function_name("MetadataExtractor").timeout(90).send().await.unwrap();
    let plan = fx.ok(&["plan"], 0).stdout;
    assert!(plan.contains("~ retention_days") && plan.contains("30 -> 14"), "{plan}");
    assert!(plan.contains("~ timeout_seconds") && plan.contains("90 -> 60"), "{plan}");
    fx.apply();
    fx.assert_clean();
}

#[tokio::test]
async fn removed_resource_is_destroyed_by_its_ownership_tag() {
    let fx = Fixture::new();
    let extra = "\n[bucket.archive]\nname = \"archive-${stack.name}\"\n";
    let text = std::fs::read_to_string(fx.stack_path()).unwrap();
    std::fs::write(fx.stack_path(), format!("{text}{extra}")).unwrap();
    fx.apply();
    fx.assert_clean();
    std::fs::write(fx.stack_path(), text).unwrap();
    let plan = fx.json_plan();
    assert_eq!(changes(&plan), vec![("bucket.archive".to_string(), "delete".to_string(), vec![])]);
    let human = fx.ok(&["plan"], 0).stdout;
    assert!(human.contains("- bucket.archive (archive-firehose-dp-demo)"), "{human}");
    assert!(human.contains("Plan: 0 to add, 0 to change, 1 to destroy."), "{human}");
    fx.apply();
    fx.assert_clean();
    let s3 = fx.moto.s3().await;
    assert!(s3.head_bucket().bucket("archive-firehose-dp-demo").send().await.is_err());
}

#[tokio::test]
async fn unowned_resource_is_reported_left_alone_and_importable() {
    let fx = Fixture::new();
    let s3 = fx.moto.s3().await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2).stdout;
    assert!(
        plan.contains("! bucket.data (firehose-to-s3-123456789012-us-east-1-an): left alone; it carries no ownership tags. If an interrupted apply of this stack created it (killed between the create and its tagging), or it is yours, run `provision import bucket.data` to adopt it"),
        "{plan}"
    );
    let apply = fx.ok(&["apply", "--auto-approve"], 1);
    apply.assert_stderr("not owned by this stack");
    assert!(s3.get_bucket_tagging().bucket(BUCKET).send().await.is_err(), "the bucket was not touched");
    let firehose = aws_sdk_firehose::Client::new(&fx.moto.sdk_config().await);
    assert!(
        firehose.list_delivery_streams().send().await.unwrap().delivery_stream_names().is_empty(),
        "nothing half-applied"
    );

    fx.ok(&["import", "bucket.data", "--auto-approve"], 0);
    let plan = fx.json_plan();
    let secure_defaults_and_tags: Vec<String> =
        ["public_access_blocked", "encryption", "object_ownership", "policy", "tags.project"]
            .map(String::from)
            .to_vec();
    assert_eq!(changes(&plan)[0], ("bucket.data".to_string(), "update".to_string(), secure_defaults_and_tags));
    fx.apply();
    fx.assert_clean();
}

#[tokio::test]
async fn destroy_keeps_data_unless_force_destroy() {
    let fx = Fixture::new();
    fx.without_tls_only_policy();
    fx.apply();
    let s3 = fx.moto.s3().await;
    s3.put_object().bucket(BUCKET).key("region=eu/x.json").body(b"{}".to_vec().into()).send().await.unwrap();
    let refused = fx.ok(&["destroy", "--auto-approve"], 1);
    refused.assert_stderr("holds 1 object version(s); nothing was deleted");
    fx.assert_clean();
    fx.edit("force_destroy = false", "force_destroy = true");
    fx.edit("versioning = false\n", "versioning = true\n");
    fx.apply();
    s3.put_object().bucket(BUCKET).key("a").body(b"1".to_vec().into()).send().await.unwrap();
    s3.put_object().bucket(BUCKET).key("a").body(b"2".to_vec().into()).send().await.unwrap();
    s3.delete_object().bucket(BUCKET).key("a").send().await.unwrap();
    fx.ok(&["destroy", "--auto-approve"], 0);
    assert!(s3.head_bucket().bucket(BUCKET).send().await.is_err(), "bucket emptied of every version and deleted");
}

/// Rule D1.
#[tokio::test]
async fn rule_d1_toggling_dynamic_partitioning_is_a_replace_with_its_reason() {
    let fx = Fixture::new();
    fx.apply();
    fx.edit("dynamic_partitioning = true", "dynamic_partitioning = false");
    fx.edit("prefix = \"${var.prefix}\"", "prefix = \"data/\"");
    fx.edit("[[firehose.events.processor]]\ntype = \"RecordDeAggregation\"\nsub_record_type = \"JSON\"\n", "");
    let plan = fx.ok(&["plan"], 0).stdout;
    assert!(plan.contains("-/+ firehose.events (PUT-S3-lambda)"), "{plan}");
    assert!(plan.contains("dynamic partitioning can only be set at creation"), "{plan}");
    assert!(plan.contains("# forces replacement"), "{plan}");
    fx.apply();
    fx.assert_clean();
}

/// `[table.NAME]` on moto: created with its database and projection, found clean, updated in
/// place, its plan's edges shown, destroyed with the database it created.
#[tokio::test]
async fn an_athena_table_over_the_stream_lives_and_goes_with_the_stack() {
    let fx = Fixture::new();
    let text = std::fs::read_to_string(fx.stack_path()).unwrap();
    let table = "\n[table.events]\nname = \"events\"\ndatabase = \"firehose_dp\"\nstream = \"firehose.events\"\n\
                 columns = { customer_id = \"string\", amount = \"double\" }\n\
                 [table.events.partition.region]\ntype = \"enum\"\nvalues = [\"us-east-1\", \"eu-west-1\"]\n";
    std::fs::write(fx.stack_path(), format!("{text}{table}")).unwrap();

    let plan = fx.json_plan();
    let change = plan["changes"].as_array().unwrap().iter().find(|c| c["address"] == "table.events").unwrap();
    assert_eq!(change["after"], serde_json::json!(["firehose.events"]), "{change}");
    let apply = fx.apply();
    apply.assert_stdout("Resources: 7 added");
    fx.assert_clean();

    let glue = aws_sdk_glue::Client::new(&fx.moto.sdk_config().await);
    let got = glue.get_table().database_name("firehose_dp").name("events").send().await.unwrap();
    let t = got.table().unwrap();
    let keys: Vec<&str> = t.partition_keys().iter().map(|c| c.name()).collect();
    assert_eq!(keys, ["region", "device", "year", "month", "day", "hour"]);
    let parameters = t.parameters().unwrap();
    assert_eq!(
        parameters["storage.location.template"],
        format!("s3://{BUCKET}/region=${{region}}/device=${{device}}/year=${{year}}/month=${{month}}/day=${{day}}/hour=${{hour}}/")
    );
    assert_eq!(parameters["projection.region.values"], "us-east-1,eu-west-1");
    assert_eq!(parameters["projection.device.type"], "injected");
    assert_eq!(parameters["provision:stack"], "firehose-dp-demo");

    fx.edit("amount = \"double\"", "amount = \"decimal(12,2)\"");
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    plan.assert_stdout("table.events will be updated in-place");
    fx.apply();
    fx.assert_clean();

    // Removed from stack.toml: found by its markers among the account's tables, and deleted.
    // While Lake Formation governs its database (GetTables then shows only the tables this
    // caller may see), the database stays though it looks empty.
    let governed = |iam: bool| {
        let mut input = aws_sdk_glue::types::DatabaseInput::builder().name("firehose_dp");
        let everyone = aws_sdk_glue::types::DataLakePrincipal::builder()
            .data_lake_principal_identifier("IAM_ALLOWED_PRINCIPALS")
            .build();
        let grant = aws_sdk_glue::types::PrincipalPermissions::builder()
            .principal(everyone)
            .permissions(aws_sdk_glue::types::Permission::All)
            .build();
        input = if iam {
            input.create_table_default_permissions(grant)
        } else {
            input.set_create_table_default_permissions(Some(vec![]))
        };
        input.build().unwrap()
    };
    glue.update_database().name("firehose_dp").database_input(governed(false)).send().await.unwrap();
    std::fs::write(fx.stack_path(), &text).unwrap();
    let plan = fx.ok(&["plan", "--detailed-exitcode"], 2);
    plan.assert_stdout("table.events will be destroyed");
    fx.apply();
    let gone = glue.get_table().database_name("firehose_dp").name("events").send().await;
    assert!(gone.is_err(), "the table is deleted");
    assert!(glue.get_database().name("firehose_dp").send().await.is_ok(), "a database Lake Formation governs stays");
    // Under IAM access control (what Glue reports without Lake Formation), the database the
    // stack created goes with its last table.
    glue.update_database().name("firehose_dp").database_input(governed(true)).send().await.unwrap();
    std::fs::write(fx.stack_path(), format!("{text}{table}")).unwrap();
    fx.apply();
    std::fs::write(fx.stack_path(), &text).unwrap();
    fx.apply();
    assert!(glue.get_database().name("firehose_dp").send().await.is_err(), "and the database it created");
}
