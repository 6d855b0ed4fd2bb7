//! The authorization endpoint (RFC 6749 §4.1.1): validates the request, parks it in the
//! browser session, and sends the person on to login or consent.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::consent;
use super::outcome::fail;
use crate::http::html::{PageError, error_page, see_other};
use crate::http::oauth::form::parse_form;
use crate::http::pages::cookie::{session_cookie, with_cookie};
use crate::http::state::AppState;
use crate::oauth::authorize::AuthorizeError;
use crate::oauth::sessions;

/// RFC 6749 §4.1.1
/// <https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1>
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.unwrap_or_default();
    let params = match parse_form(query.as_bytes()) {
        Ok(params) => params,
        Err(e) => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                "Invalid authorization request",
                &e.description,
            ));
        }
    };
    let request = match state.auth.validate_authorization(&params).await {
        Ok((request, _client)) => request,
        Err(AuthorizeError::Page(message)) => {
            return Ok(error_page(
                StatusCode::BAD_REQUEST,
                "Invalid authorization request",
                &message,
            ));
        }
        Err(AuthorizeError::Redirect(redirect)) => return Ok(fail(&state, &redirect)),
        Err(AuthorizeError::Internal(error)) => return Err(error.into()),
    };
    tracing::Span::current().record("client_id", request.client_id.as_str());
    let cookie = session_cookie(&state.settings, &headers);
    let session = sessions::load_or_create(&state.store, cookie).await?;
    let pending = serde_json::to_string(&request)?;
    state
        .store
        .set_session_pending(&session.record.id_hash, Some(&pending))
        .await?;
    let response = match session.user_id() {
        None => see_other("/login"),
        Some(user_id) => consent::proceed(&state, &session, user_id, &request, &pending)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    };
    Ok(with_cookie(response, &state.settings, &session))
}
