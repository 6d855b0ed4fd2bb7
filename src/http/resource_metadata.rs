//! Protected Resource Metadata (RFC 9728): how MCP clients find the authorization server.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::http::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(metadata))
        .route("/.well-known/oauth-protected-resource", get(metadata))
}

/// RFC 9728 §3.2; served at both the path-suffixed and the root location, no auth.
/// <https://www.rfc-editor.org/rfc/rfc9728#section-3.2>
async fn metadata(State(state): State<AppState>) -> Json<Value> {
    let issuer = state.settings.issuer();
    Json(json!({
        "resource": state.settings.mcp_resource(),
        "authorization_servers": [issuer],
        "scopes_supported": state.auth.catalog.current().scope_names(),
        "bearer_methods_supported": ["header"],
        "resource_name": "mcp-oauth MCP server",
        "resource_documentation": format!("{issuer}/"),
    }))
}
