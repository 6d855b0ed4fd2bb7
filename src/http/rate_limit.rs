//! Rate limits per group (RFC 6749 §10.10 asks us to slow down guessing): per client address
//! on the OAuth endpoints, per token subject on MCP, and on the token endpoint per
//! *authenticated* `client_id` (so naming a client in a failed request spends nothing of its
//! budget) and per address for failed client authentications.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
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
use crate::http::html::error_page;
use crate::telemetry::metrics;

/// A route layer limiting one group; clones share one bucket set.
pub type Limit<K> = GovernorLayer<K, governor::middleware::NoOpMiddleware, Body>;

/// Keys on the resolved client address (peer, or what a trusted proxy forwarded for).
#[derive(Debug, Clone, Copy)]
pub struct ByClientAddress;

impl KeyExtractor for ByClientAddress {
    type Key = IpAddr;
    fn extract<T>(&self, request: &http::Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(request
            .extensions()
            .get::<ClientAddress>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.ip))
    }
}

/// A peekable token bucket per address (GCRA): failures are charged after the fact, and an
/// address whose budget is spent is refused before any authentication work. Governor's
/// limiters only charge, so they cannot tell "spent" without spending.
pub struct FailureBudget {
    period: Duration,
    burst: u32,
    /// Per address, the theoretical arrival time: when its bucket is full again.
    full_at: Mutex<HashMap<IpAddr, Instant>>,
}

/// Bounds memory under failures from very many addresses.
const MAX_FAILING_ADDRESSES: usize = 50_000;

impl FailureBudget {
    fn new(limit: RateLimit) -> Self {
        Self {
            period: Duration::from_millis(limit.period_ms),
            burst: limit.burst,
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// How long `ip` must wait, when its failures have used up the burst.
    fn exhausted(&self, ip: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let full_at = *self
            .full_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&ip)?;
        let owed = full_at.saturating_duration_since(now);
        let allowed = self.period * (self.burst - 1);
        (owed > allowed).then(|| owed - allowed)
    }

    fn charge(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut full_at = self
            .full_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if full_at.len() >= MAX_FAILING_ADDRESSES {
            full_at.retain(|_, at| *at > now);
        }
        let at = full_at.entry(ip).or_insert(now);
        // Never owe more than one burst: a flood stays refused, but not for ever.
        *at = ((*at).max(now) + self.period).min(now + self.period * self.burst);
    }
}

/// Every limiter of one application. `None` when rate limiting is turned off.
#[derive(Clone, Default)]
pub struct RateLimits {
    pub token: Option<Limit<ByClientAddress>>,
    pub authorize: Option<Limit<ByClientAddress>>,
    pub login: Option<Limit<ByClientAddress>>,
    pub register: Option<Limit<ByClientAddress>>,
    pub introspect: Option<Limit<ByClientAddress>>,
    pub revoke: Option<Limit<ByClientAddress>>,
    mcp: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    token_client: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    token_failures: Option<Arc<FailureBudget>>,
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
        let token_client = Arc::new(RateLimiter::keyed(quota(settings.token_client)?));
        prune_forever(Arc::downgrade(&token_client));
        quota(settings.token_failures)?;
        Ok(Self {
            token: Some(layer("token", settings.token, ByClientAddress, Api)?),
            token_client: Some(token_client),
            token_failures: Some(Arc::new(FailureBudget::new(settings.token_failures))),
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

    /// Spends from an authenticated client's token budget; the 429 when it is exhausted.
    pub fn over_client_budget(&self, client_id: &str) -> Option<Response> {
        let limiter = self.token_client.as_ref()?;
        let not_until = limiter.check_key(&client_id.to_string()).err()?;
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        Some(too_many_requests("token_client", wait.as_secs(), Api))
    }

    /// The 429 for an address whose failed client authentications used up their budget.
    pub fn over_failure_budget(&self, ip: IpAddr) -> Option<Response> {
        let wait = self.token_failures.as_ref()?.exhausted(ip)?;
        Some(too_many_requests(
            "token_failures",
            wait.as_secs_f64().ceil() as u64,
            Api,
        ))
    }

    /// Counts a failed client authentication against the address.
    pub fn charge_failure(&self, ip: IpAddr) {
        if let Some(budget) = &self.token_failures {
            budget.charge(ip);
        }
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
        Page => error_page(
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

/// Applies an optional limit to every route of `router`.
pub fn limited<K, S>(router: axum::Router<S>, limit: &Option<Limit<K>>) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
    K: KeyExtractor + Send + Sync + 'static,
    K::Key: Send + Sync + 'static,
{
    match limit {
        Some(limit) => router.route_layer(limit.clone()),
        None => router,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_budget_refuses_after_its_burst_and_only_that_address() {
        let budget = FailureBudget::new(RateLimit {
            burst: 3,
            period_ms: 3_600_000,
        });
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert!(budget.exhausted(a).is_none());
            budget.charge(a);
        }
        let wait = budget.exhausted(a).expect("spent");
        assert!(wait > Duration::from_secs(3_500) && wait <= Duration::from_secs(3_600));
        assert!(budget.exhausted(b).is_none());
        for _ in 0..10 {
            budget.charge(a);
        }
        assert!(
            budget.exhausted(a).unwrap() <= Duration::from_secs(3_600),
            "owes one burst at most"
        );
    }
}
