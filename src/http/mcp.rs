//! The MCP endpoint: bearer authentication, Origin checks and per-call scope enforcement in
//! front of rmcp's Streamable HTTP service.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::http::bearer::{authenticate, insufficient_scope};
use crate::http::mcp_policy;
use crate::http::state::AppState;
use crate::mcp::{self, Caller, McpHttpService};

/// `/mcp` and `/mcp/` answered directly: no redirect between the two spellings.
pub fn router(state: AppState, service: McpHttpService) -> Router<AppState> {
    let guarded = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(state, guard))
        .service(service);
    Router::new()
        .route_service("/mcp", guarded.clone())
        .route_service("/mcp/", guarded)
}

fn jsonrpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// The posted body as JSON, for scope checks and the dispatch span. A body declared as JSON
/// that does not parse is refused here with 400 and a JSON-RPC parse error (-32700), where
/// rmcp would answer a plain-text 415. `None`: not JSON at all; rmcp refuses it (see
/// [`rmcp_refusal`]).
fn read_message(headers: &HeaderMap, bytes: &[u8]) -> Result<Option<Value>, Box<Response>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(message) => Ok(Some(message)),
        Err(error) if declares_json(headers) => {
            let body = jsonrpc_error(&Value::Null, -32700, &format!("parse error: {error}"));
            Err(Box::new(
                (StatusCode::BAD_REQUEST, Json(body)).into_response(),
            ))
        }
        Err(_) => Ok(None),
    }
}

fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// rmcp answers a POST it cannot take with a plain-text 415: for a body that is not
/// `application/json`, or JSON that is not one client JSON-RPC message (a batch, JSON-RPC 1.0,
/// a number for a method). Those become JSON-RPC errors: 415 and 400 (-32600). Checking after
/// rmcp, rather than deserializing the message a second time up front, keeps the common case
/// at one typed parse.
fn rmcp_refusal(declared_json: bool, response: Response) -> Response {
    if response.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return response;
    }
    let (status, message) = if declared_json {
        (
            StatusCode::BAD_REQUEST,
            "invalid request: not a JSON-RPC 2.0 message (batches are not supported)",
        )
    } else {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type: send the JSON-RPC message as application/json",
        )
    };
    (status, Json(jsonrpc_error(&Value::Null, -32600, message))).into_response()
}

/// Origin, bearer token, session ownership, then the scopes of the JSON-RPC call, before rmcp
/// sees anything.
/// <https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization>
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| mcp_policy::origin_allowed(&state.settings, o));
        if !allowed {
            let body = jsonrpc_error(&Value::Null, -32000, "Forbidden: Origin not allowed");
            return (StatusCode::FORBIDDEN, Json(body)).into_response();
        }
    }
    let caller = match authenticate(&state, request.headers()) {
        Ok(caller) => caller,
        Err(rejection) => return rejection.into_response(&state),
    };
    if let Some(limited) = state.rate_limits.over_subject_budget(&caller.subject) {
        return limited;
    }
    let Some(owners) = state.mcp_http.session_owners() else {
        return forward(&state, caller, request, next).await;
    };
    // Stateful sessions: only the subject and client that opened one may use or end it.
    let presented = request
        .headers()
        .get(SESSION_ID)
        .map(|v| v.to_str().unwrap_or_default().to_string());
    if let Some(id) = &presented
        && !owners.belongs_to(id, &caller)
    {
        let body = jsonrpc_error(&Value::Null, -32001, "session not found");
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let deleting = request.method() == Method::DELETE;
    let response = forward(&state, caller.clone(), request, next).await;
    let issued = response
        .headers()
        .get(SESSION_ID)
        .and_then(|v| v.to_str().ok());
    owners.observe(
        &caller,
        presented.as_deref(),
        deleting,
        response.status(),
        issued,
    );
    response
}

/// The session header of the Streamable HTTP transport.
const SESSION_ID: &str = "mcp-session-id";

/// Scope checks of the JSON-RPC call, then rmcp.
async fn forward(state: &AppState, caller: Caller, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(caller.clone());
    if parts.method != Method::POST {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = state.settings.mcp.max_body_bytes;
    let Ok(bytes) = to_bytes(body, limit).await else {
        let body = jsonrpc_error(&Value::Null, -32600, "request body too large or unreadable");
        return (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response();
    };
    let message = match read_message(&parts.headers, &bytes) {
        Ok(message) => message,
        Err(refused) => return *refused,
    };
    let mut dispatch = None;
    if let Some(message) = message {
        if message.is_object() {
            dispatch = Some(mcp::DispatchSpan::for_message(&message));
        }
        let calls: Vec<&Value> = match &message {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut needed: Vec<String> = Vec::new();
        let catalog = state.mcp.catalog();
        for call in &calls {
            if let Some(method) = call.get("method").and_then(Value::as_str) {
                needed.extend(catalog.required_scopes(method, call.get("params")));
            }
        }
        needed.sort_unstable();
        needed.dedup();
        let missing = caller.missing(&needed);
        if !missing.is_empty() {
            let id = calls
                .first()
                .and_then(|c| c.get("id"))
                .cloned()
                .unwrap_or(Value::Null);
            let message = format!("insufficient scope: this call needs {}", missing.join(" "));
            let body = jsonrpc_error(&id, i64::from(mcp::server::INSUFFICIENT_SCOPE.0), &message);
            return insufficient_scope(state, &needed, body);
        }
    }
    let span = match dispatch {
        Some(dispatch) => {
            parts.extensions.insert(dispatch.clone());
            dispatch.0
        }
        None => tracing::Span::current(),
    };
    let declared_json = declares_json(&parts.headers);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .instrument(span)
        .await;
    rmcp_refusal(declared_json, response)
}
