//! The official MCP conformance suite's fixtures (tools, resources, prompts named and worded as
//! its reference "everything" server has them) served by the real `Application`: same settings
//! (`MCP_OAUTH__*`, config file), bearer guard, scopes and Streamable HTTP transport as
//! `mcp-oauth serve`. The tool seam's first outside user; never part of the `mcp-oauth` binary.
//!
//! ```text
//! MCP_OAUTH__RATE_LIMITS__ENABLED=false MCP_OAUTH__MCP__STATEFUL=true \
//!     cargo run --example conformance_server
//! ```
//! The 2025-11-25 scenarios need sessions (`STATEFUL=true`) for sampling and elicitation; the
//! 2026-07-28 ones run stateless.

mod fixtures;

use std::sync::Arc;

use mcp_oauth::config::{Overrides, Settings};
use mcp_oauth::mcp::SystemMonitor;
use mcp_oauth::startup::{self, Application};
use mcp_oauth::telemetry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load(&Overrides::default())?;
    telemetry::init(settings.server.log_format, &settings.server.log_filter);
    let catalog = fixtures::catalog(Arc::new(SystemMonitor::new()))?;
    let app = Application::build_with_catalog(settings, catalog).await?;
    if let Some(password) = &app.generated_admin_password {
        eprintln!("\n  First start: created user 'admin' with password: {password}\n");
    }
    startup::print_generated_secrets(&app.generated_client_secrets);
    let settings = &app.state().settings;
    tracing::info!(
        port = app.port(),
        issuer = %settings.issuer(),
        "conformance fixtures listening"
    );
    app.run_until_stopped(startup::shutdown_signal()).await
}
