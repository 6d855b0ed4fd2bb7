//! Admission control on the back-channel endpoints: with the smallest limit, a burst of token,
//! introspection and revocation calls still all complete (they queue, nothing deadlocks), and
//! MCP calls are not held behind them.

use tokio::task::JoinSet;

use crate::helpers::Engine;
use crate::helpers::{TEST_CLIENT, spawn_app_with};
use crate::on_both_engines;

async fn with_one_slot_per_core_a_mixed_burst_of_back_channel_calls_all_complete(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.rate_limits.enabled = false;
        s.server.oauth_concurrency_per_core = 1;
        // Every call verifies the secret with argon2 while holding its slot.
        s.tokens.secret_cache_ttl_secs = 0;
    })
    .await
    .unwrap();
    let probe = app
        .client_credentials_token(TEST_CLIENT, Some("mcp:tools"))
        .await;

    let mut calls = JoinSet::new();
    for i in 0..24 {
        let (http, base) = (app.http.clone(), app.address.clone());
        let probe = probe.clone();
        calls.spawn(async move {
            let (path, form): (&str, Vec<(&str, &str)>) = match i % 3 {
                0 => (
                    "/oauth/token",
                    vec![("grant_type", "client_credentials"), ("scope", "mcp:tools")],
                ),
                1 => ("/oauth/introspect", vec![("token", probe.as_str())]),
                _ => ("/oauth/revoke", vec![("token", "not-a-token-we-issued")]),
            };
            let mut form = form;
            form.extend([
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
            ]);
            let response = http
                .post(format!("{base}{path}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            (path, response.status().as_u16())
        });
    }
    // An MCP call in the middle of the burst is answered without waiting for a slot.
    let echo = app
        .http
        .post(app.url("/mcp/protected/call/echo"))
        .bearer_auth(&probe)
        .json(&serde_json::json!({ "message": "still here" }))
        .send()
        .await
        .unwrap();
    assert_eq!(echo.status(), 200);

    let results = tokio::time::timeout(std::time::Duration::from_secs(60), calls.join_all())
        .await
        .expect("every queued call completes");
    assert_eq!(results.len(), 24);
    for (path, status) in results {
        assert_eq!(status, 200, "{path}");
    }
}
on_both_engines!(with_one_slot_per_core_a_mixed_burst_of_back_channel_calls_all_complete);
