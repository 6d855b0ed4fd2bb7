//! OAuth machine endpoints: metadata, JWKS, token, revocation, introspection.

mod endpoints;
mod form;
mod metadata;

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
        .layer(cors)
}
