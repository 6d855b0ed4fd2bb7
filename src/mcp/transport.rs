//! Builds the rmcp Streamable HTTP service the HTTP layer nests at `/mcp`, with the settings
//! chosen for remote clients (Claude.ai and friends) and the reasons for them.
//!
//! - Host check: rmcp's default allows only loopback `Host` values (DNS-rebinding protection for
//!   local servers). A public server must list its hostnames; an empty list disables the check,
//!   which is safe here only because every request also needs a bearer token.
//! - Stateless (`stateful: false`, recommended): no `Mcp-Session-Id`, no session to expire or lose
//!   on restart, and plain `application/json` replies to POSTs. GET and DELETE answer 405, as the
//!   spec allows. Stateful keeps rmcp's in-memory sessions with a long idle timeout, so a client
//!   that holds a session for a whole conversation is not sent back to `initialize`; every reply
//!   is then an SSE stream. Each session is bound to the caller that opened it
//!   ([`SessionOwners`]).
//! - SSE priming events (SEP-1699) only for sessions that negotiated 2025-11-25 or later: each
//!   POST's SSE stream then starts with an event that has an id, a `retry:` field and empty data,
//!   so a client whose stream drops mid-call can reconnect with `GET` and `Last-Event-ID` and get
//!   the rest from the session's in-memory cache (rmcp keeps the last events of each call's stream
//!   while the call runs; we keep no event store, so nothing survives a restart or another
//!   instance). Older peers get none: clients before 2025-11-25 and strict gateways fail to parse
//!   the empty-data event. rmcp decides priming per session manager, when it creates a session and
//!   before it reads `initialize`, so [`Sessions`] lets rmcp prime every call stream and removes
//!   the priming events from the streams of every other session. The `initialize` reply and the
//!   standalone `GET` stream are never primed (`sse_retry` off in the service config), and
//!   stateless replies have no priming at all (rmcp primes them only with an event store).
//! - A missing `MCP-Protocol-Version` header is tolerated (rmcp assumes 2025-03-26); an unknown
//!   one is a 400.
//! - Lenient `Accept`: rmcp demands that a POST lists both `application/json` and
//!   `text/event-stream`. [`McpHttpService`] fills that in for clients that send no `Accept`, a
//!   wildcard, or (when replies are JSON anyway) `application/json` alone.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use http::header::{ACCEPT, HeaderMap, HeaderValue};
use http::{Method, Request};
use rmcp::model::{
    ClientJsonRpcMessage, JsonRpcResponse, ProtocolVersion, ServerJsonRpcMessage, ServerResult,
};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::server::McpServer;
use super::session_owners::{SESSION_IDLE_TIMEOUT, SessionOwners};

#[derive(Debug, Clone)]
pub struct McpHttpSettings {
    /// Accepted `Host` values, `name` (any port) or `name:port`; empty accepts any host.
    pub allowed_hosts: Vec<String>,
    /// Keep `Mcp-Session-Id` sessions (legacy mode) instead of serving each request on its own.
    pub stateful: bool,
}

type Inner = StreamableHttpService<McpServer, Sessions>;

/// The tower service to `nest_service("/mcp", …)`: rmcp's Streamable HTTP service behind a
/// lenient `Accept` check. Cloning it shares the sessions and the shutdown switch.
#[derive(Clone)]
pub struct McpHttpService {
    inner: Inner,
    json_replies: bool,
    /// Who opened each session; `None` when stateless (there are no sessions).
    owners: Option<Arc<SessionOwners>>,
}

pub fn streamable_http_service(server: McpServer, settings: McpHttpSettings) -> McpHttpService {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(settings.allowed_hosts)
        .with_legacy_session_mode(settings.stateful)
        .with_json_response(true)
        .with_sse_retry(None);
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(SESSION_IDLE_TIMEOUT);
    // Primes every call stream; `Sessions` keeps it only for sessions on 2025-11-25 or later.
    sessions.session_config.sse_retry = Some(SessionConfig::DEFAULT_SSE_RETRY);
    let sessions = Sessions::new(sessions);
    // rmcp asks for a fresh handler per session (or per request when stateless); clones are cheap.
    let inner =
        StreamableHttpService::new(move || Ok(server.for_session()), Arc::new(sessions), config);
    McpHttpService {
        inner,
        json_replies: !settings.stateful,
        owners: settings.stateful.then(Arc::default),
    }
}

impl McpHttpService {
    /// The session-to-caller table the HTTP guard enforces, when sessions are on.
    pub fn session_owners(&self) -> Option<&SessionOwners> {
        self.owners.as_deref()
    }

    /// Ends open SSE streams and sessions and refuses new requests; call it when shutdown
    /// starts, or long-lived streams keep graceful shutdown waiting.
    pub fn shutdown(&self) {
        self.inner.config.cancellation_token.cancel();
    }
}

