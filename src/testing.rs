//! Helpers for unit tests: stacks built from text, offline, in the fake cloud's account.

use crate::config;
use crate::model::{Environment, Stack};
use crate::provider::fake::{ACCOUNT, REGION};

/// The repository's default stack.toml.
pub const DEFAULT_STACK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/stack.toml"));

/// Builds a stack from stack.toml text (Lambda code not packaged), for the fake cloud.
pub fn stack(text: &str) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.toml");
    std::fs::write(&path, text).unwrap();
    let loaded = config::load(&path, &config::Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let env = Environment { region: REGION.into(), account_id: ACCOUNT.into(), ..Default::default() };
    config::build(&loaded, env).unwrap_or_else(|e| panic!("{e}")).0
}

/// The default stack's bucket name in the fake account.
pub const BUCKET: &str = "firehose-to-s3-123456789012-us-east-1-an";

/// Builds a stack from files (`stack.toml` first, module files by their paths), for the fake
/// cloud: the stack and its warnings, or why it is invalid.
pub fn stack_files(
    files: &[(&str, &str)],
) -> Result<(Stack, Vec<crate::model::diagnostic::Diagnostic>), config::Invalid> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let loaded = config::load(&dir.path().join(files[0].0), &config::Options::default())?;
    let env = Environment { region: REGION.into(), account_id: ACCOUNT.into(), ..Default::default() };
    config::build(&loaded, env)
}

/// The live state of `stack` as a command reads it: the stack's resources discovered in every
/// location it declares, then everything read.
pub async fn live_of(
    stack: &Stack,
    provider: &std::sync::Arc<dyn crate::provider::Provider>,
) -> crate::plan::LiveState {
    let owned = crate::live::discover(stack, provider, &stack.locations()).await.unwrap();
    crate::live::read(stack, provider, &owned).await.unwrap()
}
