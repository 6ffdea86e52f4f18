//! Which stream a data-path command works on, and the function its Lambda processor runs.

use crate::datapath::lambda_runner::Function;
use crate::model::address::Selector;
use crate::model::{Address, FirehoseSpec, Location, Param, Spec, Stack};
use anyhow::{bail, Result};
use std::path::Path;
use std::time::Duration;

/// The stream an address names (a part of one picks an instance's), or the stack's only stream;
/// `command` is named in the hint when several match.
pub fn stream<'a>(
    stack: &'a Stack,
    address: Option<&Selector>,
    command: &str,
) -> Result<(Address, &'a FirehoseSpec, Location)> {
    let streams: Vec<(&Address, &FirehoseSpec, &Location)> = stack
        .resources
        .iter()
        .filter_map(|r| match &r.spec {
            Spec::Firehose(f) => Some((&r.address, f, &r.location)),
            _ => None,
        })
        .collect();
    let listed = |of: &[(&Address, &FirehoseSpec, &Location)]| {
        of.iter().map(|(a, _, _)| crate::output::shell_word(&a.to_string())).collect::<Vec<_>>().join(", ")
    };
    let picked: Vec<(&Address, &FirehoseSpec, &Location)> = match address {
        // An address, or a part of one: `module.tenant[acme]` picks that instance's stream.
        Some(selector) => {
            let picked: Vec<_> = streams.iter().filter(|(a, _, _)| selector.matches(a)).copied().collect();
            if picked.is_empty() {
                bail!("{selector} names no stream of {}; streams: {}", stack.file.display(), listed(&streams));
            }
            picked
        }
        None => streams.clone(),
    };
    match picked.as_slice() {
        [(a, f, l)] => Ok(((*a).clone(), *f, (*l).clone())),
        [] => bail!("{} declares no stream", stack.file.display()),
        _ => bail!(
            "{} selects several streams ({}): name one, e.g. `provision {command} {}`",
            address.map(|s| s.to_string()).unwrap_or_else(|| stack.file.display().to_string()),
            listed(&picked),
            crate::output::shell_word(&picked[0].0.to_string())
        ),
    }
}

/// The Lambda processor's function, ready to run locally from its package (session with the
/// code packaged: preview runs what would be deployed).
pub fn function(stack: &Stack, stream: &FirehoseSpec, project: &Path) -> Option<Function> {
    let address = stream.processors.iter().flat_map(|p| p.parameters.values()).find_map(|v| match v {
        Param::LambdaArn { function, .. } => Some(function.clone()),
        Param::Text(_) => None,
    })?;
    let function = stack.get(&address)?;
    match &function.spec {
        Spec::Lambda(l) => Some(Function {
            name: l.name.clone(),
            runtime: l.runtime.clone(),
            handler: l.handler.clone(),
            code: l.package.clone()?,
            source: l.source_dir.clone().unwrap_or_default(),
            project: project.to_path_buf(),
            timeout: Duration::from_secs(l.timeout_seconds.max(1) as u64),
            memory_mb: l.memory_mb,
            environment: l.environment.clone(),
            region: function.location.region.clone(),
            arn: stack.env_at(&function.location).function_arn(&l.name),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{stack, DEFAULT_STACK};

    #[test]
    fn the_only_stream_is_picked_a_selector_naming_none_lists_the_streams() {
        let s = stack(DEFAULT_STACK);
        let (address, spec, _) = stream(&s, None, "preview").unwrap();
        assert_eq!((address.to_string(), spec.name.as_str()), ("firehose.events".into(), "PUT-S3-lambda"));
        let other = Selector::parse("firehose.other").unwrap();
        let err = stream(&s, Some(&other), "send").unwrap_err().to_string();
        assert!(err.contains("firehose.other names no stream") && err.contains("firehose.events"), "{err}");
        let picked = function(&s, spec, Path::new("/project"));
        assert_eq!(picked.map(|f| f.name), None, "code not packaged: nothing to run");
    }
}
