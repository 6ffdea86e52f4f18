use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = provision::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(provision::commands::run(cli)) {
        Ok(code) => code,
        Err(e) if e.is::<provision::config::Invalid>() => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
