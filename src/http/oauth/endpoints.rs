//! Token (RFC 6749 §3.2), revocation (RFC 7009) and introspection (RFC 7662) endpoints.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::form::{OAuthForm, require_client};
use crate::error::OAuthError;
use crate::http::client_address::ClientAddress;
use crate::http::state::AppState;
use crate::oauth::error::ErrorCode;
use crate::oauth::token;

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// RFC 6749 §3.2 / §5.1. In order: the address's failure budget, client authentication
/// (argon2 only here, bounded by its own queue), the authenticated client's budget, and only
/// then an admission slot for the grant's work, so a flood of bad credentials can neither
/// spend a real client's budget nor hold the slots cached clients need.
#[tracing::instrument(skip_all, fields(grant_type, client_id))]
pub async fn token(
    State(state): State<AppState>,
    Extension(caller): Extension<ClientAddress>,
    form: OAuthForm,
) -> Result<Response, OAuthError> {
    let presented = require_client(&form)?;
    if let Some(refused) = state.rate_limits.over_failure_budget(caller.ip) {
        return Ok(refused);
    }
    if let Some(grant) = form.params.get("grant_type") {
        let grant = crate::audit::bounded(grant);
        tracing::Span::current().record("grant_type", grant.as_ref());
    }
    let request = token::parse_request(&form.params)?;
    let client = match state.auth.token_client(presented).await {
        Ok(client) => client,
        Err(error) => {
            if error.code == ErrorCode::InvalidClient {
                state.rate_limits.charge_failure(caller.ip);
            }
            return Err(error);
        }
    };
    if let Some(refused) = state.rate_limits.over_client_budget(&client.id) {
        return Ok(refused);
    }
    let _slot = state.admission.enter().await;
    let response = state.auth.grant_for(&request, &client).await?;
    Ok(no_store(Json(response).into_response()))
}

/// RFC 7009 §2
#[tracing::instrument(skip_all)]
pub async fn revoke(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthError> {
    let presented = require_client(&form)?;
    let _slot = state.admission.enter().await;
    state.auth.revoke(&form.params, presented).await?;
    Ok(no_store(().into_response()))
}

/// RFC 7662 §2
#[tracing::instrument(skip_all)]
pub async fn introspect(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthError> {
    let presented = require_client(&form)?;
    let _slot = state.admission.enter().await;
    let body = state.auth.introspect(&form.params, presented).await?;
    Ok(no_store(Json(body).into_response()))
}
