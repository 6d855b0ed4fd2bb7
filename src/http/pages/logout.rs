//! Logging out: a POST carrying the session's CSRF token ends the session row and the cookie.
//! A GET only asks, so a cross-site link or image cannot sign anyone out.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::cookie::{self, session_cookie};
use super::forms::{FormBody, read_form};
use crate::http::html::{PageError, csrf_failure, page};
use crate::http::state::AppState;
use crate::oauth::sessions;

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage;

#[derive(Template)]
#[template(path = "logout.html")]
struct ConfirmPage {
    csrf_token: String,
}

/// GET: the sign-out button (a form with the CSRF token) when signed in; otherwise there is
/// nothing to end.
/// Cross-site request forgery: <https://www.rfc-editor.org/rfc/rfc6749#section-10.12>
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let cookie = session_cookie(&state.settings, &headers);
    Ok(match sessions::load(&state.store, cookie).await? {
        Some(session) if session.user_id().is_some() => page(
            StatusCode::OK,
            &ConfirmPage {
                csrf_token: session.record.csrf_token,
            },
            &[],
        ),
        _ => page(StatusCode::OK, &LoggedOutPage, &[]),
    })
}

/// POST: ends the session when the form carries its CSRF token (403 otherwise). Without a
/// live session there is nothing to protect, and the answer is the signed-out page.
/// Cross-site request forgery: <https://www.rfc-editor.org/rfc/rfc6749#section-10.12>
pub async fn log_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(body): FormBody,
) -> Result<Response, PageError> {
    let form = read_form(&body)?;
    let cookie = session_cookie(&state.settings, &headers);
    if let Some(session) = sessions::load(&state.store, cookie).await? {
        if !session.csrf_matches(form.get("csrf_token").map(String::as_str)) {
            return Ok(csrf_failure());
        }
        state.store.delete_session(&session.record.id_hash).await?;
    }
    Ok(cookie::clear(
        page(StatusCode::OK, &LoggedOutPage, &[]),
        &state.settings,
    ))
}
