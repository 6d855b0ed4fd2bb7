//! The whole browser flow: login, consent (remembered or not, denied, replayed), and the
//! code exchanged at the token endpoint.

use crate::browser::{authorize, decide, get, hidden, location, query_of, to_consent};
use crate::helpers::Engine;
use crate::helpers::{CLAUDE, CLAUDE_CALLBACK, spawn_app};
use crate::on_both_engines;

fn claude_request(state: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLAUDE.0.into()),
        ("redirect_uri", CLAUDE_CALLBACK.into()),
        ("scope", "mcp:tools  mcp:resources ".into()),
        ("state", state.into()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn the_full_flow_issues_a_code_that_the_token_endpoint_accepts(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let request = claude_request("st-1");
    let page = to_consent(&app, &pairs(&request)).await;
    assert!(
        page.contains("Claude.ai") && page.contains("claude.ai"),
        "client name and redirect host"
    );
    assert!(
        page.contains("mcp:tools")
            && page.contains("tool echo")
            && page.contains("resource system://metrics"),
        "{page}"
    );
    assert!(
        !page.contains("system_health_report"),
        "only the requested scopes are described"
    );
    let response = decide(&app, &page, "approve").await;
    assert!(matches!(response.status().as_u16(), 302 | 303));
    let target = location(&response).unwrap();
    assert!(target.starts_with(CLAUDE_CALLBACK));
    let query = query_of(&target);
    assert_eq!(
        (query["state"].as_str(), query["iss"].as_str()),
        ("st-1", app.settings.issuer())
    );
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", CLAUDE_CALLBACK),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "mcp:resources mcp:tools");
}
on_both_engines!(the_full_flow_issues_a_code_that_the_token_endpoint_accepts);

async fn consent_is_remembered_for_a_subset_but_asked_again_for_more(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let page = to_consent(&app, &pairs(&claude_request("a"))).await;
    decide(&app, &page, "approve").await;
    // A subset: straight back to the client with a code.
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("scope", "mcp:tools"),
            ("state", "b"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let query = query_of(&location(&response).unwrap());
    assert!(query.contains_key("code") && query["state"] == "b");
    // More than approved: the consent page again.
    let response = authorize(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("scope", "mcp:tools system:monitor"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("name=\"decision\" value=\"approve\"")
    );
}
on_both_engines!(consent_is_remembered_for_a_subset_but_asked_again_for_more);

async fn denying_sends_access_denied_and_replaying_a_consent_post_issues_nothing(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let page = to_consent(&app, &pairs(&claude_request("d"))).await;
    let response = decide(&app, &page, "deny").await;
    let query = query_of(&location(&response).unwrap());
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("access_denied", "d")
    );
    assert!(!query.contains_key("code"));
    let replay = decide(&app, &page, "approve").await;
    assert_eq!(replay.status(), 400);
    assert!(location(&replay).is_none(), "no second answer");
    // An approved form replayed: still exactly one code.
    let response = authorize(&app, &pairs(&claude_request("e"))).await;
    let page = response.text().await.unwrap();
    assert!(
        location(&decide(&app, &page, "approve").await)
            .unwrap()
            .contains("code=")
    );
    let replay = decide(&app, &page, "approve").await;
    assert_eq!((replay.status().as_u16(), location(&replay)), (400, None));
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM authorization_codes")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(codes, 1);
}
on_both_engines!(denying_sends_access_denied_and_replaying_a_consent_post_issues_nothing);

async fn a_consent_form_for_another_request_cannot_approve_the_current_one(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let first = to_consent(&app, &pairs(&claude_request("one"))).await;
    let second = authorize(&app, &pairs(&claude_request("two")))
        .await
        .text()
        .await
        .unwrap();
    assert_ne!(hidden(&first, "request_id"), hidden(&second, "request_id"));
    assert_eq!(decide(&app, &first, "approve").await.status(), 400);
    let query = query_of(&location(&decide(&app, &second, "approve").await).unwrap());
    assert_eq!(query["state"], "two");
}
on_both_engines!(a_consent_form_for_another_request_cannot_approve_the_current_one);

async fn the_oob_flow_shows_the_code_with_a_curl_command_that_works(engine: Engine) {
    let app = spawn_app(engine).await.unwrap();
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", CLAUDE.0),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("state", "oob-state"),
        ],
    )
    .await;
    let response = decide(&app, &page, "approve").await;
    assert_eq!(response.status(), 200);
    assert!(location(&response).is_none());
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("oob-state") && html.contains("client_secret=claude_secret_key_2024"),
        "{html}"
    );
    let start = html.find("<pre class=\"copy\">").unwrap() + "<pre class=\"copy\">".len();
    let code = &html[start..start + html[start..].find('<').unwrap()];
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
                ("client_id", CLAUDE.0),
                ("client_secret", CLAUDE.1),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let _ = get(&app, "/logout").await;
}
on_both_engines!(the_oob_flow_shows_the_code_with_a_curl_command_that_works);

async fn the_readme_pkce_example_works_for_mcp_test_client_with_its_secret(engine: Engine) {
    use base64::Engine as _;
    use sha2::Digest;
    let app = spawn_app(engine).await.unwrap();
    let (client, redirect) = (
        crate::helpers::TEST_CLIENT,
        "http://localhost:5000/oauth/callback",
    );
    let verifier = "readme-pkce-example-verifier-0123456789abcdefXYZ";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    // The original README's step 2: no scope, no state.
    let page = to_consent(
        &app,
        &[
            ("response_type", "code"),
            ("client_id", client.0),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(page.contains("MCP Test Client"));
    let query = query_of(&location(&decide(&app, &page, "approve").await).unwrap());
    let (status, body) = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &query["code"]),
                ("redirect_uri", redirect),
                ("client_id", client.0),
                ("client_secret", client.1),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"], "mcp:resources mcp:tools system:read",
        "default: the client's allowed scopes"
    );
}
on_both_engines!(the_readme_pkce_example_works_for_mcp_test_client_with_its_secret);
