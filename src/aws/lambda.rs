//! Lambda functions: code (deterministic zip), configuration, published versions, tags.

use super::sdk_error;
use super::ArnTags;
use crate::defaults;
use crate::error::has_code;
use crate::model::{function_arn_for_use, LambdaSpec, Live, Outputs, Spec, Tags, UNPUBLISHED};
use crate::retry;
use anyhow::{anyhow, bail, Result};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, FunctionConfiguration, LastUpdateStatus, Runtime, State};
use aws_sdk_lambda::Client;
use std::time::Duration;

/// The parts of a configuration (of `$LATEST` or of a version) that the spec compares.
fn spec_of(name: &str, c: &FunctionConfiguration, tags: Tags) -> LambdaSpec {
    LambdaSpec {
        name: name.to_string(),
        runtime: c.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
        handler: c.handler().unwrap_or_default().to_string(),
        role_arn: c.role().unwrap_or_default().to_string(),
        memory_mb: c.memory_size().unwrap_or(defaults::LAMBDA_MEMORY_MB),
        timeout_seconds: c.timeout().unwrap_or(defaults::LAMBDA_TIMEOUT_SECONDS),
        description: c.description().unwrap_or_default().to_string(),
        environment: c.environment().and_then(|e| e.variables()).cloned().unwrap_or_default().into_iter().collect(),
        code_sha256: c.code_sha256().unwrap_or_default().to_string(),
        publish: true,
        version: None,
        tags,
        package: None,
        source_dir: None,
    }
}

/// Reads a function with ListVersionsByFunction alone: it returns `$LATEST` (code and
/// configuration) and every published version. Tags come from discovery when known.
pub(super) async fn read(client: &Client, name: &str, tags: Option<&Tags>) -> Result<Option<Live>> {
    let mut latest: Option<FunctionConfiguration> = None;
    let mut versions: Vec<FunctionConfiguration> = Vec::new();
    let mut pages = client.list_versions_by_function().function_name(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(None),
            Err(e) => return Err(sdk_error(e)),
        };
        for v in page.versions() {
            if v.version() == Some(UNPUBLISHED) {
                latest = Some(v.clone());
            } else {
                versions.push(v.clone());
            }
        }
    }
    let Some(latest) = latest else { return Ok(None) };
    let arn = latest.function_arn().unwrap_or_default().trim_end_matches(":$LATEST").to_string();
    let tags = match tags {
        Some(tags) => tags.clone(),
        None => client.tags_of(&arn).await?.unwrap_or_default(),
    };
    let mut spec = spec_of(name, &latest, tags);
    spec.version = Some(latest_published(&spec, &versions));
    Ok(Some(Live::new(Spec::Lambda(spec), arn)))
}

/// The newest published version if it matches `$LATEST` in code and configuration, else `$LATEST`.
fn latest_published(latest: &LambdaSpec, versions: &[FunctionConfiguration]) -> String {
    let newest = versions.iter().filter_map(|v| Some((v.version()?.parse::<u64>().ok()?, v))).max_by_key(|(n, _)| *n);
    match newest.map(|(n, v)| (n, spec_of(&latest.name, v, latest.tags.clone()))) {
        Some((number, v)) if configuration_of(&v) == configuration_of(latest) && code_of(&v) == code_of(latest) => {
            number.to_string()
        }
        _ => UNPUBLISHED.to_string(),
    }
}

/// The attributes a published version freezes: the plan's attribute projection, without tags
/// (they are not versioned), the version itself and the code (compared on its own).
fn configuration_of(spec: &LambdaSpec) -> crate::model::Attributes {
    let mut attributes = Spec::Lambda(spec.clone()).attributes();
    attributes.retain(|(key, _)| !key.starts_with("tags.") && key != "version" && key != "code_sha256");
    attributes
}

/// The code attribute, compared on its own (a code change is its own call).
fn code_of(spec: &LambdaSpec) -> &str {
    &spec.code_sha256
}

