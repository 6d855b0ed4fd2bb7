//! The browser pages: login, consent, callback, connected apps, logout, and what they share
//! (security headers, error pages, form parsing, the stylesheet).

mod apps;
mod callback;
pub(crate) mod consent;
mod cookie;
mod home;
mod login;
mod logout;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub(crate) use cookie::{session_cookie, with_cookie};

use super::AppState;
use super::rate_limit::{RateLimits, limited};
use crate::error::LoggedError;

/// The pages; the login POST is rate-limited per client address (password guessing).
pub fn router(limits: &RateLimits) -> Router<AppState> {
    let login_post = limited(
        Router::new().route("/login", post(login::submit)),
        &limits.login,
    );
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(login::show))
        .merge(login_post)
        .route("/consent", get(consent::show).post(consent::submit))
        .route("/oauth/callback", get(callback::show))
        .route("/account/apps", get(apps::show))
        .route("/account/apps/revoke", post(apps::revoke))
        .route("/logout", get(logout::confirm).post(logout::log_out))
        .route("/static/style.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        include_str!("../../../static/style.css"),
    )
        .into_response()
}

/// An HTML page with the headers every page gets. `form_targets` are origins a form
/// on this page may end up at after a redirect (CSP `form-action` covers redirects).
pub(crate) fn page(
    status: StatusCode,
    template: &impl Template,
    form_targets: &[String],
) -> Response {
    let body = match template.render() {
        Ok(body) => body,
        Err(error) => return internal(anyhow::anyhow!("template failed: {error}")),
    };
    let mut response = (status, axum::response::Html(body)).into_response();
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'{}{}; \
         frame-ancestors 'none'; base-uri 'none'",
        if form_targets.is_empty() { "" } else { " " },
        form_targets.join(" ")
    );
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// A page saying what went wrong; never a redirect.
pub(crate) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(status, &ErrorPage { title, message }, &[])
}

/// An opaque 500 page; the cause goes to the log middleware, not the user.
pub(crate) fn internal(error: impl Into<anyhow::Error>) -> Response {
    let message = "The server could not complete the request. Please try again.";
    let mut response = match (ErrorPage {
        title: "Something went wrong",
        message,
    })
    .render()
    {
        Ok(body) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::response::Html(body),
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .extensions_mut()
        .insert(LoggedError(std::sync::Arc::new(error.into())));
    response
}

pub(crate) fn csrf_failure() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form has expired or did not come from this site. Go back, reload the page and try again.",
    )
}

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
pub(crate) fn read_form(body: &Bytes) -> Result<HashMap<String, String>, Box<Response>> {
    super::oauth::form::parse_form(body).map_err(|e| {
        Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            &e.description,
        ))
    })
}

/// A 303 to `location` (after a POST, or to send the browser on).
pub(crate) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => internal(anyhow::anyhow!(
            "redirect target is not a valid header value"
        )),
    }
}

/// A POSTed form and the session it belongs to, its CSRF token checked; otherwise the
/// page to answer with (403 for a missing session or token, 400 for a bad form).
pub(crate) async fn posted_form(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    body: &Bytes,
) -> Result<(HashMap<String, String>, crate::oauth::sessions::Session), Response> {
    let form = read_form(body).map_err(|response| *response)?;
    let cookie = session_cookie(&state.settings, headers);
    let session = match crate::oauth::sessions::load(&state.store, cookie).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(csrf_failure()),
        Err(error) => return Err(internal(error)),
    };
    if !session.csrf_matches(form.get("csrf_token").map(String::as_str)) {
        return Err(csrf_failure());
    }
    Ok((form, session))
}

/// Unix seconds as a UTC date and time for the pages.
pub(crate) fn format_time(secs: i64) -> String {
    // "YYYY-MM-DDTHH:MM:SSZ" → "YYYY-MM-DD HH:MM UTC"
    let text = crate::timefmt::rfc3339(secs);
    format!("{} {} UTC", &text[..10], &text[11..16])
}
