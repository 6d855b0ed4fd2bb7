//! The account pages: home, login, connected apps, logout, the stylesheet, and the cookie and
//! form reading they share with the authorization flow.

mod apps;
pub(crate) mod cookie;
pub(crate) mod forms;
mod home;
mod login;
mod logout;
mod oidc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::http::rate_limit::{RateLimits, limited};
use crate::http::state::AppState;

/// The pages; the login POST is rate-limited per client address (password guessing), the
/// upstream sign-in routes like the authorization endpoint.
pub fn router(limits: &RateLimits) -> Router<AppState> {
    let login_post = limited(
        Router::new().route("/login", post(login::submit)),
        &limits.login,
    );
    // Each start writes a row and each callback costs the provider a code exchange.
    let upstream = limited(
        Router::new()
            .route("/login/oidc/{id}", get(oidc::start))
            .route("/login/oidc/{id}/callback", get(oidc::callback)),
        &limits.authorize,
    );
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(login::show))
        .merge(login_post)
        .merge(upstream)
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
