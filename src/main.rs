//! Entry point: parse the command line and hand over to `cli::run`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = mcp_oauth::cli::Cli::parse();
    match mcp_oauth::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
