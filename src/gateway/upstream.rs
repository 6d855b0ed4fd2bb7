//! One upstream MCP server as the gateway sees it: whether it is up, what it offers, and the
//! forwarding of one request to it with the upstream's timeout, concurrency and size limits,
//! a span, metrics, and progress notifications routed back to the caller who asked.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use rmcp::model::{ClientRequest, ProgressToken, RequestMetaObject, ServerResult};
use rmcp::service::{Peer, PeerRequestOptions, RequestContext, ServiceError};
use rmcp::{RoleClient, RoleServer};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};
use tracing::Instrument;

use crate::config::UpstreamSettings;
use crate::mcp::catalog::Entry;
use crate::mcp::{CallError, Caller};

use super::list::Reported;

/// The `_meta` key the subject travels under to the HTTP client, which turns it into the
/// configured header (and removes it): see `subject.rs`.
pub(super) const SUBJECT_META: &str = "io.github.mcp-oauth/subject";

/// Whether the upstream can take requests now.
#[derive(Debug, Clone)]
pub(crate) enum Link {
    Starting,
    Up(Peer<RoleClient>),
    Down(String),
}

/// A caller whose request is in flight upstream: where its progress and log notifications go.
struct Waiting {
    context: RequestContext<RoleServer>,
    /// The caller's own progress token, if it asked for progress.
    token: Option<ProgressToken>,
}

pub(crate) struct Upstream {
    pub settings: UpstreamSettings,
    link: RwLock<Link>,
    /// What it offers, as catalogue entries; kept while it is down, so lists and consent do
    /// not flap and calls get "unavailable" rather than "unknown tool".
    pub(super) offered: RwLock<Vec<Entry>>,
    permits: Semaphore,
    /// Requests in flight, by the progress token rmcp gave our request to the upstream.
    waiting: Mutex<HashMap<ProgressToken, Waiting>>,
    /// Woken by the upstream's `list_changed`; the supervisor then lists again.
    pub(super) lists_changed: Notify,
    pub(super) restarts: AtomicU64,
    /// What its lists last left out (logged when that changes).
    pub(super) left_out: Reported,
}

