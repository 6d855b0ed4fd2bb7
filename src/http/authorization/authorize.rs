//! The authorization endpoint (RFC 6749 §4.1.1): validates the request, parks it in the
//! browser session, and sends the person on to login or consent.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::consent;
use super::outcome::fail;
use crate::http::html::{error_page, internal, see_other};
use crate::http::oauth::form::parse_form;
use crate::http::pages::cookie::{session_cookie, with_cookie};
use crate::http::state::AppState;
use crate::oauth::authorize::AuthorizeError;
use crate::oauth::sessions;

/// RFC 6749 §4.1.1
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let params = match parse_form(query.as_bytes()) {
        Ok(params) => params,
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid authorization request",
                &e.description,
            );
        }
    };
    let request = match state.auth.validate_authorization(&params).await {
        Ok((request, _client)) => request,
        Err(AuthorizeError::Page(message)) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid authorization request",
                &message,
            );
        }
        Err(AuthorizeError::Redirect(redirect)) => return fail(&state, &redirect),
        Err(AuthorizeError::Internal(error)) => return internal(error),
    };
    tracing::Span::current().record("client_id", request.client_id.as_str());
    let cookie = session_cookie(&state.settings, &headers);
    let session = match sessions::load_or_create(&state.store, cookie).await {
        Ok(session) => session,
        Err(error) => return internal(error),
    };
    let pending = match serde_json::to_string(&request) {
        Ok(pending) => pending,
        Err(error) => return internal(error),
    };
    if let Err(error) = state
        .store
        .set_session_pending(&session.record.id_hash, Some(&pending))
        .await
    {
        return internal(error);
    }
    let response = match session.user_id() {
        None => see_other("/login"),
        Some(user_id) => consent::proceed(&state, &session, user_id, &request, &pending).await,
    };
    with_cookie(response, &state.settings, &session)
}
