//! The REST endpoints of the original description (`/mcp/protected/…`), with the same bearer
//! authentication and scope rules as `/mcp`, calling the same tool implementations.

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::http::bearer::{authenticate, insufficient_scope};
use crate::http::state::AppState;
use crate::mcp::{CallError, Caller};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mcp/protected/tools", get(list_tools))
        .route("/mcp/protected/call/{tool_name}", post(call_tool))
        .route("/mcp/protected/resources", get(list_resources))
        .route("/mcp/protected/resources/{name}", get(read_resource))
        .route("/mcp/protected/prompts", get(list_prompts))
}

/// The bearer-authenticated caller of a REST route. Every handler here takes it first, so a
/// request without a usable token gets 401 before anything else is looked at. (An extractor
/// rather than a middleware layer: no extra boxed future and service clone per request.)
struct Authenticated(Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = authenticate(state, &parts.headers).map_err(|r| r.into_response(state))?;
        if let Some(limited) = state.rate_limits.over_subject_budget(&caller.subject) {
            return Err(limited);
        }
        Ok(Self(caller))
    }
}

/// Every scope the MCP call matching a REST route needs, as `/mcp` names them in its 403
/// challenge (not only the missing ones, so a client can ask for the whole set at once).
fn needs(state: &AppState, method: &str, params: Option<&Value>) -> Vec<String> {
    state.mcp.catalog().required_scopes(method, params)
}

/// Maps a refused call to its HTTP status and a JSON body; `needed` is what the call needs.
fn refused(state: &AppState, error: &CallError, needed: &[String]) -> Response {
    let body = |code: &str| json!({ "error": code, "error_description": error.to_string() });
    match error {
        CallError::UnknownTool(_) | CallError::UnknownResource(_) | CallError::UnknownPrompt(_) => {
            (StatusCode::NOT_FOUND, Json(body("not_found"))).into_response()
        }
        CallError::InvalidArguments(_) => {
            (StatusCode::BAD_REQUEST, Json(body("invalid_arguments"))).into_response()
        }
        // A handler's own protocol error (e.g. a tool that needs an MCP client's input).
        CallError::Protocol(_) => {
            (StatusCode::BAD_REQUEST, Json(body("invalid_request"))).into_response()
        }
        CallError::InsufficientScope(_) => {
            insufficient_scope(state, needed, body("insufficient_scope"))
        }
        // An upstream MCP server behind the gateway is down or too slow: a gateway's 502.
        CallError::Unavailable(..) => {
            (StatusCode::BAD_GATEWAY, Json(body("upstream_unavailable"))).into_response()
        }
        CallError::Internal(detail) => {
            crate::error::OAuthError::internal(anyhow::anyhow!(detail.clone())).into_response()
        }
    }
}

/// axum's rejections (a body over the limit, a path segment that is not UTF-8) as the JSON
/// errors every other refusal here is, instead of plain text.
fn rejected(status: StatusCode, description: &str) -> Response {
    let body = json!({ "error": "invalid_request", "error_description": description });
    (status, Json(body)).into_response()
}

/// MCP `tools/list` over REST.
/// <https://modelcontextprotocol.io/specification/2025-11-25/server/tools#listing-tools>
async fn list_tools(
    Authenticated(caller): Authenticated,
    State(state): State<AppState>,
) -> Response {
    match state.mcp.list_tools_for(&caller) {
        Ok(tools) => Json(json!({ "tools": tools })).into_response(),
        Err(e) => refused(&state, &e, &needs(&state, "tools/list", None)),
    }
}

/// Runs a tool with JSON arguments. A tool-level failure (e.g. division by zero) is still a
/// 200 whose body has `isError: true`, exactly as over MCP.
/// <https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools>
async fn call_tool(
    Authenticated(caller): Authenticated,
    State(state): State<AppState>,
    tool_name: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    let (Path(tool_name), body) = match (tool_name, body) {
        (Ok(name), Ok(body)) => (name, body),
        (Err(e), _) => return rejected(e.status(), &e.body_text()),
        (_, Err(e)) => return rejected(e.status(), &e.body_text()),
    };
    let arguments = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        let is_json = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            let body = json!({ "error": "invalid_request", "error_description": "arguments must be application/json" });
            return (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response();
        }
        match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                let body = json!({ "error": "invalid_arguments", "error_description": format!("arguments are not valid JSON: {e}") });
                return (StatusCode::BAD_REQUEST, Json(body)).into_response();
            }
        }
    };
    match state
        .mcp
        .call_tool_for(&caller, &tool_name, arguments)
        .await
    {
        Ok(result) => Json(result).into_response(),
        Err(e) => refused(
            &state,
            &e,
            &needs(&state, "tools/call", Some(&json!({ "name": tool_name }))),
        ),
    }
}

/// MCP `resources/list` over REST.
/// <https://modelcontextprotocol.io/specification/2025-11-25/server/resources#listing-resources>
async fn list_resources(
    Authenticated(caller): Authenticated,
    State(state): State<AppState>,
) -> Response {
    match state.mcp.list_resources_for(&caller) {
        Ok(resources) => Json(json!({ "resources": resources })).into_response(),
        Err(e) => refused(&state, &e, &needs(&state, "resources/list", None)),
    }
}

/// `name` is the resource's short name: `metrics` or `platform`.
/// <https://modelcontextprotocol.io/specification/2025-11-25/server/resources#reading-resources>
async fn read_resource(
    Authenticated(caller): Authenticated,
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let Path(name) = match name {
        Ok(name) => name,
        Err(e) => return rejected(e.status(), &e.body_text()),
    };
    match state.mcp.read_resource_named_for(&caller, &name).await {
        Ok(result) => Json(result).into_response(),
        Err(e) => {
            let catalog = state.mcp.catalog();
            let uri = catalog
                .resource_by_short_name(&name)
                .map(|r| r.name.as_str());
            let params = uri.map(|uri| json!({ "uri": uri }));
            let needed = needs(&state, "resources/read", params.as_ref());
            refused(&state, &e, &needed)
        }
    }
}

/// MCP `prompts/list` over REST.
/// <https://modelcontextprotocol.io/specification/2025-11-25/server/prompts#listing-prompts>
async fn list_prompts(
    Authenticated(caller): Authenticated,
    State(state): State<AppState>,
) -> Response {
    match state.mcp.list_prompts_for(&caller) {
        Ok(prompts) => Json(json!({ "prompts": prompts })).into_response(),
        Err(e) => refused(&state, &e, &needs(&state, "prompts/list", None)),
    }
}
