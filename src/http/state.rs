//! The state every handler shares, and the body bound the router and the token limit agree on.

use std::sync::Arc;

use crate::config::Settings;
use crate::gateway::Gateway;
use crate::http::admission::Admission;
use crate::http::client_address::TrustedProxies;
use crate::http::rate_limit::RateLimits;
use crate::mcp::{McpHttpService, McpServer};
use crate::oauth::AuthServer;
use crate::oauth::throttle::LoginThrottle;
use crate::oauth::upstream::Upstream;
use crate::storage::Store;

/// Everything a handler may need, behind one `Arc`: axum clones the state for every
/// extractor and middleware on every request, and cloning the fields one by one (rmcp's
/// service with its cancellation token, the auth server's `Arc`s) was ~15% of the CPU of a
/// protected call in the load benchmark's profile.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub auth: AuthServer,
    pub mcp: McpServer,
    /// rmcp's Streamable HTTP service; `shutdown()` ends its streams when we stop.
    pub mcp_http: McpHttpService,
    /// The upstream MCP servers behind `/mcp` (`[[mcp.upstreams]]`), for `/readyz`.
    pub gateway: Gateway,
    pub login_throttle: Arc<LoginThrottle>,
    /// The `[[login.oidc]]` providers and their discovered metadata.
    pub upstream: Arc<Upstream>,
    pub rate_limits: RateLimits,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Bounds how many token, introspection and revocation calls run at once.
    pub admission: Admission,
}

/// The largest OAuth form body; also what the token rate limit buffers at most.
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;
