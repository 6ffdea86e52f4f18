//! What most commands share: loading the stack, connecting, reading live state, locking,
//! confirming.

use crate::aws::pacing;
use crate::cli::Cli;
use crate::config;
use crate::model::diagnostic::Diagnostic;
use crate::model::{LockSettings, Stack};
use crate::plan::LiveState;
use crate::render::Style;
use crate::session::{Connection, LockTarget, Session};
use crate::{errln, output};
use anyhow::{Context as _, Result};
use std::io::{BufRead, Read};
use std::time::Duration;

/// Options every command uses.
pub(super) struct Invocation {
    pub file: std::path::PathBuf,
    pub vars: Vec<(String, String)>,
    pub var_files: Vec<std::path::PathBuf>,
    /// `--project-dir`: where module files must lie (default: the stack file's directory).
    pub project_dir: Option<std::path::PathBuf>,
    pub endpoint: Option<String>,
    pub parallelism: usize,
    pub quiet: bool,
    pub verbose: bool,
    /// Plans in their compact form (`--compact`).
    pub compact: bool,
    pub style: Style,
    pub rates: pacing::Rates,
    /// How long to wait for a stack lock held by another run.
    pub lock_timeout: Duration,
}

impl Invocation {
    pub(super) fn new(cli: &Cli) -> Invocation {
        Invocation {
            file: cli.file.clone(),
            vars: cli.vars.clone(),
            var_files: cli.var_files.clone(),
            project_dir: cli.project_dir.clone(),
            endpoint: cli.endpoint_url.clone(),
            parallelism: cli.parallelism.max(1),
            quiet: cli.quiet,
            verbose: cli.verbose,
            compact: cli.compact,
            style: Style::detect(),
            rates: pacing::Rates::with_overrides(&cli.api_rates),
            lock_timeout: cli.lock_timeout,
        }
    }

    /// A plan, on stdout, unless quiet (`-q`: only errors and the final result): in full, or
    /// compact (`--compact`, or `compact` when it was reviewed already).
    pub(super) fn show_plan(&self, plan: &crate::plan::Plan, compact: bool) {
        if !self.quiet {
            output::out(&self.plan_text(plan, compact));
        }
    }

    /// A plan's text as this run shows it.
    pub(super) fn plan_text(&self, plan: &crate::plan::Plan, compact: bool) -> String {
        if self.compact || compact {
            crate::render::plan::compact(plan, self.style)
        } else {
            crate::render::plan::render(plan, self.style)
        }
    }

    /// Progress and notes, on stderr, unless quiet.
    pub(super) fn note(&self, text: &str) {
        if !self.quiet {
            errln!("{text}");
        }
    }

    /// The project's directory, canonical: what a pull request writes (`--project-dir`, or the
    /// stack file's directory).
    pub(super) fn project(&self) -> std::path::PathBuf {
        config::project_root(&self.file, &self.options(false))
    }

    fn options(&self, package_code: bool) -> config::Options {
        config::Options {
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            project_dir: self.project_dir.clone(),
            package_code,
        }
    }

    /// Loads stack.toml without touching the network; with `package_code`, Lambda code is
    /// packaged too (validate checks it; preview and `send --dry-run` do not need it).
    pub(super) fn load_offline(&self, package_code: bool) -> Result<(Stack, Vec<Diagnostic>)> {
        let loaded = config::load(&self.file, &self.options(package_code))?;
        output::set_secrets(loaded.sensitive.clone());
        Ok(config::check_offline(&loaded)?)
    }

    /// Whether AWS is a local emulator (an endpoint was given): it has no API quotas to keep to.
    pub(super) fn local_endpoint(&self) -> bool {
        self.endpoint.is_some() || std::env::var_os("AWS_ENDPOINT_URL").is_some()
    }

    /// Validates stack.toml offline first (no API call for an invalid file), then connects and
    /// builds the stack for the real account and region, searching for what it owns with
    /// `discover` (see [`Session::open`]).
    pub(super) async fn load(&self, package_code: bool, discover: bool) -> Result<Session> {
        let loaded = config::load(&self.file, &self.options(package_code))?;
        let connection = Connection { endpoint: self.endpoint.clone(), rates: self.rates.clone() };
        Session::connect(loaded, connection, discover, &|t: &str| self.note(t)).await
    }

    /// Reads every desired resource and every owned one, concurrently.
    pub(super) async fn read_live(&self, session: &mut Session) -> Result<LiveState> {
        self.read_live_for(session, false).await
    }

    /// [`Invocation::read_live`] for a plan that converges, or one that only deletes (`destroy`)
    /// (see [`Session::read_live`]).
    pub(super) async fn read_live_for(&self, session: &mut Session, destroy: bool) -> Result<LiveState> {
        let start = std::time::Instant::now();
        let state = session.read_live(destroy, &|t: &str| self.note(t)).await?;
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
    pub(super) fn report_calls(&self, session: &Session) {
        if !self.verbose {
            return;
        }
        let Ok(aws) = session.aws() else { return };
        let counts = aws.counts();
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

    /// Runs `work` while holding the stack's lock (see [`LockTarget::hold`]), its notes printed.
    pub(super) async fn locked<T>(
        &self,
        target: LockTarget,
        command: &str,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        target.hold(command, self.lock_timeout, &|t: &str| self.note(t), work).await
    }
}

/// The lock settings of a stack, or an error saying locking is off.
pub(super) fn lock_settings(stack: &Stack) -> Result<&LockSettings> {
    stack.lock.as_ref().context("locking is off for this stack (`lock = false` in [stack])")
}

/// Asks for `yes` on stdin before `verb` (apply, destroy, import) goes on; anything else is an
/// error saying how to answer. An interrupt at the prompt ends the run (see [`interrupt`]).
pub(super) fn confirm(question: &str, verb: &str) -> Result<()> {
    use std::io::IsTerminal;
    errln!("\n{question}\n  Only 'yes' will be accepted to approve.\n");
    output::err("  Enter a value: ");
    let mut line = String::new();
    let read = std::io::stdin().lock().take(1024).read_line(&mut line);
    if read.is_ok() && line.trim() == "yes" {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{verb} cancelled: stdin is not a terminal and did not answer `yes`; to {verb} without asking, run `provision {verb} --auto-approve`"
        );
    }
    anyhow::bail!("{verb} cancelled")
}
