//! The official MCP conformance suite's fixtures (tools, resources, prompts named and worded as
//! its reference "everything" server has them) served by the real `Application`: same settings
//! (`MCP_OAUTH__*`, config file), same bearer guard, scopes and Streamable HTTP transport as
//! `mcp-oauth serve`. The tool seam's first outside user; never part of the `mcp-oauth` binary.
//!
//! ```text
//! MCP_OAUTH__RATE_LIMITS__ENABLED=false MCP_OAUTH__MCP__STATEFUL=true \
//!     cargo run --example conformance_server
//! ```
//! Stateful (sessions) is what the 2025-11-25 scenarios need for sampling and elicitation;
//! the 2026-07-28 ones run stateless.

mod content;
mod fixture;
mod media;
mod mrtr;
mod prompts;
mod resources;
mod session;
mod stateless;

use std::sync::Arc;

use anyhow::Context;
use mcp_oauth::config::{Overrides, Settings};
use mcp_oauth::mcp::catalog::{Catalog, CatalogBuilder};
use mcp_oauth::mcp::SystemMonitor;
use mcp_oauth::startup::{self, Application};
use mcp_oauth::telemetry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load(&Overrides::default())?;
    telemetry::init(settings.server.log_format, &settings.server.log_filter);
    let catalog = catalog()?;
    let app = Application::build_with_catalog(settings, catalog).await?;
    startup::print_generated_secrets(&app.generated_client_secrets);
    let settings = &app.state().settings;
    tracing::info!(
        port = app.port(),
        issuer = %settings.issuer(),
        "conformance fixtures server listening"
    );
    app.run_until_stopped(startup::shutdown_signal()).await
}

/// The built-in catalogue plus every fixture both requirement sets call. The fixtures need only
/// their kind's base scope (`mcp:tools`, `mcp:resources`, `mcp:prompts`).
fn catalog() -> anyhow::Result<Catalog> {
    let builder = CatalogBuilder::new().with_builtins(Arc::new(SystemMonitor::new()));
    let builder = content::register(builder);
    let builder = session::register(builder);
    let builder = stateless::register(builder);
    let builder = mrtr::register(builder)?;
    let builder = resources::register(builder);
    let builder = prompts::register(builder);
    builder.build().context("the fixture catalogue is inconsistent")
}
