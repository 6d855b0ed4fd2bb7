//! RFC 6749 §5.2 errors, as data: the error codes as an enum, and the error the HTTP layer
//! renders.

use http::StatusCode;
use serde::Serialize;

/// The error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7591 §3.2.2, RFC 8707 §2 and RFC 6750 §3.1,
/// serialised as the strings those RFCs define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    /// RFC 8707 §2.
    InvalidTarget,
    /// RFC 7591 §3.2.2.
    InvalidClientMetadata,
    /// RFC 7591 §3.2.2.
    InvalidRedirectUri,
    /// RFC 6750 §3.1 (registration's initial access token).
    InvalidToken,
    ServerError,
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The code as the RFCs spell it (what `error` carries on the wire and in metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidToken => "invalid_token",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// The HTTP status an OAuth endpoint answers this code with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 6749 §5.2 error for OAuth endpoints (token, revoke, introspect, register).
#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub description: String,
    pub www_authenticate: Option<String>,
    pub source: Option<anyhow::Error>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            status: code.status(),
            code,
            description: description.into(),
            www_authenticate: None,
            source: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// Internal failure: the client sees an opaque `server_error`; the cause is logged.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        );
        e.source = Some(error.into());
        e
    }

    /// Internal failure from a plain message (e.g. a stored value that fails to parse).
    pub fn internal_msg(message: String) -> Self {
        Self::internal(anyhow::anyhow!(message))
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
