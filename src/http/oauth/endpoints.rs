//! Token (RFC 6749 §3.2), revocation (RFC 7009) and introspection (RFC 7662) endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::form::{OAuthForm, require_client};
use crate::error::OAuthError;
use crate::http::AppState;

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// RFC 6749 §3.2 / §5.1
#[tracing::instrument(skip_all, fields(grant_type, client_id))]
pub async fn token(State(state): State<AppState>, form: OAuthForm) -> Result<Response, OAuthError> {
    let presented = require_client(&form)?;
    let _slot = state.admission.enter().await;
    if let Some(grant) = form.params.get("grant_type") {
        tracing::Span::current().record("grant_type", grant.as_str());
    }
    let response = state.auth.token(&form.params, presented).await?;
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
