//! Liveness, readiness and request ids.

use crate::helpers::Engine;
use crate::helpers::spawn_app;
use crate::on_both_engines;

async fn healthz_answers_ok(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}
on_both_engines!(healthz_answers_ok);

async fn readyz_reports_a_reachable_database(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}
on_both_engines!(readyz_reports_a_reachable_database);

async fn readyz_reports_an_unreachable_database_as_503(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    app.store.close().await;
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
}
on_both_engines!(readyz_reports_an_unreachable_database_as_503);

async fn a_request_id_is_generated_or_echoed(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let generated = app.http.get(app.url("/healthz")).send().await.unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(id.len() >= 32, "generated id {id:?}");

    let echoed = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-123");
}
on_both_engines!(a_request_id_is_generated_or_echoed);

async fn an_unknown_path_is_a_404_not_a_500(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = app
        .http
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
on_both_engines!(an_unknown_path_is_a_404_not_a_500);

async fn every_response_says_nosniff(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    for path in [
        "/healthz",
        "/.well-known/oauth-authorization-server",
        "/mcp",
        "/nowhere",
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
}
on_both_engines!(every_response_says_nosniff);

async fn hsts_is_sent_on_every_response_only_when_the_public_url_is_https(engine: Engine) {
    let https = crate::helpers::spawn_app_with(engine, |s| {
        s.server.public_url = "https://mcp.example.com".into();
    })
    .await
    .unwrap();
    for path in [
        "/healthz",
        "/no-such-page",
        "/.well-known/oauth-authorization-server",
    ] {
        let response = https.http.get(https.url(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=63072000; includeSubDomains",
            "{path}"
        );
    }
    let plain = spawn_app(engine).await.unwrap();
    let response = plain.http.get(plain.url("/healthz")).send().await.unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}
on_both_engines!(hsts_is_sent_on_every_response_only_when_the_public_url_is_https);

async fn oversized_request_targets_and_headers_get_414_and_431_with_the_usual_headers(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    // Just under the bounds: served as usual.
    let near = format!("/healthz?pad={}", "a".repeat(16 * 1024 - 20));
    let response = app.http.get(app.url(&near)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .http
        .get(app.url("/healthz"))
        .header("x-pad", "b".repeat(30_000))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let long = format!("/oauth/token?pad={}", "a".repeat(17 * 1024));
    let response = app.http.post(app.url(&long)).send().await.unwrap();
    assert_eq!(response.status(), 414);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    let response = app
        .http
        .get(app.url("/login"))
        .header("accept", "text/html")
        .header("cookie", format!("jar={}", "c".repeat(40_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("too large"));
}
on_both_engines!(oversized_request_targets_and_headers_get_414_and_431_with_the_usual_headers);

/// Start-up queries find idle connections instead of opening one per query (each a TLS
/// handshake on Postgres): the store opens several side by side and waits until they are idle.
#[tokio::test]
async fn a_postgres_store_starts_with_three_idle_connections_and_sqlite_with_one() {
    use crate::helpers::{Engine, TestDb};
    let sqlite = TestDb::create(Engine::Sqlite).await.unwrap();
    let store = crate::cli::store_for(&sqlite).await;
    assert_eq!((store.pool().size(), store.pool().num_idle()), (1, 1));
    let Some(postgres) = TestDb::create(Engine::Postgres).await else {
        return;
    };
    let store = crate::cli::store_for(&postgres).await;
    assert_eq!((store.pool().size(), store.pool().num_idle()), (3, 3));
    store.close().await;
}
