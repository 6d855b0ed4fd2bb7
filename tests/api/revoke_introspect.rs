//! Revocation (RFC 7009) and introspection (RFC 7662), across two instances.

use std::time::Duration;

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TEST_CLIENT, TestApp, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn introspect(app: &TestApp, token: &str, client: (&str, &str)) -> serde_json::Value {
    let (status, body) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", token),
                ("client_id", client.0),
                ("client_secret", client.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn jti_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["jti"].as_str().unwrap().to_string()
}

async fn introspection_describes_an_active_token_with_every_field(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (_, tokens) = app
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
    let info = introspect(&app, tokens["access_token"].as_str().unwrap(), CLAUDE).await;
    assert_eq!(info["active"], true);
    for field in [
        "scope",
        "client_id",
        "username",
        "token_type",
        "exp",
        "iat",
        "nbf",
        "sub",
        "aud",
        "iss",
        "jti",
    ] {
        assert!(!info[field].is_null(), "missing {field}: {info}");
    }
    assert_eq!(info["username"], "admin");
    assert_eq!(info["iss"], app.settings.issuer());
    let refresh = introspect(&app, tokens["refresh_token"].as_str().unwrap(), CLAUDE).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["token_type"], "refresh_token");
}
on_both_engines!(introspection_describes_an_active_token_with_every_field);

async fn foreign_malformed_and_unknown_tokens_introspect_inactive(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app.client_credentials_token(CLAUDE, None).await;
    assert_eq!(
        introspect(&app, &token, TEST_CLIENT).await,
        serde_json::json!({"active": false}),
        "foreign"
    );
    for junk in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0."] {
        assert_eq!(
            introspect(&app, junk, CLAUDE).await["active"],
            false,
            "{junk}"
        );
    }
    let (status, body) = app
        .post_form("/oauth/introspect", &[("token", &token)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = app
        .post_form(
            "/oauth/introspect",
            &[("client_id", CLAUDE.0), ("client_secret", CLAUDE.1)],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}
on_both_engines!(foreign_malformed_and_unknown_tokens_introspect_inactive);

async fn a_client_listed_in_introspect_any_sees_other_clients_tokens(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.clients.introspect_any = vec![TEST_CLIENT.0.into()];
    })
    .await
    .unwrap();
    let token = app.client_credentials_token(CLAUDE, None).await;
    assert_eq!(introspect(&app, &token, TEST_CLIENT).await["active"], true);
}
on_both_engines!(a_client_listed_in_introspect_any_sees_other_clients_tokens);

async fn the_readme_revoke_curl_revokes_in_the_database_and_in_memory_on_both_instances(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let other = app.another_instance().await;
    let token = app.client_credentials_token(CLAUDE, None).await;
    let jti = jti_of(&token);
    let response = app
        .http
        .post(app.url("/oauth/revoke"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "token={token}&client_id=claude_ai_client&client_secret=claude_secret_key_2024"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(&app, &token, CLAUDE).await["active"], false);
    assert_eq!(introspect(&other, &token, CLAUDE).await["active"], false);
    assert!(
        app.auth.revocations.contains(&jti),
        "this instance knows at once"
    );
    // The other instance learns by polling (every 2 s).
    let mut seen = false;
    for _ in 0..50 {
        if other.auth.revocations.contains(&jti) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the second instance's in-memory set caught up");
}
on_both_engines!(the_readme_revoke_curl_revokes_in_the_database_and_in_memory_on_both_instances);

async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (_, tokens) = app
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
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", refresh),
                ("token_type_hint", "refresh_token"),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&app, access, CLAUDE).await["active"], false);
    assert_eq!(introspect(&app, refresh, CLAUDE).await["active"], false);
    assert!(app.auth.revocations.contains(&jti_of(access)));
}
on_both_engines!(revoking_a_refresh_token_revokes_its_family_and_access_tokens);

async fn a_client_cannot_revoke_another_clients_token_and_unknown_tokens_get_200(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app.client_credentials_token(CLAUDE, None).await;
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &token),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        introspect(&app, &token, CLAUDE).await["active"],
        true,
        "still active"
    );
    let (status, _) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", "never-issued"),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &token),
                ("client_id", CLAUDE.0),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}
on_both_engines!(a_client_cannot_revoke_another_clients_token_and_unknown_tokens_get_200);

async fn token_events_reach_the_audit_table_without_secrets(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app.client_credentials_token(CLAUDE, None).await;
    app.post_form(
        "/oauth/revoke",
        &[
            ("token", &token),
            ("client_id", CLAUDE.0),
            ("client_secret", CLAUDE.1),
        ],
    )
    .await;
    app.post_form(
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLAUDE.0),
            ("client_secret", "bad-guess"),
        ],
    )
    .await;
    let mut events = Vec::new();
    for _ in 0..50 {
        events = app.store.audit_since(0, 100).await.unwrap();
        if events.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    for expected in ["token_issued", "token_revoked", "client_auth_failed"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let all = format!("{events:?}");
    for secret in [CLAUDE.1, "bad-guess", token.as_str()] {
        assert!(!all.contains(secret), "audit contains a secret");
    }
}
on_both_engines!(token_events_reach_the_audit_table_without_secrets);

async fn an_expired_access_token_introspects_inactive(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let token = app.client_credentials_token(CLAUDE, None).await;
    assert_eq!(introspect(&app, &token, CLAUDE).await["active"], true);
    sqlx::query("UPDATE access_tokens SET expires_at = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    assert_eq!(introspect(&app, &token, CLAUDE).await["active"], false);
}
on_both_engines!(an_expired_access_token_introspects_inactive);
