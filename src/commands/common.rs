//! What most commands share: loading the stack, connecting, reading live state, confirming.

use crate::aws::{Clients, Live};
use crate::cli::Cli;
use crate::config::{self, diagnostic::Diagnostic};
use crate::model::{Address, Environment, Stack};
use crate::plan::LiveState;
use crate::render::Style;
use anyhow::{Context as _, Result};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::io::BufRead;

/// Options every command uses.
pub struct Context {
    pub file: std::path::PathBuf,
    pub vars: Vec<(String, String)>,
    pub endpoint: Option<String>,
    pub parallelism: usize,
    pub quiet: bool,
    pub verbose: bool,
    pub style: Style,
}

impl Context {
    pub fn new(cli: &Cli) -> Context {
        Context {
            file: cli.file.clone(),
            vars: cli.vars.clone(),
            endpoint: cli.endpoint_url.clone(),
            parallelism: cli.parallelism.max(1),
            quiet: cli.quiet,
            verbose: cli.verbose,
            style: Style::detect(),
        }
    }

    /// Progress and notes, on stderr, unless quiet.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Loads stack.toml without touching the network.
    pub fn load_offline(&self) -> Result<(Stack, Vec<Diagnostic>)> {
        Ok(config::validate_offline(&self.file, &self.vars)?)
    }

    /// Validates stack.toml offline first (no API call for an invalid file), then connects and builds
    /// the stack for the real account and region.
    pub async fn load(&self) -> Result<(Stack, Clients)> {
        let loaded = config::load(&self.file, &self.vars)?;
        config::check_offline(&loaded)?;
        let clients = Clients::connect(config::declared_region(&loaded), self.endpoint.clone()).await?;
        let account_id = clients.account_id().await.context("finding the AWS account (STS GetCallerIdentity)")?;
        let env = Environment { region: clients.region.clone(), account_id };
        let (stack, warnings) = config::build(&loaded, env)?;
        for w in &warnings {
            self.note(&w.to_string());
        }
        Ok((stack, clients))
    }

    /// Reads every desired resource and every owned one, concurrently.
    pub async fn read_live(&self, stack: &Stack, clients: &Clients) -> Result<LiveState> {
        let start = std::time::Instant::now();
        let state = self.read_live_inner(stack, clients).await?;
        if self.verbose {
            eprintln!(
                "read {} declared and {} undeclared resource(s) in {} ms",
                state.by_address.len(),
                state.orphans.len(),
                start.elapsed().as_millis()
            );
        }
        Ok(state)
    }

    async fn read_live_inner(&self, stack: &Stack, clients: &Clients) -> Result<LiveState> {
        let reads = stack.resources.iter().map(|r| {
            let clients = clients.clone();
            async move {
                let live = clients.read(r.address.kind, r.physical_name(), Some(&r.spec)).await?;
                Ok::<_, anyhow::Error>((r.address.clone(), live))
            }
        });
        let discovery = clients.discover(&stack.name);
        let (by_address, owned) = tokio::join!(
            stream::iter(reads).buffer_unordered(self.parallelism).try_collect::<HashMap<Address, Option<Live>>>(),
            discovery
        );
        let by_address = by_address?;
        let declared: Vec<(Address, String)> =
            stack.resources.iter().map(|r| (r.address.clone(), r.physical_name().to_string())).collect();
        let orphan_reads = owned?
            .into_iter()
            .filter(|o| !declared.iter().any(|(a, n)| a.kind == o.address.kind && n == &o.physical_name))
            .map(|o| {
                let clients = clients.clone();
                async move {
                    Ok::<_, anyhow::Error>(
                        clients.read(o.address.kind, &o.physical_name, None).await?.map(|l| (o.address, l)),
                    )
                }
            });
        let orphans: Vec<Option<(Address, Live)>> =
            stream::iter(orphan_reads).buffer_unordered(self.parallelism).try_collect().await?;
        let mut orphans: Vec<(Address, Live)> = orphans.into_iter().flatten().collect();
        orphans.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(LiveState { by_address, orphans })
    }
}

impl Context {
    /// Runs `work` while holding the stack's lock, and releases it afterwards whatever happened.
    pub async fn locked<T>(
        &self,
        stack: &Stack,
        clients: &Clients,
        command: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let lock = clients.lock(&stack.env.account_id, &stack.name, command).await?;
        let result = work.await;
        let released = lock.release().await;
        let value = result?;
        released.context("releasing the stack lock (break it with `provision unlock`)")?;
        Ok(value)
    }
}

/// Asks for `yes` on stdin; anything else (or no terminal input) declines.
pub fn confirm(question: &str) -> bool {
    eprintln!("\n{question}\n  Only 'yes' will be accepted to approve.\n");
    eprint!("  Enter a value: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "yes"
}
