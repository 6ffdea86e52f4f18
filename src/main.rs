use clap::Parser;
use provision::{errln, output};
use std::process::ExitCode;

fn main() -> ExitCode {
    // No process of the same user (a preview worker among them) may read this one's environment
    // or command line through /proc.
    provision::sandbox::harden_this_process();
    let cli = match provision::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    // The jq worker is a plain loop over stdin: no runtime, no signal handling of its own (it is
    // killed with its process group).
    if let provision::cli::Command::JqWorker { query, memory_mib } = &cli.command {
        return provision::datapath::query::worker_main(query, *memory_mib);
    }
    // The sandbox must be single-threaded (a user namespace cannot be entered otherwise).
    if let provision::cli::Command::Sandbox(args) = &cli.command {
        return provision::sandbox::main(args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(provision::commands::run(cli)) {
        Ok(code) => code,
        Err(e) if e.is::<provision::config::Invalid>() => {
            errln!("{e}");
            ExitCode::from(1)
        }
        Err(e) => {
            output::err(&format!("error: {e:#}\n"));
            ExitCode::from(1)
        }
    }
}

/// Help and version go to stdout (exit 0); a usage error is printed escaped (it echoes what was
/// typed) and exits 1: exit code 2 means "there are changes" (`plan --detailed-exitcode`) only.
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::InvalidSubcommand {
        // clap's own guess is loose (`test` -> `destroy`, `version` -> `verify`): a stricter one.
        if let Some(ContextValue::String(typed)) = e.get(ContextKind::InvalidSubcommand) {
            output::err(&output::escape(&format!(
                "error: {}
",
                provision::cli::unknown_subcommand(typed)
            )));
            return ExitCode::from(1);
        }
    }
    let text = output::escape(&e.render().to_string());
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            output::out(&text);
            ExitCode::SUCCESS
        }
        _ => {
            output::err(&text);
            ExitCode::from(1)
        }
    }
}
