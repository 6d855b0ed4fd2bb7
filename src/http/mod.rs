//! The HTTP surface: one router per feature, and the layer stack in one place.

pub mod client_address;
mod limits;
mod mcp;
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
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::mcp::{McpHttpService, McpServer};
use crate::oauth::AuthServer;
use crate::oauth::throttle::LoginThrottle;
use crate::storage::Store;
use client_address::{ClientAddress, TrustedProxies};
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
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest OAuth form body; also what the token rate limit buffers at most.
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// RFC 6797: two years, subdomains included; sent only when the public URL is https.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000; includeSubDomains");

/// Every route, then the layers. Layers listed first run first on the request:
/// the request id is set and the client address resolved before the span opens; the
/// request id is copied to the response last.
pub fn router(state: AppState) -> Router {
    let hsts = state
        .settings
        .is_https()
        .then(|| SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, HSTS));
    let routes = Router::new()
        .merge(ops::router())
        .merge(oauth::router(&state.settings, &state.rate_limits))
        .merge(oauth::browser_router(&state.rate_limits))
        .merge(pages::router(&state.rate_limits))
        .merge(resource_metadata::router().layer(CorsLayer::permissive()))
        .merge(
            mcp::router(state.clone(), state.mcp_http.clone())
                .merge(protected::router(state.clone()))
                .layer(mcp_cors(&state.settings)),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES));
    routes
        .layer(axum::middleware::from_fn(crate::error::log_errors))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(axum::middleware::from_fn_with_state(
                    state.trusted_proxies.clone(),
                    client_address::resolve,
                ))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(record_status),
                )
                .layer(axum::middleware::from_fn(metrics::track))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .option_layer(hsts)
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(30),
                ))
                .layer(axum::middleware::from_fn(limits::enforce)),
        )
        .with_state(state)
}

/// CORS for browser MCP clients (Inspector): preflights answered without auth, the session,
/// challenge and version headers exposed. Only allowed origins are reflected.
fn mcp_cors(settings: &Arc<Settings>) -> CorsLayer {
    let settings = settings.clone();
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        origin
            .to_str()
            .is_ok_and(|o| settings.mcp_origin_allowed(o))
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

/// The request span: OpenTelemetry semantic-convention names, no secrets.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let client = request.extensions().get::<ClientAddress>();
    // Bounded so a hostile header cannot bloat every log line.
    let user_agent: String = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    // Only the route template is recorded, never the path's query: it may carry codes.
    let span = tracing::info_span!(
        "http.request",
        otel.name = format!("{} {route}", request.method()),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %request.method(),
        http.route = route,
        url.scheme = client.map_or("http", |c| c.scheme),
        client.address = client.map(|c| tracing::field::display(c.ip)),
        user_agent.original = user_agent,
        request_id = request_id,
        http.response.status_code = tracing::field::Empty,
        client_id = tracing::field::Empty,
    );
    crate::telemetry::propagation::continue_trace(&span, request.headers());
    span
}

fn record_status<B>(response: &axum::http::Response<B>, latency: Duration, span: &tracing::Span) {
    span.record("http.response.status_code", response.status().as_u16());
    if response.status().is_server_error() {
        span.record("otel.status_code", "error");
    }
    tracing::debug!(latency_ms = latency.as_millis() as u64, "response");
}
