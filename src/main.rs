//! Entry point: parse the command line and hand over to `cli::dispatch::run`.

use clap::Parser;

/// glibc's malloc keeps every freed argon2 block (19 MiB each, one per core at a time) in its
/// arenas, so RSS stepped up under login load and never came back (the soak measured +70%);
/// mimalloc hands them back to the OS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mcp_oauth::memory::decline_transparent_huge_pages();
    run()
}

#[tokio::main]
async fn run() -> std::process::ExitCode {
    let cli = mcp_oauth::cli::Cli::parse();
    match mcp_oauth::cli::dispatch::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
