//! Refresh-token rotation, the grace window, reuse detection and scope narrowing.

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TEST_CLIENT, TestApp, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn first_tokens(app: &TestApp) -> serde_json::Value {
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools mcp:resources", None)
        .await;
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn refresh(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", CLAUDE.0),
        ("client_secret", CLAUDE.1),
    ];
    form.extend_from_slice(extra);
    app.post_form("/oauth/token", &form).await
}

async fn the_readme_refresh_curl_rotates_the_refresh_token(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let first = first_tokens(&app).await;
    let old = first["refresh_token"].as_str().unwrap();
    let response = app.http.post(app.url("/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("grant_type=refresh_token&refresh_token={old}&client_id=claude_ai_client&client_secret=claude_secret_key_2024"))
            .send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let new = body["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(body["scope"], "mcp:tools mcp:resources");
    assert_eq!(refresh(&app, new, &[]).await.0, 200, "the successor works");
}
on_both_engines!(the_readme_refresh_curl_rotates_the_refresh_token);

async fn a_racing_retry_within_the_grace_window_gets_the_same_successor(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let first = first_tokens(&app).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (s1, a) = refresh(&app, old, &[]).await;
    let (s2, b) = refresh(&app, old, &[]).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    assert_ne!(a["access_token"], b["access_token"]);
    assert_eq!(
        refresh(&app, b["refresh_token"].as_str().unwrap(), &[])
            .await
            .0,
        200
    );
}
on_both_engines!(a_racing_retry_within_the_grace_window_gets_the_same_successor);

async fn reuse_after_the_grace_window_revokes_the_whole_family(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.tokens.refresh_reuse_grace_secs = 0)
        .await
        .unwrap();
    let first = first_tokens(&app).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (_, rotated) = refresh(&app, old, &[]).await;
    sqlx::query(
        "UPDATE refresh_tokens SET rotated_at = rotated_at - 5 WHERE rotated_at IS NOT NULL",
    )
    .execute(app.store.pool())
    .await
    .unwrap();
    let (status, body) = refresh(&app, old, &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    let (status, _) = refresh(&app, rotated["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, 400, "the successor died with the family");
    let (_, info) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", rotated["access_token"].as_str().unwrap()),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(info["active"], false);
}
on_both_engines!(reuse_after_the_grace_window_revokes_the_whole_family);

async fn scope_may_narrow_on_refresh_but_never_widen(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let first = first_tokens(&app).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&app, old, &[("scope", "mcp:prompts")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = refresh(&app, old, &[("scope", "mcp:tools")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "mcp:tools");
    let (status, body) = refresh(&app, body["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["scope"], "mcp:tools mcp:resources",
        "the refresh token keeps the granted scope"
    );
}
on_both_engines!(scope_may_narrow_on_refresh_but_never_widen);

async fn another_clients_refresh_token_is_invalid_grant(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let first = first_tokens(&app).await;
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh(&app, "not-a-token", &[]).await;
    assert_eq!(status, 400);
}
on_both_engines!(another_clients_refresh_token_is_invalid_grant);

async fn a_rotated_token_is_honoured_for_the_access_token_lifetime_and_is_theft_after_it(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    assert_eq!(
        app.settings.tokens.refresh_reuse_grace_secs, 3600,
        "the default window"
    );
    let first = first_tokens(&app).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (_, rotated) = refresh(&app, old, &[]).await;
    app.auth.clock.advance(3599);
    let (status, late) = refresh(&app, old, &[]).await;
    assert_eq!(
        status, 200,
        "a stale copy an hour later still works: {late}"
    );
    assert_eq!(late["refresh_token"], rotated["refresh_token"]);
    app.auth.clock.advance(2);
    let (status, body) = refresh(&app, old, &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "after the window: {body}"
    );
    let (status, _) = refresh(&app, rotated["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(status, 400, "the grant is revoked");
}
on_both_engines!(a_rotated_token_is_honoured_for_the_access_token_lifetime_and_is_theft_after_it);
