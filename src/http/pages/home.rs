//! The landing page at `/`: what this server is, its MCP URL and how to connect to it. The
//! metadata's `service_documentation` and `resource_documentation` point here.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http::html::page;
use crate::http::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    mcp_url: String,
    scopes: String,
}

/// RFC 8414 §2 `service_documentation`, RFC 9728 §2 `resource_documentation`
/// <https://www.rfc-editor.org/rfc/rfc8414#section-2>
pub async fn show(State(state): State<AppState>) -> Response {
    let view = HomePage {
        mcp_url: state.settings.mcp_resource(),
        scopes: state.auth.catalog.current().scope_names().join(" "),
    };
    page(StatusCode::OK, &view, &[])
}
