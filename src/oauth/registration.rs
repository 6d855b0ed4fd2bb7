//! Dynamic client registration (RFC 7591): client metadata as real clients send it
//! (Claude.ai, MCP Inspector, the SDKs) turned into a [`NewClient`], or a §3.2.2 error.

use serde_json::{Map, Value, json};

use super::clients::{
    self, AUTH_NONE, AUTH_SECRET_BASIC, AUTH_SECRET_POST, GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN, NewClient, RegisterError, Registered,
};
use super::error::ErrorCode;
use super::redirect_uri;
use super::scope::{self, ScopeSet};
use crate::crypto;
use crate::storage::Store;

/// An RFC 7591 §3.2.2 error code and its description.
#[derive(Debug)]
pub struct MetadataError {
    pub code: ErrorCode,
    pub description: String,
}

fn invalid(description: impl Into<String>) -> MetadataError {
    MetadataError {
        code: ErrorCode::InvalidClientMetadata,
        description: description.into(),
    }
}

/// A string array field; absent or null gives `default`.
fn string_list(
    body: &Map<String, Value>,
    key: &str,
    default: &[&str],
) -> Result<Vec<String>, MetadataError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default.iter().map(ToString::to_string).collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("{key} must be an array of strings")))
            })
            .collect(),
        Some(_) => Err(invalid(format!("{key} must be an array of strings"))),
    }
}

fn optional_string<'a>(
    body: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, MetadataError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(invalid(format!("{key} must be a string"))),
    }
}

/// A registration body turned into a client, with what was replaced on the way.
pub struct Parsed {
    pub client: NewClient,
    pub method: &'static str,
    /// Scope names we do not know, dropped from the registration (reported, not refused).
    pub dropped_scopes: Vec<String>,
}

/// Validates a registration request body into a client and its auth method.
/// `known_scopes` are the catalogue's: other names are dropped, none left means all of them.
pub fn parse(body: &Value, known_scopes: &ScopeSet) -> Result<Parsed, MetadataError> {
    let body = body
        .as_object()
        .ok_or_else(|| invalid("the body must be a JSON object of client metadata"))?;
    let redirect_uris = string_list(body, "redirect_uris", &[])?;
    for uri in &redirect_uris {
        // Stored space-separated, and neither a space nor a control character (NUL, which
        // Postgres cannot store, included) is ever valid in a URI.
        if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(MetadataError {
                code: ErrorCode::InvalidRedirectUri,
                description: format!(
                    "redirect URI {uri:?} contains whitespace or control characters"
                ),
            });
        }
        redirect_uri::validate_for_registration(uri).map_err(|e| MetadataError {
            code: ErrorCode::InvalidRedirectUri,
            description: e.to_string(),
        })?;
    }
    let method = match optional_string(body, "token_endpoint_auth_method")? {
        // RFC 7591 §2: the default is client_secret_basic.
        None | Some(AUTH_SECRET_BASIC) => AUTH_SECRET_BASIC,
        Some(AUTH_SECRET_POST) => AUTH_SECRET_POST,
        Some(AUTH_NONE) => AUTH_NONE,
        Some(other) => {
            return Err(invalid(format!(
                "token_endpoint_auth_method {other:?} is not supported; use none, \
                 client_secret_basic or client_secret_post"
            )));
        }
    };
    let grant_types = string_list(body, "grant_types", &[GRANT_AUTHORIZATION_CODE])?;
    for grant in &grant_types {
        if grant != GRANT_AUTHORIZATION_CODE && grant != GRANT_REFRESH_TOKEN {
            return Err(invalid(format!(
                "grant type {grant:?} cannot be registered dynamically; use authorization_code and refresh_token"
            )));
        }
    }
    let response_types = string_list(body, "response_types", &["code"])?;
    if response_types.iter().any(|r| r != "code") {
        return Err(invalid("the only response type is code"));
    }
    // RFC 7591 §2.1: response type code goes with the authorization_code grant.
    let uses_code = grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE);
    if uses_code == response_types.is_empty() {
        return Err(invalid(
            "response_types [code] and grant type authorization_code go together",
        ));
    }
    if uses_code && redirect_uris.is_empty() {
        return Err(MetadataError {
            code: ErrorCode::InvalidRedirectUri,
            description: "redirect_uris is required for the authorization_code grant".into(),
        });
    }
    // RFC 7591 §3.2.1: the server may replace requested values. Unknown scope names (Claude.ai
    // registers `scope: "claudeai"`) are dropped; nothing known left means the default set.
    let requested = scope::Requested::parse(optional_string(body, "scope")?, known_scopes)
        .map_err(|e| invalid(e.to_string()))?;
    let dropped_scopes = requested.dropped.clone();
    let scopes = requested.or(known_scopes);
    let application_type = match optional_string(body, "application_type")? {
        None => None,
        Some(kind @ ("web" | "native")) => Some(kind.to_string()),
        Some(other) => {
            return Err(invalid(format!(
                "application_type {other:?} is not one of web, native"
            )));
        }
    };
    let name = optional_string(body, "client_name")?
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Unnamed client");
    if name.chars().count() > 200 {
        return Err(invalid("client_name must be at most 200 characters"));
    }
    // The name is shown on the consent page and written to logs: text only.
    if name.chars().any(char::is_control) {
        return Err(invalid("client_name must not contain control characters"));
    }
    let client = NewClient {
        id: crypto::random_token(16),
        name: name.to_string(),
        confidential: method != AUTH_NONE,
        secret: None,
        redirect_uris,
        scopes: scopes.iter().map(str::to_string).collect(),
        grant_types,
        origin: "dynamic",
        application_type,
    };
    Ok(Parsed {
        client,
        method,
        dropped_scopes,
    })
}

/// Registers a parsed client and returns the RFC 7591 §3.2.1 response body.
pub async fn register(
    store: &Store,
    client: NewClient,
    method: &'static str,
    known_scopes: &ScopeSet,
) -> Result<Value, RegisterError> {
    let Registered { record, secret } =
        clients::register_with_method(store, client, method, known_scopes).await?;
    let mut body = json!({
        "client_id": record.id,
        "client_id_issued_at": record.created_at,
        "client_name": record.name,
        "redirect_uris": record.redirect_uri_list(),
        "grant_types": record.grant_type_list(),
        "response_types": if record.grant_type_list().iter().any(|g| g == GRANT_AUTHORIZATION_CODE) { vec!["code"] } else { vec![] },
        "token_endpoint_auth_method": record.token_endpoint_auth_method,
        "scope": record.scopes,
    });
    if let Some(kind) = &record.application_type {
        body["application_type"] = json!(kind);
    }
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        // 0: the secret does not expire.
        body["client_secret_expires_at"] = json!(0);
    }
    Ok(body)
}
