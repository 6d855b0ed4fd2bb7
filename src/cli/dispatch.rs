//! From the parsed command line to a running command: settings loaded once, logging set up
//! for a server or for an operator command, then the command's own file takes over.

use std::sync::Arc;

use anyhow::Context;

use super::{AuditCommand, Cli, Command, ServeArgs};
use super::{audit_tail, clients, keys, serve, users};
use crate::config::{Overrides, Settings};
use crate::mcp::{Catalog, CatalogError, SystemMonitor};
use crate::startup;
use crate::storage::Store;
use crate::telemetry;

/// Runs the parsed command line with the built-in catalogue (the `mcp-oauth` binary).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    run_with_catalog(cli, || Ok(Catalog::builtin(Arc::new(SystemMonitor::new())))).await
}

/// Runs the parsed command line serving the catalogue `catalog` makes: what a team's own
/// binary calls to get `serve` and every operator command with its tools and scopes. The
/// catalogue is made only by the commands that need it (`serve`, `clients`).
pub async fn run_with_catalog(
    cli: Cli,
    catalog: impl FnOnce() -> Result<Catalog, CatalogError>,
) -> anyhow::Result<()> {
    let catalog = || catalog().context("the MCP catalogue is not valid");
    let serve_args = match &cli.command {
        Some(Command::Serve(args)) => Some(args),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.config.clone(),
        database_url: cli.database_url.clone(),
        bind: serve_args.and_then(|a| a.bind.clone()),
        public_url: serve_args.and_then(|a| a.public_url.clone()),
    };
    let settings = Settings::load(&overrides)?;
    // Operator commands print their own results; only warnings belong on stderr, and not
    // sqlx's "slow statement" (a migration on a busy machine is no news to the operator).
    let serving = serve_args.is_some() || cli.command.is_none();
    if !serving {
        telemetry::init(settings.server.log_format, "warn,sqlx::query=error");
    }
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(_) => serve::serve_with_telemetry(settings, catalog()?).await,
        Command::Migrate => {
            let store = Store::connect(&settings.database).await?;
            store.migrate().await?;
            println!("migrations applied to {}", settings.database.url.redacted());
            Ok(())
        }
        Command::PrintConfig => {
            print!("{}", settings.to_redacted_toml()?);
            Ok(())
        }
        Command::Clients(command) => {
            // A client may be given the operator's `[[scopes.custom]]` too.
            let catalog = startup::with_custom_scopes(catalog()?, &settings)?;
            clients::run(&settings, command, &catalog).await
        }
        Command::Users(command) => users::run(&settings, command).await,
        Command::Keys(command) => keys::run(&settings, command).await,
        Command::Audit(AuditCommand::Tail { since, limit }) => {
            let store = startup::prepare_store(&settings).await?;
            audit_tail::tail(&store, &since, limit).await
        }
    }
}
