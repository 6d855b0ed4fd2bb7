//! The HTTP surface: one router per feature, and the layer stack in one place.

mod oauth;
mod ops;
mod pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderName;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::oauth::AuthServer;
use crate::oauth::throttle::LoginThrottle;
use crate::storage::Store;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub auth: AuthServer,
    pub login_throttle: Arc<LoginThrottle>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route, then the layers. Layers listed first run first on the request:
/// the request id is set before the span opens and copied to the response last.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(ops::router())
        .merge(oauth::router())
        .merge(oauth::browser_router())
        .merge(pages::router())
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024));
    routes
        .layer(axum::middleware::from_fn(crate::error::log_errors))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(record_status),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(30),
                )),
        )
        .with_state(state)
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
    tracing::info_span!(
        "http.request",
        http.request.method = %request.method(),
        http.route = route,
        request_id = request_id,
        http.response.status_code = tracing::field::Empty,
        client_id = tracing::field::Empty,
    )
}

fn record_status<B>(response: &axum::http::Response<B>, latency: Duration, span: &tracing::Span) {
    span.record("http.response.status_code", response.status().as_u16());
    tracing::debug!(latency_ms = latency.as_millis() as u64, "response");
}
