//! The OAuth endpoints programs call: metadata, JWKS, token, revocation, introspection,
//! registration (the browser's authorization endpoint is in `authorization`).

mod endpoints;
pub(crate) mod form;
mod metadata;
mod register;

use axum::Router;
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use crate::http::rate_limit::{RateLimits, limited};
use crate::http::state::AppState;

pub fn router(settings: &crate::config::Settings, limits: &RateLimits) -> Router<AppState> {
    // Browser-based clients (MCP Inspector) call these cross-origin; no cookies involved.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    let mut router = Router::new();
    // RFC 8414 §3.1: an issuer with a path is also discovered at the path-suffixed location.
    if let Ok(url) = url::Url::parse(settings.issuer())
        && url.path() != "/"
        && !url.path().is_empty()
    {
        let suffixed = format!("/.well-known/oauth-authorization-server{}", url.path());
        router = router.route(&suffixed, get(metadata::authorization_server));
    }
    router
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server),
        )
        .route("/.well-known/jwks.json", get(metadata::jwks))
        .merge(token_routes(limits))
        .merge(limited(
            Router::new().route("/oauth/revoke", post(endpoints::revoke)),
            &limits.revoke,
        ))
        .merge(limited(
            Router::new().route("/oauth/introspect", post(endpoints::introspect)),
            &limits.introspect,
        ))
        .merge(limited(
            Router::new()
                .route("/oauth/register", post(register::register))
                .route("/register", post(register::register)),
            &limits.register,
        ))
        .layer(cors)
}

/// Both token paths share the buckets: per address here (cheap); the handler charges the
/// per-`client_id` bucket once the client authenticated, and failures per address.
fn token_routes(limits: &RateLimits) -> Router<AppState> {
    let routes = Router::new()
        .route("/oauth/token", post(endpoints::token))
        .route("/token", post(endpoints::token));
    limited(routes, &limits.token)
}
