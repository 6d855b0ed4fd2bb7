//! OAuth endpoints: metadata, JWKS, token, revocation, introspection, registration, and
//! the authorization endpoint.

pub(crate) mod authorize;
mod endpoints;
pub(crate) mod form;
mod metadata;
mod register;

use axum::Router;
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use super::AppState;

pub fn router(settings: &crate::config::Settings) -> Router<AppState> {
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
        .route("/oauth/token", post(endpoints::token))
        .route("/token", post(endpoints::token))
        .route("/oauth/revoke", post(endpoints::revoke))
        .route("/oauth/introspect", post(endpoints::introspect))
        .route("/oauth/register", post(register::register))
        .route("/register", post(register::register))
        .layer(cors)
}

/// The authorization endpoint: a browser navigation, so no CORS.
pub fn browser_router() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize::authorize))
        .route("/authorize", get(authorize::authorize))
}