impl<B> tower::Service<Request<B>> for McpHttpService
where
    Inner: tower::Service<Request<B>, Error = Infallible>,
{
    type Response = <Inner as tower::Service<Request<B>>>::Response;
    type Error = Infallible;
    type Future = <Inner as tower::Service<Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let method = request.method().clone();
        widen_accept(&method, request.headers_mut(), self.json_replies);
        self.inner.call(request)
    }
}

/// The first protocol revision whose clients must accept SSE priming events (SEP-1699).
const PRIMING_SINCE: ProtocolVersion = ProtocolVersion::V_2025_11_25;

/// rmcp's in-memory sessions, with SEP-1699 priming events left only on the streams of sessions
/// that negotiated [`PRIMING_SINCE`] or later (see the module comment for why it takes a
/// wrapper). A session whose `initialize` reply this wrapper did not see counts as older.
#[derive(Debug)]
pub struct Sessions {
    inner: LocalSessionManager,
    /// Sessions whose streams keep their priming events.
    primed: Mutex<HashSet<SessionId>>,
}

impl Sessions {
    fn new(inner: LocalSessionManager) -> Self {
        Self {
            inner,
            primed: Mutex::default(),
        }
    }

    fn primed(&self) -> std::sync::MutexGuard<'_, HashSet<SessionId>> {
        self.primed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `stream` as rmcp made it for a primed session; without its priming events otherwise.
    fn for_session(
        &self,
        id: &SessionId,
        stream: impl Stream<Item = ServerSseMessage> + Send + Sync + 'static,
    ) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static {
        if self.primed().contains(id) {
            stream.left_stream()
        } else {
            // A priming event is the only kind without a JSON-RPC message.
            stream
                .filter(|event| std::future::ready(event.message.is_some()))
                .right_stream()
        }
    }
}

/// Whether an `initialize` reply agreed on a revision whose clients take priming events.
fn negotiated_priming(reply: &ServerJsonRpcMessage) -> bool {
    matches!(
        reply,
        ServerJsonRpcMessage::Response(JsonRpcResponse {
            result: ServerResult::InitializeResult(result),
            ..
        }) if result.protocol_version >= PRIMING_SINCE
    )
}

impl SessionManager for Sessions {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.inner.create_session().await
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        let reply = self.inner.initialize_session(id, message).await?;
        if negotiated_priming(&reply) {
            self.primed().insert(id.clone());
        }
        Ok(reply)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.primed().remove(id);
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_stream(id, message).await?;
        Ok(self.for_session(id, stream))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.inner.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_standalone_stream(id).await?;
        Ok(self.for_session(id, stream))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.resume(id, last_event_id).await?;
        Ok(self.for_session(id, stream))
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.inner.restore_session(id).await
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}

/// Rewrites `Accept` only where the client would take what rmcp sends; an explicit mention of
/// `text/event-stream` (even `q=0`) is left for rmcp to judge.
fn widen_accept(method: &Method, headers: &mut HeaderMap, json_replies: bool) {
    let essences: Vec<String> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .filter(|essence| !essence.is_empty())
        .collect();
    let has = |wanted: &str| essences.iter().any(|e| e == wanted);
    let wildcard = has("*/*") || has("application/*") || has("text/*");
    let open = essences.is_empty() || wildcard;
    if has("text/event-stream") {
        return;
    }
    let replacement =
        if *method == Method::POST && (open || (json_replies && has("application/json"))) {
            "application/json, text/event-stream"
        } else if *method == Method::GET && open {
            "text/event-stream"
        } else {
            return;
        };
    headers.insert(ACCEPT, HeaderValue::from_static(replacement));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widened(
        method: &Method,
        accept: Option<&'static str>,
        json_replies: bool,
    ) -> Option<String> {
        let mut headers = HeaderMap::new();
        if let Some(value) = accept {
            headers.insert(ACCEPT, HeaderValue::from_static(value));
        }
        widen_accept(method, &mut headers, json_replies);
        headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    #[test]
    fn missing_or_wildcard_accept_becomes_what_rmcp_wants() {
        let both = Some("application/json, text/event-stream".to_owned());
        assert_eq!(widened(&Method::POST, None, false), both);
        assert_eq!(widened(&Method::POST, Some("*/*"), false), both);
        assert_eq!(
            widened(&Method::GET, Some("*/*"), false).as_deref(),
            Some("text/event-stream")
        );
    }

    #[test]
    fn json_only_is_widened_only_when_replies_are_json() {
        let json = Some("application/json");
        assert_eq!(widened(&Method::POST, json, false).as_deref(), json);
        assert_eq!(
            widened(&Method::POST, json, true).as_deref(),
            Some("application/json, text/event-stream")
        );
    }

    #[test]
    fn an_explicit_event_stream_choice_is_left_alone() {
        let refused = Some("application/json, text/event-stream;q=0");
        assert_eq!(widened(&Method::POST, refused, true).as_deref(), refused);
        let fine = Some("application/json, text/event-stream");
        assert_eq!(widened(&Method::POST, fine, true).as_deref(), fine);
    }
}
