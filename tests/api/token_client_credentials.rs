//! The client-credentials grant and the token endpoint's request-level errors.

use crate::helpers::Engine;
use crate::helpers::{CLAUDE, TEST_CLIENT, spawn_app};
use crate::on_both_engines;

async fn the_readme_client_credentials_curl_works_verbatim(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = app
            .http
            .post(app.url("/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&client_id=mcp_test_client&client_secret=test_secret_key_2024&scope=mcp:tools")
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "mcp:tools");
    assert!(
        body.get("refresh_token").is_none(),
        "RFC 6749 §4.4.3: no refresh token"
    );
    assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3);
}
on_both_engines!(the_readme_client_credentials_curl_works_verbatim);

async fn http_basic_works_and_the_default_scope_is_everything_the_client_may_have(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth(TEST_CLIENT.0, Some(TEST_CLIENT.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "mcp:resources mcp:tools system:read");
}
on_both_engines!(http_basic_works_and_the_default_scope_is_everything_the_client_may_have);

async fn a_wrong_secret_is_invalid_client_with_basic_challenge_when_basic_was_used(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", "wrong"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(TEST_CLIENT.0, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );

    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", "x"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = app
        .post_form("/oauth/token", &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}
on_both_engines!(a_wrong_secret_is_invalid_client_with_basic_challenge_when_basic_was_used);

async fn a_scope_beyond_the_clients_allowance_is_invalid_scope(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", TEST_CLIENT.0),
                ("client_secret", TEST_CLIENT.1),
                ("scope", "mcp:tools mcp:prompts"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("mcp:prompts")
    );
}
on_both_engines!(a_scope_beyond_the_clients_allowance_is_invalid_scope);

async fn malformed_requests_get_rfc_6749_errors(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let cases: Vec<(&str, &str, u16, &str)> = vec![
        (
            "application/x-www-form-urlencoded",
            "client_id=mcp_test_client&client_secret=test_secret_key_2024",
            400,
            "invalid_request",
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=password&client_id=mcp_test_client&client_secret=test_secret_key_2024",
            400,
            "unsupported_grant_type",
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=client_credentials&grant_type=client_credentials&client_id=mcp_test_client&client_secret=test_secret_key_2024",
            400,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"grant_type":"client_credentials"}"#,
            400,
            "invalid_request",
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=client_credentials&client_id=mcp_test_client&client_secret=%FF%FE",
            400,
            "invalid_request",
        ),
    ];
    for (content_type, body, status, error) in cases {
        let response = app
            .http
            .post(app.url("/oauth/token"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], error, "{body}");
        assert!(
            json["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    let both = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(CLAUDE.0, Some(CLAUDE.1))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", CLAUDE.1),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    let big = "a".repeat(100 * 1024);
    let huge = app
        .http
        .post(app.url("/oauth/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=client_credentials&x={big}"))
        .send()
        .await
        .unwrap();
    assert!(
        huge.status().is_client_error(),
        "oversized body: {}",
        huge.status()
    );
}
on_both_engines!(malformed_requests_get_rfc_6749_errors);

async fn a_client_without_the_grant_type_is_unauthorized_client(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let registered = mcp_oauth::oauth::clients::register(
        &app.store,
        mcp_oauth::oauth::clients::NewClient {
            id: "code-only".into(),
            name: "Code only".into(),
            confidential: true,
            secret: Some("code-only-secret-value".into()),
            redirect_uris: vec!["https://app.example/cb".into()],
            scopes: vec!["mcp:tools".into()],
            grant_types: vec!["authorization_code".into()],
            origin: "cli",
            application_type: None,
        },
        &mcp_oauth::oauth::scope::ScopeSet::from_list(mcp_oauth::mcp::builtin::SCOPES),
    )
    .await
    .unwrap();
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &registered.record.id),
                ("client_secret", "code-only-secret-value"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", &registered.record.id),
                ("client_secret", "code-only-secret-value"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}
on_both_engines!(a_client_without_the_grant_type_is_unauthorized_client);