fn environment(spec: &LambdaSpec) -> Environment {
    Environment::builder().set_variables(Some(spec.environment.clone().into_iter().collect())).build()
}

fn zip(spec: &LambdaSpec) -> Result<&[u8]> {
    spec.package.as_ref().map(|p| p.zip.as_slice()).ok_or_else(|| anyhow!("no code packaged for {}", spec.name))
}

fn outputs(spec: &LambdaSpec, arn: &str, version: Option<String>) -> Outputs {
    Outputs { arn: arn.to_string(), qualified_arn: function_arn_for_use(arn, spec.publish, version.as_deref()) }
}

/// Updates code, configuration and tags, each only when it changed (decided from the same
/// attribute projection the plan uses), then publishes a version if anything versioned changed.
/// A function's configuration, on a create's request or an update's (the same setters): one
/// list for both.
macro_rules! function_settings {
    ($request:expr, $spec:expr) => {{
        let spec: &LambdaSpec = $spec;
        $request
            .function_name(&spec.name)
            .runtime(Runtime::from(spec.runtime.as_str()))
            .handler(&spec.handler)
            .role(&spec.role_arn)
            .memory_size(spec.memory_mb)
            .timeout(spec.timeout_seconds)
            .description(&spec.description)
            .environment(environment(spec))
    }};
}

pub(super) async fn update(
    client: &Client,
    desired: &LambdaSpec,
    live: &LambdaSpec,
    arn: &str,
    wait: Duration,
) -> Result<Outputs> {
    let name = &desired.name;
    let code_changed = code_of(desired) != code_of(live);
    if code_changed {
        let zip = zip(desired)?;
        wait_ready(client, name, wait).await?;
        retry::aws("UpdateFunctionCode", || async {
            client.update_function_code().function_name(name).zip_file(Blob::new(zip)).send().await.map_err(sdk_error)
        })
        .await?;
    }
    let config_changed = configuration_of(desired) != configuration_of(live);
    if config_changed {
        wait_ready(client, name, wait).await?;
        retry::aws("UpdateFunctionConfiguration", || async {
            function_settings!(client.update_function_configuration(), desired).send().await.map_err(sdk_error)
        })
        .await?;
    }
    client.retag(arn, &desired.tags, &live.tags).await?;
    let mut version = live.version.clone().filter(|v| v != UNPUBLISHED);
    if desired.publish && (version.is_none() || code_changed || config_changed) {
        wait_ready(client, name, wait).await?;
        let published = retry::aws("PublishVersion", || async {
            client.publish_version().function_name(name).send().await.map_err(sdk_error)
        })
        .await?;
        version = published.version().map(String::from);
    }
    Ok(outputs(desired, arn, version))
}

