//! The REST endpoints of the original description (`/mcp/protected/…`), with the same bearer
//! authentication and scope rules as `/mcp`, calling the same tool implementations.

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::AppState;
use super::mcp::{authenticate, insufficient_scope};
use crate::mcp::{CallError, Caller};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/mcp/protected/tools", get(list_tools))
        .route("/mcp/protected/call/{tool_name}", post(call_tool))
        .route("/mcp/protected/resources", get(list_resources))
        .route("/mcp/protected/resources/{name}", get(read_resource))
        .route("/mcp/protected/prompts", get(list_prompts))
        .route_layer(axum::middleware::from_fn_with_state(state, require_token))
}

/// Bearer authentication for every REST route; the caller goes into request extensions.
async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    match authenticate(&state, request.headers()) {
        Ok(caller) => {
            if let Some(limited) = state.rate_limits.over_subject_budget(&caller.subject) {
                return limited;
            }
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(rejection) => rejection.into_response(&state),
    }
}

/// Maps a refused call to its HTTP status and a JSON body.
fn refused(state: &AppState, error: CallError) -> Response {
    let body = |code: &str| json!({ "error": code, "error_description": error.to_string() });
    match &error {
        CallError::UnknownTool(_) | CallError::UnknownResource(_) | CallError::UnknownPrompt(_) => {
            (StatusCode::NOT_FOUND, Json(body("not_found"))).into_response()
        }
        CallError::InvalidArguments(_) => {
            (StatusCode::BAD_REQUEST, Json(body("invalid_arguments"))).into_response()
        }
        CallError::InsufficientScope(missing) => {
            insufficient_scope(state, missing, body("insufficient_scope"))
        }
        CallError::Internal(detail) => {
            crate::error::OAuthError::internal(anyhow::anyhow!(detail.clone())).into_response()
        }
    }
}

/// axum's rejections (a body over the limit, a path segment that is not UTF-8) as the JSON
/// errors every other refusal here is, instead of plain text.
fn rejected(status: StatusCode, description: String) -> Response {
    let body = json!({ "error": "invalid_request", "error_description": description });
    (status, Json(body)).into_response()
}

fn caller(request_caller: Option<axum::Extension<Caller>>) -> Caller {
    request_caller
        .map(|c| c.0)
        .unwrap_or_else(Caller::anonymous)
}

async fn list_tools(State(state): State<AppState>, c: Option<axum::Extension<Caller>>) -> Response {
    match state.mcp.list_tools_for(&caller(c)) {
        Ok(tools) => Json(json!({ "tools": tools })).into_response(),
        Err(e) => refused(&state, e),
    }
}

/// Runs a tool with JSON arguments. A tool-level failure (e.g. division by zero) is still a
/// 200 whose body has `isError: true`, exactly as over MCP.
async fn call_tool(
    State(state): State<AppState>,
    tool_name: Result<Path<String>, PathRejection>,
    c: Option<axum::Extension<Caller>>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    let (Path(tool_name), body) = match (tool_name, body) {
        (Ok(name), Ok(body)) => (name, body),
        (Err(e), _) => return rejected(e.status(), e.body_text()),
        (_, Err(e)) => return rejected(e.status(), e.body_text()),
    };
    let arguments = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        let is_json = headers
            .get(axum::http::header::CONTENT_TYPE)
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
        .call_tool_for(&caller(c), &tool_name, arguments)
        .await
    {
        Ok(result) => Json(result).into_response(),
        Err(e) => refused(&state, e),
    }
}

async fn list_resources(
    State(state): State<AppState>,
    c: Option<axum::Extension<Caller>>,
) -> Response {
    match state.mcp.list_resources_for(&caller(c)) {
        Ok(resources) => Json(json!({ "resources": resources })).into_response(),
        Err(e) => refused(&state, e),
    }
}

/// `name` is the resource's short name: `metrics` or `platform`.
async fn read_resource(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
    c: Option<axum::Extension<Caller>>,
) -> Response {
    let Path(name) = match name {
        Ok(name) => name,
        Err(e) => return rejected(e.status(), e.body_text()),
    };
    match state.mcp.read_resource_named_for(&caller(c), &name).await {
        Ok(result) => Json(result).into_response(),
        Err(e) => refused(&state, e),
    }
}

async fn list_prompts(
    State(state): State<AppState>,
    c: Option<axum::Extension<Caller>>,
) -> Response {
    match state.mcp.list_prompts_for(&caller(c)) {
        Ok(prompts) => Json(json!({ "prompts": prompts })).into_response(),
        Err(e) => refused(&state, e),
    }
}
