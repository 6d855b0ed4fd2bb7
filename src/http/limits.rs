//! Bounds on the request line and headers, checked before any routing: a request target longer
//! than any legitimate OAuth or MCP request, or headers larger than any real client sends, is
//! refused with 414 / 431 instead of being parsed, logged and matched.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Path and query; authorization requests with long `state` and scope lists stay far below.
pub const MAX_TARGET_BYTES: usize = 16 * 1024;
/// All header names and values together; room for a bearer JWT and a full cookie jar.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The refusal for a request over a bound, or `None` to serve it.
pub fn check(request: &Request) -> Option<Response> {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if target > MAX_TARGET_BYTES {
        return Some(refuse(
            request,
            StatusCode::URI_TOO_LONG,
            "The address of this request is too long.",
        ));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Some(refuse(
            request,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "The request's headers (cookies included) are too large.",
        ));
    }
    None
}

/// A page for a browser, OAuth-shaped JSON for everyone else.
fn refuse(request: &Request, status: StatusCode, message: &str) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        return crate::http::html::error_page(status, "Request too large", message);
    }
    let body = json!({ "error": "invalid_request", "error_description": message });
    (status, Json(body)).into_response()
}