/// Waits until the function is Active and no update is in progress (mutations fail otherwise).
async fn wait_ready(client: &Client, name: &str, wait: Duration) -> Result<()> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let c = client.get_function_configuration().function_name(name).send().await.map_err(sdk_error)?;
        let pending =
            c.state() == Some(&State::Pending) || c.last_update_status() == Some(&LastUpdateStatus::InProgress);
        if c.state() == Some(&State::Failed) {
            bail!("function {name} failed: {}", crate::output::escape(c.state_reason().unwrap_or("no reason given")));
        }
        if !pending {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "function {name} still updating after {} s (raise wait_timeout_seconds to wait longer)",
                wait.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Lists the Region's function names for this run's reads: a declared function not among them
/// does not exist and is not read (a ListVersionsByFunction saved per new function).
pub(super) async fn list_names(clients: &super::Clients) -> Result<()> {
    clients.known_names::<LambdaSpec>().set(names(&clients.lambda).await?);
    Ok(())
}

/// The names of the Region's functions (ListFunctions, 50 a page).
async fn names(client: &Client) -> Result<std::collections::HashSet<String>> {
    let mut names = std::collections::HashSet::new();
    let mut pages = client.list_functions().max_items(50).into_paginator().send();
    while let Some(page) = pages.next().await {
        names.extend(page.map_err(sdk_error)?.functions().iter().filter_map(|f| f.function_name()).map(String::from));
    }
    Ok(names)
}

#[async_trait::async_trait]
impl crate::provider::KindApi<LambdaSpec> for super::Clients {
    async fn read(&self, name: &str, _: Option<&LambdaSpec>, tags: Option<&Tags>) -> Result<Option<Live>> {
        read(&self.lambda, name, tags).await
    }
    async fn create(&self, spec: &LambdaSpec, wait: Duration) -> Result<Outputs> {
        let client = &self.lambda;
        let zip = zip(spec)?;
        let request = || {
            function_settings!(client.create_function(), spec)
                .code(FunctionCode::builder().zip_file(Blob::new(zip)).build())
                .set_tags(Some(spec.tags.clone().into_iter().collect()))
                .publish(spec.publish)
                .send()
        };
        let created = retry::aws("CreateFunction", || async { request().await.map_err(sdk_error) }).await;
        let (arn, version) = match created {
            // With Publish, CreateFunction answers with the version it published.
            Ok(out) => (out.function_arn().unwrap_or_default().to_string(), out.version().map(String::from)),
            Err(e) if has_code(&e, "ResourceConflictException") => {
                // Left by an earlier attempt of ours whose answer was lost (tags are part of
                // CreateFunction): converge it. Anyone else's function is left alone.
                let live =
                    read(client, &spec.name, None).await?.ok_or_else(|| anyhow!("function {} vanished", spec.name))?;
                super::ensure_ours(&live, &spec.tags)?;
                if let Spec::Lambda(live_spec) = &live.spec {
                    return update(client, spec, live_spec, &live.arn, wait).await;
                }
                bail!("internal error: {} is not a function", spec.name);
            }
            Err(e) => return Err(e),
        };
        wait_ready(client, &spec.name, wait).await?;
        Ok(outputs(spec, &arn, version))
    }
    async fn update(&self, desired: &LambdaSpec, was: &LambdaSpec, live: &Live, wait: Duration) -> Result<Outputs> {
        update(&self.lambda, desired, was, &live.arn, wait).await
    }
    async fn delete(&self, spec: &LambdaSpec, _: &Live, _: bool, _: Duration) -> Result<()> {
        let (client, name) = (&self.lambda, &spec.name);
        super::unless_missing(client.delete_function().function_name(name).send().await, |s| {
            s.is_resource_not_found_exception()
        })
        .map(|_| ())
    }
    /// Nothing: a function holds its code, which the stack packages again.
    async fn data_held(&self, _: &LambdaSpec, _: &Live) -> Result<Option<String>> {
        Ok(None)
    }
}

arn_tags!(Client => lambda for LambdaSpec {
    arn: resource,
    list: list_tags,
    read: |out| out.tags().cloned().unwrap_or_default().into_iter().collect(),
    write: |request, tags| request.set_tags(Some(tags.clone().into_iter().collect())),
    gone: |s| s.is_resource_not_found_exception(),
});

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LambdaSpec {
        spec_of(
            "f",
            &FunctionConfiguration::builder().runtime(Runtime::Python312).memory_size(128).build(),
            Tags::new(),
        )
    }

    #[test]
    fn configuration_changes_come_from_the_attribute_projection() {
        let a = spec();
        let mut b = spec();
        b.environment.insert("NEW".into(), "1".into());
        assert_ne!(configuration_of(&a), configuration_of(&b), "an environment change is a configuration change");
        let mut c = spec();
        c.tags.insert("k".into(), "v".into());
        c.code_sha256 = "other".into();
        c.version = Some("7".into());
        assert_eq!(configuration_of(&a), configuration_of(&c), "tags, code and version are not configuration");
    }
}
