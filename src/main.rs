//! pyrobench: measures what a continuous-profiling agent costs.

use clap::Parser;
use pyrobench::{app, cli, measure};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Inside a container the binary is the measuring init or its installer: no clap, no
    // runtime, nothing that could add to what is measured.
    match args.get(1).map(String::as_str) {
        Some(measure::init::INIT_SUBCOMMAND) => {
            let command = args.get(2).filter(|a| *a == "--").map_or(2, |_| 3);
            measure::init::run(&args[command..]);
        }
        Some(measure::install::INSTALL_SUBCOMMAND) => {
            let dir = args.get(2).map(String::as_str).unwrap_or("/vol");
            if let Err(error) = measure::install::install_self_into(std::path::Path::new(dir)) {
                eprintln!("error: {error:#}");
                std::process::exit(1);
            }
            return;
        }
        _ => {}
    }
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let code = match runtime.block_on(app::main(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    };
    // Leave at once: a blocking thread stuck in a Docker call must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}
