//! Rate limits per group (RFC 6749 §10.10 asks us to slow down guessing): per client address
//! on the OAuth endpoints, per `client_id` on the token endpoint, per token subject on MCP.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use super::client_address::ClientAddress;
use crate::config::{RateLimit, RateLimitSettings};
use crate::error::OAuthError;
use crate::telemetry::metrics;

/// A route layer limiting one group; clones share one bucket set.
pub type Limit<K> = GovernorLayer<K, governor::middleware::NoOpMiddleware, Body>;

/// Keys on the resolved client address (peer, or what a trusted proxy forwarded for).
#[derive(Debug, Clone, Copy)]
pub struct ByClientAddress;

impl KeyExtractor for ByClientAddress {
    type Key = IpAddr;
    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(request
            .extensions()
            .get::<ClientAddress>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.ip))
    }
}

/// The `client_id` a token request names, put in extensions by [`capture_client_id`].
#[derive(Debug, Clone)]
pub struct RequestedClientId(pub String);

/// Keys on the requested `client_id`; requests naming none share one bucket.
#[derive(Debug, Clone, Copy)]
pub struct ByClientId;

impl KeyExtractor for ByClientId {
    type Key = String;
    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<String, GovernorError> {
        Ok(request
            .extensions()
            .get::<RequestedClientId>()
            .map(|c| c.0.clone())
            .unwrap_or_default())
    }
}

/// Every limiter of one application. `None` when rate limiting is turned off.
#[derive(Clone, Default)]
pub struct RateLimits {
    pub token: Option<Limit<ByClientAddress>>,
    pub token_client: Option<Limit<ByClientId>>,
    pub authorize: Option<Limit<ByClientAddress>>,
    pub login: Option<Limit<ByClientAddress>>,
    pub register: Option<Limit<ByClientAddress>>,
    pub introspect: Option<Limit<ByClientAddress>>,
    pub revoke: Option<Limit<ByClientAddress>>,
    mcp: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl RateLimits {
    /// Builds the limiters and starts pruning idle keys so memory stays bounded.
    pub fn new(settings: &RateLimitSettings) -> anyhow::Result<Self> {
        if !settings.enabled {
            return Ok(Self::default());
        }
        let quota = |limit: RateLimit| -> anyhow::Result<Quota> {
            let burst = NonZeroU32::new(limit.burst).context("burst must be at least 1")?;
            Ok(Quota::with_period(Duration::from_millis(limit.period_ms))
                .context("period_ms must be at least 1")?
                .allow_burst(burst))
        };
        let mcp = Arc::new(RateLimiter::keyed(quota(settings.mcp)?));
        prune_forever(Arc::downgrade(&mcp));
        Ok(Self {
            token: Some(layer("token", settings.token, ByClientAddress, Api)?),
            token_client: Some(layer(
                "token_client",
                settings.token_client,
                ByClientId,
                Api,
            )?),
            authorize: Some(layer(
                "authorize",
                settings.authorize,
                ByClientAddress,
                Page,
            )?),
            login: Some(layer("login", settings.login, ByClientAddress, Page)?),
            register: Some(layer("register", settings.register, ByClientAddress, Api)?),
            introspect: Some(layer(
                "introspect",
                settings.introspect,
                ByClientAddress,
                Api,
            )?),
            revoke: Some(layer("revoke", settings.revoke, ByClientAddress, Api)?),
            mcp: Some(mcp),
        })
    }

    /// Spends from the MCP budget of a verified token subject (after the bearer check, so
    /// a forged `sub` cannot spend someone else's); the 429 to send when it is exhausted.
    pub fn over_subject_budget(&self, subject: &str) -> Option<Response> {
        let limiter = self.mcp.as_ref()?;
        let not_until = limiter.check_key(&subject.to_string()).err()?;
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Some(too_many_requests("mcp", wait.as_secs(), Api))
    }
}

/// Who reads a refusal: a program (OAuth-style JSON) or a person in a browser (an HTML page).
#[derive(Debug, Clone, Copy)]
enum Audience {
    Api,
    Page,
}
use Audience::{Api, Page};

fn layer<K>(
    group: &'static str,
    limit: RateLimit,
    key: K,
    audience: Audience,
) -> anyhow::Result<Limit<K>>
where
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    let config = GovernorConfigBuilder::default()
        .key_extractor(key)
        .period(Duration::from_millis(limit.period_ms))
        .burst_size(limit.burst)
        .finish()
        .with_context(|| format!("rate_limits.{group}: burst and period_ms must be at least 1"))?;
    prune_forever(Arc::downgrade(config.limiter()));
    Ok(
        GovernorLayer::new(config).error_handler(move |error| match error {
            GovernorError::TooManyRequests { wait_time, .. } => {
                too_many_requests(group, wait_time, audience)
            }
            // Our extractors never fail; anything else is still the client's to retry.
            _ => too_many_requests(group, 1, audience),
        }),
    )
}

/// 429 with `Retry-After` and an OAuth-style body, or a page for a browser.
fn too_many_requests(group: &'static str, wait_secs: u64, audience: Audience) -> Response {
    metrics::rate_limited(group);
    // Sub-second waits round down to 0, which clients read as "now": say 1.
    let wait = wait_secs.max(1);
    let mut response = match audience {
        Api => {
            let body = json!({
                "error": "rate_limited",
                "error_description": format!("too many requests; retry after {wait} s"),
            });
            (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
        }
        Page => super::pages::error_page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            &format!(
                "Too many requests came from your address. Wait {wait} seconds, then try again."
            ),
        ),
    };
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Drops keys whose buckets are full again, until the limiter itself is gone.
fn prune_forever<K>(limiter: Weak<DefaultKeyedRateLimiter<K>>)
where
    K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticker.tick().await;
            let Some(limiter) = limiter.upgrade() else {
                return;
            };
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

/// Reads the `client_id` of a token request (HTTP Basic or form) into extensions, putting
/// the buffered body back so the handler still parses it.
pub async fn capture_client_id(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let basic = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(super::oauth::basic_client_id);
    // The same bound as the form extractor, so nothing larger is ever buffered.
    let Ok(bytes) = to_bytes(body, super::MAX_FORM_BYTES).await else {
        let error = OAuthError::invalid_request("the request body is too large or unreadable");
        let mut response = error.into_response();
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return response;
    };
    let client_id = basic.or_else(|| {
        form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == "client_id")
            .map(|(_, value)| value.into_owned())
    });
    if let Some(client_id) = client_id {
        parts.extensions.insert(RequestedClientId(client_id));
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Applies an optional limit to every route of `router`.
pub fn limited<K>(
    router: axum::Router<super::AppState>,
    limit: &Option<Limit<K>>,
) -> axum::Router<super::AppState>
where
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    match limit {
        Some(limit) => router.route_layer(limit.clone()),
        None => router,
    }
}
