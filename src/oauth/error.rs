//! RFC 6749 §5.2 errors, as data: the HTTP layer renders them.

use http::StatusCode;

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

impl OAuthError {
    /// Internal failure from a plain message (e.g. a stored value that fails to parse).
    pub fn internal_msg(message: String) -> Self {
        Self::internal(anyhow::anyhow!(message))
    }
}
