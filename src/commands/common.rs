//! What most commands share: loading the stack, connecting, reading live state, locking,
//! confirming.

use crate::aws::{pacing, Clients};
use crate::cli::Cli;
use crate::config;
use crate::diagnostic::Diagnostic;
use crate::model::{Environment, LockSettings, Owned, Stack};
use crate::plan::LiveState;
use crate::provider::{Holder, LockHandle, Provider, Released};
use crate::render::Style;
use crate::{errln, output};
use anyhow::{Context as _, Result};
use std::io::BufRead;
use std::sync::{Arc, Mutex};

/// The lock a run holds, with the provider to release it, shared with the interrupt handler.
pub type HeldLock = Arc<Mutex<Option<(Arc<dyn Provider>, LockHandle)>>>;

/// Options every command uses.
pub struct Context {
    pub file: std::path::PathBuf,
    pub vars: Vec<(String, String)>,
    pub var_files: Vec<std::path::PathBuf>,
    pub endpoint: Option<String>,
    pub parallelism: usize,
    pub quiet: bool,
    pub verbose: bool,
    pub style: Style,
    pub rates: pacing::Rates,
    /// The lock this run holds, for the interrupt handler to release.
    pub held_lock: HeldLock,
}

/// A stack loaded for the real account, with the provider to reach it.
pub struct Loaded {
    pub stack: Stack,
    /// The core's view of AWS.
    pub provider: Arc<dyn Provider>,
    /// The same clients, for the data path and the call counts.
    pub clients: Clients,
    /// What discovery found (only when asked for).
    pub owned: Vec<Owned>,
}

impl Context {
    pub fn new(cli: &Cli) -> Context {
        Context {
            file: cli.file.clone(),
            vars: cli.vars.clone(),
            var_files: cli.var_files.clone(),
            endpoint: cli.endpoint_url.clone(),
            parallelism: cli.parallelism.max(1),
            quiet: cli.quiet,
            verbose: cli.verbose,
            style: Style::detect(),
            rates: pacing::Rates::with_overrides(&cli.api_rates),
            held_lock: Arc::new(Mutex::new(None)),
        }
    }

    /// Progress and notes, on stderr, unless quiet.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            errln!("{text}");
        }
    }

    fn options(&self, package_code: bool) -> config::Options {
        config::Options { vars: self.vars.clone(), var_files: self.var_files.clone(), package_code }
    }

    /// Loads stack.toml without touching the network; with `package_code`, Lambda code is
    /// packaged too (validate checks it; preview and `send --dry-run` do not need it).
    pub fn load_offline(&self, package_code: bool) -> Result<(Stack, Vec<Diagnostic>)> {
        let loaded = config::load(&self.file, &self.options(package_code))?;
        output::set_secrets(loaded.sensitive.clone());
        Ok(config::check_offline(&loaded)?)
    }

    /// Whether AWS is a local emulator (an endpoint was given): it has no API quotas to keep to.
    pub fn local_endpoint(&self) -> bool {
        self.endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some()
    }

    /// Validates stack.toml offline first (no API call for an invalid file), then connects and
    /// builds the stack for the real account and region. With `discover`, the stack's owned
    /// resources are searched for at the same time as the account is looked up.
    pub async fn load(&self, package_code: bool, discover: bool) -> Result<Loaded> {
        let loaded = config::load(&self.file, &self.options(package_code))?;
        config::check_offline(&loaded)?;
        output::set_secrets(loaded.sensitive.clone());
        let clients =
            Clients::connect(config::declared_region(&loaded), self.endpoint.clone(), self.rates.clone()).await?;
        let provider: Arc<dyn Provider> = Arc::new(clients.clone());
        let stack_name = loaded.file.stack.name.clone();
        let (account, owned) = tokio::join!(provider.account_id(), async {
            if discover {
                provider.discover(&stack_name).await.map(Some)
            } else {
                Ok(None)
            }
        });
        let account_id = account.context("finding the AWS account (STS GetCallerIdentity)")?;
        let env = Environment { region: provider.region().to_string(), account_id };
        let (stack, warnings) = config::build(&loaded, env)?;
        for w in &warnings {
            self.note(&w.to_string());
        }
        Ok(Loaded { stack, provider, clients, owned: owned?.unwrap_or_default() })
    }

    /// Reads every desired resource and every owned one, concurrently.
    pub async fn read_live(&self, loaded: &Loaded) -> Result<LiveState> {
        let start = std::time::Instant::now();
        let state = crate::live::read(&loaded.stack, &loaded.provider, &loaded.owned).await?;
        if self.verbose {
            errln!(
                "read {} declared and {} undeclared resource(s) in {} ms",
                state.by_address.len(),
                state.orphans.len(),
                start.elapsed().as_millis()
            );
        }
        Ok(state)
    }

    /// With `-v`: AWS calls made, by action, and how many AWS throttled.
    pub fn report_calls(&self, loaded: &Loaded) {
        if !self.verbose {
            return;
        }
        let counts = loaded.clients.pacer.counts();
        let total: u64 = counts.iter().map(|c| c.calls).sum();
        let throttled: u64 = counts.iter().map(|c| c.throttled).sum();
        errln!("AWS calls: {total} ({throttled} throttled)");
        for c in counts {
            errln!(
                "  {:<48} {:>5}{}",
                c.operation,
                c.calls,
                if c.throttled > 0 { format!("  ({} throttled)", c.throttled) } else { String::new() }
            );
        }
    }

    /// Runs `work` while holding the stack's lock (unless `[stack] lock = false`), and releases
    /// it afterwards whatever happened.
    pub async fn locked<T>(
        &self,
        loaded: &Loaded,
        command: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let Some(settings) = &loaded.stack.lock else { return work.await };
        let handle = loaded.provider.lock(settings, &loaded.stack.name, &Holder::current(command)).await?;
        if let Some(gone) = &handle.took_over {
            let gone = gone.escaped();
            self.note(&format!(
                "Took over the lock of stack \"{}\" left by {} running `{}` since {}: that process is gone from this host.",
                loaded.stack.name, gone.who, gone.command, gone.since
            ));
        }
        *self.held_lock.lock().unwrap_or_else(|e| e.into_inner()) = Some((loaded.provider.clone(), handle.clone()));
        let result = work.await;
        self.held_lock.lock().unwrap_or_else(|e| e.into_inner()).take();
        let released = loaded.provider.release(&handle).await;
        let value = result?;
        match released.context("releasing the stack lock (break it with `provision unlock`)")? {
            Released::Ours => {}
            Released::NotOurs(holder) => self.note(&format!(
                "note: this run's lock was broken while it ran{}; the current lock was left alone",
                holder.map(|h| format!(" (now held by {})", h.escaped().who)).unwrap_or_default()
            )),
        }
        Ok(value)
    }
}

/// The lock settings of a stack, or an error saying locking is off.
pub fn lock_settings(stack: &Stack) -> Result<&LockSettings> {
    stack.lock.as_ref().context("locking is off for this stack (`lock = false` in [stack])")
}

/// Asks for `yes` on stdin; anything else (or no terminal input) declines.
pub fn confirm(question: &str) -> bool {
    errln!("\n{question}\n  Only 'yes' will be accepted to approve.\n");
    output::err("  Enter a value: ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "yes"
}
