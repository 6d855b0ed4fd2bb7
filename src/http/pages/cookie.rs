//! The session cookie: HttpOnly, SameSite=Lax, Path=/, and `Secure` with the `__Host-`
//! prefix on https deployments.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use crate::config::Settings;
use crate::oauth::sessions::{ABSOLUTE_TIMEOUT_SECS, Session};

fn name(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "__Host-mcp_oauth_session"
    } else {
        "mcp_oauth_session"
    }
}

/// The session id the request's cookie carries, if any.
pub(crate) fn session_cookie<'a>(settings: &Settings, headers: &'a HeaderMap) -> Option<&'a str> {
    let wanted = name(settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == wanted)
        .map(|(_, value)| value)
}

fn attributes(settings: &Settings) -> &'static str {
    if settings.is_https() {
        "; Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Lax"
    }
}

/// Adds `Set-Cookie` when the session was just created or rotated.
pub(crate) fn with_cookie(
    mut response: Response,
    settings: &Settings,
    session: &Session,
) -> Response {
    if let Some(id) = &session.new_cookie {
        let value = format!(
            "{}={id}{}; Max-Age={ABSOLUTE_TIMEOUT_SECS}",
            name(settings),
            attributes(settings)
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Removes the cookie from the browser.
pub(crate) fn clear(mut response: Response, settings: &Settings) -> Response {
    let value = format!("{}={}; Max-Age=0", name(settings), attributes(settings));
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
