//! Reading a POSTed browser form: its size bound, its parsing, and its session's CSRF check.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http::html::{PageError, csrf_failure, error_page};
use crate::http::oauth::form::parse_form;
use crate::http::pages::cookie::session_cookie;
use crate::http::state::AppState;

/// A POSTed body. Too large or unreadable is answered with an error page (413 / 400), not
/// with axum's plain-text rejection.
pub(crate) struct FormBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        Bytes::from_request(request, state)
            .await
            .map(Self)
            .map_err(|e| {
                error_page(
                    e.status(),
                    "Invalid form",
                    "The form is too large or could not be read.",
                )
            })
    }
}

/// A POSTed form, or a 400 page.
pub(crate) fn read_form(body: &Bytes) -> Result<HashMap<String, String>, PageError> {
    parse_form(body).map_err(|e| {
        PageError::refused(error_page(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            &e.description,
        ))
    })
}

/// A POSTed form and the session it belongs to, its CSRF token checked; otherwise the
/// page to answer with (403 for a missing session or token, 400 for a bad form).
pub(crate) async fn posted_form(
    state: &AppState,
    headers: &http::HeaderMap,
    body: &Bytes,
) -> Result<(HashMap<String, String>, crate::oauth::sessions::Session), PageError> {
    let form = read_form(body)?;
    let cookie = session_cookie(&state.settings, headers);
    let Some(session) = crate::oauth::sessions::load(&state.store, cookie).await? else {
        return Err(PageError::refused(csrf_failure()));
    };
    if !session.csrf_matches(form.get("csrf_token").map(String::as_str)) {
        return Err(PageError::refused(csrf_failure()));
    }
    Ok((form, session))
}
