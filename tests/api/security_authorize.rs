//! The authorization endpoint against an attacker (RFC 9700): no open redirect through a
//! client anyone can register, PKCE whatever the client says, and remembered consent that
//! another local process cannot reuse.

use serde_json::{Value, json};

use crate::browser::{authorize, decide, location, pkce_pair, query_of, to_consent};
use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, TestApp, spawn_app, spawn_app_with};
use crate::on_both_engines;

async fn register(app: &TestApp, body: Value) -> String {
    let response = app
        .http
        .post(app.url("/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["client_id"].as_str().unwrap().to_string()
}

async fn a_client_anyone_registered_cannot_turn_authorization_errors_into_an_open_redirect(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let evil = "https://evil.example/cb";
    let public = register(
        &app,
        json!({"redirect_uris": [evil], "token_endpoint_auth_method": "none"}),
    )
    .await;
    let confidential = register(
        &app,
        json!({"redirect_uris": [evil], "token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    for client_id in [&public, &confidential] {
        for extra in [
            ("response_type", "x"),
            ("scope", "bad\\scope"),
            ("code_challenge_method", "S256"),
        ] {
            let mut params = vec![
                ("client_id", client_id.as_str()),
                ("redirect_uri", evil),
                ("response_type", "code"),
            ];
            params.retain(|(k, _)| *k != extra.0);
            params.push(extra);
            let response = authorize(&app, &params).await;
            assert_eq!(response.status(), 400, "{extra:?}");
            assert!(
                location(&response).is_none(),
                "{extra:?} must not redirect to {evil}"
            );
            assert!(response.text().await.unwrap().contains("refused"));
        }
    }
    // The operator's own clients still report errors to their registered redirect URI.
    let response = authorize(
        &app,
        &[
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("response_type", "x"),
        ],
    )
    .await;
    assert!(location(&response).unwrap().starts_with(CLAUDE_CALLBACK));
}
on_both_engines!(a_client_anyone_registered_cannot_turn_authorization_errors_into_an_open_redirect);

async fn dynamically_registered_clients_must_use_s256_pkce_even_with_a_secret(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let redirect = "https://app.example/cb";
    let confidential = register(
        &app,
        json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "client_secret_post"}),
    )
    .await;
    let challenge = "a".repeat(43);
    for pkce in [
        vec![],
        vec![
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "plain"),
        ],
        vec![("code_challenge", challenge.as_str())],
    ] {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", confidential.as_str()),
            ("redirect_uri", redirect),
        ];
        params.extend(pkce.iter().copied());
        let response = authorize(&app, &params).await;
        assert_eq!(response.status(), 400, "{pkce:?}");
        assert!(response.text().await.unwrap().contains("S256"), "{pkce:?}");
    }
    let (_, challenge) = pkce_pair();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &confidential),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(page.contains("Authorize"));
}
on_both_engines!(dynamically_registered_clients_must_use_s256_pkce_even_with_a_secret);

async fn a_challenge_without_a_method_is_refused_when_plain_pkce_is_off_and_the_documented_curl_flow_still_works(
    engine: Engine,
) {
    let app = spawn_app_with(engine, |s| s.tokens.allow_plain_pkce = false)
        .await
        .unwrap();
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("code_challenge", &"a".repeat(43)),
        ],
    )
    .await;
    let query = query_of(&location(&response).unwrap());
    assert_eq!(query["error"], "invalid_request");
    assert!(
        query["error_description"].contains("code_challenge_method"),
        "{query:?}"
    );
    // The original description's flow: the documented confidential client, no PKCE.
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("scope", "mcp:tools mcp:resources"),
            ("state", "random_state"),
        ],
    )
    .await;
    let code = query_of(&location(&decide(&app, &page, "approve").await).unwrap())["code"].clone();
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
    assert_eq!(status, 200, "{body}");
}
on_both_engines!(a_challenge_without_a_method_is_refused_when_plain_pkce_is_off_and_the_documented_curl_flow_still_works);

async fn a_public_clients_remembered_consent_covers_only_the_redirect_uri_it_was_given_for(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let client_id = register(
        &app,
        json!({"redirect_uris": ["http://127.0.0.1/callback"], "token_endpoint_auth_method": "none",
            "scope": "mcp:tools"}),
    )
    .await;
    let request = |port: &'static str| {
        let (_, challenge) = pkce_pair();
        let redirect = format!("http://127.0.0.1:{port}/callback");
        (redirect, challenge)
    };
    let (redirect, challenge) = request("41001");
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(
        location(&decide(&app, &page, "approve").await)
            .unwrap()
            .starts_with(&redirect)
    );
    // The same port again: remembered.
    let (_, challenge) = request("41001");
    let again = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(
        location(&again).unwrap().starts_with(&redirect),
        "same redirect URI: no second consent"
    );
    // Another local process on another port with the same public client id: asked again.
    let (other, challenge) = request("41999");
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", &other),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200, "the consent page, not a code");
    assert!(location(&response).is_none());
    let consent = response.text().await.unwrap();
    assert!(
        consent.contains("127.0.0.1:41999"),
        "the page names where the answer goes"
    );
    let granted = crate::claude::audited(&app, "consent_approved").await;
    assert_eq!(
        granted.len(),
        1,
        "only the first request was approved by the person"
    );
}
on_both_engines!(a_public_clients_remembered_consent_covers_only_the_redirect_uri_it_was_given_for);

async fn prompt_consent_asks_again_even_when_an_earlier_approval_covers_the_request(
    engine: Engine,
) {
    let app = spawn_app(engine).await.unwrap();
    let params = [
        ("response_type", "code"),
        ("client_id", CLAUDE.0),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("scope", "mcp:tools"),
    ];
    let page = to_consent(&app, &params).await;
    decide(&app, &page, "approve").await;
    let covered = authorize(&app, &params).await;
    assert!(
        location(&covered).unwrap().starts_with(CLAUDE_CALLBACK),
        "remembered for a confidential client"
    );
    let mut forced = params.to_vec();
    forced.push(("prompt", "login consent"));
    let asked = authorize(&app, &forced).await;
    assert_eq!(asked.status(), 200);
    assert!(location(&asked).is_none(), "no code without asking");
    assert!(asked.text().await.unwrap().contains("name=\"decision\""));
}
on_both_engines!(prompt_consent_asks_again_even_when_an_earlier_approval_covers_the_request);
