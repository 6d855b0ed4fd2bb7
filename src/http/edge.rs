//! What every request passes through, in one layer: size bounds, request id, client address,
//! the request span, the timeout, error logging, metrics and the security headers.
//!
//! These were ten separate layers. axum clones a route's whole layer stack for every request,
//! and each `from_fn` layer boxes a future and a `Next` of its own; the load benchmark measured
//! the stack at about a fifth of a protected call's throughput. Here it is one clone and one
//! boxed future. The layer is applied with `Router::layer`, so routing has run and the route
//! template (`MatchedPath`) is known to the span and the metrics.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};
use tracing::Instrument;

use super::client_address::{ClientAddress, TrustedProxies};
use super::limits;
use crate::error::LoggedError;
use crate::telemetry::metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// RFC 6797: two years, subdomains included; sent only when the public URL is https.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=63072000; includeSubDomains");

/// How long a handler may take before the client gets 408.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A caller-supplied request id longer than this is replaced (it is echoed and logged).
const MAX_REQUEST_ID: usize = 200;

#[derive(Clone)]
pub struct EdgeLayer {
    config: Arc<EdgeConfig>,
}

struct EdgeConfig {
    proxies: Arc<TrustedProxies>,
    hsts: bool,
}

impl EdgeLayer {
    pub fn new(proxies: Arc<TrustedProxies>, hsts: bool) -> Self {
        Self {
            config: Arc::new(EdgeConfig { proxies, hsts }),
        }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            config: self.config.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    config: Arc<EdgeConfig>,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was driven to readiness serves this request (tower's usual dance).
        let fresh = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, fresh);
        Box::pin(serve(inner, self.config.clone(), request))
    }
}

async fn serve<S>(
    mut inner: S,
    config: Arc<EdgeConfig>,
    mut request: Request,
) -> Result<Response, Infallible>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let request_id = request_id(&mut request);
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = config.proxies.resolve(peer, request.headers());
    request.extensions_mut().insert(client);
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let span = request_span(&request, route.as_ref(), &client, &request_id);
    let started = Instant::now();

    let mut response = match limits::check(&request) {
        Some(refused) => refused,
        None => match tokio::time::timeout(TIMEOUT, inner.call(request))
            .instrument(span.clone())
            .await
        {
            Ok(Ok(response)) => response,
            Err(_elapsed) => StatusCode::REQUEST_TIMEOUT.into_response(),
        },
    };

    let status = response.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "error");
    }
    if let Some(LoggedError(error)) = response.extensions().get::<LoggedError>() {
        span.in_scope(|| tracing::error!(error = ?error, "request failed"));
    }
    let elapsed = started.elapsed();
    span.in_scope(|| tracing::debug!(latency_ms = elapsed.as_millis() as u64, "response"));
    metrics::http_request(
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        &method,
        status.as_u16(),
        elapsed.as_secs_f64(),
    );

    let headers = response.headers_mut();
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    if config.hsts {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HSTS);
    }
    headers.entry(REQUEST_ID).or_insert(request_id);
    Ok(response)
}

/// The caller's `x-request-id` when it is a sane one, else a new random id; either way it is
/// set on the request, so handlers and logs see the same value.
fn request_id(request: &mut Request) -> HeaderValue {
    if let Some(given) = request.headers().get(&REQUEST_ID)
        && !given.is_empty()
        && given.len() <= MAX_REQUEST_ID
        && given.to_str().is_ok()
    {
        return given.clone();
    }
    let id = new_request_id();
    request.headers_mut().insert(REQUEST_ID, id.clone());
    id
}

/// 122 random bits formatted as a UUID (version 4). Not a secret, only unique, so they come
/// from a per-thread wyrand seeded from the CSPRNG: asking aws-lc for every id was 3% of a
/// protected call's CPU.
/// Lower-case hex digits for the request id.
const HEX: &[u8; 16] = b"0123456789abcdef";

fn new_request_id() -> HeaderValue {
    thread_local! {
        static STATE: std::cell::Cell<u64> = std::cell::Cell::new({
            let mut seed = [0u8; 8];
            crate::crypto::fill_random(&mut seed);
            u64::from_le_bytes(seed)
        });
    }
    let next = || {
        STATE.with(|state| {
            let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
            state.set(s);
            let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
            (t as u64) ^ ((t >> 64) as u64)
        })
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next().to_le_bytes());
    bytes[8..].copy_from_slice(&next().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    HeaderValue::try_from(text).expect("hex digits and hyphens are a valid header value")
}

/// The request span: OpenTelemetry semantic-convention names, no secrets. Field values are
/// computed only when the span is enabled (by the log filter or the trace exporter).
fn request_span(
    request: &Request,
    route: Option<&MatchedPath>,
    client: &ClientAddress,
    request_id: &HeaderValue,
) -> tracing::Span {
    let route = route.map_or("unmatched", MatchedPath::as_str);
    // Only the route template is recorded, never the path's query: it may carry codes.
    let span = tracing::info_span!(
        "http.request",
        otel.name = format!("{} {route}", request.method()),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = %request.method(),
        http.route = route,
        url.scheme = client.scheme,
        client.address = %client.ip,
        user_agent.original = user_agent(request),
        request_id = request_id.to_str().unwrap_or(""),
        http.response.status_code = tracing::field::Empty,
        client_id = tracing::field::Empty,
    );
    if !span.is_disabled() {
        crate::telemetry::propagation::continue_trace(&span, request.headers());
    }
    span
}

/// The `User-Agent`, cut to 200 characters so a hostile header cannot bloat every log line.
/// (`to_str` admits only visible ASCII, so bytes are characters.)
fn user_agent(request: &Request) -> &str {
    let agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    &agent[..agent.len().min(200)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_request_ids_are_version_4_uuids_and_differ() {
        let a = new_request_id();
        let b = new_request_id();
        let text = a.to_str().unwrap();
        assert_ne!(a, b);
        assert_eq!(text.len(), 36);
        let groups: Vec<usize> = text.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
        let many: std::collections::HashSet<HeaderValue> =
            (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(many.len(), 10_000);
    }

    #[test]
    fn a_sane_caller_request_id_is_kept_and_a_bad_one_replaced() {
        let mut kept = Request::new(axum::body::Body::empty());
        kept.headers_mut()
            .insert(REQUEST_ID, HeaderValue::from_static("trace-me-123"));
        assert_eq!(request_id(&mut kept), "trace-me-123");

        let mut long = Request::new(axum::body::Body::empty());
        let too_long = HeaderValue::try_from("x".repeat(MAX_REQUEST_ID + 1)).unwrap();
        long.headers_mut().insert(REQUEST_ID, too_long);
        let replaced = request_id(&mut long);
        assert_eq!(replaced.len(), 36);
        assert_eq!(long.headers()[&REQUEST_ID], replaced);
    }

    #[test]
    fn the_user_agent_is_cut_at_200_characters() {
        let mut request = Request::new(axum::body::Body::empty());
        let agent = "a".repeat(300);
        request
            .headers_mut()
            .insert(header::USER_AGENT, HeaderValue::try_from(agent).unwrap());
        assert_eq!(user_agent(&request).chars().count(), 200);
    }
}
