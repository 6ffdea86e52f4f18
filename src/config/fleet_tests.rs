//! Modules and for_each on the core: expansion into instances, their addresses, what a caller
//! passes in and uses, and diagnostics over the expanded stack.

use crate::model::{Address, Kind, Spec, Stack};
use crate::testing::stack_files;

const ROOT: &str = r#"
[stack]
name = "fleet"

[bucket.data]
name = "fleet-data"

[module.tenant]
source = "modules/pipeline"
for_each = ["acme", "globex"]
variables = { tenant = "${each.key}", bucket = "bucket.data" }
"#;

const MODULE: &str = r#"
[variables]
tenant = {}
bucket = {}

[role.delivery]
trust = ["firehose.amazonaws.com"]

[role.fn]
trust = ["lambda.amazonaws.com"]
statement = [{ actions = ["s3:GetObject"], resources = ["${var.bucket.arn}/raw/*"] }]

[lambda.extractor]
name = "extract-${var.tenant}"
runtime = "python3.12"
handler = "index.handler"
source = "code"
role = "role.fn"

[firehose.events]
name = "PUT-S3-${var.tenant}"
role = "role.delivery"
bucket = "${var.bucket}"
prefix = "tenant=${var.tenant}/!{timestamp:yyyy}/"
error_output_prefix = "error/!{firehose:error-output-type}/"

[[firehose.events.processor]]
type = "Lambda"
function = "lambda.extractor"
"#;

fn fleet(root: &str, module: &str) -> Result<Stack, crate::config::Invalid> {
    stack_files(&[
        ("stack.toml", root),
        ("modules/pipeline/module.toml", module),
        ("modules/pipeline/code/index.py", ""),
    ])
    .map(|(s, _)| s)
}

fn get<'a>(stack: &'a Stack, address: &str) -> &'a Spec {
    let a = Address::parse(address).unwrap_or_else(|| panic!("{address} parses"));
    &stack.get(&a).unwrap_or_else(|| panic!("{address} is in the stack")).spec
}

fn errors(e: &crate::config::Invalid) -> Vec<String> {
    e.diagnostics
        .iter()
        .map(|d| {
            let at = d.location.as_ref().map(|l| format!("{}:{}", l.file.display(), l.line)).unwrap_or_default();
            format!("[{}] {}: {} @{at}", d.rule, d.key(), d.message)
        })
        .collect()
}

#[test]
fn each_key_is_an_instance_with_its_own_names_using_the_caller_s_bucket() {
    let s = fleet(ROOT, MODULE).unwrap();
    let addresses: Vec<String> = s.resources.iter().map(|r| r.address.to_string()).collect();
    for key in ["acme", "globex"] {
        for kind in ["role.delivery", "role.fn", "lambda.extractor", "firehose.events"] {
            assert!(addresses.contains(&format!("module.tenant[{key}].{kind}")), "{addresses:?}");
        }
    }
    assert_eq!(s.resources.len(), 9, "{addresses:?}");
    let Spec::Firehose(acme) = get(&s, "module.tenant[acme].firehose.events") else { panic!() };
    assert_eq!((acme.name.as_str(), acme.prefix.as_str()), ("PUT-S3-acme", "tenant=acme/!{timestamp:yyyy}/"));
    assert_eq!(acme.bucket_arn, "arn:aws:s3:::fleet-data");
    assert_eq!(acme.role_arn, "arn:aws:iam::123456789012:role/provision/fleet/fleet-tenant-acme-delivery");
    assert_eq!(acme.tags["provision:address"], "module.tenant=acme.firehose.events");
    // The caller's bucket is a dependency and in the generated policy, as if written there.
    let stream = s.get(&Address::parse("module.tenant[globex].firehose.events").unwrap()).unwrap();
    assert!(stream.depends_on.contains(&Address::new(Kind::Bucket, "data")), "{:?}", stream.depends_on);
    let Spec::Role(role) = get(&s, "module.tenant[globex].role.delivery") else { panic!() };
    let policy = role.inline_policy.as_ref().unwrap().to_string();
    assert!(policy.contains("arn:aws:s3:::fleet-data/*"), "{policy}");
    assert!(policy.contains("function:extract-globex") && !policy.contains("extract-acme"), "{policy}");
    // `${var.bucket.arn}`: the ARN of the resource a variable passes.
    let Spec::Role(function_role) = get(&s, "module.tenant[acme].role.fn") else { panic!() };
    let policy = function_role.inline_policy.as_ref().unwrap().to_string();
    assert!(policy.contains("arn:aws:s3:::fleet-data/raw/*"), "{policy}");
}

#[test]
fn the_caller_uses_a_module_s_resources_by_address_and_by_attribute() {
    let root = format!(
        r#"{ROOT}
[role.producer]
trust = ["lambda.amazonaws.com"]
statement = [{{ actions = ["firehose:PutRecordBatch"], resources = ["${{module.tenant[acme].firehose.events.arn}}"] }}]

[role.root_delivery]
trust = ["firehose.amazonaws.com"]

[firehose.root]
name = "root-stream"
role = "role.root_delivery"
bucket = "bucket.data"
[[firehose.root.processor]]
type = "Lambda"
function = "module.tenant[globex].lambda.extractor"
"#
    );
    let s = fleet(&root, MODULE).unwrap();
    let Spec::Role(producer) = get(&s, "role.producer") else { panic!() };
    let policy = producer.inline_policy.as_ref().unwrap().to_string();
    assert!(policy.contains("arn:aws:firehose:us-east-1:123456789012:deliverystream/PUT-S3-acme"), "{policy}");
    let stream = s.get(&Address::new(Kind::Firehose, "root")).unwrap();
    let function = Address::parse("module.tenant[globex].lambda.extractor").unwrap();
    assert!(stream.depends_on.contains(&function), "{:?}", stream.depends_on);
}

