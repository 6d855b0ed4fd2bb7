//! Liveness and readiness for orchestrators.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use crate::http::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Alive: the process answers.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers too. Upstream MCP servers are reported but do not decide: one
/// that is down makes the status `degraded` (still 200), since everything else still works.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let upstreams = state.gateway.status();
    let all_up = upstreams.iter().all(|u| u.state == "up");
    let mut body = if state.store.ping().await {
        let status = if all_up { "ready" } else { "degraded" };
        json!({ "status": status, "database": "ok" })
    } else {
        json!({ "status": "unavailable", "database": "unreachable" })
    };
    if !upstreams.is_empty() {
        body["upstreams"] = json!(upstreams);
    }
    let code = if body["database"] == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}
