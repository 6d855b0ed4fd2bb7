//! The browser's authorization flow in one place: the authorization endpoint, the consent
//! page, the README's test callback, and how the outcome reaches the client.

mod authorize;
mod callback;
mod consent;
mod outcome;

use axum::Router;
use axum::routing::get;

use crate::http::rate_limit::{RateLimits, limited};
use crate::http::state::AppState;

/// The authorization endpoint is a browser navigation, so no CORS; it is rate-limited per
/// client address. Consent and the callback are pages of the same flow.
pub fn router(limits: &RateLimits) -> Router<AppState> {
    let authorize = limited(
        Router::new()
            .route("/oauth/authorize", get(authorize::authorize))
            .route("/authorize", get(authorize::authorize)),
        &limits.authorize,
    );
    authorize
        .route("/consent", get(consent::show).post(consent::submit))
        .route("/oauth/callback", get(callback::show))
}
