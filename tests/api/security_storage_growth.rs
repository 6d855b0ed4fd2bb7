//! What unauthenticated callers can make the database hold (issue 14, item 11): values they
//! choose are stored bounded, audit events are purged after their retention, and dynamic
//! clients nobody used expire. Time is moved by rewriting row timestamps, not by sleeping.

use mcp_oauth::maintenance::run_purge_once;
use mcp_oauth::storage::unix_now;

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TestApp, spawn_app};
use crate::on_both_engines;

async fn failed_auth(app: &TestApp, client_id: &str) {
    let (status, _) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", "guess"),
            ],
        )
        .await;
    assert_eq!(status, 401);
}

async fn register(app: &TestApp, name: &str) -> String {
    let response = app.http.post(app.url("/oauth/register")).json(&serde_json::json!({
        "client_name": name, "redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"}))
        .send().await.unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["client_id"].as_str().unwrap().to_string()
}

async fn a_60_kb_client_id_is_audited_cut_to_a_bounded_length(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let huge = "A".repeat(60_000);
    failed_auth(&app, &huge).await;
    let event = app.audit_events("client_auth_failed", 1).await.remove(0);
    let stored = event.client_id.unwrap();
    assert!(
        stored.chars().count() <= 257,
        "stored {} characters",
        stored.len()
    );
    assert!(
        stored.starts_with("AAAA"),
        "the start is kept for investigation"
    );
    assert!(event.detail.len() < 200, "{}", event.detail);
}
on_both_engines!(a_60_kb_client_id_is_audited_cut_to_a_bounded_length);

async fn audit_events_older_than_the_retention_are_purged_and_newer_ones_kept(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    failed_auth(&app, "old-client").await;
    app.audit_events("client_auth_failed", 1).await;
    let now = unix_now();
    let retention = app.settings.maintenance.audit_retention_secs;
    sqlx::query("UPDATE audit_events SET occurred_at = $1")
        .bind(now - retention - 60)
        .execute(app.store.pool())
        .await
        .unwrap();
    failed_auth(&app, "new-client").await;
    app.audit_events("client_auth_failed", 2).await;
    let report = run_purge_once(&app.store, now, &app.settings.maintenance)
        .await
        .unwrap();
    assert_eq!(report.audit_events, 1);
    let left: Vec<Option<String>> = app
        .store
        .audit_since(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.client_id)
        .collect();
    assert_eq!(left, vec![Some("new-client".to_string())]);
}
on_both_engines!(audit_events_older_than_the_retention_are_purged_and_newer_ones_kept);

async fn dynamic_clients_unused_for_the_ttl_expire_and_used_recent_or_seeded_ones_stay(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let unused = register(&app, "never used").await;
    let used = register(&app, "used once").await;
    app.issue_code(&used, "https://app.example/cb", "mcp:tools", None)
        .await;
    let now = unix_now();
    let ttl = app.settings.maintenance.unused_client_ttl_secs;
    // Everything registered long ago, seeded clients included; then one fresh registration.
    sqlx::query("UPDATE clients SET created_at = $1")
        .bind(now - ttl - 60)
        .execute(app.store.pool())
        .await
        .unwrap();
    let fresh = register(&app, "just registered").await;
    let report = run_purge_once(&app.store, now, &app.settings.maintenance)
        .await
        .unwrap();
    assert_eq!(report.unused_clients, 1);
    assert!(
        app.store.get_client(&unused).await.unwrap().is_none(),
        "the unused client expired"
    );
    for id in [used.as_str(), fresh.as_str(), CLAUDE.0] {
        assert!(
            app.store.get_client(id).await.unwrap().is_some(),
            "{id} must stay"
        );
    }
}
on_both_engines!(dynamic_clients_unused_for_the_ttl_expire_and_used_recent_or_seeded_ones_stay);
