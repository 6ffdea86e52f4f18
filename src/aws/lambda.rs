//! Lambda functions: code (deterministic zip), configuration, published versions, tags.

use super::{sdk_error, sync_tags, Live, Outputs};
use crate::model::{LambdaSpec, Spec, Tags};
use crate::retry;
use anyhow::{anyhow, bail, Result};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, LastUpdateStatus, Runtime, State};
use aws_sdk_lambda::Client;
use std::time::Duration;

/// Version name meaning "changes not yet published".
pub const UNPUBLISHED: &str = "$LATEST";

pub async fn read(client: &Client, name: &str) -> Result<Option<Live>> {
    let out = match client.get_function().function_name(name).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => return Ok(None),
        Err(e) => return Err(sdk_error(e)),
    };
    let config = out.configuration().ok_or_else(|| anyhow!("GetFunction returned no configuration"))?;
    let arn = config.function_arn().unwrap_or_default().to_string();
    let tags: Tags = out.tags().cloned().unwrap_or_default().into_iter().collect();
    let mut spec = LambdaSpec {
        name: name.to_string(),
        runtime: config.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
        handler: config.handler().unwrap_or_default().to_string(),
        role_arn: config.role().unwrap_or_default().to_string(),
        memory_mb: config.memory_size().unwrap_or(128),
        timeout_seconds: config.timeout().unwrap_or(3),
        description: config.description().unwrap_or_default().to_string(),
        environment: config
            .environment()
            .and_then(|e| e.variables())
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        code_sha256: config.code_sha256().unwrap_or_default().to_string(),
        publish: true,
        version: None,
        tags,
        zip: None,
    };
    spec.version = Some(latest_published(client, name, &spec).await?);
    Ok(Some(Live { arn, spec: Spec::Lambda(spec), problem: None }))
}

/// The newest published version if it matches `$LATEST` in code and configuration, else `$LATEST`.
async fn latest_published(client: &Client, name: &str, latest: &LambdaSpec) -> Result<String> {
    let mut newest: Option<(u64, LambdaSpec)> = None;
    let mut pages = client.list_versions_by_function().function_name(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        for v in page.map_err(sdk_error)?.versions() {
            let Some(number) = v.version().and_then(|s| s.parse::<u64>().ok()) else { continue };
            if newest.as_ref().is_some_and(|(n, _)| *n >= number) {
                continue;
            }
            let spec = LambdaSpec {
                code_sha256: v.code_sha256().unwrap_or_default().to_string(),
                runtime: v.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
                handler: v.handler().unwrap_or_default().to_string(),
                memory_mb: v.memory_size().unwrap_or(128),
                timeout_seconds: v.timeout().unwrap_or(3),
                role_arn: v.role().unwrap_or_default().to_string(),
                ..latest.clone()
            };
            newest = Some((number, spec));
        }
    }
    Ok(match newest {
        Some((number, spec)) if &spec == latest => number.to_string(),
        _ => UNPUBLISHED.to_string(),
    })
}

fn environment(spec: &LambdaSpec) -> Environment {
    Environment::builder().set_variables(Some(spec.environment.clone().into_iter().collect())).build()
}

pub async fn create(client: &Client, spec: &LambdaSpec, wait: Duration) -> Result<Outputs> {
    let zip = spec.zip.as_ref().ok_or_else(|| anyhow!("no code packaged for {}", spec.name))?;
    let request = || {
        client
            .create_function()
            .function_name(&spec.name)
            .runtime(Runtime::from(spec.runtime.as_str()))
            .handler(&spec.handler)
            .role(&spec.role_arn)
            .memory_size(spec.memory_mb)
            .timeout(spec.timeout_seconds)
            .description(&spec.description)
            .environment(environment(spec))
            .code(FunctionCode::builder().zip_file(Blob::new(zip.as_slice())).build())
            .set_tags(Some(spec.tags.clone().into_iter().collect()))
            .publish(spec.publish)
            .send()
    };
    let created = retry::aws("CreateFunction", || async { request().await.map_err(sdk_error) }).await;
    let (arn, version) = match created {
        // With Publish, CreateFunction answers with the version it published.
        Ok(out) => (out.function_arn().unwrap_or_default().to_string(), out.version().map(String::from)),
        Err(e) if e.to_string().contains("ResourceConflictException") => {
            // Left by an interrupted apply of ours: converge it instead.
            let live = read(client, &spec.name).await?.ok_or_else(|| anyhow!("function {} vanished", spec.name))?;
            let Spec::Lambda(live_spec) = &live.spec else { unreachable!() };
            return update(client, spec, live_spec, &live.arn, wait).await;
        }
        Err(e) => return Err(e),
    };
    wait_ready(client, &spec.name, wait).await?;
    Ok(outputs(spec, &arn, version.filter(|v| v != UNPUBLISHED)))
}

fn outputs(spec: &LambdaSpec, arn: &str, version: Option<String>) -> Outputs {
    Outputs {
        arn: arn.to_string(),
        qualified_arn: if spec.publish { version.map(|v| format!("{arn}:{v}")) } else { Some(arn.to_string()) },
    }
}

pub async fn update(
    client: &Client,
    desired: &LambdaSpec,
    live: &LambdaSpec,
    arn: &str,
    wait: Duration,
) -> Result<Outputs> {
    let name = &desired.name;
    if desired.code_sha256 != live.code_sha256 {
        let zip = desired.zip.as_ref().ok_or_else(|| anyhow!("no code packaged for {name}"))?;
        wait_ready(client, name, wait).await?;
        client
            .update_function_code()
            .function_name(name)
            .zip_file(Blob::new(zip.as_slice()))
            .send()
            .await
            .map_err(sdk_error)?;
    }
    let config_changed = desired.runtime != live.runtime
        || desired.handler != live.handler
        || desired.role_arn != live.role_arn
        || desired.memory_mb != live.memory_mb
        || desired.timeout_seconds != live.timeout_seconds
        || desired.description != live.description
        || desired.environment != live.environment;
    if config_changed {
        wait_ready(client, name, wait).await?;
        retry::aws("UpdateFunctionConfiguration", || async {
            client
                .update_function_configuration()
                .function_name(name)
                .runtime(Runtime::from(desired.runtime.as_str()))
                .handler(&desired.handler)
                .role(&desired.role_arn)
                .memory_size(desired.memory_mb)
                .timeout(desired.timeout_seconds)
                .description(&desired.description)
                .environment(environment(desired))
                .send()
                .await
                .map_err(sdk_error)
        })
        .await?;
    }
    sync_tags(
        &desired.tags,
        &live.tags,
        |add| async move { tag(client, arn, &add).await },
        |keys| async move {
            client.untag_resource().resource(arn).set_tag_keys(Some(keys)).send().await.map_err(sdk_error)?;
            Ok(())
        },
    )
    .await?;
    let mut version = live.version.clone().filter(|v| v != UNPUBLISHED);
    if desired.publish && (version.is_none() || desired.code_sha256 != live.code_sha256 || config_changed) {
        wait_ready(client, name, wait).await?;
        let published = client.publish_version().function_name(name).send().await.map_err(sdk_error)?;
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
            bail!("function {name} failed: {}", c.state_reason().unwrap_or("no reason given"));
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

pub async fn tag(client: &Client, arn: &str, tags: &Tags) -> Result<()> {
    client
        .tag_resource()
        .resource(arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

pub async fn delete(client: &Client, name: &str) -> Result<()> {
    match client.delete_function().function_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
        Err(e) => Err(sdk_error(e)),
    }
}
