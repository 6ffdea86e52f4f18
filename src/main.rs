use clap::Parser;
use provision::{errln, output};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = provision::cli::Cli::parse();
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
