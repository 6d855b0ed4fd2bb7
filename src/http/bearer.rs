//! The one bearer authentication of `/mcp` and the REST routes (RFC 6750): reading the
//! `Authorization` header, the 401 and 403 challenges that point at the protected-resource
//! metadata (RFC 9728), and the caller a verified token describes.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::state::AppState;
use crate::mcp::Caller;

/// The `WWW-Authenticate` challenge pointing clients at the protected-resource metadata.
pub fn challenge(state: &AppState, error: Option<(&str, &str)>, scope: &str) -> String {
    let metadata = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        state.settings.issuer()
    );
    let mut value = format!(r#"Bearer resource_metadata="{metadata}", scope="{scope}""#);
    if let Some((code, description)) = error {
        value.push_str(&format!(
            r#", error="{code}", error_description="{description}""#
        ));
    }
    value
}

/// What the whole catalogue needs, announced in 401 challenges: a client that follows the
/// hint (the SDKs, Inspector, Claude) gets every tool, resource and prompt after one consent,
/// where the person may untick what they do not want (MCP 2025-11-25 scope selection).
fn catalogue_scopes(state: &AppState) -> String {
    state.auth.catalog.current().scope_names().join(" ")
}

/// 401 for a missing or unusable token (RFC 6750 §3).
pub fn unauthorized(state: &AppState, error: Option<&str>) -> Response {
    let challenge_value = challenge(
        state,
        error.map(|d| ("invalid_token", d)),
        &catalogue_scopes(state),
    );
    let body = json!({
        "error": if error.is_some() { "invalid_token" } else { "unauthorized" },
        "error_description": error.unwrap_or("a bearer access token is required"),
    });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge_value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// 403 naming the scopes the call needs (step-up authorization).
pub fn insufficient_scope(state: &AppState, needed: &[String], body: Value) -> Response {
    let value = challenge(
        state,
        Some((
            "insufficient_scope",
            "the access token lacks a scope this call needs",
        )),
        &needed.join(" "),
    );
    let mut response = (StatusCode::FORBIDDEN, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Why a request carries no usable bearer token; `None` when it sent none at all.
pub struct Unauthorized(Option<String>);

impl Unauthorized {
    pub fn into_response(self, state: &AppState) -> Response {
        unauthorized(state, self.0.as_deref())
    }
}

/// Verifies the bearer token (signature, ES256, iss, aud, exp, nbf, revocation set) and
/// returns the caller it describes.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, Unauthorized> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Unauthorized(None));
    };
    let claims = state
        .auth
        .verify_bearer(token, &state.settings.mcp_resource())
        .map_err(|e| Unauthorized(Some(e.to_string())))?;
    tracing::Span::current().record("client_id", claims.client_id.as_str());
    Ok(Caller {
        subject: claims.sub,
        client_id: claims.client_id,
        scopes: claims
            .scope
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    })
}
