//! Authorization server metadata (RFC 8414) and the JWKS.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::http::state::AppState;

/// RFC 8414 §3: the issuer is byte-identical to the `iss` of every token.
/// <https://www.rfc-editor.org/rfc/rfc8414#section-3>
pub async fn authorization_server(State(state): State<AppState>) -> Json<Value> {
    let settings = &state.settings;
    let base = settings.issuer();
    let mut pkce = vec!["S256"];
    if settings.tokens.allow_plain_pkce {
        pkce.push("plain");
    }
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let mut metadata = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "introspection_endpoint": format!("{base}/oauth/introspect"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": pkce,
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": state.auth.catalog.current().scope_names(),
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": settings.clients.metadata_documents,
        "service_documentation": format!("{base}/"),
    });
    // Advertising a registration endpoint that refuses everyone would mislead clients.
    if settings.clients.registration == crate::config::Registration::Off
        && let Some(object) = metadata.as_object_mut()
    {
        object.remove("registration_endpoint");
    }
    Json(metadata)
}

/// RFC 7517: every published key (active, pre-published, and retired-but-in-use).
/// <https://www.rfc-editor.org/rfc/rfc7517#section-5>
pub async fn jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.auth.keys.jwks())
}
