//! Dynamic client registration (RFC 7591) as Claude.ai and MCP Inspector use it, then the
//! registered client's first authorization.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::browser::{decide, location, query_of, to_consent};
use crate::helpers::Engine;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn register(app: &TestApp, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/oauth/register"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn claude_ai_registers_a_confidential_client_and_gets_its_metadata_back(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let (status, body) = register(&app, &json!({
            "client_name": "Claude", "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
            "token_endpoint_auth_method": "client_secret_post", "scope": "mcp:tools mcp:resources",
            "software_id": "ignored", "logo_uri": null
        })).await;
    assert_eq!(status, 201, "{body}");
    for key in [
        "client_id",
        "client_secret",
        "client_name",
        "redirect_uris",
        "grant_types",
        "response_types",
        "scope",
    ] {
        assert!(!body[key].is_null(), "{key} in {body}");
    }
    assert_eq!(body["client_secret_expires_at"], 0);
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(body["scope"], "mcp:resources mcp:tools");
    assert!(body["client_id_issued_at"].as_i64().unwrap() > 0);
    assert!(
        body.as_object().unwrap().values().all(|v| !v.is_null()),
        "never null: {body}"
    );
    // The registered client completes a flow, authenticating with client_secret_post.
    let (client_id, secret) = (
        body["client_id"].as_str().unwrap(),
        body["client_secret"].as_str().unwrap(),
    );
    let redirect = "https://claude.ai/api/mcp/auth_callback";
    let (verifier, challenge) = crate::browser::pkce_pair();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "mcp:tools"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let query = query_of(&location(&decide(&app, &page, "approve").await).unwrap());
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", redirect),
                ("client_id", client_id),
                ("client_secret", secret),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
}
on_both_engines!(claude_ai_registers_a_confidential_client_and_gets_its_metadata_back);

async fn an_inspector_public_client_registers_and_completes_a_pkce_flow_without_a_secret(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let redirect = "http://localhost:6274/oauth/callback";
    let (status, body) = register(&app, &json!({
            "client_name": "MCP Inspector", "redirect_uris": [redirect],
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"]
        })).await;
    assert_eq!(status, 201, "{body}");
    assert!(body.get("client_secret").is_none() && body.get("client_secret_expires_at").is_none());
    let client_id = body["client_id"].as_str().unwrap().to_string();
    // Without PKCE a public client is refused, on this server's page (never redirected).
    let response = crate::browser::authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
    assert!(response.text().await.unwrap().contains("PKCE"));
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "i"),
        ],
    )
    .await;
    assert!(
        page.contains("MCP Inspector"),
        "a fresh client always sees consent"
    );
    let query = query_of(&location(&decide(&app, &page, "approve").await).unwrap());
    let (status, tokens) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", redirect),
                ("client_id", &client_id),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
}
on_both_engines!(an_inspector_public_client_registers_and_completes_a_pkce_flow_without_a_secret);

async fn invalid_metadata_is_a_json_400_with_the_rfc_7591_code(engine: Engine) {
    // Many requests from one address: the per-address rate limit is not what this tests.
    let app = spawn_app_with(engine, |s| s.rate_limits.enabled = false)
        .await
        .unwrap();
    let ok = |extra: Value| {
        let mut body = json!({"client_name": "x", "redirect_uris": ["https://app.example/cb"]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            ok(json!({"redirect_uris": ["http://app.example/cb"]})),
            "invalid_redirect_uri",
        ),
        (
            ok(json!({"redirect_uris": ["https://app.example/cb#x"]})),
            "invalid_redirect_uri",
        ),
        (
            ok(json!({"redirect_uris": ["javascript:alert(1)"]})),
            "invalid_redirect_uri",
        ),
        (
            ok(json!({"redirect_uris": ["not a uri"]})),
            "invalid_redirect_uri",
        ),
        (ok(json!({"redirect_uris": []})), "invalid_redirect_uri"),
        (json!({"client_name": "no uris"}), "invalid_redirect_uri"),
        (
            ok(json!({"redirect_uris": "https://app.example/cb"})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"token_endpoint_auth_method": "private_key_jwt"})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"grant_types": ["implicit"]})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"grant_types": ["client_credentials"]})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"response_types": ["token"]})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"scope": "mcp:tools bad\\scope"})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"application_type": "desktop"})),
            "invalid_client_metadata",
        ),
        (
            ok(json!({"client_name": "n".repeat(201)})),
            "invalid_client_metadata",
        ),
        (ok(json!({"client_name": 7})), "invalid_client_metadata"),
        (json!([1, 2]), "invalid_client_metadata"),
    ];
    for (body, expected) in cases {
        let (status, answer) = register(&app, &body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(expected)),
            "{body}: {answer}"
        );
        assert!(!answer["error_description"].as_str().unwrap().is_empty());
    }
    let response = app
        .http
        .post(app.url("/register"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["error"], "invalid_client_metadata");
    let clients: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clients WHERE origin = 'dynamic'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(clients, 0);
}
on_both_engines!(invalid_metadata_is_a_json_400_with_the_rfc_7591_code);

async fn registration_can_require_a_token_or_be_turned_off(engine: Engine) {
    let token = "initial-access-token-0123456789";
    let app = spawn_app_with(engine, |s| {
        s.clients.registration = mcp_oauth::config::Registration::Token;
        s.clients.registration_token = Some(token.into());
    })
    .await
    .unwrap();
    let body = json!({"redirect_uris": ["https://app.example/cb"]});
    assert_eq!(register(&app, &body).await.0, 401);
    let response = app
        .http
        .post(app.url("/oauth/register"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let off = spawn_app_with(engine, |s| {
        s.clients.registration = mcp_oauth::config::Registration::Off;
    })
    .await
    .unwrap();
    assert_eq!(register(&off, &body).await.0, 403);
}
on_both_engines!(registration_can_require_a_token_or_be_turned_off);

async fn a_hostile_client_name_is_escaped_on_the_consent_page(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let (_, body) = register(
        &app,
        &json!({"client_name": "<script>alert(1)</script>",
            "redirect_uris": ["https://app.example/cb"], "scope": "mcp:tools"}),
    )
    .await;
    let client_id = body["client_id"].as_str().unwrap().to_string();
    let (_, challenge) = crate::browser::pkce_pair();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://app.example/cb"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(!page.contains("<script>"), "{page}");
    assert!(
        page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
        "{page}"
    );
    assert!(page.contains("app.example"), "redirect host shown");
    assert!(
        page.contains("tool system_info (System information), together with system:read"),
        "{page}"
    );
}
on_both_engines!(a_hostile_client_name_is_escaped_on_the_consent_page);
