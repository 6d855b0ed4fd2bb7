//! A fetched or pinned metadata document checked into a public client record (MCP
//! 2025-11-25 client ID metadata rules).

use serde_json::Value;
use url::Url;

use crate::oauth::redirect_uri::{self, RedirectUriError};
use crate::oauth::scope::{self, ScopeError, ScopeSet};
use crate::storage::ClientRecord;

/// Why a document does not describe an acceptable client; the text is what the page shows.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the document's client_id does not equal its URL")]
    ClientIdMismatch,
    #[error("a metadata document must not carry a client secret")]
    CarriesSecret,
    #[error("token_endpoint_auth_method {0:?} is not supported; use none")]
    AuthMethod(String),
    #[error("the document has no redirect_uris")]
    NoRedirectUris,
    #[error("redirect URI {0:?} is not allowed")]
    RedirectUriNotAllowed(String),
    #[error(transparent)]
    RedirectUri(#[from] RedirectUriError),
    #[error(transparent)]
    Scope(#[from] ScopeError),
}

/// Validates a document into a public client (MCP 2025-11-25 client ID metadata rules).
pub(super) fn to_client(
    client_id: &str,
    doc: &Value,
    now: i64,
    known_scopes: &ScopeSet,
) -> Result<ClientRecord, DocumentError> {
    if doc.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(DocumentError::ClientIdMismatch);
    }
    if doc.get("client_secret").is_some() || doc.get("client_secret_expires_at").is_some() {
        return Err(DocumentError::CarriesSecret);
    }
    match doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        None | Some("none") => {}
        Some(other) => {
            return Err(DocumentError::AuthMethod(other.to_string()));
        }
    }
    let uris: Vec<String> = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if uris.is_empty() {
        return Err(DocumentError::NoRedirectUris);
    }
    for uri in &uris {
        if uri == redirect_uri::OOB || uri.chars().any(char::is_whitespace) {
            return Err(DocumentError::RedirectUriNotAllowed(uri.clone()));
        }
        redirect_uri::validate_for_registration(uri)?;
    }
    // As for registration: unknown scope names are dropped, none left means the default.
    let scopes = scope::Requested::parse(doc.get("scope").and_then(Value::as_str), known_scopes)?
        .or(known_scopes);
    let application_type = doc
        .get("application_type")
        .and_then(Value::as_str)
        .filter(|kind| matches!(*kind, "web" | "native"))
        .map(str::to_string);
    let name: String = doc.get("client_name").and_then(Value::as_str).map_or_else(
        || {
            Url::parse(client_id)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
                .unwrap_or_default()
        },
        |n| n.chars().take(200).collect(),
    );
    Ok(ClientRecord {
        id: client_id.to_string(),
        secret_hash: None,
        name,
        redirect_uris: uris.join(" "),
        scopes: scopes.to_string(),
        grant_types: "authorization_code refresh_token".into(),
        token_endpoint_auth_method: "none".into(),
        origin: "metadata".into(),
        created_at: now,
        updated_at: now,
        disabled_at: None,
        application_type,
    })
}
