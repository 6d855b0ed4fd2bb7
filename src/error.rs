//! Response-surface errors and the middleware that logs each one once, in the request span.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use crate::oauth::error::OAuthError;

/// An internal failure, carried in response extensions to `http::edge`, which logs it once
/// inside the request span.
#[derive(Clone)]
pub struct LoggedError(pub Arc<anyhow::Error>);

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        // `temporarily_unavailable` is load shedding: say when to come back (RFC 9110 §10.2.3).
        if self.status == http::StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(value) = self.www_authenticate
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(source) = self.source {
            response
                .extensions_mut()
                .insert(LoggedError(Arc::new(source)));
        }
        response
    }
}
