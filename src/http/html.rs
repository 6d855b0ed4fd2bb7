//! How every browser page is answered: the HTML with its security headers, the error page,
//! the opaque 500 and the error type that produces it, and the 303 after a form.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::LoggedError;

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

/// What a page handler's `?` turns a failure into: the opaque 500 page of [`internal`]
/// (the cause kept for the log middleware), or a page already chosen for a refused form
/// (400 unreadable, 403 without its session or CSRF token).
pub(crate) enum PageError {
    Internal(anyhow::Error),
    Refused(Box<Response>),
}

impl<E: Into<anyhow::Error>> From<E> for PageError {
    fn from(error: E) -> Self {
        Self::Internal(error.into())
    }
}

impl PageError {
    /// A refusal answered with `page` as it is.
    pub(crate) fn refused(page: Response) -> Self {
        Self::Refused(Box::new(page))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Internal(error) => internal(error),
            Self::Refused(page) => *page,
        }
    }
}

/// Unix seconds as a UTC date and time for the pages.
pub(crate) fn format_time(secs: i64) -> String {
    // "YYYY-MM-DDTHH:MM:SSZ" → "YYYY-MM-DD HH:MM UTC"
    let text = crate::timefmt::rfc3339(secs);
    format!("{} {} UTC", &text[..10], &text[11..16])
}
