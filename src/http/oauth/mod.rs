//! OAuth machine endpoints: metadata, JWKS, token, revocation, introspection.

mod endpoints;
mod form;
mod metadata;

use axum::Router;
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use super::AppState;

pub fn router() -> Router<AppState> {
    // Browser-based clients (MCP Inspector) call these cross-origin; no cookies involved.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    Router::new()
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
