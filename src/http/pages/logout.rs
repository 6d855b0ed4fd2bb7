//! Logging out: the session row goes, and so does the cookie.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{cookie, internal, page, session_cookie};
use crate::crypto;
use crate::http::AppState;

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage;

/// GET or POST: logging someone out forged cross-site costs them only a new login.
pub async fn log_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_cookie(&state.settings, &headers)
        && let Err(error) = state.store.delete_session(&crypto::sha256_hex(id)).await
    {
        return internal(error);
    }
    cookie::clear(page(StatusCode::OK, &LoggedOutPage, &[]), &state.settings)
}
