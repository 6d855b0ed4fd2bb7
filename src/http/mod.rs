//! The HTTP surface: one router per feature, and the layer stack in one place.

mod admission;
pub mod client_address;
mod edge;
mod limits;
mod mcp;
pub mod mcp_policy;
pub mod metrics;
mod oauth;
mod ops;
mod pages;
mod protected;
pub mod rate_limit;
mod resource_metadata;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Settings;
use crate::mcp::{McpHttpService, McpServer};
use crate::oauth::AuthServer;
use crate::oauth::throttle::LoginThrottle;
use crate::storage::Store;
pub use admission::Admission;
use client_address::TrustedProxies;
use rate_limit::RateLimits;

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
    pub login_throttle: Arc<LoginThrottle>,
    pub rate_limits: RateLimits,
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Bounds how many token, introspection and revocation calls run at once.
    pub admission: admission::Admission,
}

/// The largest OAuth form body; also what the token rate limit buffers at most.
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// Every route, then the edge every request passes through (`edge`): size bounds, request
/// id, client address, span, timeout, error logging, metrics, security headers.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(ops::router())
        .merge(oauth::router(&state.settings, &state.rate_limits))
        .merge(oauth::browser_router(&state.rate_limits))
        .merge(pages::router(&state.rate_limits))
        .merge(resource_metadata::router().layer(CorsLayer::permissive()))
        .merge(
            mcp::router(state.clone(), state.mcp_http.clone())
                .merge(protected::router())
                .layer(mcp_cors(&state.settings)),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES));
    routes
        .layer(edge::EdgeLayer::new(
            state.trusted_proxies.clone(),
            state.settings.is_https(),
        ))
        .with_state(state)
}

/// CORS for browser MCP clients (Inspector): preflights answered without auth, the session,
/// challenge and version headers exposed. Only allowed origins are reflected.
fn mcp_cors(settings: &Arc<Settings>) -> CorsLayer {
    let settings = settings.clone();
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        origin
            .to_str()
            .is_ok_and(|o| mcp_policy::origin_allowed(&settings, o))
    });
    let name = HeaderName::from_static;
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            name("mcp-protocol-version"),
            name("mcp-session-id"),
            name("last-event-id"),
        ])
        .expose_headers([
            name("mcp-session-id"),
            name("mcp-protocol-version"),
            header::WWW_AUTHENTICATE,
        ])
        .max_age(Duration::from_secs(600))
}
