//! `Application::build`: what `main` and every integration test start.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Secret, Settings};
use crate::gateway::Gateway;
use crate::http::client_address::TrustedProxies;
use crate::http::rate_limit::RateLimits;
use crate::http::{self, AppState, AppStateInner, mcp_policy};
use crate::maintenance;
use crate::mcp::{
    Catalog, McpHttpSettings, McpServer, ScopeInfo, ServerIdentity, SystemMonitor,
    streamable_http_service,
};
use crate::oauth::throttle::LoginThrottle;
use crate::oauth::upstream::Upstream;
use crate::oauth::{AuthServer, clients, users};
use crate::storage::Store;

pub struct Application {
    port: u16,
    listener: TcpListener,
    /// The Prometheus listener, when `metrics.enabled`.
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    state: AppState,
    /// Certificates for in-process TLS, loaded at build so a bad file fails start-up.
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    /// The admin password generated on first start, to be shown once.
    pub generated_admin_password: Option<String>,
    /// Documented clients seeded with random secrets (https, first start), shown once.
    pub generated_client_secrets: Vec<clients::SeededSecret>,
}

/// Opens the store and brings it up to date: migrations (unless turned off) and
/// the documented clients (unless turned off). For the operator commands: a secret
/// generated while seeding is printed here, to stderr, since nobody else will show it.
pub async fn prepare_store(settings: &Settings) -> anyhow::Result<Store> {
    let (store, secrets) = prepare_store_seeding(settings).await?;
    print_generated_secrets(&secrets);
    Ok(store)
}

async fn prepare_store_seeding(
    settings: &Settings,
) -> anyhow::Result<(Store, Vec<clients::SeededSecret>)> {
    let store = Store::connect(&settings.database).await?;
    if settings.database.migrate_on_start {
        store.migrate().await?;
    }
    let mut secrets = Vec::new();
    if settings.clients.seed_documented {
        secrets = clients::seed_documented(
            &store,
            settings.is_https(),
            settings.clients.seed_documented_secrets,
        )
        .await?;
    }
    Ok((store, secrets))
}

/// Shows generated client secrets once, on the terminal and never in the log stream, in
/// the form `clients rotate-secret` uses.
pub fn print_generated_secrets(secrets: &[clients::SeededSecret]) {
    for seeded in secrets {
        eprintln!(
            "\n  First start on https: seeded client {} with a random secret.\n  \
             client_id: {}\n  client_secret: {}\n  \
             (the secret is shown once; only its hash is stored. Replace it with \
             `mcp-oauth clients rotate-secret {}`)\n",
            seeded.client_id, seeded.client_id, seeded.secret, seeded.client_id
        );
    }
}

