//! The HTTP surface: one router per feature, and the layer stack in one place.

mod admission;
mod authorization;
mod bearer;
pub mod client_address;
mod edge;
mod html;
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
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Settings;
pub use admission::Admission;
use state::MAX_FORM_BYTES;
pub use state::{AppState, AppStateInner};

/// Every route, then the edge every request passes through (`edge`): size bounds, request
/// id, client address, span, timeout, error logging, metrics, security headers.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(ops::router())
        .merge(oauth::router(&state.settings, &state.rate_limits))
        .merge(authorization::router(&state.rate_limits))
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
