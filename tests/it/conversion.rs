//! Record format conversion against moto (examples/parquet.toml): the stream's configuration,
//! the table's SerDe and the role's Glue statements applied and planned clean, in-place changes
//! of the serializer, the deserializer and the output format, preview's failed conversions, verify
//! on an endpoint that writes JSON, destroy.

use crate::common::*;

/// `provision show --json`'s attributes of a resource.
fn attributes(fx: &Fixture, address: &str) -> serde_json::Value {
    let shown: serde_json::Value = serde_json::from_str(&fx.ok(&["show", "--json"], 0).stdout).unwrap();
    shown[address]["attributes"].clone()
}

/// The addresses a plan changes, with their action.
fn changes(fx: &Fixture) -> Vec<(String, String)> {
    let plan = fx.json_plan();
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| (c["address"].as_str().unwrap().to_string(), c["action"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn a_converting_stream_its_table_and_its_role_are_wired_and_change_in_place() {
    let fx = Fixture::example("parquet.toml");
    fx.apply();
    fx.assert_clean();
    let stream = attributes(&fx, "firehose.events");
    let conversion = &stream["format_conversion"];
    assert_eq!(conversion["serializer"]["parquet"]["compression"], "SNAPPY", "{stream}");
    assert_eq!(conversion["serializer"]["parquet"]["block_size_bytes"], 268435456);
    assert_eq!(conversion["deserializer"]["openx"]["column_to_json_key_mappings"]["event_type"], "type");
    assert_eq!(conversion["schema"]["database"], "firehose_parquet_demo");
    assert_eq!(conversion["schema"]["version_id"], "LATEST");
    assert_eq!(stream["buffer_size_mb"], 128);
    let table = attributes(&fx, "table.events");
    assert_eq!(table["serde"], "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "{table}");
    assert_eq!(table["parameters.classification"], "parquet", "{table}");
    let role = attributes(&fx, "role.delivery").to_string();
    assert!(role.contains("glue:GetTableVersions"), "{role}");
    assert!(role.contains("arn:aws:glue:us-east-1:123456789012:table/firehose_parquet_demo/events"), "{role}");
    assert!(!role.contains("glue:*") && !role.contains("table/*"), "least privilege: {role}");

    // The serializer's compression and the deserializer change in place: the stream only.
    fx.edit("compression = \"SNAPPY\"", "compression = \"GZIP\"");
    fx.edit("deserializer = \"openx\"", "deserializer = \"hive\"\ntimestamp_formats = [\"millis\"]");
    fx.edit("column_to_json_key_mappings = { event_type = \"type\" }", "");
    assert_eq!(changes(&fx), [("firehose.events".to_string(), "update".to_string())]);
    fx.apply();
    fx.assert_clean();
    let conversion = &attributes(&fx, "firehose.events")["format_conversion"];
    assert_eq!(conversion["deserializer"]["hive"]["timestamp_formats"][0], "millis", "{conversion}");

    // Parquet to ORC: the stream and the table's SerDe, in place.
    fx.edit("output = \"parquet\"", "output = \"orc\"");
    fx.edit("compression = \"GZIP\"", "compression = \"ZLIB\"");
    let mut changed = changes(&fx);
    changed.sort();
    assert_eq!(
        changed,
        [("firehose.events".to_string(), "update".to_string()), ("table.events".to_string(), "update".to_string())]
    );
    fx.apply();
    fx.assert_clean();
    assert_eq!(attributes(&fx, "table.events")["serde"], "org.apache.hadoop.hive.ql.io.orc.OrcSerde");

    // Preview reads each record as the Hive SerDe would: a numeric string fails an int column.
    fx.edit("region = \"string\"", "region = \"int\"");
    fx.write_file("records.jsonl", "{\"customer_id\":\"a\",\"region\":7}\n{\"customer_id\":\"b\",\"region\":\"7\"}\n");
    let records = fx.stack_path().with_file_name("records.jsonl");
    let preview = fx.ok(&["preview", "--records", records.to_str().unwrap(), "--json"], 0);
    let report: serde_json::Value = serde_json::from_str(&preview.stdout).unwrap();
    assert_eq!(report["records"][0]["result"], "Ok", "{report}");
    assert_eq!(report["records"][1]["result"], "FormatConversionFailed", "{report}");
    assert_eq!(report["records"][1]["error_code"], "DataFormatConversion.MalformedData");
    assert!(report["records"][1]["prefix"].as_str().unwrap().contains("/format-conversion-failed/"), "{report}");
    fx.edit("region = \"int\"", "region = \"string\"");

    // moto keeps the configuration and writes JSON: verify reads it as JSON and says so.
    fx.without_tls_only_policy();
    fx.edit("[bucket.data]\n", "[bucket.data]\nforce_destroy = true\n");
    fx.apply();
    fx.ok(&["send", "--count", "10"], 0);
    let verify = fx.ok(&["verify"], 0);
    assert!(verify.stdout.contains("this endpoint is not AWS") && verify.stdout.contains("orc"), "{}", verify.all());

    let destroyed = fx.ok(&["destroy", "--auto-approve"], 0);
    destroyed.assert_stdout("Destroy complete!");
}