impl Application {
    /// Connects, migrates, seeds and binds, serving the built-in catalogue (what `serve` runs).
    /// Port 0 picks a free port (tests).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let catalog = Catalog::builtin(Arc::new(SystemMonitor::new()));
        Self::build_with_catalog(settings, catalog).await
    }

    /// [`Application::build`] serving `catalog`: a team's own tools, resources and prompts
    /// (see [`crate::mcp::CatalogBuilder`]), behind the same guard, consent page and metadata.
    pub async fn build_with_catalog(settings: Settings, catalog: Catalog) -> anyhow::Result<Self> {
        let (store, generated_client_secrets) = prepare_store_seeding(&settings).await?;
        let generated_admin_password = users::bootstrap_admin(
            &store,
            settings
                .bootstrap
                .admin_password
                .as_ref()
                .map(Secret::expose),
        )
        .await?;
        let listener = TcpListener::bind(settings.server.bind)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = if settings.metrics.enabled {
            // Installed before the first request so no early sample is lost.
            crate::telemetry::metrics::handle();
            tokio::spawn(crate::telemetry::metrics::upkeep_forever(
                Duration::from_secs(5),
            ));
            let bind = settings.metrics.bind;
            Some(
                TcpListener::bind(bind)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {bind}"))?,
            )
        } else {
            None
        };
        let rate_limits = RateLimits::new(&settings.rate_limits)?;
        let trusted_proxies = Arc::new(TrustedProxies::from_settings(&settings)?);
        let settings = Arc::new(settings);
        let catalog = with_custom_scopes(catalog, &settings)?;
        let identity = ServerIdentity {
            name: "mcp-oauth".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            instructions: Some(instructions(&catalog)),
        };
        let gateway = Gateway::new(&settings.mcp, catalog)?;
        let auth =
            AuthServer::start(settings.clone(), store.clone(), gateway.catalog().clone()).await?;
        tokio::spawn(auth.clone().sync_forever(Duration::from_secs(2)));
        gateway
            .start(Duration::from_secs(settings.mcp.upstream_start_wait_secs))
            .await;
        let mcp = McpServer::with_catalog(identity, gateway.catalog().clone());
        let mcp_http = streamable_http_service(
            mcp.clone(),
            McpHttpSettings {
                allowed_hosts: mcp_policy::allowed_hosts(&settings),
                stateful: settings.mcp.stateful,
            },
        );
        let admission = http::Admission::per_core(settings.server.oauth_concurrency_per_core);
        // Counted in the database, so every instance on it shares one budget.
        let login_throttle = Arc::new(LoginThrottle::new(store.clone(), auth.clock.clone()));
        let upstream = Upstream::new(&settings.login)?;
        let state = AppState::new(AppStateInner {
            settings,
            store,
            auth,
            mcp,
            mcp_http,
            gateway,
            login_throttle,
            upstream,
            rate_limits,
            trusted_proxies,
            admission,
        });
        let tls = match (
            &state.settings.server.tls.cert,
            &state.settings.server.tls.key,
        ) {
            (Some(cert), Some(key)) => Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .with_context(|| {
                        format!("loading TLS certificate {} and key", cert.display())
                    })?,
            ),
            _ => None,
        };
        Ok(Self {
            port,
            listener,
            metrics_listener,
            tls,
            router: http::router(state.clone()),
            state,
            generated_admin_password,
            generated_client_secrets,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bound metrics port (useful with port 0), or `None` when metrics are off.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests for at
    /// most the configured timeout so a stuck connection cannot hang shutdown.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let drain = Duration::from_secs(self.state.settings.server.shutdown_timeout_secs);
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let mcp_http = self.state.mcp_http.clone();
        let signal = async move {
            shutdown.await;
            // Long-lived MCP streams would otherwise hold graceful shutdown open.
            mcp_http.shutdown();
            let _ = stopping_tx.send(());
        };
        let mut background = Vec::new();
        if let Some(listener) = self.metrics_listener {
            let metrics = http::metrics::router(self.state.store.clone());
            background.push(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, metrics).await {
                    tracing::error!(%error, "the metrics listener failed");
                }
            }));
        }
        background.push(tokio::spawn(maintenance::purge_forever(
            self.state.store.clone(),
            self.state.settings.maintenance.clone(),
        )));
        let options = crate::serve::ServeOptions {
            header_read_timeout: Duration::from_secs(
                self.state.settings.server.header_read_timeout_secs,
            ),
            max_connections: self.state.settings.server.max_connections as usize,
            // rustls termination, HTTP/1.1 and HTTP/2 by ALPN.
            tls: self.tls,
        };
        let server = tokio::spawn(crate::serve::serve(
            self.listener,
            self.router,
            options,
            signal,
        ));
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result?,
            _ = async { let _ = stopping_rx.await; tokio::time::sleep(drain).await } => {
                tracing::warn!("in-flight requests did not drain within {drain:?}; stopping anyway");
            }
        }
        for task in background {
            task.abort();
        }
        self.state.gateway.stop().await;
        self.state.store.close().await;
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; draining");
}

/// `catalog` plus the operator's `[[scopes.custom]]`.
pub fn with_custom_scopes(catalog: Catalog, settings: &Settings) -> anyhow::Result<Catalog> {
    let custom = settings.scopes.custom.iter().map(|scope| ScopeInfo {
        name: scope.name.clone(),
        description: scope.description.clone(),
    });
    catalog
        .with_scopes(custom)
        .context("scopes.custom: a scope is malformed or already declared")
}

/// What `initialize` tells a model about this server: the catalogue's names, by kind.
fn instructions(catalog: &Catalog) -> String {
    use crate::mcp::Kind;
    let names = |kind: Kind| -> String {
        let names: Vec<&str> = catalog.entries_of(kind).map(|e| e.name.as_str()).collect();
        names.join(", ")
    };
    let mut text = String::new();
    for (label, kind) in [
        ("Tools", Kind::Tool),
        ("Resources", Kind::Resource),
        ("Prompts", Kind::Prompt),
    ] {
        let listed = names(kind);
        if !listed.is_empty() {
            text.push_str(&format!("{label}: {listed}. "));
        }
    }
    text.push_str("What you can see depends on the scopes you were granted.");
    text
}
