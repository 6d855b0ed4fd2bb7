//! The test callback of the original README: shows the code or error it receives and the
//! curl command that exchanges the code (for the documented test client).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

use super::outcome::{CallbackPage, curl_command};
use crate::http::html::page;
use crate::http::state::AppState;

/// The client whose registered redirect URI is `{public_url}/oauth/callback` in the README.
const TEST_CLIENT: &str = "mcp_test_client";

/// RFC 6749 §4.1.2: what a redirect URI receives.
/// <https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2>
pub async fn show(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let get = |key: &str| params.get(key).filter(|v| !v.is_empty()).cloned();
    let issuer = state.settings.issuer();
    let redirect = format!("{issuer}/oauth/callback");
    let code = get("code");
    let curl = code
        .as_deref()
        .map(|code| curl_command(issuer, code, &redirect, TEST_CLIENT, false, true));
    let error = get("error").or_else(|| code.is_none().then(|| "no code was received".to_string()));
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = CallbackPage {
        code,
        state: get("state"),
        error_description: get("error_description"),
        error,
        curl,
    };
    page(status, &view, &[])
}
