//! The authorization-code grant: bindings, PKCE and replay (racing redemptions: `races.rs`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TEST_CLIENT, spawn_app};
use crate::on_both_engines;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn the_readme_code_exchange_curl_works_verbatim(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools mcp:resources", None)
        .await;
    let response = app.http.post(app.url("/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("grant_type=authorization_code&code={code}&redirect_uri=https://claude.ai/oauth/callback&client_id=claude_ai_client&client_secret=claude_secret_key_2024"))
            .send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "mcp:tools mcp:resources");
    assert!(
        body["refresh_token"].as_str().unwrap().len() >= 43,
        "≥ 256 bits"
    );
}
on_both_engines!(the_readme_code_exchange_curl_works_verbatim);

async fn a_confidential_client_must_send_its_secret_even_with_pkce(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let redirect = "http://localhost:5000/oauth/callback";
    let ch = challenge(VERIFIER);
    let code = app
        .issue_code(TEST_CLIENT.0, redirect, "mcp:tools", Some((&ch, "S256")))
        .await;
    // The original README's PKCE example, which omits the secret.
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", TEST_CLIENT.0),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // One description whatever the reason: it does not say the client is confidential.
    assert_eq!(body["error_description"], "client authentication failed");
    // The same call with the secret works: the failed call did not burn the code.
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}
on_both_engines!(a_confidential_client_must_send_its_secret_even_with_pkce);

async fn pkce_mismatches_are_invalid_grant(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let ch = challenge(VERIFIER);
    let wrong_verifier = "x".repeat(43);
    let base = |code: String, verifier: Option<String>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", CLAUDE_CALLBACK.to_string()),
            ("client_id", CLAUDE.0.into()),
            ("client_secret", CLAUDE.1.into()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        form
    };
    for (pkce, verifier, why) in [
        (
            Some(ch.clone()),
            Some(wrong_verifier.clone()),
            "wrong verifier",
        ),
        (Some(ch.clone()), None, "missing verifier"),
        (
            Some(ch.clone()),
            Some("short".to_string()),
            "malformed verifier",
        ),
        (
            None,
            Some(VERIFIER.to_string()),
            "verifier without challenge",
        ),
    ] {
        let code = app
            .issue_code(
                CLAUDE.0,
                CLAUDE_CALLBACK,
                "mcp:tools",
                pkce.as_deref().map(|c| (c, "S256")),
            )
            .await;
        let form = base(code, verifier);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = app.post_form("/oauth/token", &pairs).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{why}"
        );
    }
    let plain = app
        .issue_code(
            CLAUDE.0,
            CLAUDE_CALLBACK,
            "mcp:tools",
            Some((VERIFIER, "plain")),
        )
        .await;
    let form = base(plain, Some(VERIFIER.into()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.post_form("/oauth/token", &pairs).await.0,
        200,
        "plain PKCE works"
    );
}
on_both_engines!(pkce_mismatches_are_invalid_grant);

async fn a_code_is_bound_to_its_client_redirect_uri_and_lifetime(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://localhost:8080/callback"),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "other redirect_uri"
    );
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "other client"
    );
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", "made-up"),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "unknown code"
    );
    sqlx::query("UPDATE authorization_codes SET expires_at = 1")
        .execute(app.store.pool())
        .await
        .unwrap();
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "expired"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}
on_both_engines!(a_code_is_bound_to_its_client_redirect_uri_and_lifetime);

async fn a_replayed_code_is_refused_and_revokes_what_it_issued(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("client_id", CLAUDE.0),
        ("client_secret", CLAUDE.1),
    ];
    let (status, first) = app.post_form("/oauth/token", &form).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, body) = app.post_form("/oauth/token", &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (_, introspected) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", access),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(
        introspected["active"], false,
        "the first access token is revoked"
    );
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the refresh token is revoked"
    );
}
on_both_engines!(a_replayed_code_is_refused_and_revokes_what_it_issued);

async fn the_resource_parameter_must_name_the_mcp_endpoint(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let code = app
        .issue_code(CLAUDE.0, CLAUDE_CALLBACK, "mcp:tools", None)
        .await;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("client_id", CLAUDE.0),
        ("client_secret", CLAUDE.1),
        ("resource", "https://evil.example/mcp"),
    ];
    let (status, body) = app.post_form("/oauth/token", &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );
    let resource = format!("{}/", app.settings.mcp_resource());
    form[5] = ("resource", resource.as_str());
    let (status, body) = app.post_form("/oauth/token", &form).await;
    assert_eq!(status, 200, "{body}");
    let (_, info) = app
        .post_form(
            "/oauth/introspect",
            &[
                ("token", body["access_token"].as_str().unwrap()),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(info["aud"], app.settings.mcp_resource());
}
on_both_engines!(the_resource_parameter_must_name_the_mcp_endpoint);
