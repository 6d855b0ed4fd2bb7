//! Response-surface errors and the middleware that logs each one once, in the request span.

use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An internal failure, carried in response extensions to the logging middleware.
#[derive(Clone)]
pub struct LoggedError(pub Arc<anyhow::Error>);

/// RFC 6749 §5.2 error for OAuth endpoints (token, revoke, introspect, register).
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    pub www_authenticate: Option<String>,
    pub source: Option<anyhow::Error>,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        let status = match code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            code,
            description: description.into(),
            www_authenticate: None,
            source: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    /// Internal failure: the client sees an opaque `server_error`; the cause is logged.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new("server_error", "the server could not complete the request");
        e.source = Some(error.into());
        e
    }

    pub fn with_www_authenticate(mut self, value: impl Into<String>) -> Self {
        self.www_authenticate = Some(value.into());
        self
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(error)
    }
}

impl From<anyhow::Error> for OAuthError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(error)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
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

/// Logs the error a handler attached to its response, once, inside the request span.
pub async fn log_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(LoggedError(error)) = response.extensions().get::<LoggedError>() {
        tracing::error!(error = ?error, "request failed");
    }
    response
}
