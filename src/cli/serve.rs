//! `serve`: the server with traces exported, first-start secrets shown once on the terminal.

use crate::config::Settings;
use crate::mcp::Catalog;
use crate::startup::{self, Application};
use crate::telemetry;

/// Serves until SIGINT/SIGTERM, then flushes the trace exporter.
pub(super) async fn serve_with_telemetry(
    settings: Settings,
    catalog: Catalog,
) -> anyhow::Result<()> {
    let telemetry = telemetry::init_with_traces(
        settings.server.log_format,
        &settings.server.log_filter,
        &settings.telemetry,
    )?;
    let served = serve(settings, catalog).await;
    telemetry.shutdown().await;
    served
}

async fn serve(settings: Settings, catalog: Catalog) -> anyhow::Result<()> {
    let app = Application::build_with_catalog(settings, catalog).await?;
    if let Some(password) = &app.generated_admin_password {
        // Printed once, to the terminal, never to the log stream.
        eprintln!(
            "\n  First start: created user 'admin' with password: {password}\n  \
             Change it with `mcp-oauth users set-password admin`.\n"
        );
    }
    startup::print_generated_secrets(&app.generated_client_secrets);
    let settings = &app.state().settings;
    tracing::info!(
        bind = %settings.server.bind,
        port = app.port(),
        issuer = %settings.issuer(),
        database = %settings.database.url.redacted(),
        "mcp-oauth listening"
    );
    app.run_until_stopped(startup::shutdown_signal()).await
}