impl Upstream {
    pub(super) fn new(settings: UpstreamSettings) -> Self {
        Self {
            permits: Semaphore::new(settings.max_concurrent),
            settings,
            link: RwLock::new(Link::Starting),
            offered: RwLock::default(),
            waiting: Mutex::default(),
            lists_changed: Notify::new(),
            restarts: AtomicU64::new(0),
            left_out: Reported::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    pub(crate) fn link(&self) -> Link {
        self.link
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set_link(&self, link: Link) {
        let up = matches!(link, Link::Up(_));
        metrics::gauge!("mcp_upstream_up", "upstream" => self.name().to_owned()).set(if up {
            1.0
        } else {
            0.0
        });
        *self.link.write().unwrap_or_else(PoisonError::into_inner) = link;
    }

    pub(super) fn offered(&self) -> Vec<Entry> {
        self.offered
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_secs)
    }

    /// Sends `request` upstream for `caller` and waits for the answer, within the limits.
    /// `item` names the tool, resource or prompt for the span and errors.
    pub(crate) async fn forward(
        &self,
        request: ClientRequest,
        caller: &Caller,
        context: Option<&RequestContext<RoleServer>>,
        item: &str,
    ) -> Result<ServerResult, CallError> {
        let method = request.method().to_owned();
        let span = tracing::info_span!(
            "upstream.request",
            upstream = %self.name(),
            mcp.method = %method,
            mcp.item = %item,
            outcome = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .forward_within_limits(request, caller, context)
            .instrument(span.clone())
            .await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(CallError::Protocol(_)) => "upstream_error",
            Err(_) => "unavailable",
        };
        span.record("outcome", outcome);
        let upstream = self.name().to_owned();
        metrics::counter!("mcp_upstream_requests_total",
            "upstream" => upstream.clone(), "method" => method, "outcome" => outcome)
        .increment(1);
        metrics::histogram!("mcp_upstream_request_duration_seconds", "upstream" => upstream)
            .record(started.elapsed().as_secs_f64());
        if let Err(CallError::Unavailable(_, why)) = &result {
            tracing::warn!(parent: &span, upstream = %self.name(), %item, reason = %why,
                "upstream request failed");
        }
        result
    }

    async fn forward_within_limits(
        &self,
        request: ClientRequest,
        caller: &Caller,
        context: Option<&RequestContext<RoleServer>>,
    ) -> Result<ServerResult, CallError> {
        let unavailable = |why: String| CallError::Unavailable(self.name().to_owned(), why);
        let timeout = self.timeout();
        let deadline = Instant::now() + timeout;
        let _permit = tokio::time::timeout(timeout, self.permits.acquire())
            .await
            .map_err(|_| {
                unavailable(format!(
                    "it is busy ({} requests in flight)",
                    self.settings.max_concurrent
                ))
            })?
            .map_err(|_| unavailable("it is stopping".into()))?;
        let peer = match self.link() {
            Link::Up(peer) => peer,
            Link::Starting => return Err(unavailable("it is starting".into())),
            Link::Down(why) => return Err(unavailable(format!("it is down ({why})"))),
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let mut options = PeerRequestOptions::with_timeout(remaining.max(Duration::from_millis(1)));
        if self.settings.subject_header.is_some() {
            let mut meta = RequestMetaObject::default();
            meta.0.0.insert(SUBJECT_META.to_owned(), subject_of(caller));
            options = options.with_meta(meta);
        }
        let handle = peer
            .send_request_with_option(request, options)
            .await
            .map_err(|e| unavailable(describe(&e, timeout)))?;
        let token = handle.progress_token.clone();
        if let Some(context) = context {
            let waiting = Waiting {
                context: context.clone(),
                token: context.meta.get_progress_token(),
            };
            self.waiting_map().insert(token.clone(), waiting);
        }
        let result = handle.await_response().await;
        self.waiting_map().remove(&token);
        match result {
            Ok(answer) => Ok(answer),
            Err(ServiceError::McpError(error)) => Err(CallError::Protocol(error)),
            Err(other) => Err(unavailable(describe(&other, timeout))),
        }
    }

    fn waiting_map(&self) -> std::sync::MutexGuard<'_, HashMap<ProgressToken, Waiting>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller's context for a progress notification the upstream sent about our request,
    /// with the caller's own token in place of ours.
    pub(super) fn progress_route(
        &self,
        ours: &ProgressToken,
    ) -> Option<(RequestContext<RoleServer>, ProgressToken)> {
        let map = self.waiting_map();
        let waiting = map.get(ours)?;
        Some((waiting.context.clone(), waiting.token.clone()?))
    }

    /// Where a log message goes: to the caller when exactly one request is in flight (so it
    /// can only be about that caller's request); otherwise only to our own log.
    pub(super) fn sole_caller(&self) -> Option<RequestContext<RoleServer>> {
        let map = self.waiting_map();
        let mut callers = map.values();
        match (callers.next(), callers.next()) {
            (Some(only), None) => Some(only.context.clone()),
            _ => None,
        }
    }

    /// Every request in flight fails at once when the connection is lost; rmcp answers them
    /// with "transport closed", and this forgets their routes.
    pub(super) fn forget_waiting(&self) {
        self.waiting_map().clear();
    }
}

/// The subject header's value: the verified user (or client, for client credentials), the
/// client and the granted scopes.
fn subject_of(caller: &Caller) -> Value {
    let scopes: Vec<&str> = caller.scopes.iter().map(String::as_str).collect();
    Value::String(format!(
        "sub={}; client_id={}; scope={}",
        caller.subject,
        caller.client_id,
        scopes.join(" ")
    ))
}

/// What a client is told when the upstream did not answer; never the upstream's internals.
fn describe(error: &ServiceError, timeout: Duration) -> String {
    match error {
        ServiceError::Timeout { .. } => {
            format!("it did not answer within {} s", timeout.as_secs())
        }
        ServiceError::TransportClosed | ServiceError::TransportSend(_) => {
            "the connection to it was lost".into()
        }
        ServiceError::UnexpectedResponse => "it answered with something unexpected".into(),
        ServiceError::Cancelled { .. } => "the request was cancelled".into(),
        _ => "it failed to answer".into(),
    }
}
