//! Dynamic client registration endpoint (RFC 7591 §3), gated by `clients.registration`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::config::{Registration, Secret};
use crate::error::OAuthError;
use crate::http::state::AppState;
use crate::oauth::clients::RegisterError;
use crate::oauth::error::ErrorCode;
use crate::oauth::registration;

/// RFC 7591 §3.1 (request) / §3.2 (response)
/// <https://www.rfc-editor.org/rfc/rfc7591#section-3>
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    authorize_registration(&state, &headers)?;
    // Too large (413) or unreadable: still an RFC 7591 JSON error, not axum's plain text.
    let body = body.map_err(|e| {
        let mut error = OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            format!("unreadable body: {e}"),
        );
        error.status = e.status();
        error
    })?;
    let metadata: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            format!("the body must be JSON client metadata: {e}"),
        )
    })?;
    let registration::Parsed {
        client,
        method,
        dropped_scopes,
    } = registration::parse(&metadata, state.auth.known_scopes())
        .map_err(|e| OAuthError::new(e.code, e.description))?;
    let client_id = client.id.clone();
    tracing::Span::current().record("client_id", client_id.as_str());
    let response = registration::register(&state.store, client, method, state.auth.known_scopes())
        .await
        .map_err(|e| match e {
            RegisterError::Invalid(description) => {
                OAuthError::new(ErrorCode::InvalidClientMetadata, description.to_string())
            }
            RegisterError::Duplicate(_) => {
                OAuthError::internal_msg("random client id collided".into())
            }
            RegisterError::Internal(error) => OAuthError::internal(error),
        })?;
    crate::audit::record(
        &state.store,
        "client_registered",
        Some(&client_id),
        None,
        json!({
            "origin": "dynamic",
            "client_name": response["client_name"],
            "redirect_uris": response["redirect_uris"],
            "token_endpoint_auth_method": method,
            "scope": response["scope"],
            "unknown_scopes_dropped": dropped_scopes,
        }),
    );
    let mut response = (StatusCode::CREATED, Json(response)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `open`: anyone; `token`: the configured initial access token as Bearer; `off`: nobody.
fn authorize_registration(state: &AppState, headers: &HeaderMap) -> Result<(), OAuthError> {
    let settings = &state.settings.clients;
    match settings.registration {
        Registration::Open => Ok(()),
        Registration::Off => {
            let mut error = OAuthError::new(
                ErrorCode::AccessDenied,
                "dynamic client registration is disabled on this server",
            );
            error.status = StatusCode::FORBIDDEN;
            Err(error)
        }
        Registration::Token => {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            let expected = settings
                .registration_token
                .as_ref()
                .map_or("", Secret::expose);
            let ok =
                !expected.is_empty() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()));
            if ok {
                return Ok(());
            }
            let mut error = OAuthError::new(
                ErrorCode::InvalidToken,
                "registration needs the initial access token as a Bearer token",
            )
            .with_www_authenticate("Bearer error=\"invalid_token\"");
            error.status = StatusCode::UNAUTHORIZED;
            Err(error)
        }
    }
}
