//! Why an MCP request was refused, and the JSON-RPC error a client sees for it. Shared by the
//! tools, resources and prompts, so it sits below all of them.

use std::fmt;
use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::ErrorCode;
use serde_json::json;

/// JSON-RPC code for a request the token's scopes do not cover. MCP defines none (the HTTP layer
/// normally answers 403 first); -32003 sits in JSON-RPC's implementation-defined range and clear
/// of codes the MCP SDKs already use (-32000, -32001, -32002, -32042).
pub const INSUFFICIENT_SCOPE: ErrorCode = ErrorCode(-32003);

/// Why a tool call, resource read or prompt request was refused.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("unknown tool: {0}")]
    UnknownTool(String),
    #[error("unknown resource: {0}")]
    UnknownResource(String),
    #[error("unknown prompt: {0}")]
    UnknownPrompt(String),
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    #[error("insufficient scope: needs {}", .0.join(" "))]
    InsufficientScope(Vec<String>),
    /// A JSON-RPC error a handler chose (e.g. MCP's -32021 missing client capability); sent
    /// as it is.
    #[error("{}", .0.message)]
    Protocol(ErrorData),
    /// An upstream MCP server (see `gateway`) is down, busy, too slow or misbehaving: the
    /// upstream's name and a reason safe to show.
    #[error("upstream {0} is unavailable: {1}")]
    Unavailable(String, String),
    /// A server-side failure; the cause is for logs, not for clients.
    #[error("internal error: {0}")]
    Internal(InternalError),
}

impl CallError {
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(InternalError(Arc::new(error.into())))
    }
}

/// A server fault with its whole cause chain. Shared (`Arc`) so that callers holding a borrowed
/// `CallError` can still hand the cause on: `anyhow!(cause.clone())` keeps the chain, because
/// this type is a `std::error::Error` whose sources are the original ones.
#[derive(Debug, Clone)]
pub struct InternalError(Arc<anyhow::Error>);

/// The outermost message; `{:#}` adds the causes, as anyhow does.
impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{:#}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The JSON-RPC error for a refusal; internal details stay out of it (log them first).
impl From<CallError> for ErrorData {
    fn from(error: CallError) -> Self {
        match error {
            CallError::UnknownTool(name) => {
                ErrorData::invalid_params(format!("Unknown tool: {name}"), None)
            }
            CallError::UnknownResource(uri) => {
                ErrorData::resource_not_found("Resource not found", Some(json!({ "uri": uri })))
            }
            CallError::UnknownPrompt(name) => {
                ErrorData::invalid_params(format!("Unknown prompt: {name}"), None)
            }
            CallError::InvalidArguments(message) => ErrorData::invalid_params(message, None),
            CallError::InsufficientScope(missing) => ErrorData::new(
                INSUFFICIENT_SCOPE,
                format!(
                    "Insufficient scope: this request needs {}",
                    missing.join(" ")
                ),
                Some(json!({ "error": "insufficient_scope", "scope": missing.join(" ") })),
            ),
            CallError::Protocol(data) => data,
            CallError::Unavailable(upstream, why) => ErrorData::internal_error(
                format!("Upstream {upstream} is unavailable: {why}"),
                Some(json!({ "upstream": upstream })),
            ),
            CallError::Internal(_) => ErrorData::internal_error("Internal error", None),
        }
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn an_internal_error_keeps_its_causes_but_tells_the_client_nothing() {
        let failed: Result<(), std::io::Error> = Err(std::io::Error::other("disk on fire"));
        let error = CallError::internal(failed.context("sampling failed").unwrap_err());
        let CallError::Internal(cause) = &error else {
            panic!("expected Internal, got {error:?}");
        };
        assert_eq!(format!("{cause:#}"), "sampling failed: disk on fire");
        let rewrapped = anyhow::anyhow!(cause.clone());
        assert_eq!(rewrapped.chain().count(), 2);
        let data = ErrorData::from(error);
        assert_eq!(data.code, ErrorCode::INTERNAL_ERROR);
        assert_eq!(data.message, "Internal error");
        assert_eq!(data.data, None);
    }
}