#[test]
fn a_table_with_for_each_has_an_instance_per_key_with_each_value_fields() {
    let root = r#"
[stack]
name = "s"

[bucket.raw]
for_each = { eu = { suffix = "e", days = 3 }, us = { suffix = "u", days = 5 } }
name = "raw-${each.key}-${each.value.suffix}-${each.value.days}"

[role.delivery]
trust = ["firehose.amazonaws.com"]

[firehose.events]
for_each = ["eu", "us"]
name = "events-${each.value}"
role = "role.delivery"
bucket = "bucket.raw[${each.key}]"
"#;
    let (s, _) = stack_files(&[("stack.toml", root)]).unwrap();
    let Spec::Bucket(eu) = get(&s, "bucket.raw[eu]") else { panic!() };
    assert_eq!(eu.name, "raw-eu-e-3");
    let Spec::Firehose(us) = get(&s, "firehose.events[us]") else { panic!() };
    assert_eq!((us.name.as_str(), us.bucket_arn.as_str()), ("events-us", "arn:aws:s3:::raw-us-u-5"));
}

#[test]
fn a_rule_broken_in_a_module_is_reported_at_its_line_for_each_instance() {
    let module = MODULE.replace(
        "[[firehose.events.processor]]",
        "buffer_size_mb = 500\nbuffer_interval_seconds = 60\n\n[[firehose.events.processor]]",
    );
    let e = fleet(ROOT, &module).unwrap_err();
    let text = errors(&e);
    let d3: Vec<&String> = text.iter().filter(|t| t.starts_with("[D3]")).collect();
    assert_eq!(d3.len(), 2, "{text:?}");
    let line = module.lines().position(|l| l.starts_with("buffer_size_mb")).unwrap() + 1;
    for (d, key) in d3.iter().zip(["acme", "globex"]) {
        assert!(d.contains(&format!("module.tenant[{key}].firehose.events.buffer_size_mb")), "{d}");
        assert!(d.ends_with(&format!("modules/pipeline/module.toml:{line}")), "{d}");
    }
    // The rendered report shows the module file's line.
    let shown = e.to_string();
    assert!(shown.contains("buffer_size_mb = 500") && shown.contains("module.toml"), "{shown}");
}

#[test]
fn one_name_given_to_every_instance_is_one_error_naming_both() {
    let module = MODULE.replace("name = \"PUT-S3-${var.tenant}\"", "name = \"PUT-S3\"");
    let text = errors(&fleet(ROOT, &module).unwrap_err());
    let n7: Vec<&String> = text.iter().filter(|t| t.starts_with("[N7]")).collect();
    assert_eq!(n7.len(), 1, "{text:?}");
    assert!(
        n7[0].contains("module.tenant[acme].firehose.events")
            && n7[0].contains("module.tenant[globex].firehose.events")
    );
    assert!(n7[0].contains("module.toml:"), "{}", n7[0]);
    // Distinct names pass.
    assert!(fleet(ROOT, MODULE).is_ok());
}

#[test]
fn a_reference_neither_the_module_nor_a_variable_provides_is_an_error() {
    let module = MODULE.replace("bucket = \"${var.bucket}\"", "bucket = \"bucket.data\"");
    let text = errors(&fleet(ROOT, &module).unwrap_err());
    assert!(
        text.iter().any(|t| t.starts_with("[reference] module.tenant[acme].firehose.events.bucket")
            && t.contains("is not a bucket in this module (module.tenant[acme])")),
        "{text:?}"
    );
    // A variable passing a resource of another kind is an error too.
    let root = ROOT.replace("bucket = \"bucket.data\"", "bucket = \"module.other\"");
    let text = errors(&fleet(&root, MODULE).unwrap_err());
    assert!(
        text.iter().any(|t| t.starts_with("[reference] module.tenant[acme].variables.bucket")
            && t.contains("is not a bucket in this module")
            && t.contains("used by module.tenant[acme].firehose.events.bucket")),
        "{text:?}"
    );
}

#[test]
fn each_is_only_known_under_a_for_each_and_keys_must_fit_an_address() {
    let root = "[stack]\nname = \"s\"\n[bucket.b]\nname = \"b-${each.key}\"\n";
    let text = errors(&stack_files(&[("stack.toml", root)]).unwrap_err());
    assert!(text.iter().any(|t| t.contains("only known where there is a for_each")), "{text:?}");
    let root = "[stack]\nname = \"s\"\n[bucket.b]\nfor_each = [\"ok\", \"not ok\"]\nname = \"b-${each.key}\"\n";
    let text = errors(&stack_files(&[("stack.toml", root)]).unwrap_err());
    assert!(text.iter().any(|t| t.starts_with("[F1] bucket.b.for_each") && t.ends_with("stack.toml:4")), "{text:?}");
    let root = "[stack]\nname = \"s\"\n[bucket.b]\nfor_each = [\"ok\", \"fine\"]\nname = \"b-${each.key}\"\n";
    assert!(stack_files(&[("stack.toml", root)]).is_ok());
}

#[test]
fn a_module_file_with_its_own_stack_section_is_refused() {
    let module = format!("[stack]\nname = \"x\"\n{MODULE}");
    let text = errors(&fleet(ROOT, &module).unwrap_err());
    assert!(text.iter().any(|t| t.contains("a module file has no [stack]") && t.contains("module.toml:1")), "{text:?}");
}
